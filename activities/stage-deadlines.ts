import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { planWait } from '../db/stage-policies';
import { appendTimeline } from '../db/timeline';
import type { SendTime } from '../domain/collection';
import { DAY_MS } from '../domain/dates';
import { MANAGER_OF } from '../domain/disputes';
import type { InternalRole } from '../domain/policy';
import { SYSTEM_ACTOR } from '../domain/roles';
import {
  type EscalationTarget,
  type StageWait,
  type StageWaitPlan,
  type StageWaitRequest,
  type WaitOwner,
  WAIT_OF_STAGE,
} from '../domain/stage-policy';
import type { Stage } from '../domain/stages';
import type { Owners } from './letters';
import { openTask } from './tasks';
import { managerOf } from './task-notifications';

/** Days the person told has to act before the task sweep escalates it in turn. */
const STAGE_TASK_DUE_DAYS = 2;

const STAGE_OF_WAIT = Object.fromEntries(
  Object.entries(WAIT_OF_STAGE).map(([stage, wait]) => [wait, stage as Stage]),
) as Partial<Record<StageWait, Stage>>;

const ROLE_OF_OWNER: Record<WaitOwner, InternalRole> = { account: 'sales', fulfilment: 'delivery', finance: 'finance' };

async function contractFacts(db: Db, contractNo: string) {
  return db
    .selectFrom('contracts')
    .innerJoin('customers', 'customers.code', 'contracts.customer_code')
    .select([
      'contracts.owners',
      'contracts.account_owner',
      'contracts.created_by',
      'customers.grade',
      'customers.time_zone',
      'customers.calendar_id',
    ])
    .where('contracts.no', '=', contractNo)
    .executeTakeFirstOrThrow();
}

/** When a wait's levels fire under the contract's stage policy; no deadline for the wait: no levels. */
export async function planStageWait(db: Db, sendTime: SendTime, request: StageWaitRequest): Promise<StageWaitPlan> {
  const [plan] = await planStageWaits(db, sendTime, [request]);
  return plan;
}

/** The plans of one contract's waits, its customer read once. */
export async function planStageWaits(
  db: Db,
  sendTime: SendTime,
  requests: StageWaitRequest[],
): Promise<StageWaitPlan[]> {
  if (requests.length === 0) return [];
  const facts = await contractFacts(db, requests[0].contractNo);
  return Promise.all(requests.map((request) => planWait(db, sendTime, facts, request)));
}

export interface StageEscalation {
  contractNo: string;
  wait: StageWait;
  /** Unique per wait of the contract (the stage entry or the milestone), so each escalation happens once. */
  waitKey: string;
  owner: WaitOwner;
  level: number;
  to: EscalationTarget;
  milestoneSeq?: number;
  /** Whether the wait is the contract's stage (it then counts in the funnel's escalated contracts). */
  isStageWait: boolean;
  at: number;
}

/** Who a level goes to: the wait's owner, the owner's manager (their manager in people, else the manager role), or the sponsor. */
async function addressee(
  db: Db,
  escalation: StageEscalation,
  contract: Awaited<ReturnType<typeof contractFacts>>,
): Promise<{ role: string; name: string | null }> {
  const owners = (contract.owners ?? {}) as Owners;
  const ownerRole = ROLE_OF_OWNER[escalation.owner];
  if (escalation.to === 'sponsor') return { role: 'executive', name: owners.executiveSponsor ?? null };
  const named = owners[escalation.owner] ?? (escalation.owner === 'account' ? contract.account_owner : null);
  const owner = named ?? (escalation.owner === 'account' ? contract.created_by : null);
  if (escalation.to === 'owner') return { role: ownerRole, name: owner };
  const manager = await managerOf(db, owner);
  const managerRole = manager
    ? (await db.selectFrom('people').select('role').where('name', '=', manager).executeTakeFirst())?.role
    : undefined;
  return managerRole ? { role: managerRole, name: manager } : { role: MANAGER_OF[ownerRole], name: null };
}

/** One level of a wait's escalation: a task for the person told, a timeline entry, the contract marked escalated. */
export async function escalateStageWait(db: Db, escalation: StageEscalation): Promise<void> {
  const contract = await contractFacts(db, escalation.contractNo);
  const to = await addressee(db, escalation, contract);
  const eventKey = `stage/${escalation.contractNo}/${escalation.waitKey}/${escalation.level}`;
  await db.transaction().execute(async (trx) => {
    await openTask(trx, {
      key: eventKey,
      contractNo: escalation.contractNo,
      kind: 'stage_deadline',
      step: escalation.wait,
      occurrence: escalation.level,
      ownerRole: to.role,
      ownerName: to.name,
      wording: {
        key: 'stageDeadline',
        contractNo: escalation.contractNo,
        wait: escalation.wait,
        ...(escalation.milestoneSeq !== undefined && { milestoneSeq: escalation.milestoneSeq }),
      },
      dueAt: escalation.at + STAGE_TASK_DUE_DAYS * DAY_MS,
    });
    await appendTimeline(trx, {
      eventKey,
      contractNo: escalation.contractNo,
      at: new Date(escalation.at),
      actor: SYSTEM_ACTOR,
      action: 'stage_escalated',
      details: {
        wait: escalation.wait,
        level: escalation.level,
        to: escalation.to,
        role: to.role,
        person: to.name,
        ...(escalation.milestoneSeq === undefined ? {} : { milestone: escalation.milestoneSeq }),
      },
    });
    if (escalation.isStageWait) {
      await trx
        .updateTable('contracts')
        .set({
          escalation_level: sql`greatest(escalation_level, ${escalation.level})`,
          escalated_at: new Date(escalation.at),
        })
        .where('no', '=', escalation.contractNo)
        // Only while the contract is still in the wait's stage: a transition may have just moved it on.
        .where('stage', '=', STAGE_OF_WAIT[escalation.wait]!)
        .execute();
    }
  });
}
