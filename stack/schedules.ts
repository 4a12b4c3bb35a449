import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { TASK_ESCALATION_SCHEDULE_ID, taskEscalationWorkflow } from '../workflows/task-escalation';

/** Creates the task escalation schedule once; later calls find it and leave it as it is. */
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
  }
}
