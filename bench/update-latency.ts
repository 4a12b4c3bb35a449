/**
 * What a person waits for, beside what Temporal itself costs, in one run on one embedded stack:
 *   - 200 sequential contract transitions through the API (25 contracts × approve … accept) against
 *     200 sequential trivial executeUpdates and 200 plain API GETs of a contract: p50 and p95;
 *     goal: transition p50 ≤ 1.5 × (trivial update p50 + GET p50);
 *   - registrations (POST /api/v1/contracts) from 8 concurrent clients against trivial workflow starts
 *     from 8 concurrent clients: goal ≥ 0.8× the rate.
 *   npx tsx bench/update-latency.ts [--contracts 25]
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { addDays, localDateOf } from '../domain/dates';
import { touchUpdate, touchWorkflow } from './support/trivial-workflows';
import {
  type BenchStack,
  TRIVIAL_TASK_QUEUE,
  apiCall,
  cpuByPart,
  cpuSpent,
  eachWithLimit,
  percentile,
  startBenchStack,
  machineLine,
  runBench,
} from './support/stack';

const CLIENTS = 8;
const cny = (value: string) => ({ value, currency: 'CNY' });
const today = () => localDateOf(Date.now(), 'Asia/Shanghai');
const TERMS = {
  deliverables: ['system'],
  acceptanceOwner: 'Li Wei',
  acceptanceCriteria: 'UAT report signed',
  invoicingDetails: 'VAT invoice',
  paymentSchedule: '40/60',
  paymentOwner: 'Wang Fang',
  paymentMethod: 'bank transfer',
  lateInterestRatePercent: '18.25',
  penaltyClause: '0.05% a day',
};

/** The eight transitions from opportunity to accepted, each with the role that may make it. */
const TRANSITIONS: { action: string; role: 'finance' | 'sales' | 'delivery'; body: () => unknown }[] = [
  {
    action: 'approve',
    role: 'finance',
    body: () => ({ risk: { customerRisk: 1, projectRisk: 2, requirementRisk: 2 } }),
  },
  { action: 'review', role: 'sales', body: () => ({ estimatedCost: cny('60000.00') }) },
  { action: 'sign', role: 'sales', body: () => ({ signedOn: addDays(today(), -1) }) },
  {
    action: 'split',
    role: 'finance',
    body: () => ({
      milestones: [
        { kind: 'advance', percent: '40', trigger: { type: 'on_signing' }, termDays: 30 },
        { kind: 'final', percent: '60', trigger: { type: 'on_acceptance' }, termDays: 30 },
      ],
    }),
  },
  { action: 'budget', role: 'finance', body: () => ({ budget: cny('65000.00') }) },
  {
    action: 'handover',
    role: 'sales',
    body: () => ({
      owners: {
        account: 'Sally Sales',
        solution: 'Sam Solution',
        fulfilment: 'Dee Delivery',
        finance: 'Fiona Finance',
        executiveSponsor: 'Eve Exec',
      },
    }),
  },
  { action: 'deliver', role: 'delivery', body: () => ({ deliveredOn: today() }) },
  {
    action: 'accept',
    role: 'delivery',
    body: () => ({ acceptedOn: today(), acceptor: 'Li Wei', documentRef: 'UAT-1' }),
  },
];

async function timed(call: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await call();
  return performance.now() - started;
}

function summary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

async function expectStatus(
  call: Promise<{ status: number; body: unknown }>,
  status: number,
  what: string,
): Promise<void> {
  const response = await call;
  if (response.status !== status)
    throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`);
}

async function createCustomer(stack: BenchStack): Promise<string> {
  const code = `LAT-${crypto.randomBytes(3).toString('hex')}`;
  await expectStatus(
    apiCall(stack.apiUrl, stack.tokens.sales, 'POST', '/api/v1/customers', {
      code,
      name: `${code} Co.`,
      grade: 'A',
      creditLimit: cny('1000000000.00'),
      contacts: [{ role: 'payment_owner', name: 'Wang Fang', email: 'ap@lat.example' }],
    }),
    201,
    'customer',
  );
  return code;
}

/** Registrations from CLIENTS clients at once; returns contracts per second and the contract numbers. */
async function registrations(stack: BenchStack, customer: string, count: number) {
  const nos = Array.from({ length: count }, (_, i) => `LAT-HT-${i}-${crypto.randomBytes(2).toString('hex')}`);
  const started = performance.now();
  await eachWithLimit(nos, CLIENTS, (no) =>
    expectStatus(
      apiCall(stack.apiUrl, stack.tokens.sales, 'POST', '/api/v1/contracts', {
        no,
        customerCode: customer,
        title: 'Latency bench',
        amount: cny('100000.00'),
        paymentTermsType: 'credit_terms',
        terms: TERMS,
      }),
      201,
      `register ${no}`,
    ),
  );
  return { perSecond: count / ((performance.now() - started) / 1000), nos };
}

async function trivialStarts(stack: BenchStack, count: number): Promise<number> {
  const ids = Array.from({ length: count }, (_, i) => `touch-start-${i}-${crypto.randomBytes(3).toString('hex')}`);
  const started = performance.now();
  await eachWithLimit(ids, CLIENTS, async (workflowId) => {
    await stack.client.workflow.start(touchWorkflow, { workflowId, taskQueue: TRIVIAL_TASK_QUEUE });
  });
  return count / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { contracts: { type: 'string', default: '25' } } });
  const contracts = Number(values.contracts);
  // WORKER_NODE_ARGS go to the worker process only, e.g. "--cpu-prof --cpu-prof-dir=prof".
  const stack = await startBenchStack({}, (process.env.WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean));
  try {
    const customer = await createCustomer(stack);
    // Warm both paths once (bundles loaded, connections open) before measuring.
    await registrations(stack, customer, CLIENTS);
    await trivialStarts(stack, CLIENTS);
    const trivialStartRate = await trivialStarts(stack, contracts * 8);
    const registration = await registrations(stack, customer, contracts * 8);

    const cpuBeforeTransitions = cpuByPart(stack);
    const transitionMs: number[] = [];
    const byAction = new Map<string, number[]>(TRANSITIONS.map(({ action }) => [action, []]));
    for (const no of registration.nos.slice(0, contracts)) {
      for (const { action, role, body } of TRANSITIONS) {
        const ms = await timed(() =>
          expectStatus(
            apiCall(stack.apiUrl, stack.tokens[role], 'POST', `/api/v1/contracts/${no}/${action}`, body()),
            200,
            `${action} ${no}`,
          ),
        );
        transitionMs.push(ms);
        byAction.get(action)!.push(ms);
      }
    }
    const transitionCpu = cpuSpent(cpuBeforeTransitions, cpuByPart(stack));
    const handle = await stack.client.workflow.start(touchWorkflow, {
      workflowId: `touch-${crypto.randomBytes(4).toString('hex')}`,
      taskQueue: TRIVIAL_TASK_QUEUE,
    });
    const cpuBeforeUpdates = cpuByPart(stack);
    const updateMs: number[] = [];
    for (let i = 0; i < transitionMs.length + 10; i += 1) {
      const ms = await timed(() => handle.executeUpdate(touchUpdate, { args: [1] }));
      if (i >= 10) updateMs.push(ms);
    }
    const updateCpu = cpuSpent(cpuBeforeUpdates, cpuByPart(stack));
    const getMs: number[] = [];
    for (let i = 0; i < transitionMs.length; i += 1) {
      const no = registration.nos[i % contracts];
      getMs.push(
        await timed(() =>
          expectStatus(apiCall(stack.apiUrl, stack.tokens.sales, 'GET', `/api/v1/contracts/${no}`), 200, 'get'),
        ),
      );
    }

    const transition = summary(transitionMs);
    const update = summary(updateMs);
    const get = summary(getMs);
    const budget = 1.5 * (update.p50 + get.p50);
    const rows = [
      ['', 'p50 ms', 'p95 ms', 'n'],
      [
        'contract transition through the API',
        transition.p50.toFixed(1),
        transition.p95.toFixed(1),
        String(transitionMs.length),
      ],
      ['trivial executeUpdate', update.p50.toFixed(1), update.p95.toFixed(1), String(updateMs.length)],
      ['plain API GET (a contract)', get.p50.toFixed(1), get.p95.toFixed(1), String(getMs.length)],
      [
        'goal: transition p50 ≤ 1.5 × (update + GET)',
        `${transition.p50.toFixed(1)} ≤ ${budget.toFixed(1)}`,
        transition.p50 <= budget ? 'met' : 'MISSED',
        '',
      ],
      ['', 'per second', '', ''],
      [`registrations, ${CLIENTS} clients`, registration.perSecond.toFixed(1), '', String(contracts * 8)],
      [`trivial workflow starts, ${CLIENTS} clients`, trivialStartRate.toFixed(1), '', String(contracts * 8)],
      [
        'goal: registrations ≥ 0.8 × starts',
        (registration.perSecond / trivialStartRate).toFixed(2),
        registration.perSecond >= 0.8 * trivialStartRate ? 'met' : 'MISSED',
        '',
      ],
    ];
    console.log(`\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}`);
    console.log(
      `\ntransition p50 by action: ${[...byAction].map(([action, ms]) => `${action} ${summary(ms).p50.toFixed(1)}`).join(', ')}`,
    );
    console.log(`\nCPU seconds, the transitions: ${transitionCpu}`);
    console.log(`CPU seconds, the trivial updates (10 more, to warm): ${updateCpu}`);
    console.log(`\n${machineLine()}`);
  } finally {
    await stack.stop();
  }
}

runBench(main);
