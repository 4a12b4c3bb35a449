/**
 * The contracts list (GET /api/v1/contracts, read-models/contracts.ts) at 100,000 contracts over 5,000
 * customers in an embedded PostgreSQL: every sort × filter and search combination, first page and a page
 * 2,000 rows deep, median of 5 calls and EXPLAIN ANALYZE; with or without migration 0014's indexes.
 * Goal (issue 10): every list page under 300 ms server time.
 *   npx tsx bench/contracts-list.ts [--no-indexes]   (BENCH_DATA_DIR keeps the generated database between runs)
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import os from 'node:os';
import { migrateToLatest } from '../db/connect';
import type { Database } from '../db/schema';
import { STAGES } from '../domain/stages';
import { startEmbeddedPostgres } from '../stack/postgres';
import { freePort } from '../stack/ports';
import { CONTRACT_SORTS, contractList, type ContractListQuery } from '../read-models/contracts';

const CONTRACTS = 100_000;
const CUSTOMERS = 5_000;
const RUNS = 5;
const dataDir = process.env.BENCH_DATA_DIR ?? path.join(os.tmpdir(), 'huikuan-contracts-bench');
const withIndexes = !process.argv.includes('--no-indexes');

async function main() {
  const fresh = !fs.existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'));
  fs.mkdirSync(dataDir, { recursive: true });
  fs.chmodSync(dataDir, 0o755);
  const postgres = await startEmbeddedPostgres(dataDir, await freePort(), 'bench');
  let captured: CompiledQuery | undefined;
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: postgres.url, max: 2 }) }),
    log: (event) => {
      if (event.level === 'query' && /from "contracts"/.test(event.query.sql)) captured = event.query;
    },
  });
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  try {
    await migrateToLatest(db);
    if (fresh) {
      const stageArray = `array[${STAGES.map((s) => `'${s}'`).join(',')}]`;
      const t0 = Date.now();
      await sql
        .raw(
          `insert into customers (code, name, grade, credit_limit_minor, currency)
        select 'C' || lpad(n::text, 5, '0'),
          (array['华东','华南','北京','上海','深圳','成都','Acme','Globex','Initech','Umbrella'])[1 + n % 10] ||
          (array['星辰','远航','宏达','Tech','智能','数据','Systems','制造'])[1 + (n / 10) % 8] || n ||
          (array['有限公司',' Ltd',' Co.','集团'])[1 + n % 4], (array['A','B','C','D'])[1 + n % 4], 1000000000, 'CNY'
        from generate_series(1, ${CUSTOMERS}) n`,
        )
        .execute(db);
      await sql
        .raw(
          `insert into contracts (no, customer_code, title, amount_minor, currency, payment_terms_type, stage, terms, details,
          department, account_owner, created_by, created_at, stage_changed_at)
        select 'HT' || lpad(n::text, 7, '0'), 'C' || lpad((1 + (n * 7) % ${CUSTOMERS})::text, 5, '0'),
          (array['仓储管理系统','ERP 升级','数据中心建设','Warehouse system','CRM rollout','智能制造平台','财务共享中心','Network refresh'])[1 + n % 8]
            || ' ' || (array['一期','二期','Phase 3','扩容','维保','试点'])[1 + (n / 8) % 6] || ' #' || n,
          (100 + (n * 7919) % 5000) * 10000, case when n % 25 = 0 then 'USD' else 'CNY' end, 'credit_terms',
          (${stageArray})[1 + (n * 13) % 11], '{}', '{}',
          case when n % 50 = 0 then null else (array['华东','华南','华北','西部','海外','政企','金融','制造'])[1 + n % 8] end,
          'owner' || lpad((n % 60)::text, 2, '0'), 'bench',
          now() - make_interval(days => n % 1100, secs => (n % 86400)),
          now() - make_interval(days => (n * 3) % 400, secs => (n % 3600)) + make_interval(secs => (n % 7) * 0.000001)
        from generate_series(1, ${CONTRACTS}) n`,
        )
        .execute(db);
      await sql`analyze`.execute(db);
      console.log(`generated in ${Date.now() - t0} ms`);
    }
    // The indexes of migration 0014, applied or removed by hand (the bench database is not in the migration table).
    const migration = await import('../db/migrations/0014_contract_list_indexes');
    if (withIndexes) await migration.up(db).catch(() => undefined);
    else await migration.down(db).catch(() => undefined);
    await sql`analyze`.execute(db);
    console.log(`indexes: ${withIndexes ? 'with 0014' : 'without 0014'}`);

    const filters: [string, Omit<ContractListQuery, 'sort' | 'limit'>][] = [
      ['none', {}],
      ['q=HT00123 (number prefix)', { q: 'HT00123' }],
      ['q=ht0099 (lower-case prefix)', { q: 'ht0099' }],
      ['q=仓储 (title, common)', { q: '仓储' }],
      ['q=#12345 (title, rare)', { q: '#12345' }],
      ['q=宏达 (customer name)', { q: '宏达' }],
      ['q=C01234 (customer code)', { q: 'C01234' }],
      ['q=zzzz (no match)', { q: 'zzzz' }],
      ['q=x (one letter)', { q: 'x' }],
      ['stage=Delivery', { stages: ['Delivery'] }],
      ['stage=Delivery,Acceptance,Collection', { stages: ['Delivery', 'Acceptance', 'Collection'] }],
      ['owner=owner07', { owner: 'owner07' }],
      ['department=华东', { department: '华东' }],
      ['customer=C00042', { customer: 'C00042' }],
      ['stage+owner', { stages: ['Delivery'], owner: 'owner07' }],
      ['stage+department', { stages: ['Acceptance'], department: '华南' }],
      ['owner+department', { owner: 'owner07', department: '华东' }],
      [
        'stage×3+owner+department',
        { stages: ['Delivery', 'Acceptance', 'Collection'], owner: 'owner07', department: '华东' },
      ],
      ['q=仓储+stage', { q: '仓储', stages: ['Delivery'] }],
      ['q=宏达+owner', { q: '宏达', owner: 'owner07' }],
      ['customer+stage', { customer: 'C00042', stages: ['Delivery'] }],
    ];
    const results: {
      sort: string;
      filter: string;
      page: string;
      rows: number;
      ms: number;
      plan: number;
      exec: number;
      top: string;
    }[] = [];
    for (const sort of CONTRACT_SORTS) {
      for (const [name, filter] of filters) {
        for (const page of ['first', 'deep']) {
          let cursor: string | undefined;
          if (page === 'deep') {
            // A cursor some pages in: walk 10 pages of 200.
            for (let i = 0; i < 10; i += 1) {
              const p = await contractList(db, { ...filter, sort, limit: 200, cursor });
              if (!p.next) break;
              cursor = p.next;
            }
            if (!cursor) continue;
          }
          const query: ContractListQuery = { ...filter, sort, limit: 50, cursor };
          const times: number[] = [];
          let rows = 0;
          for (let r = 0; r < RUNS; r += 1) {
            const t = performance.now();
            rows = (await contractList(db, query)).contracts.length;
            times.push(performance.now() - t);
          }
          times.sort((a, b) => a - b);
          const compiled = captured!;
          const explain = await sql<{ 'QUERY PLAN': unknown }>`explain (analyze, format json) ${sql.raw(
            compiled.sql.replace(/\$(\d+)/g, (_, i) => pgLiteral(compiled.parameters[Number(i) - 1])),
          )}`.execute(db);
          const plan = (explain.rows[0]['QUERY PLAN'] as any[])[0];
          results.push({
            sort,
            filter: name,
            page,
            rows,
            ms: Math.round(times[Math.floor(RUNS / 2)] * 10) / 10,
            plan: Math.round(plan['Planning Time'] * 10) / 10,
            exec: Math.round(plan['Execution Time'] * 10) / 10,
            top: summarize(plan.Plan),
          });
        }
      }
    }
    for (const r of results)
      console.log(
        `${r.sort.padEnd(16)} ${r.filter.padEnd(36)} ${r.page.padEnd(5)} rows=${String(r.rows).padStart(2)} median=${String(r.ms).padStart(6)} ms  explain exec=${String(r.exec).padStart(6)} ms plan=${r.plan} ms  ${r.top}`,
      );
    const worst = [...results].sort((a, b) => b.exec - a.exec).slice(0, 8);
    console.log('\nworst by EXPLAIN ANALYZE execution time:');
    for (const r of worst)
      console.log(`  ${r.exec} ms  (median call ${r.ms} ms)  sort=${r.sort} ${r.filter} ${r.page}  ${r.top}`);
    const execs = results.map((r) => r.exec).sort((a, b) => a - b);
    console.log(
      `combinations: ${results.length}; execution median ${execs[Math.floor(execs.length / 2)]} ms, max ${execs[execs.length - 1]} ms`,
    );
    const calls = results.map((r) => r.ms).sort((a, b) => a - b);
    console.log(
      `calls (contractList, median of ${RUNS}): median ${calls[Math.floor(calls.length / 2)]} ms, max ${calls[calls.length - 1]} ms`,
    );
  } finally {
    await db.destroy();
    await postgres.stop();
  }
}

function pgLiteral(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `array[${value.map(pgLiteral).join(',')}]::text[]`;
  return `'${String(value).replace(/'/g, "''")}'`;
}

function summarize(node: any): string {
  const names: string[] = [];
  const walk = (n: any) => {
    const label =
      n['Node Type'] + (n['Index Name'] ? `(${n['Index Name']})` : n['Relation Name'] ? `(${n['Relation Name']})` : '');
    names.push(label);
    for (const child of n.Plans ?? []) walk(child);
  };
  walk(node);
  return names.filter((n) => !/^(Limit|Nested Loop|Index Scan\(customers_pkey\)|Memoize|Result)$/.test(n)).join(' > ');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
