/**
 * Starting the collections of the open invoices after a go-live import, beside trivial workflow starts, in one
 * run on one embedded stack (bench/support/stack.ts: PostgreSQL, Temporal dev server, SMTP catcher, worker and
 * API processes as `npm start` runs them, and the baseline worker on its own task queue):
 *   1. baseline: as many trivial workflows (pingWorkflow: one activity, then a long timer) as there will be open
 *      invoices, started from this process with the import's concurrency (16 starts in flight); timed from the
 *      first start call to the last one's answer;
 *   2. the import: bench/imports.ts's files (one invoice in five... about 19 % open, 1 % of them disputed)
 *      through POST /api/v1/imports/historical; the API process starts the collections after the commit and
 *      reports how long that took (report.durationMs.collections) and how many it started.
 * Both count starts/s: what the server accepted, not the workflows' first tasks (those run meanwhile).
 *   npx tsx bench/import-starts.ts [--invoices 10000]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { localDateOf } from '../domain/dates';
import { generate } from './imports';
import { pingWorkflow } from './support/trivial-workflows';
import {
  type BenchStack,
  TRIVIAL_TASK_QUEUE,
  apiCall,
  cpuByPart,
  cpuSpent,
  eachWithLimit,
  startBenchStack,
  machineLine,
  runBench,
} from './support/stack';

/** The import's default (services/imports/collections.ts). */
const IN_FLIGHT = 16;

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function trivialStarts(stack: BenchStack, n: number) {
  const cpuBefore = cpuByPart(stack);
  const started = performance.now();
  await eachWithLimit(
    Array.from({ length: n }, (_, i) => i),
    IN_FLIGHT,
    async (i) => {
      await stack.client.workflow.start(pingWorkflow, {
        workflowId: `ping-${i}-${Date.now()}`,
        taskQueue: TRIVIAL_TASK_QUEUE,
      });
    },
  );
  const seconds = (performance.now() - started) / 1000;
  return { seconds, perSecond: n / seconds, cpu: cpuSpent(cpuBefore, cpuByPart(stack)) };
}

async function importAndStart(stack: BenchStack, invoices: number) {
  const files = generate(invoices, localDateOf(Date.now(), 'Asia/Shanghai'));
  const body = Object.fromEntries(
    (['customers', 'contracts', 'invoices', 'settlements'] as const).map((f) => [
      f,
      { fileName: `${f}.csv`, content: files[f] },
    ]),
  );
  const cpuBefore = cpuByPart(stack);
  const started = performance.now();
  const response = await apiCall(stack.apiUrl, stack.tokens.finance, 'POST', '/api/v1/imports/historical', body);
  if (response.status !== 201)
    throw new Error(`import: ${response.status} ${JSON.stringify(response.body).slice(0, 500)}`);
  const report = response.body;
  const seconds = report.durationMs.collections / 1000;
  return {
    requestSeconds: (performance.now() - started) / 1000,
    validateAndWriteSeconds: report.durationMs.validateAndWrite / 1000,
    seconds,
    collections: report.collections as {
      open: number;
      started: number;
      alreadyRunning: number;
      disputesOpened: number;
      failed: unknown[];
    },
    perSecond: report.collections.started / seconds,
    cpu: cpuSpent(cpuBefore, cpuByPart(stack)),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { invoices: { type: 'string', default: '10000' } } });
  const invoices = Number(values.invoices);
  if (!Number.isInteger(invoices) || invoices < 1) throw new Error('--invoices must be a positive whole number');
  const open = generate(invoices, localDateOf(Date.now(), 'Asia/Shanghai')).counts.open;
  const stack = await startBenchStack();
  try {
    console.log(`baseline: ${open} trivial workflow starts, ${IN_FLIGHT} in flight… (load ${load()})`);
    const base = await trivialStarts(stack, open);
    console.log(`  ${base.seconds.toFixed(1)} s, ${base.perSecond.toFixed(1)} starts/s (load ${load()})`);
    console.log(`import of ${invoices} invoices (${open} open), then their collections… (load ${load()})`);
    const run = await importAndStart(stack, invoices);
    console.log(
      `  request ${run.requestSeconds.toFixed(1)} s: validate + write ${run.validateAndWriteSeconds.toFixed(1)} s, ` +
        `collections ${run.seconds.toFixed(1)} s for ${JSON.stringify(run.collections)} (load ${load()})`,
    );
    if (run.collections.failed.length > 0 || run.collections.started !== open)
      throw new Error(`expected ${open} collections started: ${JSON.stringify(run.collections)}`);
    console.log(
      `\n| | trivial workflows | collections after the import |\n|---|---:|---:|\n` +
        `| starts | ${open} | ${run.collections.started} (${run.collections.disputesOpened} with their dispute) |\n` +
        `| seconds | ${base.seconds.toFixed(1)} | ${run.seconds.toFixed(1)} |\n` +
        `| starts/s | ${base.perSecond.toFixed(1)} | ${run.perSecond.toFixed(1)} (ratio ${(run.perSecond / base.perSecond).toFixed(2)}) |`,
    );
    console.log(`\nCPU seconds, baseline: ${base.cpu}\nCPU seconds, import and starts: ${run.cpu}`);
    console.log(machineLine());
  } finally {
    await stack.stop();
  }
}

runBench(main);
