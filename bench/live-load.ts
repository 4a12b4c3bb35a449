/**
 * Live workflows on one box: N live contracts and M open invoice collections asleep on their timers, on
 * the embedded stack `npm start` runs (PostgreSQL, the Temporal dev server, the worker and the API as
 * separate processes), then a simulated month-end where a fraction of them wake at the same instant.
 *
 *   npx tsx bench/live-load.ts [--contracts 20000] [--collections 60000] [--wake 0.1]
 *                              [--clients 16] [--trivial 2000] [--rest-seconds 120] [--cache <WORKER_CACHED_WORKFLOWS>]
 *
 * Phases, each timed with the load average:
 *   1. baseline: `--trivial` trivial workflow starts (bench/support/trivial-workflows.ts, one activity then
 *      a 30-day timer) with `--clients` starts in flight, on the same server;
 *   2. contracts, as production starts them: customers through the go-live import, then each contract
 *      registered through POST /api/v1/contracts (its workflow starts) and taken through approve, review,
 *      sign and split by the API, `--clients` at once. Each ends in Budget with two or three milestones:
 *      an advance ready on signing (its invoicing deadline timer, 2 working days), on every other contract
 *      a progress milestone due on a date 45 days ahead (a milestone timer), and a final one on acceptance;
 *   3. collections: M invoices due 30–89 days ahead imported through POST /api/v1/imports/historical in
 *      files of 10,000 (each open invoice's collection starts, 16 in flight: the import's default); their
 *      first step, the pre-due letter, is 20–79 days away;
 *   4. at rest: CPU of every process over `--rest-seconds`, RSS, PostgreSQL and Temporal database sizes,
 *      the worker's sticky cache; then GET /api/v1/contracts/:no over 16 keep-alive connections for 15 s;
 *   5. month-end: W = wake × (N + M) more invoices whose pre-due letter falls due at one instant a few
 *      minutes ahead: they are imported by the same importHistorical the API route calls, run in the bench
 *      process so that their send time (HH:MM, Asia/Shanghai) can be set to that instant once the load
 *      is known (the API's LETTER_SEND_TIME is fixed at its start); the instant is chosen after they are
 *      all started, asleep. From the instant to the W-th letter in the mailbox: drain time, letters/s,
 *      workflow tasks, CPU; then every one of them must have exactly one letter, sent and delivered once,
 *      and no sleeping collection may have sent anything (0 lost, 0 duplicated).
 */
import http from 'node:http';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { addDays, localDateOf, zonedInstant } from '../domain/dates';
import { importHistorical } from '../services/imports/historical';
import { freePort } from '../stack/ports';
import { pingWorkflow } from './support/trivial-workflows';
import {
  type BenchStack,
  HealthProbe,
  TASK_QUEUE,
  TRIVIAL_TASK_QUEUE,
  apiCall,
  cpuByPart,
  eachWithLimit,
  percentile,
  rssMiB,
  sleep,
  startBenchStack,
  runBench,
} from './support/stack';

const ZONE = 'Asia/Shanghai';
const PER_CUSTOMER = 10;
const IMPORT_CHUNK = 10_000;
const today = () => localDateOf(Date.now(), ZONE);
const cny = (value: string) => ({ value, currency: 'CNY' });
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

const TERMS = {
  deliverables: ['system'],
  acceptanceOwner: 'Li Wei',
  acceptanceCriteria: 'UAT report signed',
  invoicingDetails: 'VAT invoice',
  paymentSchedule: 'milestones',
  paymentOwner: 'Wang Fang',
  paymentMethod: 'bank transfer',
  lateInterestRatePercent: '18.25',
  penaltyClause: '0.05% a day',
};

function milestonesOf(i: number) {
  if (i % 2 === 0)
    return [
      { kind: 'advance', percent: '40', trigger: { type: 'on_signing' }, termDays: 30 },
      { kind: 'final', percent: '60', trigger: { type: 'on_acceptance' }, termDays: 30 },
    ];
  return [
    { kind: 'advance', percent: '30', trigger: { type: 'on_signing' }, termDays: 30 },
    { kind: 'progress', percent: '40', trigger: { type: 'on_date', date: addDays(today(), 45) }, termDays: 30 },
    { kind: 'final', percent: '30', trigger: { type: 'on_acceptance' }, termDays: 30 },
  ];
}

const TRANSITIONS: { action: string; to: string; role: 'finance' | 'sales'; body: (i: number) => unknown }[] = [
  {
    action: 'approve',
    to: 'SolutionReview',
    role: 'finance',
    body: () => ({ risk: { customerRisk: 1, projectRisk: 2, requirementRisk: 2 } }),
  },
  { action: 'review', to: 'ContractReview', role: 'sales', body: () => ({ estimatedCost: cny('60000.00') }) },
  { action: 'sign', to: 'Split', role: 'sales', body: () => ({ signedOn: addDays(today(), -1) }) },
  { action: 'split', to: 'Budget', role: 'finance', body: (i) => ({ milestones: milestonesOf(i) }) },
];

// ---------------------------------------------------------------------------------------------- helpers

/** A POST without the 300 s header timeout of fetch: a go-live file of 10,000 invoices answers once all are started. */
function postLong(url: string, token: string, body: unknown): Promise<{ status: number; body: any }> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': payload.length,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

function csv(header: string, rows: string[]) {
  return `${header}\n${rows.join('\n')}\n`;
}
const CUSTOMER_HEADER = 'code,name,credit_limit,currency,locale,time_zone,contact_name,contact_email';
const CONTRACT_HEADER = 'contract_no,customer_code,title,amount,currency,department,owner,signed_date';
const INVOICE_HEADER = 'invoice_no,contract_no,issue_date,due_date,amount,disputed';
const customerRow = (code: string) =>
  `${code},Live ${code} Ltd,1000000000.00,CNY,zh-CN,${ZONE},Pat Payer,ap@${code.toLowerCase()}.example`;

/** Go-live files: invoices `first … first+count-1` of prefix, ten per customer and contract, due on dueOf(i). */
function invoiceFiles(prefix: string, first: number, count: number, dueOf: (i: number) => string) {
  const customers: string[] = [];
  const contracts: string[] = [];
  const invoices: string[] = [];
  for (let i = first; i < first + count; i += 1) {
    const code = `${prefix}${String(Math.floor(i / PER_CUSTOMER)).padStart(6, '0')}`;
    if (i % PER_CUSTOMER === 0 || i === first) {
      customers.push(customerRow(code));
      contracts.push(`${code}-HT,${code},Live contract,10000000.00,CNY,Sales,Sally Sales,${addDays(today(), -60)}`);
    }
    invoices.push(`${prefix}-INV-${i},${code}-HT,${addDays(today(), -10)},${dueOf(i)},1000.00,no`);
  }
  return {
    customers: { fileName: 'customers.csv', content: csv(CUSTOMER_HEADER, customers) },
    contracts: { fileName: 'contracts.csv', content: csv(CONTRACT_HEADER, contracts) },
    invoices: { fileName: 'invoices.csv', content: csv(INVOICE_HEADER, invoices) },
  };
}

/** The worker's Prometheus metrics (the Temporal SDK's), summed over labels. */
async function workerMetrics(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sums: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    sums[match[1]] = (sums[match[1]] ?? 0) + Number(match[3]);
  }
  return sums;
}
const metric = (m: Record<string, number>, name: string | RegExp) =>
  typeof name === 'string'
    ? (m[name] ?? 0)
    : Object.entries(m)
        .filter(([k]) => name.test(k))
        .reduce((sum, [, v]) => sum + v, 0);
const WFT = /^temporal_workflow_task_execution_latency(_seconds)?_count$/;
const CACHE = 'temporal_sticky_cache_size';
const EVICTED = 'temporal_sticky_cache_total_forced_eviction';

/** The workflow task queue's backlog: workflow tasks scheduled that no worker has taken yet (sticky queues excluded). */
async function workflowBacklog(
  stack: BenchStack,
): Promise<{ count: number; ageSeconds: number; addRate: number; dispatchRate: number }> {
  const response = await stack.client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: TASK_QUEUE },
    taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    reportStats: true,
  });
  const stats = response.stats;
  return {
    count: Number(stats?.approximateBacklogCount ?? 0),
    ageSeconds: Number(stats?.approximateBacklogAge?.seconds ?? 0),
    addRate: stats?.tasksAddRate ?? 0,
    dispatchRate: stats?.tasksDispatchRate ?? 0,
  };
}

/**
 * Waits (at most 20 minutes) until the workflow task queue's backlog is empty, logging it every 30 s: a start is
 * accepted long before the workflow's first task runs, and an update to a workflow waits for that first task.
 * Returns the seconds waited.
 */
async function untilBacklogEmpty(stack: BenchStack, metricsPort: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const backlog = await workflowBacklog(stack);
    log(
      `  workflow task backlog ${backlog.count} (oldest ${backlog.ageSeconds} s; added ${backlog.addRate.toFixed(1)}/s, dispatched ${backlog.dispatchRate.toFixed(1)}/s); worker sticky cache ${metric(await workerMetrics(metricsPort), CACHE)}; load ${load()}`,
    );
    if (backlog.count === 0 || performance.now() - started > 20 * 60_000) break;
    await sleep(30_000);
  }
  return (performance.now() - started) / 1000;
}

interface Cpu {
  parts: Record<string, number>;
  at: number;
}
const cpuNow = (stack: BenchStack): Cpu => ({ parts: cpuByPart(stack), at: performance.now() });
function cpuLine(before: Cpu, after: Cpu, percent = false): string {
  const seconds = (after.at - before.at) / 1000;
  return Object.entries(after.parts)
    .filter(([part]) => part !== 'trivial worker')
    .map(([part, s]) => {
      const used = s - before.parts[part];
      return percent ? `${part} ${((100 * used) / seconds).toFixed(1)}%` : `${part} ${used.toFixed(1)} s`;
    })
    .join(', ');
}

function rssOf(stack: BenchStack) {
  return {
    worker: rssMiB(stack.pids.worker),
    temporal: rssMiB(stack.pids.temporal),
    api: rssMiB(stack.pids.api),
  };
}
const rssLine = (r: ReturnType<typeof rssOf>) =>
  `worker ${r.worker.toFixed(0)} MiB, Temporal dev server ${r.temporal.toFixed(0)} MiB, API ${r.api.toFixed(0)} MiB`;

/** PostgreSQL's resident memory: the postmaster and its backends (shared buffers counted once per process that touched them). */
function postgresRss(pid: number): number {
  let total = rssMiB(pid);
  for (const entry of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const ppid = Number(fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (ppid === pid) total += rssMiB(Number(entry));
    } catch {
      /* gone */
    }
  }
  return total;
}

// ----------------------------------------------------------------------------------------------- phases

async function everyDayCalendar(stack: BenchStack): Promise<void> {
  const saved = await apiCall(stack.apiUrl, stack.tokens.admin, 'PUT', '/api/v1/calendars/cn-mainland', {
    id: 'cn-mainland',
    name: 'every day (bench)',
    weekendDays: [],
    holidays: [],
    makeUpWorkdays: [],
  });
  if (saved.status !== 200) throw new Error(`calendar: ${JSON.stringify(saved.body)}`);
}

async function trivialStarts(stack: BenchStack, n: number, clients: number) {
  const started = performance.now();
  await eachWithLimit(
    Array.from({ length: n }, (_, i) => i),
    clients,
    async (i) => {
      await stack.client.workflow.start(pingWorkflow, { workflowId: `live-ping-${i}`, taskQueue: TRIVIAL_TASK_QUEUE });
    },
  );
  return n / ((performance.now() - started) / 1000);
}

async function expect(call: Promise<{ status: number; body: any }>, status: number, what: string) {
  const response = await call;
  if (response.status !== status)
    throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body).slice(0, 400)}`);
  return response;
}

async function contracts(stack: BenchStack, n: number, clients: number, metricsPort: number) {
  const customers = Math.ceil(n / PER_CUSTOMER);
  const codes = Array.from({ length: customers }, (_, c) => `LC${String(c).padStart(6, '0')}`);
  for (let i = 0; i < codes.length; i += IMPORT_CHUNK) {
    await expect(
      postLong(`${stack.apiUrl}/api/v1/imports/historical`, stack.tokens.finance, {
        customers: {
          fileName: 'customers.csv',
          content: csv(CUSTOMER_HEADER, codes.slice(i, i + IMPORT_CHUNK).map(customerRow)),
        },
      }),
      201,
      'contract customers',
    );
  }
  const nos = Array.from({ length: n }, (_, i) => i);
  const no = (i: number) => `LHT${String(i).padStart(7, '0')}`;
  let done = 0;
  const progress = setInterval(() => log(`  … ${done} of ${n}`), 30_000);
  const t0 = performance.now();
  await eachWithLimit(nos, clients, async (i) => {
    await expect(
      apiCall(stack.apiUrl, stack.tokens.sales, 'POST', '/api/v1/contracts', {
        no: no(i),
        customerCode: codes[Math.floor(i / PER_CUSTOMER)],
        title: 'Live load',
        amount: cny('100000.00'),
        paymentTermsType: 'credit_terms',
        terms: TERMS,
      }),
      201,
      `register ${no(i)}`,
    );
    done += 1;
  });
  const registered = performance.now();
  log(`registered ${n} contracts in ${((registered - t0) / 1000).toFixed(0)} s, load ${load()}`);
  // The transitions wait for each contract's first workflow task; on a starved box those queue up.
  const firstTasksDrained = await untilBacklogEmpty(stack, metricsPort);
  log(`their first workflow tasks drained ${firstTasksDrained.toFixed(0)} s after the last registration`);
  const transitionsFrom = performance.now();
  done = 0;
  const latencies: number[] = [];
  let timedOut = 0;
  let appliedAfterTimeout = 0;
  await eachWithLimit(nos, clients, async (i) => {
    for (const t of TRANSITIONS) {
      // A 503 is the API's 15 s deadline on the update: like a person, look at the contract and try again
      // unless the transition went through after all.
      for (let attempt = 1; ; attempt += 1) {
        const started = performance.now();
        const response = await apiCall(
          stack.apiUrl,
          stack.tokens[t.role],
          'POST',
          `/api/v1/contracts/${no(i)}/${t.action}`,
          t.body(i),
        );
        latencies.push(performance.now() - started);
        if (response.status === 200) break;
        const late = attempt > 1 && response.status === 409 && response.body?.details?.[0]?.code === 'wrong_stage';
        if (late) {
          // The update that timed out was applied meanwhile.
          appliedAfterTimeout += 1;
          break;
        }
        if (response.status !== 503 || attempt >= 10)
          throw new Error(`${t.action} ${no(i)}: ${response.status} ${JSON.stringify(response.body).slice(0, 400)}`);
        timedOut += 1;
        const view = await expect(
          apiCall(stack.apiUrl, stack.tokens.sales, 'GET', `/api/v1/contracts/${no(i)}`),
          200,
          'view',
        );
        if (view.body.stage === t.to) {
          appliedAfterTimeout += 1;
          break;
        }
      }
    }
    done += 1;
  });
  const sorted = latencies.sort((a, b) => a - b);
  clearInterval(progress);
  const split = performance.now();
  return {
    registrationsPerSecond: n / ((registered - t0) / 1000),
    transitionsPerSecond: (n * TRANSITIONS.length) / ((split - transitionsFrom) / 1000),
    firstTasksDrained,
    seconds: (split - t0) / 1000,
    milestones: Math.ceil(n / 2) * 2 + Math.floor(n / 2) * 3,
    transitionP50: percentile(sorted, 50),
    transitionP95: percentile(sorted, 95),
    transitionMax: sorted.at(-1) ?? 0,
    timedOut,
    appliedAfterTimeout,
  };
}

async function sleepingCollections(stack: BenchStack, m: number) {
  let started = 0;
  let startMs = 0;
  const t0 = performance.now();
  for (let first = 0; first < m; first += IMPORT_CHUNK) {
    const count = Math.min(IMPORT_CHUNK, m - first);
    const response = await expect(
      postLong(
        `${stack.apiUrl}/api/v1/imports/historical`,
        stack.tokens.finance,
        invoiceFiles('S', first, count, (i) => addDays(today(), 30 + (i % 60))),
      ),
      201,
      'collections import',
    );
    const report = response.body;
    if (report.collections.failed.length > 0)
      throw new Error(`failed starts: ${JSON.stringify(report.collections.failed.slice(0, 3))}`);
    started += report.collections.started;
    startMs += report.durationMs.collections;
    log(
      `  … ${first + count} of ${m} imported; this file: ${report.collections.started} started in ${(report.durationMs.collections / 1000).toFixed(0)} s (${((1000 * report.collections.started) / report.durationMs.collections).toFixed(1)}/s), load ${load()}`,
    );
  }
  return { started, startsPerSecond: (1000 * started) / startMs, seconds: (performance.now() - t0) / 1000 };
}

async function sizes(stack: BenchStack, dataDir: string) {
  await sql`analyze`.execute(stack.db);
  const database = await sql<{ bytes: string }>`select pg_database_size(current_database())::text as bytes`.execute(
    stack.db,
  );
  const tables = await sql<{ name: string; bytes: string; rows: string }>`
    select c.relname as name, pg_total_relation_size(c.oid)::text as bytes, c.reltuples::bigint::text as rows
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r'
    order by pg_total_relation_size(c.oid) desc limit 8`.execute(stack.db);
  const temporalBytes = fs
    .readdirSync(dataDir)
    .filter((f) => f.startsWith('temporal.db'))
    .reduce((sum, f) => sum + fs.statSync(path.join(dataDir, f)).size, 0);
  return {
    postgresMiB: Number(database.rows[0].bytes) / 2 ** 20,
    tables: tables.rows.map((t) => `${t.name} ${(Number(t.bytes) / 2 ** 20).toFixed(1)} MiB (${t.rows} rows)`),
    temporalMiB: temporalBytes / 2 ** 20,
  };
}

/** GET /api/v1/contracts/:no over `connections` keep-alive connections for `seconds`: requests/s and latency. */
async function apiRequestsPerSecond(stack: BenchStack, contractNos: string[], connections: number, seconds: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let failed = 0;
  const until = performance.now() + seconds * 1000;
  const get = (url: string) =>
    new Promise<number>((resolve, reject) => {
      http
        .get(url, { agent, headers: { authorization: `Bearer ${stack.tokens.sales}` } }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        })
        .on('error', reject);
    });
  const before = cpuNow(stack);
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      for (let k = c; performance.now() < until; k += connections) {
        const t = performance.now();
        const status = await get(`${stack.apiUrl}/api/v1/contracts/${contractNos[k % contractNos.length]}`);
        latencies.push(performance.now() - t);
        if (status !== 200) failed += 1;
      }
    }),
  );
  const after = cpuNow(stack);
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    failed,
    cpu: cpuLine(before, after, true),
  };
}

/** Counts of the wake set's letters: in the outbox (`letters`), sent, and in the catcher's mailbox by Message-ID. */
async function wakeCounts(stack: BenchStack) {
  const row = await sql<{ outbox: number; sent: number; delivered: number; deliveries: number }>`
    select count(*)::int as outbox,
           count(*) filter (where l.status = 'sent')::int as sent,
           count(m.message_id)::int as delivered,
           coalesce(sum(m.deliveries), 0)::int as deliveries
    from letters l left join mailbox m on m.message_id = l.message_id`.execute(stack.db);
  return row.rows[0];
}

async function monthEnd(stack: BenchStack, w: number, startsPerSecond: number, metricsPort: number) {
  // The instant: after the wake set is started (at the rate measured above, with a margin) and a minute of rest.
  const importSeconds = 30 + (1.6 * w) / Math.max(startsPerSecond, 5);
  const wakeAt = Math.ceil((Date.now() + (importSeconds + 90) * 1000) / 60_000) * 60_000;
  const wakeDate = localDateOf(wakeAt, ZONE);
  const hhmm = new Date(wakeAt).toLocaleTimeString('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit' });
  if (zonedInstant(wakeDate, hhmm, ZONE) !== wakeAt) throw new Error(`send time ${hhmm} is not the instant`);
  log(`month-end: ${w} collections whose pre-due letter is due at ${new Date(wakeAt).toISOString()} (${hhmm} ${ZONE})`);
  const files = invoiceFiles('W', 0, w, () => addDays(wakeDate, 10)); // pre-due for 'final' is 10 days before
  const toInput = (f: { fileName: string; content: string }) => ({
    fileName: f.fileName,
    bytes: Buffer.from(f.content),
  });
  const t0 = performance.now();
  const report = await importHistorical(
    stack.db,
    { customers: toInput(files.customers), contracts: toInput(files.contracts), invoices: toInput(files.invoices) },
    { name: 'live-load bench', role: 'finance' },
    {
      timeZone: ZONE,
      collections: { temporal: stack.client, taskQueue: TASK_QUEUE, sendTime: hhmm as `${number}:${number}` },
    },
  );
  if (report.status !== 'imported' || report.collections?.started !== w)
    throw new Error(`wake import: ${report.status}, ${JSON.stringify(report.collections).slice(0, 300)}`);
  log(
    `  wake set started in ${((performance.now() - t0) / 1000).toFixed(0)} s (${((1000 * w) / report.durationMs.collections!).toFixed(1)}/s), ${((wakeAt - Date.now()) / 1000).toFixed(0)} s before the instant, load ${load()}`,
  );
  if (Date.now() > wakeAt - 10_000) throw new Error('the wake set was not all started 10 s before its instant');
  const beforeLetters = await wakeCounts(stack);
  while (Date.now() < wakeAt - 2_000) await sleep(200);
  const backlogAtWake = await workflowBacklog(stack);
  log(`  at the instant: workflow task backlog ${backlogAtWake.count} (oldest ${backlogAtWake.ageSeconds} s)`);
  const health = new HealthProbe(stack.apiUrl);
  const cpuBefore = cpuNow(stack);
  const metricsBefore = await workerMetrics(metricsPort);
  let peakWorker = 0;
  let first = 0;
  let counts = await wakeCounts(stack);
  while (counts.delivered < w) {
    if (performance.now() - cpuBefore.at > 30 * 60_000)
      throw new Error(`only ${counts.delivered} of ${w} after 30 min`);
    await sleep(250);
    peakWorker = Math.max(peakWorker, rssMiB(stack.pids.worker));
    counts = await wakeCounts(stack);
    if (!first && counts.delivered > 0) first = Date.now();
  }
  const last = Date.now();
  const cpuAfter = cpuNow(stack);
  const metricsAfter = await workerMetrics(metricsPort);
  await sleep(5_000); // a duplicate would arrive right behind
  const probe = await health.stop();
  const audit = await sql<{
    invoices: number;
    letters: number;
    sent_once: number;
    sleepers: number;
    extra_deliveries: number;
  }>`
    select (select count(*)::int from invoices where no like 'W-INV-%') as invoices,
           (select count(*)::int from letters where invoice_no like 'W-INV-%') as letters,
           (select count(distinct l.invoice_no)::int from letters l join mailbox m on m.message_id = l.message_id
             where l.invoice_no like 'W-INV-%' and l.status = 'sent') as sent_once,
           (select count(*)::int from letters where invoice_no not like 'W-INV-%') as sleepers,
           (select coalesce(sum(deliveries - 1), 0)::int from mailbox) as extra_deliveries`.execute(stack.db);
  const a = audit.rows[0];
  const drainSeconds = (last - wakeAt) / 1000;
  const tasks = metric(metricsAfter, WFT) - metric(metricsBefore, WFT);
  const workerCpu = cpuAfter.parts.worker - cpuBefore.parts.worker;
  return {
    w,
    lettersBefore: beforeLetters.outbox,
    firstAfterSeconds: (first - wakeAt) / 1000,
    drainSeconds,
    lettersPerSecond: w / drainSeconds,
    workflowTasks: tasks,
    tasksPerWorkerCpuSecond: tasks / workerCpu,
    lettersPerWorkerCpuSecond: w / workerCpu,
    evicted: metric(metricsAfter, EVICTED) - metric(metricsBefore, EVICTED),
    cpu: cpuLine(cpuBefore, cpuAfter),
    cpuPercent: cpuLine(cpuBefore, cpuAfter, true),
    peakWorker,
    lost: a.invoices - a.sent_once,
    duplicated: a.letters - a.invoices + a.extra_deliveries,
    sleepersSent: a.sleepers,
    probe,
    load: load(),
  };
}

// ------------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      contracts: { type: 'string', default: '20000' },
      collections: { type: 'string', default: '60000' },
      wake: { type: 'string', default: '0.1' },
      clients: { type: 'string', default: '16' },
      trivial: { type: 'string', default: '2000' },
      'rest-seconds': { type: 'string', default: '120' },
      cache: { type: 'string' },
    },
  });
  const n = Number(values.contracts);
  const m = Number(values.collections);
  const clients = Number(values.clients);
  const w = Math.round(Number(values.wake) * (n + m));
  const restSeconds = Number(values['rest-seconds']);
  const metricsPort = await freePort();
  const env: NodeJS.ProcessEnv = { WORKER_METRICS_PORT: String(metricsPort) };
  if (values.cache) env.WORKER_CACHED_WORKFLOWS = values.cache;
  log(
    `N ${n} contracts, M ${m} collections, W ${w} waking; ${os.cpus().length} × ${os.cpus()[0].model}; load ${load()}`,
  );
  const stack = await startBenchStack(env);
  // Stopped early (kill <pid>): stop the stack's processes and remove its folder all the same.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void stack.stop().finally(() => process.exit(130)));
  try {
    const temporalDir = findTemporalDir(stack.pids.temporal);
    const idle = { rss: rssOf(stack), pg: postgresRss(stack.pids.postgres) };
    log(`idle stack: ${rssLine(idle.rss)}, PostgreSQL ${idle.pg.toFixed(0)} MiB; load ${load()}`);
    await everyDayCalendar(stack);

    const trivial = await trivialStarts(stack, Number(values.trivial), clients);
    log(`baseline: ${trivial.toFixed(1)} trivial starts/s (${clients} in flight), load ${load()}`);

    const cpu0 = cpuNow(stack);
    const c = n > 0 ? await contracts(stack, n, clients, metricsPort) : undefined;
    const cpu1 = cpuNow(stack);
    if (c)
      log(
        `contracts: ${c.registrationsPerSecond.toFixed(1)} registrations/s, ${c.transitionsPerSecond.toFixed(1)} transitions/s (p50 ${c.transitionP50.toFixed(0)} / p95 ${c.transitionP95.toFixed(0)} / max ${c.transitionMax.toFixed(0)} ms; ${c.timedOut} answered 503 after the 15 s deadline, ${c.appliedAfterTimeout} of them applied anyway), ${c.milestones} milestones, ${c.seconds.toFixed(0)} s; CPU ${cpuLine(cpu0, cpu1)}; load ${load()}`,
      );
    const s = m > 0 ? await sleepingCollections(stack, m) : { started: 0, startsPerSecond: 0, seconds: 0 };
    const cpu2 = cpuNow(stack);
    log(
      `collections: ${s.started} started, ${s.startsPerSecond.toFixed(1)}/s, ${s.seconds.toFixed(0)} s; CPU ${cpuLine(cpu1, cpu2)}; load ${load()}`,
    );

    // "Started" means Temporal accepted the start; each workflow's first task (its first decision and timer)
    // may still wait in the task queue. At rest begins once that backlog is empty (at most 20 minutes).
    const drained = await untilBacklogEmpty(stack, metricsPort);
    log(`backlog drained ${drained.toFixed(0)} s after the last start; settling 60 s, then at rest…`);
    await sleep(60_000);
    const restBefore = cpuNow(stack);
    await sleep(restSeconds * 1000);
    const restAfter = cpuNow(stack);
    const rest = { rss: rssOf(stack), pg: postgresRss(stack.pids.postgres) };
    const size = await sizes(stack, temporalDir);
    const restMetrics = await workerMetrics(metricsPort);
    const cached = metric(restMetrics, CACHE);
    log(
      `worker metrics: ${Object.keys(restMetrics)
        .filter((k) => /workflow_task|sticky|slots/.test(k))
        .join(' ')}`,
    );
    log(`at rest over ${restSeconds} s: CPU ${cpuLine(restBefore, restAfter, true)}; load ${load()}`);
    log(
      `at rest: ${rssLine(rest.rss)}, PostgreSQL processes ${rest.pg.toFixed(0)} MiB; worker sticky cache ${cached} workflows`,
    );
    log(
      `sizes: PostgreSQL database ${size.postgresMiB.toFixed(0)} MiB (${size.tables.join('; ')}); Temporal dev server database ${size.temporalMiB.toFixed(0)} MiB`,
    );

    const sample = Array.from({ length: Math.min(n, 2_000) }, (_, i) => `LHT${String(i).padStart(7, '0')}`);
    const api = n > 0 ? await apiRequestsPerSecond(stack, sample, 16, 15) : undefined;
    if (api)
      log(
        `API: GET /api/v1/contracts/:no, 16 keep-alive connections, 15 s: ${api.perSecond.toFixed(0)} requests/s, p50 ${api.p50.toFixed(1)} / p99 ${api.p99.toFixed(1)} ms, ${api.failed} non-200; CPU ${api.cpu}; load ${load()}`,
      );

    const e = w > 0 ? await monthEnd(stack, w, s.startsPerSecond || trivial, metricsPort) : undefined;
    if (e) {
      log(
        `month-end: ${e.w} letters due at one instant; first after ${e.firstAfterSeconds.toFixed(1)} s, all in ${e.drainSeconds.toFixed(1)} s: ${e.lettersPerSecond.toFixed(1)} letters/s`,
      );
      log(
        `  workflow tasks ${e.workflowTasks} (${e.tasksPerWorkerCpuSecond.toFixed(1)} per worker CPU second; ${e.lettersPerWorkerCpuSecond.toFixed(1)} letters per worker CPU second); cache evictions ${e.evicted}`,
      );
      log(`  CPU ${e.cpu} (${e.cpuPercent}); worker peak RSS ${e.peakWorker.toFixed(0)} MiB`);
      log(
        `  lost ${e.lost}, duplicated ${e.duplicated}, letters from sleeping collections ${e.sleepersSent} (before the instant: ${e.lettersBefore}); /healthz max ${e.probe.maxMs.toFixed(0)} / p99 ${e.probe.p99Ms.toFixed(0)} ms over ${e.probe.samples}, ${e.probe.failures} failed; load ${e.load}`,
      );
    }
    const final = await sizes(stack, temporalDir);
    log(
      `end: PostgreSQL ${final.postgresMiB.toFixed(0)} MiB, Temporal ${final.temporalMiB.toFixed(0)} MiB, ${rssLine(rssOf(stack))}; load ${load()}`,
    );
  } finally {
    await stack.stop();
  }
}

/** The stack's temporary folder: where the dev server keeps temporal.db (its command line names it). */
function findTemporalDir(pid: number): string {
  const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return path.dirname(args[args.indexOf('--db-filename') + 1]);
}

runBench(main);
