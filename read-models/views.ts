import type { Db } from '../db/connect';
import { DEFAULT_CALENDAR_ID } from '../domain/calendar';
import type { Selectable } from 'kysely';
import type { ContractRow, InvoicesTable, LetterRow, MilestonesTable, TimelineTable } from '../db/schema';
import { fromMinor } from '../domain/money';
import { notFound } from '../domain/refusal';
import { customerCreditFields } from './credit';

/** Read models for the API: everything here comes from indexed SQL, never from scanning workflows. */

export async function customerView(db: Db, code: string) {
  const customer = await db.selectFrom('customers').selectAll().where('code', '=', code).executeTakeFirst();
  if (!customer) throw notFound(`customer ${code}`);
  const contacts = await db
    .selectFrom('customer_contacts')
    .select(['id', 'role', 'name', 'email', 'phone'])
    .where('customer_code', '=', code)
    .orderBy('id')
    .execute();
  const open = await db
    .selectFrom('invoices')
    .select((eb) => [eb.fn.coalesce(eb.fn.sum<number>('balance_minor'), eb.lit(0)).as('total')])
    .where('customer_code', '=', code)
    .where('status', '=', 'open')
    .executeTakeFirstOrThrow();
  return {
    code: customer.code,
    name: customer.name,
    grade: customer.grade,
    creditLimit: fromMinor(customer.credit_limit_minor, customer.currency),
    creditHold: customer.credit_hold,
    creditHoldReason: customer.credit_hold_reason,
    openReceivables: fromMinor(Number(open.total), customer.currency),
    ...(await customerCreditFields(db, customer)),
    locale: customer.locale,
    timeZone: customer.time_zone,
    calendarId: customer.calendar_id ?? DEFAULT_CALENDAR_ID,
    brokenPromises: customer.broken_promises,
    contacts,
  };
}

export function letterView(letter: LetterRow) {
  return {
    invoiceNo: letter.invoice_no,
    step: letter.step,
    occurrence: letter.occurrence,
    status: letter.status,
    locale: letter.locale,
    recipients: letter.recipients,
    cc: letter.cc,
    subject: letter.subject,
    scheduledFor: letter.scheduled_for,
    sentAt: letter.sent_at,
    attempts: letter.attempts,
    lastError: letter.last_error,
    messageId: letter.message_id,
    /** The recipient roles that had no contact when it was due: it waited ('blocked') or still waits for one. */
    blockedRoles: letter.blocked_roles,
  };
}

export async function invoiceView(db: Db, no: string) {
  const invoice = await db.selectFrom('invoices').selectAll().where('no', '=', no).executeTakeFirst();
  if (!invoice) throw notFound(`invoice ${no}`);
  const allocations = await db
    .selectFrom('allocations')
    .innerJoin('payments', 'payments.id', 'allocations.payment_id')
    .select([
      'allocations.id',
      'payments.reference',
      'payments.received_on',
      'allocations.amount_minor',
      'allocations.created_at',
      'allocations.rule',
      'allocations.reversed_at',
    ])
    .where('allocations.invoice_no', '=', no)
    .orderBy('allocations.id')
    .execute();
  const letters = await db.selectFrom('letters').selectAll().where('invoice_no', '=', no).orderBy('id').execute();
  const money = (minor: number) => fromMinor(minor, invoice.currency);
  return {
    no: invoice.no,
    contractNo: invoice.contract_no,
    milestoneSeq: invoice.milestone_seq,
    customerCode: invoice.customer_code,
    amount: money(invoice.amount_minor),
    tax: money(invoice.tax_minor),
    taxRatePercent: invoice.tax_rate_percent,
    balance: money(invoice.balance_minor),
    status: invoice.status,
    issueDate: invoice.issue_date,
    dueDate: invoice.due_date,
    paidAt: invoice.paid_at,
    lateInterest:
      invoice.interest_minor === null
        ? null
        : { amount: money(invoice.interest_minor), status: invoice.interest_status, note: invoice.interest_note },
    payments: allocations.map((a) => ({
      allocationId: a.id,
      reference: a.reference,
      receivedOn: a.received_on,
      amount: money(a.amount_minor),
      allocatedAt: a.created_at,
      rule: a.rule,
      reversedAt: a.reversed_at,
    })),
    letters: letters.map(letterView),
  };
}

export async function contractView(db: Db, no: string) {
  // One round trip: the four reads go out together.
  const [contract, milestones, invoices, timeline] = await Promise.all([
    db.selectFrom('contracts').selectAll().where('no', '=', no).executeTakeFirst(),
    db.selectFrom('milestones').selectAll().where('contract_no', '=', no).orderBy('seq').execute(),
    db
      .selectFrom('invoices')
      .select(['no', 'milestone_seq', 'amount_minor', 'balance_minor', 'status', 'issue_date', 'due_date'])
      .where('contract_no', '=', no)
      .orderBy('issue_date')
      .execute(),
    db.selectFrom('timeline').selectAll().where('contract_no', '=', no).orderBy('at').orderBy('id').execute(),
  ]);
  if (!contract) throw notFound(`contract ${no}`);
  return contractViewOf({ contract, milestones, invoices, timeline });
}

interface ContractRows {
  contract: ContractRow;
  milestones: Selectable<MilestonesTable>[];
  invoices: Pick<
    Selectable<InvoicesTable>,
    'no' | 'milestone_seq' | 'amount_minor' | 'balance_minor' | 'status' | 'issue_date' | 'due_date'
  >[];
  timeline: Selectable<TimelineTable>[];
}

/** A contract as the API shows it, from its rows (read by contractView, or just written by a registration). */
export function contractViewOf({ contract, milestones, invoices, timeline }: ContractRows) {
  const money = (minor: number) => fromMinor(minor, contract.currency);
  return {
    no: contract.no,
    customerCode: contract.customer_code,
    title: contract.title,
    amount: money(contract.amount_minor),
    paymentTermsType: contract.payment_terms_type,
    stage: contract.stage,
    stageChangedAt: contract.stage_changed_at,
    terms: contract.terms,
    details: contract.details,
    owners: contract.owners,
    closeReason: contract.close_reason,
    milestones: milestones.map((m) => ({
      seq: m.seq,
      kind: m.kind,
      amount: money(m.amount_minor),
      trigger: m.trigger,
      termDays: m.term_days,
      status: m.status,
      readyOn: m.ready_on,
    })),
    invoices: invoices.map((i) => ({
      no: i.no,
      milestoneSeq: i.milestone_seq,
      amount: money(i.amount_minor),
      balance: money(i.balance_minor),
      status: i.status,
      issueDate: i.issue_date,
      dueDate: i.due_date,
    })),
    timeline: timeline.map((t) => ({
      at: t.at,
      actor: { name: t.actor_name, role: t.actor_role },
      action: t.action,
      fromStage: t.from_stage,
      toStage: t.to_stage,
      reason: t.reason,
      invoiceNo: t.invoice_no,
      details: t.details,
    })),
  };
}
