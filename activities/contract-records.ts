import { type Compilable, sql } from 'kysely';
import type { Db } from '../db/connect';
import { type TimelineEntry, appendTimeline, insertTimelineAfter } from '../db/timeline';
import { localDateOf } from '../domain/dates';
import { SYSTEM_ACTOR } from '../domain/roles';
import type { Stage } from '../domain/stages';
import { reevaluateCreditHold } from '../services/credit-holds';
import { freezeFinalAccount } from '../services/costs';
import type { SendTime } from '../domain/collection';
import type { StageWaitPlan, StageWaitRequest } from '../domain/stage-policy';
import { planStageWaits } from './stage-deadlines';
import type { ContractEvent } from './types';

type MilestoneStatusChange = NonNullable<NonNullable<ContractEvent['changes']>['milestoneStatus']>[number];

/** Stages entered when a contract starts or stops counting as approved-but-unbilled exposure. */
const EXPOSURE_CHANGES: readonly Stage[] = ['SolutionReview', 'Cancelled', 'Closed'];

/** Writes a contract's change and its timeline entry at once; replays of the same event are no-ops. */
export async function recordContractEvent(db: Db, event: ContractEvent): Promise<void> {
  if (needsTransaction(event)) await db.transaction().execute((trx) => writeContractEvent(trx, event));
  else await writeEventInOneStatement(db, event);
}

/** What one transition leaves behind: its events (the move, and the milestones it made ready) and the waits it opened. */
export interface TransitionRecord {
  events: ContractEvent[];
  waits: StageWaitRequest[];
}

/**
 * A transition's events written (in order, each at once and idempotent) while the plans of the waits it
 * opened are read beside them on other connections: one local activity per transition, so the update
 * answers after about two round trips to the database. Planning reads only the customer, the stage policy
 * and the calendar, none of which an event changes.
 */
export async function recordTransition(
  db: Db,
  sendTime: SendTime,
  { events, waits }: TransitionRecord,
): Promise<StageWaitPlan[]> {
  const writes = (async () => {
    for (const event of events) await recordContractEvent(db, event);
  })();
  const [plans] = await Promise.all([planStageWaits(db, sendTime, waits), writes]);
  return plans;
}

/** Events that create milestones, freeze the final account or change the customer's exposure touch other tables in a transaction. */
function needsTransaction({ action, changes = {} }: ContractEvent): boolean {
  if (action === 'close' || (changes.newMilestones?.length ?? 0) > 0) return true;
  return changes.stage !== undefined && EXPOSURE_CHANGES.includes(changes.stage);
}

const eventKeyOf = (event: ContractEvent) => `contract/${event.contractNo}/${event.seq}`;

/** The contract row's columns an event sets, if any. */
function contractChanges({ changes = {}, at }: ContractEvent): Record<string, unknown> | undefined {
  const update: Record<string, unknown> = {};
  if (changes.stage)
    Object.assign(update, {
      stage: changes.stage,
      stage_changed_at: new Date(at),
      escalation_level: 0,
      escalated_at: null,
    });
  if (changes.terms) update.terms = JSON.stringify(changes.terms);
  if (changes.owners)
    Object.assign(update, { owners: JSON.stringify(changes.owners), account_owner: changes.owners.account ?? null });
  if (changes.closeReason) update.close_reason = changes.closeReason;
  if (changes.details) update.details = sql`details || ${JSON.stringify(changes.details)}::jsonb`;
  return Object.keys(update).length > 0 ? update : undefined;
}

function timelineEntryOf(event: ContractEvent, eventKey: string): TimelineEntry {
  return {
    eventKey,
    contractNo: event.contractNo,
    at: new Date(event.at),
    actor: event.actor,
    action: event.action,
    fromStage: event.fromStage,
    toStage: event.toStage,
    reason: event.reason,
    details: event.details,
  };
}

/**
 * The contract's row, its milestones' statuses and the timeline entry in one statement (so all or
 * nothing, in one round trip), each part only while the event's entry is not there yet.
 */
async function writeEventInOneStatement(db: Db, event: ContractEvent): Promise<void> {
  const eventKey = eventKeyOf(event);
  const fresh = sql<boolean>`not exists (select 1 from timeline where event_key = ${eventKey})`;
  const writes: Compilable[] = [];
  const update = contractChanges(event);
  if (update) writes.push(db.updateTable('contracts').set(update).where('no', '=', event.contractNo).where(fresh));
  for (const change of event.changes?.milestoneStatus ?? [])
    writes.push(milestoneStatusUpdate(db, event, change).where(fresh));
  await insertTimelineAfter(db, writes, timelineEntryOf(event, eventKey), fresh);
}

function milestoneStatusUpdate(db: Db, event: ContractEvent, change: MilestoneStatusChange) {
  return db
    .updateTable('milestones')
    .set({ status: change.status, ...(change.readyOn ? { ready_on: change.readyOn } : {}) })
    .where('contract_no', '=', event.contractNo)
    .where('seq', '=', change.seq);
}

async function writeContractEvent(trx: Db, event: ContractEvent): Promise<void> {
  const eventKey = eventKeyOf(event);
  const already = await trx.selectFrom('timeline').select('id').where('event_key', '=', eventKey).executeTakeFirst();
  if (already) return;
  const { changes = {} } = event;
  const at = new Date(event.at);
  const update = contractChanges(event);
  if (update) await trx.updateTable('contracts').set(update).where('no', '=', event.contractNo).execute();
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
  for (const change of changes.milestoneStatus ?? []) await milestoneStatusUpdate(trx, event, change).execute();
  // The final account (决算) is frozen with the close, after the stage is written: a cost waits for the
  // contract's row and is then refused. Its timeline entry comes just before the close's.
  if (event.action === 'close') await freezeFinalAccount(trx, event.contractNo, at, `${eventKey}/final-account`);
  await appendTimeline(trx, timelineEntryOf(event, eventKey));
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
