import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

const { keepReceivableSnapshots } = proxyActivities<ReturnType<typeof createActivities>>({
  // The first run over years of books computes three years of month-ends; later runs find them kept.
  startToCloseTimeout: '30 minutes',
  retry: { maximumInterval: '5 minutes', maximumAttempts: 3 },
});

export const RECEIVABLE_SNAPSHOTS_SCHEDULE_ID = 'receivable-snapshots';

/** Keeps the receivables of past month-ends that are not kept yet (services/receivable-snapshots.ts). */
export async function receivableSnapshotsWorkflow(input: { timeZone: string }): Promise<number> {
  const run = await keepReceivableSnapshots(input);
  return run.stored;
}
