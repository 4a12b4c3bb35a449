/**
 * The AR data set of the benches (bench/reports.ts, bench/console-pages.ts), generated in SQL with
 * generate_series: 5,000 customers, 200,000 contracts with their stage timeline, 1,000,000 invoices over
 * three years, payments and allocations for most of them (some reversed, some partial), disputes and
 * promises, the final accounts of the closed contracts (BENCH_INVOICES scales it). The stage stays of the
 * funnel (migration 0024) are written by the timeline's triggers as the timeline rows go in, as in production.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { STAGES } from '../../domain/stages';
import { startEmbeddedPostgres } from '../../stack/postgres';
import { freePort } from '../../stack/ports';

export const TZ = 'Asia/Shanghai';
export const INVOICES = Number(process.env.BENCH_INVOICES ?? 1_000_000);
export const CONTRACTS = Math.max(1, Math.round(INVOICES / 5));
export const CUSTOMERS = Math.max(1, Math.round(INVOICES / 200));

/** Generates the data set in SQL; `today` anchors every date. */
function generationSteps(today: string): [string, string][] {
  const stageArray = `array[${STAGES.map((s) => `'${s}'`).join(',')}]`;
  return [
    [
      'customers',
      `insert into customers (code, name, grade, credit_limit_minor, currency)
      select 'C' || lpad(n::text, 6, '0'), '客户' || n || '有限公司', (array['A','B','C','D'])[1 + n % 4], 1000000000, 'CNY' from generate_series(1, ${CUSTOMERS}) n`,
    ],
    [
      'contracts',
      `create temp table bench_contracts as
      select n, 'HT' || lpad(n::text, 7, '0') as no, 'C' || lpad((1 + n % ${CUSTOMERS})::text, 6, '0') as customer_code,
        case when n % 20 <= 8 then n % 20 when n % 20 <= 14 then 8 when n % 20 <= 18 then 9 else 10 end as stage_idx,
        (timestamp '${today}' - make_interval(days => 120 + n % 900)) at time zone '${TZ}' as created_at, 5 + n % 11 as step_days
      from generate_series(1, ${CONTRACTS}) n`,
    ],
    [
      'contracts',
      `insert into contracts (no, customer_code, title, amount_minor, currency, payment_terms_type, stage, terms, details, department, account_owner, created_by, created_at, stage_changed_at)
      select no, customer_code, '项目 ' || n, 1000000 + (n * 7919) % 500000000, 'CNY', 'credit_terms', (${stageArray})[stage_idx + 1], '{}', '{}',
        (array['华东','华南','华北','西部','海外','政企','金融','制造'])[1 + n % 8], 'owner' || lpad((n % 60)::text, 2, '0'), 'bench', created_at,
        created_at + make_interval(days => step_days * least(stage_idx, 9))
      from bench_contracts`,
    ],
    [
      'timeline',
      `insert into timeline (event_key, contract_no, at, actor_name, actor_role, action, from_stage, to_stage, details)
      select 'bench/' || c.no || '/' || k, c.no, c.created_at + make_interval(days => c.step_days * k), 'bench', 'system', 'transition',
        case when k = 0 then null else (${stageArray})[k] end, (${stageArray})[k + 1], '{}'
      from bench_contracts c cross join lateral generate_series(0, least(c.stage_idx, 9)) k
      where c.stage_idx <> 10 or k <= 2`,
    ],
    [
      'timeline',
      `insert into timeline (event_key, contract_no, at, actor_name, actor_role, action, from_stage, to_stage, details)
      select 'bench/' || c.no || '/cancel', c.no, c.created_at + make_interval(days => c.step_days * 3), 'bench', 'system', 'cancel', 'ContractReview', 'Cancelled', '{}'
      from bench_contracts c where c.stage_idx = 10`,
    ],
    [
      'invoices',
      `create temp table bench_invoices as
      select n, 'INV' || lpad(n::text, 8, '0') as no, 'HT' || lpad((1 + n % ${CONTRACTS})::text, 7, '0') as contract_no,
        'C' || lpad((1 + (1 + n % ${CONTRACTS}) % ${CUSTOMERS})::text, 6, '0') as customer_code,
        100000 + (n::bigint * 104729) % 50000000 as amount_minor, date '${today}' - ((n::bigint * 7919) % 1095)::int as issue_date,
        30 * (1 + n % 3) as term_days, floor(random() * random() * 120)::int - 10 as days_late, random() as r
      from generate_series(1, ${INVOICES}) n`,
    ],
    [
      'invoices',
      `alter table bench_invoices add column due_date date, add column status text, add column paid_on date`,
    ],
    [
      'invoices',
      `update bench_invoices set due_date = issue_date + term_days,
      status = case when issue_date + term_days + days_late <= date '${today}' and r < 0.95 then 'paid'
                    when issue_date < date '${today}' - 400 and r >= 0.97 then 'written_off' else 'open' end`,
    ],
    ['invoices', `update bench_invoices set paid_on = due_date + days_late where status = 'paid'`],
    [
      'invoices',
      `insert into invoices (no, contract_no, milestone_seq, customer_code, currency, amount_minor, tax_minor, balance_minor, issue_date, due_date, status,
        paid_at, paid_on, issued_by, written_off_at, write_off_reason, first_received_on, last_received_on)
      select no, contract_no, 1 + n / ${CONTRACTS}, customer_code, 'CNY', amount_minor, 0,
        case when status = 'paid' then 0 when status = 'open' and r < 0.3 then amount_minor - amount_minor / 2 else amount_minor end,
        issue_date, due_date, status, case when status = 'paid' then (paid_on::timestamp at time zone '${TZ}') end, paid_on, 'bench',
        case when status = 'written_off' then ((due_date + 200)::timestamp at time zone '${TZ}') end, case when status = 'written_off' then 'bench' end,
        case when status = 'paid' and n % 100 = 1 then paid_on - 5 when status = 'paid' then paid_on
             when status = 'open' and r < 0.3 then least(due_date + 5, date '${today}') end,
        case when status = 'paid' then paid_on when status = 'open' and r < 0.3 then least(due_date + 5, date '${today}') end
      from bench_invoices`,
    ],
    [
      'payments',
      `insert into payments (id, customer_code, reference, amount_minor, currency, received_on, unallocated_minor, recorded_by, source, status)
      select n, customer_code, 'P' || n, amount_minor, 'CNY', paid_on, 0, 'bench', 'api', 'matched' from bench_invoices where status = 'paid'
      union all
      select 2000000000 + n, customer_code, 'PP' || n, amount_minor / 2, 'CNY', least(due_date + 5, date '${today}'), 0, 'bench', 'api', 'matched'
      from bench_invoices where status = 'open' and r < 0.3
      union all
      select 4000000000 + n, customer_code, 'PR' || n, amount_minor, 'CNY', paid_on - 5, amount_minor, 'bench', 'api', 'matched'
      from bench_invoices where status = 'paid' and n % 100 = 1`,
    ],
    [
      'allocations',
      `insert into allocations (payment_id, invoice_no, amount_minor, rule, received_on, reversed_at, reversed_by, reversal_reason)
      select id, 'INV' || lpad((id % 1000000000)::text, 8, '0'), case when id >= 4000000000 then amount_minor else amount_minor end, 'oldest_first', received_on,
        case when id >= 4000000000 then (received_on + 2)::timestamp at time zone '${TZ}' end,
        case when id >= 4000000000 then 'bench' end, case when id >= 4000000000 then 'wrong customer' end
      from payments`,
    ],
    [
      'disputes',
      `insert into disputes (id, invoice_no, reason, routed_to, status, opened_by, opened_at, sla_due_at, outcome, credit_minor, resolved_by, resolved_at)
      select 'D' || n, no, (array['quality','service','price','invoice_error','delivery_defect','contract_clause'])[1 + n % 6], 'finance',
        case when n % 100 = 7 then 'resolved' when status = 'open' then 'open' else 'closed' end, 'bench',
        (due_date + 5)::timestamp at time zone '${TZ}', (due_date + 15)::timestamp at time zone '${TZ}',
        case when n % 100 = 7 then 'accepted' end, case when n % 300 = 7 then 10000 end, case when n % 100 = 7 then 'bench' end,
        case when n % 100 = 7 or status <> 'open' then (due_date + 5 + n % 30)::timestamp at time zone '${TZ}' end
      from bench_invoices where n % 50 = 7`,
    ],
    [
      'promises',
      `insert into promises (id, invoice_no, customer_code, contact, promised_date, amount_minor, status, recorded_by, recorded_at, closed_at)
      select 'PR' || n, no, customer_code, 'Pat', due_date + 15, amount_minor,
        case when status = 'paid' then 'kept' when n % 3 = 0 then 'open' else 'broken' end, 'bench',
        (due_date + 10)::timestamp at time zone '${TZ}',
        case when status = 'paid' then paid_on::timestamp at time zone '${TZ}' when n % 3 <> 0 then (due_date + 18)::timestamp at time zone '${TZ}' end
      from bench_invoices where n % 20 = 3`,
    ],
    [
      // The final account (决算) each closed contract froze at its close (services/costs.ts): the
      // final-accounts report's rows. Costs 60 % of the amount, in three entries.
      'final_accounts',
      `insert into final_accounts (contract_no, customer_code, department, currency, closed_at, contract_amount_minor, estimate_minor,
        budget_minor, invoiced_minor, credited_minor, collected_minor, written_off_minor, interest_collected_minor, costs_minor, cost_entries, margin_minor)
      select no, customer_code, department, currency, stage_changed_at, amount_minor, amount_minor * 6 / 10, amount_minor * 65 / 100,
        invoiced_minor, 0, invoiced_minor, 0, 0, amount_minor * 6 / 10, 3, invoiced_minor - amount_minor * 6 / 10
      from contracts where stage = 'Closed'`,
    ],
    ['vacuum', 'vacuum analyze'],
  ];
}

export async function generateAll(url: string, today: string): Promise<void> {
  console.log(
    `generating ${INVOICES.toLocaleString('en')} invoices, ${CONTRACTS.toLocaleString('en')} contracts, ${CUSTOMERS.toLocaleString('en')} customers (today ${today})`,
  );
  const started = Date.now();
  await generate(url, today);
  console.log(`generated in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** One session, since the steps share temporary tables. */
async function generate(url: string, today: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select setseed(0.42)');
    for (const [what, statement] of generationSteps(today)) {
      const started = Date.now();
      await client.query(statement);
      console.log(`  ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await client.end();
  }
}

/**
 * A scratch database: on DATABASE_URL's server, or an embedded PostgreSQL in a temporary folder
 * (BENCH_DATA_DIR keeps it, and its data, between runs).
 */
export async function scratchDatabase(baseName: string): Promise<{ url: string; stop(): Promise<void> }> {
  const name = process.env.BENCH_DATA_DIR ? baseName : `${baseName}_${Date.now()}`;
  if (process.env.DATABASE_URL) {
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    return { url: process.env.DATABASE_URL.replace(/\/[^/]*$/, `/${name}`), stop: async () => undefined };
  }
  const keep = process.env.BENCH_DATA_DIR;
  const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'huikuan-bench-'));
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  const postgres = await startEmbeddedPostgres(dir, await freePort(), name);
  return {
    url: postgres.url,
    stop: async () => {
      await postgres.stop();
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
