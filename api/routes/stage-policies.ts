import crypto from 'node:crypto';
import {
  latestStagePolicies,
  saveStagePolicyVersion,
  stagePolicySelections,
  stagePolicyVersion,
  upsertStagePolicySelection,
} from '../../db/stage-policies';
import { appendTimeline } from '../../db/timeline';
import { notFound, refuse } from '../../domain/refusal';
import { stagePolicyRefusals } from '../../domain/stage-policy';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../route';
import { PolicySelectionSchema, SaveStagePolicySchema } from '../schemas/admin';
import { selectionKeyProblems } from './policies';

/** Stage deadlines as versioned data (SPEC section 3): how long a contract may wait in a stage before people are told. */
export function stagePolicyRoutes(routes: ApiRoutes, { db }: ApiDeps): void {
  routes.add({
    method: 'post',
    path: '/api/v1/stage-policies',
    summary: 'Save a stage policy (deadlines per stage and their escalation levels) as the next version of its id',
    roles: ['admin', 'finance'],
    body: SaveStagePolicySchema,
    responses: {
      201: 'the stored stage policy with its version',
      400: 'invalid stage policy, with every problem',
      403: 'not admin or finance',
      409: 'saved at the same time by someone else; retry',
    },
    async handle({ body, actor }) {
      const refusals = stagePolicyRefusals(body);
      if (refusals.length > 0) throw refuse('invalid', 'invalid stage policy', refusals);
      const stored = await saveStagePolicyVersion(db, body, actor.name);
      return {
        status: 201,
        body: stored,
        headers: { Location: `/api/v1/stage-policies/${stored.id}?version=${stored.version}` },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/stage-policies',
    summary: 'Every stage policy with its latest version (the built-in default until it is saved)',
    roles: 'any',
    responses: { 200: 'the stage policies by id' },
    async handle() {
      return { body: await latestStagePolicies(db) };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/stage-policies/:id',
    summary: 'The latest version of a stage policy, or the one `?version=` names',
    roles: 'any',
    query: { version: 'a version number (default: the latest)' },
    responses: { 200: 'the stage policy', 404: 'no such stage policy or version' },
    async handle({ params, query }) {
      const asked = typeof query.version === 'string' ? query.version : undefined;
      const version = asked === undefined ? undefined : /^[1-9]\d{0,8}$/.test(asked) ? Number(asked) : 0;
      const policy = version === 0 ? undefined : await stagePolicyVersion(db, params.id, version);
      if (!policy) throw notFound(`stage policy ${params.id}${asked ? ` version ${asked}` : ''}`);
      return { body: policy };
    },
  });

  routes.add({
    method: 'put',
    path: '/api/v1/stage-policy-selections',
    summary:
      'Choose the stage policy of a customer grade (A–D, "new") or of a contract; running contracts use it from their next stage',
    roles: ['admin', 'finance'],
    body: PolicySelectionSchema,
    responses: { 200: 'the selection', 400: 'unknown stage policy, grade or contract', 403: 'not admin or finance' },
    async handle({ body, actor }) {
      const { problems, customerCode } = await selectionKeyProblems(db, body);
      if (!(await stagePolicyVersion(db, body.policyId)))
        problems.push({ code: 'unknown_policy', field: 'policyId', message: `no stage policy ${body.policyId}` });
      if (problems.length > 0) throw refuse('invalid', 'invalid stage policy selection', problems);
      await db.transaction().execute(async (trx) => {
        await upsertStagePolicySelection(trx, body);
        await appendTimeline(trx, {
          eventKey: `stage-policy-selection/${body.scope}/${body.key}/${crypto.randomUUID()}`,
          ...(body.scope === 'contract' ? { contractNo: body.key, customerCode } : {}),
          at: new Date(),
          actor,
          action: 'stage_policy_selected',
          details: { scope: body.scope, key: body.key, policyId: body.policyId },
        });
      });
      return { body: { scope: body.scope, key: body.key, policyId: body.policyId } };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/stage-policy-selections',
    summary: 'The stage policies chosen per grade and per contract',
    roles: 'any',
    responses: { 200: 'the selections by scope and key' },
    async handle() {
      const rows = await stagePolicySelections(db);
      return { body: rows.map((row) => ({ scope: row.scope, key: row.key, policyId: row.policy_id })) };
    },
  });
}
