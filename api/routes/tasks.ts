import type { Expression, ExpressionBuilder, Selectable, SqlBool } from 'kysely';
import type { Database, TasksTable } from '../../db/schema';
import { appendTimeline } from '../../db/timeline';
import { MANAGER_OF } from '../../domain/disputes';
import type { InternalRole } from '../../domain/policy';
import { type Actor, ROLES, type Role } from '../../domain/roles';
import type { ApiDeps } from '../deps';
import { conflict, invalidInput, notFound, refuse } from '../../domain/refusal';
import type { ApiRoutes } from '../route';
import { CompleteTaskSchema, SkipTaskSchema } from '../schemas/admin';
import { TASK_STATUSES, isOneOf } from '../../domain/statuses';
import { WRITE_OFF_STEP } from '../../domain/collection-commands';

type TaskRow = Selectable<TasksTable>;

/** Owner roles nobody signs in with (the sales assistant): the manager role closes their tasks. */
const STAND_INS = Object.entries(MANAGER_OF).filter(([role]) => !(ROLES as readonly string[]).includes(role)) as [
  InternalRole,
  InternalRole,
][];

/** Every role that can own a task or receive its escalation; admin is neither. */
const TASK_ROLES: readonly Role[] = ['sales', 'delivery', 'finance', 'executive'];

const CLOSE_RULE = `a person of the task's owner role or of the role it escalated to${STAND_INS.map(([role, manager]) => ` (${manager} for an ${role}'s task)`).join('')}`;

export function taskView(task: TaskRow) {
  return {
    id: task.id,
    kind: task.kind,
    step: task.step,
    occurrence: task.occurrence,
    invoiceNo: task.invoice_no,
    contractNo: task.contract_no,
    ownerRole: task.owner_role,
    ownerName: task.owner_name,
    title: task.title,
    /** What the task asks, to word it in another language (console/task-titles.ts); null when `title` is all there is. */
    wording: task.wording,
    status: task.status,
    dueAt: task.due_at,
    escalatedTo: task.escalated_to,
    closedBy: task.closed_by,
    closedAt: task.closed_at,
    note: task.note,
  };
}

/** A single query parameter: express gives an array when it is repeated, which is refused. */
function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidInput(name, 'give this parameter once');
  return value;
}

function taskId(raw: string): number {
  if (!/^[1-9]\d{0,14}$/.test(raw)) throw invalidInput('id', 'a task id is a positive whole number');
  return Number(raw);
}

/** The roles that may close a task: its owner role, the role it escalated to, a manager standing in for a role nobody holds. */
export function taskClosers(task: Pick<TaskRow, 'owner_role' | 'escalated_to'>): string[] {
  const standIn = STAND_INS.find(([role]) => role === task.owner_role)?.[1];
  return [
    ...new Set([task.owner_role, ...(standIn ? [standIn] : []), ...(task.escalated_to ? [task.escalated_to] : [])]),
  ];
}

/** The filters of the task list, read from the query; the counts of My work take the same. */
const TASK_QUERY_DOC = {
  status: `${TASK_STATUSES.join(', ')} (default open)`,
  ownerRole: 'owner role',
  ownerName: 'owner name',
  invoice: 'invoice number',
  contract: 'contract number',
  overdue: 'true: open tasks past their due time',
  mine: "true: the caller's work: tasks of their role (whoever is named), named to them, or escalated to their role",
};

function taskFilter(query: Record<string, unknown>, actor: Actor, now: Date) {
  const status = single(query, 'status') ?? 'open';
  if (!isOneOf(TASK_STATUSES, status)) throw invalidInput('status', `must be one of ${TASK_STATUSES.join(', ')}`);
  const overdue = single(query, 'overdue');
  if (overdue !== undefined && overdue !== 'true' && overdue !== 'false')
    throw invalidInput('overdue', 'must be true or false');
  const ownerRole = single(query, 'ownerRole');
  const ownerName = single(query, 'ownerName');
  const invoice = single(query, 'invoice');
  const contract = single(query, 'contract');
  const mine = single(query, 'mine');
  if (mine !== undefined && mine !== 'true' && mine !== 'false') throw invalidInput('mine', 'must be true or false');
  return (eb: ExpressionBuilder<Database, 'tasks'>) => {
    const conditions: Expression<SqlBool>[] = [eb('status', '=', status)];
    if (ownerRole) conditions.push(eb('owner_role', '=', ownerRole));
    if (ownerName) conditions.push(eb('owner_name', '=', ownerName));
    if (invoice) conditions.push(eb('invoice_no', '=', invoice));
    if (contract) conditions.push(eb('contract_no', '=', contract));
    if (mine === 'true')
      conditions.push(
        eb.or([
          eb('owner_role', '=', actor.role),
          eb('owner_name', '=', actor.name),
          eb('escalated_to', '=', actor.role),
        ]),
      );
    if (overdue === 'true') conditions.push(eb('status', '=', 'open'), eb('due_at', '<', now));
    return eb.and(conditions);
  };
}

export function taskRoutes(routes: ApiRoutes, { db }: ApiDeps): void {
  routes.add({
    method: 'get',
    path: '/api/v1/tasks',
    summary: 'Tasks of the collection ladder, soonest due first (at most 500)',
    roles: 'any',
    query: TASK_QUERY_DOC,
    responses: { 200: 'the tasks', 400: 'invalid filter' },
    async handle({ query, actor }) {
      const tasks = await db
        .selectFrom('tasks')
        .selectAll()
        .where(taskFilter(query, actor, new Date()))
        .orderBy('due_at')
        .orderBy('id')
        .limit(500)
        .execute();
      return { body: tasks.map(taskView) };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/tasks/counts',
    summary:
      'How many tasks match, per kind and past their due time, however many there are (the list stops at 500); the same filters',
    roles: 'any',
    query: TASK_QUERY_DOC,
    responses: {
      200: 'the counts: total, overdue, and per kind (kinds in the order of their soonest task)',
      400: 'invalid filter',
    },
    async handle({ query, actor }) {
      const now = new Date();
      const rows = await db
        .selectFrom('tasks')
        .where(taskFilter(query, actor, now))
        .select((eb) => [
          'kind',
          eb.fn.countAll<number>().as('count'),
          eb.fn.countAll<number>().filterWhere('due_at', '<', now).as('overdue'),
        ])
        .groupBy('kind')
        .orderBy((eb) => eb.fn.min('due_at'))
        .orderBy('kind')
        .execute();
      const byKind = rows.map((r) => ({ kind: r.kind, count: Number(r.count), overdue: Number(r.overdue) }));
      return {
        body: {
          total: byKind.reduce((sum, k) => sum + k.count, 0),
          overdue: byKind.reduce((sum, k) => sum + k.overdue, 0),
          byKind,
        },
      };
    },
  });

  const close =
    (status: 'done' | 'skipped') =>
    async ({ params, body, actor }: { params: Record<string, string>; body: { note?: string }; actor: Actor }) => {
      const id = taskId(params.id);
      const note = body.note?.trim() ? body.note.trim() : null;
      const closed = await db.transaction().execute(async (trx) => {
        const task = await trx.selectFrom('tasks').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
        if (!task) throw notFound(`task ${id}`);
        const closers = taskClosers(task);
        if (!closers.includes(actor.role)) {
          throw refuse('forbidden', `closing task ${id} needs role ${closers.join(' or ')}`, [
            { message: `${actor.name} has role ${actor.role}` },
          ]);
        }
        if (task.kind === 'approval') {
          throw conflict(`task ${id} is an approval`, [
            {
              code: 'approval_task',
              message:
                task.step === WRITE_OFF_STEP
                  ? `approve or reject the write-off with POST /api/v1/invoices/${task.invoice_no}/write-off/decision; that closes this task`
                  : `approve or reject step ${task.step} with POST /api/v1/invoices/${task.invoice_no}/approvals (the approval endpoint); that closes this task`,
            },
          ]);
        }
        if (task.status !== 'open') {
          throw conflict(`task ${id} is ${task.status}`, [
            {
              code: 'task_not_open',
              field: 'status',
              message: `only an open task can be closed; this one is ${task.status}`,
            },
          ]);
        }
        const now = new Date();
        const updated = await trx
          .updateTable('tasks')
          .set({ status, closed_by: actor.name, closed_at: now, note })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await appendTimeline(trx, {
          eventKey: `task/${id}/${status}`,
          contractNo: task.contract_no,
          invoiceNo: task.invoice_no ?? undefined,
          at: now,
          actor,
          action: status === 'done' ? 'task_done' : 'task_skipped',
          reason: note ?? undefined,
          details: { taskId: id, kind: task.kind, step: task.step, occurrence: task.occurrence, title: task.title },
        });
        return updated;
      });
      return { body: taskView(closed) };
    };

  routes.add({
    method: 'post',
    path: '/api/v1/tasks/:id/done',
    summary: 'Mark an open task done, with an optional note',
    roles: TASK_ROLES,
    rule: CLOSE_RULE,
    body: CompleteTaskSchema,
    responses: { 200: 'the task', 400: 'invalid input', 404: 'no such task', 409: 'not open, or an approval task' },
    handle: close('done'),
  });

  routes.add({
    method: 'post',
    path: '/api/v1/tasks/:id/skip',
    summary: 'Skip an open task, with a note saying why',
    roles: TASK_ROLES,
    rule: CLOSE_RULE,
    body: SkipTaskSchema,
    responses: { 200: 'the task', 400: 'no note', 404: 'no such task', 409: 'not open, or an approval task' },
    handle: close('skipped'),
  });
}
