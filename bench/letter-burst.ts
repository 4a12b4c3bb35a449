/**
 * A month-end burst of letters, beside its baseline, in one run on one embedded stack:
 *   1. baseline: N trivial one-activity workflows started at once (50 starts in flight), run by a
 *      worker process with the product worker's settings; done when its activity has run N times;
 *   2. collections: N invoices already 5 days overdue (one letter each, the +1 day step) imported
 *      through POST /api/v1/imports/historical, timed from the request to the N-th letter in the mailbox.
 * Meanwhile /healthz is polled every 200 ms. Checks 0 lost and 0 duplicated letters, and compares
 * throughput and worker memory per cached workflow (RSS growth of each worker process / N).
 *   npx tsx bench/letter-burst.ts [--invoices 2000]
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { addDays, localDateOf } from '../domain/dates';
import { pingWorkflow } from './support/trivial-workflows';
import {
  type BenchStack,
  HealthProbe,
  TRIVIAL_TASK_QUEUE,
  apiCall,
  cpuByPart,
  cpuByThread,
  cpuSpent,
  eachWithLimit,
  rssMiB,
  sleep,
  startBenchStack,
  machineLine,
  runBench,
} from './support/stack';

const INVOICES_PER_CUSTOMER = 10;

/** Go-live files: N invoices of 1,000.00 due 5 days ago, ten per customer, one contract per customer. */
function burstFiles(invoices: number) {
  const today = localDateOf(Date.now(), 'Asia/Shanghai');
  const customers: string[] = [];
  const contracts: string[] = [];
  const rows: string[] = [];
  for (let c = 0; c * INVOICES_PER_CUSTOMER < invoices; c += 1) {
    const code = `B${String(c).padStart(5, '0')}`;
    const count = Math.min(INVOICES_PER_CUSTOMER, invoices - c * INVOICES_PER_CUSTOMER);
    customers.push(
      `${code},Burst ${code} Ltd,${count * 1000}.00,CNY,zh-CN,Asia/Shanghai,Pat Payer,ap@${code.toLowerCase()}.example`,
    );
    contracts.push(`${code}-HT,${code},Burst contract,${count * 1000}.00,CNY,Sales,Sally Sales,${addDays(today, -90)}`);
    for (let i = 0; i < count; i += 1)
      rows.push(`${code}-INV-${i},${code}-HT,${addDays(today, -35)},${addDays(today, -5)},1000.00,no`);
  }
  return {
    customers: {
      fileName: 'customers.csv',
      content: `code,name,credit_limit,currency,locale,time_zone,contact_name,contact_email\n${customers.join('\n')}\n`,
    },
    contracts: {
      fileName: 'contracts.csv',
      content: `contract_no,customer_code,title,amount,currency,department,owner,signed_date\n${contracts.join('\n')}\n`,
    },
    invoices: {
      fileName: 'invoices.csv',
      content: `invoice_no,contract_no,issue_date,due_date,amount,disputed\n${rows.join('\n')}\n`,
    },
  };
}

/** Every day a working day, so the burst goes out whatever day the bench runs. */
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

async function baseline(stack: BenchStack, n: number) {
  const rssBefore = rssMiB(stack.trivialWorker.pid!);
  const cpuBefore = cpuByPart(stack);
  const started = performance.now();
  await eachWithLimit(
    Array.from({ length: n }, (_, i) => i),
    50,
    async (i) => {
      await stack.client.workflow.start(pingWorkflow, {
        workflowId: `ping-${i}-${Date.now()}`,
        taskQueue: TRIVIAL_TASK_QUEUE,
      });
    },
  );
  const allStarted = performance.now();
  while (stack.pings() < n) await sleep(50);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSpent(cpuBefore, cpuByPart(stack));
  await sleep(2_000);
  return {
    seconds,
    startsSeconds: (allStarted - started) / 1000,
    perSecond: n / seconds,
    rssBefore,
    rssAfter: rssMiB(stack.trivialWorker.pid!),
    cpu,
  };
}

async function mailboxCount(stack: BenchStack): Promise<number> {
  const row = await stack.db
    .selectFrom('mailbox')
    .select(sql<number>`count(*)::int`.as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}

async function collections(stack: BenchStack, n: number) {
  await everyDayCalendar(stack);
  const rssBefore = rssMiB(stack.worker.pid!);
  const cpuBefore = cpuByPart(stack);
  const threadsBefore = cpuByThread(stack.worker.pid!);
  const started = performance.now();
  const imported = await apiCall(
    stack.apiUrl,
    stack.tokens.finance,
    'POST',
    '/api/v1/imports/historical',
    burstFiles(n),
  );
  if (imported.status !== 201)
    throw new Error(`import: ${imported.status} ${JSON.stringify(imported.body).slice(0, 500)}`);
  const importSeconds = (performance.now() - started) / 1000;
  console.log(`  import answered in ${importSeconds.toFixed(1)} s: ${JSON.stringify(imported.body.durationMs)}`);
  let lastProgress = 0;
  for (;;) {
    const delivered = await mailboxCount(stack);
    if (delivered >= n) break;
    if (performance.now() - lastProgress > 10_000) {
      console.log(`  … ${delivered} of ${n} letters after ${((performance.now() - started) / 1000).toFixed(0)} s`);
      lastProgress = performance.now();
    }
    if (performance.now() - started > 30 * 60_000)
      throw new Error(`only ${delivered} of ${n} letters after 30 minutes`);
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSpent(cpuBefore, cpuByPart(stack));
  const threads = Object.entries(cpuByThread(stack.worker.pid!))
    .map(([thread, seconds]) => [thread, seconds - (threadsBefore[thread] ?? 0)] as const)
    .filter(([, seconds]) => seconds >= 0.1);
  console.log(`  worker CPU seconds by thread: ${threads.map(([t, s]) => `${t} ${s.toFixed(1)}`).join(', ')}`);
  await sleep(3_000); // a duplicate would arrive right behind
  return {
    seconds,
    importSeconds,
    perSecond: n / seconds,
    rssBefore,
    rssAfter: rssMiB(stack.worker.pid!),
    cpu,
    ...(await letterAudit(stack, n)),
  };
}

/** Lost: an invoice without its sent letter in the mailbox. Duplicated: a second letter, or a Message-ID delivered twice. */
async function letterAudit(stack: BenchStack, n: number) {
  const letters = await stack.db.selectFrom('letters').select(['invoice_no', 'message_id', 'status']).execute();
  const mail = await stack.db.selectFrom('mailbox').select(['message_id', 'deliveries']).execute();
  const inMailbox = new Set(mail.map((m) => m.message_id));
  const sentAndDelivered = new Set(
    letters.filter((l) => l.status === 'sent' && inMailbox.has(l.message_id)).map((l) => l.invoice_no),
  );
  return {
    lost: n - sentAndDelivered.size,
    duplicated:
      letters.length -
      new Set(letters.map((l) => l.invoice_no)).size +
      mail.reduce((extra, m) => extra + m.deliveries - 1, 0),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { invoices: { type: 'string', default: '2000' } } });
  const n = Number(values.invoices);
  // WORKER_NODE_ARGS go to the worker process only, e.g. "--cpu-prof --cpu-prof-dir=prof" to see where its time goes.
  const stack = await startBenchStack({}, (process.env.WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean));
  try {
    const health = new HealthProbe(stack.apiUrl);
    console.log(`baseline: ${n} trivial one-activity workflows…`);
    const base = await baseline(stack, n);
    console.log(`collections: ${n} overdue invoices imported, one letter each…`);
    const burst = await collections(stack, n);
    const probe = await health.stop();
    const perWorkflowKiB = (before: number, after: number) => ((after - before) * 1024) / n;
    const baseKiB = perWorkflowKiB(base.rssBefore, base.rssAfter);
    const burstKiB = perWorkflowKiB(burst.rssBefore, burst.rssAfter);
    const rows: [string, string, string, string][] = [
      ['', 'trivial workflows', 'collections (letters)', 'goal'],
      ['N', String(n), String(n), ''],
      [
        'seconds, start → last done',
        `${base.seconds.toFixed(1)} (all started in ${base.startsSeconds.toFixed(1)})`,
        `${burst.seconds.toFixed(1)} (import answered in ${burst.importSeconds.toFixed(1)})`,
        '',
      ],
      [
        'per second',
        base.perSecond.toFixed(1),
        burst.perSecond.toFixed(1),
        `ratio ${(burst.perSecond / base.perSecond).toFixed(2)} ≥ 0.7`,
      ],
      [
        'worker RSS before → after, MiB',
        `${base.rssBefore.toFixed(0)} → ${base.rssAfter.toFixed(0)}`,
        `${burst.rssBefore.toFixed(0)} → ${burst.rssAfter.toFixed(0)}`,
        '',
      ],
      [
        'RSS per cached workflow, KiB',
        baseKiB.toFixed(1),
        burstKiB.toFixed(1),
        `ratio ${(burstKiB / baseKiB).toFixed(2)} ≤ 1.5`,
      ],
      ['lost / duplicated letters', '', `${burst.lost} / ${burst.duplicated}`, '0 / 0'],
      [
        '/healthz max / p99 ms (samples, non-200)',
        '',
        `${probe.maxMs.toFixed(0)} / ${probe.p99Ms.toFixed(0)} (${probe.samples}, ${probe.failures})`,
        'max < 1000',
      ],
    ];
    console.log(`\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}`);
    console.log(`\nCPU seconds, baseline: ${base.cpu}\nCPU seconds, collections: ${burst.cpu}`);
    console.log(`\n${machineLine()}`);
  } finally {
    await stack.stop();
  }
}

runBench(main);
