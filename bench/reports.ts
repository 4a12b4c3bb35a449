/**
 * Benchmark of the AR reports at a million invoices.
 *
 *   npx tsx bench/reports.ts            # an embedded PostgreSQL in a temporary folder
 *   DATABASE_URL=postgres://… npx tsx bench/reports.ts   # a scratch database created on that server
 *   BENCH_DATA_DIR=/tmp/hk-bench npx tsx bench/reports.ts  # keep the embedded database: later runs skip generating
 *   BENCH_ONLY=aging BENCH_PLAN=1 …     # only the cases whose name contains "aging", printing their full plans
 *
 * Generates (generate_series SQL) 5,000 customers, 200,000 contracts with their stage timeline,
 * 1,000,000 invoices over three years, payments and allocations for most of them (some reversed,
 * some partial), disputes and promises; then runs every report a few times through the same
 * functions the API calls, printing the median time and an EXPLAIN ANALYZE summary of each query.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { type AgingGroup, agingReport } from '../read-models/reports/aging';
import { type AgingBucketKey, DEFAULT_CUSTOMER_LIMIT, customerList } from '../read-models/customers';
import { disputesReport, onTimeReport, promisesReport } from '../read-models/reports/behaviour';
import { forecastReport } from '../read-models/reports/forecast';
import { DEFAULT_FINAL_ACCOUNTS_LIMIT, finalAccountsReport } from '../read-models/reports/final-accounts';
import { funnelReport } from '../read-models/reports/funnel';
import { ceiReport, dsoReport, overdueRatioReport } from '../read-models/reports/receivables';
import { inReportSnapshot, REPORT_WORK_MEM } from '../read-models/reports/session';
import type { Report } from '../read-models/reports/table';
import { migrateToLatest, type Db } from '../db/connect';
import type { Database } from '../db/schema';
import { addDays, localDateOf } from '../domain/dates';
import { exportFile, renderXlsx } from '../api/export';
import { trendReport } from '../read-models/reports/trend';
import { keepReceivableSnapshots } from '../services/receivable-snapshots';
import { cpuPool } from '../stack/threads';
import { TZ, generateAll, scratchDatabase } from './support/ar-data';

const RUNS = 3;

interface Captured {
  sql: string;
  parameters: readonly unknown[];
}

interface PlanSummary {
  executionMs: number;
  topNode: string;
  seqScans: string[];
}

function seqScansOf(plan: any, found: string[] = []): string[] {
  if (plan['Node Type'] === 'Seq Scan')
    found.push(`${plan['Relation Name']} (${plan['Actual Rows'] * (plan['Actual Loops'] ?? 1)} rows)`);
  for (const child of plan.Plans ?? []) seqScansOf(child, found);
  return found;
}

/** EXPLAIN ANALYZE of a captured query with the report session's settings. */
async function explain(pool: pg.Pool, query: Captured): Promise<PlanSummary> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(`set local work_mem = '${REPORT_WORK_MEM}'`);
    if (process.env.BENCH_PLAN) {
      const text = await client.query(`explain (analyze, buffers) ${query.sql}`, query.parameters as unknown[]);
      console.log(text.rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
    const result = await client.query(
      `explain (analyze, buffers, format json) ${query.sql}`,
      query.parameters as unknown[],
    );
    const [{ Plan: plan, 'Execution Time': executionMs }] = result.rows[0]['QUERY PLAN'];
    return { executionMs, topNode: plan['Node Type'], seqScans: seqScansOf(plan) };
  } finally {
    await client.query('rollback');
    client.release();
  }
}

/** The report's own queries, not the session's statements around them. */
const isReportQuery = (query: Captured) => /^\s*(with|select)\b/i.test(query.sql) && !query.sql.includes('set_config');

export interface Case {
  name: string;
  run: (db: Db) => Promise<Report>;
}

export function cases(today: string): Case[] {
  const lastMonthEnd = addDays(`${today.slice(0, 8)}01`, -1);
  const lastMonth = { from: `${lastMonthEnd.slice(0, 8)}01`, to: lastMonthEnd, timeZone: TZ };
  const lastYear = { from: addDays(today, -364), to: today, timeZone: TZ };
  const yearsAgo = (years: number) => addDays(today, -Math.round(365.25 * years));
  const aging = (asOf: string, groupBy: AgingGroup, page?: { limit: number; offset: number }) => (db: Db) =>
    agingReport(db, { asOf, timeZone: TZ, groupBy, ...page });
  return [
    { name: 'aging by customer, today', run: aging(today, 'customer') },
    { name: 'aging by owner, today', run: aging(today, 'owner') },
    { name: 'aging by contract, today (top 100)', run: aging(today, 'contract', { limit: 100, offset: 0 }) },
    { name: 'aging by contract, today (page 5 of 100)', run: aging(today, 'contract', { limit: 100, offset: 400 }) },
    { name: 'aging by department, 90 days ago', run: aging(addDays(today, -90), 'department') },
    { name: 'aging by customer, a year ago', run: aging(addDays(today, -365), 'customer') },
    { name: 'aging by owner, 1.5 years ago', run: aging(yearsAgo(1.5), 'owner') },
    {
      name: 'aging by contract, 2 years ago (top 100)',
      run: aging(yearsAgo(2), 'contract', { limit: 100, offset: 0 }),
    },
    { name: 'aging by department, 2.9 years ago', run: aging(yearsAgo(2.9), 'department') },
    { name: 'DSO, last month', run: (db) => dsoReport(db, lastMonth) },
    { name: 'CEI, last month', run: (db) => ceiReport(db, lastMonth) },
    { name: 'DSO, a month 2 years ago', run: (db) => dsoReport(db, monthOf(yearsAgo(2))) },
    { name: 'CEI, a month 2 years ago', run: (db) => ceiReport(db, monthOf(yearsAgo(2))) },
    { name: 'overdue ratio, today', run: (db) => overdueRatioReport(db, { asOf: today, timeZone: TZ }) },
    { name: 'overdue ratio, 2 years ago', run: (db) => overdueRatioReport(db, { asOf: yearsAgo(2), timeZone: TZ }) },
    { name: 'on-time per customer, last 12 months', run: (db) => onTimeReport(db, lastYear) },
    { name: 'promises, last 12 months', run: (db) => promisesReport(db, lastYear) },
    { name: 'disputes by reason, last 12 months', run: (db) => disputesReport(db, lastYear) },
    { name: '13-week forecast, today', run: (db) => forecastReport(db, { asOf: today, timeZone: TZ }) },
    {
      name: '13-week forecast, a year ago',
      run: (db) => forecastReport(db, { asOf: addDays(today, -365), timeZone: TZ }),
    },
    { name: 'stage funnel', run: (db) => funnelReport(db, { timeZone: TZ, today }) },
    {
      name: 'customers in the 90+ bucket today (dashboard drill-down)',
      run: (db) => customersInBucket(db, 'over90', today),
    },
    {
      name: 'customers in the 1-30 bucket a year ago',
      run: (db) => customersInBucket(db, 'days1to30', addDays(today, -365)),
    },
    {
      name: 'final accounts, last 12 months, first page',
      run: (db) => finalAccountsReport(db, { ...lastYear, limit: DEFAULT_FINAL_ACCOUNTS_LIMIT, all: false }),
    },
    {
      name: 'dashboard DSO/CEI trend, 6 months (one query)',
      run: (db) => trendReport(db, { from: monthsBack(today, 5), to: today.slice(0, 7), timeZone: TZ, today }),
    },
    {
      name: 'dashboard DSO/CEI trend, 12 months (one query)',
      run: (db) => trendReport(db, { from: monthsBack(today, 11), to: today.slice(0, 7), timeZone: TZ, today }),
    },
    {
      name: 'dashboard DSO/CEI trend, 12 months to 2 years ago',
      run: (db) => trendReport(db, { from: monthsBack(today, 35), to: monthsBack(today, 24), timeZone: TZ, today }),
    },
    {
      // No month-end kept in this zone: every day computed, as before the snapshots (or before their first run).
      name: 'dashboard DSO/CEI trend, 12 months, no month-end kept (Asia/Tokyo)',
      run: (db) =>
        trendReport(db, { from: monthsBack(today, 11), to: today.slice(0, 7), timeZone: 'Asia/Tokyo', today }),
    },
    {
      name: 'final accounts, 3 years, one department, first page',
      run: (db) =>
        finalAccountsReport(db, {
          from: addDays(today, -1095),
          to: today,
          timeZone: TZ,
          department: '华东',
          limit: DEFAULT_FINAL_ACCOUNTS_LIMIT,
          all: false,
        }),
    },
  ];
}

/** The month (YYYY-MM) `count` months before the month of a date. */
function monthsBack(date: string, count: number): string {
  const index = Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1 - count;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The month that holds a date, as a report period. */
function monthOf(date: string) {
  const first = `${date.slice(0, 8)}01`;
  const nextFirst = `${addDays(first, 31).slice(0, 8)}01`;
  return { from: first, to: addDays(nextFirst, -1), timeZone: TZ };
}

/** The customers list filtered by an aging bucket (GET /customers?bucket=…&sort=-agingBalance), as a report for the table. */
async function customersInBucket(db: Db, bucket: AgingBucketKey, asOf: string): Promise<Report> {
  const page = await customerList(db, {
    aging: { bucket, asOf, timeZone: TZ },
    sort: '-agingBalance',
    limit: DEFAULT_CUSTOMER_LIMIT,
    offset: 0,
  });
  return { fileName: 'customers', body: page, tables: [{ name: 'customers', title: '', columns: [], rows: [] }] };
}

/**
 * The console dashboard's DSO/CEI trend as it was asked for before GET /api/v1/reports/trend: a DSO and a
 * CEI report per month for the last 6 months (the current one up to today), two at a time, each in its own
 * snapshot as the API serves them. Prints the median of 3 of the whole, beside the one-query cases above.
 */
async function trend(db: Db, today: string): Promise<void> {
  const periods = Array.from({ length: 6 }, (_, k) => {
    const month = monthOf(addDays(`${today.slice(0, 8)}15`, -30 * (5 - k)));
    return month.to > today ? { ...month, to: today } : month;
  });
  const calls = periods.flatMap((p) => [
    (snapshot: Db) => dsoReport(snapshot, p),
    (snapshot: Db) => ceiReport(snapshot, p),
  ]);
  const times: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < calls.length) {
        const call = calls[next++];
        await inReportSnapshot(db, call);
      }
    };
    await Promise.all([worker(), worker()]);
    times.push(performance.now() - started);
  }
  console.log(
    `| (before: dashboard DSO/CEI trend, 6 months as 12 reports, 2 at a time) | ${median(times).toFixed(0)} ms | |`,
  );
}

/**
 * The XLSX download of a case as the API serves it (api/routes/reports.ts): the report in its snapshot, then
 * the workbook built on the CPU thread (api/export.ts, exportFile), one warm-up (the thread starting), then the
 * median of 3 of the whole; and the workbook alone on this thread, median of 3.
 */
async function xlsxDownload(db: Db, c: Case): Promise<void> {
  const download = async () => exportFile(await inReportSnapshot(db, (snapshot) => c.run(snapshot)), 'xlsx');
  const file = await download();
  const whole: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    await download();
    whole.push(performance.now() - started);
  }
  const report = await inReportSnapshot(db, (snapshot) => c.run(snapshot));
  const workbook: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    renderXlsx(report);
    workbook.push(performance.now() - started);
  }
  const rows = report.tables[0].rows.length;
  const size = `${(file.content.length / 1024).toFixed(0)} KiB`;
  console.log(
    `| (xlsx download of the above: ${rows} rows, ${size}: query + workbook) | ${median(whole).toFixed(0)} ms | |`,
  );
  console.log(`| (the workbook alone) | ${median(workbook).toFixed(0)} ms | |`);
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(db: Db, pool: pg.Pool, captured: Captured[], c: Case) {
  const times: number[] = [];
  let report: Report | undefined;
  for (let run = 0; run < RUNS; run += 1) {
    captured.length = 0;
    const started = performance.now();
    report = await inReportSnapshot(db, (snapshot) => c.run(snapshot));
    times.push(performance.now() - started);
  }
  const plans = [];
  for (const query of captured.filter(isReportQuery)) plans.push(await explain(pool, query));
  return { name: c.name, medianMs: median(times), plans, report: report! };
}

async function main(): Promise<void> {
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
  const today = localDateOf(Date.now(), TZ);
  const scratch = await scratchDatabase('bench_reports');
  const pool = new pg.Pool({ connectionString: scratch.url, max: 4 });
  // pool.end() lets go of its idle clients without waiting for their sockets to close: stopping the database
  // right after may tell one of them "terminating connection" (57P01), which must not end the run as an error.
  pool.on('error', (error: Error & { code?: string }) => {
    if (error.code !== '57P01') throw error;
  });
  const captured: Captured[] = [];
  const db: Db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') captured.push({ sql: event.query.sql, parameters: event.query.parameters });
    },
  });
  try {
    await migrateToLatest(db);
    const existing = await pool.query('select count(*)::int as n from invoices');
    if (existing.rows[0].n === 0) await generateAll(scratch.url, today);
    const counts =
      await pool.query(`select (select count(*) from invoices) invoices, (select count(*) from payments) payments, (select count(*) from allocations) allocations,
      (select count(*) from timeline) timeline, (select count(*) from invoices where status <> 'paid') not_paid, (select version()) version`);
    console.log(counts.rows[0]);
    // What the hourly receivable-snapshots schedule keeps (the first run computes three years of month-ends).
    const keepStarted = performance.now();
    const kept = await keepReceivableSnapshots(db, { timeZone: TZ });
    console.log(
      `month-end snapshots: ${kept.stored} of ${kept.missing} missing kept in ${((performance.now() - keepStarted) / 1000).toFixed(1)} s`,
    );
    console.log('\n| report | median of 3 | queries: execution time, top node, sequential scans |\n|---|---:|---|');
    for (const c of cases(today).filter((c) => c.name.includes(process.env.BENCH_ONLY ?? ''))) {
      const result = await measure(db, pool, captured, c);
      const plans = result.plans
        .map(
          (p) =>
            `${p.executionMs.toFixed(0)} ms ${p.topNode}${p.seqScans.length ? `, seq: ${p.seqScans.join(', ')}` : ''}`,
        )
        .join('; ');
      console.log(`| ${result.name} | ${result.medianMs.toFixed(0)} ms | ${plans} |`);
      if (c.name.startsWith('aging by customer, today')) await xlsxDownload(db, c);
    }
    if ('dashboard DSO/CEI trend'.includes(process.env.BENCH_ONLY ?? '')) await trend(db, today);
  } finally {
    await cpuPool().close();
    await db.destroy();
    await scratch.stop();
  }
}

// bench/reports-under-writes.ts runs the same cases.
if (require.main === module)
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
