import type { Db } from '../db/connect';
import { appendTimeline } from '../db/timeline';
import { DAY_MS, localDateOf } from '../domain/dates';
import { DISPUTE_ROUTES, type DisputeReason, MANAGER_OF } from '../domain/disputes';
import { accruedInterest, parseAnnualRatePercent } from '../domain/interest';
import type { Actor } from '../domain/roles';
import { SYSTEM_ACTOR } from '../domain/roles';
import { invoiceOwners } from './collection-steps';
import { type Owners, ownerName } from './letters';
import { WRITE_OFF_STEP } from '../domain/collection-commands';
import { openTask } from './tasks';

// Facts the collection workflow records as disputes, promises and write-offs happen; each write is idempotent.

export interface DisputeOpening {
  disputeId: string;
  invoiceNo: string;
  reason: DisputeReason;
  note?: string;
  actor: Actor;
  at: number;
  slaDueAt: number;
}

export async function recordDisputeOpened(db: Db, d: DisputeOpening): Promise<void> {
  const invoice = await invoiceOwners(db, d.invoiceNo);
  const routedTo = DISPUTE_ROUTES[d.reason];
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('disputes')
      .values({
        id: d.disputeId,
        invoice_no: d.invoiceNo,
        reason: d.reason,
        note: d.note ?? null,
        routed_to: routedTo,
        status: 'open',
        opened_by: d.actor.name,
        opened_at: new Date(d.at),
        sla_due_at: new Date(d.slaDueAt),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    await openTask(trx, {
      key: `dispute/${d.disputeId}`,
      invoiceNo: d.invoiceNo,
      contractNo: invoice.contract_no,
      kind: 'dispute',
      ownerRole: routedTo,
      ownerName: ownerName((invoice.owners ?? {}) as Owners, routedTo, invoice.created_by),
      wording: { key: 'dispute', invoiceNo: d.invoiceNo, reason: d.reason },
      dueAt: d.slaDueAt,
    });
    await appendTimeline(trx, {
      eventKey: `dispute/${d.disputeId}/opened`,
      contractNo: invoice.contract_no,
      invoiceNo: d.invoiceNo,
      at: new Date(d.at),
      actor: d.actor,
      action: 'dispute_opened',
      reason: d.note,
      details: { disputeId: d.disputeId, reason: d.reason, routedTo },
    });
  });
}

export async function recordDisputeEscalated(
  db: Db,
  e: { disputeId: string; invoiceNo: string; at: number; taskDueDays: number },
): Promise<void> {
  const invoice = await invoiceOwners(db, e.invoiceNo);
  const dispute = await db
    .selectFrom('disputes')
    .select(['routed_to', 'reason'])
    .where('id', '=', e.disputeId)
    .executeTakeFirstOrThrow();
  const manager = MANAGER_OF[dispute.routed_to as keyof typeof MANAGER_OF];
  await db.transaction().execute(async (trx) => {
    const disputeTask = await trx
      .selectFrom('tasks')
      .select('owner_name')
      .where('task_key', '=', `dispute/${e.disputeId}`)
      .executeTakeFirst();
    await trx
      .updateTable('disputes')
      .set({ escalated_at: new Date(e.at) })
      .where('id', '=', e.disputeId)
      .where('escalated_at', 'is', null)
      .execute();
    await trx
      .updateTable('tasks')
      .set({ escalated_to: manager })
      .where('task_key', '=', `dispute/${e.disputeId}`)
      .execute();
    await openTask(trx, {
      key: `dispute/${e.disputeId}/escalated`,
      invoiceNo: e.invoiceNo,
      contractNo: invoice.contract_no,
      kind: 'dispute_escalation',
      ownerRole: manager,
      ownerName: ownerName((invoice.owners ?? {}) as Owners, manager, invoice.created_by),
      wording: { key: 'disputeEscalated', invoiceNo: e.invoiceNo, reason: dispute.reason },
      dueAt: e.at + e.taskDueDays * DAY_MS,
      // The dispute owner's manager person is told when the owner has one.
      escalatedFrom: disputeTask?.owner_name ?? null,
    });
    await appendTimeline(trx, {
      eventKey: `dispute/${e.disputeId}/escalated`,
      contractNo: invoice.contract_no,
      invoiceNo: e.invoiceNo,
      at: new Date(e.at),
      actor: SYSTEM_ACTOR,
      action: 'dispute_escalated',
      details: { disputeId: e.disputeId, escalatedTo: manager },
    });
  });
}

export interface DisputeResolution {
  disputeId: string;
  invoiceNo: string;
  outcome: 'accepted' | 'rejected';
  /** Credit note for an accepted dispute: reduces the invoice amount and balance. */
  creditMinor: number;
  note: string;
  actor: Actor;
  at: number;
}

/** Closes a dispute; an accepted one with a credit note lowers the invoice. Returns the balance now due. */
export async function recordDisputeResolved(db: Db, r: DisputeResolution): Promise<number> {
  const invoice = await invoiceOwners(db, r.invoiceNo);
  return db.transaction().execute(async (trx) => {
    const closed = await trx
      .updateTable('disputes')
      .set({
        status: 'resolved',
        outcome: r.outcome,
        credit_minor: r.creditMinor,
        resolved_by: r.actor.name,
        resolved_at: new Date(r.at),
      })
      .where('id', '=', r.disputeId)
      .where('status', '=', 'open')
      .returning('id')
      .executeTakeFirst();
    if (closed && r.creditMinor > 0) {
      const updated = await trx
        .updateTable('invoices')
        .set((eb) => ({
          amount_minor: eb('amount_minor', '-', r.creditMinor),
          balance_minor: eb('balance_minor', '-', r.creditMinor),
        }))
        .where('no', '=', r.invoiceNo)
        .returning('balance_minor')
        .executeTakeFirstOrThrow();
      if (updated.balance_minor <= 0)
        await trx
          .updateTable('invoices')
          .set({ status: 'paid', paid_at: new Date(r.at) })
          .where('no', '=', r.invoiceNo)
          .execute();
    }
    await trx
      .updateTable('tasks')
      .set({ status: 'done', closed_by: r.actor.name, closed_at: new Date(r.at), note: r.note })
      .where('task_key', 'in', [`dispute/${r.disputeId}`, `dispute/${r.disputeId}/escalated`])
      .where('status', '=', 'open')
      .execute();
    await appendTimeline(trx, {
      eventKey: `dispute/${r.disputeId}/resolved`,
      contractNo: invoice.contract_no,
      invoiceNo: r.invoiceNo,
      at: new Date(r.at),
      actor: r.actor,
      action: 'dispute_resolved',
      reason: r.note,
      details: { disputeId: r.disputeId, outcome: r.outcome, creditMinor: r.creditMinor },
    });
    const { balance_minor: balance } = await trx
      .selectFrom('invoices')
      .select('balance_minor')
      .where('no', '=', r.invoiceNo)
      .executeTakeFirstOrThrow();
    return balance;
  });
}

/** When a collection ends, nothing stays open behind it: a pending promise was kept (paid) or falls away (written off). */
async function closeOpenFacts(db: Db, invoiceNo: string, outcome: 'paid' | 'written_off', at: number): Promise<void> {
  await db
    .updateTable('promises')
    .set({ status: outcome === 'paid' ? 'kept' : 'cancelled', closed_at: new Date(at) })
    .where('invoice_no', '=', invoiceNo)
    .where('status', '=', 'open')
    .execute();
  await db
    .updateTable('disputes')
    .set({ status: 'closed', outcome: outcome === 'paid' ? 'paid' : 'written_off', resolved_at: new Date(at) })
    .where('invoice_no', '=', invoiceNo)
    .where('status', '=', 'open')
    .execute();
}

export interface PromiseRecord {
  promiseId: string;
  invoiceNo: string;
  contact: string;
  promisedDate: string;
  amountMinor: number;
  actor: Actor;
  at: number;
}

export async function recordPromiseMade(db: Db, p: PromiseRecord): Promise<void> {
  const invoice = await invoiceOwners(db, p.invoiceNo);
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('promises')
      .values({
        id: p.promiseId,
        invoice_no: p.invoiceNo,
        customer_code: invoice.customer_code,
        contact: p.contact,
        promised_date: p.promisedDate,
        amount_minor: p.amountMinor,
        status: 'open',
        recorded_by: p.actor.name,
        recorded_at: new Date(p.at),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    await appendTimeline(trx, {
      eventKey: `promise/${p.promiseId}/made`,
      contractNo: invoice.contract_no,
      invoiceNo: p.invoiceNo,
      at: new Date(p.at),
      actor: p.actor,
      action: 'promise_recorded',
      details: { promiseId: p.promiseId, contact: p.contact, promisedDate: p.promisedDate, amountMinor: p.amountMinor },
    });
  });
}

/** Closes a promise as kept or broken; a broken one counts against the customer's credit, once. */
export async function recordPromiseClosed(
  db: Db,
  c: { promiseId: string; invoiceNo: string; kept: boolean; at: number },
): Promise<void> {
  const invoice = await invoiceOwners(db, c.invoiceNo);
  await db.transaction().execute(async (trx) => {
    const closed = await trx
      .updateTable('promises')
      .set({ status: c.kept ? 'kept' : 'broken', closed_at: new Date(c.at) })
      .where('id', '=', c.promiseId)
      .where('status', '=', 'open')
      .returning('id')
      .executeTakeFirst();
    if (closed && !c.kept) {
      await trx
        .updateTable('customers')
        .set((eb) => ({ broken_promises: eb('broken_promises', '+', 1) }))
        .where('code', '=', invoice.customer_code)
        .execute();
    }
    await appendTimeline(trx, {
      eventKey: `promise/${c.promiseId}/closed`,
      contractNo: invoice.contract_no,
      invoiceNo: c.invoiceNo,
      at: new Date(c.at),
      actor: SYSTEM_ACTOR,
      action: c.kept ? 'promise_kept' : 'promise_broken',
      details: { promiseId: c.promiseId },
    });
  });
}

export interface WriteOff {
  invoiceNo: string;
  requestedBy: Actor;
  requestReason: string;
  approvedBy: Actor;
  reason: string;
  at: number;
}

export async function recordWriteOff(db: Db, w: WriteOff): Promise<void> {
  const invoice = await invoiceOwners(db, w.invoiceNo);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('invoices')
      .set({ status: 'written_off', written_off_at: new Date(w.at), write_off_reason: w.requestReason })
      .where('no', '=', w.invoiceNo)
      .where('status', '=', 'open')
      .execute();
    await closeOpenFacts(trx, w.invoiceNo, 'written_off', w.at);
    await closeWriteOffApproval(trx, w.invoiceNo, w.approvedBy, w.at, w.reason);
    await trx
      .updateTable('tasks')
      .set({ status: 'skipped', closed_by: w.approvedBy.name, closed_at: new Date(w.at), note: 'invoice written off' })
      .where('invoice_no', '=', w.invoiceNo)
      .where('status', '=', 'open')
      .execute();
    await appendTimeline(trx, {
      eventKey: `writeoff/${w.invoiceNo}`,
      contractNo: invoice.contract_no,
      invoiceNo: w.invoiceNo,
      at: new Date(w.at),
      actor: w.approvedBy,
      action: 'written_off',
      reason: w.reason,
      details: { requestedBy: w.requestedBy, requestReason: w.requestReason, balanceMinor: invoice.balance_minor },
    });
  });
}

const WRITE_OFF_DECISION_DAYS = 3;

export async function recordWriteOffRequest(
  db: Db,
  r: { invoiceNo: string; actor: Actor; reason: string; at: number; approved?: boolean },
): Promise<void> {
  const invoice = await invoiceOwners(db, r.invoiceNo);
  const requested = r.approved === undefined;
  const action = requested ? 'write_off_requested' : 'write_off_rejected';
  await db.transaction().execute(async (trx) => {
    await appendTimeline(trx, {
      eventKey: `writeoff/${r.invoiceNo}/${action}/${r.at}`,
      contractNo: invoice.contract_no,
      invoiceNo: r.invoiceNo,
      at: new Date(r.at),
      actor: r.actor,
      action,
      reason: r.reason,
    });
    if (requested) await openWriteOffApproval(trx, invoice, r);
    else await closeWriteOffApproval(trx, r.invoiceNo, r.actor, r.at, r.reason);
  });
}

async function openWriteOffApproval(
  db: Db,
  invoice: { contract_no: string; owners: unknown },
  r: { invoiceNo: string; actor: Actor; reason: string; at: number },
): Promise<void> {
  await openTask(db, {
    key: `writeoff/${r.invoiceNo}/${r.at}`,
    invoiceNo: r.invoiceNo,
    contractNo: invoice.contract_no,
    kind: 'approval',
    step: WRITE_OFF_STEP,
    occurrence: 1,
    ownerRole: 'executive',
    ownerName: ((invoice.owners ?? {}) as Owners).executiveSponsor ?? null,
    wording: { key: 'writeOffApproval', invoiceNo: r.invoiceNo, requestedBy: r.actor.name, reason: r.reason },
    dueAt: r.at + WRITE_OFF_DECISION_DAYS * DAY_MS,
  });
}

async function closeWriteOffApproval(db: Db, invoiceNo: string, by: Actor, at: number, note: string): Promise<void> {
  await db
    .updateTable('tasks')
    .set({ status: 'done', closed_by: by.name, closed_at: new Date(at), note })
    .where('invoice_no', '=', invoiceNo)
    .where('kind', '=', 'approval')
    .where('step', '=', WRITE_OFF_STEP)
    .where('status', '=', 'open')
    .execute();
}

export interface PolicyChange {
  invoiceNo: string;
  from: { id: string; version: number };
  to: { id: string; version: number };
  actor: Actor;
  reason: string;
  at: number;
}

/** Finance moved a running invoice to another policy version: the invoice row and the timeline say so. */
export async function recordPolicyChange(db: Db, change: PolicyChange): Promise<void> {
  const invoice = await invoiceOwners(db, change.invoiceNo);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('invoices')
      .set({ policy_id: change.to.id, policy_version: change.to.version })
      .where('no', '=', change.invoiceNo)
      .execute();
    await appendTimeline(trx, {
      eventKey: `policy/${change.invoiceNo}/${change.at}`,
      contractNo: invoice.contract_no,
      invoiceNo: change.invoiceNo,
      at: new Date(change.at),
      actor: change.actor,
      action: 'policy_changed',
      reason: change.reason,
      details: { from: change.from, to: change.to },
    });
  });
}

/**
 * Once the principal is paid, assesses the late interest that accrued on it (kept, not lost with the
 * payment). Returns the amount; above zero the invoice stays open for interest until finance settles it.
 */
export async function assessInterest(db: Db, request: { invoiceNo: string; at: number }): Promise<number> {
  const invoice = await db
    .selectFrom('invoices')
    .innerJoin('contracts', 'contracts.no', 'invoices.contract_no')
    .innerJoin('customers', 'customers.code', 'invoices.customer_code')
    .select([
      'invoices.amount_minor',
      'invoices.due_date',
      'invoices.contract_no',
      'invoices.interest_minor',
      'invoices.interest_status',
      'contracts.terms',
      'customers.time_zone',
    ])
    .where('invoices.no', '=', request.invoiceNo)
    .executeTakeFirstOrThrow();
  // Already assessed: still open, or settled by finance before a reversal reopened the invoice (nothing more to wait for).
  if (invoice.interest_minor !== null) return invoice.interest_status === 'open' ? invoice.interest_minor : 0;
  const rate =
    parseAnnualRatePercent((invoice.terms as { lateInterestRatePercent?: string }).lateInterestRatePercent ?? '') ?? 0;
  const payments = await db
    .selectFrom('allocations')
    .innerJoin('payments', 'payments.id', 'allocations.payment_id')
    .select(['payments.received_on as date', 'allocations.amount_minor as amountMinor'])
    .where('allocations.invoice_no', '=', request.invoiceNo)
    .where('allocations.reversed_at', 'is', null)
    .execute();
  const interest = accruedInterest({
    principalMinor: invoice.amount_minor,
    dueDate: invoice.due_date,
    asOf: localDateOf(request.at, invoice.time_zone),
    annualRate: rate,
    payments,
  });
  await db.transaction().execute(async (trx) => {
    await closeOpenFacts(trx, request.invoiceNo, 'paid', request.at);
    await trx
      .updateTable('invoices')
      .set({ interest_minor: interest, interest_status: interest > 0 ? 'open' : 'none' })
      .where('no', '=', request.invoiceNo)
      .where('interest_minor', 'is', null)
      .execute();
    if (interest > 0) {
      await appendTimeline(trx, {
        eventKey: `interest/${request.invoiceNo}/assessed`,
        contractNo: invoice.contract_no,
        invoiceNo: request.invoiceNo,
        at: new Date(request.at),
        actor: SYSTEM_ACTOR,
        action: 'interest_assessed',
        details: { interestMinor: interest },
      });
    }
  });
  return interest;
}

export async function recordInterestSettled(
  db: Db,
  s: { invoiceNo: string; outcome: 'collected' | 'waived'; reason: string; actor: Actor; at: number },
): Promise<void> {
  const invoice = await invoiceOwners(db, s.invoiceNo);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('invoices')
      .set({ interest_status: s.outcome, interest_note: s.reason })
      .where('no', '=', s.invoiceNo)
      .where('interest_status', '=', 'open')
      .execute();
    await appendTimeline(trx, {
      eventKey: `interest/${s.invoiceNo}/settled`,
      contractNo: invoice.contract_no,
      invoiceNo: s.invoiceNo,
      at: new Date(s.at),
      actor: s.actor,
      action: `interest_${s.outcome}`,
      reason: s.reason,
    });
  });
}
