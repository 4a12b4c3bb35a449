import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

type Activities = ReturnType<typeof createActivities>;

export const activities = proxyActivities<Activities>({
  // One letter, task or record: a worker that dies mid-step is noticed and the step retried after this.
  startToCloseTimeout: '30 seconds',
  // SMTP and database outages are retried with back-off for as long as they last; the outbox keeps each send single.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** Quick reads the workflow needs before it decides; run inside the workflow task, no round trip of their own. */
export const reads = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Steps (a letter, a task) performed inside the workflow task as well: the same outbox keeps each send single,
 * and the same back-off as the activity applies (past a minute of retries the SDK waits on a durable timer).
 */
export const steps = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});
