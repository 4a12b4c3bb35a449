import crypto from 'node:crypto';
import { sql } from 'kysely';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  type PolicySelection,
  latestPolicies,
  policyVersion,
  savePolicyVersion,
  upsertPolicySelection,
} from '../../db/policies';
import { appendTimeline } from '../../db/timeline';
import { LOCALES } from '../../domain/locales';
import { policyRefusals } from '../../domain/policy';
import type { ApiDeps } from '../deps';
import { notFound, refuse, type RefusalReason } from '../../domain/refusal';
import type { ApiRoutes } from '../route';
import type { Db } from '../../db/connect';
import { DEFAULT_POLICY } from '../../domain/policy';
import {
  GRADE_KEYS,
  OFFSET_PAGE_QUERY_DOC,
  OffsetPageQuerySchema,
  PolicySelectionSchema,
  SELECTION_LIST_QUERY_DOC,
  SavePolicySchema,
  SelectionListQuerySchema,
} from '../schemas/admin';

const TEMPLATE_DIR = path.resolve(__dirname, '..', '..', 'templates', 'letters');
const TEMPLATE_PARTS = ['subject', 'text', 'html'] as const;

/** Template names with a subject, a text and an html file in one locale's folder. */
async function completeTemplates(folder: string): Promise<Set<string>> {
  const files = new Set(await fs.readdir(folder).catch(() => [] as string[]));
  const names = new Set<string>();
  for (const file of files) {
    const match = /^(.+)\.subject\.hbs$/.exec(file);
    if (match && TEMPLATE_PARTS.every((part) => files.has(`${match[1]}.${part}.hbs`))) names.add(match[1]);
  }
  return names;
}

/** The letter templates a policy step may name: those complete (subject, text, html) in every locale (zh-CN and en). */
export async function letterTemplateNames(root = TEMPLATE_DIR): Promise<string[]> {
  const [first, ...others] = await Promise.all(LOCALES.map((locale) => completeTemplates(path.join(root, locale))));
  return [...first].filter((name) => others.every((set) => set.has(name))).sort();
}

export function policyRoutes(routes: ApiRoutes, { db }: ApiDeps): void {
  routes.add({
    method: 'post',
    path: '/api/v1/policies',
    summary: 'Save an escalation policy as the next version of its id',
    roles: ['admin', 'finance'],
    body: SavePolicySchema,
    responses: {
      201: 'the stored policy with its version',
      400: 'invalid policy, with every problem',
      403: 'not admin or finance',
      409: 'saved at the same time by someone else; retry',
    },
    async handle({ body, actor }) {
      const refusals = policyRefusals({ ...body, version: 0 }, await letterTemplateNames());
      if (refusals.length > 0) throw refuse('invalid', 'invalid policy', refusals);
      const stored = await savePolicyVersion(db, body, actor.name);
      return {
        status: 201,
        body: stored,
        headers: { Location: `/api/v1/policies/${stored.id}/versions/${stored.version}` },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/policies',
    summary: 'Every policy with its latest version, name and step count (the built-in default until it is saved)',
    roles: 'any',
    responses: { 200: 'the policies by id' },
    async handle() {
      return { body: await latestPolicies(db) };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/policies/:id',
    summary: 'The latest version of a policy',
    roles: 'any',
    responses: { 200: 'the policy', 404: 'no such policy' },
    async handle({ params }) {
      const policy = await policyVersion(db, params.id);
      if (!policy) throw notFound(`policy ${params.id}`);
      return { body: policy };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/policies/:id/versions',
    summary:
      "A policy's versions, newest first: name, step count, who saved it and when (the built-in default as version 1)",
    roles: 'any',
    query: OFFSET_PAGE_QUERY_DOC,
    responses: { 200: 'a page of versions and the total', 400: 'invalid query', 404: 'no such policy' },
    async handle({ params, query }) {
      const page = await policyVersions(db, params.id, OffsetPageQuerySchema.parse(query));
      if (page.total === 0) throw notFound(`policy ${params.id}`);
      return { body: page };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/policies/:id/versions/:version',
    summary: 'One version of a policy',
    roles: 'any',
    responses: { 200: 'the policy version', 404: 'no such policy or version' },
    async handle({ params }) {
      const version = /^[1-9]\d{0,8}$/.test(params.version) ? Number(params.version) : undefined;
      const policy = version === undefined ? undefined : await policyVersion(db, params.id, version);
      if (!policy) throw notFound(`policy ${params.id} version ${params.version}`);
      return { body: policy };
    },
  });

  routes.add({
    method: 'put',
    path: '/api/v1/policy-selections',
    summary: 'Choose the policy for new invoices of a customer grade (A–D, "new") or of a contract',
    roles: ['admin', 'finance'],
    body: PolicySelectionSchema,
    responses: { 200: 'the selection', 400: 'unknown policy, grade or contract', 403: 'not admin or finance' },
    async handle({ body, actor }) {
      const { problems, customerCode } = await selectionKeyProblems(db, body);
      if (!(await policyVersion(db, body.policyId))) {
        problems.push({ code: 'unknown_policy', field: 'policyId', message: `no policy ${body.policyId}` });
      }
      if (problems.length > 0) throw refuse('invalid', 'invalid policy selection', problems);

      const selection = { scope: body.scope, key: body.key, policyId: body.policyId };
      await db.transaction().execute(async (trx) => {
        const previous = await upsertPolicySelection(trx, selection);
        await appendTimeline(trx, {
          eventKey: `policy-selection/${body.scope}/${body.key}/${crypto.randomUUID()}`,
          ...(body.scope === 'contract' ? { contractNo: body.key, customerCode } : {}),
          at: new Date(),
          actor,
          action: 'policy_selected',
          details: { scope: body.scope, key: body.key, policyId: body.policyId, previousPolicyId: previous ?? null },
        });
      });
      return { body: selection };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/policy-selections',
    summary: 'The policies chosen per grade and per contract, by scope and key, a page at a time',
    roles: 'any',
    query: SELECTION_LIST_QUERY_DOC,
    responses: { 200: 'the selections by scope and key', 400: 'invalid query' },
    async handle({ query }) {
      return { body: await selectionPage(db, SelectionListQuerySchema.parse(query)) };
    },
  });
}

/** What is wrong with a selection's key (a grade or an existing contract), and the contract's customer. */
export async function selectionKeyProblems(
  db: Db,
  selection: { scope: 'grade' | 'contract'; key: string },
): Promise<{ problems: RefusalReason[]; customerCode?: string }> {
  if (selection.scope === 'grade') {
    const known = (GRADE_KEYS as readonly string[]).includes(selection.key);
    const message = `a grade selection's key is one of ${GRADE_KEYS.join(', ')}`;
    return { problems: known ? [] : [{ code: 'unknown_grade', field: 'key', message }] };
  }
  const contract = await db
    .selectFrom('contracts')
    .select('customer_code')
    .where('no', '=', selection.key)
    .executeTakeFirst();
  if (contract) return { problems: [], customerCode: contract.customer_code };
  return { problems: [{ code: 'unknown_contract', field: 'key', message: `no contract ${selection.key}` }] };
}

interface VersionRow {
  version: number;
  name: string;
  step_count: number;
  built_in: boolean;
  created_by: string | null;
  created_at: Date | null;
  total: string;
}

/**
 * A page of a policy's versions by the (id, version) key, newest first. The built-in default is version 1 of
 * "default": the first save of it is version 2, so it stays in the list below the saved ones.
 */
async function policyVersions(db: Db, id: string, page: { limit: number; offset: number }) {
  const builtIn = id === DEFAULT_POLICY.id;
  const { rows } = await sql<VersionRow>`
    with listed as (
      select version, name, jsonb_array_length(definition -> 'steps') as step_count, false as built_in,
        created_by, created_at
      from policies where id = ${id}
      union all
      select ${DEFAULT_POLICY.version}::int, ${DEFAULT_POLICY.name}, ${DEFAULT_POLICY.steps.length}::int, true, null, null
      where ${builtIn} and not exists (select 1 from policies where id = ${id} and version = ${DEFAULT_POLICY.version})
    )
    select *, count(*) over () as total from listed
    order by version desc limit ${page.limit} offset ${page.offset}`.execute(db);
  const total = rows.length > 0 ? Number(rows[0].total) : await policyVersionCount(db, id, builtIn);
  return {
    id,
    versions: rows.map((row) => ({
      version: row.version,
      name: row.name,
      stepCount: Number(row.step_count),
      builtIn: row.built_in,
      createdBy: row.created_by,
      createdAt: row.created_at,
    })),
    total,
    offset: page.offset,
    limit: page.limit,
  };
}

/** How many versions a policy has, the built-in one counted (a page past the end has no row to say). */
async function policyVersionCount(db: Db, id: string, builtIn: boolean): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select count(*) + (case when ${builtIn} and not bool_or(version = ${DEFAULT_POLICY.version}) is true then 1 else 0 end) as n
    from policies where id = ${id}`.execute(db);
  return Number(rows[0].n);
}

/** Selections by (scope, key), the table's primary key: a page is the rows after the previous page's last. */
async function selectionPage(
  db: Db,
  query: { scope?: PolicySelection['scope']; limit: number; after?: { scope: string; key: string } },
): Promise<PolicySelection[]> {
  let select = db.selectFrom('policy_selections').selectAll();
  if (query.scope) select = select.where('scope', '=', query.scope);
  if (query.after) {
    const { scope, key } = query.after;
    select = select.where(sql<boolean>`(scope, key) > (${scope}, ${key})`);
  }
  const rows = await select.orderBy('scope').orderBy('key').limit(query.limit).execute();
  return rows.map((row) => ({ scope: row.scope, key: row.key, policyId: row.policy_id }));
}
