import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

const { sendTaskNotifications, buildDigests } = proxyActivities<ReturnType<typeof createActivities>>({
  // A batch is bounded (batchSize mails, concurrency at once, each bounded by the SMTP timeouts).
  startToCloseTimeout: '10 minutes',
  retry: { maximumInterval: '1 minute', maximumAttempts: 3 },
});

export const TASK_NOTIFICATIONS_SCHEDULE_ID = 'task-notifications';
export const TASK_DIGESTS_SCHEDULE_ID = 'task-digests';

export interface TaskMailInput {
  /** Mails one activity takes (TASK_MAIL_BATCH, default 100). */
  batchSize: number;
  /** Mails in flight at once within a batch (TASK_MAIL_CONCURRENCY, default 4). */
  concurrency: number;
  /** Batches one run sends at most; the next run (a minute later) takes the rest. */
  maxBatches: number;
  /** Build the digests whose hour has come before sending (the hourly schedule). */
  digests?: boolean;
}

export interface TaskMailResult {
  digests: number;
  taken: number;
  sent: number;
  failed: number;
  /** Mails given up ('failed') after SMTP refused them for good a few times. */
  gaveUp: number;
}

/**
 * Sends pending task mails (and digests) in bounded batches; run every minute by a Temporal Schedule,
 * and hourly with `digests` to build each digest person's daily digest when their hour has come.
 */
export async function taskNotificationsWorkflow(input: TaskMailInput): Promise<TaskMailResult> {
  const result: TaskMailResult = { digests: 0, taken: 0, sent: 0, failed: 0, gaveUp: 0 };
  if (input.digests) result.digests = await buildDigests();
  for (let batch = 0; batch < input.maxBatches; batch += 1) {
    const done = await sendTaskNotifications({ batchSize: input.batchSize, concurrency: input.concurrency });
    result.taken += done.taken;
    result.sent += done.sent;
    result.failed += done.failed;
    result.gaveUp += done.gaveUp ?? 0;
    // A short batch, or one that sent nothing (SMTP down): stop; the next run tries again.
    if (done.taken < input.batchSize || done.sent === 0) break;
  }
  return result;
}
