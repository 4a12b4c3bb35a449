/**
 * The console's list pages at 1,000,000 invoices, 200,000 contracts, 5,000 customers (bench/support/ar-data.ts)
 * plus 100,000 open tasks: each page requested over HTTP with a signed-in session cookie, as a browser
 * would, through the whole stack of the page (session, route, role check, read model, view). Median of 5
 * after one warm-up. Goal (issue 10): every list page under 300 ms server time.
 *   npx tsx bench/console-pages.ts       (BENCH_DATA_DIR keeps the generated database between runs)
 *   BENCH_PAGES=/,/customers npx tsx bench/console-pages.ts     (only these pages)
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createApp } from '../api/app';
import { SESSION_COOKIE } from '../api/auth';
import { migrateToLatest, type Db } from '../db/connect';
import type { Database } from '../db/schema';
import { localDateOf } from '../domain/dates';
import { setPassword, signIn } from '../services/sessions';
import { createLogger } from '../stack/logger';
import { freePort } from '../stack/ports';
import { CONTRACTS, INVOICES, TZ, generateAll, scratchDatabase } from './support/ar-data';

const RUNS = 5;
const TASKS = 100_000;
const PASSWORD = 'bench-password-2026';
const PEOPLE = [
  { name: 'bench-admin', role: 'admin' },
  { name: 'bench-finance', role: 'finance' },
  { name: 'bench-sales', role: 'sales' },
  { name: 'bench-executive', role: 'executive' },
] as const;

/** The pages measured, as whom. */
const PAGES: { path: string; as: (typeof PEOPLE)[number]['name'] }[] = [
  { path: '/', as: 'bench-finance' },
  { path: '/', as: 'bench-sales' },
  { path: '/contracts', as: 'bench-sales' },
  { path: '/contracts?q=HT0123', as: 'bench-sales' },
  { path: '/contracts?q=客户42', as: 'bench-sales' },
  { path: '/contracts?stage=Delivery,Acceptance&sort=-amount', as: 'bench-sales' },
  { path: '/contracts?owner=owner07&department=华东', as: 'bench-sales' },
  { path: '/contracts?customer=C000042', as: 'bench-sales' },
  { path: '/contracts/board', as: 'bench-sales' },
  { path: '/contracts/HT0100000', as: 'bench-sales' },
  { path: '/finance', as: 'bench-finance' },
  { path: '/customers', as: 'bench-finance' },
  { path: '/customers?q=客户12', as: 'bench-finance' },
  { path: '/customers?sort=-exposure', as: 'bench-finance' },
  { path: '/customers/C000042', as: 'bench-finance' },
  { path: '/invoices/INV00500000', as: 'bench-finance' },
  { path: '/policies', as: 'bench-finance' },
  { path: '/admin/people', as: 'bench-admin' },
  { path: '/dashboard', as: 'bench-executive' },
  ...['aging', 'trend', 'forecast', 'funnel', 'onTime', 'disputes'].map((only) => ({
    path: `/dashboard?only=${only}`,
    as: 'bench-executive' as const,
  })),
];

async function addPeopleAndTasks(db: Db, today: string): Promise<void> {
  for (const person of PEOPLE)
    await db
      .insertInto('people')
      .values({ name: person.name, role: person.role })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  const { count } = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  if (Number(count) > 0) return;
  await sql
    .raw(
      `insert into tasks (task_key, kind, step, occurrence, invoice_no, contract_no, owner_role, owner_name, title, status, due_at)
      select 'bench/' || n, case when n % 20 = 0 then 'approval' else 'collection' end, 'reminder_' || (n % 5), 1,
        'INV' || lpad((1 + (n * 9) % ${INVOICES})::text, 8, '0'), 'HT' || lpad((1 + n % ${CONTRACTS})::text, 7, '0'),
        (array['sales','finance','delivery','executive'])[1 + n % 4], case when n % 3 = 0 then null else 'owner' || lpad((n % 60)::text, 2, '0') end,
        '催收 ' || n, case when n % 4 = 0 then 'done' else 'open' end,
        (date '${today}' + (n % 60 - 30))::timestamp at time zone '${TZ}'
      from generate_series(1, ${TASKS}) n`,
    )
    .execute(db);
  await sql`analyze tasks`.execute(db);
}

async function cookieFor(db: Db, name: string): Promise<string> {
  const person = await db.selectFrom('people').select('id').where('name', '=', name).executeTakeFirstOrThrow();
  await setPassword(db, person.id, PASSWORD);
  const signedIn = await signIn(db, name, PASSWORD);
  return `${SESSION_COOKIE}=${signedIn.sessionSecret}`;
}

async function timePage(baseUrl: string, path: string, cookie: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}${path}`, { headers: { cookie }, redirect: 'manual' });
  await response.text();
  return { status: response.status, ms: performance.now() - started };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  const today = localDateOf(Date.now(), TZ);
  const scratch = await scratchDatabase('bench_console');
  const db: Db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url, max: 10 }) }),
  });
  // List pages do not reach Temporal; a client of a port nobody listens on proves it.
  const temporal = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) });
  let server: http.Server | undefined;
  try {
    await migrateToLatest(db);
    const { count } = await db
      .selectFrom('invoices')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    if (Number(count) === 0) await generateAll(scratch.url, today);
    await addPeopleAndTasks(db, today);
    const app = createApp({
      db,
      temporal,
      taskQueue: 'bench',
      defaultTimeZone: TZ,
      letterSendTime: '09:00',
      mailboxEnabled: false,
      health: [],
      // A line per request would drown the table; the bench measures, it does not log.
      requestLogger: createLogger({ level: 'warn' }),
    });
    server = await new Promise<http.Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cookies = new Map<string, string>();
    for (const person of PEOPLE) cookies.set(person.name, await cookieFor(db, person.name));

    console.log(
      `${os.cpus().length} cores, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(`\n| page | as | status | median of ${RUNS} | max |\n|---|---|---:|---:|---:|`);
    // BENCH_ONLY: pages whose path contains it; BENCH_PAGES: these paths exactly, comma-separated (`/` alone is My work).
    const exactly = process.env.BENCH_PAGES?.split(',');
    const pages = PAGES.filter((p) =>
      exactly ? exactly.includes(p.path) : p.path.includes(process.env.BENCH_ONLY ?? ''),
    );
    for (const page of pages) {
      const cookie = cookies.get(page.as)!;
      await timePage(baseUrl, page.path, cookie);
      const runs = [];
      for (let run = 0; run < RUNS; run++) runs.push(await timePage(baseUrl, page.path, cookie));
      const times = runs.map((r) => r.ms);
      console.log(
        `| ${page.path} | ${page.as} | ${runs[0].status} | ${median(times).toFixed(0)} ms | ${Math.max(...times).toFixed(0)} ms |`,
      );
    }
    console.log(
      `load after: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await db.destroy();
    await scratch.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
