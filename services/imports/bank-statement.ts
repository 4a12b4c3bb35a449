/**
 * Bank-statement import (SPEC section 6): each credit line of a statement CSV becomes a payment through
 * receivePayment, in its own transaction, matched to a customer and its invoices or left in finance's
 * unmatched queue. A line already recorded (same bank reference, or the same line of the same statement)
 * is a duplicate, so importing a statement twice records nothing new.
 */
import crypto from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/connect';
import {
  cleanAccount,
  cleanText,
  currencyInAmount,
  parseAmount,
  parseCurrency,
  parseDate,
} from '../../domain/csv-values';
import { DEFAULT_TIME_ZONE, localDateOf } from '../../domain/dates';
import { SUPPORTED_CURRENCIES, toDecimal } from '../../domain/money';
import type { Actor } from '../../domain/roles';
import { notifyCollections, receivePayment } from '../payments';
import { type EncodingOption, columnOf, readCsvFileOffLoop } from './csv';
import {
  type BankImportReport,
  type BankRowOutcome,
  type ProgressListener,
  type RowError,
  type SkippedRow,
  capErrors,
} from './report';
import { Refused, invalidInput } from '../../domain/refusal';
import { type ImportStatus } from '../../domain/statuses';

export const BANK_FIELDS = [
  'date',
  'amount',
  'debitAmount',
  'currency',
  'payerName',
  'payerAccount',
  'remittance',
  'reference',
] as const;
export type BankField = (typeof BANK_FIELDS)[number];
const REQUIRED_FIELDS: BankField[] = ['date', 'amount'];

/** Field → the CSV header holding it; a list gives alternatives, the first present in the file wins. */
export type BankMapping = Partial<Record<BankField, string | string[]>>;

/** Column layouts shipped with Huikuan: an English export, a Chinese one (工行/建行/招行 style), and both at once. */
export const DEFAULT_MAPPINGS = {
  en: {
    date: ['Transaction Date', 'Value Date', 'Booking Date', 'Date'],
    amount: ['Credit Amount', 'Credit', 'Amount', 'Deposit'],
    debitAmount: ['Debit Amount', 'Debit', 'Withdrawal'],
    currency: ['Currency', 'Ccy'],
    payerName: ['Counterparty Name', 'Payer Name', 'Payer', 'Counterparty'],
    payerAccount: ['Counterparty Account', 'Payer Account', 'Account Number'],
    remittance: ['Remittance Information', 'Remittance', 'Description', 'Remarks', 'Narrative', 'Memo'],
    reference: ['Bank Reference', 'Reference', 'Transaction ID', 'Transaction Reference'],
  },
  zh: {
    date: ['交易日期', '记账日期', '入账日期', '交易时间', '日期'],
    amount: ['贷方金额', '收入金额', '贷方发生额', '收入', '金额'],
    debitAmount: ['借方金额', '支出金额', '借方发生额', '支出'],
    currency: ['币种', '货币', '币别'],
    payerName: ['对方户名', '对方账户名称', '对方单位名称', '付款人名称', '付款人', '对方名称'],
    payerAccount: ['对方账号', '对方账户', '付款人账号', '对方帐号'],
    remittance: ['摘要', '用途', '附言', '备注', '交易附言'],
    reference: ['交易流水号', '流水号', '银行流水号', '交易参考号', '凭证号'],
  },
} satisfies Record<string, Record<BankField, string[]>>;

export type MappingName = keyof typeof DEFAULT_MAPPINGS | 'auto';
export const MAPPING_NAMES: MappingName[] = ['auto', 'en', 'zh'];

function namedMapping(name: MappingName): Record<BankField, string[]> {
  if (name !== 'auto') return DEFAULT_MAPPINGS[name];
  return Object.fromEntries(
    BANK_FIELDS.map((f) => [f, [...DEFAULT_MAPPINGS.zh[f], ...DEFAULT_MAPPINGS.en[f]]]),
  ) as Record<BankField, string[]>;
}

/** Checks a mapping given by a person: known fields, header names as text, date and amount present. */
export function validateMapping(mapping: unknown, field = 'mapping'): BankMapping {
  if (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping))
    throw invalidInput(
      field,
      `must be an object such as {"date":"交易日期","amount":"贷方金额"} or one of ${MAPPING_NAMES.join(', ')}`,
    );
  for (const [key, value] of Object.entries(mapping)) {
    if (!(BANK_FIELDS as readonly string[]).includes(key))
      throw invalidInput(`${field}.${key}`, `is not a bank-statement field; fields are ${BANK_FIELDS.join(', ')}`);
    const ok =
      (typeof value === 'string' && value.trim() !== '') ||
      (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v.trim() !== ''));
    if (!ok) throw invalidInput(`${field}.${key}`, 'must name a CSV header (or a list of alternatives)');
  }
  for (const required of REQUIRED_FIELDS) {
    if (!(required in mapping))
      throw invalidInput(`${field}.${required}`, 'is required: name the CSV header holding it');
  }
  return mapping as BankMapping;
}

export interface BankImportRequest {
  fileName: string;
  bytes: Buffer;
  encoding?: EncodingOption;
  /** A shipped layout's name, or field → header. Default: 'auto' (the English and Chinese layouts' headers). */
  mapping?: MappingName | BankMapping;
  /** The currency of lines that name none (no currency column, no sign in the amount). Default CNY. */
  currency?: string;
  /** Today is taken in this zone (default Asia/Shanghai); a line dated after today is refused. */
  timeZone?: string;
}

export interface ImportDeps {
  db: Db;
  /** Tells running collections about the payments; absent (tests, offline) means nobody is told. */
  temporal?: Client;
}

interface BankLine {
  row: number;
  receivedOn: string;
  amountMinor: number;
  currency: string;
  payerName?: string;
  payerAccount?: string;
  remittance?: string;
  reference?: string;
}

/** The identity of a line without a bank reference: its facts plus how many identical lines came before it in the file. */
export function lineDedupeKey(line: Omit<BankLine, 'row' | 'reference' | 'payerName'>, occurrence: number): string {
  const facts = [
    line.receivedOn,
    line.amountMinor,
    line.currency,
    line.payerAccount ?? '',
    line.remittance ?? '',
    occurrence,
  ];
  return `bank-line:${crypto.createHash('sha256').update(JSON.stringify(facts)).digest('hex')}`;
}

export async function importBankStatement(
  deps: ImportDeps,
  request: BankImportRequest,
  actor: Actor,
  options: { onProgress?: ProgressListener; today?: string } = {},
): Promise<BankImportReport> {
  const defaultCurrency = request.currency ?? 'CNY';
  if (!SUPPORTED_CURRENCIES.includes(defaultCurrency))
    throw invalidInput('currency', `must be one of ${SUPPORTED_CURRENCIES.join(', ')}`);
  const explicit = typeof request.mapping === 'object' ? validateMapping(request.mapping) : undefined;
  const mappingName = typeof request.mapping === 'string' ? request.mapping : 'auto';
  if (!explicit && !MAPPING_NAMES.includes(mappingName))
    throw invalidInput('mapping', `must be one of ${MAPPING_NAMES.join(', ')} or an object naming the headers`);
  const mapping: Partial<Record<BankField, string[]>> = explicit
    ? Object.fromEntries(Object.entries(explicit).map(([k, v]) => [k, typeof v === 'string' ? [v] : v]))
    : namedMapping(mappingName);

  const table = await readCsvFileOffLoop(
    request.bytes,
    request.encoding ?? 'auto',
    'encoding',
    'file',
    REQUIRED_FIELDS.map((f) => mapping[f]!),
  );
  const columns: Partial<Record<BankField, number>> = {};
  for (const field of BANK_FIELDS) {
    const alternatives = mapping[field];
    if (!alternatives) continue;
    const index = columnOf(table.headers, alternatives);
    if (index === undefined && explicit) {
      throw invalidInput(
        `mapping.${field}`,
        `header ${alternatives.map((h) => `"${h}"`).join(' or ')} is not in the file (headers: ${table.headers.map((h) => `"${h}"`).join(', ')})`,
      );
    }
    if (index !== undefined) columns[field] = index;
  }
  const today = options.today ?? localDateOf(Date.now(), request.timeZone ?? DEFAULT_TIME_ZONE);

  // Read every line first: the report counts all of them, and identical lines are numbered in file order.
  const errors: RowError[] = [];
  const skipped: SkippedRow[] = [];
  const lines: BankLine[] = [];
  const rejectedRows = new Set<number>();
  for (const { line: row, cells } of table.rows) {
    const cell = (field: BankField) => (columns[field] === undefined ? undefined : (cells[columns[field]!] ?? ''));
    const header = (field: BankField) => table.headers[columns[field]!];
    const reject = (field: BankField, message: string) => {
      errors.push({ row, field: header(field), message });
      rejectedRows.add(row);
    };
    const amountText = cell('amount')!.trim();
    const debitText = cell('debitAmount')?.trim();
    if (!amountText && debitText) {
      skipped.push({ row, reason: `outgoing line (${header('debitAmount')} ${debitText}): not money in` });
      continue;
    }
    let currency = defaultCurrency;
    const currencyText = cell('currency')?.trim();
    if (currencyText) {
      const parsed = parseCurrency(currencyText);
      if ('error' in parsed) {
        reject('currency', parsed.error);
        continue;
      }
      currency = parsed.value;
    } else {
      currency = currencyInAmount(amountText) ?? defaultCurrency;
    }
    const date = parseDate(cell('date')!);
    if ('error' in date) reject('date', date.error);
    else if (date.value > today) reject('date', `${date.value} is after today (${today})`);
    const amount = parseAmount(amountText, currency);
    if ('error' in amount) reject('amount', amount.error);
    if ('error' in date || 'error' in amount || rejectedRows.has(row)) continue;
    if (amount.value.minor <= 0) {
      skipped.push({
        row,
        reason: `${amount.value.minor < 0 ? 'outgoing' : 'zero'} amount ${toDecimal(amount.value.minor, currency)} ${currency}: not money in`,
      });
      continue;
    }
    lines.push({
      row,
      receivedOn: date.value,
      amountMinor: amount.value.minor,
      currency,
      payerName: cleanText(cell('payerName')),
      payerAccount: cleanAccount(cell('payerAccount')),
      remittance: cleanText(cell('remittance')),
      reference: cleanText(cell('reference')),
    });
  }

  const created = await deps.db
    .insertInto('imports')
    .values({
      kind: 'bank_statement',
      file_name: request.fileName,
      file_sha256: table.sha256,
      status: 'running',
      report: JSON.stringify({}),
      created_by: actor.name,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const importId = created.id;

  const report: BankImportReport = {
    kind: 'bank_statement',
    importId,
    fileName: request.fileName,
    encoding: table.encoding,
    columns: Object.fromEntries(Object.entries(columns).map(([f, i]) => [f, table.headers[i!]])),
    rowsRead: table.rows.length,
    imported: 0,
    unmatched: 0,
    duplicates: 0,
    skipped,
    rejected: 0,
    errors,
    rows: [],
    warnings: [],
  };
  const occurrences = new Map<string, number>();
  try {
    let done = table.rows.length - lines.length;
    options.onProgress?.({ phase: 'payments', done, total: table.rows.length });
    for (const line of lines) {
      const facts = JSON.stringify([
        line.receivedOn,
        line.amountMinor,
        line.currency,
        line.payerAccount ?? '',
        line.remittance ?? '',
      ]);
      const occurrence = (occurrences.get(facts) ?? 0) + 1;
      occurrences.set(facts, occurrence);
      const hashKey = lineDedupeKey(line, occurrence);
      // A reference alone may repeat across payers (voucher numbers): with the date, amount and currency it names one line.
      const dedupeKey = line.reference
        ? `bank-ref:${JSON.stringify([line.reference, line.receivedOn, line.amountMinor, line.currency])}`
        : hashKey;
      const reference = line.reference ?? `BANK-${hashKey.slice('bank-line:'.length, 'bank-line:'.length + 24)}`;
      try {
        const received = await deps.db.transaction().execute((trx) =>
          receivePayment(
            trx,
            {
              source: 'bank_import',
              amountMinor: line.amountMinor,
              currency: line.currency,
              receivedOn: line.receivedOn,
              reference,
              payerName: line.payerName,
              payerAccount: line.payerAccount,
              remittance: line.remittance,
              dedupeKey,
              importId,
            },
            actor,
            today,
          ),
        );
        const outcome: BankRowOutcome['outcome'] = !received.created
          ? 'duplicate'
          : received.status === 'unmatched'
            ? 'unmatched'
            : 'imported';
        if (outcome === 'duplicate') report.duplicates += 1;
        else if (outcome === 'unmatched') report.unmatched += 1;
        else report.imported += 1;
        report.rows.push({
          row: line.row,
          outcome,
          paymentId: received.id,
          customerCode: received.customerCode,
          amountMinor: line.amountMinor,
          amount: toDecimal(line.amountMinor, line.currency),
          currency: line.currency,
          receivedOn: line.receivedOn,
          allocations: received.allocations.map((a) => ({
            invoiceNo: a.invoiceNo,
            amountMinor: a.amountMinor,
            amount: toDecimal(a.amountMinor, line.currency),
          })),
        });
        // After commit, and for a repeat too, so a crash between the commit and the signal is healed by importing again.
        if (deps.temporal && received.allocations.length > 0) {
          await notifyCollections(deps.temporal, received).catch((error: Error) => {
            report.warnings.push(
              `row ${line.row}: collections of ${received.allocations.map((a) => a.invoiceNo).join(', ')} were not told the new balance: ${error.message}`,
            );
          });
        }
      } catch (error) {
        if (!(error instanceof Refused)) throw error;
        const reason = error.reasons[0];
        errors.push({ row: line.row, field: reason?.field ?? 'payment', message: reason?.message ?? error.message });
        rejectedRows.add(line.row);
      }
      done += 1;
      options.onProgress?.({ phase: 'payments', done, total: table.rows.length });
    }
  } catch (error) {
    await finish(deps.db, importId, 'failed', {
      ...report,
      rejected: rejectedRows.size,
      failure: (error as Error).message,
    });
    throw error;
  }
  report.rejected = rejectedRows.size;
  report.errors.sort((a, b) => a.row - b.row);
  const stored = { ...report, ...capErrors(report.errors) };
  await finish(deps.db, importId, report.rejected > 0 ? 'completed_with_rejections' : 'completed', stored);
  return report;
}

async function finish(db: Db, importId: number, status: ImportStatus, report: object): Promise<void> {
  await db
    .updateTable('imports')
    .set({ status, report: JSON.stringify(report) })
    .where('id', '=', importId)
    .execute();
}
