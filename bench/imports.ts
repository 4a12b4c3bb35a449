/**
 * Times the go-live historical import beside a raw PostgreSQL COPY of the same rows into the same tables, in one
 * run: generates customers, contracts, invoices (100,000 by default) and their settlements as CSV, then per round
 *   1. empties the tables the import writes (TRUNCATE ... RESTART IDENTITY CASCADE: same indexes, triggers and
 *      foreign keys stay), imports the files (parse, validate and write in one transaction, then the credit holds);
 *   2. empties the tables again and COPYs into them, in one transaction, the very rows the import wrote (exported
 *      after the first round with COPY ... TO a file of the server: the server-side COPY FROM, the floor);
 * and at the end imports the same files again (everything a duplicate, nothing written).
 *   npx tsx bench/imports.ts [--invoices 100000] [--rounds 3] [--keep]
 * Uses DATABASE_URL when set (a scratch database it may empty; its user must be allowed to COPY to and from
 * server files), else an embedded PostgreSQL in a folder under BENCH_DATA_DIR (default the system's temporary one).
 * Collections are not started here: bench/import-starts.ts measures that.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { importHistorical } from '../services/imports/historical';
import { sql } from 'kysely';
import { connect, type Db, migrateToLatest } from '../db/connect';
import { addDays, localDateOf } from '../domain/dates';
import { toDecimal } from '../domain/money';
import { startEmbeddedPostgres } from '../stack/postgres';
import { freePort } from '../stack/ports';

/** A deterministic pseudo-random sequence, so every run imports the same data. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

export interface GeneratedFiles {
  customers: string;
  contracts: string;
  invoices: string;
  settlements: string;
  counts: { customers: number; contracts: number; invoices: number; settlements: number; open: number };
}

/** One customer per 50 invoices, one contract per 5; 80% settled in full (one or two payments), 10% in part, 10% open. */
export function generate(invoiceCount: number, today: string): GeneratedFiles {
  const next = random(42);
  const customers = ['code,name,credit_limit,currency,locale,time_zone,contact_name,contact_email'];
  const contracts = ['contract_no,customer_code,title,amount,currency,department,owner,signed_date'];
  const invoices = ['invoice_no,contract_no,issue_date,due_date,amount,disputed'];
  const settlements = ['invoice_no,settled_date,amount,reference'];
  const customerCount = Math.max(1, Math.ceil(invoiceCount / 50));
  const contractCount = Math.max(1, Math.ceil(invoiceCount / 5));
  for (let c = 0; c < customerCount; c++) {
    customers.push(
      `B-C${c},"Bench Customer ${c} Co., Ltd",${toDecimal(100_000_000 + c * 1000, 'CNY')},CNY,zh-CN,Asia/Shanghai,Payer ${c},payer${c}@bench.test`,
    );
  }
  let open = 0;
  let settlementCount = 0;
  for (let k = 0; k < contractCount; k++) {
    const first = k * 5;
    const last = Math.min(invoiceCount, first + 5);
    let contractMinor = 0;
    for (let i = first; i < last; i++) {
      const issue = addDays(today, -(30 + Math.floor(next() * 700)));
      const due = addDays(issue, [0, 15, 30, 60, 90][i % 5]);
      const minor = 100_000 + Math.floor(next() * 10_000_000);
      contractMinor += minor;
      invoices.push(`B-I${i},B-K${k},${issue},${due},${toDecimal(minor, 'CNY')},${i % 97 === 0 ? 'yes' : ''}`);
      const roll = next();
      if (roll < 0.8) {
        const split = roll < 0.3;
        const firstPart = split ? Math.floor(minor / 3) : minor;
        const day = addDays(due, Math.floor(next() * 20) - 10);
        const paidOn = day > today ? today : day;
        settlements.push(`B-I${i},${paidOn},${toDecimal(firstPart, 'CNY')},`);
        settlementCount += 1;
        if (split) {
          settlements.push(`B-I${i},${paidOn},${toDecimal(minor - firstPart, 'CNY')},BANK-B-I${i}-2`);
          settlementCount += 1;
        }
      } else if (roll < 0.9) {
        settlements.push(`B-I${i},${addDays(issue, 10)},${toDecimal(Math.floor(minor / 2), 'CNY')},`);
        settlementCount += 1;
        open += 1;
      } else {
        open += 1;
      }
    }
    contracts.push(
      `B-K${k},B-C${k % customerCount},Bench contract ${k},${toDecimal(contractMinor, 'CNY')},CNY,Dept ${k % 7},Owner ${k % 13},${addDays(today, -800)}`,
    );
  }
  return {
    customers: `${customers.join('\n')}\n`,
    contracts: `${contracts.join('\n')}\n`,
    invoices: `${invoices.join('\n')}\n`,
    settlements: `${settlements.join('\n')}\n`,
    counts: {
      customers: customerCount,
      contracts: contractCount,
      invoices: invoiceCount,
      settlements: settlementCount,
      open,
    },
  };
}

/** The tables the import writes, in an order COPY can fill them (foreign keys are checked row by row). */
const TABLES = [
  'customers',
  'customer_contacts',
  'contracts',
  'timeline',
  'milestones',
  'invoices',
  'payments',
  'allocations',
  'disputes',
] as const;

/** Empties the tables the import writes (and those referring to them), their sequences restarted; a CHECKPOINT after. */
async function emptyTables(db: Db): Promise<void> {
  await sql.raw(`truncate ${TABLES.join(', ')}, imports restart identity cascade`).execute(db);
  await sql`checkpoint`.execute(db);
}

async function rowCounts(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db);
    counts[table] = rows[0].n;
  }
  return counts;
}

const copyFile = (dataDirectory: string, table: string) => `${dataDirectory}/bench-imports-${table}.copy`;

/**
 * Writes every table's rows to a file of the server (its data directory), for COPY FROM to read back. The
 * contracts go with invoiced_minor 0: the invoices' insert trigger adds their amounts again during the COPY.
 */
async function exportRows(db: Db, dataDirectory: string): Promise<void> {
  await sql`update contracts set invoiced_minor = 0`.execute(db);
  for (const table of TABLES) await sql.raw(`copy ${table} to '${copyFile(dataDirectory, table)}'`).execute(db);
}

/** COPYs the exported rows into the emptied tables in one transaction; ms per table and in all. */
async function copyRows(db: Db, dataDirectory: string): Promise<{ ms: number; perTable: Record<string, number> }> {
  const perTable: Record<string, number> = {};
  const started = performance.now();
  await db.transaction().execute(async (trx) => {
    for (const table of TABLES) {
      const t0 = performance.now();
      await sql.raw(`copy ${table} from '${copyFile(dataDirectory, table)}'`).execute(trx);
      perTable[table] = Math.round(performance.now() - t0);
    }
  });
  return { ms: Math.round(performance.now() - started), perTable };
}

function removeExports(dataDirectory: string): Promise<void>[] {
  return TABLES.map(async (table) => fs.rmSync(copyFile(dataDirectory, table), { force: true }));
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      invoices: { type: 'string', default: '100000' },
      rounds: { type: 'string', default: '3' },
      keep: { type: 'boolean' },
    },
  });
  const invoiceCount = Number(values.invoices);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(invoiceCount) || invoiceCount < 1)
    throw new Error('--invoices must be a positive whole number');
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive whole number');
  const parent = process.env.BENCH_DATA_DIR ?? os.tmpdir();
  fs.mkdirSync(parent, { recursive: true });
  const workDir = fs.mkdtempSync(path.join(parent, 'huikuan-bench-imports-'));
  fs.chmodSync(workDir, 0o755);
  const embedded = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres(workDir, await freePort(), 'bench_imports');
  const db = connect(process.env.DATABASE_URL ?? embedded!.url, 4);
  let dataDirectory = '';
  try {
    await migrateToLatest(db);
    dataDirectory = (await sql<{ d: string }>`select current_setting('data_directory') as d`.execute(db)).rows[0].d;
    const today = localDateOf(Date.now(), 'Asia/Shanghai');
    let started = Date.now();
    const files = generate(invoiceCount, today);
    const bytes = (text: string) => Buffer.from(text, 'utf8');
    const input = {
      customers: { fileName: 'customers.csv', bytes: bytes(files.customers) },
      contracts: { fileName: 'contracts.csv', bytes: bytes(files.contracts) },
      invoices: { fileName: 'invoices.csv', bytes: bytes(files.invoices) },
      settlements: { fileName: 'settlements.csv', bytes: bytes(files.settlements) },
    };
    const megabytes = Object.values(input).reduce((n, f) => n + f.bytes.length, 0) / 1e6;
    const csvRows = files.counts.customers + files.counts.contracts + invoiceCount + files.counts.settlements;
    console.log(
      `generated ${JSON.stringify(files.counts)} (${csvRows} CSV rows, ${megabytes.toFixed(1)} MB) in ${Date.now() - started} ms`,
    );
    const actor = { name: 'bench', role: 'finance' as const };
    let lastPhase = '';
    /** When each progress phase was first reported, ms after the import started. */
    let phaseAt: Record<string, number> = {};
    const onProgress = ({ phase }: { phase: string }) => {
      if (phase !== lastPhase) {
        lastPhase = phase;
        phaseAt[phase] ??= Date.now() - started;
        console.log(`  ${((Date.now() - started) / 1000).toFixed(1)}s ${phase}`);
      }
    };

    let tableRows = 0;
    const results: Record<string, unknown>[] = [];
    for (let round = 1; round <= rounds; round++) {
      await emptyTables(db);
      const loadBefore = load();
      started = Date.now();
      lastPhase = '';
      phaseAt = {};
      const report = await importHistorical(db, input, actor, { today, onProgress });
      const importMs = Date.now() - started;
      if (report.status !== 'imported')
        throw new Error(`bench data rejected: ${JSON.stringify(report.errors.slice(0, 5))}`);
      const counts = await rowCounts(db);
      tableRows = Object.values(counts).reduce((n, c) => n + c, 0);
      if (round === 1) {
        console.log(`rows written: ${JSON.stringify(counts)} = ${tableRows}`);
        await exportRows(db, dataDirectory);
      }
      const transactionMs = report.durationMs.validateAndWrite;
      // parse: reading and checking each row alone (before the transaction); cross-check: against each other and
      // the database; writes: from the first write to the commit; after: ANALYZE and the credit holds.
      const phasesMs = {
        parse: phaseAt.validate,
        crossCheck: phaseAt.write - phaseAt.validate,
        writesAndCommit: transactionMs - phaseAt.write,
        analyzeAndCreditHolds: importMs - transactionMs,
      };
      await emptyTables(db);
      const copy = await copyRows(db, dataDirectory);
      const copied = await rowCounts(db);
      if (JSON.stringify(copied) !== JSON.stringify(counts)) throw new Error(`COPY wrote ${JSON.stringify(copied)}`);
      const perSecond = (ms: number) => Math.round(tableRows / (ms / 1000));
      const result = {
        round,
        tableRows,
        importMs,
        transactionMs,
        creditHoldsMs: importMs - transactionMs,
        copyMs: copy.ms,
        importRowsPerSecond: perSecond(importMs),
        transactionRowsPerSecond: perSecond(transactionMs),
        copyRowsPerSecond: perSecond(copy.ms),
        phasesMs,
        ratio: Number((copy.ms / importMs).toFixed(2)),
        transactionRatio: Number((copy.ms / transactionMs).toFixed(2)),
        copyPerTableMs: copy.perTable,
        load: `${loadBefore} → ${load()}`,
      };
      console.log(
        `round ${round}: import ${importMs} ms (${result.importRowsPerSecond} rows/s; its transaction ${transactionMs} ms, ` +
          `ANALYZE and credit holds ${result.creditHoldsMs} ms) | COPY ${copy.ms} ms (${result.copyRowsPerSecond} rows/s) | ` +
          `import/COPY rows/s ${result.ratio} (transaction alone ${result.transactionRatio}) | load ${result.load}`,
      );
      console.log(`  import phases, ms: ${JSON.stringify(phasesMs)}`);
      console.log(`  COPY per table, ms: ${JSON.stringify(copy.perTable)}`);
      results.push(result);
    }

    // The tables hold the COPYed rows: the same files again are all duplicates.
    started = Date.now();
    lastPhase = '';
    const again = await importHistorical(db, input, actor, { today, onProgress });
    const againMs = Date.now() - started;
    console.log(
      `same files again: ${againMs} ms; imported ${again.invoices.imported} invoices, ${again.invoices.duplicates} duplicates`,
    );
    const median = (key: 'ratio' | 'transactionRatio') => {
      const sorted = results.map((r) => r[key] as number).sort((a, b) => a - b);
      return sorted[Math.floor((sorted.length - 1) / 2)];
    };
    console.log(
      `median over ${results.length} round(s): import/COPY rows/s ${median('ratio')} (goal ≥ 0.5), its transaction alone ${median('transactionRatio')}`,
    );
    console.log(JSON.stringify({ invoices: invoiceCount, csvRows, tableRows, rounds: results, reimportMs: againMs }));
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0].model}, load average ${load()}`);
  } finally {
    if (dataDirectory) await Promise.all(removeExports(dataDirectory)).catch(() => undefined);
    await db.destroy();
    await embedded?.stop();
    if (!values.keep) fs.rmSync(workDir, { recursive: true, force: true });
    else console.log(`kept ${workDir}`);
  }
}

if (require.main === module)
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
