import type { Kysely } from 'kysely';
import { DEFAULT_POLICY, type EscalationPolicy } from '../domain/policy';
import type { Database } from './schema';

type Db = Kysely<Database>;

/** A stored version of a policy; the built-in default stands in until an admin saves one. */
export async function policyVersion(db: Db, id: string, version?: number): Promise<EscalationPolicy | undefined> {
  let query = db.selectFrom('policies').select('definition').where('id', '=', id);
  query = version === undefined ? query.orderBy('version', 'desc') : query.where('version', '=', version);
  const row = await query.limit(1).executeTakeFirst();
  if (row) return row.definition as unknown as EscalationPolicy;
  return id === DEFAULT_POLICY.id && (version === undefined || version === DEFAULT_POLICY.version) ? DEFAULT_POLICY : undefined;
}

/** The policy for a new invoice: one chosen for its contract, else for the customer's grade, else the default. */
export async function selectPolicy(db: Db, contractNo: string, grade: string | null): Promise<EscalationPolicy> {
  const selections = await db.selectFrom('policy_selections').selectAll()
    .where((eb) => eb.or([
      eb.and([eb('scope', '=', 'contract'), eb('key', '=', contractNo)]),
      eb.and([eb('scope', '=', 'grade'), eb('key', '=', grade ?? 'new')]),
    ])).execute();
  const chosen = selections.find((s) => s.scope === 'contract') ?? selections.find((s) => s.scope === 'grade');
  return (chosen && (await policyVersion(db, chosen.policy_id))) ?? (await policyVersion(db, DEFAULT_POLICY.id))!;
}
