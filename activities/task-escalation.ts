import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { appendTimeline } from '../db/timeline';
import { MANAGER_OF } from '../domain/disputes';
import { SYSTEM_ACTOR } from '../domain/roles';
import { managerOf, noteTask } from './task-notifications';

/** How many overdue tasks one sweep escalates; the next sweep takes the rest. */
const SWEEP_LIMIT = 1000;

/**
 * Escalates open tasks past their due time to the owner's manager role, once each. Runs from a
 * Temporal Schedule; the query walks the (status, owner_role, due_at) index, not every task. In the
 * same transaction it writes the mail telling the owner's manager (their manager person when the owner
 * has one, else the people of the manager role); the task-notifications schedule sends it.
 */
export async function escalateOverdueTasks(db: Db, now: number): Promise<number> {
  const managerCase = sql<string>`case owner_role ${sql.join(
    Object.entries(MANAGER_OF).map(([role, manager]) => sql`when ${role} then ${manager}`),
    sql` `,
  )} else 'executive' end`;
  return db.transaction().execute(async (trx) => {
    const overdue = await trx
      .selectFrom('tasks')
      .select(['id'])
      .where('status', '=', 'open')
      .where('due_at', '<', new Date(now))
      .where('escalated_to', 'is', null)
      .orderBy('due_at')
      .limit(SWEEP_LIMIT)
      .forUpdate()
      .skipLocked()
      .execute();
    if (overdue.length === 0) return 0;
    const escalated = await trx
      .updateTable('tasks')
      .set({ escalated_to: managerCase })
      .where(
        'id',
        'in',
        overdue.map((t) => t.id),
      )
      .returning(['id', 'task_key', 'contract_no', 'invoice_no', 'owner_role', 'owner_name', 'title', 'escalated_to'])
      .execute();
    for (const task of escalated) {
      await appendTimeline(trx, {
        eventKey: `task/${task.id}/escalated`,
        contractNo: task.contract_no,
        invoiceNo: task.invoice_no ?? undefined,
        at: new Date(now),
        actor: SYSTEM_ACTOR,
        action: 'task_escalated',
        details: {
          taskId: task.id,
          title: task.title,
          owner: task.owner_name,
          ownerRole: task.owner_role,
          escalatedTo: task.escalated_to,
        },
      });
      await noteTask(trx, {
        taskId: task.id,
        taskKey: task.task_key,
        role: task.escalated_to ?? 'executive',
        named: await managerOf(trx, task.owner_name),
        kind: 'task_escalated',
      });
    }
    return escalated.length;
  });
}
