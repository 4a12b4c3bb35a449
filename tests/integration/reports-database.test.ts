/**
 * Issue 12, reading at scale: the reports and their downloads read through REPORTS_DATABASE_URL's pool
 * when it is set (a read replica in production; here a second role on the same PostgreSQL), whose every
 * transaction is read-only; and My work's counts come from the database, not from the first 500 tasks.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/env';
import { connect, type Db } from '../../db/connect';
import { startApiServer } from '../../stack/processes';
import { ApiClient } from '../support/api-harness';
import { apiSuiteWithPeople } from '../support/scenario';

const suite = apiSuiteWithPeople();
const READER = `reports_reader_${process.pid}`;
const DAY_MS = 86_400_000;

let reportsDb: Db;
let server: http.Server;
/** The finance person's token against the API whose reports read through the reader's pool. */
let finance: ApiClient;

/** The URL of the test database as another role. */
function urlAs(url: string, role: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = password;
  return parsed.toString();
}

beforeAll(async () => {
  const { db, url } = suite.harness.database;
  const database = new URL(url).pathname.slice(1);
  // A role that may write, so that only the pool's read-only sessions can be what refuses a write.
  await sql.raw(`create role ${READER} login password 'reader-secret'`).execute(db);
  await sql.raw(`grant all on database ${database} to ${READER}`).execute(db);
  await sql.raw(`grant all on all tables in schema public to ${READER}`).execute(db);
  await sql.raw(`grant all on all sequences in schema public to ${READER}`).execute(db);
  reportsDb = connect(urlAs(url, READER, 'reader-secret'), 2, { readOnly: true });
  server = await startApiServer(
    {
      db,
      reportsDb,
      client: suite.harness.client,
      config: loadConfig({ TEMPORAL_TASK_QUEUE: suite.harness.taskQueue }),
      smtpUrl: suite.harness.smtp.url,
      mailboxEnabled: true,
    },
    0,
    '127.0.0.1',
  );
  finance = new ApiClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, suite.people.finance.token);
});

afterAll(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await reportsDb?.destroy();
  const admin = new pg.Client({ connectionString: suite.harness.database.url });
  await admin.connect();
  try {
    await admin.query(`drop owned by ${READER}`);
    await admin.query(`drop role ${READER}`);
  } finally {
    await admin.end();
  }
});

/** Who the reports' sessions are: the role of every backend that ran a report query. */
async function reportBackends(): Promise<string[]> {
  const { rows } = await sql<{ usename: string }>`
    select distinct usename from pg_stat_activity where datname = current_database() and usename = ${READER}`.execute(
    suite.harness.database.db,
  );
  return rows.map((r) => r.usename);
}

describe('REPORTS_DATABASE_URL', () => {
  it('reads every report and download through its own pool, where a write is refused', async () => {
    const { db } = suite.harness.database;
    await db
      .insertInto('customers')
      .values({ code: 'RDB', name: '报表客户', grade: 'A', credit_limit_minor: 100_000_000, currency: 'CNY' })
      .execute();
    for (const path of [
      '/api/v1/reports/aging',
      '/api/v1/reports/funnel',
      '/api/v1/reports/dso',
      '/api/v1/reports/forecast',
      '/api/v1/reports/final-accounts',
    ]) {
      const response = await finance.get(path);
      expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(200);
    }
    const csv = await fetch(`${finance.baseUrl}/api/v1/reports/aging?format=csv`, {
      headers: { authorization: `Bearer ${finance.token}` },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    // The reports' pool connected as the reader: the reports went through it.
    expect(await reportBackends()).toEqual([READER]);

    const { rows } = await sql<{ current_user: string; read_only: string }>`
      select current_user, current_setting('default_transaction_read_only') as read_only`.execute(reportsDb);
    expect(rows[0]).toEqual({ current_user: READER, read_only: 'on' });
    // The role may write (granted above); the pool's sessions refuse it all the same.
    const write = reportsDb
      .insertInto('customers')
      .values({ code: 'NOPE', name: 'x', grade: 'A', credit_limit_minor: 1, currency: 'CNY' })
      .execute();
    await expect(write).rejects.toMatchObject({ code: '25006' });
    await expect(
      reportsDb.transaction().execute((trx) => sql`delete from customers`.execute(trx)),
    ).rejects.toMatchObject({ code: '25006' });
    expect(await db.selectFrom('customers').select('code').where('code', '=', 'NOPE').execute()).toEqual([]);
    expect(await db.selectFrom('customers').select('code').where('code', '=', 'RDB').execute()).toEqual([
      { code: 'RDB' },
    ]);
  });

  it('is read-only from the configuration: the variable is validated, and unset the main pool serves', async () => {
    expect(() => loadConfig({ REPORTS_DATABASE_URL: 'mysql://x' })).toThrow(/REPORTS_DATABASE_URL/);
    expect(loadConfig({ REPORTS_DATABASE_URL: 'postgres://r:p@replica:5432/huikuan' }).REPORTS_DATABASE_URL).toBe(
      'postgres://r:p@replica:5432/huikuan',
    );
    // The harness's own API has no reports pool: its reports read through the main one.
    expect((await suite.people.finance.get('/api/v1/reports/funnel')).status).toBe(200);
  });
});

describe("My work's counts", () => {
  it('counts every open task of the person per kind and overdue in SQL, past the 500 the list shows', async () => {
    const { db } = suite.harness.database;
    const now = Date.now();
    const task = (n: number, kind: string, role: string, daysLate: number, status: 'open' | 'done' = 'open') => ({
      task_key: `count/${n}`,
      kind,
      step: 'reminder',
      occurrence: 1,
      contract_no: `HT-COUNT-${n % 7}`,
      owner_role: role,
      owner_name: null,
      title: `task ${n}`,
      status,
      due_at: new Date(now - daysLate * DAY_MS - n * 1000),
    });
    const rows = [];
    // finance: 620 collection tasks (250 overdue), 40 approvals (10 overdue), 30 done; sales: 100
    for (let n = 0; n < 620; n += 1) rows.push(task(n, 'collection', 'finance', n < 250 ? 5 : -3));
    for (let n = 620; n < 660; n += 1) rows.push(task(n, 'approval', 'finance', n < 630 ? 1 : -2));
    for (let n = 660; n < 690; n += 1) rows.push(task(n, 'collection', 'finance', 4, 'done'));
    for (let n = 690; n < 790; n += 1) rows.push(task(n, 'collection', 'sales', 2));
    // one of sales' tasks escalated to finance: finance's work too
    rows.push({ ...task(790, 'call', 'sales', 10), escalated_to: 'finance' });
    await db.insertInto('tasks').values(rows).execute();

    const listed = await suite.people.finance.get('/api/v1/tasks?mine=true');
    expect(listed.body).toHaveLength(500);
    const counts = await suite.people.finance.get('/api/v1/tasks/counts?mine=true');
    expect(counts.status).toBe(200);
    expect(counts.body).toEqual({
      total: 661,
      overdue: 261,
      // kinds in the order of their soonest task: the escalated call 10 days late, collections 5, approvals 1
      byKind: [
        { kind: 'call', count: 1, overdue: 1 },
        { kind: 'collection', count: 620, overdue: 250 },
        { kind: 'approval', count: 40, overdue: 10 },
      ],
    });
    // the same filters as the list
    expect((await suite.people.finance.get('/api/v1/tasks/counts?ownerRole=sales')).body.total).toBe(101);
    expect((await suite.people.finance.get('/api/v1/tasks/counts?status=done&mine=true')).body.total).toBe(30);
    const bad = await suite.people.finance.get('/api/v1/tasks/counts?mine=maybe');
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].field).toBe('mine');
  });
});
