import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

const { escalateOverdueTasks } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '5 minutes',
});

export const TASK_ESCALATION_SCHEDULE_ID = 'task-escalation';

/** One sweep of overdue tasks; a Temporal Schedule runs it every few minutes. */
export async function taskEscalationWorkflow(): Promise<number> {
  return escalateOverdueTasks();
}
