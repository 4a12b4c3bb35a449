import type { Client } from '@temporalio/client';
import type { Db } from '../db/connect';
import { appendTimeline } from '../db/timeline';
import { allocatePayment } from '../domain/allocation';
import type { Actor } from '../domain/roles';
import { paymentAppliedSignal } from '../workflows/collection';
import { badRequest, notFound } from './errors';

export interface PaymentRequest {
  customerCode: string;
  amountMinor: number;
  currency: string;
  reference: string;
  receivedOn: string;
  invoiceNo?: string;
}

export interface RecordedPayment {
  id: number;
  created: boolean;
  allocations: { invoiceNo: string; amountMinor: number; balanceMinor: number }[];
  unallocatedMinor: number;
}

async function existingPayment(db: Db, customerCode: string, reference: string): Promise<RecordedPayment | undefined> {
  const payment = await db.selectFrom('payments').selectAll().where('customer_code', '=', customerCode).where('reference', '=', reference).executeTakeFirst();
  if (!payment) return undefined;
  const allocations = await db.selectFrom('allocations').innerJoin('invoices', 'invoices.no', 'allocations.invoice_no')
    .select(['allocations.invoice_no', 'allocations.amount_minor', 'invoices.balance_minor'])
    .where('payment_id', '=', payment.id).orderBy('allocations.id').execute();
  return {
    id: payment.id, created: false, unallocatedMinor: payment.unallocated_minor,
    allocations: allocations.map((a) => ({ invoiceNo: a.invoice_no, amountMinor: a.amount_minor, balanceMinor: a.balance_minor })),
  };
}

/**
 * Records a payment and allocates it in one transaction (named invoice first, then oldest open).
 * The same bank reference for the same customer is recorded once; a repeat returns the first result.
 */
export async function recordPayment(db: Db, temporal: Client, request: PaymentRequest, actor: Actor): Promise<RecordedPayment> {
  const recorded = await db.transaction().execute(async (trx) => {
    const customer = await trx.selectFrom('customers').select(['code', 'currency']).where('code', '=', request.customerCode).forUpdate().executeTakeFirst();
    if (!customer) throw notFound(`customer ${request.customerCode}`);
    const repeat = await existingPayment(trx, request.customerCode, request.reference);
    if (repeat) return repeat;
    const open = await trx.selectFrom('invoices')
      .select(['no as invoiceNo', 'balance_minor as balanceMinor', 'due_date as dueDate', 'issue_date as issueDate', 'currency'])
      .where('customer_code', '=', request.customerCode).where('status', '=', 'open').forUpdate().execute();
    if (request.invoiceNo && !open.some((i) => i.invoiceNo === request.invoiceNo)) {
      throw badRequest('invoiceNo', `${request.invoiceNo} is not an open invoice of customer ${request.customerCode}`);
    }
    const sameCurrency = open.filter((i) => i.currency === request.currency);
    const { allocations, unallocatedMinor } = allocatePayment(request.amountMinor, sameCurrency, request.invoiceNo);
    const payment = await trx.insertInto('payments').values({
      customer_code: request.customerCode, reference: request.reference, amount_minor: request.amountMinor,
      currency: request.currency, received_on: request.receivedOn, unallocated_minor: unallocatedMinor, recorded_by: actor.name,
    }).returning('id').executeTakeFirstOrThrow();
    const applied: RecordedPayment['allocations'] = [];
    for (const allocation of allocations) {
      await trx.insertInto('allocations').values({ payment_id: payment.id, invoice_no: allocation.invoiceNo, amount_minor: allocation.amountMinor }).execute();
      const invoice = await trx.updateTable('invoices')
        .set((eb) => ({ balance_minor: eb('balance_minor', '-', allocation.amountMinor) }))
        .where('no', '=', allocation.invoiceNo).returning(['balance_minor', 'contract_no']).executeTakeFirstOrThrow();
      if (invoice.balance_minor <= 0) {
        await trx.updateTable('invoices').set({ status: 'paid', paid_at: new Date() }).where('no', '=', allocation.invoiceNo).execute();
      }
      await appendTimeline(trx, {
        eventKey: `payment/${payment.id}/${allocation.invoiceNo}`, contractNo: invoice.contract_no, invoiceNo: allocation.invoiceNo,
        at: new Date(), actor, action: 'payment_allocated',
        details: { reference: request.reference, amountMinor: allocation.amountMinor, balanceMinor: invoice.balance_minor, receivedOn: request.receivedOn },
      });
      applied.push({ invoiceNo: allocation.invoiceNo, amountMinor: allocation.amountMinor, balanceMinor: invoice.balance_minor });
    }
    return { id: payment.id, created: true, allocations: applied, unallocatedMinor };
  });
  // Signalled after commit, and again on a repeated request, so a crash in between is healed by a retry.
  await Promise.all(recorded.allocations.map((a) =>
    temporal.workflow.getHandle(`invoice/${a.invoiceNo}`).signal(paymentAppliedSignal, { balanceMinor: a.balanceMinor })
      .catch((error: Error) => { if (error.name !== 'WorkflowNotFoundError') throw error; })));
  return recorded;
}
