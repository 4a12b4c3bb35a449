import type { Db } from '../db/connect';
import type { TaskWording } from '../domain/task-wording';
import { wordTask } from '../console/task-titles';
import { managerOf, noteTask } from './task-notifications';

/**
 * A task for a person or role; `key` makes opening it idempotent (a retry opens nothing more). It says what
 * it asks by `wording` (worded in each reader's language, stored in English as its title), or, a collection
 * step's task, by the policy's own `title`.
 */
export type TaskDraft = TaskFields & ({ wording: TaskWording } | { title: string });

interface TaskFields {
  key: string;
  contractNo: string;
  invoiceNo?: string;
  kind: string;
  step?: string;
  occurrence?: number;
  ownerRole: string;
  ownerName: string | null;
  dueAt: number;
  /**
   * The person whose task this one escalates (a dispute past its deadline): their manager, when they
   * have one, is told instead of the named owner.
   */
  escalatedFrom?: string | null;
}

/**
 * The one place tasks are opened: returns whether this call created it. In the same transaction (the
 * caller's, or one of its own) it writes the rows that tell the owner by mail (activities/task-notifications.ts);
 * it never talks to SMTP, the task-notifications schedule sends them.
 */
export async function openTask(db: Db, task: TaskDraft): Promise<boolean> {
  if (!db.isTransaction) return db.transaction().execute((trx) => openTask(trx, task));
  const created = await db
    .insertInto('tasks')
    .values({
      task_key: task.key,
      invoice_no: task.invoiceNo ?? null,
      contract_no: task.contractNo,
      kind: task.kind,
      step: task.step ?? null,
      occurrence: task.occurrence ?? null,
      owner_role: task.ownerRole,
      owner_name: task.ownerName,
      title: 'wording' in task ? wordTask(task.wording, 'en') : task.title,
      wording: 'wording' in task ? JSON.stringify(task.wording) : null,
      status: 'open',
      due_at: new Date(task.dueAt),
      escalated_to: null,
      closed_by: null,
      closed_at: null,
      note: null,
    })
    .onConflict((oc) => oc.column('task_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (created === undefined) return false;
  const named = (task.escalatedFrom ? await managerOf(db, task.escalatedFrom) : null) ?? task.ownerName;
  await noteTask(db, {
    taskId: created.id,
    taskKey: task.key,
    role: task.ownerRole,
    named,
    kind: task.escalatedFrom !== undefined ? 'task_escalated' : 'task',
  });
  return true;
}
