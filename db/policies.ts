import { type Kysely, sql } from 'kysely';
import { DEFAULT_POLICY, type EscalationPolicy } from '../domain/policy';
import type { Database } from './schema';
import { type Refused, conflict } from '../domain/refusal';

type Db = Kysely<Database>;

/** A stored version of a policy; the built-in default stands in until an admin saves one. */
export async function policyVersion(db: Db, id: string, version?: number): Promise<EscalationPolicy | undefined> {
  let query = db.selectFrom('policies').select('definition').where('id', '=', id);
  query = version === undefined ? query.orderBy('version', 'desc') : query.where('version', '=', version);
  const row = await query.limit(1).executeTakeFirst();
  if (row) return row.definition;
  return id === DEFAULT_POLICY.id && (version === undefined || version === DEFAULT_POLICY.version)
    ? DEFAULT_POLICY
    : undefined;
}

/** The policy for a new invoice: one chosen for its contract, else for the customer's grade, else the default. */
export async function selectPolicy(db: Db, contractNo: string, grade: string | null): Promise<EscalationPolicy> {
  const selections = await db
    .selectFrom('policy_selections')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('scope', '=', 'contract'), eb('key', '=', contractNo)]),
        eb.and([eb('scope', '=', 'grade'), eb('key', '=', grade ?? 'new')]),
      ]),
    )
    .execute();
  const chosen = selections.find((s) => s.scope === 'contract') ?? selections.find((s) => s.scope === 'grade');
  return (chosen && (await policyVersion(db, chosen.policy_id))) ?? (await policyVersion(db, DEFAULT_POLICY.id))!;
}

/** Another save took the version this one computed; the (id, version) primary key decides. */
function versionTaken(id: string, version: number): Refused {
  return conflict(`version ${version} of policy ${id} was saved at the same time by someone else`, [
    { code: 'version_taken', field: 'id', message: 'save again to store the next version' },
  ]);
}

/** The version the next save of a policy gets: one more than the latest stored, or than the built-in default. */
async function nextPolicyVersion(db: Db, id: string): Promise<number> {
  const row = await db
    .selectFrom('policies')
    .select((eb) => eb.fn.max<number | null>('version').as('latest'))
    .where('id', '=', id)
    .executeTakeFirst();
  const latest = row?.latest ?? (id === DEFAULT_POLICY.id ? DEFAULT_POLICY.version : 0);
  return latest + 1;
}

/**
 * Stores a policy definition as the next version of its id and returns it with that version. Two saves at
 * the same time compute the same version; the primary key lets one of them through and the other refuses
 * it (409 version_taken), so no version is ever written twice.
 */
export async function savePolicyVersion(
  db: Db,
  policy: Omit<EscalationPolicy, 'version'>,
  createdBy: string,
): Promise<EscalationPolicy> {
  let version = 0;
  try {
    return await db.transaction().execute(async (trx) => {
      version = await nextPolicyVersion(trx, policy.id);
      const stored: EscalationPolicy = { ...policy, version };
      await trx
        .insertInto('policies')
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
    if ((error as { code?: string }).code === '23505') throw versionTaken(policy.id, version);
    throw error;
  }
}

export interface PolicySummary {
  id: string;
  version: number;
  name: string;
  stepCount: number;
  /** The built-in default, never saved. */
  builtIn: boolean;
  createdBy: string | null;
  createdAt: Date | null;
}

/** Every policy id with its latest version, plus the built-in default while it was never saved. */
export async function latestPolicies(db: Db): Promise<PolicySummary[]> {
  const rows = await db
    .selectFrom('policies')
    .distinctOn('id')
    .select([
      'id',
      'version',
      'name',
      'created_by',
      'created_at',
      sql<number>`jsonb_array_length(definition -> 'steps')`.as('step_count'),
    ])
    .orderBy('id')
    .orderBy('version', 'desc')
    .execute();
  const summaries: PolicySummary[] = rows.map((row) => ({
    id: row.id,
    version: row.version,
    name: row.name,
    stepCount: Number(row.step_count),
    builtIn: false,
    createdBy: row.created_by,
    createdAt: row.created_at,
  }));
  if (!summaries.some((s) => s.id === DEFAULT_POLICY.id)) {
    summaries.push({
      id: DEFAULT_POLICY.id,
      version: DEFAULT_POLICY.version,
      name: DEFAULT_POLICY.name,
      stepCount: DEFAULT_POLICY.steps.length,
      builtIn: true,
      createdBy: null,
      createdAt: null,
    });
    summaries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  return summaries;
}

export interface PolicySelection {
  scope: 'grade' | 'contract';
  key: string;
  policyId: string;
}

export async function policySelections(db: Db): Promise<PolicySelection[]> {
  const rows = await db.selectFrom('policy_selections').selectAll().orderBy('scope').orderBy('key').execute();
  return rows.map((row) => ({ scope: row.scope, key: row.key, policyId: row.policy_id }));
}

/** Chooses the policy for a grade or a contract; returns the policy chosen before, if any. */
export async function upsertPolicySelection(db: Db, selection: PolicySelection): Promise<string | undefined> {
  const previous = await db
    .selectFrom('policy_selections')
    .select('policy_id')
    .where('scope', '=', selection.scope)
    .where('key', '=', selection.key)
    .forUpdate()
    .executeTakeFirst();
  await db
    .insertInto('policy_selections')
    .values({ scope: selection.scope, key: selection.key, policy_id: selection.policyId })
    .onConflict((oc) => oc.columns(['scope', 'key']).doUpdateSet({ policy_id: selection.policyId }))
    .execute();
  return previous?.policy_id;
}
