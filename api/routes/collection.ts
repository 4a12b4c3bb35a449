import type { Db } from '../../db/connect';
import { policyVersion } from '../../db/policies';
import {
  type CollectionStatus, approveStepUpdate, changePolicyUpdate, settleInterestUpdate, collectionStatusQuery, decideWriteOffUpdate, openDisputeUpdate, recordPromiseUpdate, requestWriteOffUpdate, resolveDisputeUpdate,
} from '../../workflows/collection';
import type { ApiDeps } from '../deps';
import { badRequest, notFound } from '../errors';
import { fromMinor, toMinor } from '../money';
import type { ApiRoutes } from '../route';
import {
  ChangePolicySchema, OpenDisputeSchema, SettleInterestSchema, PromiseSchema, ResolveDisputeSchema, StepApprovalSchema, WriteOffDecisionSchema, WriteOffRequestSchema,
} from '../schemas-collection';

const COLLECTORS = ['sales', 'delivery', 'finance', 'executive'] as const;
const REFUSAL_RESPONSES = { 200: 'accepted; the live collection status', 400: 'invalid input', 403: 'role not allowed', 404: 'no such invoice', 409: 'refused, with every reason' };

async function invoiceCurrency(db: Db, invoiceNo: string): Promise<string> {
  const invoice = await db.selectFrom('invoices').select('currency').where('no', '=', invoiceNo).executeTakeFirst();
  if (!invoice) throw notFound(`invoice ${invoiceNo}`);
  return invoice.currency;
}

/** Commands on one invoice's collection: each is an Update on its workflow, validated there. */
export function collectionRoutes(routes: ApiRoutes, { db, temporal }: ApiDeps): void {
  const handle = (invoiceNo: string) => temporal.workflow.getHandle(`invoice/${invoiceNo}`);
  const statusView = (status: CollectionStatus, currency: string) => ({ ...status, balance: fromMinor(status.balanceMinor, currency) });

  routes.add({
    method: 'get', path: '/api/v1/invoices/:no/collection', summary: 'The live collection state of an invoice: steps handled, pauses, what waits for approval, next action',
    roles: 'any', responses: { 200: 'the state', 404: 'no such invoice or its collection has ended' },
    async handle({ params }) {
      const currency = await invoiceCurrency(db, params.no);
      return { body: statusView(await handle(params.no).query(collectionStatusQuery), currency) };
    },
  });

  routes.add({
    method: 'post', path: '/api/v1/invoices/:no/approvals', summary: 'Finance approves or rejects a step that needs approval (the legal notice); a rejection holds the ladder',
    roles: ['finance'], body: StepApprovalSchema, responses: REFUSAL_RESPONSES,
    async handle({ params, body, actor }) {
      const currency = await invoiceCurrency(db, params.no);
      return { body: statusView(await handle(params.no).executeUpdate(approveStepUpdate, { args: [{ actor, ...body }] }), currency) };
    },
  });

  routes.add({
    method: 'post', path: '/api/v1/invoices/:no/disputes', summary: 'Open a dispute: letters pause at once and the reason routes a task to the responsible team',
    roles: COLLECTORS, body: OpenDisputeSchema, responses: REFUSAL_RESPONSES,
    async handle({ params, body, actor }) {
      const currency = await invoiceCurrency(db, params.no);
      return { body: statusView(await handle(params.no).executeUpdate(openDisputeUpdate, { args: [{ actor, reason: body.reason as never, note: body.note }] }), currency) };
    },
  });

  routes.add({
    method: 'post', path: '/api/v1/invoices/:no/disputes/resolve', summary: 'Resolve the open dispute (accepted with an optional credit note, or rejected); the ladder resumes at the step that applies',
    roles: COLLECTORS, body: ResolveDisputeSchema, responses: REFUSAL_RESPONSES,
    async handle({ params, body, actor }) {
      const currency = await invoiceCurrency(db, params.no);
      const creditMinor = body.credit ? toMinor(body.credit, 'credit', currency).minor : 0;
      return { body: statusView(await handle(params.no).executeUpdate(resolveDisputeUpdate, { args: [{ actor, outcome: body.outcome, creditMinor, note: body.note }] }), currency) };
    },
  });

  routes.add({
    method: 'post', path: '/api/v1/invoices/:no/promises', summary: 'Record a promise to pay: letters pause until the promised date plus the grace period',
    roles: COLLECTORS, body: PromiseSchema, responses: REFUSAL_RESPONSES,
    async handle({ params, body, actor }) {
      const currency = await invoiceCurrency(db, params.no);
      const amountMinor = toMinor(body.amount, 'amount', currency).minor;
      return { body: statusView(await handle(params.no).executeUpdate(recordPromiseUpdate, { args: [{ actor, promisedDate: body.promisedDate, amountMinor, contact: body.contact }] }), currency) };
    },
  });

  routes.add({
    method: 'post', path: '/api/v1/invoices/:no/write-off', summary: 'Finance requests a write-off; an executive other than the requester decides',
    roles: ['finance'], body: WriteOffRequestSchema, responses: REFUSAL_RESPONSES,
    async handle({ params, body, actor }) {
      const currency = await invoiceCurrency(db, params.no);
      return { body: statusView(await handle(params.no).executeUpdate(requestWriteOffUpdate, { args: [{ actor, reason: body.reason }] }), currency) };
    },
  });

  routes.add({
    method: 'post', path: '/api/v1/invoices/:no/write-off/decision', summary: 'An executive approves or rejects the requested write-off; approval ends the collection',
    roles: ['executive'], body: WriteOffDecisionSchema, responses: REFUSAL_RESPONSES,
    async handle({ params, body, actor }) {
      const currency = await invoiceCurrency(db, params.no);
      return { body: statusView(await handle(params.no).executeUpdate(decideWriteOffUpdate, { args: [{ actor, ...body }] }), currency) };
    },
  });

  routes.add({
    method: 'post', path: '/api/v1/invoices/:no/policy', summary: 'Finance moves a running invoice to another policy version, with a reason (recorded)',
    roles: ['finance'], body: ChangePolicySchema, responses: REFUSAL_RESPONSES,
    async handle({ params, body, actor }) {
      const currency = await invoiceCurrency(db, params.no);
      const policy = await policyVersion(db, body.policyId, body.version);
      if (!policy) throw badRequest('policyId', `no policy ${body.policyId}${body.version ? ` version ${body.version}` : ''}`);
      return { body: statusView(await handle(params.no).executeUpdate(changePolicyUpdate, { args: [{ actor, policy, reason: body.reason }] }), currency) };
    },
  });

  routes.add({
    method: 'post', path: '/api/v1/invoices/:no/interest', summary: 'Finance settles the late interest left after the principal was paid: collected, or waived with a reason',
    roles: ['finance'], body: SettleInterestSchema, responses: REFUSAL_RESPONSES,
    async handle({ params, body, actor }) {
      const currency = await invoiceCurrency(db, params.no);
      return { body: statusView(await handle(params.no).executeUpdate(settleInterestUpdate, { args: [{ actor, ...body }] }), currency) };
    },
  });
}
