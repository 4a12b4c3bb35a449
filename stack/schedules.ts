import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { TASK_ESCALATION_SCHEDULE_ID, taskEscalationWorkflow } from '../workflows/task-escalation';
import { BLOCKED_LETTERS_SCHEDULE_ID, blockedLettersWorkflow } from '../workflows/blocked-letters';
import { CREDIT_REVIEW_SCHEDULE_ID, type CreditReviewInput, creditReviewWorkflow } from '../workflows/credit-review';
import { RECEIVABLE_SNAPSHOTS_SCHEDULE_ID, receivableSnapshotsWorkflow } from '../workflows/receivable-snapshots';
import { type Config, loadConfig } from '../config/env';
import {
  TASK_DIGESTS_SCHEDULE_ID,
  TASK_NOTIFICATIONS_SCHEDULE_ID,
  type TaskMailInput,
  taskNotificationsWorkflow,
} from '../workflows/task-notifications';

/** How task mails are sent (docs/operations.md "Task mails and digests"). */
export interface TaskMailSettings {
  everySeconds: number;
  batchSize: number;
  concurrency: number;
  maxBatches: number;
}

export function taskMailSettings(config: Config): TaskMailSettings {
  return {
    everySeconds: config.TASK_MAIL_EVERY_SECONDS,
    batchSize: config.TASK_MAIL_BATCH,
    concurrency: config.TASK_MAIL_CONCURRENCY,
    maxBatches: config.TASK_MAIL_MAX_BATCHES,
  };
}

/** Every schedule ensureSchedules creates. */
export const SCHEDULE_IDS = [
  CREDIT_REVIEW_SCHEDULE_ID,
  TASK_NOTIFICATIONS_SCHEDULE_ID,
  TASK_DIGESTS_SCHEDULE_ID,
  TASK_ESCALATION_SCHEDULE_ID,
  BLOCKED_LETTERS_SCHEDULE_ID,
  RECEIVABLE_SNAPSHOTS_SCHEDULE_ID,
];

/**
 * Creates the task escalation, blocked letters, weekly credit review, task mail and receivable snapshot
 * schedules, or points existing ones at this deployment's task queue (and settings).
 */
export async function ensureSchedules(
  client: Client,
  taskQueue: string,
  options: {
    timeZone?: string;
    creditReviewLocales?: CreditReviewInput['locales'];
    taskMail?: TaskMailSettings;
  } = {},
): Promise<void> {
  await ensureCreditReviewSchedule(client, taskQueue, options);
  await ensureTaskMailSchedules(client, taskQueue, options.taskMail ?? taskMailSettings(loadConfig()));
  await ensureSweepSchedule(client, taskQueue, TASK_ESCALATION_SCHEDULE_ID, taskEscalationWorkflow);
  // Letters that waited for a contact: the contact command releases them at once; this catches what a crash left.
  // Month-ends of the receivables kept for the trend; hourly, so a month-end forgotten by a late payment is soon back.
  await ensureSweepSchedule(client, taskQueue, RECEIVABLE_SNAPSHOTS_SCHEDULE_ID, receivableSnapshotsWorkflow, {
    every: '1 hour',
    args: [{ timeZone: options.timeZone ?? loadConfig().DEFAULT_TIME_ZONE }],
  });
}

/** A workflow every 15 minutes (or `every`), skipped while the previous run still runs. */
async function ensureSweepSchedule(
  client: Client,
  taskQueue: string,
  scheduleId: string,
  workflowType: typeof taskEscalationWorkflow | typeof blockedLettersWorkflow | typeof receivableSnapshotsWorkflow,
  options: { every?: '15 minutes' | '1 hour'; args?: unknown[] } = {},
): Promise<void> {
  const every = options.every ?? '15 minutes';
  const args = options.args ?? [];
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every }] },
      action: { type: 'startWorkflow', workflowType: workflowType.name, taskQueue, args },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    const handle = client.schedule.getHandle(scheduleId);
    const { action } = await handle.describe();
    if (
      action.type === 'startWorkflow' &&
      (action.taskQueue !== taskQueue || JSON.stringify(action.args ?? []) !== JSON.stringify(args))
    ) {
      await handle.update((previous) => ({
        ...previous,
        action: { ...previous.action, taskQueue, args } as typeof previous.action,
      }));
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

/**
 * Task mails: every TASK_MAIL_EVERY_SECONDS (default a minute) a run sends pending task mails in
 * bounded batches; every hour a run first builds the daily digests whose hour has come. Overlapping runs
 * are skipped (a slow SMTP server delays the next run, it does not pile runs up).
 */
export async function ensureTaskMailSchedules(client: Client, taskQueue: string, settings: TaskMailSettings) {
  const input: TaskMailInput = {
    batchSize: settings.batchSize,
    concurrency: settings.concurrency,
    maxBatches: settings.maxBatches,
  };
  await ensureSchedule(client, TASK_NOTIFICATIONS_SCHEDULE_ID, taskQueue, {
    every: `${settings.everySeconds} seconds`,
    args: [input],
  });
  await ensureSchedule(client, TASK_DIGESTS_SCHEDULE_ID, taskQueue, {
    every: '1 hour',
    args: [{ ...input, digests: true }],
  });
}

async function ensureSchedule(
  client: Client,
  scheduleId: string,
  taskQueue: string,
  want: { every: string; args: [TaskMailInput] },
): Promise<void> {
  const spec = { intervals: [{ every: want.every as `${number} seconds` }] };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: taskNotificationsWorkflow,
        taskQueue,
        args: want.args,
        workflowId: scheduleId,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    const handle = client.schedule.getHandle(scheduleId);
    const described = await handle.describe();
    const current = described.action.type === 'startWorkflow' ? described.action : undefined;
    const everyMs = described.spec.intervals?.[0]?.every;
    if (
      !current ||
      current.taskQueue !== taskQueue ||
      JSON.stringify(current.args) !== JSON.stringify(want.args) ||
      everyMs !== msOf(want.every)
    ) {
      await handle.update((previous) => ({
        ...previous,
        spec,
        action: { ...previous.action, taskQueue, args: want.args } as typeof previous.action,
      }));
    }
  }
}

function msOf(every: string): number {
  const [amount, unit] = every.split(' ');
  return Number(amount) * (unit.startsWith('hour') ? 3_600_000 : 1000);
}
