import type { UpdateDefinition } from '@temporalio/client';
import type { Selectable } from 'kysely';
import type { z } from 'zod';
import type { Db } from '../../db/connect';
import type { DisputesTable, PromisesTable } from '../../db/schema';
import { ladderProgress } from '../../domain/ladder';
import { policyVersion } from '../../db/policies';
import { localDateOf } from '../../domain/dates';
import type { InterestStatus } from '../../domain/statuses';
import type { DisputeReason } from '../../domain/disputes';
import { COLLECTION_COMMAND_ROLES } from '../../domain/collection-commands';
import type { Actor, Role } from '../../domain/roles';
import {
  type CollectionStatus,
  approveStepUpdate,
  changePolicyUpdate,
  decideWriteOffUpdate,
  openDisputeUpdate,
  recordPromiseUpdate,
  requestWriteOffUpdate,
  resolveDisputeUpdate,
  settleInterestUpdate,
} from '../../workflows/collection-messages';
import { collectionStatus, updateCollection } from '../../services/workflow-client';
import type { ApiDeps } from '../deps';
import { invalidInput, notFound } from '../../domain/refusal';
import { fromMinor, toMinor } from '../money';
import type { ApiRoutes } from '../route';
import {
  ChangePolicySchema,
  OpenDisputeSchema,
  PromiseSchema,
  ResolveDisputeSchema,
  SettleInterestSchema,
  StepApprovalSchema,
  WriteOffDecisionSchema,
  WriteOffRequestSchema,
} from '../schemas/collection';
import { MAX_FINANCE_PAGE } from '../schemas/finance';

const REFUSAL_RESPONSES = {
  200: 'accepted; the live collection status',
  400: 'invalid input',
  403: 'role not allowed',
  404: 'no such invoice',
  409: 'refused, with every reason',
};

async function invoiceCurrency(db: Db, invoiceNo: string): Promise<string> {
  const invoice = await db.selectFrom('invoices').select('currency').where('no', '=', invoiceNo).executeTakeFirst();
  if (!invoice) throw notFound(`invoice ${invoiceNo}`);
  return invoice.currency;
}

const statusView = (status: CollectionStatus, currency: string) => ({
  ...status,
  running: true,
  ended: null,
  balance: fromMinor(status.balanceMinor, currency),
});

/** How an ended collection ended, from the invoice row (and the interest settlement's timeline entry). */
interface CollectionEnd {
  outcome: 'paid' | 'written_off';
  /** The day it ended in the customer's time zone: the clearing payment's day, or the write-off's. */
  on: string;
  /** When the collection ended: the write-off, the interest settled, or the payment recorded. */
  at: string | null;
  reason?: string | null;
  /** For a paid invoice: what became of the late interest ('none', 'collected', 'waived'). */
  lateInterest?: InterestStatus;
}

/**
 * Whether the invoice's collection has ended, and how, from what the database records: written off; or paid
 * with no late interest left to settle (none, collected or waived — or imported already settled, when no
 * collection ever ran). A paid invoice whose interest is open or not yet assessed is still being collected.
 */
async function collectionEnd(db: Db, invoiceNo: string) {
  const invoice = await db
    .selectFrom('invoices')
    .innerJoin('customers', 'customers.code', 'invoices.customer_code')
    .select([
      'invoices.currency',
      'invoices.status',
      'invoices.balance_minor',
      'invoices.paid_on',
      'invoices.paid_at',
      'invoices.written_off_at',
      'invoices.write_off_reason',
      'invoices.interest_status',
      'invoices.source',
      'customers.time_zone',
    ])
    .where('invoices.no', '=', invoiceNo)
    .executeTakeFirst();
  if (!invoice) throw notFound(`invoice ${invoiceNo}`);
  let ended: CollectionEnd | null = null;
  if (invoice.status === 'written_off') {
    const at = invoice.written_off_at;
    ended = {
      outcome: 'written_off',
      on: at ? localDateOf(at.getTime(), invoice.time_zone) : '',
      at: at?.toISOString() ?? null,
      reason: invoice.write_off_reason,
    };
  } else if (
    invoice.status === 'paid' &&
    (invoice.interest_status === 'none' ||
      invoice.interest_status === 'collected' ||
      invoice.interest_status === 'waived' ||
      (invoice.interest_status === null && invoice.source === 'historical'))
  ) {
    const settled =
      invoice.interest_status === 'collected' || invoice.interest_status === 'waived'
        ? await db
            .selectFrom('timeline')
            .select('at')
            .where('event_key', '=', `interest/${invoiceNo}/settled`)
            .executeTakeFirst()
        : undefined;
    const at = settled?.at ?? invoice.paid_at;
    ended = {
      outcome: 'paid',
      on: invoice.paid_on ?? '',
      at: at ? new Date(at).toISOString() : null,
      lateInterest: invoice.interest_status ?? 'none',
    };
  }
  return { invoice, ended };
}

/** The policy's steps for this invoice, dated and placed (domain/ladder.ts ladderProgress). */
async function ladderView(db: Db, status: CollectionStatus) {
  const [invoice, policy, letters, tasks] = await Promise.all([
    db
      .selectFrom('invoices')
      .leftJoin('milestones', (join) =>
        join
          .onRef('milestones.contract_no', '=', 'invoices.contract_no')
          .onRef('milestones.seq', '=', 'invoices.milestone_seq'),
      )
      .select(['invoices.due_date', 'milestones.kind'])
      .where('invoices.no', '=', status.invoiceNo)
      .executeTakeFirstOrThrow(),
    policyVersion(db, status.policy.id, status.policy.version),
    db.selectFrom('letters').select('step').distinct().where('invoice_no', '=', status.invoiceNo).execute(),
    db.selectFrom('tasks').select('step').distinct().where('invoice_no', '=', status.invoiceNo).execute(),
  ]);
  if (!policy) return [];
  const acted = new Set([...letters, ...tasks].map((row) => row.step).filter((step) => step !== null));
  return ladderProgress(policy, invoice.kind ?? 'final', invoice.due_date, { ...status, acted }).map(
    ({ step, date, lastOccurrence, state }) => ({
      key: step.key,
      channel: step.channel,
      owner: step.owner,
      date,
      repeatEveryDays: step.repeatEveryDays ?? null,
      requiresApproval: step.requiresApproval ?? false,
      /** The latest occurrence handled, performed or passed over (a repeating step counts on). */
      lastOccurrence,
      state,
    }),
  );
}

function disputeView(dispute: Selectable<DisputesTable>, currency: string) {
  return {
    id: dispute.id,
    reason: dispute.reason,
    note: dispute.note,
    routedTo: dispute.routed_to,
    status: dispute.status,
    openedBy: dispute.opened_by,
    openedAt: dispute.opened_at,
    slaDueAt: dispute.sla_due_at,
    escalatedAt: dispute.escalated_at,
    outcome: dispute.outcome,
    credit: dispute.credit_minor === null ? null : fromMinor(dispute.credit_minor, currency),
    resolvedBy: dispute.resolved_by,
    resolvedAt: dispute.resolved_at,
  };
}

function promiseView(promise: Selectable<PromisesTable>, currency: string) {
  return {
    id: promise.id,
    promisedDate: promise.promised_date,
    amount: fromMinor(promise.amount_minor, currency),
    contact: promise.contact,
    status: promise.status,
    recordedBy: promise.recorded_by,
    recordedAt: promise.recorded_at,
    closedAt: promise.closed_at,
  };
}

/** Commands on one invoice's collection: each is an Update on its workflow, validated there. */
export function collectionRoutes(routes: ApiRoutes, { db, temporal }: ApiDeps): void {
  /** A POST on an invoice that becomes one workflow Update; `toArgs` turns the body into its argument. */
  function command<B extends z.ZodType, A>(spec: {
    path: string;
    summary: string;
    roles: readonly Role[];
    rule?: string;
    body: B;
    update: UpdateDefinition<CollectionStatus, [A]>;
    toArgs(body: z.output<B>, actor: Actor, currency: string): A | Promise<A>;
  }): void {
    routes.add({
      method: 'post',
      path: `/api/v1/invoices/:no/${spec.path}`,
      summary: spec.summary,
      roles: spec.roles,
      rule: spec.rule,
      body: spec.body,
      responses: REFUSAL_RESPONSES,
      async handle({ params, body, actor }) {
        const currency = await invoiceCurrency(db, params.no);
        const args = await spec.toArgs(body, actor, currency);
        return { body: statusView(await updateCollection(temporal, params.no, spec.update, args), currency) };
      },
    });
  }

  routes.add({
    method: 'get',
    path: '/api/v1/invoices/:no/collection',
    summary:
      'The collection state of an invoice: steps handled, pauses, what waits for approval, next action, and the ladder step by step; or that it ended, and how',
    roles: 'any',
    responses: {
      200: 'the state; once the collection has ended, `running: false` and how it ended (paid or written off, when)',
      404: 'no such invoice, or no collection was ever started for it',
    },
    async handle({ params }) {
      const { invoice, ended } = await collectionEnd(db, params.no);
      const currency = invoice.currency;
      if (ended) {
        return {
          body: {
            invoiceNo: params.no,
            running: false,
            ended,
            balance: fromMinor(invoice.balance_minor, currency),
            ladder: [],
          },
        };
      }
      const status = await collectionStatus(temporal, params.no);
      return { body: { ...statusView(status, currency), ladder: await ladderView(db, status) } };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/invoices/:no/disputes',
    summary: "An invoice's disputes, newest first: reason, who it was routed to, status, outcome and credit note",
    roles: 'any',
    responses: { 200: 'the disputes (at most 200)', 404: 'no such invoice' },
    async handle({ params }) {
      const currency = await invoiceCurrency(db, params.no);
      const disputes = await db
        .selectFrom('disputes')
        .selectAll()
        .where('invoice_no', '=', params.no)
        .orderBy('opened_at', 'desc')
        .limit(MAX_FINANCE_PAGE)
        .execute();
      // A file a customer attached on the customer's page, downloadable at its own route (api/routes/portal.ts).
      const files =
        disputes.length === 0
          ? []
          : await db
              .selectFrom('dispute_attachments')
              .select(['dispute_id', 'file_name', 'content_type', 'size_bytes'])
              .where(
                'dispute_id',
                'in',
                disputes.map((dispute) => dispute.id),
              )
              .execute();
      return {
        body: disputes.map((dispute) => {
          const file = files.find((f) => f.dispute_id === dispute.id);
          return {
            ...disputeView(dispute, currency),
            attachment: file
              ? {
                  fileName: file.file_name,
                  contentType: file.content_type,
                  sizeBytes: file.size_bytes,
                  href: `/api/v1/invoices/${encodeURIComponent(params.no)}/disputes/${encodeURIComponent(dispute.id.slice(params.no.length + 1))}/attachment`,
                }
              : null,
          };
        }),
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/invoices/:no/promises',
    summary: "An invoice's promises to pay, newest first: date, amount, contact and whether it was kept",
    roles: 'any',
    responses: { 200: 'the promises (at most 200)', 404: 'no such invoice' },
    async handle({ params }) {
      const invoice = await db
        .selectFrom('invoices')
        .select(['customer_code', 'currency'])
        .where('no', '=', params.no)
        .executeTakeFirst();
      if (!invoice) throw notFound(`invoice ${params.no}`);
      const promises = await db
        .selectFrom('promises')
        .selectAll()
        // The customer's promises by their index, then this invoice's among them.
        .where('customer_code', '=', invoice.customer_code)
        .where('invoice_no', '=', params.no)
        .orderBy('recorded_at', 'desc')
        .limit(MAX_FINANCE_PAGE)
        .execute();
      return { body: promises.map((promise) => promiseView(promise, invoice.currency)) };
    },
  });

  command({
    path: 'approvals',
    summary: 'Finance approves or rejects a step that needs approval (the legal notice); a rejection holds the ladder',
    roles: COLLECTION_COMMAND_ROLES.approveStep,
    body: StepApprovalSchema,
    update: approveStepUpdate,
    toArgs: (body, actor) => ({ actor, ...body }),
  });
  command({
    path: 'disputes',
    summary: 'Open a dispute: letters pause at once and the reason routes a task to the responsible team',
    roles: COLLECTION_COMMAND_ROLES.openDispute,
    body: OpenDisputeSchema,
    update: openDisputeUpdate,
    toArgs: (body, actor) => ({ actor, reason: body.reason as DisputeReason, note: body.note }),
  });
  command({
    path: 'disputes/resolve',
    summary:
      'Resolve the open dispute (accepted with an optional credit note, or rejected); the ladder resumes at the step that applies',
    roles: COLLECTION_COMMAND_ROLES.resolveDispute,
    body: ResolveDisputeSchema,
    update: resolveDisputeUpdate,
    toArgs: (body, actor, currency) => ({
      actor,
      outcome: body.outcome,
      note: body.note,
      creditMinor: body.credit ? toMinor(body.credit, 'credit', currency).minor : 0,
    }),
  });
  command({
    path: 'promises',
    summary: 'Record a promise to pay: letters pause until the promised date plus the grace period',
    roles: COLLECTION_COMMAND_ROLES.recordPromise,
    body: PromiseSchema,
    update: recordPromiseUpdate,
    toArgs: (body, actor, currency) => ({
      actor,
      promisedDate: body.promisedDate,
      contact: body.contact,
      amountMinor: toMinor(body.amount, 'amount', currency).minor,
    }),
  });
  command({
    path: 'write-off',
    summary: 'Finance requests a write-off; an executive other than the requester decides',
    roles: COLLECTION_COMMAND_ROLES.requestWriteOff,
    body: WriteOffRequestSchema,
    update: requestWriteOffUpdate,
    toArgs: (body, actor) => ({ actor, reason: body.reason }),
  });
  command({
    path: 'write-off/decision',
    summary: 'An executive approves or rejects the requested write-off; approval ends the collection',
    roles: COLLECTION_COMMAND_ROLES.decideWriteOff,
    rule: 'not the person who requested the write-off',
    body: WriteOffDecisionSchema,
    update: decideWriteOffUpdate,
    toArgs: (body, actor) => ({ actor, ...body }),
  });
  command({
    path: 'policy',
    summary: 'Finance moves a running invoice to another policy version, with a reason (recorded)',
    roles: COLLECTION_COMMAND_ROLES.changePolicy,
    body: ChangePolicySchema,
    update: changePolicyUpdate,
    async toArgs(body, actor) {
      const policy = await policyVersion(db, body.policyId, body.version);
      if (!policy)
        throw invalidInput('policyId', `no policy ${body.policyId}${body.version ? ` version ${body.version}` : ''}`);
      return { actor, policy, reason: body.reason };
    },
  });
  command({
    path: 'interest',
    summary: 'Finance settles the late interest left after the principal was paid: collected, or waived with a reason',
    roles: COLLECTION_COMMAND_ROLES.settleInterest,
    body: SettleInterestSchema,
    update: settleInterestUpdate,
    toArgs: (body, actor) => ({ actor, ...body }),
  });
}
