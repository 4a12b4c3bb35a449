import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { appendTimeline } from '../db/timeline';
import {
  type Allocation,
  PAYER_NAME_NOISE,
  invoiceNumberCandidates,
  matchPayment,
  normalizePayerName,
} from '../domain/matching';
import type { Actor } from '../domain/roles';
import type { SendTime } from '../domain/collection';
import { resumeCollection, signalPaymentApplied } from './workflow-client';
import { collectionInputFor } from './collection-start';
import { reevaluateCreditHold } from './credit-holds';
import { invalidInput, ruleRefusal } from '../domain/refusal';
import { type InvoiceStatus } from '../domain/statuses';

export type MatchRule = Allocation['rule'] | 'manual' | 'historical';

export interface IncomingPayment {
  source: 'api' | 'bank_import';
  /** Known when finance records it; found by payer account, invoice numbers or payer name when imported. */
  customerCode?: string;
  /** Invoice the payer named (API); allocated first. */
  invoiceNo?: string;
  amountMinor: number;
  currency: string;
  receivedOn: string;
  /** Bank reference; unique per customer. Generated from the line when the statement has none. */
  reference: string;
  payerName?: string;
  payerAccount?: string;
  remittance?: string;
  /** Identity of an imported bank line; a second import of the same line is a repeat. */
  dedupeKey?: string;
  importId?: number;
}

export interface AppliedAllocation {
  id: number;
  invoiceNo: string;
  amountMinor: number;
  balanceMinor: number;
  rule: MatchRule;
}

export interface ReceivedPayment {
  id: number;
  /** False when this payment (reference or dedupe key) was already recorded: the earlier result. */
  created: boolean;
  status: 'matched' | 'unmatched' | 'reversed';
  customerCode: string | null;
  allocations: AppliedAllocation[];
  /** Left on the payment: customer credit when the customer is known, else the whole amount waits in the queue. */
  unallocatedMinor: number;
}

/**
 * Records and matches one payment inside the caller's transaction (SPEC section 6). The customer is the
 * one given, else the owner of the payer's known account, else the customer whose invoice numbers the
 * remittance names, else the customer with the payer's name; without one the payment waits in finance's
 * unmatched queue. The caller signals the collections (notifyCollections) after commit.
 */
export async function receivePayment(
  trx: Db,
  payment: IncomingPayment,
  actor: Actor,
  today: string,
): Promise<ReceivedPayment> {
  const byKey = payment.dedupeKey ? await paymentBy(trx, 'dedupe_key', payment.dedupeKey) : undefined;
  if (byKey) return byKey;
  const customerCode = payment.customerCode ?? (await identifyCustomer(trx, payment));
  if (customerCode) {
    await lockCustomer(trx, customerCode);
    const repeat = await paymentByReference(trx, customerCode, payment.reference);
    if (repeat) return repeat;
  }
  const row = await trx
    .insertInto('payments')
    .values({
      customer_code: customerCode ?? null,
      reference: payment.reference,
      amount_minor: payment.amountMinor,
      currency: payment.currency,
      received_on: payment.receivedOn,
      unallocated_minor: payment.amountMinor,
      recorded_by: actor.name,
      source: payment.source,
      status: customerCode ? 'matched' : 'unmatched',
      payer_name: payment.payerName ?? null,
      payer_account: payment.payerAccount ?? null,
      remittance: payment.remittance ?? null,
      dedupe_key: payment.dedupeKey ?? null,
      import_id: payment.importId ?? null,
    })
    .onConflict((oc) => oc.column('dedupe_key').where('dedupe_key', 'is not', null).doNothing())
    .returning('id')
    .executeTakeFirst();
  // The same line recorded at the same moment by another request (no customer row to queue behind): its result.
  if (!row) return (await paymentBy(trx, 'dedupe_key', payment.dedupeKey!))!;
  await appendTimeline(trx, {
    eventKey: `payment/${row.id}/received`,
    customerCode: customerCode ?? undefined,
    at: new Date(),
    actor,
    action: customerCode ? 'payment_received' : 'payment_unmatched',
    details: {
      paymentId: row.id,
      reference: payment.reference,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
      receivedOn: payment.receivedOn,
      payerName: payment.payerName,
      payerAccount: payment.payerAccount,
      remittance: payment.remittance,
      source: payment.source,
    },
  });
  if (!customerCode)
    return {
      id: row.id,
      created: true,
      status: 'unmatched',
      customerCode: null,
      allocations: [],
      unallocatedMinor: payment.amountMinor,
    };
  if (payment.invoiceNo) {
    const named = await requireOpenInvoice(trx, customerCode, payment.invoiceNo);
    if (named.currency !== payment.currency)
      throw ruleRefusal(
        'conflict',
        'currency_mismatch',
        `invoice ${payment.invoiceNo} is in ${named.currency}, the payment in ${payment.currency}`,
        'invoiceNo',
      );
  }
  const allocations = await matchAndAllocate(
    trx,
    row.id,
    { namedInvoiceNos: payment.invoiceNo ? [payment.invoiceNo] : [], remittance: payment.remittance },
    actor,
    today,
  );
  return { ...(await paymentBy(trx, 'id', row.id))!, created: true, allocations };
}

/** Signals each running collection the balance a payment left; a finished or absent one needs nothing. */
export async function notifyCollections(
  temporal: Client,
  received: { allocations: { invoiceNo: string; balanceMinor: number }[] },
): Promise<void> {
  await Promise.all(received.allocations.map((a) => signalPaymentApplied(temporal, a.invoiceNo, a.balanceMinor)));
}

/**
 * After a reversal: each invoice still open is collected again from its current balance. A running
 * collection is told the new balance; a finished one starts afresh and picks up at the step that applies
 * today (the catch-up rule), its letters already sent staying sent.
 */
export async function reopenCollections(
  db: Db,
  temporal: Client,
  taskQueue: string,
  sendTime: SendTime,
  invoiceNos: string[],
): Promise<void> {
  for (const invoiceNo of invoiceNos) {
    const invoice = await db
      .selectFrom('invoices')
      .select(['status', 'balance_minor'])
      .where('no', '=', invoiceNo)
      .executeTakeFirstOrThrow();
    if (invoice.status !== 'open') continue;
    await resumeCollection(
      temporal,
      taskQueue,
      await collectionInputFor(db, invoiceNo, sendTime),
      invoice.balance_minor,
    );
  }
}

/** Finance resolves a payment from the unmatched queue: names the customer (and optionally the invoices). */
export async function assignUnmatchedPayment(
  trx: Db,
  paymentId: number,
  request: { customerCode: string; invoiceNos?: string[]; rememberPayerAccount?: boolean },
  actor: Actor,
  today: string,
): Promise<ReceivedPayment> {
  await lockCustomer(trx, request.customerCode);
  const payment = await lockPayment(trx, paymentId);
  if (payment.status !== 'unmatched')
    throw ruleRefusal(
      'conflict',
      'not_unmatched',
      `payment ${paymentId} is ${payment.status}, not waiting in the unmatched queue`,
    );
  const duplicate = await paymentByReference(trx, request.customerCode, payment.reference);
  if (duplicate) {
    throw ruleRefusal(
      'conflict',
      'duplicate_reference',
      `customer ${request.customerCode} already has payment ${duplicate.id} with reference ${payment.reference}; reverse this one instead`,
      'customerCode',
    );
  }
  for (const invoiceNo of request.invoiceNos ?? []) await requireOpenInvoice(trx, request.customerCode, invoiceNo);
  await trx
    .updateTable('payments')
    .set({ customer_code: request.customerCode, status: 'matched' })
    .where('id', '=', paymentId)
    .execute();
  if (request.rememberPayerAccount && payment.payer_account) {
    await trx
      .insertInto('payer_accounts')
      .values({ account: payment.payer_account, customer_code: request.customerCode, learned_by: actor.name })
      .onConflict((oc) =>
        oc.column('account').doUpdateSet({ customer_code: request.customerCode, learned_by: actor.name }),
      )
      .execute();
  }
  await appendTimeline(trx, {
    eventKey: `payment/${paymentId}/assigned`,
    customerCode: request.customerCode,
    at: new Date(),
    actor,
    action: 'payment_assigned',
    details: {
      paymentId,
      reference: payment.reference,
      invoiceNos: request.invoiceNos ?? [],
      payerAccountRemembered: Boolean(request.rememberPayerAccount && payment.payer_account),
    },
  });
  const allocations = await matchAndAllocate(
    trx,
    paymentId,
    { namedInvoiceNos: request.invoiceNos ?? [], remittance: payment.remittance ?? undefined },
    actor,
    today,
  );
  return { ...(await paymentBy(trx, 'id', paymentId))!, created: false, allocations };
}

/** Applies customer credit (what is left on a matched payment) to one open invoice of the same customer. */
export async function allocateCredit(
  trx: Db,
  paymentId: number,
  invoiceNo: string,
  amountMinor: number,
  actor: Actor,
  today: string,
): Promise<AppliedAllocation> {
  await lockCustomerOfPayment(trx, paymentId);
  const payment = await lockPayment(trx, paymentId);
  if (payment.status !== 'matched')
    throw ruleRefusal(
      'conflict',
      'not_matched',
      `payment ${paymentId} is ${payment.status}; only a matched payment's credit can be allocated`,
    );
  if (amountMinor > payment.unallocated_minor) {
    throw ruleRefusal(
      'conflict',
      'exceeds_credit',
      `payment ${paymentId} has ${payment.unallocated_minor} minor units unallocated, less than ${amountMinor}`,
      'amount',
    );
  }
  const invoice = await requireOpenInvoice(trx, payment.customer_code!, invoiceNo);
  if (invoice.currency !== payment.currency)
    throw ruleRefusal(
      'conflict',
      'currency_mismatch',
      `invoice ${invoiceNo} is in ${invoice.currency}, the payment in ${payment.currency}`,
      'invoiceNo',
    );
  if (amountMinor > invoice.balance_minor)
    throw ruleRefusal(
      'conflict',
      'exceeds_balance',
      `invoice ${invoiceNo} has only ${invoice.balance_minor} minor units open`,
      'amount',
    );
  // Credit applied today pays the invoice today, not on the day the money first came in.
  const [applied] = await applyAllocations(
    trx,
    payment,
    [{ invoiceNo, amountMinor, rule: 'manual' }],
    actor,
    today > payment.received_on ? today : payment.received_on,
  );
  await reevaluateCreditHold(trx, payment.customer_code!, today, actor);
  return applied;
}

/** Undoes one allocation: the money goes back to the payment's credit and the invoice reopens. */
export async function reverseAllocation(
  trx: Db,
  allocationId: number,
  reason: string,
  actor: Actor,
  today: string,
): Promise<{ invoiceNo: string; balanceMinor: number }> {
  const found = await trx
    .selectFrom('allocations')
    .select('payment_id')
    .where('id', '=', allocationId)
    .executeTakeFirst();
  if (!found) throw ruleRefusal('not_found', 'not_found', `no allocation ${allocationId}`);
  await lockCustomerOfPayment(trx, found.payment_id);
  const allocation = await trx
    .selectFrom('allocations')
    .selectAll()
    .where('id', '=', allocationId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (allocation.reversed_at)
    throw ruleRefusal(
      'conflict',
      'already_reversed',
      `allocation ${allocationId} was reversed by ${allocation.reversed_by}`,
    );
  const payment = await lockPayment(trx, allocation.payment_id);
  await trx
    .updateTable('allocations')
    .set({ reversed_at: new Date(), reversed_by: actor.name, reversal_reason: reason })
    .where('id', '=', allocationId)
    .execute();
  await trx
    .updateTable('payments')
    .set((eb) => ({ unallocated_minor: eb('unallocated_minor', '+', allocation.amount_minor) }))
    .where('id', '=', payment.id)
    .execute();
  const invoice = await trx
    .updateTable('invoices')
    // A written-off invoice stays written off: the reversal only gives its balance back.
    .set((eb) => ({
      balance_minor: eb('balance_minor', '+', allocation.amount_minor),
      status: sql<InvoiceStatus>`case when status = 'paid' then 'open' else status end`,
      paid_on: null,
      paid_at: null,
    }))
    .where('no', '=', allocation.invoice_no)
    .returning(['balance_minor', 'contract_no', 'customer_code'])
    .executeTakeFirstOrThrow();
  // Interest assessed at payment but not yet settled is assessed again when the invoice is paid anew.
  await trx
    .updateTable('invoices')
    .set({ interest_minor: null, interest_status: null })
    .where('no', '=', allocation.invoice_no)
    .where('interest_status', 'in', ['open', 'none'])
    .execute();
  await appendTimeline(trx, {
    eventKey: `allocation/${allocationId}/reversed`,
    contractNo: invoice.contract_no,
    customerCode: invoice.customer_code,
    invoiceNo: allocation.invoice_no,
    at: new Date(),
    actor,
    action: 'allocation_reversed',
    reason,
    details: {
      allocationId,
      paymentId: payment.id,
      reference: payment.reference,
      amountMinor: allocation.amount_minor,
      balanceMinor: invoice.balance_minor,
    },
  });
  await reevaluateCreditHold(trx, invoice.customer_code, today, actor);
  return { invoiceNo: allocation.invoice_no, balanceMinor: invoice.balance_minor };
}

/** Reverses a whole payment (returned or recorded in error): every live allocation is undone and nothing is left to allocate. */
export async function reversePayment(
  trx: Db,
  paymentId: number,
  reason: string,
  actor: Actor,
  today: string,
): Promise<{ invoiceNo: string; balanceMinor: number }[]> {
  await lockCustomerOfPayment(trx, paymentId);
  const payment = await lockPayment(trx, paymentId);
  if (payment.status === 'reversed')
    throw ruleRefusal('conflict', 'already_reversed', `payment ${paymentId} was reversed by ${payment.reversed_by}`);
  const live = await trx
    .selectFrom('allocations')
    .select('id')
    .where('payment_id', '=', paymentId)
    .where('reversed_at', 'is', null)
    .orderBy('id')
    .execute();
  const reopened = [];
  for (const { id } of live) reopened.push(await reverseAllocation(trx, id, reason, actor, today));
  await trx
    .updateTable('payments')
    .set({
      status: 'reversed',
      unallocated_minor: 0,
      reversed_at: new Date(),
      reversed_by: actor.name,
      reversal_reason: reason,
    })
    .where('id', '=', paymentId)
    .execute();
  await appendTimeline(trx, {
    eventKey: `payment/${paymentId}/reversed`,
    customerCode: payment.customer_code ?? undefined,
    at: new Date(),
    actor,
    action: 'payment_reversed',
    reason,
    details: {
      paymentId,
      reference: payment.reference,
      amountMinor: payment.amount_minor,
      invoices: reopened.map((r) => r.invoiceNo),
    },
  });
  return reopened;
}

async function matchAndAllocate(
  trx: Db,
  paymentId: number,
  hints: { namedInvoiceNos: string[]; remittance?: string },
  actor: Actor,
  today: string,
): Promise<AppliedAllocation[]> {
  const payment = await lockPayment(trx, paymentId);
  const open = await trx
    .selectFrom('invoices')
    .select(['no as invoiceNo', 'balance_minor as balanceMinor', 'due_date as dueDate', 'issue_date as issueDate'])
    .where('customer_code', '=', payment.customer_code!)
    .where('status', '=', 'open')
    .where('currency', '=', payment.currency)
    .where('balance_minor', '>', 0)
    .forUpdate()
    .execute();
  const { allocations } = matchPayment(payment.unallocated_minor, open, hints);
  const applied = await applyAllocations(trx, payment, allocations, actor);
  await reevaluateCreditHold(trx, payment.customer_code!, today, actor);
  return applied;
}

type PaymentRow = Awaited<ReturnType<typeof lockPayment>>;

async function applyAllocations(
  trx: Db,
  payment: PaymentRow,
  allocations: { invoiceNo: string; amountMinor: number; rule: MatchRule }[],
  actor: Actor,
  paidOn = payment.received_on,
): Promise<AppliedAllocation[]> {
  const applied: AppliedAllocation[] = [];
  for (const allocation of allocations) {
    const row = await trx
      .insertInto('allocations')
      .values({
        payment_id: payment.id,
        invoice_no: allocation.invoiceNo,
        amount_minor: allocation.amountMinor,
        rule: allocation.rule,
        allocated_by: actor.name,
        // The payment's received date, kept on the allocation for the as-of reports (migration 0023).
        received_on: payment.received_on,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const invoice = await trx
      .updateTable('invoices')
      .set((eb) => ({ balance_minor: eb('balance_minor', '-', allocation.amountMinor) }))
      .where('no', '=', allocation.invoiceNo)
      .returning(['balance_minor', 'contract_no', 'customer_code'])
      .executeTakeFirstOrThrow();
    if (invoice.balance_minor <= 0) {
      await trx
        .updateTable('invoices')
        .set({ status: 'paid', paid_at: new Date(), paid_on: paidOn })
        .where('no', '=', allocation.invoiceNo)
        .execute();
    }
    await appendTimeline(trx, {
      eventKey: `allocation/${row.id}`,
      contractNo: invoice.contract_no,
      customerCode: invoice.customer_code,
      invoiceNo: allocation.invoiceNo,
      at: new Date(),
      actor,
      action: 'payment_allocated',
      details: {
        allocationId: row.id,
        paymentId: payment.id,
        reference: payment.reference,
        rule: allocation.rule,
        amountMinor: allocation.amountMinor,
        balanceMinor: invoice.balance_minor,
        receivedOn: payment.received_on,
      },
    });
    applied.push({
      id: row.id,
      invoiceNo: allocation.invoiceNo,
      amountMinor: allocation.amountMinor,
      balanceMinor: invoice.balance_minor,
      rule: allocation.rule,
    });
  }
  const total = applied.reduce((sum, a) => sum + a.amountMinor, 0);
  if (total > 0) {
    await trx
      .updateTable('payments')
      .set((eb) => ({ unallocated_minor: eb('unallocated_minor', '-', total) }))
      .where('id', '=', payment.id)
      .execute();
  }
  return applied;
}

async function identifyCustomer(trx: Db, payment: IncomingPayment): Promise<string | undefined> {
  if (payment.payerAccount) {
    const known = await trx
      .selectFrom('payer_accounts')
      .select('customer_code')
      .where('account', '=', payment.payerAccount)
      .executeTakeFirst();
    if (known) return known.customer_code;
  }
  const candidates = invoiceNumberCandidates(payment.remittance);
  if (candidates.length > 0) {
    const owners = await trx
      .selectFrom('invoices')
      .select('customer_code')
      .distinct()
      .where(sql<string>`upper(no)`, 'in', candidates)
      .execute();
    if (owners.length === 1) return owners[0].customer_code;
  }
  if (payment.payerName?.trim()) {
    const named = await trx
      .selectFrom('customers')
      .select('code')
      .where(sql<string>`translate(lower(name), ${PAYER_NAME_NOISE}, '')`, '=', normalizePayerName(payment.payerName))
      .limit(2)
      .execute();
    if (named.length === 1) return named[0].code;
  }
  return undefined;
}

async function requireOpenInvoice(trx: Db, customerCode: string, invoiceNo: string) {
  const invoice = await trx
    .selectFrom('invoices')
    .select(['no', 'currency', 'balance_minor', 'status', 'customer_code'])
    .where('no', '=', invoiceNo)
    .forUpdate()
    .executeTakeFirst();
  if (!invoice || invoice.customer_code !== customerCode || invoice.status !== 'open') {
    throw invalidInput(
      'invoiceNo',
      `${invoiceNo} is not an open invoice of customer ${customerCode}`,
      'invoice_not_open',
    );
  }
  return invoice;
}

/**
 * Every command that changes a customer's money locks the customer row first, then the payment, then
 * invoices: one order everywhere, so concurrent commands of a customer queue instead of deadlocking.
 */
async function lockCustomer(trx: Db, customerCode: string): Promise<void> {
  const customer = await trx
    .selectFrom('customers')
    .select('code')
    .where('code', '=', customerCode)
    .forUpdate()
    .executeTakeFirst();
  if (!customer) throw ruleRefusal('not_found', 'unknown_customer', `no customer ${customerCode}`, 'customerCode');
}

async function lockCustomerOfPayment(trx: Db, paymentId: number): Promise<void> {
  const payment = await trx
    .selectFrom('payments')
    .select('customer_code')
    .where('id', '=', paymentId)
    .executeTakeFirst();
  if (!payment) throw ruleRefusal('not_found', 'not_found', `no payment ${paymentId}`);
  if (payment.customer_code) await lockCustomer(trx, payment.customer_code);
}

function lockPayment(trx: Db, paymentId: number) {
  return trx
    .selectFrom('payments')
    .selectAll()
    .where('id', '=', paymentId)
    .forUpdate()
    .executeTakeFirst()
    .then((payment) => {
      if (!payment) throw ruleRefusal('not_found', 'not_found', `no payment ${paymentId}`);
      return payment;
    });
}

async function paymentByReference(
  trx: Db,
  customerCode: string,
  reference: string,
): Promise<ReceivedPayment | undefined> {
  const row = await trx
    .selectFrom('payments')
    .select('id')
    .where('customer_code', '=', customerCode)
    .where('reference', '=', reference)
    .executeTakeFirst();
  return row ? paymentBy(trx, 'id', row.id) : undefined;
}

/** A payment as recorded, with its live allocations and each invoice's balance now. */
async function paymentBy(
  trx: Db,
  column: 'id' | 'dedupe_key',
  value: number | string,
): Promise<ReceivedPayment | undefined> {
  const payment = await trx.selectFrom('payments').selectAll().where(sql.ref(column), '=', value).executeTakeFirst();
  if (!payment) return undefined;
  const allocations = await trx
    .selectFrom('allocations')
    .innerJoin('invoices', 'invoices.no', 'allocations.invoice_no')
    .select([
      'allocations.id',
      'allocations.invoice_no',
      'allocations.amount_minor',
      'allocations.rule',
      'invoices.balance_minor',
    ])
    .where('payment_id', '=', payment.id)
    .where('allocations.reversed_at', 'is', null)
    .orderBy('allocations.id')
    .execute();
  return {
    id: payment.id,
    created: false,
    status: payment.status as ReceivedPayment['status'],
    customerCode: payment.customer_code,
    unallocatedMinor: payment.unallocated_minor,
    allocations: allocations.map((a) => ({
      id: a.id,
      invoiceNo: a.invoice_no,
      amountMinor: a.amount_minor,
      balanceMinor: a.balance_minor,
      rule: a.rule as MatchRule,
    })),
  };
}
