/**
 * The invoice collection workflow on the time-skipping test server, with the real activities,
 * a real PostgreSQL and the real local SMTP server, following the default escalation policy and
 * the China business calendar.
 */
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities';
import { createTransport } from '../../activities/mailer';
import { type BusinessCalendar, CHINA_MAINLAND_CALENDAR, isWorkingDay, letterInstant } from '../../domain/calendar';
import { addDays, zonedInstant } from '../../domain/dates';
import type { Actor } from '../../domain/roles';
import { approveStepUpdate, collectionStatusQuery, paymentAppliedSignal } from '../../workflows/collection-messages';
import { DAY, TZ, collectionSuite } from '../support/collection-suite';
import { setBalance } from '../support/fixtures';
import { MAIL_FROM, testWorker } from '../support/workers';
import { localActivityTypes } from '../support/history';
import { ordinaryDueDate, weekdayOnOrAfter } from '../support/due-dates';

const suite = collectionSuite();
const finance: Actor = { name: 'fiona', role: 'finance' };
const contact = (local: string) => `${local}@${suite.customerCode.toLowerCase()}.test`;

const CAL = CHINA_MAINLAND_CALENDAR;
const sendAt = (date: string) => letterInstant(CAL, date, '09:30', TZ);
/**
 * The time-skipping server's sleep can return while the activity a timer woke is still writing: every read of
 * what a woken step wrote, right after a skip, waits for it.
 */
const POLL = { timeout: 10_000, interval: 100 };
const steps = (invoiceNo: string) => async () => (await suite.letters(invoiceNo)).map((l) => l.step);

describe('invoice collection on the time-skipping server', () => {
  it('sends the reminder, the due notice and the +1 day letter at 09:30 on working days, opens the call task, and stops at payment', async () => {
    const worker = await testWorker(suite.env.nativeConnection, suite.db, suite.smtpUrl, 'collection-1');
    // A Tuesday due date: the courtesy reminder 3 days before falls on a Saturday and moves to the next working day.
    const dueDate = ordinaryDueDate(addDays(await suite.today(), 10), 2, (due) => !isWorkingDay(CAL, addDays(due, -3)));
    const { invoiceNo, input } = await suite.newInvoice(dueDate);
    await worker.runUntil(async () => {
      const handle = await suite.start(input, 'collection-1');
      await suite.env.sleep(sendAt(addDays(dueDate, 1)) - (await suite.env.currentTimeMs()) + 3_600_000);
      await expect
        .poll(async () => (await suite.letters(invoiceNo)).filter((l) => l.status === 'sent').length, POLL)
        .toBe(3);
      const letters = await suite.letters(invoiceNo);
      expect(letters.map((l) => [l.step, l.status])).toEqual([
        ['pre_due', 'sent'],
        ['due', 'sent'],
        ['overdue_1', 'sent'],
      ]);
      const expected = [addDays(dueDate, -3), dueDate, addDays(dueDate, 1)].map(sendAt);
      expect(expected[0]).toBeGreaterThan(Date.parse(`${addDays(dueDate, -3)}T16:00:00Z`)); // not on the Saturday itself
      letters.forEach((letter, i) => expect(Math.abs(letter.decided_at.getTime() - expected[i])).toBeLessThan(60_000));
      expect(
        (await suite.tasks(invoiceNo)).map((t) => [t.step, t.occurrence, t.owner_role, t.owner_name, t.status]),
      ).toEqual([['call_weekly', 1, 'sales', 'Sally Sales', 'open']]);

      await setBalance(suite.db, invoiceNo, 0);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 0 });
      expect((await handle.result()).invoiceNo).toBe(invoiceNo);
    });
    expect((await suite.letters(invoiceNo)).length).toBe(3);
    const mail = await suite.mail(invoiceNo);
    expect(mail.map((m) => m.subject)).toEqual([
      `【温馨提示】发票 ${invoiceNo} 将于 ${formatZh(dueDate)} 到期`,
      `【到期通知】发票 ${invoiceNo} 今日（${formatZh(dueDate)}）到期`,
      `【付款提醒】发票 ${invoiceNo} 已逾期 1 天`,
    ]);
    expect(mail[2].envelope_to).toEqual([contact('payer'), contact('finance')]);
    expect(mail[0].body_text).toContain('¥10,000.00');
  });

  it('shows the reduced balance after a partial payment and sends nothing once paid in full', async () => {
    const worker = await testWorker(suite.env.nativeConnection, suite.db, suite.smtpUrl, 'collection-2');
    const dueDate = ordinaryDueDate(addDays(await suite.today(), 10), 3);
    const { invoiceNo, input } = await suite.newInvoice(dueDate, 1_000_000);
    await worker.runUntil(async () => {
      const handle = await suite.start(input, 'collection-2');
      await suite.env.sleep(sendAt(addDays(dueDate, -3)) - (await suite.env.currentTimeMs()) + 3_600_000);
      await expect.poll(steps(invoiceNo), POLL).toEqual(['pre_due']);
      await setBalance(suite.db, invoiceNo, 400_000);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 400_000 });
      await suite.env.sleep(sendAt(dueDate) - (await suite.env.currentTimeMs()) + 3_600_000);
      await expect.poll(steps(invoiceNo), POLL).toEqual(['pre_due', 'due']);
      const due = (await suite.letters(invoiceNo))[1];
      expect(due.step).toBe('due');
      expect(due.body_text).toContain('¥4,000.00');
      await setBalance(suite.db, invoiceNo, 0);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 0 });
      await handle.result();
      await suite.env.sleep(30 * DAY);
    });
    expect((await suite.letters(invoiceNo)).map((l) => l.step)).toEqual(['pre_due', 'due']);
    expect((await suite.mail(invoiceNo)).length).toBe(2);
    expect(await suite.tasks(invoiceNo)).toEqual([]);
  });

  it('starts an invoice entered 45 days overdue at the +30 step: one statement with interest, the customer on hold, the tasks that apply', async () => {
    const worker = await testWorker(suite.env.nativeConnection, suite.db, suite.smtpUrl, 'collection-3');
    const { invoiceNo, input } = await suite.newInvoice(addDays(await suite.today(), -45));
    await suite.db
      .updateTable('contracts')
      .set({ terms: JSON.stringify({ paymentMethod: 'bank transfer', lateInterestRatePercent: '18.25' }) })
      .where('no', '=', input.contractNo)
      .execute();
    const started = await suite.env.currentTimeMs();
    await worker.runUntil(async () => {
      await suite.start(input, 'collection-3');
      await suite.env.sleep(60_000);
    });
    const letters = await suite.letters(invoiceNo);
    expect(letters.map((l) => l.step)).toEqual(['statement_30']);
    expect(letters[0].decided_at.getTime() - started).toBeLessThan(60_000);
    // 10,000.00 at 18.25% a year is 5.00 a day: 45 days = 225.00
    expect(letters[0].body_text).toContain('¥225.00');
    expect(letters[0].body_text).toContain('¥10,225.00');
    expect((await suite.tasks(invoiceNo)).map((t) => t.step).sort()).toEqual([
      'call_weekly',
      'statement_30',
      'visit_monthly',
    ]);
    const customer = await suite.db
      .selectFrom('customers')
      .select(['credit_hold', 'credit_hold_reason'])
      .where('code', '=', suite.customerCode)
      .executeTakeFirstOrThrow();
    expect(customer.credit_hold).toBe(true);
    const timeline = await suite.db
      .selectFrom('timeline')
      .selectAll()
      .where('invoice_no', '=', invoiceNo)
      .where('action', '=', 'letter_sent')
      .execute();
    expect(timeline).toHaveLength(1);
    expect((timeline[0].details as { skippedSteps: string[] }).skippedSteps).toEqual(
      expect.arrayContaining(['pre_due#1', 'due#1', 'overdue_1#1', 'formal_reminder#1', 'formal_reminder#2']),
    );
  });

  it('holds the legal notice until finance approves it', async () => {
    const worker = await testWorker(suite.env.nativeConnection, suite.db, suite.smtpUrl, 'collection-4');
    const { invoiceNo, input } = await suite.newInvoice(addDays(await suite.today(), -88));
    await worker.runUntil(async () => {
      const handle = await suite.start(input, 'collection-4');
      await suite.env.sleep(60_000);
      await expect.poll(steps(invoiceNo), POLL).toEqual(['executive_60']);
      // The notice is due 90 days after the due date, moved past a holiday when it falls in one.
      await suite.env.sleep(sendAt(addDays(input.dueDate, 90)) - (await suite.env.currentTimeMs()) + 3_600_000);
      await expect
        .poll(async () => (await handle.query(collectionStatusQuery)).awaitingApproval, POLL)
        .toBe('legal_notice_90');
      expect((await suite.letters(invoiceNo)).map((l) => l.step)).toEqual(['executive_60']);
      const approvalTask = (await suite.tasks(invoiceNo)).find((t) => t.kind === 'approval');
      expect(approvalTask).toMatchObject({ step: 'legal_notice_90', owner_role: 'finance', status: 'open' });

      await expect(
        handle.executeUpdate(approveStepUpdate, {
          args: [{ actor: { name: 'sam', role: 'sales' }, step: 'legal_notice_90', approved: true, reason: 'go' }],
        }),
      ).rejects.toMatchObject({ cause: { message: expect.stringContaining('only finance') } });
      await handle.executeUpdate(approveStepUpdate, {
        args: [{ actor: finance, step: 'legal_notice_90', approved: true, reason: 'no answer for 90 days' }],
      });
      await suite.env.sleep(60_000);
      await expect.poll(steps(invoiceNo), POLL).toEqual(['executive_60', 'legal_notice_90']);
      await setBalance(suite.db, invoiceNo, 0);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 0 });
      await handle.result();
    });
    const mail = await suite.mail(invoiceNo);
    expect(mail[0].envelope_to).toEqual([contact('director'), contact('payer'), 'fiona@huikuan.test']);
    expect(mail[0].body_text).toContain('Eve Exec');
    expect(mail[1].envelope_to).toEqual(
      expect.arrayContaining([contact('director'), contact('payer'), contact('finance')]),
    );
    expect((await suite.tasks(invoiceNo)).find((t) => t.kind === 'approval')?.status).toBe('done');
  });

  it('sends each letter once across a worker restart and an activity retried after the mail went out', async () => {
    const dueDate = ordinaryDueDate(addDays(await suite.today(), 10), 3);
    const { invoiceNo, input } = await suite.newInvoice(dueDate);
    const real = createActivities({
      db: suite.db,
      sendTime: '09:30',
      mail: { transport: createTransport(suite.smtpUrl), from: MAIL_FROM, companyName: 'Huikuan Test Co.' },
    });
    // No sticky cache: the test server holds virtual time while a task waits on a stopped worker's sticky queue.
    const workerWith = (activities: typeof real) =>
      Worker.create({
        connection: suite.env.nativeConnection,
        taskQueue: 'collection-5',
        workflowBundle: { codePath: inject('workflowBundlePath') },
        activities,
        maxCachedWorkflows: 0,
      });
    const first = await workerWith(real);
    let workflowId = '';
    await first.runUntil(async () => {
      workflowId = (await suite.start(input, 'collection-5')).workflowId;
      await suite.env.sleep(sendAt(addDays(dueDate, -3)) - (await suite.env.currentTimeMs()) + 3_600_000);
    });
    expect((await suite.letters(invoiceNo)).map((l) => l.step)).toEqual(['pre_due']);

    // The restarted worker loses the acknowledgement of the due-date send once, so Temporal retries it.
    let lostAcks = 0;
    const second = await workerWith({
      ...real,
      performStep: async (request) => {
        const result = await real.performStep(request);
        if (request.step.key === 'due' && lostAcks === 0) {
          lostAcks += 1;
          throw new Error('worker crashed before reporting the send');
        }
        return result;
      },
    });
    await second.runUntil(async () => {
      await suite.env.sleep(sendAt(addDays(dueDate, 1)) - (await suite.env.currentTimeMs()) + 3_600_000);
      await setBalance(suite.db, invoiceNo, 0);
      const handle = suite.env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 0 });
      await handle.result();
    });
    expect(lostAcks).toBe(1);
    const letters = await suite.letters(invoiceNo);
    expect(letters.map((l) => [l.step, l.status, l.attempts])).toEqual([
      ['pre_due', 'sent', 1],
      ['due', 'sent', 1],
      ['overdue_1', 'sent', 1],
    ]);
    const mail = await suite.mail(invoiceNo);
    expect(mail.map((m) => m.message_id)).toEqual(letters.map((l) => l.message_id));
    expect((await suite.tasks(invoiceNo)).map((t) => t.step)).toEqual(['call_weekly']);
  });

  it("decides a timer's wake with the calendar it kept, and the step finds a day made a holiday meanwhile", async () => {
    const worker = await testWorker(suite.env.nativeConnection, suite.db, suite.smtpUrl, 'collection-6');
    // A Friday due date: the courtesy reminder of a progress milestone falls on the Tuesday before.
    const dueDate = weekdayOnOrAfter(addDays(await suite.today(), 10), 5);
    const tuesday = addDays(dueDate, -3);
    const { invoiceNo, input } = await suite.newInvoice(dueDate);
    const calendar: BusinessCalendar = {
      id: `weekends-${invoiceNo}`,
      name: 'weekends only',
      weekendDays: [0, 6],
      holidays: [],
      makeUpWorkdays: [],
    };
    const saveCalendar = (definition: BusinessCalendar) =>
      suite.db
        .insertInto('calendars')
        .values({ id: definition.id, definition: JSON.stringify(definition), updated_by: 'test' })
        .onConflict((oc) => oc.column('id').doUpdateSet({ definition: JSON.stringify(definition) }))
        .execute();
    await saveCalendar(calendar);
    await suite.db
      .updateTable('customers')
      .set({ calendar_id: calendar.id })
      .where('code', '=', suite.customerCode)
      .execute();
    await worker.runUntil(async () => {
      // Started as the import starts it: with the calendar, so its first decision needs no read of its own.
      const handle = await suite.start({ ...input, calendar }, 'collection-6');
      await suite.env.sleep(60_000);
      // Asleep until Tuesday 09:30 by the calendar it kept; an admin then makes that Tuesday a holiday.
      await saveCalendar({ ...calendar, holidays: [{ date: tuesday, name: 'declared holiday' }] });
      await suite.env.sleep(zonedInstant(tuesday, '23:00', TZ) - (await suite.env.currentTimeMs()));
      expect(await suite.letters(invoiceNo)).toEqual([]);
      await suite.env.sleep(zonedInstant(addDays(tuesday, 1), '12:00', TZ) - (await suite.env.currentTimeMs()));
      await expect.poll(steps(invoiceNo), POLL).toEqual(['pre_due']);
      const [reminder] = await suite.letters(invoiceNo);
      const wednesday = letterInstant(calendar, addDays(tuesday, 1), '09:30', TZ);
      expect(Math.abs(reminder.decided_at.getTime() - wednesday)).toBeLessThan(60_000);

      // Only timers woke it: no local activity of its own read the calendar; the step checked it.
      expect(localActivityTypes(await handle.fetchHistory())).toEqual(['performStep', 'performStep']);
      await suite.recordHistory(handle.workflowId, 'invoice-calendar-kept');
    });
  });
});

function formatZh(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}
