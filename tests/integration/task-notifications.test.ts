/**
 * People are told of their tasks (issue 11), against the real PostgreSQL, the real SMTP catcher and (for
 * the schedule) the real Temporal dev server: openTask writes the mail rows in the task's transaction, the
 * sender sends each once in the owner's language with a console link that opens, escalations tell the
 * owner's manager, digest people get one digest at their hour and no per-task mail, and a person who
 * cannot be reached is kept visibly as 'no_recipient'.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordDisputeEscalated, recordDisputeOpened } from '../../activities/collection-facts';
import { performStep } from '../../activities/collection-steps';
import type { MailSettings } from '../../activities/letters';
import { createTransport } from '../../activities/mailer';
import { escalateOverdueTasks } from '../../activities/task-escalation';
import {
  buildDigests,
  sendTaskNotifications,
  TASK_MAIL_GIVE_UP_AFTER,
  type TaskMailSettings,
} from '../../activities/task-notifications';
import { openTask } from '../../activities/tasks';
import { SESSION_COOKIE } from '../../api/auth';
import { addDays, DAY_MS, localDateOf, zonedInstant } from '../../domain/dates';
import { DEFAULT_POLICY } from '../../domain/policy';
import { signIn } from '../../services/sessions';
import { SCHEDULE_IDS, ensureSchedules } from '../../stack/schedules';
import { TASK_DIGESTS_SCHEDULE_ID, TASK_NOTIFICATIONS_SCHEDULE_ID } from '../../workflows/task-notifications';
import { type ApiHarness, eventually, startApiHarness } from '../support/api-harness';
import { insertInvoice } from '../support/fixtures';
import { MAIL_FROM } from '../support/workers';

const PASSWORD = 'correct-horse-battery-9';

let harness: ApiHarness;
let settings: TaskMailSettings;
const today = localDateOf(Date.now(), 'Asia/Shanghai');

beforeAll(async () => {
  harness = await startApiHarness();
  const mail: MailSettings = {
    transport: createTransport(harness.smtp.url),
    from: MAIL_FROM,
    companyName: 'Huikuan Test Co.',
  };
  settings = { mail, consoleUrl: harness.admin.baseUrl };
});

afterAll(async () => {
  for (const id of SCHEDULE_IDS)
    await harness?.client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
  settings?.mail.transport.close();
  await harness?.stop();
});

async function person(body: Record<string, unknown>) {
  const created = await harness.admin.post('/api/v1/people', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

async function newInvoice(): Promise<string> {
  const invoiceNo = `TN-${crypto.randomBytes(4).toString('hex')}`;
  await insertInvoice(harness.database.db, {
    customerCode: `C${invoiceNo}`,
    contractNo: `K-${invoiceNo}`,
    invoiceNo,
    amountMinor: 50_000,
    issueDate: addDays(today, -31),
    dueDate: addDays(today, -1),
  });
  return invoiceNo;
}

const rowsFor = (prefix: string) =>
  harness.database.db
    .selectFrom('notifications')
    .select(['notification_key', 'status', 'person_name', 'recipients', 'last_error', 'message_id', 'locale'])
    .where('notification_key', 'like', `${prefix}%`)
    .orderBy('notification_key')
    .execute();

const mailsTo = (address: string) =>
  harness.database.db
    .selectFrom('mailbox')
    .select(['subject', 'body_text', 'body_html', 'message_id', 'deliveries', 'envelope_to'])
    .where(sql<boolean>`envelope_to ? ${address}`)
    .orderBy('id')
    .execute();

/** Sends until nothing is left, as the schedule's runs would. */
async function sendAll() {
  let sent = 0;
  for (;;) {
    const batch = await sendTaskNotifications(harness.database.db, settings, { batchSize: 50 });
    sent += batch.sent;
    if (batch.taken === 0 || batch.sent === 0) return sent;
  }
}

const callStep = DEFAULT_POLICY.steps.find((s) => s.key === 'call_weekly')!;

describe('task mails', () => {
  it('a collection task reaches its named owner once, in their language, with a console link that opens', async () => {
    await person({ name: 'Sally Sales', role: 'sales', email: 'sally@huikuan.test', locale: 'en', password: PASSWORD });
    await person({ name: 'Sid Sales', role: 'sales', email: 'sid@huikuan.test' });
    const invoiceNo = await newInvoice();
    const now = Date.now();
    const request = {
      invoiceNo,
      step: callStep,
      occurrence: 1,
      scheduledFor: now,
      decidedAt: now,
      paidToleranceMinor: 0,
      taskDueDays: 3,
      skippedSteps: [],
    };
    // The activity retried (after a lost reply): one task, one mail row.
    await performStep(harness.database.db, settings.mail, request);
    await performStep(harness.database.db, settings.mail, request);
    const rows = await rowsFor(`task/invoice/${invoiceNo}/`);
    expect(rows.map((r) => [r.notification_key, r.status, r.person_name])).toEqual([
      [`task/invoice/${invoiceNo}/call_weekly/1/to/Sally Sales`, 'pending', 'Sally Sales'],
    ]);

    expect(await sendAll()).toBeGreaterThanOrEqual(1);
    expect(await sendAll()).toBe(0); // a second run finds it sent
    const mails = await mailsTo('sally@huikuan.test');
    expect(mails).toHaveLength(1);
    expect(mails[0].deliveries).toBe(1);
    expect(mails[0].subject).toBe('[New task] Call the customer about the overdue payment');
    const link = `${harness.admin.baseUrl}/invoices/${invoiceNo}`;
    expect(mails[0].body_text).toContain(`Open it in the console: ${link}`);
    expect(mails[0].body_html).toContain(`href="${link}"`);
    expect(await mailsTo('sid@huikuan.test')).toHaveLength(0); // the named owner only

    // The link opens the invoice's page for the person signed in.
    const session = await signIn(harness.database.db, 'Sally Sales', PASSWORD);
    const page = await fetch(link, { headers: { cookie: `${SESSION_COOKIE}=${session.sessionSecret}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(invoiceNo);
  });

  it("is written in the task's transaction: a task rolled back leaves no mail behind", async () => {
    const key = `rollback-${crypto.randomBytes(3).toString('hex')}`;
    await expect(
      harness.database.db.transaction().execute(async (trx) => {
        await openTask(trx, {
          key,
          contractNo: 'K-none',
          kind: 'collection',
          ownerRole: 'sales',
          ownerName: 'Sally Sales',
          title: 'never',
          dueAt: Date.now() + DAY_MS,
        });
        expect(
          await trx
            .selectFrom('notifications')
            .select('id')
            .where('notification_key', 'like', `task/${key}/%`)
            .execute(),
        ).toHaveLength(1);
        throw new Error('the caller fails after opening the task');
      }),
    ).rejects.toThrow('the caller fails');
    expect(await rowsFor(`task/${key}/`)).toEqual([]);
  });

  it("an overdue task and an overdue dispute tell the owner's manager, in the manager's language", async () => {
    await person({ name: 'Mia Manager', role: 'executive', email: 'mia@huikuan.test' });
    await person({ name: 'Ed Exec', role: 'executive', email: 'ed@huikuan.test' });
    await person({ name: 'Fiona Finance', role: 'finance', email: 'fiona@huikuan.test', manager: 'Mia Manager' });
    expect(
      (await harness.admin.request('PATCH', '/api/v1/people/Sally Sales', { manager: 'Mia Manager' })).status,
    ).toBe(200);
    const key = `late-${crypto.randomBytes(3).toString('hex')}`;
    await openTask(harness.database.db, {
      key,
      contractNo: 'K-late',
      kind: 'collection',
      ownerRole: 'sales',
      ownerName: 'Sally Sales',
      title: 'Chase the signed acceptance',
      dueAt: Date.now() - 60_000,
    });
    expect(await escalateOverdueTasks(harness.database.db, Date.now())).toBeGreaterThanOrEqual(1);
    expect(await escalateOverdueTasks(harness.database.db, Date.now())).toBe(0);
    expect((await rowsFor(`task/${key}/escalated/`)).map((r) => [r.person_name, r.status])).toEqual([
      ['Mia Manager', 'pending'],
    ]);

    // A dispute routed to finance (owner Fiona Finance on the contract) escalates past its deadline.
    const invoiceNo = await newInvoice();
    const disputeId = `D-${invoiceNo}`;
    await recordDisputeOpened(harness.database.db, {
      disputeId,
      invoiceNo,
      reason: 'invoice_error',
      actor: { name: 'sally', role: 'sales' },
      at: Date.now() - 10 * DAY_MS,
      slaDueAt: Date.now() - DAY_MS,
    });
    const escalation = { disputeId, invoiceNo, at: Date.now(), taskDueDays: 2 };
    await recordDisputeEscalated(harness.database.db, escalation);
    await recordDisputeEscalated(harness.database.db, escalation);
    expect((await rowsFor(`task/dispute/${disputeId}/escalated/`)).map((r) => [r.person_name, r.status])).toEqual([
      ['Mia Manager', 'pending'],
    ]);

    await sendAll();
    // Sent several at a time: the order they arrive in is not the order they were written in.
    const mails = (await mailsTo('mia@huikuan.test')).sort((a, b) => (a.subject ?? '').localeCompare(b.subject ?? ''));
    expect(mails.map((m) => m.subject)).toEqual([
      '【升级给您】Chase the signed acceptance',
      `【升级给您】发票 ${invoiceNo} 的争议（发票有误）已超过处理期限：请介入`,
    ]);
    // Worded in the reader's language from what the task asks; API clients read the English title.
    const escalated = await harness.database.db
      .selectFrom('tasks')
      .select('title')
      .where('task_key', '=', `dispute/${disputeId}/escalated`)
      .executeTakeFirstOrThrow();
    expect(escalated.title).toBe(`Dispute (Invoice error) on invoice ${invoiceNo} is past its deadline: step in`);
    expect(mails[0].body_text).toContain('Sally Sales的以下任务已过期限');
    expect(mails[1].body_text).toContain(`${harness.admin.baseUrl}/invoices/${invoiceNo}`);
    expect(await mailsTo('ed@huikuan.test')).toHaveLength(0);
  });

  it('a digest person gets one digest at their hour listing their open tasks, and no mail per task', async () => {
    await person({
      name: 'Dora Digest',
      role: 'delivery',
      email: 'dora@huikuan.test',
      locale: 'en',
      notify: 'digest',
      digestHour: 8,
      timeZone: 'Europe/Berlin',
    });
    const tag = crypto.randomBytes(3).toString('hex');
    for (const n of [1, 2, 3])
      await openTask(harness.database.db, {
        key: `digest-${tag}-${n}`,
        contractNo: `K-D${n}`,
        kind: 'delivery',
        ownerRole: 'delivery',
        ownerName: 'Dora Digest',
        title: `Deliver part ${n}`,
        dueAt: Date.now() + DAY_MS,
      });
    await harness.database.db
      .updateTable('tasks')
      .set({ status: 'done', closed_by: 'Dora Digest', closed_at: new Date() })
      .where('task_key', '=', `digest-${tag}-3`)
      .execute();
    await sendAll();
    expect(await mailsTo('dora@huikuan.test')).toHaveLength(0);
    expect((await rowsFor(`task/digest-${tag}-`)).map((r) => r.status)).toEqual(['digest', 'digest', 'digest']);

    const berlinToday = localDateOf(Date.now(), 'Europe/Berlin');
    const before = zonedInstant(berlinToday, '07:59', 'Europe/Berlin');
    const at = zonedInstant(berlinToday, '08:00', 'Europe/Berlin');
    expect(await buildDigests(harness.database.db, settings, before)).toBe(0);
    expect(await buildDigests(harness.database.db, settings, at)).toBe(1);
    expect(await buildDigests(harness.database.db, settings, at + 3_600_000)).toBe(0); // once a day
    await sendAll();
    await sendAll();
    const mails = await mailsTo('dora@huikuan.test');
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toMatch(/^\[Daily digest\] .*: 2 open tasks for you$/);
    expect(mails[0].body_text).toContain('Deliver part 1');
    expect(mails[0].body_text).toContain('Deliver part 2');
    expect(mails[0].body_text).not.toContain('Deliver part 3');
    expect(mails[0].body_text).toContain(`${harness.admin.baseUrl}/contracts/K-D1`);
    expect((await rowsFor(`task/digest-${tag}-`)).map((r) => r.status)).toEqual(['digested', 'digested', 'digested']);
    expect((await rowsFor(`digest/Dora Digest/${berlinToday}`)).map((r) => r.status)).toEqual(['sent']);

    // Back to one mail per task: what waits for the next digest goes out at once instead.
    await openTask(harness.database.db, {
      key: `digest-${tag}-4`,
      contractNo: 'K-D4',
      kind: 'delivery',
      ownerRole: 'delivery',
      ownerName: 'Dora Digest',
      title: 'Deliver part 4',
      dueAt: Date.now() + DAY_MS,
    });
    expect((await harness.admin.request('PATCH', '/api/v1/people/Dora Digest', { notify: 'each' })).status).toBe(200);
    await sendAll();
    expect((await mailsTo('dora@huikuan.test')).map((m) => m.subject)).toEqual([
      mails[0].subject,
      '[New task] Deliver part 4',
    ]);
  });

  it('a person without an e-mail address is skipped visibly, and the role is told instead', async () => {
    await person({ name: 'Nemo Noaddress', role: 'sales' });
    const key = `nemo-${crypto.randomBytes(3).toString('hex')}`;
    await openTask(harness.database.db, {
      key,
      contractNo: 'K-nemo',
      kind: 'collection',
      ownerRole: 'sales',
      ownerName: 'Nemo Noaddress',
      title: 'Call about the late payment',
      dueAt: Date.now() + DAY_MS,
    });
    const rows = await rowsFor(`task/${key}/`);
    expect(rows.map((r) => [r.person_name, r.status, r.last_error])).toEqual([
      ['Nemo Noaddress', 'no_recipient', 'this person has no e-mail address'],
      ['Sally Sales', 'pending', null],
      ['Sid Sales', 'pending', null],
    ]);
    // A role nobody with an address holds: one visible row, nothing sent.
    const lonely = `lonely-${crypto.randomBytes(3).toString('hex')}`;
    await openTask(harness.database.db, {
      key: lonely,
      contractNo: 'K-lonely',
      kind: 'collection',
      ownerRole: 'assistant',
      ownerName: null,
      title: 'Prepare the documents',
      dueAt: Date.now() + DAY_MS,
    });
    expect((await rowsFor(`task/${lonely}/`)).map((r) => [r.notification_key, r.status, r.last_error])).toEqual([
      [`task/${lonely}/to/-`, 'no_recipient', 'nobody with the role assistant has an e-mail address'],
    ]);
    await sendAll();
    expect((await rowsFor(`task/${key}/`)).map((r) => r.status)).toEqual(['no_recipient', 'sent', 'sent']);
  });

  it('a mail a crashed worker left claimed is sent once its claim has lapsed, not before', async () => {
    const key = `crash-${crypto.randomBytes(3).toString('hex')}`;
    await openTask(harness.database.db, {
      key,
      contractNo: 'K-crash',
      kind: 'collection',
      ownerRole: 'sales',
      ownerName: 'Sid Sales',
      title: 'Crash-proof task',
      dueAt: Date.now() + DAY_MS,
    });
    const claim = (until: Date) =>
      harness.database.db
        .updateTable('notifications')
        .set({ status: 'sending', claimed_until: until })
        .where('notification_key', 'like', `task/${key}/%`)
        .execute();
    await claim(new Date(Date.now() + 60_000)); // another attempt holds it
    await sendAll();
    expect((await rowsFor(`task/${key}/`)).map((r) => r.status)).toEqual(['sending']);
    await claim(new Date(Date.now() - 1_000)); // that worker died
    await sendAll();
    expect((await rowsFor(`task/${key}/`)).map((r) => r.status)).toEqual(['sent']);
    const mails = (await mailsTo('sid@huikuan.test')).filter((m) => m.subject?.includes('Crash-proof task'));
    expect(mails).toHaveLength(1);
  });

  it('mails that always fail never crowd out the others: one SMTP refuses for good, or whose task is gone, is given up', async () => {
    await sendAll(); // nothing else waits
    // A real SMTP server that refuses, after DATA, any mail to a bounce@ address for good (550) and to a
    // grey@ address for now (451); it accepts the rest.
    const accepted: string[] = [];
    const relay = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      closeTimeout: 1_000,
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          const to = session.envelope.rcptTo.map((r) => r.address);
          const refuse = (code: number, text: string) =>
            callback(Object.assign(new Error(text), { responseCode: code }));
          if (to.some((a) => a.startsWith('bounce'))) return refuse(550, 'mailbox unavailable');
          if (to.some((a) => a.startsWith('grey'))) return refuse(451, 'try again later');
          accepted.push(...to);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()));
    const port = (relay.server.address() as { port: number }).port;
    const refusing: TaskMailSettings = {
      ...settings,
      mail: { ...settings.mail, transport: createTransport(`smtp://127.0.0.1:${port}`, 5_000, 2) },
    };
    try {
      const tag = crypto.randomBytes(3).toString('hex');
      await person({ name: `Bo Bounce ${tag}`, role: 'sales', email: `bounce-${tag}@huikuan.test` });
      await person({ name: `Gus Grey ${tag}`, role: 'sales', email: `grey-${tag}@huikuan.test` });
      await person({ name: `Gil Good ${tag}`, role: 'sales', email: `good-${tag}@huikuan.test` });
      const task = (key: string, owner: string) =>
        openTask(harness.database.db, {
          key: `${key}-${tag}`,
          contractNo: 'K-fail',
          kind: 'collection',
          ownerRole: 'sales',
          ownerName: owner,
          title: `Task ${key}`,
          dueAt: Date.now() + DAY_MS,
        });
      // Older than the good mail, and as many as one batch takes.
      await task('bounce-1', `Bo Bounce ${tag}`);
      await task('bounce-2', `Bo Bounce ${tag}`);
      await task('grey-1', `Gus Grey ${tag}`);
      await task('gone-1', `Gil Good ${tag}`);
      // The task of this row is gone (deleted: its task_id is set null): it can never be rendered.
      await harness.database.db
        .updateTable('notifications')
        .set({ task_id: null })
        .where('notification_key', 'like', `task/gone-1-${tag}/%`)
        .execute();
      await task('good-1', `Gil Good ${tag}`);

      const results = [];
      for (let run = 0; run < TASK_MAIL_GIVE_UP_AFTER + 2; run += 1)
        results.push(await sendTaskNotifications(harness.database.db, refusing, { batchSize: 4, concurrency: 2 }));
      // The good mail went out although four always-failing rows come before it by id.
      expect(accepted).toEqual([`good-${tag}@huikuan.test`]);
      const states = async () =>
        (
          await harness.database.db
            .selectFrom('notifications')
            .select(['notification_key', 'status', 'attempts', 'last_error'])
            .where('notification_key', 'like', `task/%-${tag}/%`)
            .orderBy('id')
            .execute()
        ).map((r) => [r.notification_key.split('/')[1], r.status, r.attempts, r.last_error]);
      expect(await states()).toEqual([
        [`bounce-1-${tag}`, 'failed', TASK_MAIL_GIVE_UP_AFTER, expect.stringContaining('mailbox unavailable')],
        [`bounce-2-${tag}`, 'failed', TASK_MAIL_GIVE_UP_AFTER, expect.stringContaining('mailbox unavailable')],
        // Refused for now only: never given up, tried again (after the others).
        [`grey-1-${tag}`, 'pending', expect.any(Number), expect.stringContaining('try again later')],
        [`gone-1-${tag}`, 'failed', TASK_MAIL_GIVE_UP_AFTER, expect.stringContaining('names no task')],
        [`good-1-${tag}`, 'sent', 1, null],
      ]);
      expect(results.reduce((n, r) => n + r.gaveUp, 0)).toBe(3);
      // Given up rows are no longer taken; the passing fault still is.
      const after = await sendTaskNotifications(harness.database.db, refusing, { batchSize: 4 });
      expect(after).toMatchObject({ taken: 1, sent: 0, failed: 1, gaveUp: 0 });
      // /metrics counts them by status.
      const metrics = await fetch(`${harness.admin.baseUrl}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/huikuan_notifications\{status="failed"\} [1-9]/);
    } finally {
      refusing.mail.transport.close();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });

  it('the schedule sends a burst of task mails in bounded batches, each once', async () => {
    await ensureSchedules(harness.client, 'another-deployment', {
      taskMail: { everySeconds: 600, batchSize: 10, concurrency: 2, maxBatches: 1 },
    });
    await ensureSchedules(harness.client, harness.taskQueue, {
      taskMail: { everySeconds: 60, batchSize: 50, concurrency: 4, maxBatches: 10 },
    });
    const schedule = await harness.client.schedule.getHandle(TASK_NOTIFICATIONS_SCHEDULE_ID).describe();
    expect(schedule.spec.intervals?.[0]?.every).toBe(60_000);
    expect(schedule.action.type === 'startWorkflow' && schedule.action.taskQueue).toBe(harness.taskQueue);
    expect(schedule.action.type === 'startWorkflow' && schedule.action.args).toEqual([
      { batchSize: 50, concurrency: 4, maxBatches: 10 },
    ]);
    const digests = await harness.client.schedule.getHandle(TASK_DIGESTS_SCHEDULE_ID).describe();
    expect(digests.spec.intervals?.[0]?.every).toBe(3_600_000);

    const tag = crypto.randomBytes(3).toString('hex');
    const BURST = 150;
    for (let n = 0; n < BURST; n += 1)
      await openTask(harness.database.db, {
        key: `burst-${tag}-${n}`,
        contractNo: 'K-burst',
        kind: 'collection',
        ownerRole: 'sales',
        ownerName: 'Sid Sales',
        title: `Burst task ${n}`,
        dueAt: Date.now() + DAY_MS,
      });
    const started = Date.now();
    await harness.client.schedule.getHandle(TASK_NOTIFICATIONS_SCHEDULE_ID).trigger();
    await eventually(
      async () => {
        const rows = await rowsFor(`task/burst-${tag}-`);
        return rows.every((r) => r.status === 'sent') ? rows : undefined;
      },
      60_000,
      'the burst to be sent',
    );
    const burst = (await mailsTo('sid@huikuan.test')).filter((m) => m.subject?.includes('Burst task'));
    expect(burst).toHaveLength(BURST);
    expect(burst.every((m) => m.deliveries === 1)).toBe(true);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});

describe('people fields', () => {
  it('creates and changes e-mail, manager, task-mail choice and time zone, shown on GET; bad input is a 400 naming the field', async () => {
    await person({ name: 'Pia Boss', role: 'executive', email: 'pia@huikuan.test' });
    const created = await person({
      name: 'Pat Person',
      role: 'sales',
      email: 'pat@huikuan.test',
      manager: 'Pia Boss',
      notify: 'digest',
      digestHour: 17,
      timeZone: 'Asia/Tokyo',
      locale: 'en',
    });
    expect(created).toMatchObject({
      email: 'pat@huikuan.test',
      manager: 'Pia Boss',
      notify: 'digest',
      digestHour: 17,
      timeZone: 'Asia/Tokyo',
      locale: 'en',
    });
    const one = await harness.admin.get('/api/v1/people/Pat Person');
    expect(one.body).toMatchObject({ manager: 'Pia Boss', notify: 'digest', digestHour: 17 });
    const list = await harness.admin.get('/api/v1/people?q=Pat Person');
    expect(list.body.people[0]).toMatchObject({ email: 'pat@huikuan.test', manager: 'Pia Boss', notify: 'digest' });
    const defaults = await person({ name: 'Quinn Default', role: 'sales' });
    expect(defaults).toMatchObject({ email: null, manager: null, notify: 'each', digestHour: 9, timeZone: null });

    const patch = (name: string, body: unknown) => harness.admin.request('PATCH', `/api/v1/people/${name}`, body);
    const changed = await patch('Pat Person', {
      email: 'pat.new@huikuan.test',
      notify: 'each',
      digestHour: 0,
      timeZone: null,
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({
      email: 'pat.new@huikuan.test',
      notify: 'each',
      digestHour: 0,
      timeZone: null,
    });

    const refused = async (name: string, body: unknown, field: string, create = false) => {
      const answer = create ? await harness.admin.post('/api/v1/people', body) : await patch(name, body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.details.map((d: { field: string }) => d.field)).toContain(field);
      return answer.body.details.find((d: { field: string }) => d.field === field).message as string;
    };
    await refused('Pat Person', { email: 'not an address' }, 'email');
    await refused('Pat Person', { digestHour: 24 }, 'digestHour');
    await refused('Pat Person', { digestHour: 7.5 }, 'digestHour');
    await refused('Pat Person', { notify: 'weekly' }, 'notify');
    await refused('Pat Person', { timeZone: 'Mars/Olympus' }, 'timeZone');
    expect(await refused('Pat Person', { manager: 'Nobody Here' }, 'manager')).toBe('no person is named Nobody Here');
    expect(await refused('Pat Person', { manager: 'Pat Person' }, 'manager')).toBe(
      'a person cannot be their own manager',
    );
    // Pia manages Pat: Pat managing Pia closes a loop, as would a longer chain.
    expect(await refused('Pia Boss', { manager: 'Pat Person' }, 'manager')).toContain('loop');
    expect((await patch('Quinn Default', { manager: 'Pat Person' })).status).toBe(200);
    expect(await refused('Pia Boss', { manager: 'Quinn Default' }, 'manager')).toContain('loop');
    await refused('', { name: 'Ria', role: 'sales', manager: 'Nobody Here' }, 'manager', true);
    expect((await harness.admin.get('/api/v1/people/Ria')).status).toBe(404); // nothing half-written
    // null removes a manager.
    expect((await patch('Quinn Default', { manager: null })).body.manager).toBeNull();

    // A person may set how they are told, but not their e-mail or manager.
    const client = await harness.person('Sam Self', 'sales');
    const own = await client.request('PATCH', '/api/v1/people/Sam Self', { notify: 'digest', digestHour: 7 });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body).toMatchObject({ notify: 'digest', digestHour: 7 });
    const notOwn = await client.request('PATCH', '/api/v1/people/Sam Self', { email: 'sam@huikuan.test' });
    expect(notOwn.status).toBe(403);
  });
});
