/**
 * Step 1, parse: every row on its own, cell by cell, into typed rows; each bad value is an error of its row.
 * Invoice and settlement amounts are read by the cross-check, in the currency of their contract.
 */
import { GRADES, type Grade } from '../../../domain/contract-rules';
import { cleanText, parseAmount, parseCurrency, parseDate, parseFlag } from '../../../domain/csv-values';
import { isTimeZone } from '../../../domain/dates';
import { parseAnnualRatePercent } from '../../../domain/interest';
import { DISPUTE_REASONS, type DisputeReason } from '../../../domain/disputes';
import { LOCALES, type Locale } from '../../../domain/locales';
import { YIELD_EVERY, yieldToLoop } from './batches';
import type { Cells, HistoricalFile, Tables } from './files';
import type { RowErrors } from './row-errors';
import {
  type ContactIn,
  type ContractIn,
  type ContractTermsIn,
  type CustomerIn,
  IMPORTED_DISPUTE_REASON,
  type InvoiceIn,
  type ParsedRows,
  type SettlementIn,
} from './rows';

const CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * parseDate of each distinct cell once (it is pure): a go-live set has some 300,000 dates but a few thousand
 * distinct days, and checking a day of the calendar builds a Date and its ISO text each time.
 */
const parsedDays = new Map<string, ReturnType<typeof parseDate>>();
function parseDay(value: string): ReturnType<typeof parseDate> {
  let parsed = parsedDays.get(value);
  if (!parsed) {
    if (parsedDays.size >= 20_000) parsedDays.clear();
    parsed = parseDate(value);
    parsedDays.set(value, parsed);
  }
  return parsed;
}

export interface ParseOptions {
  /** No date in the files may be after it. */
  today: string;
  /** The time zone of customers whose row names none. */
  defaultZone: string;
}

export async function parseRows(tables: Tables, errors: RowErrors, options: ParseOptions): Promise<ParsedRows> {
  const read = <T>(file: HistoricalFile, parse: (r: RowReader) => T | undefined) =>
    readRows(tables, errors, options.today, file, parse);
  const customer = (r: RowReader) => parseCustomer(r, options.defaultZone);
  const customers = firstOfEach(errors, 'customers', 'code', 'customer', await read('customers', customer));
  const contracts = firstOfEach(errors, 'contracts', 'no', 'contract', await read('contracts', parseContract));
  const invoices = firstOfEach(errors, 'invoices', 'no', 'invoice', await read('invoices', parseInvoice));
  const settlements = withReferences(await read('settlements', parseSettlement));
  return { customers, contracts, invoices, settlements };
}

/** Parses each row of the file; returns the rows without errors, in file order. */
async function readRows<T>(
  tables: Tables,
  errors: RowErrors,
  today: string,
  file: HistoricalFile,
  parse: (r: RowReader) => T | undefined,
): Promise<T[]> {
  const parsed: T[] = [];
  for (const [i, { row, cells }] of (tables[file]?.rows ?? []).entries()) {
    if ((i + 1) % YIELD_EVERY === 0) await yieldToLoop();
    const item = parse(new RowReader(errors, file, row, cells, today));
    if (item !== undefined) parsed.push(item);
  }
  return parsed;
}

/** Keeps the first row of each key; a later row with the same key is an error of that later row. */
function firstOfEach<K extends string, T extends { row: number } & Record<K, string>>(
  errors: RowErrors,
  file: HistoricalFile,
  key: K,
  what: string,
  items: T[],
): Map<string, T> {
  const first = new Map<string, T>();
  for (const item of items) {
    const earlier = first.get(item[key]);
    if (earlier) errors.fail(file, item.row, key, `${what} ${item[key]} is also on row ${earlier.row}`);
    else first.set(item[key], item);
  }
  return first;
}

/** One row's cells, read field by field; each bad value is reported as an error of this row. */
class RowReader {
  constructor(
    private readonly errors: RowErrors,
    private readonly file: HistoricalFile,
    readonly row: number,
    private readonly cells: Cells,
    private readonly today: string,
  ) {}

  fail(field: string, message: string): void {
    this.errors.fail(this.file, this.row, field, message);
  }

  /** Whether any value of the row was bad. */
  get rejected(): boolean {
    return this.errors.isRejected(this.file, this.row);
  }

  optional(field: string): string | undefined {
    return cleanText(this.cells[field]);
  }

  required(field: string): string | undefined {
    const value = this.optional(field);
    if (!value) this.fail(field, 'is required');
    return value;
  }

  code(field: string): string | undefined {
    const value = this.required(field);
    if (value && !CODE.test(value)) {
      this.fail(field, `"${value}" must be letters, digits, ".", "_" or "-", at most 64`);
      return undefined;
    }
    return value;
  }

  /** null when the cell is blank, undefined when it is bad. */
  date(field: string, required: boolean): string | undefined | null {
    const value = this.optional(field);
    if (!value) {
      if (required) this.fail(field, 'is required');
      return null;
    }
    const parsed = parseDay(value);
    if ('error' in parsed) {
      this.fail(field, parsed.error);
      return undefined;
    }
    if (parsed.value > this.today) {
      this.fail(field, `${parsed.value} is after today (${this.today}); history cannot be in the future`);
      return undefined;
    }
    return parsed.value;
  }

  currency(): string | undefined {
    const value = this.required('currency');
    if (!value) return undefined;
    const parsed = parseCurrency(value);
    if ('error' in parsed) {
      this.fail('currency', parsed.error);
      return undefined;
    }
    return parsed.value;
  }

  /** In minor units of `currency`; without a currency the amount is only checked to be there. */
  amount(field: string, currency: string | undefined, allowZero: boolean): number | undefined {
    const value = this.required(field);
    if (!value || !currency) return undefined;
    const parsed = parseAmount(value, currency);
    if ('error' in parsed) {
      this.fail(field, parsed.error);
      return undefined;
    }
    if (parsed.value.minor < 0 || (!allowZero && parsed.value.minor === 0)) {
      this.fail(field, `${value.trim()} must be ${allowZero ? 'zero or more' : 'more than zero'}`);
      return undefined;
    }
    return parsed.value.minor;
  }
}

function parseCustomer(r: RowReader, defaultZone: string): CustomerIn | undefined {
  const code = r.code('code');
  const name = r.required('name');
  const currency = r.currency();
  const creditLimitMinor = r.amount('creditLimit', currency, true);
  const locale = localeOf(r);
  const timeZone = r.optional('timeZone') ?? defaultZone;
  if (!isTimeZone(timeZone)) r.fail('timeZone', `"${timeZone}" is not an IANA time zone such as Asia/Shanghai`);
  const contactName = r.required('contactName');
  const contactEmail = r.required('contactEmail');
  if (contactEmail && !EMAIL.test(contactEmail)) r.fail('contactEmail', `"${contactEmail}" is not an email address`);
  const grade = gradeOf(r);
  const otherContacts = otherContactsOf(r);
  if (r.rejected) return undefined;
  return {
    row: r.row,
    code: code!,
    name: name!,
    creditLimitMinor: creditLimitMinor!,
    currency: currency!,
    locale: locale!,
    timeZone,
    contactName: contactName!,
    contactEmail: contactEmail!,
    grade,
    otherContacts,
  };
}

/** The contact roles besides the payment owner, each in a name column and an address column of the row. */
const OTHER_CONTACTS: { role: ContactIn['role']; name: string; email: string; label: string }[] = [
  { role: 'decision_maker', name: 'decisionMakerName', email: 'decisionMakerEmail', label: 'the decision maker' },
  {
    role: 'acceptance_owner',
    name: 'acceptanceOwnerName',
    email: 'acceptanceOwnerEmail',
    label: 'the acceptance owner',
  },
  {
    role: 'finance',
    name: 'customerFinanceName',
    email: 'customerFinanceEmail',
    label: "the customer's finance contact",
  },
];

/** A role's contact needs both a name and a valid address; a role with neither is simply not given. */
function otherContactsOf(r: RowReader): ContactIn[] {
  const contacts: ContactIn[] = [];
  for (const { role, name: nameField, email: emailField, label } of OTHER_CONTACTS) {
    const name = r.optional(nameField);
    const email = r.optional(emailField);
    if (!name && !email) continue;
    if (!email) {
      r.fail(emailField, `is required: ${label} ${name} needs an email address`);
      continue;
    }
    if (!EMAIL.test(email)) {
      r.fail(emailField, `"${email}" is not an email address`);
      continue;
    }
    if (!name) {
      r.fail(emailField, `${label} needs a name as well as an address`);
      continue;
    }
    contacts.push({ role, name, email });
  }
  return contacts;
}

const isOneOf = <T extends string>(values: readonly T[], value: string): value is T =>
  (values as readonly string[]).includes(value);

/** Blank is zh-CN. */
function localeOf(r: RowReader): Locale | undefined {
  const locale = r.optional('locale') ?? 'zh-CN';
  if (isOneOf(LOCALES, locale)) return locale;
  r.fail('locale', `"${locale}" must be one of ${LOCALES.join(', ')}`);
  return undefined;
}

/** Blank is no grade (a new customer). */
function gradeOf(r: RowReader): Grade | null {
  const grade = r.optional('grade')?.toUpperCase();
  if (!grade) return null;
  if (isOneOf(GRADES, grade)) return grade;
  r.fail('grade', `"${grade}" must be one of ${GRADES.join(', ')} or blank`);
  return null;
}

function parseContract(r: RowReader): ContractIn | undefined {
  const no = r.code('no');
  const customerCode = r.code('customerCode');
  const title = r.required('title');
  const currency = r.currency();
  const amountMinor = r.amount('amount', currency, false);
  const signedOn = r.date('signedOn', false);
  const terms = termsOf(r);
  if (r.rejected) return undefined;
  return {
    row: r.row,
    no: no!,
    customerCode: customerCode!,
    title: title!,
    amountMinor: amountMinor!,
    currency: currency!,
    department: r.optional('department') ?? null,
    owner: r.optional('owner') ?? null,
    signedOn: signedOn ?? null,
    terms,
  };
}

/**
 * The late-interest rate (an annual percentage, "18.25" or "18.25%"), the penalty clause and the payment method,
 * under the names signing stores them with, so letters and statements of the imported invoices state interest.
 */
function termsOf(r: RowReader): ContractTermsIn {
  const terms: ContractTermsIn = {};
  const rate = r.optional('lateInterestRate');
  if (rate) {
    const text = rate.replace(/[%％]$/, '').trim();
    if (parseAnnualRatePercent(text) === undefined)
      r.fail('lateInterestRate', `"${rate}" must be an annual percentage such as 18.25`);
    else terms.lateInterestRatePercent = text;
  }
  const penaltyClause = r.optional('penaltyClause');
  if (penaltyClause) terms.penaltyClause = penaltyClause;
  const paymentMethod = r.optional('paymentMethod');
  if (paymentMethod) terms.paymentMethod = paymentMethod;
  return terms;
}

function parseInvoice(r: RowReader): InvoiceIn | undefined {
  const no = r.code('no');
  const contractNo = r.code('contractNo');
  const issueDate = r.date('issueDate', true);
  const dueDate = dueDateOf(r, issueDate);
  const amountText = r.required('amount');
  const disputeReason = disputeReasonOf(r);
  const { openedOn, resolvedOn } = disputeDatesOf(r, disputeReason, issueDate);
  if (r.rejected) return undefined;
  return {
    row: r.row,
    no: no!,
    contractNo: contractNo!,
    issueDate: issueDate!,
    dueDate: dueDate!,
    amountMinor: 0,
    disputeReason,
    disputeOpenedOn: openedOn ?? null,
    disputeResolvedOn: resolvedOn ?? null,
    amountText: amountText!,
  };
}

/** The dispute's dates: only with a dispute, not before the invoice, and resolved no earlier than opened. */
function disputeDatesOf(
  r: RowReader,
  reason: DisputeReason | null,
  issueDate: string | undefined | null,
): { openedOn: string | null | undefined; resolvedOn: string | null | undefined } {
  const openedOn = r.date('disputeOpenedOn', false);
  const resolvedOn = r.date('disputeResolvedOn', false);
  if (!reason) {
    if (openedOn) r.fail('disputeOpenedOn', 'is only for a disputed invoice: the disputed column names no dispute');
    if (resolvedOn) r.fail('disputeResolvedOn', 'is only for a disputed invoice: the disputed column names no dispute');
    return { openedOn: null, resolvedOn: null };
  }
  if (openedOn && issueDate && openedOn < issueDate)
    r.fail('disputeOpenedOn', `${openedOn} is before the issue date ${issueDate}`);
  if (resolvedOn && openedOn && resolvedOn < openedOn)
    r.fail('disputeResolvedOn', `${resolvedOn} is before the dispute was opened (${openedOn})`);
  else if (resolvedOn && issueDate && resolvedOn < issueDate)
    r.fail('disputeResolvedOn', `${resolvedOn} is before the issue date ${issueDate}`);
  return { openedOn, resolvedOn };
}

/** Unlike the other dates, a due date may be after today: the invoice is not due yet. */
function dueDateOf(r: RowReader, issueDate: string | undefined | null): string | undefined {
  const value = r.optional('dueDate');
  if (!value) {
    r.fail('dueDate', 'is required');
    return undefined;
  }
  const parsed = parseDay(value);
  if ('error' in parsed) {
    r.fail('dueDate', parsed.error);
    return undefined;
  }
  if (issueDate && parsed.value < issueDate) r.fail('dueDate', `${parsed.value} is before the issue date ${issueDate}`);
  return parsed.value;
}

/** The cell holds a dispute reason, or a yes/no flag (yes: IMPORTED_DISPUTE_REASON); blank is no dispute. */
function disputeReasonOf(r: RowReader): DisputeReason | null {
  const disputed = r.optional('disputed');
  if (!disputed) return null;
  if (isOneOf(DISPUTE_REASONS, disputed)) return disputed;
  const flag = parseFlag(disputed);
  if ('error' in flag) {
    r.fail('disputed', `${flag.error}, or a dispute reason (${DISPUTE_REASONS.join(', ')})`);
    return null;
  }
  return flag.value ? IMPORTED_DISPUTE_REASON : null;
}

type SettlementCells = Omit<SettlementIn, 'amountMinor' | 'reference' | 'givenReference'> & {
  bankReference: string | undefined;
};

function parseSettlement(r: RowReader): SettlementCells | undefined {
  const invoiceNo = r.code('invoiceNo');
  const settledOn = r.date('settledOn', true);
  const amountText = r.required('amount');
  const bankReference = r.optional('reference');
  if (r.rejected) return undefined;
  return { row: r.row, invoiceNo: invoiceNo!, settledOn: settledOn!, amountText: amountText!, bankReference };
}

/**
 * Without a bank reference, the n-th settlement of an invoice in the file is HIST-<invoice>-<n>: the same on
 * every import. n counts the invoice's settlements with a bank reference too.
 */
function withReferences(settlements: SettlementCells[]): SettlementIn[] {
  const countOf = new Map<string, number>();
  return settlements.map(({ row, invoiceNo, settledOn, amountText, bankReference }) => {
    const n = (countOf.get(invoiceNo) ?? 0) + 1;
    countOf.set(invoiceNo, n);
    return {
      row,
      invoiceNo,
      settledOn,
      amountMinor: 0,
      reference: bankReference ?? `HIST-${invoiceNo}-${n}`,
      amountText,
      givenReference: Boolean(bankReference),
    };
  });
}
