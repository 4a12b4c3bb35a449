import type { ApiDeps } from '../deps';
import type { SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/schema';
import {
  allocateCredit,
  assignUnmatchedPayment,
  notifyCollections,
  receivePayment,
  reopenCollections,
  reverseAllocation,
  reversePayment,
} from '../../services/payments';
import type { SendTime } from '../../domain/collection';
import { localDateOf } from '../../domain/dates';
import { invalidInput, notFound, Refused } from '../../domain/refusal';
import { fromMinor, toMinor } from '../money';
import type { ApiRoutes } from '../route';
import { RecordPaymentSchema } from '../schemas/common';
import { AllocateCreditSchema, AssignPaymentSchema, ReversalSchema } from '../schemas/payments';
import { PAYMENT_STATUSES, isOneOf } from '../../domain/statuses';

export function paymentRoutes(
  routes: ApiRoutes,
  { db, temporal, taskQueue, defaultTimeZone, letterSendTime }: ApiDeps,
): void {
  const today = () => localDateOf(Date.now(), defaultTimeZone);
  const paymentId = (params: Record<string, string>) => {
    const id = Number(params.id);
    if (!Number.isSafeInteger(id) || id <= 0) throw invalidInput('id', 'must be a payment number');
    return id;
  };
  const reopen = (invoiceNos: string[]) =>
    reopenCollections(db, temporal, taskQueue, letterSendTime as SendTime, invoiceNos);

  routes.add({
    method: 'post',
    path: '/api/v1/payments',
    summary:
      'Record a payment and match it: named invoice, invoice numbers in the remittance, exact amount, then oldest open; an unknown payer waits in the unmatched queue',
    roles: ['finance'],
    body: RecordPaymentSchema,
    responses: {
      201: 'recorded and matched (or queued as unmatched)',
      200: 'this reference was already recorded; the earlier result',
      400: 'invalid input',
      404: 'no such customer',
    },
    async handle({ body, actor }) {
      const amount = toMinor(body.amount, 'amount');
      if (amount.minor <= 0) throw invalidInput('amount.value', 'must be positive');
      if (body.invoiceNo && !body.customerCode)
        throw invalidInput('invoiceNo', 'naming an invoice needs the customerCode too');
      if (body.receivedOn > today()) throw invalidInput('receivedOn', `${body.receivedOn} is after today (${today()})`);
      const result = await db.transaction().execute((trx) =>
        receivePayment(
          trx,
          {
            source: 'api',
            customerCode: body.customerCode,
            invoiceNo: body.invoiceNo,
            amountMinor: amount.minor,
            currency: amount.currency,
            reference: body.reference,
            receivedOn: body.receivedOn,
            payerName: body.payerName,
            payerAccount: body.payerAccount,
            remittance: body.remittance,
            // Without a customer the reference alone is the identity of the payment.
            dedupeKey: body.customerCode
              ? undefined
              : `reference/${JSON.stringify([body.reference, body.receivedOn, amount.minor, amount.currency])}`,
          },
          actor,
          today(),
        ),
      );
      // Signalled after commit, and again on a repeated request, so a crash in between is healed by a retry.
      await notifyCollections(temporal, result);
      return { status: result.created ? 201 : 200, body: await paymentView(result.id) };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/payments',
    summary: 'List payments, newest first; status=unmatched is the queue finance resolves',
    roles: ['finance', 'executive'],
    query: {
      status: 'matched | unmatched | reversed',
      customerCode: 'one customer',
      limit: '1–500, default 100',
      before: 'payment id to page from',
    },
    responses: { 200: 'payments', 400: 'invalid query' },
    async handle({ query }) {
      const { status } = query;
      if (status !== undefined && !isOneOf(PAYMENT_STATUSES, status))
        throw invalidInput('status', `must be one of ${PAYMENT_STATUSES.join(', ')}`);
      const limit = query.limit === undefined ? 100 : Number(query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        throw invalidInput('limit', 'must be an integer from 1 to 500');
      const before = query.before === undefined ? undefined : Number(query.before);
      if (before !== undefined && !Number.isSafeInteger(before)) throw invalidInput('before', 'must be a payment id');
      let select = db.selectFrom('payments').selectAll().orderBy('id', 'desc').limit(limit);
      if (status) select = select.where('status', '=', status);
      if (query.customerCode) select = select.where('customer_code', '=', query.customerCode);
      if (before !== undefined) select = select.where('id', '<', before);
      const rows = await select.execute();
      return {
        body: {
          payments: rows.map(paymentSummary),
          nextBefore: rows.length === limit ? rows[rows.length - 1].id : null,
        },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/payments/:id',
    summary: 'A payment with its allocations, reversed ones included',
    roles: ['finance', 'executive'],
    responses: { 200: 'the payment', 404: 'no such payment' },
    async handle({ params }) {
      return { body: await paymentView(paymentId(params)) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/payments/:id/assign',
    summary: 'Resolve an unmatched payment: name the customer (and invoices); optionally remember the payer account',
    roles: ['finance'],
    body: AssignPaymentSchema,
    responses: {
      200: 'matched and allocated',
      400: 'invalid input',
      404: 'no such payment or customer',
      409: 'not in the unmatched queue, or the reference is already recorded for that customer',
    },
    async handle({ params, body, actor }) {
      const result = await db
        .transaction()
        .execute((trx) => assignUnmatchedPayment(trx, paymentId(params), body, actor, today()))
        .catch(
          healThenRethrow('not_unmatched', async () =>
            notifyCollections(temporal, { allocations: await liveAllocations(paymentId(params)) }),
          ),
        );
      await notifyCollections(temporal, result);
      return { body: await paymentView(result.id) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/payments/:id/allocations',
    summary: "Apply a payment's unallocated customer credit to an open invoice",
    roles: ['finance'],
    body: AllocateCreditSchema,
    responses: {
      201: 'allocated',
      400: 'invalid input',
      404: 'no such payment',
      409: 'more than the credit or the balance, or the payment is not matched',
    },
    async handle({ params, body, actor }) {
      const amount = toMinor(body.amount, 'amount');
      if (amount.minor <= 0) throw invalidInput('amount.value', 'must be positive');
      const applied = await db
        .transaction()
        .execute((trx) => allocateCredit(trx, paymentId(params), body.invoiceNo, amount.minor, actor, today()));
      await notifyCollections(temporal, { allocations: [applied] });
      return { status: 201, body: await paymentView(paymentId(params)) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/payments/:id/reverse',
    summary:
      'Reverse a whole payment (returned or recorded in error); its invoices reopen and their collection resumes',
    roles: ['finance'],
    body: ReversalSchema,
    responses: { 200: 'reversed', 400: 'invalid input', 404: 'no such payment', 409: 'already reversed' },
    async handle({ params, body, actor }) {
      const reopened = await db
        .transaction()
        .execute((trx) => reversePayment(trx, paymentId(params), body.reason, actor, today()))
        .catch(
          healThenRethrow('already_reversed', async () =>
            reopen(await invoicesOf(db.selectFrom('allocations').where('payment_id', '=', paymentId(params)))),
          ),
        );
      await reopen(reopened.map((r) => r.invoiceNo));
      return { body: await paymentView(paymentId(params)) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/allocations/:id/reverse',
    summary:
      "Reverse one allocation: the amount returns to the payment's credit, the invoice reopens and its collection resumes",
    roles: ['finance'],
    body: ReversalSchema,
    responses: { 200: 'reversed', 400: 'invalid input', 404: 'no such allocation', 409: 'already reversed' },
    async handle({ params, body, actor }) {
      const id = Number(params.id);
      if (!Number.isSafeInteger(id) || id <= 0) throw invalidInput('id', 'must be an allocation number');
      const reopened = await db
        .transaction()
        .execute((trx) => reverseAllocation(trx, id, body.reason, actor, today()))
        .catch(
          healThenRethrow('already_reversed', async () =>
            reopen(await invoicesOf(db.selectFrom('allocations').where('id', '=', id))),
          ),
        );
      await reopen([reopened.invoiceNo]);
      const { payment_id } = await db
        .selectFrom('allocations')
        .select('payment_id')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return { body: await paymentView(payment_id) };
    },
  });

  /**
   * A command repeated after it committed (say its signal failed) is refused as done, but first does
   * again what follows the commit, so a retry heals a collection that missed its news.
   */
  function healThenRethrow(code: string, heal: () => Promise<unknown>) {
    return async (error: unknown): Promise<never> => {
      if (error instanceof Refused && error.code === code) await heal();
      throw error;
    };
  }

  async function invoicesOf(allocations: SelectQueryBuilder<Database, 'allocations', object>): Promise<string[]> {
    return (await allocations.select('invoice_no').distinct().execute()).map((a) => a.invoice_no);
  }

  async function liveAllocations(id: number) {
    return db
      .selectFrom('allocations')
      .innerJoin('invoices', 'invoices.no', 'allocations.invoice_no')
      .select(['allocations.invoice_no as invoiceNo', 'invoices.balance_minor as balanceMinor'])
      .where('payment_id', '=', id)
      .where('allocations.reversed_at', 'is', null)
      .execute();
  }

  async function paymentView(id: number) {
    const payment = await db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!payment) throw notFound(`payment ${id}`);
    const allocations = await db
      .selectFrom('allocations')
      .innerJoin('invoices', 'invoices.no', 'allocations.invoice_no')
      .select([
        'allocations.id',
        'allocations.invoice_no',
        'allocations.amount_minor',
        'allocations.rule',
        'allocations.allocated_by',
        'allocations.created_at',
        'allocations.reversed_at',
        'allocations.reversed_by',
        'allocations.reversal_reason',
        'invoices.balance_minor',
      ])
      .where('payment_id', '=', id)
      .orderBy('allocations.id')
      .execute();
    const money = (minor: number) => fromMinor(minor, payment.currency);
    return {
      ...paymentSummary(payment),
      allocations: allocations.map((a) => ({
        id: a.id,
        invoiceNo: a.invoice_no,
        amount: money(a.amount_minor),
        rule: a.rule,
        allocatedBy: a.allocated_by,
        at: a.created_at,
        invoiceBalance: money(a.balance_minor),
        reversed: a.reversed_at ? { at: a.reversed_at, by: a.reversed_by, reason: a.reversal_reason } : null,
      })),
    };
  }
}

function paymentSummary(payment: {
  id: number;
  customer_code: string | null;
  reference: string;
  amount_minor: number;
  currency: string;
  received_on: string;
  unallocated_minor: number;
  status: string;
  source: string;
  payer_name: string | null;
  payer_account: string | null;
  remittance: string | null;
  recorded_by: string;
  reversed_at: Date | null;
  reversed_by: string | null;
  reversal_reason: string | null;
}) {
  const money = (minor: number) => fromMinor(minor, payment.currency);
  return {
    id: payment.id,
    status: payment.status,
    customerCode: payment.customer_code,
    reference: payment.reference,
    amount: money(payment.amount_minor),
    receivedOn: payment.received_on,
    unallocated: money(payment.unallocated_minor),
    source: payment.source,
    payer: { name: payment.payer_name, account: payment.payer_account },
    remittance: payment.remittance,
    recordedBy: payment.recorded_by,
    reversed: payment.reversed_at
      ? { at: payment.reversed_at, by: payment.reversed_by, reason: payment.reversal_reason }
      : null,
  };
}
