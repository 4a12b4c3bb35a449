/**
 * Times the go-live historical import: generates customers, contracts, invoices (100,000 by default) and
 * their settlements as CSV, imports them into a fresh database (validate + write in one transaction),
 * then imports the same files again (everything a duplicate, nothing written).
 *   npx tsx bench/imports.ts [--invoices 100000] [--keep]
 * Uses DATABASE_URL when set (a database it may fill), else an embedded PostgreSQL in a temporary folder.
 * Collections are not started here (that is Temporal's throughput, not the import's): see bench/README.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { importHistorical } from '../services/imports/historical';
import { connect, migrateToLatest } from '../db/connect';
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { invoices: { type: 'string', default: '100000' }, keep: { type: 'boolean' } },
  });
  const invoiceCount = Number(values.invoices);
  if (!Number.isInteger(invoiceCount) || invoiceCount < 1)
    throw new Error('--invoices must be a positive whole number');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'huikuan-bench-imports-'));
  fs.chmodSync(workDir, 0o755);
  const embedded = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres(workDir, await freePort(), 'bench_imports');
  const db = connect(process.env.DATABASE_URL ?? embedded!.url, 4);
  try {
    await migrateToLatest(db);
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
    console.log(
      `generated ${JSON.stringify(files.counts)} (${megabytes.toFixed(1)} MB of CSV) in ${Date.now() - started} ms`,
    );
    const actor = { name: 'bench', role: 'finance' as const };
    let lastPhase = '';
    const onProgress = ({ phase }: { phase: string }) => {
      if (phase !== lastPhase) {
        lastPhase = phase;
        console.log(`  ${((Date.now() - started) / 1000).toFixed(1)}s ${phase}`);
      }
    };

    started = Date.now();
    const first = await importHistorical(db, input, actor, { today, onProgress });
    const firstMs = Date.now() - started;
    if (first.status !== 'imported')
      throw new Error(`bench data rejected: ${JSON.stringify(first.errors.slice(0, 5))}`);
    console.log(
      `first import: ${firstMs} ms (validate + write ${first.durationMs.validateAndWrite} ms, credit holds ${firstMs - first.durationMs.validateAndWrite} ms); ` +
        `invoices ${first.invoices.imported}, settlements ${first.settlements.imported}, open ${first.openInvoices}, disputes ${first.disputesOpened}`,
    );

    started = Date.now();
    lastPhase = '';
    const second = await importHistorical(db, input, actor, { today, onProgress });
    const secondMs = Date.now() - started;
    console.log(
      `same files again: ${secondMs} ms; imported ${second.invoices.imported} invoices, ${second.invoices.duplicates} duplicates`,
    );
    const result = {
      invoices: invoiceCount,
      settlements: files.counts.settlements,
      contracts: files.counts.contracts,
      customers: files.counts.customers,
      firstImportMs: firstMs,
      validateAndWriteMs: first.durationMs.validateAndWrite,
      reimportMs: secondMs,
      invoicesPerSecond: Math.round(invoiceCount / (first.durationMs.validateAndWrite / 1000)),
    };
    console.log(JSON.stringify(result));
  } finally {
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
