/**
 * Step 3, write: the new rows, in batches, inside the import's transaction. Rows already in the database
 * (duplicates) stay as they are; a contract there that gets new invoices has its stage set again.
 */
import { type Insertable, sql } from 'kysely';
import type { Db } from '../../../db/connect';
import { selectPolicy } from '../../../db/policies';
import { disputeDeadline } from '../../../domain/collection-decision';
import { daysBetween, zonedInstant } from '../../../domain/dates';
import { DISPUTE_ROUTES } from '../../../domain/disputes';
import type { EscalationPolicy } from '../../../domain/policy';
import type { Actor } from '../../../domain/roles';
import { BATCH, chunks, selectIn } from './batches';
import { type CrossChecked, type UsableSettlement, paymentKey } from './cross-check';
import type { HistoricalFile } from './files';
import {
  type ContractIn,
  type CustomerIn,
  IMPORTED_DISPUTE_NOTE,
  IMPORTED_DISPUTE_OUTCOME,
  type InvoiceIn,
  type ParsedRows,
} from './rows';
import { type InvoicesTable } from '../../../db/schema';

export interface WriteOptions {
  importId: number;
  actor: Actor;
  /** The time zone of a customer that has none (the files' customers and the database's always have one). */
  defaultZone: string;
  onProgress: (done: number, total: number) => void;
}

export interface Written {
  counts: Record<HistoricalFile, { imported: number; duplicates: number }>;
  warnings: string[];
  openInvoices: number;
  paidInvoices: number;
  disputesOpened: number;
  /** Disputes the old system had already resolved (most on settled invoices): imported resolved, for the reports. */
  disputesResolved: number;
  /** The customers of the new rows: their credit holds are evaluated again after the commit. */
  affected: string[];
  /** Every invoice in the files, new or not: their collections start after the commit. */
  invoiceNos: string[];
}

interface Writing {
  trx: Db;
  actor: Actor;
  importId: number;
  /** Counts rows written, for progress. */
  wrote: (rows: number) => void;
}

interface Dispute {
  invoice: InvoiceIn;
  policy: EscalationPolicy;
  /** Resolved before go-live: when it was opened and resolved (midnight of those days in the customer's zone). */
  resolved?: { openedAt: Date; resolvedAt: Date };
}

export async function writeRows(
  trx: Db,
  rows: ParsedRows,
  checked: CrossChecked,
  options: WriteOptions,
): Promise<Written> {
  const { customers, contracts, invoices } = rows;
  const { dbCustomers, dbContracts, dbInvoices, newPayments, contractOf } = checked;
  const newCustomers = [...customers.values()].filter((c) => !dbCustomers.has(c.code));
  const newContracts = [...contracts.values()].filter((k) => !dbContracts.has(k.no));
  const newInvoices = [...invoices.values()].filter((i) => !dbInvoices.has(i.no));
  const newSettlements = newPayments.reduce((n, lines) => n + lines.length, 0);
  const total = newCustomers.length + newContracts.length + newInvoices.length + newSettlements;
  const w: Writing = {
    trx,
    actor: options.actor,
    importId: options.importId,
    wrote: progressCounter(total, options.onProgress),
  };
  const balanceOf = (i: InvoiceIn) => i.amountMinor - (checked.settledPerInvoice.get(i.no) ?? 0);
  const openInvoices = newInvoices.filter((i) => balanceOf(i) > 0);

  await insertCustomers(w, newCustomers);
  const touchedDbContracts = [...new Set(newInvoices.map((i) => i.contractNo).filter((no) => dbContracts.has(no)))];
  const openByContract = await openInvoicesPerContract(trx, openInvoices, touchedDbContracts);
  const now = new Date();
  await insertContracts(w, newContracts, openByContract, now);
  await setStages(trx, touchedDbContracts, openByContract, now);
  const ordered = inIssueOrder(newInvoices);
  const plan = await invoicePlan(trx, rows, checked, {
    ordered,
    touchedDbContracts,
    balanceOf,
    defaultZone: options.defaultZone,
  });
  const disputes = await insertInvoices(w, ordered, plan);
  const resolvedDisputes = disputes.filter((d) => d.resolved).length;
  await insertPayments(w, newPayments);
  await insertDisputes(w, disputes, now);

  const counted = (inFiles: number, added: number) => ({ imported: added, duplicates: inFiles - added });
  const customerOf = (i: InvoiceIn) => contractOf(i.contractNo)!.customerCode;
  return {
    counts: {
      customers: counted(customers.size, newCustomers.length),
      contracts: counted(contracts.size, newContracts.length),
      invoices: counted(invoices.size, newInvoices.length),
      settlements: counted(checked.usable.length, newSettlements),
    },
    warnings: contractsWithoutInvoices(newContracts, newInvoices),
    openInvoices: openInvoices.length,
    paidInvoices: newInvoices.length - openInvoices.length,
    disputesOpened: disputes.length - resolvedDisputes,
    disputesResolved: resolvedDisputes,
    affected: [
      ...new Set([
        ...newCustomers.map((c) => c.code),
        ...newContracts.map((k) => k.customerCode),
        ...newInvoices.map(customerOf),
      ]),
    ],
    invoiceNos: [...invoices.keys()],
  };
}

/** Reports 'write' progress: 0 of `total` now, then the rows written so far after each batch. */
function progressCounter(total: number, onProgress: WriteOptions['onProgress']): (rows: number) => void {
  let done = 0;
  onProgress(0, total);
  return (rows) => {
    done += rows;
    onProgress(done, total);
  };
}

async function insertCustomers(w: Writing, customers: CustomerIn[]): Promise<void> {
  for (const batch of chunks(customers, BATCH)) {
    await w.trx
      .insertInto('customers')
      .values(
        batch.map((c) => ({
          code: c.code,
          name: c.name,
          grade: c.grade,
          credit_limit_minor: c.creditLimitMinor,
          currency: c.currency,
          locale: c.locale,
          time_zone: c.timeZone,
        })),
      )
      .execute();
    await w.trx
      .insertInto('customer_contacts')
      .values(
        batch.flatMap((c) => [
          { customer_code: c.code, role: 'payment_owner' as const, name: c.contactName, email: c.contactEmail },
          ...c.otherContacts.map((o) => ({ customer_code: c.code, role: o.role, name: o.name, email: o.email })),
        ]),
      )
      .execute();
    w.wrote(batch.length);
  }
}

/**
 * A contract stays in Collection while any of its invoices is open, else it is Closed. Counts the open invoices
 * per contract: the new ones, and those the database holds for the contracts there that get new invoices.
 */
async function openInvoicesPerContract(
  trx: Db,
  openInvoices: InvoiceIn[],
  touchedDbContracts: string[],
): Promise<Map<string, number>> {
  const open = new Map<string, number>();
  for (const i of openInvoices) open.set(i.contractNo, (open.get(i.contractNo) ?? 0) + 1);
  const found = await selectIn(touchedDbContracts, (keys) =>
    trx
      .selectFrom('invoices')
      .select(['contract_no', sql<number>`count(*)::int`.as('open')])
      .where('contract_no', 'in', keys)
      .where('status', '=', 'open')
      .groupBy('contract_no')
      .execute(),
  );
  for (const row of found) {
    open.set(row.contract_no, (open.get(row.contract_no) ?? 0) + row.open);
  }
  return open;
}

const stageOf = (openByContract: Map<string, number>, contractNo: string): 'Collection' | 'Closed' =>
  openByContract.has(contractNo) ? 'Collection' : 'Closed';

function contractsWithoutInvoices(newContracts: ContractIn[], newInvoices: InvoiceIn[]): string[] {
  const invoiced = new Set(newInvoices.map((i) => i.contractNo));
  const without = newContracts.filter((k) => !invoiced.has(k.no)).length;
  return without > 0 ? [`${without} contract(s) have no invoice in the files: they are imported Closed`] : [];
}

async function insertContracts(
  w: Writing,
  contracts: ContractIn[],
  openByContract: Map<string, number>,
  now: Date,
): Promise<void> {
  const { trx, actor, importId } = w;
  for (const batch of chunks(contracts, BATCH)) {
    await trx
      .insertInto('contracts')
      .values(
        batch.map((k) => ({
          no: k.no,
          customer_code: k.customerCode,
          title: k.title,
          amount_minor: k.amountMinor,
          currency: k.currency,
          payment_terms_type: 'credit_terms',
          stage: stageOf(openByContract, k.no),
          terms: JSON.stringify(k.terms),
          details: JSON.stringify({ source: 'historical', importId, ...(k.signedOn ? { signedOn: k.signedOn } : {}) }),
          owners: k.owner ? JSON.stringify({ account: k.owner }) : null,
          department: k.department,
          account_owner: k.owner,
          created_by: actor.name,
          close_reason: openByContract.has(k.no) ? null : 'imported at go-live with every invoice settled',
        })),
      )
      .execute();
    await trx
      .insertInto('timeline')
      .values(
        batch.map((k) => ({
          event_key: `contract/${k.no}/imported`,
          contract_no: k.no,
          customer_code: k.customerCode,
          invoice_no: null,
          at: now,
          actor_name: actor.name,
          actor_role: actor.role,
          action: 'historical_import',
          from_stage: null,
          to_stage: stageOf(openByContract, k.no),
          reason: 'imported at go-live',
          details: JSON.stringify({ importId }),
        })),
      )
      .onConflict((oc) => oc.column('event_key').doNothing())
      .execute();
    w.wrote(batch.length);
  }
}

/** Contracts in the database that get new invoices: Collection or Closed again (any other stage is left alone). */
async function setStages(
  trx: Db,
  contractNos: string[],
  openByContract: Map<string, number>,
  now: Date,
): Promise<void> {
  for (const no of contractNos) {
    await trx
      .updateTable('contracts')
      .set({ stage: stageOf(openByContract, no), stage_changed_at: now })
      .where('no', '=', no)
      .where('stage', 'in', ['Collection', 'Closed'])
      .execute();
  }
}

/** By contract, then issue date: the order the milestones are numbered in. */
function inIssueOrder(invoices: InvoiceIn[]): InvoiceIn[] {
  return [...invoices].sort(
    (a, b) =>
      a.contractNo.localeCompare(b.contractNo) || a.issueDate.localeCompare(b.issueDate) || a.no.localeCompare(b.no),
  );
}

interface InvoicesToWrite {
  /** The new invoices, in issue order. */
  ordered: InvoiceIn[];
  touchedDbContracts: string[];
  balanceOf: (invoice: InvoiceIn) => number;
  defaultZone: string;
}

/** What writing each invoice needs: its milestone's number, its policy, its balance, when it was paid, its zone. */
interface InvoicePlan {
  seqOf: Map<string, number>;
  policyFor: (contractNo: string, customerCode: string) => Promise<EscalationPolicy>;
  balanceOf: (invoice: InvoiceIn) => number;
  /** The date an invoice settled in full was paid: its last settlement's. */
  paidOn: (invoice: InvoiceIn) => string;
  contractOf: CrossChecked['contractOf'];
  timeZoneOf: (customerCode: string) => string;
}

async function invoicePlan(
  trx: Db,
  { customers }: ParsedRows,
  { dbCustomers, lastSettled, contractOf }: CrossChecked,
  { ordered, touchedDbContracts, balanceOf, defaultZone }: InvoicesToWrite,
): Promise<InvoicePlan> {
  const policyFor = await policyChooser(
    trx,
    (code) => customers.get(code)?.grade ?? dbCustomers.get(code)?.grade ?? null,
  );
  const seqOf = await milestoneSeqs(trx, ordered, touchedDbContracts);
  return {
    seqOf,
    policyFor,
    balanceOf,
    contractOf,
    paidOn: (i) => lastSettled.get(i.no)!,
    timeZoneOf: (code) => customers.get(code)?.timeZone ?? dbCustomers.get(code)?.time_zone ?? defaultZone,
  };
}

/**
 * An invoice's policy: its contract's own selection, else its customer's grade's, else the default (db/policies.ts).
 * Those chosen by grade are looked up once per grade.
 */
async function policyChooser(
  trx: Db,
  gradeOf: (customerCode: string) => string | null,
): Promise<InvoicePlan['policyFor']> {
  const selections = await trx.selectFrom('policy_selections').select('key').where('scope', '=', 'contract').execute();
  const contractSelections = new Set(selections.map((s) => s.key));
  const byGrade = new Map<string, EscalationPolicy>();
  return async (contractNo, customerCode) => {
    const grade = gradeOf(customerCode);
    if (contractSelections.has(contractNo)) return selectPolicy(trx, contractNo, grade);
    const key = grade ?? 'new';
    if (!byGrade.has(key)) byGrade.set(key, await selectPolicy(trx, contractNo, grade));
    return byGrade.get(key)!;
  };
}

/** One 'final' milestone per invoice, numbered after the contract's existing ones in the order given. */
async function milestoneSeqs(
  trx: Db,
  ordered: InvoiceIn[],
  touchedDbContracts: string[],
): Promise<Map<string, number>> {
  const found = await selectIn(touchedDbContracts, (keys) =>
    trx
      .selectFrom('milestones')
      .select(['contract_no', sql<number>`max(seq)::int`.as('max')])
      .where('contract_no', 'in', keys)
      .groupBy('contract_no')
      .execute(),
  );
  const lastSeq = new Map(found.map((m) => [m.contract_no, m.max]));
  const seqOf = new Map<string, number>();
  for (const i of ordered) {
    const seq = (lastSeq.get(i.contractNo) ?? 0) + 1;
    lastSeq.set(i.contractNo, seq);
    seqOf.set(i.no, seq);
  }
  return seqOf;
}

/**
 * Milestones and invoices. Returns the disputes to write: open on invoices still open, resolved when the file
 * gives a resolution date or the invoice was settled in full (resolved on its last settlement's day).
 */
async function insertInvoices(w: Writing, ordered: InvoiceIn[], plan: InvoicePlan): Promise<Dispute[]> {
  const startOfDay = midnights();
  const disputes: Dispute[] = [];
  for (const batch of chunks(ordered, BATCH)) {
    const rows: Insertable<InvoicesTable>[] = [];
    for (const i of batch) {
      const contract = plan.contractOf(i.contractNo)!;
      const policy = await plan.policyFor(i.contractNo, contract.customerCode);
      const balance = plan.balanceOf(i);
      const paidOn = balance === 0 ? plan.paidOn(i) : null;
      const zone = plan.timeZoneOf(contract.customerCode);
      const resolvedOn = i.disputeResolvedOn ?? paidOn;
      if (i.disputeReason && !resolvedOn) disputes.push({ invoice: i, policy });
      if (i.disputeReason && resolvedOn) {
        // Opened when the file says, else on the due date (or the day it was resolved, if that came first).
        const openedOn = i.disputeOpenedOn ?? (i.dueDate < resolvedOn ? i.dueDate : resolvedOn);
        disputes.push({
          invoice: i,
          policy,
          resolved: {
            openedAt: new Date(startOfDay(openedOn, zone)),
            resolvedAt: new Date(startOfDay(resolvedOn, zone)),
          },
        });
      }
      rows.push({
        no: i.no,
        contract_no: i.contractNo,
        milestone_seq: plan.seqOf.get(i.no)!,
        customer_code: contract.customerCode,
        currency: contract.currency,
        amount_minor: i.amountMinor,
        tax_minor: 0,
        balance_minor: balance,
        issue_date: i.issueDate,
        due_date: i.dueDate,
        status: balance === 0 ? 'paid' : 'open',
        paid_at: paidOn ? new Date(startOfDay(paidOn, zone)) : null,
        paid_on: paidOn,
        issued_by: w.actor.name,
        policy_id: policy.id,
        policy_version: policy.version,
        source: 'historical',
      });
    }
    await w.trx
      .insertInto('milestones')
      .values(
        batch.map((i) => ({
          contract_no: i.contractNo,
          seq: plan.seqOf.get(i.no)!,
          kind: 'final',
          amount_minor: i.amountMinor,
          trigger: JSON.stringify({ type: 'on_date', date: i.issueDate }),
          term_days: daysBetween(i.issueDate, i.dueDate),
          status: plan.balanceOf(i) === 0 ? 'paid' : 'invoiced',
          ready_on: i.issueDate,
        })),
      )
      .execute();
    await w.trx.insertInto('invoices').values(rows).execute();
    w.wrote(batch.length);
  }
  return disputes;
}

/** zonedInstant asks Intl each time; a go-live load has a few hundred distinct days, so remember them. */
function midnights(): (day: string, zone: string) => number {
  const known = new Map<string, number>();
  return (day, zone) => {
    const key = `${day} ${zone}`;
    if (!known.has(key)) known.set(key, zonedInstant(day, '00:00', zone));
    return known.get(key)!;
  };
}

/** Settlements become matched payments (source 'historical') with 'historical' allocations. */
async function insertPayments(w: Writing, payments: UsableSettlement[][]): Promise<void> {
  const { trx, actor, importId } = w;
  for (const batch of chunks(payments, BATCH)) {
    const ids = await trx
      .insertInto('payments')
      .values(
        batch.map((lines) => {
          const total = lines.reduce((n, s) => n + s.amountMinor, 0);
          return {
            customer_code: lines[0].customerCode,
            reference: lines[0].reference,
            amount_minor: total,
            currency: lines[0].currency,
            received_on: lines[0].settledOn,
            unallocated_minor: 0,
            recorded_by: actor.name,
            source: 'historical',
            status: 'matched',
            import_id: importId,
          };
        }),
      )
      .returning(['id', 'customer_code', 'reference'])
      .execute();
    const idOf = new Map(ids.map((p) => [paymentKey(p.customer_code, p.reference), p.id]));
    const allocations = batch.flatMap((lines) =>
      lines.map((s) => ({
        payment_id: idOf.get(paymentKey(s.customerCode, s.reference))!,
        invoice_no: s.invoiceNo,
        amount_minor: s.amountMinor,
        rule: 'historical',
        allocated_by: actor.name,
        // Its payment's received date (the payment is the settlements of one reference, on lines[0].settledOn).
        received_on: lines[0].settledOn,
      })),
    );
    for (const part of chunks(allocations, BATCH)) await trx.insertInto('allocations').values(part).execute();
    w.wrote(allocations.length);
  }
}

/**
 * A dispute flagged in the old system. Still open: an open dispute, routed like any other, its SLA counted from
 * go-live; its collection is told after the start. Resolved before go-live: a resolved dispute with its own
 * dates (outcome IMPORTED_DISPUTE_OUTCOME), so the disputes report of the imported past shows it.
 */
async function insertDisputes(w: Writing, disputes: Dispute[], now: Date): Promise<void> {
  for (const batch of chunks(disputes, BATCH)) {
    await w.trx
      .insertInto('disputes')
      .values(
        batch.map(({ invoice, policy, resolved }) => ({
          // A dispute resolved before go-live is D0: the collection numbers its own disputes from D1.
          id: resolved ? `${invoice.no}/D0` : `${invoice.no}/D1`,
          invoice_no: invoice.no,
          reason: invoice.disputeReason!,
          note: IMPORTED_DISPUTE_NOTE,
          routed_to: DISPUTE_ROUTES[invoice.disputeReason!],
          status: resolved ? ('resolved' as const) : ('open' as const),
          opened_by: w.actor.name,
          opened_at: resolved?.openedAt ?? now,
          sla_due_at: new Date(disputeDeadline((resolved?.openedAt ?? now).getTime(), policy.disputeSlaDays)),
          ...(resolved
            ? {
                outcome: IMPORTED_DISPUTE_OUTCOME,
                credit_minor: 0,
                resolved_by: w.actor.name,
                resolved_at: resolved.resolvedAt,
              }
            : {}),
        })),
      )
      .execute();
  }
}
