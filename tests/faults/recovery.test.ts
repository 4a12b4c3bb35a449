/**
 * Faults on the real stack, started like `npm start` from the repository: for each fault a burst of
 * invoices already overdue is imported (one letter each) — FAULT_INVOICES (500) for the worker kill,
 * FAULT_INVOICES_OTHER (200) for the others, to keep the suite near 8 minutes on 2 cores — the fault
 * strikes while the letters go out, and in the end every letter is sent, every one is in the mailbox
 * (one row per Message-ID) and every `invoice/<no>` workflow exists.
 *  (a) kill -9 of the worker process → the supervisor starts a new one
 *  (b) kill -9 of the postmaster → its guard exits, the supervisor starts PostgreSQL again
 *  (c) kill -9 of the Temporal dev server → likewise
 *  (d) the SMTP relay (a catcher this test runs, SMTP_URL) is down for FAULT_SMTP_OUTAGE_SECONDS (120)
 * A kill can hand the letters in flight to SMTP twice (the documented window: accepted by SMTP, not yet
 * marked sent); the mailbox keeps one copy and counts the delivery, so (a) and (b) allow at most one
 * extra delivery per concurrent activity, (c) and (d) none.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Db } from '../../db/connect';
import { addDays, localDateOf } from '../../domain/dates';
import { DEFAULT_WORKER_TUNING } from '../../stack/processes';
import { type SmtpCatcher, startSmtpCatcher } from '../../stack/smtp-catcher';
import { freePort } from '../../stack/ports';
import { StackProcess, eventually, freePorts, isAlive, makeDataDir, removeDataDir, sleep } from '../e2e/stack-process';

const WORKER_KILL_INVOICES = Number(process.env.FAULT_INVOICES ?? 500);
const OTHER_INVOICES = Number(process.env.FAULT_INVOICES_OTHER ?? 200);
const OUTAGE_SECONDS = Number(process.env.FAULT_SMTP_OUTAGE_SECONDS ?? 120);
/** Letters handed to SMTP when the fault strikes, as a share of the burst. */
const STRIKE_AT = 0.2;
const RECOVERY_LIMIT_MS = 240_000;

interface Api {
  get(route: string): Promise<{ status: number; body: any }>;
  post(route: string, body: unknown): Promise<{ status: number; body: any }>;
  put(route: string, body: unknown): Promise<{ status: number; body: any }>;
}

function api(baseUrl: string, token: string): Api {
  const request = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}${route}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    get: (route) => request('GET', route),
    post: (route, body) => request('POST', route, body),
    put: (route, body) => request('PUT', route, body),
  };
}

const BURSTS: Record<string, number> = {
  FA: WORKER_KILL_INVOICES,
  FB: OTHER_INVOICES,
  FC: OTHER_INVOICES,
  FD: OTHER_INVOICES,
};

function invoiceNos(prefix: string): string[] {
  return Array.from({ length: BURSTS[prefix] }, (_, i) => `${prefix}-INV-${String(i + 1).padStart(4, '0')}`);
}

/** Go-live files for one customer, one contract and the burst's invoices of 100.00 each, 10 days overdue. */
function burstFiles(prefix: string) {
  const today = localDateOf(Date.now(), 'Asia/Shanghai');
  const total = `${BURSTS[prefix] * 100}.00`;
  const invoices = invoiceNos(prefix).map(
    (no) => `${no},${prefix}-HT,${addDays(today, -40)},${addDays(today, -10)},100.00,no`,
  );
  return {
    customers: {
      fileName: 'customers.csv',
      content: `code,name,credit_limit,currency,locale,time_zone,contact_name,contact_email\n${prefix},${prefix} Trading Ltd,${total},CNY,en,Asia/Shanghai,Pat Payer,ap@${prefix.toLowerCase()}.example\n`,
    },
    contracts: {
      fileName: 'contracts.csv',
      content: `contract_no,customer_code,title,amount,currency,department,owner,signed_date\n${prefix}-HT,${prefix},Burst,${total},CNY,Sales,Sally Sales,${addDays(today, -60)}\n`,
    },
    invoices: {
      fileName: 'invoices.csv',
      content: `invoice_no,contract_no,issue_date,due_date,amount,disputed\n${invoices.join('\n')}\n`,
    },
  };
}

describe('faults during a burst of letters', () => {
  let dataDir = '';
  let stack: StackProcess;
  let db: Db;
  let mailboxDb: Db;
  let catcher: SmtpCatcher | undefined;
  let smtpPort = 0;
  let temporal: Client;
  let finance: Api;

  beforeAll(async () => {
    dataDir = makeDataDir('huikuan-faults-');
    const ports = await freePorts();
    smtpPort = await freePort();
    stack = StackProcess.spawn(dataDir, ports, { SMTP_URL: `smtp://127.0.0.1:${smtpPort}` });
    await stack.waitForRunning();
    const databaseUrl = `postgres://huikuan:huikuan@127.0.0.1:${ports.pgPort}/huikuan`;
    db = connect(databaseUrl, 2);
    mailboxDb = connect(databaseUrl, 2);
    catcher = await startSmtpCatcher(mailboxDb, smtpPort);
    temporal = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${ports.temporalPort}` }) });
    const admin = api(stack.apiUrl, fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim());
    // Every day a working day: the bursts go out whatever day the suite runs (weekends, holidays).
    const calendar = await admin.put('/api/v1/calendars/cn-mainland', {
      id: 'cn-mainland',
      name: 'every day (fault suite)',
      weekendDays: [],
      holidays: [],
      makeUpWorkdays: [],
    });
    expect(calendar.status, JSON.stringify(calendar.body)).toBe(200);
    const person = await admin.post('/api/v1/tokens', { name: 'Fault Finance', role: 'finance' });
    expect(person.status, JSON.stringify(person.body)).toBe(201);
    finance = api(stack.apiUrl, person.body.token);
    await eventually(
      async () => ((await fetch(`${stack.apiUrl}/healthz`)).ok ? true : undefined),
      60_000,
      'a healthy stack',
    );
  }, 240_000);

  afterAll(async () => {
    await catcher?.stop();
    await temporal?.connection.close().catch(() => {});
    await db?.destroy().catch(() => {});
    await mailboxDb?.destroy().catch(() => {});
    await stack?.forceStop();
    if (dataDir) await removeDataDir(dataDir);
  });

  const sentCount = async (prefix: string) =>
    Number(
      (
        await db
          .selectFrom('letters')
          .select(sql<number>`count(*)`.as('n'))
          .where('invoice_no', 'like', `${prefix}-%`)
          .where('status', '=', 'sent')
          .executeTakeFirstOrThrow()
      ).n,
    );

  async function startBurst(prefix: string): Promise<void> {
    const imported = await finance.post('/api/v1/imports/historical', burstFiles(prefix));
    expect(imported.status, JSON.stringify(imported.body).slice(0, 2_000)).toBe(201);
    const strikeAt = Math.ceil(BURSTS[prefix] * STRIKE_AT);
    await eventually(
      async () => ((await sentCount(prefix).catch(() => 0)) >= strikeAt ? true : undefined),
      180_000,
      `${strikeAt} letters of ${prefix}`,
      200,
    );
  }

  /** Every letter sent, one mailbox row per Message-ID; returns how many extra deliveries there were. */
  async function expectAllDelivered(prefix: string): Promise<number> {
    const INVOICES = BURSTS[prefix];
    await eventually(
      async () => ((await sentCount(prefix).catch(() => 0)) >= INVOICES ? true : undefined),
      RECOVERY_LIMIT_MS,
      `all ${INVOICES} letters of ${prefix} sent`,
      1_000,
    );
    const letters = await db
      .selectFrom('letters')
      .select(['invoice_no', 'message_id', 'status'])
      .where('invoice_no', 'like', `${prefix}-%`)
      .execute();
    expect(letters.length, 'one letter per invoice').toBe(INVOICES);
    expect(new Set(letters.map((l) => l.invoice_no)).size).toBe(INVOICES);
    expect(letters.filter((l) => l.status !== 'sent')).toEqual([]);
    const mail = await db
      .selectFrom('mailbox')
      .select(['message_id', 'deliveries'])
      .where(
        'message_id',
        'in',
        letters.map((l) => l.message_id),
      )
      .execute();
    expect(mail.length, 'every letter is in the mailbox').toBe(INVOICES);
    expect(new Set(mail.map((m) => m.message_id)).size, 'one mailbox row per Message-ID').toBe(INVOICES);
    return mail.reduce((extra, m) => extra + m.deliveries - 1, 0);
  }

  async function expectEveryWorkflow(prefix: string): Promise<void> {
    const missing: string[] = [];
    const nos = invoiceNos(prefix);
    for (let i = 0; i < nos.length; i += 50) {
      await Promise.all(
        nos.slice(i, i + 50).map((no) =>
          temporal.workflow
            .getHandle(`invoice/${no}`)
            .describe()
            .catch(() => {
              missing.push(no);
            }),
        ),
      );
    }
    expect(missing, 'invoices without a collection workflow').toEqual([]);
  }

  it('(a) the worker process killed with SIGKILL mid-burst is restarted and finishes the burst', async () => {
    const worker = stack.pidOf('bin/worker.ts');
    expect(worker).toBeDefined();
    await startBurst('FA');
    process.kill(worker!, 'SIGKILL');
    const killedAt = Date.now();
    // /healthz names the worker within 5 s of its death.
    const down = await eventually(
      async () => {
        const response = await fetch(`${stack.apiUrl}/healthz`, { signal: AbortSignal.timeout(3_000) });
        const body = (await response.json()) as { checks: Record<string, string> };
        return response.status === 503 && body.checks.worker !== 'ok' ? body : undefined;
      },
      5_000,
      'a 503 naming the worker',
      200,
    );
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    expect(Object.keys(down.checks)).toContain('worker');
    await stack.waitForPid('bin/worker.ts', worker, 15_000);
    expect(stack.stdout).toMatch(
      /"name":"supervisor"[^\n]*"msg":"worker was killed by SIGKILL after [\d.]+ s; restarting in 1 s"/,
    );
    const extra = await expectAllDelivered('FA');
    expect(extra, 'deliveries repeated by the kill').toBeLessThanOrEqual(DEFAULT_WORKER_TUNING.maxActivities);
    await expectEveryWorkflow('FA');
  }, 420_000);

  it('(b) PostgreSQL killed with SIGKILL mid-burst comes back and the burst finishes', async () => {
    const postmaster = stack.pidOf('postgres -D');
    expect(postmaster).toBeDefined();
    await startBurst('FB');
    process.kill(postmaster!, 'SIGKILL');
    await stack.waitForPid('postgres -D', postmaster, 30_000);
    expect(stack.stdout).toMatch(/"name":"supervisor"[^\n]*"msg":"postgres exited with code 1/);
    const extra = await expectAllDelivered('FB');
    expect(extra, 'deliveries repeated by the kill').toBeLessThanOrEqual(DEFAULT_WORKER_TUNING.maxActivities);
    await expectEveryWorkflow('FB');
  }, 420_000);

  it('(c) the Temporal dev server killed with SIGKILL mid-burst comes back and the burst finishes', async () => {
    const server = stack.pidOf('start-dev');
    expect(server).toBeDefined();
    await startBurst('FC');
    process.kill(server!, 'SIGKILL');
    await stack.waitForPid('start-dev', server, 30_000);
    expect(stack.stdout).toMatch(/"name":"supervisor"[^\n]*"msg":"temporal exited with code 1/);
    expect(await expectAllDelivered('FC'), 'deliveries repeated').toBe(0);
    await expectEveryWorkflow('FC');
  }, 420_000);

  it(`(d) SMTP down for ${OUTAGE_SECONDS} s mid-burst: the letters wait and then go out once`, async () => {
    await startBurst('FD');
    await catcher!.stop();
    catcher = undefined;
    const during = await sentCount('FD');
    await sleep(OUTAGE_SECONDS * 1000);
    // Nothing can be sent while the relay is down (a few may have been in flight when it closed).
    expect(await sentCount('FD')).toBeLessThanOrEqual(during + DEFAULT_WORKER_TUNING.maxActivities);
    const health = await fetch(`${stack.apiUrl}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { checks: Record<string, string> }).checks.smtp).not.toBe('ok');
    catcher = await startSmtpCatcher(mailboxDb, smtpPort);
    expect(await expectAllDelivered('FD'), 'deliveries repeated').toBe(0);
    await expectEveryWorkflow('FD');
    expect(isAlive(stack.launcherPid()!)).toBe(true);
  }, 600_000);
});
