/**
 * Step 4, after the commit: the credit holds of the customers concerned are evaluated again, then the open
 * invoices' collections start. Starting them calls Temporal, which must not happen inside the transaction.
 */
import { sql } from 'kysely';
import type { Db } from '../../../db/connect';
import type { Actor } from '../../../domain/roles';
import { applyHoldDecision, creditPositions, lockCustomers } from '../../credit-holds';
import { chunks } from './batches';
import { type CollectionSettings, startImportedCollections } from '../collections';
import type { HistoricalImportReport } from '../report';
import { storeReport } from './import-record';
import type { Written } from './write';
import { logger } from '../../../stack/logger';

const log = logger('import');

export interface AfterCommitOptions {
  today: string;
  actor: Actor;
  /** Without them, no collection is started. */
  collections?: CollectionSettings;
  progress: (phase: string, done: number, total: number) => void;
}

/** Adds what it did to the report, and stores the report again. */
export async function afterCommit(
  db: Db,
  report: HistoricalImportReport,
  written: Written,
  options: AfterCommitOptions,
): Promise<void> {
  let started = performance.now();
  await analyzeAfterBulkLoad(db, written);
  log.debug({ ms: Math.round(performance.now() - started) }, 'analyzed after the commit');
  started = performance.now();
  report.creditHolds = await reevaluateCreditHolds(db, written.affected, options);
  log.debug({ ms: Math.round(performance.now() - started), customers: written.affected.length }, 'credit holds');
  if (options.collections) {
    const started = Date.now();
    report.collections = await startImportedCollections(
      db,
      options.collections,
      written.invoiceNos,
      options.actor,
      (done, total) => options.progress('collections', done, total),
    );
    report.durationMs.collections = Date.now() - started;
  }
  await storeReport(db, report);
}

/** Rows written from which the tables are analyzed after the commit. */
const ANALYZE_FROM_ROWS = 10_000;

/**
 * A go-live load multiplies the rows of tables whose statistics say they are (nearly) empty; until autovacuum
 * analyzes them, the planner may choose scans fit for empty tables: the credit holds below took 2-5 s or 23 s
 * for the same 2,000 customers. ANALYZE takes no lock that blocks reads or writes.
 */
async function analyzeAfterBulkLoad(db: Db, written: Written): Promise<void> {
  const rows = Object.values(written.counts).reduce((n, c) => n + c.imported, 0);
  if (rows < ANALYZE_FROM_ROWS) return;
  await sql`analyze customers, customer_contacts, contracts, milestones, invoices, payments, allocations, disputes`.execute(
    db,
  );
}

/** Customers per transaction when the credit holds are evaluated again. */
const HOLD_BATCH = 500;

/**
 * Returns how many customers were evaluated and how many of them are on hold. A batch of customers at a time, as
 * the weekly review does: their rows locked in code order, their positions read with a handful of set-based
 * queries (creditPositions), then each decision applied; one transaction per batch, not per customer.
 */
async function reevaluateCreditHolds(
  db: Db,
  customerCodes: string[],
  { today, actor, progress }: AfterCommitOptions,
): Promise<{ customers: number; onHold: number }> {
  let onHold = 0;
  let done = 0;
  for (const batch of chunks([...customerCodes].sort(), HOLD_BATCH)) {
    onHold += await db.transaction().execute(async (trx) => {
      const positions = await creditPositions(trx, await lockCustomers(trx, batch), () => today);
      let held = 0;
      for (const position of positions.values()) {
        if ((await applyHoldDecision(trx, position, actor)).hold) held += 1;
      }
      return held;
    });
    done += batch.length;
    progress('credit holds', done, customerCodes.length);
  }
  return { customers: customerCodes.length, onHold };
}
