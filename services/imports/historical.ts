/**
 * Historical import at go-live: customers, contracts, invoices and their settlements from the old system's
 * CSV exports, written in ONE transaction. Every row is checked first; if any is rejected nothing at all
 * is written and the report lists each error (a go-live load must be consistent). Rows already present
 * with the same values are duplicates, so the same files can be imported again; rows present with other
 * values are rejected. After the commit, credit holds are re-evaluated for the customers concerned and
 * every open invoice's collection starts (resumable: running ones are skipped) — see collections.ts.
 *
 * The steps, in historical/: parse (each row on its own), cross-check (rows against each other and the
 * database), write (the inserts), after-commit (credit holds, collections).
 */
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../../db/connect';
import type { SendTime } from '../../domain/collection';
import { DEFAULT_TIME_ZONE, isTimeZone, localDateOf } from '../../domain/dates';
import type { Actor } from '../../domain/roles';
import { afterCommit } from './historical/after-commit';
import { type ImportTransaction, inOneTransaction } from './historical/copy';
import { type CrossChecked, crossCheck } from './historical/cross-check';
import { type FileInput, HISTORICAL_FILES, type HistoricalFile, type Tables, readFiles } from './historical/files';
import { insertImportRow, storeReport } from './historical/import-record';
import { parseRows } from './historical/parse';
import { RowErrors } from './historical/row-errors';
import type { ParsedRows } from './historical/rows';
import { type Written, writeRows } from './historical/write';
import { type HistoricalImportReport, type ProgressListener, type RowError } from './report';
import { invalidInput } from '../../domain/refusal';

export { type FileInput, HISTORICAL_COLUMNS, HISTORICAL_FILES, type HistoricalFile } from './historical/files';
export { IMPORTED_DISPUTE_NOTE, IMPORTED_DISPUTE_REASON } from './historical/rows';

/** Serialises historical imports: two at once would race for the same keys. */
const IMPORT_LOCK = 0x48494d50;

export interface HistoricalImportOptions {
  /** Customers without a time zone get this one, and today is taken in it (default Asia/Shanghai). */
  timeZone?: string;
  today?: string;
  onProgress?: ProgressListener;
  /** Where the open invoices' collections start; without it only the database is written. */
  collections?: { temporal: Client; taskQueue: string; sendTime: SendTime; concurrency?: number };
}

type Progress = (phase: string, done: number, total?: number) => void;

export async function importHistorical(
  db: Db,
  files: Partial<Record<HistoricalFile, FileInput>>,
  actor: Actor,
  options: HistoricalImportOptions = {},
): Promise<HistoricalImportReport> {
  const started = Date.now();
  const defaultZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  if (!isTimeZone(defaultZone)) {
    throw invalidInput('timeZone', 'must be an IANA time zone such as Asia/Shanghai');
  }
  const today = options.today ?? localDateOf(Date.now(), defaultZone);
  const given = HISTORICAL_FILES.filter((f) => files[f]);
  if (given.length === 0) throw invalidInput('files', `give at least one of ${HISTORICAL_FILES.join(', ')}`);
  const tables = await readFiles(files, given);
  const errors = new RowErrors(tables);
  const report = emptyReport(files, tables, errors.list);
  const totalRows = given.reduce((n, f) => n + tables[f]!.rows.length, 0);
  const progress: Progress = (phase, done, total = totalRows) => options.onProgress?.({ phase, done, total });

  const rows = await parseRows(tables, errors, { today, defaultZone });
  progress('validate', Math.floor(totalRows / 2));
  // One transaction on one client of the pool: its rows go in by COPY on that client (historical/copy.ts).
  const written = await inOneTransaction(db, async (tx) => {
    const { trx } = tx;
    await sql`select pg_advisory_xact_lock(${IMPORT_LOCK})`.execute(trx);
    const checked = await crossCheck(trx, rows, errors, (i) => progress('validate', Math.floor(totalRows / 2 + i / 2)));
    for (const f of HISTORICAL_FILES) report[f].rejected = errors.rejectedCount(f);
    // Nothing has been written in this transaction: ending it here leaves the database as it was.
    if (errors.anyRejected()) return undefined;
    progress('validate', totalRows);
    return writeImport(tx, rows, checked, report, { actor, defaultZone, progress });
  });
  if (!written) await recordRejected(db, report, errors, actor, started);
  report.durationMs.validateAndWrite = Date.now() - started;
  if (!written) return report;

  await afterCommit(db, report, written, { today, actor, collections: options.collections, progress });
  return report;
}

function emptyReport(
  files: Partial<Record<HistoricalFile, FileInput>>,
  tables: Tables,
  errors: RowError[],
): HistoricalImportReport {
  const given = HISTORICAL_FILES.filter((f) => tables[f]);
  const counts = (file: HistoricalFile) => ({
    read: tables[file]?.rows.length ?? 0,
    imported: 0,
    duplicates: 0,
    rejected: 0,
  });
  return {
    kind: 'historical',
    importId: 0,
    status: 'rejected',
    files: Object.fromEntries(given.map((f) => [f, { fileName: files[f]!.fileName, sha256: tables[f]!.sha256 }])),
    customers: counts('customers'),
    contracts: counts('contracts'),
    invoices: counts('invoices'),
    settlements: counts('settlements'),
    errors,
    warnings: [],
    openInvoices: 0,
    paidInvoices: 0,
    disputesOpened: 0,
    disputesResolved: 0,
    durationMs: { validateAndWrite: 0 },
  };
}

/** Writes the rows, and the import's row with the report so far, in the import's transaction. */
async function writeImport(
  tx: ImportTransaction,
  rows: ParsedRows,
  checked: CrossChecked,
  report: HistoricalImportReport,
  { actor, defaultZone, progress }: { actor: Actor; defaultZone: string; progress: Progress },
): Promise<Written> {
  const { trx } = tx;
  report.importId = await insertImportRow(trx, report, 'running', actor);
  const written = await writeRows(tx, rows, checked, {
    importId: report.importId,
    actor,
    defaultZone,
    onProgress: (done, total) => progress('write', done, total),
  });
  for (const f of HISTORICAL_FILES) Object.assign(report[f], written.counts[f]);
  report.warnings = written.warnings;
  report.openInvoices = written.openInvoices;
  report.paidInvoices = written.paidInvoices;
  report.disputesOpened = written.disputesOpened;
  report.disputesResolved = written.disputesResolved;
  report.status = 'imported';
  await storeReport(trx, report, 'imported');
  return written;
}

/** Nothing was written: the import is recorded as rejected, with its errors in file and row order. */
async function recordRejected(
  db: Db,
  report: HistoricalImportReport,
  errors: RowErrors,
  actor: Actor,
  started: number,
): Promise<void> {
  errors.sort();
  report.durationMs.validateAndWrite = Date.now() - started;
  report.importId = await insertImportRow(db, report, 'rejected', actor);
  await storeReport(db, report);
}
