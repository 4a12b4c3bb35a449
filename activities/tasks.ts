import type { Db } from '../db/connect';

/** A task for a person or role; `key` makes opening it idempotent (a retry opens nothing more). */
export interface TaskDraft {
  key: string;
  contractNo: string;
  invoiceNo?: string;
  kind: string;
  step?: string;
  occurrence?: number;
  ownerRole: string;
  ownerName: string | null;
  title: string;
  dueAt: number;
}

/** The one place tasks are opened: returns whether this call created it. */
export async function openTask(db: Db, task: TaskDraft): Promise<boolean> {
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
      title: task.title,
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
  return created !== undefined;
}
