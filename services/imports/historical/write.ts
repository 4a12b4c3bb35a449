/**
 * Step 3, write: the new rows, in batches, inside the import's transaction. Rows already in the database
 * (duplicates) stay as they are; a contract there that gets new invoices has its stage set again.
 */
import { sql } from 'kysely';
import type { Db } from '../../../db/connect';
import { selectPolicy } from '../../../db/policies';
import { disputeDeadline } from '../../../domain/collection-decision';
import { daysBetween, zonedInstant } from '../../../domain/dates';
import { DISPUTE_ROUTES } from '../../../domain/disputes';
import type { EscalationPolicy } from '../../../domain/policy';
import type { Actor } from '../../../domain/roles';
import { type Column, YIELD_EVERY, anyOf, arrayLiteral, insertRows, selectIn, yieldToLoop } from './batches';
import type { ImportTransaction } from './copy';
import { type CrossChecked, type UsableSettlement } from './cross-check';
import type { HistoricalFile } from './files';
import {
  type ContractIn,
  type CustomerIn,
  IMPORTED_DISPUTE_NOTE,
  IMPORTED_DISPUTE_OUTCOME,
  type InvoiceIn,
  type ParsedRows,
} from './rows';

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

interface Writing extends ImportTransaction {
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
  { trx, client }: ImportTransaction,
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
    client,
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
  const invoiced = invoicedPerContract(newInvoices);
  await insertContracts(w, newContracts, openByContract, invoiced, now);
  await setStages(trx, touchedDbContracts, openByContract, now);
  await addInvoiced(trx, touchedDbContracts, invoiced);
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
  await insertRows(w, 'customers', CUSTOMER_COLUMNS, customers, { wrote: w.wrote });
  const contacts = customers.flatMap((c) => [
    { customer_code: c.code, role: 'payment_owner', name: c.contactName, email: c.contactEmail },
    ...c.otherContacts.map((o) => ({ customer_code: c.code, role: o.role as string, name: o.name, email: o.email })),
  ]);
  await insertRows(w, 'customer_contacts', CONTACT_COLUMNS, contacts);
}

const CUSTOMER_COLUMNS: Column<CustomerIn>[] = [
  { name: 'code', type: 'text', value: (c) => c.code },
  { name: 'name', type: 'text', value: (c) => c.name },
  { name: 'grade', type: 'text', value: (c) => c.grade },
  { name: 'credit_limit_minor', type: 'bigint', value: (c) => c.creditLimitMinor },
  { name: 'currency', type: 'text', value: (c) => c.currency },
  { name: 'locale', type: 'text', value: (c) => c.locale },
  { name: 'time_zone', type: 'text', value: (c) => c.timeZone },
];

type ContactRowIn = { customer_code: string; role: string; name: string; email: string };
const CONTACT_COLUMNS: Column<ContactRowIn>[] = (['customer_code', 'role', 'name', 'email'] as const).map((name) => ({
  name,
  type: 'text',
  value: (c) => c[name],
}));

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
      .where('contract_no', '=', anyOf(keys))
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

/**
 * contracts.invoiced_minor is the sum of the contract's invoices' amounts. The insert trigger on invoices keeps it
 * for every other writer; the import writes it with the contracts (and adds to those in the database) and tells
 * the trigger to leave its invoice statements alone (migration 0025): 20,000 contract updates fewer per 100,000
 * invoices.
 */
function invoicedPerContract(newInvoices: InvoiceIn[]): Map<string, number> {
  const invoiced = new Map<string, number>();
  for (const i of newInvoices) invoiced.set(i.contractNo, (invoiced.get(i.contractNo) ?? 0) + i.amountMinor);
  return invoiced;
}

async function addInvoiced(trx: Db, contractNos: string[], invoiced: Map<string, number>): Promise<void> {
  if (contractNos.length === 0) return;
  await sql`update contracts c set invoiced_minor = c.invoiced_minor + s.minor
    from unnest(${arrayLiteral(contractNos)}::text[], ${arrayLiteral(contractNos.map((no) => invoiced.get(no) ?? 0))}::bigint[]) as s(no, minor)
    where c.no = s.no`.execute(trx);
}

/** Set for the import's own invoice statements only: the trigger then leaves invoiced_minor to the import. */
const invoicedKeptByImport = (trx: Db, on: boolean) =>
  sql`select set_config('huikuan.invoiced_kept_by_import', ${on ? 'on' : 'off'}, true)`.execute(trx);

async function insertContracts(
  w: Writing,
  contracts: ContractIn[],
  openByContract: Map<string, number>,
  invoiced: Map<string, number>,
  now: Date,
): Promise<void> {
  const { actor, importId } = w;
  const stage = (k: ContractIn) => stageOf(openByContract, k.no);
  const columns: Column<ContractIn>[] = [
    { name: 'no', type: 'text', value: (k) => k.no },
    { name: 'customer_code', type: 'text', value: (k) => k.customerCode },
    { name: 'title', type: 'text', value: (k) => k.title },
    { name: 'amount_minor', type: 'bigint', value: (k) => k.amountMinor },
    { name: 'currency', type: 'text', value: (k) => k.currency },
    { name: 'payment_terms_type', type: 'text', value: () => 'credit_terms' },
    { name: 'stage', type: 'text', value: stage },
    { name: 'terms', type: 'jsonb', value: (k) => JSON.stringify(k.terms) },
    {
      name: 'details',
      type: 'jsonb',
      value: (k) => JSON.stringify({ source: 'historical', importId, ...(k.signedOn ? { signedOn: k.signedOn } : {}) }),
    },
    { name: 'owners', type: 'jsonb', value: (k) => (k.owner ? JSON.stringify({ account: k.owner }) : null) },
    { name: 'department', type: 'text', value: (k) => k.department },
    { name: 'account_owner', type: 'text', value: (k) => k.owner },
    { name: 'invoiced_minor', type: 'bigint', value: (k) => invoiced.get(k.no) ?? 0 },
    { name: 'created_by', type: 'text', value: () => actor.name },
    {
      name: 'close_reason',
      type: 'text',
      value: (k) => (openByContract.has(k.no) ? null : 'imported at go-live with every invoice settled'),
    },
  ];
  await insertRows(w, 'contracts', columns, contracts, { wrote: w.wrote });
  const details = JSON.stringify({ importId });
  const timeline: Column<ContractIn>[] = [
    { name: 'event_key', type: 'text', value: (k) => `contract/${k.no}/imported` },
    { name: 'contract_no', type: 'text', value: (k) => k.no },
    { name: 'customer_code', type: 'text', value: (k) => k.customerCode },
    { name: 'at', type: 'timestamptz', value: () => now },
    { name: 'actor_name', type: 'text', value: () => actor.name },
    { name: 'actor_role', type: 'text', value: () => actor.role },
    { name: 'action', type: 'text', value: () => 'historical_import' },
    { name: 'to_stage', type: 'text', value: stage },
    { name: 'reason', type: 'text', value: () => 'imported at go-live' },
    { name: 'details', type: 'jsonb', value: () => details },
  ];
  await insertRows(w, 'timeline', timeline, contracts, { then: sql`on conflict (event_key) do nothing` });
}

/** Contracts in the database that get new invoices: Collection or Closed again (any other stage is left alone). */
async function setStages(
  trx: Db,
  contractNos: string[],
  openByContract: Map<string, number>,
  now: Date,
): Promise<void> {
  if (contractNos.length === 0) return;
  const stages = contractNos.map((no) => stageOf(openByContract, no));
  await sql`update contracts c set stage = s.stage, stage_changed_at = ${now}
    from unnest(${arrayLiteral(contractNos)}::text[], ${arrayLiteral(stages)}::text[]) as s(no, stage)
    where c.no = s.no and c.stage in ('Collection', 'Closed')`.execute(trx);
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
  /** The first and last received dates of an invoice's new allocations (its payments' received dates). */
  receivedRange: Map<string, { first: string; last: string }>;
}

async function invoicePlan(
  trx: Db,
  { customers }: ParsedRows,
  { dbCustomers, lastSettled, contractOf, newPayments }: CrossChecked,
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
    receivedRange: receivedRanges(newPayments),
  };
}

/**
 * invoices.first_received_on and last_received_on: the least and greatest received date of the invoice's
 * allocations, each the received date of its payment (insertPayments). The allocations' statement trigger
 * (migration 0023) only widens an invoice's range: given with the new invoices, it matches every invoice and
 * updates none (instead of rewriting ~90,000 invoice rows and their indexes per 100,000 invoices).
 */
function receivedRanges(payments: UsableSettlement[][]): Map<string, { first: string; last: string }> {
  const ranges = new Map<string, { first: string; last: string }>();
  for (const lines of payments) {
    const receivedOn = lines[0].settledOn;
    for (const line of lines) {
      const range = ranges.get(line.invoiceNo);
      if (!range) ranges.set(line.invoiceNo, { first: receivedOn, last: receivedOn });
      else {
        if (receivedOn < range.first) range.first = receivedOn;
        if (receivedOn > range.last) range.last = receivedOn;
      }
    }
  }
  return ranges;
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
      .where('contract_no', '=', anyOf(keys))
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
  const rows: InvoiceToWrite[] = [];
  for (const [n, i] of ordered.entries()) {
    if (n % YIELD_EVERY === 0) await yieldToLoop();
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
      invoice: i,
      seq: plan.seqOf.get(i.no)!,
      customerCode: contract.customerCode,
      currency: contract.currency,
      balance,
      paidAt: paidOn ? new Date(startOfDay(paidOn, zone)) : null,
      paidOn,
      policy,
      received: plan.receivedRange.get(i.no),
    });
  }
  // Milestones first: an invoice row refers to its milestone's number (one 'final' milestone per invoice).
  await insertRows(w, 'milestones', MILESTONE_COLUMNS, rows);
  await invoicedKeptByImport(w.trx, true);
  await insertRows(w, 'invoices', invoiceColumns(w.actor), rows, { wrote: w.wrote });
  await invoicedKeptByImport(w.trx, false);
  return disputes;
}

/** An invoice with what its row needs beyond the file's values. */
interface InvoiceToWrite {
  invoice: InvoiceIn;
  seq: number;
  customerCode: string;
  currency: string;
  balance: number;
  paidAt: Date | null;
  paidOn: string | null;
  policy: EscalationPolicy;
  received: { first: string; last: string } | undefined;
}

const MILESTONE_COLUMNS: Column<InvoiceToWrite>[] = [
  { name: 'contract_no', type: 'text', value: (r) => r.invoice.contractNo },
  { name: 'seq', type: 'integer', value: (r) => r.seq },
  { name: 'kind', type: 'text', value: () => 'final' },
  { name: 'amount_minor', type: 'bigint', value: (r) => r.invoice.amountMinor },
  { name: 'trigger', type: 'jsonb', value: (r) => JSON.stringify({ type: 'on_date', date: r.invoice.issueDate }) },
  { name: 'term_days', type: 'integer', value: (r) => daysBetween(r.invoice.issueDate, r.invoice.dueDate) },
  { name: 'status', type: 'text', value: (r) => (r.balance === 0 ? 'paid' : 'invoiced') },
  { name: 'ready_on', type: 'date', value: (r) => r.invoice.issueDate },
];

const invoiceColumns = (actor: Actor): Column<InvoiceToWrite>[] => [
  { name: 'no', type: 'text', value: (r) => r.invoice.no },
  { name: 'contract_no', type: 'text', value: (r) => r.invoice.contractNo },
  { name: 'milestone_seq', type: 'integer', value: (r) => r.seq },
  { name: 'customer_code', type: 'text', value: (r) => r.customerCode },
  { name: 'currency', type: 'text', value: (r) => r.currency },
  { name: 'amount_minor', type: 'bigint', value: (r) => r.invoice.amountMinor },
  { name: 'tax_minor', type: 'bigint', value: () => 0 },
  { name: 'balance_minor', type: 'bigint', value: (r) => r.balance },
  { name: 'issue_date', type: 'date', value: (r) => r.invoice.issueDate },
  { name: 'due_date', type: 'date', value: (r) => r.invoice.dueDate },
  { name: 'status', type: 'text', value: (r) => (r.balance === 0 ? 'paid' : 'open') },
  { name: 'paid_at', type: 'timestamptz', value: (r) => r.paidAt },
  { name: 'paid_on', type: 'date', value: (r) => r.paidOn },
  { name: 'first_received_on', type: 'date', value: (r) => r.received?.first ?? null },
  { name: 'last_received_on', type: 'date', value: (r) => r.received?.last ?? null },
  { name: 'issued_by', type: 'text', value: () => actor.name },
  { name: 'policy_id', type: 'text', value: (r) => r.policy.id },
  { name: 'policy_version', type: 'integer', value: (r) => r.policy.version },
  { name: 'source', type: 'text', value: () => 'historical' },
];

/** zonedInstant asks Intl each time; a go-live load has a few hundred distinct days, so remember them. */
function midnights(): (day: string, zone: string) => number {
  const known = new Map<string, number>();
  return (day, zone) => {
    const key = `${day} ${zone}`;
    if (!known.has(key)) known.set(key, zonedInstant(day, '00:00', zone));
    return known.get(key)!;
  };
}

/**
 * Settlements become matched payments (source 'historical') with 'historical' allocations. The payments' ids are
 * drawn from their sequence first (one query), so the allocations can name them without reading them back.
 */
async function insertPayments(w: Writing, payments: UsableSettlement[][]): Promise<void> {
  const { trx, actor, importId } = w;
  if (payments.length === 0) return;
  // As one text value, not 122,561 result rows for pg and kysely to turn into objects.
  const { rows } = await sql<{ ids: string }>`
    select string_agg(nextval(pg_get_serial_sequence('payments', 'id'))::text, ',') as ids
    from generate_series(1, ${payments.length})`.execute(trx);
  const ids = rows[0].ids.split(',').map(Number);
  const numbered = payments.map((lines, n) => ({ id: ids[n], lines }));
  await insertRows(
    w,
    'payments',
    [
      { name: 'id', type: 'bigint', value: (p) => p.id },
      { name: 'customer_code', type: 'text', value: (p) => p.lines[0].customerCode },
      { name: 'reference', type: 'text', value: (p) => p.lines[0].reference },
      { name: 'amount_minor', type: 'bigint', value: (p) => p.lines.reduce((n, s) => n + s.amountMinor, 0) },
      { name: 'currency', type: 'text', value: (p) => p.lines[0].currency },
      { name: 'received_on', type: 'date', value: (p) => p.lines[0].settledOn },
      { name: 'unallocated_minor', type: 'bigint', value: () => 0 },
      { name: 'recorded_by', type: 'text', value: () => actor.name },
      { name: 'source', type: 'text', value: () => 'historical' },
      { name: 'status', type: 'text', value: () => 'matched' },
      { name: 'import_id', type: 'bigint', value: () => importId },
    ],
    numbered,
  );
  // Each allocation keeps its payment's received date (the payment is the settlements of one reference, on lines[0].settledOn).
  const allocations = numbered.flatMap((p) =>
    p.lines.map((line) => ({ paymentId: p.id, receivedOn: p.lines[0].settledOn, line })),
  );
  await insertRows(
    w,
    'allocations',
    [
      { name: 'payment_id', type: 'bigint', value: (a) => a.paymentId },
      { name: 'invoice_no', type: 'text', value: (a) => a.line.invoiceNo },
      { name: 'amount_minor', type: 'bigint', value: (a) => a.line.amountMinor },
      { name: 'rule', type: 'text', value: () => 'historical' },
      { name: 'allocated_by', type: 'text', value: () => actor.name },
      { name: 'received_on', type: 'date', value: (a) => a.receivedOn },
    ],
    allocations,
    { wrote: w.wrote },
  );
}

/**
 * A dispute flagged in the old system. Still open: an open dispute, routed like any other, its SLA counted from
 * go-live; its collection is told after the start. Resolved before go-live: a resolved dispute with its own
 * dates (outcome IMPORTED_DISPUTE_OUTCOME), so the disputes report of the imported past shows it.
 */
async function insertDisputes(w: Writing, disputes: Dispute[], now: Date): Promise<void> {
  const openedAt = (d: Dispute) => d.resolved?.openedAt ?? now;
  await insertRows(
    w,
    'disputes',
    [
      // A dispute resolved before go-live is D0: the collection numbers its own disputes from D1.
      { name: 'id', type: 'text', value: (d) => (d.resolved ? `${d.invoice.no}/D0` : `${d.invoice.no}/D1`) },
      { name: 'invoice_no', type: 'text', value: (d) => d.invoice.no },
      { name: 'reason', type: 'text', value: (d) => d.invoice.disputeReason! },
      { name: 'note', type: 'text', value: () => IMPORTED_DISPUTE_NOTE },
      { name: 'routed_to', type: 'text', value: (d) => DISPUTE_ROUTES[d.invoice.disputeReason!] },
      { name: 'status', type: 'text', value: (d) => (d.resolved ? 'resolved' : 'open') },
      { name: 'opened_by', type: 'text', value: () => w.actor.name },
      { name: 'opened_at', type: 'timestamptz', value: openedAt },
      {
        name: 'sla_due_at',
        type: 'timestamptz',
        value: (d) => new Date(disputeDeadline(openedAt(d).getTime(), d.policy.disputeSlaDays)),
      },
      { name: 'outcome', type: 'text', value: (d) => (d.resolved ? IMPORTED_DISPUTE_OUTCOME : null) },
      { name: 'credit_minor', type: 'bigint', value: (d) => (d.resolved ? 0 : null) },
      { name: 'resolved_by', type: 'text', value: (d) => (d.resolved ? w.actor.name : null) },
      { name: 'resolved_at', type: 'timestamptz', value: (d) => d.resolved?.resolvedAt ?? null },
    ],
    disputes,
  );
}
