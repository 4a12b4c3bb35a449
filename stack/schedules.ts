import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { TASK_ESCALATION_SCHEDULE_ID, taskEscalationWorkflow } from '../workflows/task-escalation';

/** Creates the task escalation schedule, or points an existing one at this deployment's task queue. */
export async function ensureSchedules(client: Client, taskQueue: string): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: TASK_ESCALATION_SCHEDULE_ID,
      spec: { intervals: [{ every: '15 minutes' }] },
      action: { type: 'startWorkflow', workflowType: taskEscalationWorkflow, taskQueue },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    const handle = client.schedule.getHandle(TASK_ESCALATION_SCHEDULE_ID);
    const { action } = await handle.describe();
    if (action.type === 'startWorkflow' && action.taskQueue !== taskQueue) {
      await handle.update((previous) => ({ ...previous, action: { ...previous.action, taskQueue } }));
    }
  }
}
