/**
 * The policy simulator and a real collection workflow, given the same invoice and the same facts at
 * the same instants, produce the same letters and tasks at the same times.
 */
import { describe, expect, it } from 'vitest';
import { addDays } from '../../domain/dates';
import { DEFAULT_POLICY } from '../../domain/policy';
import type { Actor } from '../../domain/roles';
import { type SimulationEvent, simulateInvoice } from '../../domain/simulate';
import {
  openDisputeUpdate,
  paymentAppliedSignal,
  recordPromiseUpdate,
  resolveDisputeUpdate,
} from '../../workflows/collection-messages';
import { DAY, EVERY_DAY_CALENDAR, TZ, collectionSuite } from '../support/collection-suite';
import { setBalance } from '../support/fixtures';
import { testWorker } from '../support/workers';

const suite = collectionSuite({ calendar: EVERY_DAY_CALENDAR });
const sales: Actor = { name: 'sally', role: 'sales' };

describe('policy simulation', () => {
  it('agrees with a time-skipping workflow run on letters, tasks and their times', async () => {
    const worker = await testWorker(suite.env.nativeConnection, suite.db, suite.smtpUrl, 'simulation');
    const { invoiceNo, input, dueDate } = await suite.newInvoice(addDays(await suite.today(), -2), 1_000_000);
    const events: SimulationEvent[] = [];
    const startAt = await suite.env.currentTimeMs();
    await worker.runUntil(async () => {
      const handle = await suite.start(input, 'simulation');
      await suite.env.sleep(DAY);
      events.push({ at: await suite.env.currentTimeMs(), kind: 'dispute_opened' });
      await handle.executeUpdate(openDisputeUpdate, { args: [{ actor: sales, reason: 'service' }] });
      await suite.env.sleep(12 * DAY);
      events.push({ at: await suite.env.currentTimeMs(), kind: 'dispute_resolved' });
      await handle.executeUpdate(resolveDisputeUpdate, {
        args: [{ actor: sales, outcome: 'rejected', creditMinor: 0, note: 'service met the contract' }],
      });
      await suite.env.sleep(DAY);
      const promisedDate = addDays(await suite.today(), 3);
      events.push({ at: await suite.env.currentTimeMs(), kind: 'promise', promisedDate, amountMinor: 500_000 });
      await handle.executeUpdate(recordPromiseUpdate, {
        args: [{ actor: sales, promisedDate, amountMinor: 500_000, contact: 'Pat Payer' }],
      });
      await suite.env.sleep(DAY);
      events.push({ at: await suite.env.currentTimeMs(), kind: 'payment', amountMinor: 200_000 });
      await setBalance(suite.db, invoiceNo, 800_000);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 800_000 });
      await suite.env.sleep(30 * DAY);
      events.push({ at: await suite.env.currentTimeMs(), kind: 'payment', amountMinor: 800_000 });
      await setBalance(suite.db, invoiceNo, 0);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 0 });
      await handle.result();
    });

    const simulated = simulateInvoice(
      { invoiceNo, dueDate, milestoneKind: 'progress', amountMinor: 1_000_000, timeZone: TZ, startAt, events },
      {
        policy: DEFAULT_POLICY,
        calendar: EVERY_DAY_CALENDAR,
        sendTime: '09:30',
        until: Number.MAX_SAFE_INTEGER,
        approveGatedSteps: true,
      },
    );
    const simulatedLetters = simulated
      .filter((a) => a.kind === 'letter')
      .map((a) => ({ step: a.step, occurrence: a.occurrence, at: a.at }));
    const simulatedTasks = simulated
      .filter((a) => a.kind === 'task')
      .map((a) => ({ step: a.step, occurrence: a.occurrence }));
    const letters = (await suite.letters(invoiceNo)).map((l) => ({
      step: l.step,
      occurrence: l.occurrence,
      at: l.decided_at.getTime(),
    }));
    const tasks = (await suite.tasks(invoiceNo))
      .filter((t) => t.kind === 'collection')
      .map((t) => ({ step: t.step, occurrence: t.occurrence }));

    expect(simulatedLetters.length).toBeGreaterThanOrEqual(3);
    expect(letters.map(({ step, occurrence }) => ({ step, occurrence }))).toEqual(
      simulatedLetters.map(({ step, occurrence }) => ({ step, occurrence })),
    );
    letters.forEach((letter, i) =>
      expect(Math.abs(letter.at - simulatedLetters[i].at), `${letter.step}#${letter.occurrence}`).toBeLessThan(5_000),
    );
    expect(tasks).toEqual(simulatedTasks);
    expect(
      simulated.filter((a) => ['dispute_escalated', 'promise_broken', 'paid'].includes(a.kind)).map((a) => a.kind),
    ).toEqual(['dispute_escalated', 'promise_broken', 'paid']);
  });
});
