/**
 * Step 2, cross-check: the parsed rows against each other and against what the database holds, inside the
 * import's transaction (after its lock), so what it finds still holds when the write step runs. Rows already
 * there with the same values are duplicates; every other finding is an error of the row concerned.
 */
import type { Db } from '../../../db/connect';
import type { ContractRow, CustomerRow, InvoiceRow } from '../../../db/schema';
import { parseAmount } from '../../../domain/csv-values';
import { toDecimal } from '../../../domain/money';
import { YIELD_EVERY, anyOf, selectIn, yieldToLoop } from './batches';
import type { RowErrors } from './row-errors';
import type { ContractIn, ContractTermsIn, CustomerIn, InvoiceIn, ParsedRows, SettlementIn } from './rows';

type DbCustomer = Pick<
  CustomerRow,
  'code' | 'name' | 'credit_limit_minor' | 'currency' | 'locale' | 'time_zone' | 'grade'
>;
type DbContract = Pick<
  ContractRow,
  | 'no'
  | 'customer_code'
  | 'title'
  | 'amount_minor'
  | 'currency'
  | 'department'
  | 'account_owner'
  | 'details'
  | 'stage'
  | 'terms'
>;
type DbInvoice = Pick<
  InvoiceRow,
  'no' | 'contract_no' | 'customer_code' | 'amount_minor' | 'currency' | 'issue_date' | 'due_date' | 'source' | 'status'
>;

/** An invoice's contract, from the contracts file or else the database. */
export interface ContractRef {
  customerCode: string;
  currency: string;
  /** Imported (from the file, or by an earlier import), not run by its contract workflow. */
  historical: boolean;
}

export type UsableSettlement = SettlementIn & { customerCode: string; currency: string };

export interface CrossChecked {
  dbCustomers: Map<string, DbCustomer>;
  dbContracts: Map<string, DbContract>;
  dbInvoices: Map<string, DbInvoice>;
  contractOf: (contractNo: string) => ContractRef | undefined;
  /** Per invoice in the files: the sum of its settlements, and the date of the last one. */
  settledPerInvoice: Map<string, number>;
  lastSettled: Map<string, string>;
  /** The settlements that passed their own checks: new ones and those imported before. */
  usable: UsableSettlement[];
  /** The new settlements, grouped into payments: one per customer and bank reference. */
  newPayments: UsableSettlement[][];
}

/** `invoiceChecked` is called every 10,000 invoices, for progress. */
export async function crossCheck(
  trx: Db,
  rows: ParsedRows,
  errors: RowErrors,
  invoiceChecked: (index: number) => void,
): Promise<CrossChecked> {
  const dbCustomers = await checkCustomers(trx, rows, errors);
  const dbContracts = await checkContracts(trx, rows, dbCustomers, errors);
  const contractOf = contractLookup(rows.contracts, dbContracts);
  const dbInvoices = await checkInvoices(trx, rows, contractOf, errors, invoiceChecked);
  const { settledPerInvoice, lastSettled, usable } = await checkSettlements(rows, dbInvoices, contractOf, errors);
  const payments = await groupIntoPayments(usable, errors);
  const newPayments = await newPaymentsOf(trx, usable, payments, dbInvoices, errors);
  return { dbCustomers, dbContracts, dbInvoices, contractOf, settledPerInvoice, lastSettled, usable, newPayments };
}

/** A payment is known by its customer and bank reference. */
export const paymentKey = (customerCode: string | null, reference: string) => `${customerCode}\u0000${reference}`;

/**
 * A customer already in the database must have the same values. Returns the database's customers that the files
 * name, contracts' customers too.
 */
async function checkCustomers(
  trx: Db,
  { customers, contracts }: ParsedRows,
  errors: RowErrors,
): Promise<Map<string, DbCustomer>> {
  const codes = [...customers.keys(), ...[...contracts.values()].map((c) => c.customerCode)];
  const found = await selectIn(codes, (keys) =>
    trx
      .selectFrom('customers')
      .select(['code', 'name', 'credit_limit_minor', 'currency', 'locale', 'time_zone', 'grade'])
      .where('code', '=', anyOf(keys))
      .execute(),
  );
  const dbCustomers = new Map(found.map((c) => [c.code, c]));
  for (const c of customers.values()) {
    const existing = dbCustomers.get(c.code);
    if (!existing) continue;
    const differences = customerDifferences(existing, c);
    if (differences.length > 0) {
      errors.fail(
        'customers',
        c.row,
        'code',
        `customer ${c.code} already exists with other values: ${differences.join(', ')}`,
      );
    }
  }
  return dbCustomers;
}

function customerDifferences(existing: DbCustomer, c: CustomerIn): string[] {
  return [
    existing.name !== c.name && `name "${existing.name}"`,
    existing.currency !== c.currency && `currency ${existing.currency}`,
    (existing.credit_limit_minor !== c.creditLimitMinor || existing.currency !== c.currency) &&
      `credit limit ${toDecimal(existing.credit_limit_minor, existing.currency)}`,
    existing.locale !== c.locale && `locale ${existing.locale}`,
    existing.time_zone !== c.timeZone && `time zone ${existing.time_zone}`,
  ].filter((d) => d !== false);
}

/**
 * A contract's customer must be in the customers file or the database; a contract already in the database must
 * have the same values. Returns the contracts the files name, invoices' contracts too.
 */
async function checkContracts(
  trx: Db,
  { customers, contracts, invoices }: ParsedRows,
  dbCustomers: Map<string, DbCustomer>,
  errors: RowErrors,
): Promise<Map<string, DbContract>> {
  const rejectedCustomers = errors.rejectedKeys('customers', 'code');
  const nos = [...contracts.keys(), ...[...invoices.values()].map((i) => i.contractNo)];
  const found = await selectIn(nos, (keys) =>
    trx
      .selectFrom('contracts')
      .select([
        'no',
        'customer_code',
        'title',
        'amount_minor',
        'currency',
        'department',
        'account_owner',
        'details',
        'stage',
        'terms',
      ])
      .where('no', '=', anyOf(keys))
      .execute(),
  );
  const dbContracts = new Map(found.map((c) => [c.no, c]));
  for (const k of contracts.values()) {
    if (!customers.has(k.customerCode) && !dbCustomers.has(k.customerCode)) {
      // A customer whose own row is rejected is not reported again here: that row's error says why.
      if (!rejectedCustomers.has(k.customerCode)) {
        errors.fail(
          'contracts',
          k.row,
          'customerCode',
          `no customer ${k.customerCode} in the customers file or the database`,
        );
      }
      continue;
    }
    const existing = dbContracts.get(k.no);
    if (!existing) continue;
    const differences = contractDifferences(existing, k);
    if (differences.length > 0) {
      errors.fail(
        'contracts',
        k.row,
        'no',
        `contract ${k.no} already exists with other values: ${differences.join(', ')}`,
      );
    }
  }
  return dbContracts;
}

function contractDifferences(existing: DbContract, k: ContractIn): string[] {
  const signedOn = ((existing.details ?? {}) as Record<string, unknown>).signedOn ?? null;
  return [
    existing.customer_code !== k.customerCode && `customer ${existing.customer_code}`,
    existing.title !== k.title && `title "${existing.title}"`,
    (existing.amount_minor !== k.amountMinor || existing.currency !== k.currency) &&
      `amount ${toDecimal(existing.amount_minor, existing.currency)} ${existing.currency}`,
    (existing.department ?? null) !== k.department && `department ${existing.department ?? '(none)'}`,
    (existing.account_owner ?? null) !== k.owner && `owner ${existing.account_owner ?? '(none)'}`,
    signedOn !== k.signedOn && `signed date ${signedOn ?? '(none)'}`,
    // A blank term says nothing: only a term the file states must match the stored one.
    ...TERM_COLUMNS.map(({ key, label }) => {
      const stored = ((existing.terms ?? {}) as ContractTermsIn)[key] ?? null;
      return k.terms[key] !== undefined && stored !== k.terms[key] && `${label} ${stored ?? '(none)'}`;
    }),
  ].filter((d) => d !== false);
}

const TERM_COLUMNS: { key: keyof ContractTermsIn; label: string }[] = [
  { key: 'lateInterestRatePercent', label: 'late interest rate' },
  { key: 'penaltyClause', label: 'penalty clause' },
  { key: 'paymentMethod', label: 'payment method' },
];

function contractLookup(
  contracts: Map<string, ContractIn>,
  dbContracts: Map<string, DbContract>,
): (contractNo: string) => ContractRef | undefined {
  return (no) => {
    const k = contracts.get(no);
    if (k) return { customerCode: k.customerCode, currency: k.currency, historical: true };
    const d = dbContracts.get(no);
    return d ? { customerCode: d.customer_code, currency: d.currency, historical: isHistorical(d.details) } : undefined;
  };
}

const isHistorical = (details: unknown) => (details as Record<string, unknown> | null)?.source === 'historical';

/**
 * An invoice's contract must be in the contracts file or the database, and imported rather than run by its
 * workflow; its amount is read in the contract's currency; an invoice already in the database must have the
 * same values. Returns the invoices the files name, settlements' invoices too.
 */
async function checkInvoices(
  trx: Db,
  { invoices, settlements }: ParsedRows,
  contractOf: CrossChecked['contractOf'],
  errors: RowErrors,
  invoiceChecked: (index: number) => void,
): Promise<Map<string, DbInvoice>> {
  const nos = [...invoices.keys(), ...settlements.map((s) => s.invoiceNo)];
  const found = await selectIn(nos, (keys) =>
    trx
      .selectFrom('invoices')
      .select([
        'no',
        'contract_no',
        'customer_code',
        'amount_minor',
        'currency',
        'issue_date',
        'due_date',
        'source',
        'status',
      ])
      .where('no', '=', anyOf(keys))
      .execute(),
  );
  const dbInvoices = new Map(found.map((i) => [i.no, i]));
  const rejectedContracts = errors.rejectedKeys('contracts', 'no');
  for (const [i, invoice] of [...invoices.values()].entries()) {
    const contract = contractOf(invoice.contractNo);
    if (!contract) {
      if (!rejectedContracts.has(invoice.contractNo)) {
        errors.fail(
          'invoices',
          invoice.row,
          'contractNo',
          `no contract ${invoice.contractNo} in the contracts file or the database`,
        );
      }
      continue;
    }
    readInvoiceAmount(invoice, contract.currency, errors);
    const existing = dbInvoices.get(invoice.no);
    if (existing) {
      const differences = invoiceDifferences(existing, invoice, contract.currency);
      if (differences.length > 0 && !errors.isRejected('invoices', invoice.row)) {
        errors.fail(
          'invoices',
          invoice.row,
          'no',
          `invoice ${invoice.no} already exists with other values: ${differences.join(', ')}`,
        );
      }
    } else if (!contract.historical) {
      errors.fail(
        'invoices',
        invoice.row,
        'contractNo',
        `contract ${invoice.contractNo} runs in its contract workflow; its invoices are issued there, not imported`,
      );
    }
    if (i % 10_000 === 0) invoiceChecked(i);
    if (i % YIELD_EVERY === 0) await yieldToLoop();
  }
  return dbInvoices;
}

/** Sets invoice.amountMinor, or reports why the amount cannot be read (amountMinor stays 0). */
function readInvoiceAmount(invoice: InvoiceIn, currency: string, errors: RowErrors): void {
  const parsed = parseAmount(invoice.amountText, currency);
  if ('error' in parsed) {
    errors.fail('invoices', invoice.row, 'amount', parsed.error);
  } else if (parsed.value.minor <= 0) {
    errors.fail('invoices', invoice.row, 'amount', `${invoice.amountText} must be more than zero`);
  } else {
    invoice.amountMinor = parsed.value.minor;
  }
}

function invoiceDifferences(existing: DbInvoice, invoice: InvoiceIn, currency: string): string[] {
  return [
    existing.source !== 'historical' && 'issued through its contract workflow, not imported',
    existing.contract_no !== invoice.contractNo && `contract ${existing.contract_no}`,
    (existing.amount_minor !== invoice.amountMinor || existing.currency !== currency) &&
      `amount ${toDecimal(existing.amount_minor, existing.currency)} ${existing.currency}`,
    existing.issue_date !== invoice.issueDate && `issue date ${existing.issue_date}`,
    existing.due_date !== invoice.dueDate && `due date ${existing.due_date}`,
  ].filter((d) => d !== false);
}

/**
 * A settlement's invoice must be in the invoices file (settlements are imported with their invoice); its amount
 * is read in the contract's currency, and an invoice's settlements may not add up to more than the invoice.
 */
async function checkSettlements(
  { invoices, settlements }: ParsedRows,
  dbInvoices: Map<string, DbInvoice>,
  contractOf: CrossChecked['contractOf'],
  errors: RowErrors,
): Promise<Pick<CrossChecked, 'settledPerInvoice' | 'lastSettled' | 'usable'>> {
  const rejectedInvoices = errors.rejectedKeys('invoices', 'no');
  const settledPerInvoice = new Map<string, number>();
  const lastSettled = new Map<string, string>();
  const usable: UsableSettlement[] = [];
  for (const [i, s] of settlements.entries()) {
    if (i % YIELD_EVERY === 0) await yieldToLoop();
    const invoice = invoices.get(s.invoiceNo);
    if (!invoice) {
      if (rejectedInvoices.has(s.invoiceNo)) continue;
      errors.fail(
        'settlements',
        s.row,
        'invoiceNo',
        dbInvoices.has(s.invoiceNo)
          ? `invoice ${s.invoiceNo} is not in the invoices file: settlements are imported with their invoice (a later payment is recorded through the API or a bank statement)`
          : `no invoice ${s.invoiceNo} in the invoices file`,
      );
      continue;
    }
    const contract = contractOf(invoice.contractNo);
    if (!contract) continue;
    const parsed = parseAmount(s.amountText, contract.currency);
    if ('error' in parsed) {
      errors.fail('settlements', s.row, 'amount', parsed.error);
      continue;
    }
    if (parsed.value.minor <= 0) {
      errors.fail('settlements', s.row, 'amount', `${s.amountText} must be more than zero`);
      continue;
    }
    s.amountMinor = parsed.value.minor;
    const total = (settledPerInvoice.get(s.invoiceNo) ?? 0) + s.amountMinor;
    settledPerInvoice.set(s.invoiceNo, total);
    // An invoice whose own amount could not be read (0) has no limit to check against.
    if (invoice.amountMinor > 0 && total > invoice.amountMinor) {
      errors.fail(
        'settlements',
        s.row,
        'amount',
        `settlements of invoice ${s.invoiceNo} reach ${toDecimal(total, contract.currency)}, more than its amount ${toDecimal(invoice.amountMinor, contract.currency)}`,
      );
      continue;
    }
    if (s.settledOn > (lastSettled.get(s.invoiceNo) ?? '')) lastSettled.set(s.invoiceNo, s.settledOn);
    usable.push({ ...s, customerCode: contract.customerCode, currency: contract.currency });
  }
  return { settledPerInvoice, lastSettled, usable };
}

/** One payment per customer and bank reference: its lines must agree on the date and currency. */
async function groupIntoPayments(
  usable: UsableSettlement[],
  errors: RowErrors,
): Promise<Map<string, UsableSettlement[]>> {
  const payments = new Map<string, UsableSettlement[]>();
  for (const [i, s] of usable.entries()) {
    if (i % YIELD_EVERY === 0) await yieldToLoop();
    const key = paymentKey(s.customerCode, s.reference);
    const lines = payments.get(key);
    if (lines) lines.push(s);
    else payments.set(key, [s]);
  }
  for (const [first, ...others] of payments.values()) {
    for (const s of others) {
      if (s.settledOn !== first.settledOn || s.currency !== first.currency) {
        errors.fail(
          'settlements',
          s.row,
          'reference',
          `reference ${s.reference} is also on row ${first.row} with ${s.settledOn !== first.settledOn ? `date ${first.settledOn}` : `currency ${first.currency}`}: one bank reference is one payment`,
        );
      } else if (!s.givenReference) {
        errors.fail('settlements', s.row, 'reference', `reference ${s.reference} is also on row ${first.row}`);
      }
    }
  }
  return payments;
}

/**
 * The payments to write: those not in the database. A payment already there must have the same date, currency
 * and allocations; and an invoice imported before cannot gain a settlement through the import.
 */
async function newPaymentsOf(
  trx: Db,
  usable: UsableSettlement[],
  payments: Map<string, UsableSettlement[]>,
  dbInvoices: Map<string, DbInvoice>,
  errors: RowErrors,
): Promise<UsableSettlement[][]> {
  const found = await selectIn(
    usable.map((s) => s.reference),
    (keys) =>
      trx
        .selectFrom('payments')
        .select(['id', 'customer_code', 'reference', 'amount_minor', 'currency', 'received_on', 'status'])
        .where('reference', '=', anyOf(keys))
        .execute(),
  );
  const dbPayments = new Map(found.map((p) => [paymentKey(p.customer_code, p.reference), p]));
  const dbAllocations = await allocatedPerPaymentAndInvoice(
    trx,
    [...dbPayments.values()].map((p) => p.id),
  );
  const newPayments: UsableSettlement[][] = [];
  for (const [key, lines] of payments) {
    const existing = dbPayments.get(key);
    if (!existing) {
      const importedBefore = lines.filter((s) => dbInvoices.has(s.invoiceNo));
      for (const s of importedBefore) {
        errors.fail(
          'settlements',
          s.row,
          'invoiceNo',
          `invoice ${s.invoiceNo} was imported before without this settlement (${s.reference}); record a later payment through the API or a bank statement`,
        );
      }
      if (importedBefore.length === 0) newPayments.push(lines);
      continue;
    }
    const perInvoice = new Map<string, number>();
    for (const s of lines) perInvoice.set(s.invoiceNo, (perInvoice.get(s.invoiceNo) ?? 0) + s.amountMinor);
    const same =
      existing.received_on === lines[0].settledOn &&
      existing.currency === lines[0].currency &&
      [...perInvoice].every(([invoiceNo, minor]) => dbAllocations.get(`${existing.id}\u0000${invoiceNo}`) === minor);
    if (!same) {
      for (const s of lines) {
        errors.fail(
          'settlements',
          s.row,
          'reference',
          `payment ${s.reference} of customer ${s.customerCode} already exists (id ${existing.id}, ${toDecimal(existing.amount_minor, existing.currency)} ${existing.currency} on ${existing.received_on}) with other values`,
        );
      }
    }
  }
  return newPayments;
}

/** The amounts allocated (not reversed) by these payments, by `${paymentId}\u0000${invoiceNo}`. */
async function allocatedPerPaymentAndInvoice(trx: Db, paymentIds: number[]): Promise<Map<string, number>> {
  const found = await selectIn(paymentIds.map(String), (keys) =>
    trx
      .selectFrom('allocations')
      .select(['payment_id', 'invoice_no', 'amount_minor'])
      .where('payment_id', '=', anyOf(keys.map(Number), 'bigint'))
      .where('reversed_at', 'is', null)
      .execute(),
  );
  const allocated = new Map<string, number>();
  for (const a of found) {
    const key = `${a.payment_id}\u0000${a.invoice_no}`;
    allocated.set(key, (allocated.get(key) ?? 0) + a.amount_minor);
  }
  return allocated;
}
