/**
 * The weekly credit review workflow on the time-skipping server with the real activities, a real
 * PostgreSQL and the real SMTP catcher: grades recomputed and recorded, holds set, the summary stored
 * once per review date, one mail per language to management, exactly once across re-runs.
 * The time-skipping test server has no Schedules (checked below); the schedule itself is tested
 * against the dev server in tests/integration/credit-review-schedule.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Db } from '../../db/connect';
import { addDays } from '../../domain/dates';
import { creditReviewWorkflow } from '../../workflows/credit-review';
import { collectionSuite } from '../support/collection-suite';
import { testWorker } from '../support/workers';
import { type Grade } from '../../domain/contract-rules';

const suite = collectionSuite();

async function customer(db: Db, code: string, grade: Grade | null, limitMinor = 100_000_000) {
  await db
    .insertInto('customers')
    .values({
      code,
      name: `${code} Ltd`,
      grade,
      credit_limit_minor: limitMinor,
      currency: 'CNY',
      credit_hold_reason: null,
    })
    .execute();
  await db
    .insertInto('customer_contacts')
    .values({
      customer_code: code,
      role: 'payment_owner',
      name: 'Pat',
      email: `pat@${code.toLowerCase()}.test`,
      phone: null,
    })
    .execute();
  await db
    .insertInto('contracts')
    .values({
      no: `K-${code}`,
      customer_code: code,
      title: 'Supply',
      amount_minor: 0,
      currency: 'CNY',
      payment_terms_type: 'credit_terms',
      stage: 'Collection',
      terms: '{}',
      details: '{}',
      owners: null,
      created_by: 'sally',
    })
    .execute();
}

let seq = 0;
async function invoice(db: Db, code: string, f: { dueDate: string; amountMinor: number; paidOn?: string }) {
  seq += 1;
  await db
    .insertInto('invoices')
    .values({
      no: `INV-${code}-${seq}`,
      contract_no: `K-${code}`,
      milestone_seq: seq,
      customer_code: code,
      currency: 'CNY',
      amount_minor: f.amountMinor,
      tax_rate_percent: null,
      tax_minor: 0,
      balance_minor: f.paidOn ? 0 : f.amountMinor,
      issue_date: addDays(f.dueDate, -30),
      due_date: f.dueDate,
      status: f.paidOn ? 'paid' : 'open',
      issued_by: 'fiona',
      paid_on: f.paidOn ?? null,
      policy_id: 'default',
      policy_version: 1,
    })
    .execute();
  await db
    .updateTable('contracts')
    .set((eb) => ({ amount_minor: eb('amount_minor', '+', f.amountMinor) }))
    .where('no', '=', `K-${code}`)
    .execute();
}

describe('weekly credit review on the time-skipping server', () => {
  it('has no Schedules on the time-skipping test server (the schedule is tested on the dev server)', async () => {
    const error = await suite.env.client.schedule
      .create({
        scheduleId: 'probe',
        spec: { intervals: [{ every: '1 hour' }] },
        action: { type: 'startWorkflow', workflowType: creditReviewWorkflow, taskQueue: 'none' },
      })
      .then(
        () => undefined,
        (e: Error & { cause?: Error }) => e,
      );
    expect(`${error?.message} / ${error?.cause?.message}`).toMatch(/UNIMPLEMENTED|not implemented|unknown service/i);
  });

  it('recomputes grades, sets holds, stores the summary and mails management once per language; a re-run the same day reuses it', async () => {
    const db = suite.db;
    const today = await suite.today();
    await db
      .insertInto('people')
      .values([
        { name: 'fiona', role: 'finance', email: 'fiona@huikuan.test' },
        { name: 'eve', role: 'executive', email: 'eve@huikuan.test' },
        { name: 'sally', role: 'sales', email: 'sally@huikuan.test' },
        { name: 'frank', role: 'finance', email: null },
      ])
      .execute();
    // GOOD: given B at creation, pays on time for over two years → the formula says A. First issued 740 days ago:
    // 24 whole months even across a 29 February.
    await customer(db, 'GOOD', 'B');
    await invoice(db, 'GOOD', { dueDate: addDays(today, -710), amountMinor: 1_000_000, paidOn: addDays(today, -710) });
    for (const days of [300, 200, 100, 50])
      await invoice(db, 'GOOD', {
        dueDate: addDays(today, -days),
        amountMinor: 1_000_000,
        paidOn: addDays(today, -days - 2),
      });
    // LATE: pays later each time, and an invoice 45 days overdue → C, on hold, a delay-trend warning, top of the overdue list.
    await customer(db, 'LATE', 'A');
    await invoice(db, 'LATE', { dueDate: addDays(today, -200), amountMinor: 1_000_000, paidOn: addDays(today, -190) });
    await invoice(db, 'LATE', { dueDate: addDays(today, -150), amountMinor: 1_000_000, paidOn: addDays(today, -130) });
    await invoice(db, 'LATE', { dueDate: addDays(today, -100), amountMinor: 1_000_000, paidOn: addDays(today, -70) });
    await invoice(db, 'LATE', { dueDate: addDays(today, -45), amountMinor: 3_000_000 });
    // NEW: no history, no grade.
    await customer(db, 'NEW', null);
    await invoice(db, 'NEW', { dueDate: addDays(today, -5), amountMinor: 500_000 });

    const worker = await testWorker(suite.env.nativeConnection, db, suite.smtpUrl, 'credit-review-1');
    const first = await worker.runUntil(
      suite.env.client.workflow.execute(creditReviewWorkflow, {
        workflowId: `credit-review-test-${today}`,
        taskQueue: 'credit-review-1',
        args: [{ reviewDate: today, batchSize: 2 }],
      }),
    );
    expect(first).toEqual({
      reviewDate: today,
      reused: false,
      customers: 3,
      gradeChanges: 2,
      holdsSet: 1,
      holdsLifted: 0,
      mail: { 'zh-CN': 'sent', en: 'sent' },
    });

    const customers = await db
      .selectFrom('customers')
      .select(['code', 'grade', 'computed_grade', 'credit_score_tenths', 'credit_hold', 'hold_source'])
      .orderBy('code')
      .execute();
    expect(customers).toEqual([
      {
        code: 'GOOD',
        grade: 'A',
        computed_grade: 'A',
        credit_score_tenths: 1000,
        credit_hold: false,
        hold_source: null,
      },
      // on time 0/3 → 0; weighted (10+20+30)/3 = 20 → 167; overdue 3,000,000 of 100,000,000 → 194; promises 100; disputes 50; tenure 7 months → 15 = 526
      {
        code: 'LATE',
        grade: 'C',
        computed_grade: 'C',
        credit_score_tenths: 526,
        credit_hold: true,
        hold_source: 'auto',
      },
      {
        code: 'NEW',
        grade: null,
        computed_grade: null,
        credit_score_tenths: expect.any(Number),
        credit_hold: false,
        hold_source: null,
      },
    ]);
    expect(
      await db
        .selectFrom('grade_history')
        .select(['customer_code', 'reviewed_on', 'grade'])
        .orderBy('customer_code')
        .execute(),
    ).toEqual([
      { customer_code: 'GOOD', reviewed_on: today, grade: 'A' },
      { customer_code: 'LATE', reviewed_on: today, grade: 'C' },
      { customer_code: 'NEW', reviewed_on: today, grade: null },
    ]);

    const review = await db.selectFrom('credit_reviews').selectAll().executeTakeFirstOrThrow();
    const summary = review.summary as any;
    expect(summary.gradeChanges.items.map((c: any) => [c.customerCode, c.from, c.to])).toEqual([
      ['GOOD', 'B', 'A'],
      ['LATE', 'A', 'C'],
    ]);
    expect(summary.holdsSet.items.map((h: any) => [h.customerCode, h.source])).toEqual([['LATE', 'auto']]);
    expect(summary.holdsSet.items[0].reason).toContain('45 days past its due date');
    expect(summary.topOverdue.map((t: any) => [t.customerCode, t.overdueMinor, t.daysOverdue])).toEqual([
      ['LATE', 3_000_000, 45],
      ['NEW', 500_000, 5],
    ]);
    expect(summary.warnings.items.map((w: any) => [w.customerCode, w.kind, w.figures.daysLate])).toEqual([
      ['LATE', 'payment_delay_trend', [10, 20, 30]],
    ]);
    expect(summary.gradeCounts).toEqual({ A: 1, C: 1, new: 1 });

    const mail = await db.selectFrom('mailbox').selectAll().orderBy('id').execute();
    expect(mail.map((m) => m.message_id)).toEqual([
      `<notification.credit-review.${today}.zh-CN@huikuan.test>`,
      `<notification.credit-review.${today}.en@huikuan.test>`,
    ]);
    expect(mail.map((m) => m.envelope_to)).toEqual([
      ['eve@huikuan.test', 'fiona@huikuan.test'],
      ['eve@huikuan.test', 'fiona@huikuan.test'],
    ]);
    expect(mail[0].subject).toMatch(/^【信用周报】.*评级变动 2 家，新增停止发货 1 家，解除 0 家，预警 1 条$/);
    expect(mail[1].subject).toMatch(
      /^\[Credit review\] .*: 2 grade changes, 1 new credit holds, 0 lifted, 1 warnings$/,
    );
    expect(mail[0].body_text).toContain('LATE LATE Ltd：逾期 ¥30,000.00');
    expect(mail[0].body_text).toContain('GOOD GOOD Ltd：B → A（得分 100.0）');
    expect(mail[1].body_text).toContain('1. LATE LATE Ltd: CN¥30,000.00 overdue');
    expect(mail[1].body_text).toContain('payment delays trending up, days late of the latest invoices: 10, 20, 30');
    expect(mail[1].body_html).toContain('<h3>Top overdue customers</h3>');

    // The same day again (a retry, or finance pressing "run now"): the stored review is reused, nothing is mailed twice.
    const again = await testWorker(suite.env.nativeConnection, db, suite.smtpUrl, 'credit-review-1');
    const second = await again.runUntil(
      suite.env.client.workflow.execute(creditReviewWorkflow, {
        workflowId: `credit-review-test-${today}-again`,
        taskQueue: 'credit-review-1',
        args: [{ reviewDate: today }],
      }),
    );
    expect(second).toMatchObject({ reused: true, customers: 0, mail: { 'zh-CN': 'already_sent', en: 'already_sent' } });
    expect((await db.selectFrom('mailbox').select(['deliveries']).execute()).map((m) => m.deliveries)).toEqual([1, 1]);
    expect(
      await db.selectFrom('notifications').select(['notification_key', 'status', 'attempts']).orderBy('id').execute(),
    ).toEqual([
      { notification_key: `credit-review/${today}/zh-CN`, status: 'sent', attempts: 1 },
      { notification_key: `credit-review/${today}/en`, status: 'sent', attempts: 1 },
    ]);
    expect(await db.selectFrom('credit_reviews').select('review_date').execute()).toHaveLength(1);
  });
});
