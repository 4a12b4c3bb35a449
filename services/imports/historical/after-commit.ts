/**
 * Step 4, after the commit: the credit holds of the customers concerned are evaluated again, then the open
 * invoices' collections start. Starting them calls Temporal, which must not happen inside the transaction.
 */
import type { Db } from '../../../db/connect';
import type { Actor } from '../../../domain/roles';
import { reevaluateCreditHold } from '../../credit-holds';
import { type CollectionSettings, startImportedCollections } from '../collections';
import type { HistoricalImportReport } from '../report';
import { storeReport } from './import-record';
import type { Written } from './write';

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
  report.creditHolds = await reevaluateCreditHolds(db, written.affected, options);
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

/** Returns how many customers were evaluated and how many of them are on hold. */
async function reevaluateCreditHolds(
  db: Db,
  customerCodes: string[],
  { today, actor, progress }: AfterCommitOptions,
): Promise<{ customers: number; onHold: number }> {
  let onHold = 0;
  for (const [i, customerCode] of customerCodes.entries()) {
    const evaluation = await db.transaction().execute((trx) => reevaluateCreditHold(trx, customerCode, today, actor));
    if (evaluation.hold) onHold += 1;
    progress('credit holds', i + 1, customerCodes.length);
  }
  return { customers: customerCodes.length, onHold };
}
