/**
 * How the contract workflow's records reach PostgreSQL: an event that only changes the contract's row and
 * its milestones' statuses is written in one statement, all of it or none of it, and once however often it
 * is replayed; a transition's wait plans are read beside its writes and equal the plans read one by one.
 */
import { describe, expect, it } from 'vitest';
import { recordContractEvent, recordTransition } from '../../activities/contract-records';
import { planStageWait } from '../../activities/stage-deadlines';
import type { ContractEvent } from '../../activities/types';
import type { Db } from '../../db/connect';
import { insertContract, insertCustomerC1, useTestDatabase } from '../support/database';

const T0 = Date.parse('2026-03-02T02:00:00Z');
const dee = { name: 'dee', role: 'delivery' as const };

let db: Db;
useTestDatabase(async (created) => {
  db = created;
  await insertCustomerC1(db);
});

async function addDeliveringContract(no: string): Promise<void> {
  await insertContract(db, no, { stage: 'Delivery', details: '{"budgetMinor":900000}', escalation_level: 1 });
  await db
    .insertInto('milestones')
    .values({
      contract_no: no,
      seq: 1,
      kind: 'final',
      amount_minor: 1_000_000,
      trigger: '{"type":"on_delivery"}',
      term_days: 30,
      status: 'pending',
    })
    .execute();
}

/** A delivery: the stage moves to acceptance and the milestone it triggers becomes ready. */
const delivery = (no: string, details: Record<string, unknown> = { deliveredOn: '2026-03-02' }): ContractEvent => ({
  contractNo: no,
  seq: 7,
  at: T0,
  actor: dee,
  action: 'deliver',
  fromStage: 'Delivery',
  toStage: 'Acceptance',
  details: { request: { action: 'deliver' } },
  changes: { stage: 'Acceptance', details, milestoneStatus: [{ seq: 1, status: 'ready', readyOn: '2026-03-02' }] },
});

async function stateOf(no: string) {
  const contract = await db
    .selectFrom('contracts')
    .select(['stage', 'stage_changed_at', 'escalation_level', 'details'])
    .where('no', '=', no)
    .executeTakeFirstOrThrow();
  const milestone = await db
    .selectFrom('milestones')
    .select(['status', 'ready_on'])
    .where('contract_no', '=', no)
    .executeTakeFirstOrThrow();
  const timeline = await db
    .selectFrom('timeline')
    .select(['event_key', 'action', 'from_stage', 'to_stage'])
    .where('contract_no', '=', no)
    .execute();
  return { contract, milestone, timeline };
}

describe('contract records', () => {
  it('writes an event once: a replay after later changes neither adds an entry nor undoes them', async () => {
    await addDeliveringContract('R1');
    await recordContractEvent(db, delivery('R1'));
    const written = await stateOf('R1');
    expect(written.contract).toMatchObject({
      stage: 'Acceptance',
      stage_changed_at: new Date(T0),
      escalation_level: 0,
      details: { budgetMinor: 900000, deliveredOn: '2026-03-02' },
    });
    expect(written.milestone).toEqual({ status: 'ready', ready_on: '2026-03-02' });
    expect(written.timeline).toEqual([
      { event_key: 'contract/R1/7', action: 'deliver', from_stage: 'Delivery', to_stage: 'Acceptance' },
    ]);

    // Later the acceptance escalates and the invoice is paid; a late replay of the delivery changes nothing.
    await db.updateTable('contracts').set({ escalation_level: 2 }).where('no', '=', 'R1').execute();
    await db.updateTable('milestones').set({ status: 'paid' }).where('contract_no', '=', 'R1').execute();
    await recordContractEvent(db, delivery('R1', { deliveredOn: '2026-03-09' }));
    const replayed = await stateOf('R1');
    expect(replayed.contract).toMatchObject({ escalation_level: 2, details: { deliveredOn: '2026-03-02' } });
    expect(replayed.milestone.status).toBe('paid');
    expect(replayed.timeline).toHaveLength(1);
  });

  it('writes all of an event or none of it', async () => {
    await addDeliveringContract('R2');
    // jsonb refuses a lone surrogate: the timeline entry fails, and with it the stage and the milestone.
    const broken = { ...delivery('R2'), details: { note: '\ud800' } };
    await expect(recordContractEvent(db, broken)).rejects.toThrow();
    const after = await stateOf('R2');
    expect(after.contract).toMatchObject({ stage: 'Delivery', escalation_level: 1 });
    expect(after.milestone.status).toBe('pending');
    expect(after.timeline).toEqual([]);
  });

  it("reads a transition's wait plans beside its writes, equal to the plans read one by one", async () => {
    await addDeliveringContract('R3');
    const waits = [
      { contractNo: 'R3', wait: 'acceptance' as const, began: '2026-03-02', planned: {} },
      { contractNo: 'R3', wait: 'invoicing' as const, began: '2026-03-02', planned: {} },
    ];
    const plans = await recordTransition(db, '09:30', { events: [delivery('R3')], waits });
    expect(plans).toEqual([await planStageWait(db, '09:30', waits[0]), await planStageWait(db, '09:30', waits[1])]);
    expect(plans[0].levels.length).toBeGreaterThan(0);
    expect((await stateOf('R3')).contract.stage).toBe('Acceptance');
  });
});
