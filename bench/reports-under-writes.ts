/**
 * The reports while payments and letters are being written (issue 12): the cases of bench/reports.ts on
 * its data set (BENCH_DATA_DIR shares the database with it), first on a quiet database, then with two
 * writers running at a steady rate for the whole run:
 *   - payments through services/payments.ts (receivePayment in a transaction, as POST /api/v1/payments
 *     does: customer lock, payment, allocation to the named invoice, its balance, timeline, credit hold);
 *     ¥1 each on open invoices, so the data set stays what the quiet run measured;
 *   - letters through the letter activity itself (activities/letters.ts sendStepLetter: render, outbox
 *     row with the customer's page link, claim, mark sent with its timeline entry), to an SMTP transport
 *     that accepts at once.
 * The writers run in a child process of their own (as the API and worker would), so that rendering letters
 * does not hold up this process's event loop while it times the reports.
 * Prints the medians side by side (goal: within 2× of the quiet ones), the writers' latency alone and
 * under the reports, and every sample (every 20 ms) of a backend waiting for a heavyweight lock
 * (pg_stat_activity wait_event_type = 'Lock', and pg_locks not granted).
 *
 *   BENCH_DATA_DIR=/tmp/hk-bench npx tsx bench/reports-under-writes.ts
 *   BENCH_WRITES_PER_SECOND=20 BENCH_ONLY=aging …      (each writer's rate, default 10; some cases only)
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { MailSettings } from '../activities/letters';
import { sendStepLetter } from '../activities/letters';
import type { StepRequest } from '../activities/types';
import { migrateToLatest, type Db } from '../db/connect';
import type { Database } from '../db/schema';
import { localDateOf } from '../domain/dates';
import { DEFAULT_POLICY } from '../domain/policy';
import { inReportSnapshot } from '../read-models/reports/session';
import { receivePayment } from '../services/payments';
import { type Case, cases, median } from './reports';
import { TZ, generateAll, scratchDatabase } from './support/ar-data';

const RUNS = 3;
const RATE = Number(process.env.BENCH_WRITES_PER_SECOND ?? 10);
/** Writes of one kind in flight at most; past it a tick is skipped and counted. */
const MAX_IN_FLIGHT = 4;
const WRITERS_ALONE_MS = 10_000;
const WARM_UP_MS = 5_000;
const SAMPLE_EVERY_MS = 20;
const BENCH_ACTOR = { name: 'bench-writer', role: 'finance' as const };
const overdueStep = DEFAULT_POLICY.steps.find((s) => s.key === 'overdue_1')!;

function pool(url: string, applicationName: string, max: number): Db {
  const connections = new pg.Pool({ connectionString: url, max, application_name: applicationName });
  // An idle connection closed as PostgreSQL stops at the end is no failure of the bench.
  connections.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: connections }) });
}

const pct = (values: number[], p: number) =>
  values.length === 0
    ? NaN
    : [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

interface WriterStats {
  latencies: number[];
  failures: string[];
  skipped: number;
}

/** Writes at RATE per second, at most MAX_IN_FLIGHT at once, until stop() settles with what it measured. */
function startWriter(write: (n: number) => Promise<void>, counter: { n: number }): { stop(): Promise<WriterStats> } {
  const stats: WriterStats = { latencies: [], failures: [], skipped: 0 };
  const inFlight = new Set<Promise<void>>();
  const tick = setInterval(() => {
    if (inFlight.size >= MAX_IN_FLIGHT) {
      stats.skipped += 1;
      return;
    }
    const started = performance.now();
    const done: Promise<void> = write((counter.n += 1))
      .then(() => {
        stats.latencies.push(performance.now() - started);
      })
      .catch((error: unknown) => {
        stats.failures.push(String((error as Error)?.message ?? error));
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  }, 1000 / RATE);
  return {
    async stop() {
      clearInterval(tick);
      await Promise.all([...inFlight]);
      return stats;
    },
  };
}

/** Samples backends waiting for a lock, and ungranted locks, until stopped. */
function lockSampler(db: Db) {
  const waits: { at: number; application: string; waitEvent: string; query: string }[] = [];
  let samples = 0;
  let ungranted = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await sql<{ application_name: string; wait_event: string; query: string; ungranted: number }>`
        select a.application_name, a.wait_event, left(a.query, 120) as query,
          (select count(*)::int from pg_locks l where not l.granted) as ungranted
        from (select 1) one left join pg_stat_activity a
          on a.datname = current_database() and a.wait_event_type = 'Lock' and a.pid <> pg_backend_pid()`.execute(db);
      samples += 1;
      ungranted += rows[0]?.ungranted ?? 0;
      for (const row of rows)
        if (row.application_name !== null)
          waits.push({
            at: Date.now(),
            application: row.application_name,
            waitEvent: row.wait_event,
            query: row.query,
          });
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
    }
  })();
  return {
    waits,
    async stop() {
      running = false;
      await loop;
      return { samples, ungranted };
    },
  };
}

async function runCases(db: Db, list: Case[]): Promise<Map<string, number>> {
  const medians = new Map<string, number>();
  for (const c of list) {
    const times: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      await inReportSnapshot(db, (snapshot) => c.run(snapshot));
      times.push(performance.now() - started);
    }
    medians.set(c.name, median(times));
    process.stdout.write('.');
  }
  process.stdout.write('\n');
  return medians;
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function latencyLine(label: string, stats: WriterStats, seconds: number): string {
  const { latencies: l } = stats;
  return `| ${label} | ${l.length} (${(l.length / seconds).toFixed(1)}/s) | ${pct(l, 0.5).toFixed(1)} | ${pct(l, 0.95).toFixed(1)} | ${Math.max(...l).toFixed(1)} | ${stats.failures.length} |`;
}

type Phase = { payments: WriterStats; letters: WriterStats };
type FromWriters = { ready: { toPay: number; toRemind: number } } | { stopped: Phase };

/** The child process: prepares the writes, then writes between the parent's 'start' and 'stop'. */
async function writersProcess(url: string, today: string): Promise<void> {
  const writersDb = pool(url, 'bench-writers', 2 * MAX_IN_FLIGHT);
  const send = (message: FromWriters) => process.send!(message);
  try {
    // The generated payments carry their own ids: the sequence starts past them, as a real table's would be.
    await sql`select setval(pg_get_serial_sequence('payments', 'id'), (select max(id) from payments))`.execute(
      writersDb,
    );
    // Open invoices of two disjoint halves of the customers: payments to one, letters to the other, so
    // the two writers never queue behind each other's customer lock.
    const { rows: open } = await sql<{ no: string; customer_code: string; half: number }>`
      select no, customer_code, (right(customer_code, 1)::int % 2) as half from (
        select distinct on (customer_code) no, customer_code from invoices
        where status = 'open' and balance_minor > 100 and due_date < ${today}::date order by customer_code, no) o`.execute(
      writersDb,
    );
    const toPay = open.filter((i) => i.half === 0);
    const toRemind = open.filter((i) => i.half === 1);
    // The letters' customers need someone to write to (the bench data set has no contacts).
    await sql`
      insert into customer_contacts (customer_code, role, name, email)
      select c, r, '联系人', lower(c) || '.' || r || '@bench.test'
      from unnest(${toRemind.map((i) => i.customer_code)}::text[]) c, unnest(array['payment_owner', 'finance']) r
      where not exists (select 1 from customer_contacts x where x.customer_code = c and x.role = r)`.execute(writersDb);
    // A fresh occurrence per run: each run writes new letters, never finds last run's.
    const occurrence = Math.floor(Date.now() / 1000) % 1_000_000_000;
    const mail: MailSettings = {
      transport: { sendMail: async () => ({ accepted: ['bench'] }) } as unknown as MailSettings['transport'],
      from: 'AR <ar@huikuan.bench>',
      companyName: 'Huikuan bench',
      claimMs: 60_000,
    };
    const payment = async (n: number) => {
      const invoice = toPay[n % toPay.length];
      await writersDb.transaction().execute((trx) =>
        receivePayment(
          trx,
          {
            source: 'api',
            customerCode: invoice.customer_code,
            invoiceNo: invoice.no,
            amountMinor: 100,
            currency: 'CNY',
            reference: `bench-${occurrence}-${n}`,
            receivedOn: today,
          },
          BENCH_ACTOR,
          today,
        ),
      );
    };
    const letter = async (n: number) => {
      const invoice = toRemind[n % toRemind.length];
      const now = Date.now();
      const request: StepRequest = {
        invoiceNo: invoice.no,
        step: overdueStep,
        // past the number of customers, the same invoice gets a further occurrence
        occurrence: occurrence + Math.floor(n / toRemind.length),
        scheduledFor: now,
        decidedAt: now,
        paidToleranceMinor: 0,
        taskDueDays: 3,
        skippedSteps: [],
      };
      const { outcome } = await sendStepLetter(writersDb, mail, request);
      if (outcome !== 'sent') throw new Error(`letter ${invoice.no}: ${outcome}`);
    };

    const counters = { payment: { n: 0 }, letter: { n: 0 } };
    let running: { payments: ReturnType<typeof startWriter>; letters: ReturnType<typeof startWriter> } | undefined;
    const finished = new Promise<void>((resolve) => {
      process.on('message', (message: string) => {
        if (message === 'start')
          running = { payments: startWriter(payment, counters.payment), letters: startWriter(letter, counters.letter) };
        if (message === 'stop' && running) {
          const { payments, letters } = running;
          running = undefined;
          void Promise.all([payments.stop(), letters.stop()]).then(([p, l]) =>
            send({ stopped: { payments: p, letters: l } }),
          );
        }
        if (message === 'exit') resolve();
      });
    });
    send({ ready: { toPay: toPay.length, toRemind: toRemind.length } });
    await finished;
  } finally {
    await writersDb.destroy();
    process.disconnect();
  }
}

async function main(): Promise<void> {
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
  const today = localDateOf(Date.now(), TZ);
  const scratch = await scratchDatabase('bench_reports');
  const reportsDb = pool(scratch.url, 'bench-reports', 4);
  const monitorDb = pool(scratch.url, 'bench-monitor', 1);
  try {
    await migrateToLatest(monitorDb);
    const { rows: existing } = await sql<{ n: number }>`select count(*)::int as n from invoices`.execute(monitorDb);
    if (existing[0].n === 0) await generateAll(scratch.url, today);

    // The writers' process (this file again, with --writers), driven over IPC.
    const child = fork(__filename, ['--writers', scratch.url, today], { stdio: 'inherit' });
    const next = () =>
      new Promise<FromWriters>((resolve, reject) => {
        child.once('message', (message) => resolve(message as FromWriters));
        child.once('exit', (code) => reject(new Error(`the writers' process ended (${code})`)));
      });
    const ready = await next();
    if (!('ready' in ready)) throw new Error('the writers were not ready');
    const writeFor = async <T>(during: () => Promise<T>) => {
      const sampler = lockSampler(monitorDb);
      const started = performance.now();
      child.send('start');
      const result = await during();
      const stopped = next();
      child.send('stop');
      const phase = await stopped;
      const seconds = (performance.now() - started) / 1000;
      const locks = await sampler.stop();
      if (!('stopped' in phase)) throw new Error('the writers did not stop');
      return { result, phase: phase.stopped, seconds, locks, waits: sampler.waits };
    };

    const list = cases(today).filter((c) => c.name.includes(process.env.BENCH_ONLY ?? ''));
    console.log(
      `${os.cpus().length} cores; ${ready.ready.toPay} invoices to pay, ${ready.ready.toRemind} to remind; ${RATE} writes/s each; load ${load()}`,
    );

    console.log('quiet: the reports alone');
    const quiet = await runCases(reportsDb, list);
    console.log(`load ${load()}`);

    // Connections, plans and the letter templates warmed up first, not counted.
    await writeFor(() => new Promise((resolve) => setTimeout(resolve, WARM_UP_MS)));
    console.log(`the writers alone, ${WRITERS_ALONE_MS / 1000} s (after ${WARM_UP_MS / 1000} s of warm-up)`);
    const alone = await writeFor(() => new Promise((resolve) => setTimeout(resolve, WRITERS_ALONE_MS)));
    console.log(`load ${load()}`);

    console.log('the reports while the writers write');
    const busy = await writeFor(() => runCases(reportsDb, list));
    console.log(`load ${load()}`);
    // Its connections closed before PostgreSQL stops.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('exit');
    await exited;

    console.log(`\n| report | quiet, median of ${RUNS} | under writes | ratio (goal ≤ 2) |\n|---|---:|---:|---:|`);
    for (const c of list) {
      const q = quiet.get(c.name)!;
      const b = busy.result.get(c.name)!;
      console.log(`| ${c.name} | ${q.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(b / q).toFixed(2)} |`);
    }
    console.log('\n| writer | writes | p50 ms | p95 ms | max ms | failed |\n|---|---:|---:|---:|---:|---:|');
    console.log(latencyLine('payment, alone', alone.phase.payments, alone.seconds));
    console.log(latencyLine('payment, under the reports', busy.phase.payments, busy.seconds));
    console.log(latencyLine('letter, alone', alone.phase.letters, alone.seconds));
    console.log(latencyLine('letter, under the reports', busy.phase.letters, busy.seconds));
    const failures = [alone, busy].flatMap((p) => [...p.phase.payments.failures, ...p.phase.letters.failures]);
    const skipped = [alone, busy].map((p) => p.phase.payments.skipped + p.phase.letters.skipped);
    console.log(
      `\nfailed writes: ${failures.length}${failures
        .slice(0, 3)
        .map((f) => `\n  ${f}`)
        .join('')}; ticks skipped (${MAX_IN_FLIGHT} in flight): alone ${skipped[0]}, under the reports ${skipped[1]}`,
    );
    console.log(
      `lock waits: writers alone ${alone.waits.length} backend-samples in ${alone.locks.samples} samples (ungranted locks seen ${alone.locks.ungranted}); ` +
        `under the reports ${busy.waits.length} in ${busy.locks.samples} samples (ungranted locks seen ${busy.locks.ungranted})`,
    );
    for (const wait of [...alone.waits, ...busy.waits].slice(0, 10))
      console.log(`  ${wait.application} waited on ${wait.waitEvent}: ${wait.query}`);
  } finally {
    await Promise.all([reportsDb.destroy(), monitorDb.destroy()]);
    await scratch.stop();
  }
}

const writersAt = process.argv.indexOf('--writers');
if (writersAt >= 0) {
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
  writersProcess(process.argv[writersAt + 1], process.argv[writersAt + 2]).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
