import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { TASK_ESCALATION_SCHEDULE_ID, taskEscalationWorkflow } from '../workflows/task-escalation';
import { BLOCKED_LETTERS_SCHEDULE_ID, blockedLettersWorkflow } from '../workflows/blocked-letters';
import { CREDIT_REVIEW_SCHEDULE_ID, type CreditReviewInput, creditReviewWorkflow } from '../workflows/credit-review';
import { loadConfig } from '../config/env';

/**
 * Creates the task escalation, blocked letters and weekly credit review schedules, or points existing ones at
 * this deployment's task queue.
 */
export async function ensureSchedules(
  client: Client,
  taskQueue: string,
  options: { timeZone?: string; creditReviewLocales?: CreditReviewInput['locales'] } = {},
): Promise<void> {
  await ensureCreditReviewSchedule(client, taskQueue, options);
  await ensureSweepSchedule(client, taskQueue, TASK_ESCALATION_SCHEDULE_ID, taskEscalationWorkflow);
  // Letters that waited for a contact: the contact command releases them at once; this catches what a crash left.
  await ensureSweepSchedule(client, taskQueue, BLOCKED_LETTERS_SCHEDULE_ID, blockedLettersWorkflow);
}

/** A workflow every 15 minutes, skipped while the previous run still runs. */
async function ensureSweepSchedule(
  client: Client,
  taskQueue: string,
  scheduleId: string,
  workflowType: typeof taskEscalationWorkflow | typeof blockedLettersWorkflow,
): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '15 minutes' }] },
      action: { type: 'startWorkflow', workflowType, taskQueue },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    const handle = client.schedule.getHandle(scheduleId);
    const { action } = await handle.describe();
    if (action.type === 'startWorkflow' && action.taskQueue !== taskQueue) {
      await handle.update((previous) => ({ ...previous, action: { ...previous.action, taskQueue } }));
    }
  }
}

/**
 * The weekly credit review: every Monday at 08:30 in DEFAULT_TIME_ZONE, one mail per language in
 * CREDIT_REVIEW_LOCALES. An existing schedule is pointed at this deployment's task queue, time zone and languages.
 */
export async function ensureCreditReviewSchedule(
  client: Client,
  taskQueue: string,
  options: { timeZone?: string; creditReviewLocales?: CreditReviewInput['locales'] } = {},
): Promise<void> {
  const config = options.timeZone && options.creditReviewLocales ? undefined : loadConfig();
  const timeZone = options.timeZone ?? config!.DEFAULT_TIME_ZONE;
  const locales = options.creditReviewLocales ?? (config!.CREDIT_REVIEW_LOCALES as CreditReviewInput['locales']);
  const args: [CreditReviewInput] = [{ timeZone, locales }];
  const spec = { calendars: [{ dayOfWeek: 'MONDAY' as const, hour: 8, minute: 30 }], timezone: timeZone };
  try {
    await client.schedule.create({
      scheduleId: CREDIT_REVIEW_SCHEDULE_ID,
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: creditReviewWorkflow,
        taskQueue,
        args,
        workflowId: 'credit-review',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    const handle = client.schedule.getHandle(CREDIT_REVIEW_SCHEDULE_ID);
    const described = await handle.describe();
    const current = described.action.type === 'startWorkflow' ? described.action : undefined;
    if (
      !current ||
      current.taskQueue !== taskQueue ||
      described.spec.timezone !== timeZone ||
      JSON.stringify(current.args) !== JSON.stringify(args)
    ) {
      await handle.update((previous) => ({
        ...previous,
        spec,
        action: { ...previous.action, taskQueue, args } as typeof previous.action,
      }));
    }
  }
}
