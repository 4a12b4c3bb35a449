import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { DEFAULT_TIME_ZONE, formatDate } from '../domain/dates';
import type { Locale } from '../domain/locales';
import { consoleLink, digestDue, taskAudience, taskConsolePath } from '../domain/notify';
import { ROLES } from '../domain/roles';
import type { TaskWording } from '../domain/task-wording';
import { taskTitle } from '../console/task-titles';
import { errorFields, logger } from '../stack/logger';
import type { MailSettings } from './letters';
import { notificationMessageId, renderNotification, sendNotification } from './notifications';
import { BEING_SENT } from './outbox';

/**
 * People are told of their tasks (issue 11), through the `notifications` outbox:
 * - openTask (activities/tasks.ts) and the overdue-task sweep write one row per person told in the
 *   SAME transaction as the task (or its escalation): a retry that opens nothing writes nothing;
 * - a row of a person who wants one mail per task is 'pending'; of a digest person 'digest' (it waits
 *   for their daily digest); of a person who cannot be reached 'no_recipient' (kept, visible, unsent);
 *   a row SMTP refuses for good (or that names no task any more) ends 'failed' after a few tries;
 * - the task-notifications schedule sends pending rows in bounded batches (claim, send, mark: no
 *   transaction across SMTP) and, hourly, builds each digest person's digest once per local day.
 * The mail is rendered just before it is first sent, in the person's language then.
 */

const log = logger('task-notifications');

export const TASK_MAIL_KINDS = ['task', 'task_escalated', 'digest'] as const;
type TaskMailKind = (typeof TASK_MAIL_KINDS)[number];

/** The most people of a role one task mail goes to (a role is a team, not the company). */
const ROLE_AUDIENCE_LIMIT = 50;

export interface TaskNotice {
  taskId: number;
  taskKey: string;
  /** The role told when no named person can be reached. */
  role: string;
  /** The person to tell first (the task's owner, or the manager of the person it escalates from). */
  named: string | null;
  kind: 'task' | 'task_escalated';
}

/** Writes the notification rows of a task opened or escalated; call it inside the task's transaction. */
export async function noteTask(trx: Db, notice: TaskNotice): Promise<number> {
  const columns = ['name', 'email', 'active', 'locale', 'notify'] as const;
  const named = notice.named
    ? await trx.selectFrom('people').select(columns).where('name', '=', notice.named).executeTakeFirst()
    : undefined;
  const role = ROLES.find((r) => r === notice.role);
  const ofRole =
    (named && named.active && named.email) || !role
      ? []
      : await trx
          .selectFrom('people')
          .select(columns)
          .where('role', '=', role)
          .where('active', '=', true)
          .where('email', 'is not', null)
          .orderBy('name')
          .limit(ROLE_AUDIENCE_LIMIT)
          .execute();
  const { told, unreachable } = taskAudience(named, ofRole);
  const prefix = notice.kind === 'task' ? `task/${notice.taskKey}` : `task/${notice.taskKey}/escalated`;
  type Row = {
    key: string;
    person: string | null;
    locale: Locale;
    recipients: string[];
    status: 'pending' | 'digest' | 'no_recipient';
    error?: string;
  };
  const rows: Row[] = [
    ...told.map((p): Row => {
      const person = p as (typeof ofRole)[number];
      return {
        key: `${prefix}/to/${person.name}`,
        person: person.name,
        locale: person.locale,
        recipients: [person.email!],
        status: person.notify === 'digest' ? 'digest' : 'pending',
      };
    }),
    ...unreachable.map((p): Row => ({
      key: `${prefix}/to/${p.name}`,
      person: p.name,
      locale: (p as (typeof ofRole)[number]).locale,
      recipients: [],
      status: 'no_recipient',
      error: p.active ? 'this person has no e-mail address' : 'this person is deactivated',
    })),
  ];
  if (told.length === 0) {
    // Nobody to tell: kept as a visible row (and logged), never silently dropped.
    rows.push({
      key: `${prefix}/to/-`,
      person: null,
      locale: 'zh-CN',
      recipients: [],
      status: 'no_recipient',
      error: `nobody with the role ${notice.role} has an e-mail address`,
    });
    log.warn({ task: notice.taskKey, role: notice.role, named: notice.named }, 'a task nobody can be told of by mail');
  }
  for (const row of rows) {
    await trx
      .insertInto('notifications')
      .values({
        notification_key: row.key,
        kind: notice.kind,
        locale: row.locale,
        recipients: JSON.stringify(row.recipients),
        subject: '',
        body_text: '',
        body_html: '',
        message_id: '',
        status: row.status,
        last_error: row.error ?? null,
        person_name: row.person,
        task_id: notice.taskId,
      })
      .onConflict((oc) => oc.column('notification_key').doNothing())
      .execute();
  }
  return told.length;
}

/** The manager named for a person, if the person exists and has one. */
export async function managerOf(db: Db, name: string | null): Promise<string | null> {
  if (!name) return null;
  const person = await db.selectFrom('people').select('manager_name').where('name', '=', name).executeTakeFirst();
  return person?.manager_name ?? null;
}

export interface TaskMailSettings {
  mail: MailSettings;
  /** The console's base URL (PUBLIC_URL) the mails link to. */
  consoleUrl: string;
}

function dueText(due: Date, locale: Locale, timeZone: string): string {
  const date = formatDate(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(due),
    locale,
  );
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false }).format(
    due,
  );
  return `${date} ${time} (${timeZone})`;
}

type TaskFacts = {
  title: string;
  wording: TaskWording | null;
  contract_no: string;
  invoice_no: string | null;
  due_at: Date;
  owner_name: string | null;
  owner_role: string;
};

function taskContext(task: TaskFacts, locale: Locale, timeZone: string, consoleUrl: string) {
  return {
    title: taskTitle(task, locale),
    contractNo: task.contract_no,
    invoiceNo: task.invoice_no ?? '',
    due: dueText(task.due_at, locale, timeZone),
    link: consoleLink(consoleUrl, taskConsolePath(task)),
  };
}

/** Renders a task mail row that has not been rendered yet (its subject is empty), in the person's language now. */
async function renderTaskRow(db: Db, settings: TaskMailSettings, id: number): Promise<void> {
  const row = await db
    .selectFrom('notifications')
    .leftJoin('tasks', 'tasks.id', 'notifications.task_id')
    .leftJoin('people', 'people.name', 'notifications.person_name')
    .select([
      'notifications.notification_key',
      'notifications.kind',
      'notifications.locale',
      'notifications.person_name',
      'tasks.title',
      'tasks.wording',
      'tasks.contract_no',
      'tasks.invoice_no',
      'tasks.due_at',
      'tasks.owner_name',
      'tasks.owner_role',
      'people.locale as person_locale',
      'people.time_zone',
    ])
    .where('notifications.id', '=', id)
    .executeTakeFirstOrThrow();
  if (row.title === null) throw new Error(`notification ${row.notification_key} names no task`);
  const locale = (row.person_locale ?? row.locale) as Locale;
  const timeZone = row.time_zone ?? DEFAULT_TIME_ZONE;
  const rendered = renderNotification('task-mail', locale, 'task', {
    companyName: settings.mail.companyName,
    personName: row.person_name ?? '',
    escalated: row.kind === 'task_escalated',
    ownerLabel: row.owner_name ?? row.owner_role ?? '',
    ...taskContext(row as TaskFacts, locale, timeZone, settings.consoleUrl),
  });
  await db
    .updateTable('notifications')
    .set({
      locale,
      subject: rendered.subject,
      body_text: rendered.text,
      body_html: rendered.html,
      message_id: notificationMessageId(row.notification_key, settings.mail.from),
    })
    .where('id', '=', id)
    .where('subject', '=', '')
    .execute();
}

export interface SendBatchOptions {
  /** Rows taken by one call (default 100). */
  batchSize?: number;
  /** Mails in flight at once (default 4; the pooled transport keeps 5 connections). */
  concurrency?: number;
}

export interface SendBatchResult {
  taken: number;
  sent: number;
  failed: number;
  /** Rows given up on ('failed'): refused for good TASK_MAIL_GIVE_UP_AFTER times. */
  gaveUp: number;
}

/**
 * Tries of a row refused for good (an SMTP 5xx for the recipient or the message, or a row that cannot be
 * rendered: its task is gone) before it is given up as 'failed' (last_error says why; /metrics counts it).
 * A passing fault (the relay is down, a 4xx) never gives a row up: it is tried again, after fresher rows.
 */
export const TASK_MAIL_GIVE_UP_AFTER = 3;

/** Whether SMTP refused this message for good (5xx to RCPT TO or DATA), not the relay or the sender as a whole. */
function refusedForGood(error: unknown): boolean {
  const { responseCode, command } = (error ?? {}) as { responseCode?: unknown; command?: unknown };
  return (
    typeof responseCode === 'number' &&
    responseCode >= 500 &&
    responseCode < 600 &&
    (command === 'RCPT TO' || command === 'DATA')
  );
}

/**
 * Keeps a failure on its row: a row that could not be rendered counts a try (the send's claim counts the others);
 * a row refused for good TASK_MAIL_GIVE_UP_AFTER times becomes 'failed'. True when it was given up.
 */
async function noteFailure(db: Db, id: number, error: unknown, rendering: boolean): Promise<boolean> {
  const message = String((error as Error)?.message ?? error).slice(0, 2000);
  if (rendering)
    await db
      .updateTable('notifications')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: message }))
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  if (!rendering && !refusedForGood(error)) return false;
  const failed = await db
    .updateTable('notifications')
    .set({ status: 'failed', claimed_until: null, last_error: message })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('attempts', '>=', TASK_MAIL_GIVE_UP_AFTER)
    .returning('id')
    .executeTakeFirst();
  return failed !== undefined;
}

/** Runs `work` over `items` with at most `limit` at once. */
async function bounded<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}

/**
 * Sends one batch of pending task mails and digests, the least tried first (then oldest), each through
 * claim/send/mark. A row left 'sending' by a crashed worker is taken again once its claim has lapsed. One
 * row's failure is kept on the row and does not stop the others; the next run tries it again after the rows
 * tried less, so rows that keep failing never crowd out the rest, and a row refused for good
 * TASK_MAIL_GIVE_UP_AFTER times is given up ('failed').
 */
export async function sendTaskNotifications(
  db: Db,
  settings: TaskMailSettings,
  options: SendBatchOptions = {},
): Promise<SendBatchResult> {
  const batchSize = options.batchSize ?? 100;
  const rows = await db
    .selectFrom('notifications')
    .select(['id', 'notification_key', 'subject'])
    .where('status', 'in', ['pending', 'sending'])
    .where('kind', 'in', [...TASK_MAIL_KINDS])
    .where((eb) => eb.or([eb('status', '=', 'pending'), eb('claimed_until', '<', sql<Date>`now()`)]))
    .orderBy('attempts')
    .orderBy('id')
    .limit(batchSize)
    .execute();
  const result: SendBatchResult = { taken: rows.length, sent: 0, failed: 0, gaveUp: 0 };
  await bounded(rows, options.concurrency ?? 4, async (row) => {
    let rendering = false;
    try {
      if (row.subject === '') {
        rendering = true;
        await renderTaskRow(db, settings, row.id);
        rendering = false;
      }
      if ((await sendNotification(db, settings.mail, row.notification_key)) === 'sent') result.sent += 1;
    } catch (error) {
      if ((error as { type?: string }).type === BEING_SENT) return;
      result.failed += 1;
      const gaveUp = await noteFailure(db, row.id, error, rendering).catch((noted: unknown) => {
        log.warn({ ...errorFields(noted), notification: row.notification_key }, 'a task mail failure was not noted');
        return false;
      });
      if (gaveUp) {
        result.gaveUp += 1;
        log.error(
          { ...errorFields(error), notification: row.notification_key },
          'a task mail was refused for good; given up (failed)',
        );
      } else
        log.warn(
          { ...errorFields(error), notification: row.notification_key },
          'a task mail was not sent; retried later',
        );
    }
  });
  return result;
}

const DIGEST_LIST_LIMIT = 200;

/**
 * Builds the daily digest of every digest person whose hour has come today (in their zone) and who has
 * none for today yet: one row keyed digest/<person>/<local date> listing their waiting tasks still
 * open; the waiting rows become 'digested' in the same transaction. Returns how many were built.
 */
export async function buildDigests(db: Db, settings: TaskMailSettings, now: number): Promise<number> {
  const people = await db
    .selectFrom('people')
    .select(['name', 'email', 'locale', 'digest_hour', 'time_zone'])
    .where('notify', '=', 'digest')
    .where('active', '=', true)
    .where('email', 'is not', null)
    .orderBy('name')
    .execute();
  let built = 0;
  for (const person of people) {
    const { localDate, due } = digestDue(now, person);
    if (!due) continue;
    const key = `digest/${person.name}/${localDate}`;
    const exists = await db
      .selectFrom('notifications')
      .select('id')
      .where('notification_key', '=', key)
      .executeTakeFirst();
    if (exists) continue;
    if (await buildDigest(db, settings, person as DigestPerson, key, localDate)) built += 1;
  }
  return built;
}

type DigestPerson = { name: string; email: string; locale: Locale; digest_hour: number; time_zone: string | null };

async function buildDigest(
  db: Db,
  settings: TaskMailSettings,
  person: DigestPerson,
  key: string,
  localDate: string,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const waiting = await trx
      .selectFrom('notifications')
      .innerJoin('tasks', 'tasks.id', 'notifications.task_id')
      .select([
        'notifications.id',
        'notifications.kind',
        'tasks.status as task_status',
        'tasks.title',
        'tasks.wording',
        'tasks.contract_no',
        'tasks.invoice_no',
        'tasks.due_at',
        'tasks.owner_name',
        'tasks.owner_role',
      ])
      .where('notifications.person_name', '=', person.name)
      .where('notifications.status', '=', 'digest')
      .orderBy('notifications.id')
      .forUpdate()
      .execute();
    const open = waiting.filter((w) => w.task_status === 'open');
    if (open.length === 0) {
      // Closed before the digest: nothing to tell; they leave the queue without a mail.
      if (waiting.length > 0)
        await trx
          .updateTable('notifications')
          .set({ status: 'digested' })
          .where(
            'id',
            'in',
            waiting.map((w) => w.id),
          )
          .execute();
      return false;
    }
    const timeZone = person.time_zone ?? DEFAULT_TIME_ZONE;
    const listed = open.slice(0, DIGEST_LIST_LIMIT);
    const rendered = renderNotification('task-mail', person.locale, 'digest', {
      companyName: settings.mail.companyName,
      personName: person.name,
      date: formatDate(localDate, person.locale),
      count: open.length,
      workLink: consoleLink(settings.consoleUrl, '/'),
      tasks: listed.map((t) => ({
        escalated: t.kind === 'task_escalated',
        ...taskContext(t, person.locale, timeZone, settings.consoleUrl),
      })),
    });
    const inserted = await trx
      .insertInto('notifications')
      .values({
        notification_key: key,
        kind: 'digest' satisfies TaskMailKind,
        locale: person.locale,
        recipients: JSON.stringify([person.email]),
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        message_id: notificationMessageId(key, settings.mail.from),
        status: 'pending',
        person_name: person.name,
      })
      .onConflict((oc) => oc.column('notification_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return false;
    await trx
      .updateTable('notifications')
      .set({ status: 'digested', digest_key: key })
      .where(
        'id',
        'in',
        waiting.map((w) => w.id),
      )
      .execute();
    return true;
  });
}
