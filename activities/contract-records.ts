import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { appendTimeline } from '../db/timeline';
import { localDateOf } from '../domain/dates';
import { SYSTEM_ACTOR } from '../domain/roles';
import type { Stage } from '../domain/stages';
import { reevaluateCreditHold } from '../services/credit-holds';
import { freezeFinalAccount } from '../services/costs';
import type { SendTime } from '../domain/collection';
import type { StageWaitPlan, StageWaitRequest } from '../domain/stage-policy';
import { planStageWait } from './stage-deadlines';
import type { ContractEvent } from './types';

/** Stages entered when a contract starts or stops counting as approved-but-unbilled exposure. */
const EXPOSURE_CHANGES: readonly Stage[] = ['SolutionReview', 'Cancelled', 'Closed'];

/** Writes a contract's change and its timeline entry in one transaction; replays of the same event are no-ops. */
export async function recordContractEvent(db: Db, event: ContractEvent): Promise<void> {
  await db.transaction().execute((trx) => writeContractEvent(trx, event));
}

/** What one transition leaves behind: its events (the move, and the milestones it made ready) and the waits it opened. */
export interface TransitionRecord {
  events: ContractEvent[];
  waits: StageWaitRequest[];
}

/**
 * A transition's events written in one transaction, and the plans of the waits it opened read in it:
 * one local activity per transition, so the update answers after one round trip to the database.
 */
export async function recordTransition(
  db: Db,
  sendTime: SendTime,
  { events, waits }: TransitionRecord,
): Promise<StageWaitPlan[]> {
  return db.transaction().execute(async (trx) => {
    for (const event of events) await writeContractEvent(trx, event);
    const plans: StageWaitPlan[] = [];
    for (const wait of waits) plans.push(await planStageWait(trx, sendTime, wait));
    return plans;
  });
}

async function writeContractEvent(trx: Db, event: ContractEvent): Promise<void> {
  const eventKey = `contract/${event.contractNo}/${event.seq}`;
  const already = await trx.selectFrom('timeline').select('id').where('event_key', '=', eventKey).executeTakeFirst();
  if (already) return;
  const { changes = {} } = event;
  const at = new Date(event.at);
  const update: Record<string, unknown> = {};
  if (changes.stage)
    Object.assign(update, { stage: changes.stage, stage_changed_at: at, escalation_level: 0, escalated_at: null });
  if (changes.terms) update.terms = JSON.stringify(changes.terms);
  if (changes.owners)
    Object.assign(update, { owners: JSON.stringify(changes.owners), account_owner: changes.owners.account ?? null });
  if (changes.closeReason) update.close_reason = changes.closeReason;
  if (changes.details) update.details = sql`details || ${JSON.stringify(changes.details)}::jsonb`;
  if (Object.keys(update).length > 0) {
    await trx.updateTable('contracts').set(update).where('no', '=', event.contractNo).execute();
  }
  if (changes.newMilestones?.length) {
    await trx
      .insertInto('milestones')
      .values(
        changes.newMilestones.map((m) => ({
          contract_no: event.contractNo,
          seq: m.seq,
          kind: m.kind,
          amount_minor: m.amountMinor,
          trigger: JSON.stringify(m.trigger),
          term_days: m.termDays,
          status: 'pending',
        })),
      )
      .execute();
  }
  for (const change of changes.milestoneStatus ?? []) {
    await trx
      .updateTable('milestones')
      .set({ status: change.status, ...(change.readyOn ? { ready_on: change.readyOn } : {}) })
      .where('contract_no', '=', event.contractNo)
      .where('seq', '=', change.seq)
      .execute();
  }
  // The final account (决算) is frozen with the close, after the stage is written: a cost waits for the
  // contract's row and is then refused. Its timeline entry comes just before the close's.
  if (event.action === 'close') await freezeFinalAccount(trx, event.contractNo, at, `${eventKey}/final-account`);
  await appendTimeline(trx, {
    eventKey,
    contractNo: event.contractNo,
    at,
    actor: event.actor,
    action: event.action,
    fromStage: event.fromStage,
    toStage: event.toStage,
    reason: event.reason,
    details: event.details,
  });
  if (changes.stage && EXPOSURE_CHANGES.includes(changes.stage)) await reevaluateExposure(trx, event.contractNo, at);
}

/** Approval adds the contract to the customer's exposure (cancel and close take it away): the hold may change. */
async function reevaluateExposure(trx: Db, contractNo: string, at: Date): Promise<void> {
  const { customer_code, time_zone } = await trx
    .selectFrom('contracts')
    .innerJoin('customers', 'customers.code', 'contracts.customer_code')
    .select(['contracts.customer_code', 'customers.time_zone'])
    .where('contracts.no', '=', contractNo)
    .executeTakeFirstOrThrow();
  await reevaluateCreditHold(trx, customer_code, localDateOf(at.getTime(), time_zone), SYSTEM_ACTOR, { at });
}
