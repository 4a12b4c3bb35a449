/** Overdue tasks escalate to the owner's manager role through the schedule, once each. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULE_IDS, ensureSchedules } from '../../stack/schedules';
import { TASK_ESCALATION_SCHEDULE_ID } from '../../workflows/task-escalation';
import { RECEIVABLE_SNAPSHOTS_SCHEDULE_ID } from '../../workflows/receivable-snapshots';
import { type ApiHarness, eventually, startApiHarness } from '../support/api-harness';
import { type TaskStatus } from '../../domain/statuses';

let harness: ApiHarness;

beforeAll(async () => {
  harness = await startApiHarness();
});

afterAll(async () => {
  for (const id of SCHEDULE_IDS) {
    await harness?.client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
  }
  await harness?.stop();
});

const HOUR = 3_600_000;

async function task(
  key: string,
  ownerRole: string,
  dueInHours: number,
  status: TaskStatus = 'open',
  escalatedTo: string | null = null,
) {
  await harness.database.db
    .insertInto('tasks')
    .values({
      task_key: key,
      invoice_no: null,
      contract_no: 'HT-ESC',
      kind: 'collection',
      step: 'call_weekly',
      occurrence: 1,
      owner_role: ownerRole,
      owner_name: `${ownerRole} person`,
      title: `task ${key}`,
      status,
      due_at: new Date(Date.now() + dueInHours * HOUR),
      escalated_to: escalatedTo,
      closed_by: null,
      closed_at: null,
      note: null,
    })
    .execute();
}

describe('task escalation schedule', () => {
  it('escalates open overdue tasks to the manager role and leaves the others alone', async () => {
    await task('late-sales', 'sales', -2);
    await task('late-assistant', 'assistant', -1);
    await task('not-yet', 'sales', 5);
    await task('done-late', 'sales', -5, 'done');
    await task('already', 'finance', -5, 'open', 'executive');

    await ensureSchedules(harness.client, 'another-deployment');
    await ensureSchedules(harness.client, harness.taskQueue); // a later start finds it and points it at its own task queue
    await ensureSchedules(harness.client, harness.taskQueue);
    const schedule = await harness.client.schedule.getHandle(TASK_ESCALATION_SCHEDULE_ID).describe();
    expect(schedule.spec.intervals?.[0]?.every).toBe(15 * 60_000);
    expect(schedule.action.type === 'startWorkflow' && schedule.action.taskQueue).toBe(harness.taskQueue);
    const snapshots = await harness.client.schedule.getHandle(RECEIVABLE_SNAPSHOTS_SCHEDULE_ID).describe();
    expect(snapshots.spec.intervals?.[0]?.every).toBe(60 * 60_000);
    expect(snapshots.action.type === 'startWorkflow' && snapshots.action.taskQueue).toBe(harness.taskQueue);
    expect(snapshots.action.type === 'startWorkflow' && snapshots.action.args).toEqual([{ timeZone: 'Asia/Shanghai' }]);
    await harness.client.schedule.getHandle(TASK_ESCALATION_SCHEDULE_ID).trigger();

    const rows = await eventually(
      async () => {
        const all = await harness.database.db
          .selectFrom('tasks')
          .select(['task_key', 'escalated_to'])
          .where('contract_no', '=', 'HT-ESC')
          .orderBy('task_key')
          .execute();
        return all.find((t) => t.task_key === 'late-sales')?.escalated_to ? all : undefined;
      },
      30_000,
      'the sweep',
    );
    expect(Object.fromEntries(rows.map((r) => [r.task_key, r.escalated_to]))).toEqual({
      'late-sales': 'executive',
      'late-assistant': 'sales',
      'not-yet': null,
      'done-late': null,
      already: 'executive',
    });
    const timeline = await harness.database.db
      .selectFrom('timeline')
      .select('action')
      .where('contract_no', '=', 'HT-ESC')
      .execute();
    expect(timeline).toHaveLength(2);
  });
});
