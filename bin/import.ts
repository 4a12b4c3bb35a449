/**
 * Imports from the command line, with the same code as POST /api/v1/imports/*:
 *   npm run import -- bank <statement.csv> [--mapping auto|en|zh|mapping.json] [--encoding auto|utf-8|gbk] [--currency CNY]
 *   npm run import -- historical [--customers c.csv] [--contracts k.csv] [--invoices i.csv] [--settlements s.csv]
 *                                [--encoding gbk] [--concurrency 16] [--no-collections]
 * Common: [--actor <name>] (recorded as the finance person who imported), [--json] (the whole report on stdout).
 * Needs DATABASE_URL and a Temporal address (TEMPORAL_ADDRESS or an envconfig profile, with the namespace, task queue and TLS settings as for the worker).
 * Progress goes to stderr; the exit code is 1 when rows were rejected (or the import failed), 2 for a usage error.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  type BankMapping,
  MAPPING_NAMES,
  type MappingName,
  importBankStatement,
} from '../services/imports/bank-statement';
import { ENCODINGS, type EncodingOption } from '../services/imports/csv';
import {
  type FileInput,
  HISTORICAL_FILES,
  type HistoricalFile,
  importHistorical,
} from '../services/imports/historical';
import {
  type BankImportReport,
  type HistoricalImportReport,
  type Progress,
  type RowError,
} from '../services/imports/report';
import { connect } from '../db/connect';
import type { SendTime } from '../domain/collection';
import type { Actor } from '../domain/roles';
import { connectClient } from '../stack/processes';
import { productionConfig } from './production';
import { Refused } from '../domain/refusal';

const USAGE = `usage:
  npm run import -- bank <statement.csv> [--mapping auto|en|zh|mapping.json] [--encoding auto|utf-8|gbk|gb18030] [--currency CNY]
  npm run import -- historical [--customers c.csv] [--contracts k.csv] [--invoices i.csv] [--settlements s.csv]
                               [--encoding ...] [--concurrency 16] [--no-collections]
  common options: --actor <name>  --json`;

function usage(message?: string): never {
  if (message) console.error(message);
  console.error(USAGE);
  process.exit(2);
}

/** A one-line progress indicator on stderr: phase, rows done / total, percent, rate. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): {
  update(p: Progress): void;
  end(): void;
} {
  let phase = '';
  let phaseStarted = Date.now();
  let lastPrint = 0;
  let lastLine = '';
  const tty = Boolean(stream.isTTY);
  const render = (p: Progress) => {
    const seconds = (Date.now() - phaseStarted) / 1000;
    const percent = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 100;
    const rate = seconds > 0 ? Math.round(p.done / seconds) : 0;
    return `${p.phase}: ${p.done}/${p.total} (${percent}%) ${rate}/s`;
  };
  return {
    update(p) {
      const now = Date.now();
      if (p.phase !== phase) {
        if (lastLine) stream.write(tty ? '\n' : '');
        phase = p.phase;
        phaseStarted = now;
        lastPrint = 0;
      }
      const finished = p.done >= p.total;
      if (!finished && now - lastPrint < (tty ? 200 : 2000)) return;
      lastPrint = now;
      lastLine = render(p);
      stream.write(tty ? `\r${lastLine}\u001b[K` : `${lastLine}\n`);
    },
    end() {
      if (lastLine && tty) stream.write('\n');
      lastLine = '';
    },
  };
}

function printErrors(errors: RowError[], omitted = 0): void {
  const shown = errors.slice(0, 100);
  for (const e of shown) console.log(`  ${e.file ? `${e.file} ` : ''}row ${e.row}, ${e.field}: ${e.message}`);
  const more = errors.length - shown.length + omitted;
  if (more > 0) console.log(`  … and ${more} more (see GET /api/v1/imports/<id> or --json)`);
}

function printBank(report: BankImportReport): void {
  console.log(
    `import ${report.importId}: ${report.fileName} (${report.encoding}), columns ${Object.entries(report.columns)
      .map(([f, h]) => `${f}="${h}"`)
      .join(' ')}`,
  );
  console.log(
    `rows read ${report.rowsRead}: imported ${report.imported}, unmatched ${report.unmatched} (queued for finance), duplicates ${report.duplicates}, skipped ${report.skipped.length}, rejected ${report.rejected}`,
  );
  for (const s of report.skipped.slice(0, 20)) console.log(`  skipped row ${s.row}: ${s.reason}`);
  if (report.skipped.length > 20) console.log(`  … and ${report.skipped.length - 20} more skipped`);
  printErrors(report.errors);
  for (const w of report.warnings) console.log(`  warning: ${w}`);
}

function printHistorical(report: HistoricalImportReport): void {
  console.log(
    `import ${report.importId}: ${report.status === 'imported' ? 'imported' : 'REJECTED: nothing was imported'}`,
  );
  for (const f of HISTORICAL_FILES) {
    const c = report[f];
    if (c.read > 0)
      console.log(`  ${f}: read ${c.read}, imported ${c.imported}, duplicates ${c.duplicates}, rejected ${c.rejected}`);
  }
  if (report.status === 'imported') {
    console.log(
      `  invoices open ${report.openInvoices}, paid ${report.paidInvoices}; disputes opened ${report.disputesOpened}, resolved ${report.disputesResolved}`,
    );
    if (report.creditHolds)
      console.log(`  credit holds: ${report.creditHolds.onHold} of ${report.creditHolds.customers} customers on hold`);
    const c = report.collections;
    if (c)
      console.log(
        `  collections: ${c.open} open invoices, ${c.started} started, ${c.alreadyRunning} already running, ${c.failed.length} failed`,
      );
    for (const f of c?.failed.slice(0, 20) ?? []) console.log(`    ${f.invoiceNo}: ${f.message}`);
    console.log(
      `  took ${(report.durationMs.validateAndWrite / 1000).toFixed(1)}s to validate and write${report.durationMs.collections !== undefined ? `, ${(report.durationMs.collections / 1000).toFixed(1)}s to start collections` : ''}`,
    );
  }
  printErrors(report.errors);
  for (const w of report.warnings) console.log(`  warning: ${w}`);
}

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    usage(`cannot read ${file}: ${(error as Error).message}`);
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command !== 'bank' && command !== 'historical') usage(command ? `unknown import ${command}` : undefined);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        mapping: { type: 'string' },
        encoding: { type: 'string' },
        currency: { type: 'string' },
        customers: { type: 'string' },
        contracts: { type: 'string' },
        invoices: { type: 'string' },
        settlements: { type: 'string' },
        concurrency: { type: 'string' },
        'no-collections': { type: 'boolean' },
        actor: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (error) {
    usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  const encoding = (values.encoding ?? 'auto') as EncodingOption;
  if (!ENCODINGS.includes(encoding)) usage(`--encoding must be one of ${ENCODINGS.join(', ')}`);
  const concurrency = Number(values.concurrency ?? 16);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
    usage('--concurrency must be a whole number from 1 to 256');
  let mapping: MappingName | BankMapping = 'auto';
  if (values.mapping) {
    if ((MAPPING_NAMES as string[]).includes(values.mapping)) mapping = values.mapping as MappingName;
    else {
      try {
        mapping = JSON.parse(readFile(values.mapping).toString('utf8')) as BankMapping;
      } catch (error) {
        usage(`--mapping ${values.mapping}: not JSON (${(error as Error).message})`);
      }
    }
  }
  const files: Partial<Record<HistoricalFile, FileInput>> = {};
  if (command === 'bank') {
    if (positionals.length !== 1) usage('name one statement file');
  } else {
    if (positionals.length > 0) usage(`unexpected ${positionals.join(' ')}`);
    for (const name of HISTORICAL_FILES) {
      const file = values[name];
      if (file) files[name] = { fileName: path.basename(file), bytes: readFile(file), encoding };
    }
    if (Object.keys(files).length === 0)
      usage('name at least one of --customers, --contracts, --invoices, --settlements');
  }

  const config = productionConfig(['DATABASE_URL', 'TEMPORAL']);
  const actor: Actor = { name: values.actor ?? `import (${os.userInfo().username})`, role: 'finance' };
  const db = connect(config.DATABASE_URL, 4);
  const temporal = await connectClient(config.temporal.settings, config.temporal.namespace);
  const progress = progressPrinter();
  let failed = false;
  try {
    if (command === 'bank') {
      const report = await importBankStatement(
        { db, temporal },
        {
          fileName: path.basename(positionals[0]),
          bytes: readFile(positionals[0]),
          encoding,
          mapping,
          currency: values.currency ?? 'CNY',
          timeZone: config.DEFAULT_TIME_ZONE,
        },
        actor,
        { onProgress: progress.update },
      );
      progress.end();
      if (values.json) console.log(JSON.stringify(report, null, 2));
      else printBank(report);
      failed = report.rejected > 0;
    } else {
      const report = await importHistorical(db, files, actor, {
        timeZone: config.DEFAULT_TIME_ZONE,
        onProgress: progress.update,
        collections: values['no-collections']
          ? undefined
          : {
              temporal,
              taskQueue: config.TEMPORAL_TASK_QUEUE,
              sendTime: config.LETTER_SEND_TIME as SendTime,
              concurrency,
            },
      });
      progress.end();
      if (values.json) console.log(JSON.stringify(report, null, 2));
      else printHistorical(report);
      failed = report.status === 'rejected' || (report.collections?.failed.length ?? 0) > 0;
    }
  } catch (error) {
    progress.end();
    if (!(error instanceof Refused)) throw error;
    console.error(
      error.reasons.map((reason) => `${reason.field ? `${reason.field}: ` : ''}${reason.message}`).join('\n') ||
        error.message,
    );
    failed = true;
  } finally {
    await temporal.connection.close();
    await db.destroy();
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
