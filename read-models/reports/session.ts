import { sql } from 'kysely';
import type { Db } from '../../db/connect';

/** Memory for a report's sorts and hashes, so aggregating a million invoices does not spill to disk. */
export const REPORT_WORK_MEM = '128MB';

/**
 * Runs a report in one read-only snapshot, so every figure of it (several queries for some reports)
 * describes the same state of the books, with more sort memory than ordinary requests get.
 */
export async function inReportSnapshot<T>(db: Db, read: (snapshot: Db) => Promise<T>): Promise<T> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      await sql`select set_config('work_mem', ${REPORT_WORK_MEM}, true)`.execute(trx);
      return read(trx);
    });
}
