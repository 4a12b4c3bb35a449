import type { Db } from './connect';
import { calendarById } from './calendars';
import { letterInstant } from '../domain/calendar';
import type { SendTime } from '../domain/collection';
import { conflict } from '../domain/refusal';
import {
  DEFAULT_STAGE_POLICY,
  type StagePolicy,
  type StageWaitPlan,
  type StageWaitRequest,
  planLevels,
} from '../domain/stage-policy';

/** A stored version of a stage policy; the built-in default stands in until an admin saves one. */
export async function stagePolicyVersion(db: Db, id: string, version?: number): Promise<StagePolicy | undefined> {
  let query = db.selectFrom('stage_policies').select('definition').where('id', '=', id);
  query = version === undefined ? query.orderBy('version', 'desc') : query.where('version', '=', version);
  const row = await query.limit(1).executeTakeFirst();
  if (row) return row.definition;
  const builtIn = id === DEFAULT_STAGE_POLICY.id && (version === undefined || version === DEFAULT_STAGE_POLICY.version);
  return builtIn ? DEFAULT_STAGE_POLICY : undefined;
}

/** The stage policy of a contract: one chosen for it, else for its customer's grade, else the default. */
export async function stagePolicyFor(db: Db, contractNo: string, grade: string | null): Promise<StagePolicy> {
  const selections = await db
    .selectFrom('stage_policy_selections')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('scope', '=', 'contract'), eb('key', '=', contractNo)]),
        eb.and([eb('scope', '=', 'grade'), eb('key', '=', grade ?? 'new')]),
      ]),
    )
    .execute();
  const chosen = selections.find((s) => s.scope === 'contract') ?? selections.find((s) => s.scope === 'grade');
  return (chosen && (await stagePolicyVersion(db, chosen.policy_id))) ?? (await stagePolicyVersion(db, 'default'))!;
}

/** What planning a contract's wait needs to know of its customer. */
export interface PlanningFacts {
  grade: string | null;
  time_zone: string;
  calendar_id: string | null;
}

/** When a wait's levels fire under the contract's stage policy and its customer's calendar; no deadline: no levels. */
export async function planWait(
  db: Db,
  sendTime: SendTime,
  customer: PlanningFacts,
  request: StageWaitRequest,
): Promise<StageWaitPlan> {
  // The calendar is read beside the policy although a wait without a deadline does not need it: one round trip less.
  const [policy, calendar] = await Promise.all([
    stagePolicyFor(db, request.contractNo, customer.grade),
    calendarById(db, customer.calendar_id),
  ]);
  const deadline = policy.deadlines.find((d) => d.wait === request.wait);
  const base = { policyId: policy.id, policyVersion: policy.version, owner: deadline?.owner ?? 'account' };
  if (!deadline) return { ...base, levels: [] };
  const levels = planLevels(deadline, request.began, request.planned, calendar).map((level) => ({
    level: level.level,
    to: level.to,
    date: level.date,
    at: letterInstant(calendar, level.date, sendTime, customer.time_zone),
  }));
  return { ...base, levels };
}

/** Stores the next version of a stage policy; two saves at once: the primary key lets one through, the other gets 409. */
export async function saveStagePolicyVersion(
  db: Db,
  policy: Omit<StagePolicy, 'version'>,
  createdBy: string,
): Promise<StagePolicy> {
  let version = 0;
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('stage_policies')
        .select((eb) => eb.fn.max<number | null>('version').as('latest'))
        .where('id', '=', policy.id)
        .executeTakeFirst();
      version = (row?.latest ?? (policy.id === DEFAULT_STAGE_POLICY.id ? DEFAULT_STAGE_POLICY.version : 0)) + 1;
      const stored: StagePolicy = { ...policy, version };
      await trx
        .insertInto('stage_policies')
        .values({
          id: policy.id,
          version,
          name: policy.name,
          definition: JSON.stringify(stored),
          created_by: createdBy,
        })
        .execute();
      return stored;
    });
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    throw conflict(`version ${version} of stage policy ${policy.id} was saved at the same time by someone else`, [
      { code: 'version_taken', field: 'id', message: 'save again to store the next version' },
    ]);
  }
}

export interface StagePolicySummary {
  id: string;
  version: number;
  name: string;
  builtIn: boolean;
  createdBy: string | null;
  createdAt: Date | null;
}

/** Every stage policy with its latest version, plus the built-in default while it was never saved. */
export async function latestStagePolicies(db: Db): Promise<StagePolicySummary[]> {
  const rows = await db
    .selectFrom('stage_policies')
    .distinctOn('id')
    .select(['id', 'version', 'name', 'created_by', 'created_at'])
    .orderBy('id')
    .orderBy('version', 'desc')
    .execute();
  const summaries: StagePolicySummary[] = rows.map((row) => ({
    id: row.id,
    version: row.version,
    name: row.name,
    builtIn: false,
    createdBy: row.created_by,
    createdAt: row.created_at,
  }));
  if (!summaries.some((s) => s.id === DEFAULT_STAGE_POLICY.id)) {
    const { id, version, name } = DEFAULT_STAGE_POLICY;
    summaries.unshift({ id, version, name, builtIn: true, createdBy: null, createdAt: null });
  }
  return summaries.sort((a, b) => a.id.localeCompare(b.id));
}

export async function stagePolicySelections(db: Db) {
  return db.selectFrom('stage_policy_selections').selectAll().orderBy('scope').orderBy('key').execute();
}

export async function upsertStagePolicySelection(
  db: Db,
  selection: { scope: 'grade' | 'contract'; key: string; policyId: string },
): Promise<void> {
  await db
    .insertInto('stage_policy_selections')
    .values({ scope: selection.scope, key: selection.key, policy_id: selection.policyId })
    .onConflict((oc) => oc.columns(['scope', 'key']).doUpdateSet({ policy_id: selection.policyId }))
    .execute();
}
