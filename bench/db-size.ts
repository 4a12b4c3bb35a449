/**
 * PostgreSQL's size for the AR data set of bench/reports.ts (bench/support/ar-data.ts: 1,000,000 invoices,
 * 200,000 contracts, payments, allocations, timeline, disputes, promises), with every migration's indexes,
 * after VACUUM ANALYZE: the database, and each table with its indexes, per million invoices.
 *
 *   npx tsx bench/db-size.ts                                   # embedded PostgreSQL, removed after
 *   BENCH_DATA_DIR=/work/benchdata/x npx tsx bench/db-size.ts  # keep it; a later run skips generating
 *   BENCH_INVOICES=200000 npx tsx bench/db-size.ts             # a smaller data set
 */
import os from 'node:os';
import pg from 'pg';
import { connect, migrateToLatest } from '../db/connect';
import { localDateOf } from '../domain/dates';
import { INVOICES, TZ, generateAll, scratchDatabase } from './support/ar-data';

const MiB = 2 ** 20;

async function main(): Promise<void> {
  const scratch = await scratchDatabase('bench_dbsize');
  const db = connect(scratch.url, 2);
  const pool = new pg.Pool({ connectionString: scratch.url, max: 1 });
  try {
    await migrateToLatest(db);
    const existing = await pool.query('select count(*)::int as n from invoices');
    if (existing.rows[0].n === 0) await generateAll(scratch.url, localDateOf(Date.now(), TZ));
    await pool.query('vacuum analyze');
    const invoices = Number((await pool.query('select count(*) as n from invoices')).rows[0].n);
    const database = Number((await pool.query('select pg_database_size(current_database()) as b')).rows[0].b);
    const tables = await pool.query(`
      select c.relname as name, c.reltuples::bigint as rows, pg_table_size(c.oid) as heap,
             pg_indexes_size(c.oid) as indexes, pg_total_relation_size(c.oid) as total
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and pg_total_relation_size(c.oid) > 1024 * 1024
      order by pg_total_relation_size(c.oid) desc`);
    const perMillion = (bytes: number) => ((bytes / MiB) * 1_000_000) / invoices;
    console.log(`\n${invoices.toLocaleString('en')} invoices (BENCH_INVOICES ${INVOICES})`);
    console.log('\n| table | rows | table MiB | indexes MiB | total MiB |\n|---|---:|---:|---:|---:|');
    for (const t of tables.rows)
      console.log(
        `| ${t.name} | ${Number(t.rows).toLocaleString('en')} | ${(t.heap / MiB).toFixed(0)} | ${(t.indexes / MiB).toFixed(0)} | ${(t.total / MiB).toFixed(0)} |`,
      );
    console.log(
      `\ndatabase: ${(database / MiB).toFixed(0)} MiB, ${perMillion(database).toFixed(0)} MiB per million invoices; load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await pool.end();
    await db.destroy();
    await scratch.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
