import crypto from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  latestPolicies,
  policySelections,
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
import { GRADE_KEYS, PolicySelectionSchema, SavePolicySchema } from '../schemas/admin';

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
      const problems: RefusalReason[] = [];
      let customerCode: string | undefined;
      if (body.scope === 'grade' && !(GRADE_KEYS as readonly string[]).includes(body.key)) {
        problems.push({
          code: 'unknown_grade',
          field: 'key',
          message: `a grade selection's key is one of ${GRADE_KEYS.join(', ')}`,
        });
      }
      if (body.scope === 'contract') {
        const contract = await db
          .selectFrom('contracts')
          .select('customer_code')
          .where('no', '=', body.key)
          .executeTakeFirst();
        if (contract) customerCode = contract.customer_code;
        else problems.push({ code: 'unknown_contract', field: 'key', message: `no contract ${body.key}` });
      }
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
    summary: 'The policies chosen per grade and per contract',
    roles: 'any',
    responses: { 200: 'the selections by scope and key' },
    async handle() {
      return { body: await policySelections(db) };
    },
  });
}
