/**
 * Starting the collections of invoices imported at go-live, many at a time (bounded), resumable: a
 * collection already running is left alone, so running the import again finishes what a crash left.
 * Each starts with the catch-up rule of the workflow (an invoice 45 days overdue starts at the +30 step
 * and sends one letter). A disputed invoice starts with its dispute delivered in the same request
 * (update-with-start), so the dispute pauses it before its first letter.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/connect';
import type { SendTime } from '../../domain/collection';
import type { DisputeReason } from '../../domain/disputes';
import type { Actor } from '../../domain/roles';
import type { CollectionInput } from '../../workflows/collection';
import { collectionInputsFor } from '../collection-start';
import { startCollection, startCollectionInDispute } from '../workflow-client';
import type { CollectionStartReport } from './report';

export interface CollectionSettings {
  temporal: Client;
  taskQueue: string;
  sendTime: SendTime;
  /** How many starts are in flight at once (default 16). */
  concurrency?: number;
}

/** Runs `work` over `items` with at most `limit` at a time. */
export async function eachWithLimit<T>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  });
  await Promise.all(runners);
}

export async function startImportedCollections(
  db: Db,
  settings: CollectionSettings,
  invoiceNos: string[],
  actor: Actor,
  onProgress?: (done: number, total: number) => void,
): Promise<CollectionStartReport> {
  const open: string[] = [];
  const disputes = new Map<string, { reason: string; note: string | null }>();
  for (let i = 0; i < invoiceNos.length; i += 10_000) {
    const chunk = invoiceNos.slice(i, i + 10_000);
    const rows = await db
      .selectFrom('invoices')
      .select('no')
      .where('no', 'in', chunk)
      .where('status', '=', 'open')
      .where('source', '=', 'historical')
      .orderBy('no')
      .execute();
    open.push(...rows.map((r) => r.no));
    if (rows.length === 0) continue;
    for (const d of await db
      .selectFrom('disputes')
      .select(['invoice_no', 'reason', 'note'])
      .where(
        'invoice_no',
        'in',
        rows.map((r) => r.no),
      )
      .where('status', '=', 'open')
      .execute()) {
      disputes.set(d.invoice_no, { reason: d.reason, note: d.note });
    }
  }
  const report: CollectionStartReport = {
    open: open.length,
    started: 0,
    alreadyRunning: 0,
    disputesOpened: 0,
    failed: [],
  };
  let done = 0;
  onProgress?.(0, open.length);
  const inputs = new Map<string, CollectionInput>();
  for (let i = 0; i < open.length; i += 1_000) {
    for (const [no, input] of await collectionInputsFor(db, open.slice(i, i + 1_000), settings.sendTime))
      inputs.set(no, input);
  }
  await eachWithLimit(open, settings.concurrency ?? 16, async (invoiceNo) => {
    try {
      const input = inputs.get(invoiceNo)!;
      const dispute = disputes.get(invoiceNo);
      if (!dispute) {
        const outcome = await startCollection(settings.temporal, settings.taskQueue, input);
        if (outcome === 'started') report.started += 1;
        else report.alreadyRunning += 1;
      } else {
        const outcome = await startCollectionInDispute(settings.temporal, settings.taskQueue, input, {
          actor,
          reason: dispute.reason as DisputeReason,
          note: dispute.note ?? undefined,
        });
        // Refused by the running collection: it already holds this dispute (an earlier run of the import).
        if (outcome === 'already_held') report.alreadyRunning += 1;
        else {
          report.started += 1;
          report.disputesOpened += 1;
        }
      }
    } catch (error) {
      report.failed.push({ invoiceNo, message: (error as Error).message });
    }
    done += 1;
    onProgress?.(done, open.length);
  });
  return report;
}
