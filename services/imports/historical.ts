/**
 * Historical import at go-live: customers, contracts, invoices and their settlements from the old system's
 * CSV exports, written in ONE transaction. Every row is checked first; if any is rejected nothing at all
 * is written and the report lists each error (a go-live load must be consistent). Rows already present
 * with the same values are duplicates, so the same files can be imported again; rows present with other
 * values are rejected. After the commit, credit holds are re-evaluated for the customers concerned and
 * every open invoice's collection starts (resumable: running ones are skipped) — see collections.ts.
 */
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../../db/connect';
import { selectPolicy } from '../../db/policies';
import type { SendTime } from '../../domain/collection';
import { GRADES } from '../../domain/contract-rules';
import { cleanText, parseAmount, parseCurrency, parseDate, parseFlag } from '../../domain/csv-values';
import { DEFAULT_TIME_ZONE, daysBetween, isTimeZone, localDateOf, zonedInstant } from '../../domain/dates';
import { DISPUTE_REASONS, DISPUTE_ROUTES, type DisputeReason } from '../../domain/disputes';
import { LOCALES } from '../../domain/locales';
import { toDecimal } from '../../domain/money';
import type { EscalationPolicy } from '../../domain/policy';
import type { Actor } from '../../domain/roles';
import { disputeDeadline } from '../../domain/collection-decision';
import { reevaluateCreditHold } from '../credit-holds';
import { startImportedCollections } from './collections';
import { type CsvTable, type EncodingOption, columnOf, readCsvFileOffLoop } from './csv';
import { type EntityCounts, type HistoricalImportReport, ImportInputError, type ProgressListener, type RowError, capErrors } from './report';

export const HISTORICAL_FILES = ['customers', 'contracts', 'invoices', 'settlements'] as const;
export type HistoricalFile = (typeof HISTORICAL_FILES)[number];

interface ColumnSpec { names: string[]; required: boolean }
const col = (required: boolean, ...names: string[]): ColumnSpec => ({ names, required });

/** The columns of each file: English names (case, spaces and underscores do not matter) or the Chinese ones. */
export const HISTORICAL_COLUMNS = {
  customers: {
    code: col(true, 'code', 'customer_code', '客户编码', '客户代码'),
    name: col(true, 'name', 'customer_name', '客户名称'),
    creditLimit: col(true, 'credit_limit', '信用额度'),
    currency: col(true, 'currency', '币种'),
    locale: col(false, 'locale', 'language', '语言'),
    timeZone: col(false, 'time_zone', 'timezone', '时区'),
    contactName: col(true, 'contact_name', 'contact', '联系人'),
    contactEmail: col(true, 'contact_email', 'email', '联系人邮箱', '邮箱'),
    grade: col(false, 'grade', '信用等级'),
  },
  contracts: {
    no: col(true, 'contract_no', 'no', '合同编号', '合同号'),
    customerCode: col(true, 'customer_code', 'customer', '客户编码'),
    title: col(true, 'title', 'name', '合同名称'),
    amount: col(true, 'amount', '合同金额', '金额'),
    currency: col(true, 'currency', '币种'),
    department: col(false, 'department', '部门'),
    owner: col(false, 'owner', 'account_owner', '负责人'),
    signedOn: col(false, 'signed_date', 'signed_on', '签订日期', '签约日期'),
  },
  invoices: {
    no: col(true, 'invoice_no', 'no', '发票号', '发票号码'),
    contractNo: col(true, 'contract_no', '合同编号'),
    issueDate: col(true, 'issue_date', '开票日期'),
    dueDate: col(true, 'due_date', '到期日', '应收日期'),
    amount: col(true, 'amount', '发票金额', '金额'),
    disputed: col(false, 'disputed', 'dispute', '争议', '是否争议'),
  },
  settlements: {
    invoiceNo: col(true, 'invoice_no', '发票号', '发票号码'),
    settledOn: col(true, 'settled_date', 'settled_on', '回款日期', '收款日期'),
    amount: col(true, 'amount', '回款金额', '金额'),
    reference: col(false, 'reference', '银行流水号', '流水号'),
  },
} as const satisfies Record<HistoricalFile, Record<string, ColumnSpec>>;

/** A dispute flagged in the old system names no reason; it is opened with this one and the note below. */
export const IMPORTED_DISPUTE_REASON: DisputeReason = 'customer_process_blocked';
export const IMPORTED_DISPUTE_NOTE = 'imported at go-live';
const CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const BATCH = 1000;
/** Serialises historical imports: two at once would race for the same keys. */
const IMPORT_LOCK = 0x48494d50;

export interface FileInput {
  fileName: string;
  bytes: Buffer;
  encoding?: EncodingOption;
}

export interface HistoricalImportOptions {
  /** Customers without a time zone get this one, and today is taken in it (default Asia/Shanghai). */
  timeZone?: string;
  today?: string;
  onProgress?: ProgressListener;
  /** Where the open invoices' collections start; without it only the database is written. */
  collections?: { temporal: Client; taskQueue: string; sendTime: SendTime; concurrency?: number };
}

interface CustomerIn { row: number; code: string; name: string; creditLimitMinor: number; currency: string; locale: string; timeZone: string; contactName: string; contactEmail: string; grade: string | null }
interface ContractIn { row: number; no: string; customerCode: string; title: string; amountMinor: number; currency: string; department: string | null; owner: string | null; signedOn: string | null }
interface InvoiceIn { row: number; no: string; contractNo: string; issueDate: string; dueDate: string; amountMinor: number; disputeReason: DisputeReason | null; amountText: string }
interface SettlementIn { row: number; invoiceNo: string; settledOn: string; amountMinor: number; reference: string; amountText: string; givenReference: boolean }

type Cells = Record<string, string | undefined>;

/** Reads one file's rows into cells by field (the parse on a CPU thread); a missing required column stops the import with a 400. */
async function tableOf(file: HistoricalFile, input: FileInput): Promise<{ table: CsvTable; rows: { row: number; cells: Cells }[]; sha256: string }> {
  const specs = HISTORICAL_COLUMNS[file] as Record<string, ColumnSpec>;
  const required = Object.values(specs).filter((s) => s.required).map((s) => s.names as unknown as string[]);
  const table = await readCsvFileOffLoop(input.bytes, input.encoding ?? 'auto', `${file}.encoding`, file, required);
  const indexes = Object.entries(specs).map(([field, spec]) => [field, columnOf(table.headers, spec.names as unknown as string[])] as const);
  const rows: { row: number; cells: Cells }[] = [];
  for (const { line, cells } of table.rows) {
    rows.push({ row: line, cells: Object.fromEntries(indexes.map(([field, i]) => [field, i === undefined ? undefined : (cells[i] ?? '')])) });
    if (rows.length % YIELD_EVERY === 0) await yieldToLoop();
  }
  return { table, rows, sha256: table.sha256 };
}

/** Row loops give the event loop a turn this often, so /healthz and other requests are answered meanwhile. */
const YIELD_EVERY = 2_000;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

class Rejected extends Error {}

function counts(): EntityCounts {
  return { read: 0, imported: 0, duplicates: 0, rejected: 0 };
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Selects rows whose key is in `keys`, a chunk at a time (PostgreSQL takes at most 65,535 parameters). */
async function selectIn<R>(keys: string[], query: (chunk: string[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (const chunk of chunks([...new Set(keys)], 10_000)) out.push(...(await query(chunk)));
  return out;
}

export async function importHistorical(
  db: Db, files: Partial<Record<HistoricalFile, FileInput>>, actor: Actor, options: HistoricalImportOptions = {},
): Promise<HistoricalImportReport> {
  const started = Date.now();
  const defaultZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  if (!isTimeZone(defaultZone)) throw new ImportInputError('timeZone', 'must be an IANA time zone such as Asia/Shanghai');
  const today = options.today ?? localDateOf(Date.now(), defaultZone);
  const given = HISTORICAL_FILES.filter((f) => files[f]);
  if (given.length === 0) throw new ImportInputError('files', `give at least one of ${HISTORICAL_FILES.join(', ')}`);
  const tables: Partial<Record<HistoricalFile, Awaited<ReturnType<typeof tableOf>>>> = {};
  for (const f of given) tables[f] = await tableOf(f, files[f]!);

  const errors: RowError[] = [];
  const warnings: string[] = [];
  const rejectedRows: Record<HistoricalFile, Set<number>> = { customers: new Set(), contracts: new Set(), invoices: new Set(), settlements: new Set() };
  const headerOf = (file: HistoricalFile, field: string) => {
    const t = tables[file]!;
    const i = columnOf(t.table.headers, (HISTORICAL_COLUMNS[file] as Record<string, ColumnSpec>)[field].names as unknown as string[]);
    return i === undefined ? field : t.table.headers[i];
  };
  const fail = (file: HistoricalFile, row: number, field: string, message: string) => {
    errors.push({ file, row, field: headerOf(file, field), message });
    rejectedRows[file].add(row);
  };
  const report: HistoricalImportReport = {
    kind: 'historical', importId: 0, status: 'rejected',
    files: Object.fromEntries(given.map((f) => [f, { fileName: files[f]!.fileName, sha256: tables[f]!.sha256 }])),
    customers: counts(), contracts: counts(), invoices: counts(), settlements: counts(),
    errors, warnings, openInvoices: 0, paidInvoices: 0, disputesOpened: 0, durationMs: { validateAndWrite: 0 },
  };
  const totalRows = given.reduce((n, f) => n + tables[f]!.rows.length, 0);
  const progress = (phase: string, done: number, total = totalRows) => options.onProgress?.({ phase, done, total });

  // 1. Read and check each row on its own.
  const text = (file: HistoricalFile, row: number, cells: Cells, field: string, required: boolean): string | undefined => {
    const value = cleanText(cells[field]);
    if (!value && required) fail(file, row, field, 'is required');
    return value;
  };
  const code = (file: HistoricalFile, row: number, cells: Cells, field: string): string | undefined => {
    const value = text(file, row, cells, field, true);
    if (value && !CODE.test(value)) { fail(file, row, field, `"${value}" must be letters, digits, ".", "_" or "-", at most 64`); return undefined; }
    return value;
  };
  const date = (file: HistoricalFile, row: number, cells: Cells, field: string, required: boolean): string | undefined | null => {
    const value = cleanText(cells[field]);
    if (!value) { if (required) fail(file, row, field, 'is required'); return null; }
    const parsed = parseDate(value);
    if ('error' in parsed) { fail(file, row, field, parsed.error); return undefined; }
    if (parsed.value > today) { fail(file, row, field, `${parsed.value} is after today (${today}); history cannot be in the future`); return undefined; }
    return parsed.value;
  };
  const currencyOf = (file: HistoricalFile, row: number, cells: Cells): string | undefined => {
    const value = text(file, row, cells, 'currency', true);
    if (!value) return undefined;
    const parsed = parseCurrency(value);
    if ('error' in parsed) { fail(file, row, 'currency', parsed.error); return undefined; }
    return parsed.value;
  };
  const amount = (file: HistoricalFile, row: number, cells: Cells, field: string, currency: string | undefined, allowZero: boolean): number | undefined => {
    const value = text(file, row, cells, field, true);
    if (!value || !currency) return undefined;
    const parsed = parseAmount(value, currency);
    if ('error' in parsed) { fail(file, row, field, parsed.error); return undefined; }
    if (parsed.value.minor < 0 || (!allowZero && parsed.value.minor === 0)) { fail(file, row, field, `${value.trim()} must be ${allowZero ? 'zero or more' : 'more than zero'}`); return undefined; }
    return parsed.value.minor;
  };
  const firstRow = <T extends { row: number }>(file: HistoricalFile, seen: Map<string, T>, key: string, item: T, field: string, what: string): boolean => {
    const earlier = seen.get(key);
    if (earlier) { fail(file, item.row, field, `${what} ${key} is also on row ${earlier.row}`); return false; }
    seen.set(key, item);
    return true;
  };

  const customers = new Map<string, CustomerIn>();
  for (const { row, cells } of tables.customers?.rows ?? []) {
    report.customers.read += 1;
    if (report.customers.read % YIELD_EVERY === 0) await yieldToLoop();
    const c = code('customers', row, cells, 'code');
    const name = text('customers', row, cells, 'name', true);
    const currency = currencyOf('customers', row, cells);
    const limit = amount('customers', row, cells, 'creditLimit', currency, true);
    const locale = cleanText(cells.locale) ?? 'zh-CN';
    if (!(LOCALES as readonly string[]).includes(locale)) fail('customers', row, 'locale', `"${locale}" must be one of ${LOCALES.join(', ')}`);
    const timeZone = cleanText(cells.timeZone) ?? defaultZone;
    if (!isTimeZone(timeZone)) fail('customers', row, 'timeZone', `"${timeZone}" is not an IANA time zone such as Asia/Shanghai`);
    const contactName = text('customers', row, cells, 'contactName', true);
    const contactEmail = text('customers', row, cells, 'contactEmail', true);
    if (contactEmail && !EMAIL.test(contactEmail)) fail('customers', row, 'contactEmail', `"${contactEmail}" is not an email address`);
    const grade = cleanText(cells.grade)?.toUpperCase() ?? null;
    if (grade && !(GRADES as readonly string[]).includes(grade)) fail('customers', row, 'grade', `"${grade}" must be one of ${GRADES.join(', ')} or blank`);
    if (rejectedRows.customers.has(row)) continue;
    firstRow('customers', customers, c!, { row, code: c!, name: name!, creditLimitMinor: limit!, currency: currency!, locale, timeZone, contactName: contactName!, contactEmail: contactEmail!, grade }, 'code', 'customer');
  }
  const contracts = new Map<string, ContractIn>();
  for (const { row, cells } of tables.contracts?.rows ?? []) {
    report.contracts.read += 1;
    if (report.contracts.read % YIELD_EVERY === 0) await yieldToLoop();
    const no = code('contracts', row, cells, 'no');
    const customerCode = code('contracts', row, cells, 'customerCode');
    const title = text('contracts', row, cells, 'title', true);
    const currency = currencyOf('contracts', row, cells);
    const amountMinor = amount('contracts', row, cells, 'amount', currency, false);
    const signedOn = date('contracts', row, cells, 'signedOn', false);
    if (rejectedRows.contracts.has(row)) continue;
    firstRow('contracts', contracts, no!, {
      row, no: no!, customerCode: customerCode!, title: title!, amountMinor: amountMinor!, currency: currency!,
      department: cleanText(cells.department) ?? null, owner: cleanText(cells.owner) ?? null, signedOn: signedOn ?? null,
    }, 'no', 'contract');
  }
  const invoices = new Map<string, InvoiceIn>();
  const invoiceCells: { row: number; cells: Cells }[] = [];
  for (const { row, cells } of tables.invoices?.rows ?? []) {
    report.invoices.read += 1;
    if (report.invoices.read % YIELD_EVERY === 0) await yieldToLoop();
    const no = code('invoices', row, cells, 'no');
    const contractNo = code('invoices', row, cells, 'contractNo');
    const issueDate = date('invoices', row, cells, 'issueDate', true);
    const dueDate = cleanText(cells.dueDate) ? parseDate(cleanText(cells.dueDate)!) : undefined;
    if (!dueDate) fail('invoices', row, 'dueDate', 'is required');
    else if ('error' in dueDate) fail('invoices', row, 'dueDate', dueDate.error);
    else if (issueDate && dueDate.value < issueDate) fail('invoices', row, 'dueDate', `${dueDate.value} is before the issue date ${issueDate}`);
    const amountText = text('invoices', row, cells, 'amount', true);
    let disputeReason: DisputeReason | null = null;
    const disputed = cleanText(cells.disputed);
    if (disputed) {
      if ((DISPUTE_REASONS as string[]).includes(disputed)) disputeReason = disputed as DisputeReason;
      else {
        const flag = parseFlag(disputed);
        if ('error' in flag) fail('invoices', row, 'disputed', `${flag.error}, or a dispute reason (${DISPUTE_REASONS.join(', ')})`);
        else if (flag.value) disputeReason = IMPORTED_DISPUTE_REASON;
      }
    }
    if (rejectedRows.invoices.has(row)) continue;
    const dueValue = dueDate && 'value' in dueDate ? dueDate.value : '';
    if (firstRow('invoices', invoices, no!, { row, no: no!, contractNo: contractNo!, issueDate: issueDate!, dueDate: dueValue, amountMinor: 0, disputeReason, amountText: amountText! }, 'no', 'invoice')) {
      invoiceCells.push({ row, cells });
    }
  }
  const settlements: SettlementIn[] = [];
  const referenceCount = new Map<string, number>();
  for (const { row, cells } of tables.settlements?.rows ?? []) {
    report.settlements.read += 1;
    if (report.settlements.read % YIELD_EVERY === 0) await yieldToLoop();
    const invoiceNo = code('settlements', row, cells, 'invoiceNo');
    const settledOn = date('settlements', row, cells, 'settledOn', true);
    const amountText = text('settlements', row, cells, 'amount', true);
    const given = cleanText(cells.reference);
    if (rejectedRows.settlements.has(row) || !invoiceNo) continue;
    // Without a bank reference, the n-th settlement of an invoice in the file is HIST-<invoice>-<n>: the same on every import.
    const n = (referenceCount.get(invoiceNo) ?? 0) + 1;
    referenceCount.set(invoiceNo, n);
    settlements.push({ row, invoiceNo, settledOn: settledOn!, amountMinor: 0, reference: given ?? `HIST-${invoiceNo}-${n}`, amountText: amountText!, givenReference: Boolean(given) });
  }
  progress('validate', Math.floor(totalRows / 2));

  const written = await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${IMPORT_LOCK})`.execute(trx);

    // 2. Check the rows against each other and against what the database already holds.
    const dbCustomers = new Map((await selectIn([...customers.keys(), ...[...contracts.values()].map((c) => c.customerCode)], (keys) =>
      trx.selectFrom('customers').select(['code', 'name', 'credit_limit_minor', 'currency', 'locale', 'time_zone', 'grade']).where('code', 'in', keys).execute()))
      .map((c) => [c.code, c]));
    for (const c of customers.values()) {
      const existing = dbCustomers.get(c.code);
      if (!existing) continue;
      const differences = [
        existing.name !== c.name && `name "${existing.name}"`,
        existing.currency !== c.currency && `currency ${existing.currency}`,
        (existing.credit_limit_minor !== c.creditLimitMinor || existing.currency !== c.currency) && `credit limit ${toDecimal(existing.credit_limit_minor, existing.currency)}`,
        existing.locale !== c.locale && `locale ${existing.locale}`,
        existing.time_zone !== c.timeZone && `time zone ${existing.time_zone}`,
      ].filter(Boolean);
      if (differences.length > 0) fail('customers', c.row, 'code', `customer ${c.code} already exists with other values: ${differences.join(', ')}`);
    }
    const customerRowRejected = new Map([...(tables.customers?.rows ?? [])].filter((r) => rejectedRows.customers.has(r.row)).map((r) => [cleanText(r.cells.code), r.row]));

    const invoiceContractNos = [...invoices.values()].map((i) => i.contractNo);
    const dbContracts = new Map((await selectIn([...contracts.keys(), ...invoiceContractNos], (keys) =>
      trx.selectFrom('contracts').select(['no', 'customer_code', 'title', 'amount_minor', 'currency', 'department', 'account_owner', 'details', 'stage'])
        .where('no', 'in', keys).execute())).map((c) => [c.no, c]));
    const isHistorical = (details: unknown) => (details as Record<string, unknown> | null)?.source === 'historical';
    for (const k of contracts.values()) {
      const customer = customers.get(k.customerCode) ?? dbCustomers.get(k.customerCode);
      // A row whose customer's own row is rejected is not reported again: that row's error says why.
      if (!customer) {
        if (!customerRowRejected.has(k.customerCode)) fail('contracts', k.row, 'customerCode', `no customer ${k.customerCode} in the customers file or the database`);
        continue;
      }
      const existing = dbContracts.get(k.no);
      if (!existing) continue;
      const signedOn = ((existing.details ?? {}) as Record<string, unknown>).signedOn ?? null;
      const differences = [
        existing.customer_code !== k.customerCode && `customer ${existing.customer_code}`,
        existing.title !== k.title && `title "${existing.title}"`,
        (existing.amount_minor !== k.amountMinor || existing.currency !== k.currency) && `amount ${toDecimal(existing.amount_minor, existing.currency)} ${existing.currency}`,
        (existing.department ?? null) !== k.department && `department ${existing.department ?? '(none)'}`,
        (existing.account_owner ?? null) !== k.owner && `owner ${existing.account_owner ?? '(none)'}`,
        signedOn !== k.signedOn && `signed date ${signedOn ?? '(none)'}`,
      ].filter(Boolean);
      if (differences.length > 0) fail('contracts', k.row, 'no', `contract ${k.no} already exists with other values: ${differences.join(', ')}`);
    }

    const dbInvoices = new Map((await selectIn([...invoices.keys(), ...settlements.map((s) => s.invoiceNo)], (keys) =>
      trx.selectFrom('invoices').select(['no', 'contract_no', 'customer_code', 'amount_minor', 'currency', 'issue_date', 'due_date', 'source', 'status'])
        .where('no', 'in', keys).execute())).map((i) => [i.no, i]));
    const contractOf = (no: string) => {
      const k = contracts.get(no);
      if (k) return { customerCode: k.customerCode, currency: k.currency, historical: true, inFile: true, row: k.row };
      const d = dbContracts.get(no);
      return d ? { customerCode: d.customer_code, currency: d.currency, historical: isHistorical(d.details), inFile: false, row: 0 } : undefined;
    };
    const contractRowRejected = new Map([...(tables.contracts?.rows ?? [])].filter((r) => rejectedRows.contracts.has(r.row)).map((r) => [cleanText(r.cells.no), r.row]));
    for (const [i, invoice] of [...invoices.values()].entries()) {
      const contract = contractOf(invoice.contractNo);
      if (!contract) {
        if (!contractRowRejected.has(invoice.contractNo)) fail('invoices', invoice.row, 'contractNo', `no contract ${invoice.contractNo} in the contracts file or the database`);
        continue;
      }
      const parsed = parseAmount(invoice.amountText, contract.currency);
      if ('error' in parsed) fail('invoices', invoice.row, 'amount', parsed.error);
      else if (parsed.value.minor <= 0) fail('invoices', invoice.row, 'amount', `${invoice.amountText} must be more than zero`);
      else invoice.amountMinor = parsed.value.minor;
      const existing = dbInvoices.get(invoice.no);
      if (existing) {
        const differences = [
          existing.source !== 'historical' && 'issued through its contract workflow, not imported',
          existing.contract_no !== invoice.contractNo && `contract ${existing.contract_no}`,
          (existing.amount_minor !== invoice.amountMinor || existing.currency !== contract.currency) && `amount ${toDecimal(existing.amount_minor, existing.currency)} ${existing.currency}`,
          existing.issue_date !== invoice.issueDate && `issue date ${existing.issue_date}`,
          existing.due_date !== invoice.dueDate && `due date ${existing.due_date}`,
        ].filter(Boolean);
        if (differences.length > 0 && !rejectedRows.invoices.has(invoice.row)) fail('invoices', invoice.row, 'no', `invoice ${invoice.no} already exists with other values: ${differences.join(', ')}`);
      } else if (!contract.historical) {
        fail('invoices', invoice.row, 'contractNo', `contract ${invoice.contractNo} runs in its contract workflow; its invoices are issued there, not imported`);
      }
      if (i % 10_000 === 0) progress('validate', Math.floor(totalRows / 2 + i / 2));
      if (i % YIELD_EVERY === 0) await yieldToLoop();
    }

    // Settlements: each is a payment (grouped by bank reference per customer) allocated to its invoice.
    const invoiceRowRejected = new Map([...(tables.invoices?.rows ?? [])].filter((r) => rejectedRows.invoices.has(r.row)).map((r) => [cleanText(r.cells.no), r.row]));
    const settledPerInvoice = new Map<string, number>();
    const lastSettled = new Map<string, string>();
    const usable: (SettlementIn & { customerCode: string; currency: string })[] = [];
    for (const [i, s] of settlements.entries()) {
      if (i % YIELD_EVERY === 0) await yieldToLoop();
      const invoice = invoices.get(s.invoiceNo);
      if (!invoice) {
        if (invoiceRowRejected.has(s.invoiceNo)) continue;
        fail('settlements', s.row, 'invoiceNo', dbInvoices.has(s.invoiceNo)
          ? `invoice ${s.invoiceNo} is not in the invoices file: settlements are imported with their invoice (a later payment is recorded through the API or a bank statement)`
          : `no invoice ${s.invoiceNo} in the invoices file`);
        continue;
      }
      const contract = contractOf(invoice.contractNo);
      if (!contract) continue;
      const parsed = parseAmount(s.amountText, contract.currency);
      if ('error' in parsed) { fail('settlements', s.row, 'amount', parsed.error); continue; }
      if (parsed.value.minor <= 0) { fail('settlements', s.row, 'amount', `${s.amountText} must be more than zero`); continue; }
      s.amountMinor = parsed.value.minor;
      const total = (settledPerInvoice.get(s.invoiceNo) ?? 0) + s.amountMinor;
      settledPerInvoice.set(s.invoiceNo, total);
      if (invoice.amountMinor > 0 && total > invoice.amountMinor) {
        fail('settlements', s.row, 'amount', `settlements of invoice ${s.invoiceNo} reach ${toDecimal(total, contract.currency)}, more than its amount ${toDecimal(invoice.amountMinor, contract.currency)}`);
        continue;
      }
      if (s.settledOn > (lastSettled.get(s.invoiceNo) ?? '')) lastSettled.set(s.invoiceNo, s.settledOn);
      usable.push({ ...s, customerCode: contract.customerCode, currency: contract.currency });
    }
    // One payment per (customer, reference): its lines must agree on the date and currency.
    const groups = new Map<string, typeof usable>();
    for (const [i, s] of usable.entries()) {
      if (i % YIELD_EVERY === 0) await yieldToLoop();
      const key = `${s.customerCode}\u0000${s.reference}`;
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    for (const group of groups.values()) {
      const [first] = group;
      for (const s of group.slice(1)) {
        if (s.settledOn !== first.settledOn || s.currency !== first.currency) {
          fail('settlements', s.row, 'reference', `reference ${s.reference} is also on row ${first.row} with ${s.settledOn !== first.settledOn ? `date ${first.settledOn}` : `currency ${first.currency}`}: one bank reference is one payment`);
        } else if (!s.givenReference) {
          fail('settlements', s.row, 'reference', `reference ${s.reference} is also on row ${first.row}`);
        }
      }
    }
    const dbPayments = new Map((await selectIn(usable.map((s) => s.reference), (keys) =>
      trx.selectFrom('payments').select(['id', 'customer_code', 'reference', 'amount_minor', 'currency', 'received_on', 'status'])
        .where('reference', 'in', keys).execute())).map((p) => [`${p.customer_code}\u0000${p.reference}`, p]));
    const dbAllocations = new Map<string, number>();
    for (const a of await selectIn([...dbPayments.values()].map((p) => String(p.id)), (keys) =>
      trx.selectFrom('allocations').select(['payment_id', 'invoice_no', 'amount_minor']).where('payment_id', 'in', keys.map(Number)).where('reversed_at', 'is', null).execute())) {
      const key = `${a.payment_id}\u0000${a.invoice_no}`;
      dbAllocations.set(key, (dbAllocations.get(key) ?? 0) + a.amount_minor);
    }
    const newPayments: (typeof usable)[] = [];
    for (const [key, group] of groups) {
      const existing = dbPayments.get(key);
      const duplicateInvoice = group.some((s) => dbInvoices.has(s.invoiceNo));
      if (!existing) {
        if (duplicateInvoice) {
          for (const s of group.filter((g) => dbInvoices.has(g.invoiceNo))) {
            fail('settlements', s.row, 'invoiceNo', `invoice ${s.invoiceNo} was imported before without this settlement (${s.reference}); record a later payment through the API or a bank statement`);
          }
        } else newPayments.push(group);
        continue;
      }
      const perInvoice = new Map<string, number>();
      for (const s of group) perInvoice.set(s.invoiceNo, (perInvoice.get(s.invoiceNo) ?? 0) + s.amountMinor);
      const same = existing.received_on === group[0].settledOn && existing.currency === group[0].currency
        && [...perInvoice].every(([invoiceNo, minor]) => dbAllocations.get(`${existing.id}\u0000${invoiceNo}`) === minor);
      if (!same) {
        for (const s of group) {
          fail('settlements', s.row, 'reference', `payment ${s.reference} of customer ${s.customerCode} already exists (id ${existing.id}, ${toDecimal(existing.amount_minor, existing.currency)} ${existing.currency} on ${existing.received_on}) with other values`);
        }
      }
    }

    const rejectedCount = HISTORICAL_FILES.reduce((n, f) => n + rejectedRows[f].size, 0);
    for (const f of HISTORICAL_FILES) report[f].rejected = rejectedRows[f].size;
    if (rejectedCount > 0) throw new Rejected();
    progress('validate', totalRows);

    // 3. Write everything, in batches, in this one transaction.
    const importRow = await trx.insertInto('imports').values({
      kind: 'historical', file_name: given.map((f) => files[f]!.fileName).join(', '), file_sha256: given.map((f) => tables[f]!.sha256).join(','),
      status: 'running', report: JSON.stringify({}), created_by: actor.name,
    }).returning('id').executeTakeFirstOrThrow();
    report.importId = importRow.id;
    const newCustomers = [...customers.values()].filter((c) => !dbCustomers.has(c.code));
    const writeTotal = newCustomers.length + [...contracts.keys()].filter((no) => !dbContracts.has(no)).length
      + [...invoices.keys()].filter((no) => !dbInvoices.has(no)).length + newPayments.reduce((n, g) => n + g.length, 0);
    let writtenRows = 0;
    const wrote = (n: number) => { writtenRows += n; progress('write', writtenRows, writeTotal); };
    progress('write', 0, writeTotal);

    report.customers.imported = newCustomers.length;
    report.customers.duplicates = customers.size - newCustomers.length;
    for (const batch of chunks(newCustomers, BATCH)) {
      await trx.insertInto('customers').values(batch.map((c) => ({
        code: c.code, name: c.name, grade: c.grade, credit_limit_minor: c.creditLimitMinor, currency: c.currency, locale: c.locale, time_zone: c.timeZone,
      }))).execute();
      await trx.insertInto('customer_contacts').values(batch.map((c) => ({ customer_code: c.code, role: 'payment_owner', name: c.contactName, email: c.contactEmail }))).execute();
      wrote(batch.length);
    }

    const newInvoices = [...invoices.values()].filter((i) => !dbInvoices.has(i.no));
    report.invoices.imported = newInvoices.length;
    report.invoices.duplicates = invoices.size - newInvoices.length;
    const balanceOf = (i: InvoiceIn) => i.amountMinor - (settledPerInvoice.get(i.no) ?? 0);

    // Contract stages: Collection while any of its invoices stays open, else Closed.
    const openByContract = new Map<string, number>();
    for (const i of newInvoices) if (balanceOf(i) > 0) openByContract.set(i.contractNo, (openByContract.get(i.contractNo) ?? 0) + 1);
    const touchedDbContracts = [...new Set(newInvoices.map((i) => i.contractNo).filter((no) => dbContracts.has(no)))];
    for (const row of await selectIn(touchedDbContracts, (keys) => trx.selectFrom('invoices').select(['contract_no', sql<number>`count(*)::int`.as('open')])
      .where('contract_no', 'in', keys).where('status', '=', 'open').groupBy('contract_no').execute())) {
      openByContract.set(row.contract_no, (openByContract.get(row.contract_no) ?? 0) + row.open);
    }
    const newContracts = [...contracts.values()].filter((k) => !dbContracts.has(k.no));
    report.contracts.imported = newContracts.length;
    report.contracts.duplicates = contracts.size - newContracts.length;
    const invoicedContracts = new Set(newInvoices.map((i) => i.contractNo));
    const withoutInvoices = newContracts.filter((k) => !invoicedContracts.has(k.no)).length;
    if (withoutInvoices > 0) warnings.push(`${withoutInvoices} contract(s) have no invoice in the files: they are imported Closed`);
    const now = new Date();
    for (const batch of chunks(newContracts, BATCH)) {
      await trx.insertInto('contracts').values(batch.map((k) => ({
        no: k.no, customer_code: k.customerCode, title: k.title, amount_minor: k.amountMinor, currency: k.currency, payment_terms_type: 'credit_terms',
        stage: openByContract.has(k.no) ? 'Collection' : 'Closed', terms: JSON.stringify({}),
        details: JSON.stringify({ source: 'historical', importId: importRow.id, ...(k.signedOn ? { signedOn: k.signedOn } : {}) }),
        owners: k.owner ? JSON.stringify({ account: k.owner }) : null, department: k.department, account_owner: k.owner, created_by: actor.name,
        close_reason: openByContract.has(k.no) ? null : 'imported at go-live with every invoice settled',
      }))).execute();
      await trx.insertInto('timeline').values(batch.map((k) => ({
        event_key: `contract/${k.no}/imported`, contract_no: k.no, customer_code: k.customerCode, invoice_no: null, at: now, actor_name: actor.name,
        actor_role: actor.role, action: 'historical_import', from_stage: null, to_stage: openByContract.has(k.no) ? 'Collection' : 'Closed', reason: 'imported at go-live',
        details: JSON.stringify({ importId: importRow.id }),
      }))).onConflict((oc) => oc.column('event_key').doNothing()).execute();
      wrote(batch.length);
    }
    for (const no of touchedDbContracts) {
      await trx.updateTable('contracts').set({ stage: openByContract.has(no) ? 'Collection' : 'Closed', stage_changed_at: now })
        .where('no', '=', no).where('stage', 'in', ['Collection', 'Closed']).execute();
    }

    // Policies: the contract's own selection, else the customer's grade's, else the default (db/policies.ts).
    const customerGrade = (codeOf: string) => customers.get(codeOf)?.grade ?? dbCustomers.get(codeOf)?.grade ?? null;
    const contractSelections = new Set((await trx.selectFrom('policy_selections').select('key').where('scope', '=', 'contract').execute()).map((s) => s.key));
    const byGrade = new Map<string, EscalationPolicy>();
    const policyFor = async (contractNo: string, grade: string | null): Promise<EscalationPolicy> => {
      if (contractSelections.has(contractNo)) return selectPolicy(trx, contractNo, grade);
      const key = grade ?? 'new';
      if (!byGrade.has(key)) byGrade.set(key, await selectPolicy(trx, contractNo, grade));
      return byGrade.get(key)!;
    };

    // Milestones: one 'final' milestone per invoice, numbered after the contract's existing ones in issue order.
    const nextSeq = new Map((await selectIn(touchedDbContracts, (keys) => trx.selectFrom('milestones').select(['contract_no', sql<number>`max(seq)::int`.as('max')])
      .where('contract_no', 'in', keys).groupBy('contract_no').execute())).map((m) => [m.contract_no, m.max]));
    const ordered = [...newInvoices].sort((a, b) => a.contractNo.localeCompare(b.contractNo) || a.issueDate.localeCompare(b.issueDate) || a.no.localeCompare(b.no));
    const seqOf = new Map<string, number>();
    for (const i of ordered) {
      const seq = (nextSeq.get(i.contractNo) ?? 0) + 1;
      nextSeq.set(i.contractNo, seq);
      seqOf.set(i.no, seq);
    }
    // zonedInstant asks Intl each time; a go-live load has a few hundred distinct days, so remember them.
    const midnights = new Map<string, number>();
    const startOfDay = (day: string, zone: string) => {
      const key = `${day} ${zone}`;
      if (!midnights.has(key)) midnights.set(key, zonedInstant(day, '00:00', zone));
      return midnights.get(key)!;
    };
    const disputes: { invoice: InvoiceIn; policy: EscalationPolicy }[] = [];
    for (const batch of chunks(ordered, BATCH)) {
      const rows = [];
      for (const i of batch) {
        const contract = contractOf(i.contractNo)!;
        const policy = await policyFor(i.contractNo, customerGrade(contract.customerCode));
        const balance = balanceOf(i);
        const paidOn = balance === 0 ? lastSettled.get(i.no)! : null;
        const zone = customers.get(contract.customerCode)?.timeZone ?? dbCustomers.get(contract.customerCode)?.time_zone ?? defaultZone;
        if (balance > 0 && i.disputeReason) disputes.push({ invoice: i, policy });
        if (balance === 0 && i.disputeReason) warnings.push(`invoice ${i.no} (invoices row ${i.row}) is flagged disputed but settled in full: no dispute is opened`);
        rows.push({
          no: i.no, contract_no: i.contractNo, milestone_seq: seqOf.get(i.no)!, customer_code: contract.customerCode, currency: contract.currency,
          amount_minor: i.amountMinor, tax_minor: 0, balance_minor: balance, issue_date: i.issueDate, due_date: i.dueDate,
          status: balance === 0 ? 'paid' : 'open', paid_at: paidOn ? new Date(startOfDay(paidOn, zone)) : null, paid_on: paidOn,
          issued_by: actor.name, policy_id: policy.id, policy_version: policy.version, source: 'historical',
        });
      }
      await trx.insertInto('milestones').values(batch.map((i) => ({
        contract_no: i.contractNo, seq: seqOf.get(i.no)!, kind: 'final', amount_minor: i.amountMinor,
        trigger: JSON.stringify({ type: 'on_date', date: i.issueDate }), term_days: daysBetween(i.issueDate, i.dueDate),
        status: balanceOf(i) === 0 ? 'paid' : 'invoiced', ready_on: i.issueDate,
      }))).execute();
      await trx.insertInto('invoices').values(rows).execute();
      wrote(batch.length);
    }
    report.openInvoices = newInvoices.filter((i) => balanceOf(i) > 0).length;
    report.paidInvoices = newInvoices.length - report.openInvoices;

    // Settlements become matched payments (source 'historical') with 'historical' allocations.
    const newSettlementRows = newPayments.reduce((n, g) => n + g.length, 0);
    report.settlements.imported = newSettlementRows;
    report.settlements.duplicates = usable.length - newSettlementRows;
    for (const batch of chunks(newPayments, BATCH)) {
      const ids = await trx.insertInto('payments').values(batch.map((group) => {
        const total = group.reduce((n, s) => n + s.amountMinor, 0);
        return {
          customer_code: group[0].customerCode, reference: group[0].reference, amount_minor: total, currency: group[0].currency,
          received_on: group[0].settledOn, unallocated_minor: 0, recorded_by: actor.name, source: 'historical', status: 'matched', import_id: importRow.id,
        };
      })).returning(['id', 'customer_code', 'reference']).execute();
      const idOf = new Map(ids.map((p) => [`${p.customer_code}\u0000${p.reference}`, p.id]));
      const allocations = batch.flatMap((group) => group.map((s) => ({
        payment_id: idOf.get(`${s.customerCode}\u0000${s.reference}`)!, invoice_no: s.invoiceNo, amount_minor: s.amountMinor, rule: 'historical', allocated_by: actor.name,
      })));
      for (const part of chunks(allocations, BATCH)) await trx.insertInto('allocations').values(part).execute();
      wrote(allocations.length);
    }

    // A dispute flagged in the old system: an open dispute, routed like any other; its collection is told after the start.
    for (const batch of chunks(disputes, BATCH)) {
      await trx.insertInto('disputes').values(batch.map(({ invoice, policy }) => ({
        id: `${invoice.no}/D1`, invoice_no: invoice.no, reason: invoice.disputeReason!, note: IMPORTED_DISPUTE_NOTE, routed_to: DISPUTE_ROUTES[invoice.disputeReason!],
        status: 'open', opened_by: actor.name, opened_at: now, sla_due_at: new Date(disputeDeadline(now.getTime(), policy.disputeSlaDays)),
      }))).execute();
    }
    report.disputesOpened = disputes.length;

    const affected = new Set([...newCustomers.map((c) => c.code), ...newContracts.map((k) => k.customerCode), ...newInvoices.map((i) => contractOf(i.contractNo)!.customerCode)]);
    report.status = 'imported';
    await trx.updateTable('imports').set({ status: 'imported', report: JSON.stringify(storedReport(report)) }).where('id', '=', importRow.id).execute();
    return { affected: [...affected], invoiceNos: [...invoices.keys()] };
  }).catch(async (error) => {
    if (!(error instanceof Rejected)) throw error;
    errors.sort((a, b) => HISTORICAL_FILES.indexOf(a.file as HistoricalFile) - HISTORICAL_FILES.indexOf(b.file as HistoricalFile) || a.row - b.row);
    report.durationMs.validateAndWrite = Date.now() - started;
    const row = await db.insertInto('imports').values({
      kind: 'historical', file_name: given.map((f) => files[f]!.fileName).join(', '), file_sha256: given.map((f) => tables[f]!.sha256).join(','),
      status: 'rejected', report: JSON.stringify({}), created_by: actor.name,
    }).returning('id').executeTakeFirstOrThrow();
    report.importId = row.id;
    await db.updateTable('imports').set({ report: JSON.stringify(storedReport(report)) }).where('id', '=', row.id).execute();
    return undefined;
  });
  report.durationMs.validateAndWrite = Date.now() - started;
  if (!written) return report;

  // 4. After the commit: credit holds, then the collections of the open invoices.
  let onHold = 0;
  for (const [i, customerCode] of written.affected.entries()) {
    const evaluation = await db.transaction().execute((trx) => reevaluateCreditHold(trx, customerCode, today, actor));
    if (evaluation.hold) onHold += 1;
    progress('credit holds', i + 1, written.affected.length);
  }
  report.creditHolds = { customers: written.affected.length, onHold };
  if (options.collections) {
    const collectionsStarted = Date.now();
    report.collections = await startImportedCollections(db, options.collections, written.invoiceNos, actor, (done, total) => progress('collections', done, total));
    report.durationMs.collections = Date.now() - collectionsStarted;
  }
  await db.updateTable('imports').set({ report: JSON.stringify(storedReport(report)) }).where('id', '=', report.importId).execute();
  return report;
}

function storedReport(report: HistoricalImportReport): object {
  return { ...report, ...capErrors(report.errors) };
}
