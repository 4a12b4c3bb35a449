/**
 * What pauses and ends a collection: disputes, promises to pay and write-offs, on the time-skipping
 * server with the real activities. The calendar here has no weekends, so step dates do not depend on
 * the day the test runs (the business calendar has its own tests).
 */
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities';
import { createTransport } from '../../activities/mailer';
import { addDays } from '../../domain/dates';
import type { Actor } from '../../domain/roles';
import {
  collectionStatusQuery,
  decideWriteOffUpdate,
  settleInterestUpdate,
  openDisputeUpdate,
  paymentAppliedSignal,
  recordPromiseUpdate,
  requestWriteOffUpdate,
  resolveDisputeUpdate,
} from '../../workflows/collection-messages';
import { DAY, EVERY_DAY_CALENDAR, collectionSuite } from '../support/collection-suite';
import { setBalance } from '../support/fixtures';
import { MAIL_FROM, testWorker } from '../support/workers';

const suite = collectionSuite({ calendar: EVERY_DAY_CALENDAR });
const finance: Actor = { name: 'fiona', role: 'finance' };

describe('disputes, promises and write-offs', () => {
  it('pauses letters for a dispute, routes it, escalates it past its deadline, and resumes with one letter after resolution', async () => {
    const worker = await testWorker(suite.env.nativeConnection, suite.db, suite.smtpUrl, 'collection-6');
    const { invoiceNo, input } = await suite.newInvoice(addDays(await suite.today(), -2));
    const sales: Actor = { name: 'sally', role: 'sales' };
    await worker.runUntil(async () => {
      const handle = await suite.start(input, 'collection-6');
      await suite.env.sleep(60_000);
      expect((await suite.letters(invoiceNo)).map((l) => l.step)).toEqual(['overdue_1']);
      await handle.executeUpdate(openDisputeUpdate, {
        args: [{ actor: sales, reason: 'quality', note: 'screens flicker' }],
      });
      await expect(
        handle.executeUpdate(openDisputeUpdate, { args: [{ actor: sales, reason: 'price' }] }),
      ).rejects.toMatchObject({ cause: { message: expect.stringContaining('still open') } });
      expect((await handle.query(collectionStatusQuery)).pausedBy).toBe('dispute');
      // 25 days in dispute: the +10 and +20 formal reminders do not go out; the 10-day deadline escalates it.
      await suite.env.sleep(25 * DAY);
      expect((await suite.letters(invoiceNo)).map((l) => l.step)).toEqual(['overdue_1']);
      const dispute = await suite.db
        .selectFrom('disputes')
        .selectAll()
        .where('invoice_no', '=', invoiceNo)
        .executeTakeFirstOrThrow();
      expect(dispute).toMatchObject({ reason: 'quality', routed_to: 'delivery', status: 'open' });
      expect(dispute.escalated_at).not.toBeNull();
      const disputeTasks = (await suite.tasks(invoiceNo)).filter((t) => t.kind.startsWith('dispute'));
      expect(disputeTasks.map((t) => [t.kind, t.owner_role, t.owner_name])).toEqual([
        ['dispute', 'delivery', 'Dee Delivery'],
        ['dispute_escalation', 'executive', 'Eve Exec'],
      ]);

      await handle.executeUpdate(resolveDisputeUpdate, {
        args: [{ actor: sales, outcome: 'accepted', creditMinor: 100_000, note: 'credit note CN-1 for the flicker' }],
      });
      await suite.env.sleep(60_000);
      const letters = await suite.letters(invoiceNo);
      // one letter, the rung that applies at day 27 (the +20 formal reminder), with the credited balance
      expect(letters.map((l) => [l.step, l.occurrence])).toEqual([
        ['overdue_1', 1],
        ['formal_reminder', 2],
      ]);
      expect(letters[1].body_text).toContain('¥9,000.00');
      await suite.recordHistory(handle.workflowId, 'invoice-dispute');
    });
  });

  it('stays paused until the credit note of a resolution is written, so the letter that follows shows the credited balance', async () => {
    // Recording the resolution is made slow on purpose: a letter decided before it is written would show the old balance.
    const real = createActivities({
      db: suite.db,
      sendTime: '09:30',
      mail: {
        transport: createTransport(suite.smtpUrl, 20_000),
        from: MAIL_FROM,
        companyName: 'Huikuan Test Co.',
        claimMs: 60_000,
      },
    });
    const activities = {
      ...real,
      async recordDisputeResolved(resolution: Parameters<typeof real.recordDisputeResolved>[0]) {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        return real.recordDisputeResolved(resolution);
      },
    };
    const worker = await Worker.create({
      connection: suite.env.nativeConnection,
      taskQueue: 'collection-6-slow',
      activities,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    const { invoiceNo, input } = await suite.newInvoice(addDays(await suite.today(), -2));
    const sales: Actor = { name: 'sally', role: 'sales' };
    await worker.runUntil(async () => {
      const handle = await suite.start(input, 'collection-6-slow');
      await suite.env.sleep(60_000);
      await handle.executeUpdate(openDisputeUpdate, { args: [{ actor: sales, reason: 'price' }] });
      await suite.env.sleep(25 * DAY);
      const resolving = handle.executeUpdate(resolveDisputeUpdate, {
        args: [{ actor: sales, outcome: 'accepted', creditMinor: 250_000, note: 'price corrected' }],
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      await expect(
        handle.executeUpdate(resolveDisputeUpdate, {
          args: [{ actor: sales, outcome: 'accepted', creditMinor: 0, note: 'again' }],
        }),
      ).rejects.toMatchObject({ cause: { message: expect.stringContaining('being resolved') } });
      expect((await suite.letters(invoiceNo)).map((l) => l.step)).toEqual(['overdue_1']);
      await resolving;
      await suite.env.sleep(60_000);
      const letters = await suite.letters(invoiceNo);
      expect(letters.map((l) => [l.step, l.occurrence])).toEqual([
        ['overdue_1', 1],
        ['formal_reminder', 2],
      ]);
      expect(letters[1].body_text).toContain('¥7,500.00');
    });
  });

  it('pauses for a promise to pay, records it kept when the money comes, and escalates one rung at once when one is broken', async () => {
    const worker = await testWorker(suite.env.nativeConnection, suite.db, suite.smtpUrl, 'collection-7');
    await suite.skipToNoon();
    const { invoiceNo, input, dueDate } = await suite.newInvoice(addDays(await suite.today(), -2));
    const sales: Actor = { name: 'sally', role: 'sales' };
    await worker.runUntil(async () => {
      const handle = await suite.start(input, 'collection-7');
      await suite.env.sleep(60_000);
      await handle.executeUpdate(recordPromiseUpdate, {
        args: [
          { actor: sales, promisedDate: addDays(await suite.today(), 5), amountMinor: 300_000, contact: 'Pat Payer' },
        ],
      });
      await suite.env.sleep(DAY);
      await setBalance(suite.db, invoiceNo, 700_000);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 700_000 });
      await suite.env.sleep(60_000);
      expect(
        (await suite.db.selectFrom('promises').select('status').where('invoice_no', '=', invoiceNo).execute()).map(
          (p) => p.status,
        ),
      ).toEqual(['kept']);

      // Second promise, broken: after the promised date + 3 days of grace the next rung goes out at once.
      await handle.executeUpdate(recordPromiseUpdate, {
        args: [
          { actor: sales, promisedDate: addDays(await suite.today(), 2), amountMinor: 700_000, contact: 'Pat Payer' },
        ],
      });
      await suite.env.sleep(7 * DAY);
      const promises = await suite.db
        .selectFrom('promises')
        .select(['status'])
        .where('invoice_no', '=', invoiceNo)
        .orderBy('recorded_at')
        .execute();
      expect(promises.map((p) => p.status)).toEqual(['kept', 'broken']);
      const customer = await suite.db
        .selectFrom('customers')
        .select('broken_promises')
        .where('code', '=', suite.customerCode)
        .executeTakeFirstOrThrow();
      expect(customer.broken_promises).toBe(1);
      await suite.recordHistory(handle.workflowId, 'invoice-promises');
    });
    const letters = await suite.letters(invoiceNo);
    // day 2: overdue_1; the broken promise (promised day 5, grace 3 days, so broken at the start of day 9) climbs one rung at once: the formal reminder
    expect(letters.map((l) => [l.step, l.occurrence])).toEqual([
      ['overdue_1', 1],
      ['formal_reminder', 1],
    ]);
    expect(letters[1].decided_at.getTime()).toBeLessThan(Date.parse(`${addDays(dueDate, 10)}T00:00:00+08:00`));
    expect(letters[1].body_text).toContain('¥7,000.00');
  });

  it('writes an invoice off only with an executive other than the finance person who asked', async () => {
    const worker = await testWorker(suite.env.nativeConnection, suite.db, suite.smtpUrl, 'collection-8');
    const { invoiceNo, input } = await suite.newInvoice(addDays(await suite.today(), -200));
    const exec: Actor = { name: 'eve', role: 'executive' };
    await worker.runUntil(async () => {
      const handle = await suite.start(input, 'collection-8');
      await suite.env.sleep(60_000);
      await expect(
        handle.executeUpdate(requestWriteOffUpdate, { args: [{ actor: exec, reason: 'bankrupt' }] }),
      ).rejects.toMatchObject({ cause: { message: expect.stringContaining('only finance') } });
      await handle.executeUpdate(requestWriteOffUpdate, {
        args: [{ actor: finance, reason: 'customer insolvent, liquidator confirms no dividend' }],
      });
      await expect(
        handle.executeUpdate(decideWriteOffUpdate, {
          args: [{ actor: { name: 'fiona', role: 'executive' }, approved: true, reason: 'ok' }],
        }),
      ).rejects.toMatchObject({ cause: { message: expect.stringContaining('someone other') } });
      await handle.executeUpdate(decideWriteOffUpdate, {
        args: [{ actor: exec, approved: true, reason: 'approved at the credit committee' }],
      });
      expect(await handle.result()).toMatchObject({ invoiceNo, outcome: 'written_off' });
      await suite.recordHistory(handle.workflowId, 'invoice-write-off');
    });
    const invoice = await suite.db
      .selectFrom('invoices')
      .select(['status', 'write_off_reason'])
      .where('no', '=', invoiceNo)
      .executeTakeFirstOrThrow();
    expect(invoice).toEqual({
      status: 'written_off',
      write_off_reason: 'customer insolvent, liquidator confirms no dividend',
    });
    const timeline = await suite.db
      .selectFrom('timeline')
      .select(['action', 'actor_name'])
      .where('invoice_no', '=', invoiceNo)
      .where('action', 'in', ['write_off_requested', 'write_off_rejected', 'written_off'])
      .orderBy('id')
      .execute();
    expect(timeline).toEqual([
      { action: 'write_off_requested', actor_name: 'fiona' },
      { action: 'written_off', actor_name: 'eve' },
    ]);
    expect((await suite.tasks(invoiceNo)).filter((t) => t.status === 'open')).toEqual([]);
  });
});

describe('long collections', () => {
  it('continues as new with its state, and goes on without repeating a step', async () => {
    const worker = await testWorker(suite.env.nativeConnection, suite.db, suite.smtpUrl, 'collection-long');
    const { invoiceNo, input } = await suite.newInvoice(addDays(await suite.today(), -2));
    const runs = new Set<string>();
    await worker.runUntil(async () => {
      const handle = await suite.start({ ...input, decisionsPerRun: 3 }, 'collection-long');
      for (let week = 0; week < 6; week++) {
        await suite.env.sleep(7 * DAY);
        runs.add((await handle.describe()).runId);
      }
      await suite.recordHistory(handle.workflowId, 'invoice-continued');
    });
    expect(runs.size).toBeGreaterThan(2);
    const tasks = await suite.tasks(invoiceNo);
    const calls = tasks.filter((t) => t.step === 'call_weekly').map((t) => t.occurrence);
    // due 2 days ago, then 6 weeks: weekly calls on days 1, 8, 15, 22, 29, 36, 43 — each once
    expect(calls).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const letters = (await suite.letters(invoiceNo)).map((l) => `${l.step}#${l.occurrence}`);
    expect(letters).toEqual(['overdue_1#1', 'formal_reminder#1', 'formal_reminder#2', 'statement_30#1']);
  });

  it('treats an invoice paid to within the policy tolerance as paid', async () => {
    const worker = await testWorker(suite.env.nativeConnection, suite.db, suite.smtpUrl, 'collection-tolerance');
    const { invoiceNo, input } = await suite.newInvoice(addDays(await suite.today(), -2));
    await worker.runUntil(async () => {
      const handle = await suite.start(
        { ...input, policy: { ...input.policy, paidToleranceMinor: 500 } },
        'collection-tolerance',
      );
      await suite.env.sleep(60_000);
      await handle.executeUpdate(openDisputeUpdate, {
        args: [{ actor: { name: 'sally', role: 'sales' }, reason: 'price' }],
      });
      await setBalance(suite.db, invoiceNo, 499);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 499 });
      expect(await handle.result()).toMatchObject({ outcome: 'paid' });
    });
    expect((await suite.letters(invoiceNo)).map((l) => l.step)).toEqual(['overdue_1']);
    // paid while disputed: nothing stays open behind the finished collection
    expect(
      await suite.db.selectFrom('disputes').select(['status', 'outcome']).where('invoice_no', '=', invoiceNo).execute(),
    ).toEqual([{ status: 'closed', outcome: 'paid' }]);
  });
});

describe('reopened by a reversal', () => {
  it('goes back to the ladder when a reversal reopens an invoice that waited only for its late interest, and assesses the interest again', async () => {
    const worker = await testWorker(suite.env.nativeConnection, suite.db, suite.smtpUrl, 'collection-10');
    const { invoiceNo, input } = await suite.newInvoice(addDays(await suite.today(), -12));
    await suite.db
      .updateTable('contracts')
      .set({ terms: JSON.stringify({ paymentMethod: 'bank transfer', lateInterestRatePercent: '18.25' }) })
      .where('no', '=', input.contractNo)
      .execute();
    await worker.runUntil(async () => {
      const handle = await suite.start(input, 'collection-10');
      await suite.env.sleep(60_000);
      await setBalance(suite.db, invoiceNo, 0);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 0 });
      await suite.env.sleep(60_000);
      const firstInterest = (await handle.query(collectionStatusQuery)).interestOpenMinor!;
      expect(firstInterest).toBeGreaterThan(0);

      // What POST /allocations/:id/reverse does to the facts, then tells the workflow.
      await setBalance(suite.db, invoiceNo, 1_000_000);
      await suite.db
        .updateTable('invoices')
        .set({ interest_minor: null, interest_status: null })
        .where('no', '=', invoiceNo)
        .execute();
      await handle.signal(paymentAppliedSignal, { balanceMinor: 1_000_000 });
      await suite.env.sleep(10 * DAY);
      const reopened = await handle.query(collectionStatusQuery);
      expect(reopened.balanceMinor).toBe(1_000_000);
      expect(reopened.interestOpenMinor).toBeUndefined();
      // Overdue 22 days now: the +20 formal reminder goes out, on the ladder again.
      expect((await suite.letters(invoiceNo)).map((l) => [l.step, l.occurrence])).toEqual([
        ['formal_reminder', 1],
        ['formal_reminder', 2],
      ]);

      await setBalance(suite.db, invoiceNo, 0);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 0 });
      await suite.env.sleep(60_000);
      expect((await handle.query(collectionStatusQuery)).interestOpenMinor).toBeGreaterThan(firstInterest);
      await handle.executeUpdate(settleInterestUpdate, {
        args: [{ actor: finance, outcome: 'waived', reason: 'goodwill after the bounced cheque' }],
      });
      expect(await handle.result()).toMatchObject({ outcome: 'paid' });
      await suite.recordHistory(handle.workflowId, 'invoice-reopened');
    });
  });

  it('accepts finance settling the interest right after the payment, before the workflow has assessed it, and waits for the assessment', async () => {
    const worker = await testWorker(suite.env.nativeConnection, suite.db, suite.smtpUrl, 'collection-11');
    const { invoiceNo, input } = await suite.newInvoice(addDays(await suite.today(), -12));
    await suite.db
      .updateTable('contracts')
      .set({ terms: JSON.stringify({ paymentMethod: 'bank transfer', lateInterestRatePercent: '18.25' }) })
      .where('no', '=', input.contractNo)
      .execute();
    await worker.runUntil(async () => {
      const handle = await suite.start(input, 'collection-11');
      await suite.env.sleep(60_000);
      await setBalance(suite.db, invoiceNo, 0);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 0 });
      const settled = await handle.executeUpdate(settleInterestUpdate, {
        args: [{ actor: finance, outcome: 'collected', reason: 'receipt R-1' }],
      });
      expect(settled.interestOpenMinor).toBeUndefined();
      expect(await handle.result()).toMatchObject({ outcome: 'paid' });
    });
    const invoice = await suite.db
      .selectFrom('invoices')
      .select(['interest_minor', 'interest_status'])
      .where('no', '=', invoiceNo)
      .executeTakeFirstOrThrow();
    expect(invoice.interest_status).toBe('collected');
    expect(invoice.interest_minor).toBeGreaterThan(0);
  });
});
