/** What an import tells the person who ran it, stored with the `imports` row and returned by the API and CLI. */

export interface RowError {
  /** Which file, for imports that read several (customers, contracts, invoices, settlements). */
  file?: string;
  /** The row's line in the file (the header is usually line 1). */
  row: number;
  /** The column (as named in the file) or the field the message is about. */
  field: string;
  message: string;
}

export interface SkippedRow {
  row: number;
  reason: string;
}

export interface Progress {
  phase: string;
  done: number;
  total: number;
}

export type ProgressListener = (progress: Progress) => void;

/** How many per-row errors a stored report keeps; the counts stay exact. */
export const MAX_REPORTED_ERRORS = 1000;

export function capErrors(errors: RowError[]): { errors: RowError[]; errorsOmitted?: number } {
  return errors.length > MAX_REPORTED_ERRORS
    ? { errors: errors.slice(0, MAX_REPORTED_ERRORS), errorsOmitted: errors.length - MAX_REPORTED_ERRORS }
    : { errors };
}

export interface BankRowOutcome {
  row: number;
  outcome: 'imported' | 'unmatched' | 'duplicate';
  paymentId: number;
  customerCode: string | null;
  amountMinor: number;
  /** The same amount as a decimal string, the API's wire format. */
  amount: string;
  currency: string;
  receivedOn: string;
  allocations: { invoiceNo: string; amountMinor: number; amount: string }[];
}

export interface BankImportReport {
  kind: 'bank_statement';
  importId: number;
  fileName: string;
  encoding: string;
  /** The mapping as resolved against the file: field → header used. */
  columns: Record<string, string>;
  rowsRead: number;
  /** Recorded and matched to a customer. */
  imported: number;
  /** Recorded without a customer: waiting in finance's unmatched queue. */
  unmatched: number;
  /** Already recorded by an earlier import (same bank reference, or the same line). */
  duplicates: number;
  /** Outgoing (debit) or zero lines: not money in. */
  skipped: SkippedRow[];
  /** Rows that could not be read; nothing was recorded for them. */
  rejected: number;
  errors: RowError[];
  errorsOmitted?: number;
  rows: BankRowOutcome[];
  /** Collections that could not be told about a payment (Temporal unreachable); the balance is in the database. */
  warnings: string[];
}

export interface EntityCounts {
  read: number;
  imported: number;
  duplicates: number;
  rejected: number;
}

export interface CollectionStartReport {
  open: number;
  started: number;
  alreadyRunning: number;
  disputesOpened: number;
  failed: { invoiceNo: string; message: string }[];
}

export interface HistoricalImportReport {
  kind: 'historical';
  importId: number;
  /** 'imported': everything committed; 'rejected': nothing was written because of the errors below. */
  status: 'imported' | 'rejected';
  files: Record<string, { fileName: string; sha256: string }>;
  customers: EntityCounts;
  contracts: EntityCounts;
  invoices: EntityCounts;
  settlements: EntityCounts;
  errors: RowError[];
  errorsOmitted?: number;
  warnings: string[];
  /** Open and paid invoices among those in the files, after the import. */
  openInvoices: number;
  paidInvoices: number;
  disputesOpened: number;
  /** Disputes the old system had resolved, imported resolved with their dates. */
  disputesResolved: number;
  creditHolds?: { customers: number; onHold: number };
  collections?: CollectionStartReport;
  durationMs: { validateAndWrite: number; collections?: number };
}
