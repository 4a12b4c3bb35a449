/** The `imports` row of a historical import: its status, and its report as it stands. */
import type { Db } from '../../../db/connect';
import type { Actor } from '../../../domain/roles';
import { type HistoricalImportReport, capErrors } from '../report';

/** Inserts the row, with an empty report; returns its id. */
export async function insertImportRow(
  db: Db,
  report: HistoricalImportReport,
  status: 'running' | 'rejected',
  actor: Actor,
): Promise<number> {
  const files = Object.values(report.files);
  const row = await db
    .insertInto('imports')
    .values({
      kind: 'historical',
      file_name: files.map((f) => f.fileName).join(', '),
      file_sha256: files.map((f) => f.sha256).join(','),
      status,
      report: JSON.stringify({}),
      created_by: actor.name,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Stores the report (its errors capped) on the import's row, and the status when one is given. */
export async function storeReport(db: Db, report: HistoricalImportReport, status?: 'imported'): Promise<void> {
  const stored = JSON.stringify({ ...report, ...capErrors(report.errors) });
  await db
    .updateTable('imports')
    .set(status ? { status, report: stored } : { report: stored })
    .where('id', '=', report.importId)
    .execute();
}
