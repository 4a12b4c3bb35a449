/**
 * The weekly credit review's Temporal Schedule on the dev server (the time-skipping test server has no
 * Schedules): created Mondays 08:30 in DEFAULT_TIME_ZONE on this deployment's task queue; triggered
 * (as POST /api/v1/credit/reviews does) it runs the review and the mail reaches the SMTP catcher once per language.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { addDays } from '../../domain/dates';
import { SCHEDULE_IDS, ensureSchedules } from '../../stack/schedules';
import { CREDIT_REVIEW_SCHEDULE_ID } from '../../workflows/credit-review';
import { eventually } from '../support/api-harness';
import { apiSuiteWithPeople, cny, createCustomer, todayInShanghai } from '../support/scenario';

const suite = apiSuiteWithPeople();

afterAll(async () => {
  for (const id of SCHEDULE_IDS)
    await suite.harness?.client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
});

describe('credit review schedule', () => {
  it('is created weekly on Monday 08:30 in the configured time zone, and a triggered run mails management in both languages once', async () => {
    const { harness, people } = suite;
    for (const [name, role] of [
      ['cfo', 'finance'],
      ['ceo', 'executive'],
    ]) {
      expect((await harness.admin.post('/api/v1/tokens', { name, role, email: `${name}@huikuan.test` })).status).toBe(
        201,
      );
    }
    const code = await createCustomer(people.sales, { creditLimit: cny('1000.00') });
    await harness.database.db
      .insertInto('contracts')
      .values({
        no: `K-${code}`,
        customer_code: code,
        title: 'Supply',
        amount_minor: 500_000,
        currency: 'CNY',
        payment_terms_type: 'credit_terms',
        stage: 'Delivery',
        terms: '{}',
        details: '{}',
        owners: null,
        created_by: 'sally',
      })
      .execute();

    // Without the schedule, "run now" is refused with the reason.
    await harness.client.schedule
      .getHandle(CREDIT_REVIEW_SCHEDULE_ID)
      .delete()
      .catch(() => undefined);
    const missing = await people.finance.post('/api/v1/credit/reviews');
    expect(missing.status).toBe(409);

    await ensureSchedules(harness.client, 'another-deployment', {
      timeZone: 'Europe/Berlin',
      creditReviewLocales: ['en'],
    });
    await ensureSchedules(harness.client, harness.taskQueue, {
      timeZone: 'Asia/Shanghai',
      creditReviewLocales: ['zh-CN', 'en'],
    });
    const schedule = await harness.client.schedule.getHandle(CREDIT_REVIEW_SCHEDULE_ID).describe();
    expect(schedule.spec.timezone).toBe('Asia/Shanghai');
    expect(schedule.spec.calendars).toEqual([
      expect.objectContaining({
        dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }],
        hour: [{ start: 8, end: 8, step: 1 }],
        minute: [{ start: 30, end: 30, step: 1 }],
      }),
    ]);
    expect(schedule.action.type === 'startWorkflow' && schedule.action.taskQueue).toBe(harness.taskQueue);
    expect(schedule.action.type === 'startWorkflow' && schedule.action.args).toEqual([
      { timeZone: 'Asia/Shanghai', locales: ['zh-CN', 'en'] },
    ]);
    const next = schedule.info.nextActionTimes[0];
    expect(
      new Intl.DateTimeFormat('en-US', {
        timeZone: 'Asia/Shanghai',
        weekday: 'long',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(next),
    ).toMatch(/^Monday,? 08:30$/);

    const started = await people.finance.post('/api/v1/credit/reviews');
    expect(started.status).toBe(202);
    const today = todayInShanghai();
    expect(started.body.reviewDate).toBe(today);

    const review = await eventually(
      async () => {
        const r = await people.executive.get(`/api/v1/credit/reviews/${today}`);
        return r.status === 200 &&
          r.body.mail.length === 2 &&
          r.body.mail.every((m: { status: string }) => m.status === 'sent')
          ? r.body
          : undefined;
      },
      60_000,
      'the review and its mail',
    );
    expect(review.summary.holdsSet.items.map((h: { customerCode: string }) => h.customerCode)).toEqual([code]);
    expect(review.mail.map((m: { locale: string; recipients: string[] }) => [m.locale, m.recipients])).toEqual([
      ['zh-CN', ['ceo@huikuan.test', 'cfo@huikuan.test']],
      ['en', ['ceo@huikuan.test', 'cfo@huikuan.test']],
    ]);
    const mailbox = await harness.database.db
      .selectFrom('mailbox')
      .select(['message_id', 'subject', 'deliveries'])
      .where('message_id', 'like', '<notification.credit-review.%')
      .orderBy('id')
      .execute();
    expect(mailbox.map((m) => [m.message_id, m.deliveries])).toEqual([
      [`<notification.credit-review.${today}.zh-CN@huikuan.test>`, 1],
      [`<notification.credit-review.${today}.en@huikuan.test>`, 1],
    ]);
    expect(mailbox[0].subject).toContain('新增停止发货 1 家');

    const list = await people.finance.get('/api/v1/credit/reviews');
    expect(list.body.reviews).toEqual([expect.objectContaining({ reviewDate: today, holdsSet: 1 })]);
    expect((await people.sales.get(`/api/v1/credit/reviews/${today}`)).status).toBe(403);
    expect((await people.finance.get('/api/v1/credit/reviews/2026-13-01')).status).toBe(400);
    expect((await people.finance.get(`/api/v1/credit/reviews/${addDays(today, -7)}`)).status).toBe(404);
  });
});
