/**
 * End to end: boots the whole `npm start` stack (embedded PostgreSQL, Temporal dev server, SMTP
 * catcher, worker and API) from the repository the way a new user would, drives one contract
 * through the public API from registration to Closed, then stops the stack with Ctrl-C (SIGINT).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addDays, localDateOf } from '../../domain/dates';
import {
  type ProcessEntry,
  StackProcess,
  describeAlive,
  eventually,
  freePorts,
  isAlive,
  killQuietly,
  makeDataDir,
  processesUsing,
  removeDataDir,
  sleep,
} from './stack-process';

const STOP_LIMIT_MS = 10_000;

const cny = (value: string) => ({ value, currency: 'CNY' });
const today = () => localDateOf(Date.now(), 'Asia/Shanghai');
const daysAgo = (days: number) => addDays(today(), -days);

interface Response {
  status: number;
  body: any;
}

class Api {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  async request(method: string, route: string, body?: unknown): Promise<Response> {
    const response = await fetch(`${this.baseUrl}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep the text for the failure message */
    }
    return { status: response.status, body: parsed };
  }

  get(route: string) {
    return this.request('GET', route);
  }
  post(route: string, body: unknown = {}) {
    return this.request('POST', route, body);
  }
  as(token: string) {
    return new Api(this.baseUrl, token);
  }
}

/** The supervisor's children: the API, the worker, and a guard each for PostgreSQL and Temporal running the server below it. */
function expectSupervisedShape(tree: ProcessEntry[]): void {
  const launcher = tree.filter((p) => p.args.includes('bin/start.ts')).at(-1)!;
  const childOf = (parent: ProcessEntry, fragment: string) =>
    tree.find((p) => p.ppid === parent.pid && p.args.includes(fragment));
  const shape = JSON.stringify(
    tree.map((p) => `${p.pid}<${p.ppid} ${p.args.slice(0, 120)}`),
    null,
    1,
  );
  expect(launcher, shape).toBeDefined();
  for (const script of ['bin/api.ts', 'bin/worker.ts', 'stack/postgres-service.ts', 'stack/temporal-service.ts']) {
    expect(childOf(launcher, script), `${script} below the launcher\n${shape}`).toBeDefined();
  }
  expect(
    childOf(childOf(launcher, 'stack/postgres-service.ts')!, 'postgres -D'),
    `the postmaster below its guard\n${shape}`,
  ).toBeDefined();
  expect(
    childOf(childOf(launcher, 'stack/temporal-service.ts')!, 'start-dev'),
    `the Temporal server below its guard\n${shape}`,
  ).toBeDefined();
}

async function gone(pids: number[], withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(200);
  return pids.filter(isAlive);
}

describe('npm start', () => {
  const dataDirs: string[] = [];
  const stacks: StackProcess[] = [];
  const newDataDir = () => {
    const dir = makeDataDir('huikuan-e2e-');
    dataDirs.push(dir);
    return dir;
  };
  const launch = (
    dataDir: string,
    ports: Awaited<ReturnType<typeof freePorts>>,
    command?: Parameters<typeof StackProcess.spawn>[3],
  ) => {
    const stack = StackProcess.spawn(dataDir, ports, {}, command);
    stacks.push(stack);
    return stack;
  };

  afterAll(async () => {
    // Only does something when a test failed before the orderly stop.
    for (const stack of stacks) await stack.forceStop();
    for (const dir of dataDirs) await removeDataDir(dir);
  });

  it('boots, drives a contract from registration to Closed through the API, and stops on Ctrl-C', async () => {
    const dataDir = newDataDir();
    const ports = await freePorts();
    const { port, uiPort } = ports;

    // ---- start-up ------------------------------------------------------------------------------
    const stack = launch(dataDir, ports);
    const startupMs = await stack.waitForRunning();
    console.log(`stack start-up took ${(startupMs / 1000).toFixed(1)} s`);
    const child = stack.child;
    const output = () => stack.output();
    const { stdout } = stack;

    // What a user reads; the admin token is not in a log (stdout is not a terminal here), only its file.
    const apiUrl = stack.apiUrl;
    expect(stdout).toMatch(new RegExp(`API\\s+${apiUrl.replace(/[.]/g, '\\.')}\\b`));
    expect(stdout).toContain(`Temporal UI    http://127.0.0.1:${uiPort}`);
    const tokenFile = path.join(dataDir, 'admin-token');
    expect(stdout).toContain(`Admin token    in ${tokenFile}`);
    const ADMIN_TOKEN = fs.readFileSync(tokenFile, 'utf8').trim();
    expect(ADMIN_TOKEN.length).toBeGreaterThanOrEqual(16);
    expect(stack.stdout + stack.stderr).not.toContain(ADMIN_TOKEN);
    expect(stdout).toContain(`(mailbox: ${apiUrl}/api/v1/mailbox)`);
    expect(port).toBeGreaterThan(0);

    // The console: a browser without a session is sent to sign in; the admin signs in with the first password.
    const passwordFile = path.join(dataDir, 'admin-password');
    expect(stdout).toContain(`Console        ${apiUrl}/   sign in as admin, password in ${passwordFile}`);
    const home = await fetch(`${apiUrl}/`, { redirect: 'manual' });
    expect([home.status, home.headers.get('location')]).toEqual([303, '/sign-in']);
    const signedIn = await fetch(`${apiUrl}/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'admin', password: fs.readFileSync(passwordFile, 'utf8').trim(), next: '/' }),
    });
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.headers.get('set-cookie')!.split(';')[0];
    const myWork = await fetch(`${apiUrl}/`, { headers: { cookie } });
    expect(myWork.status).toBe(200);
    expect(await myWork.text()).toContain('我的工作');
    expectSupervisedShape(stack.tree());

    const anonymous = new Api(apiUrl);
    const admin = anonymous.as(ADMIN_TOKEN);

    // ---- health --------------------------------------------------------------------------------
    const health = await anonymous.get('/healthz');
    expect(health.status, JSON.stringify(health.body)).toBe(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      checks: { postgres: 'ok', temporal: 'ok', smtp: 'ok', worker: 'ok' },
    });

    // ---- people --------------------------------------------------------------------------------
    const person = async (name: string, role: string): Promise<Api> => {
      const created = await admin.post('/api/v1/tokens', { name, role });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ name, role });
      expect(typeof created.body.token).toBe('string');
      return admin.as(created.body.token);
    };
    const sales = await person('Sally Sales', 'sales');
    const finance = await person('Fiona Finance', 'finance');
    const delivery = await person('Dee Delivery', 'delivery');

    // ---- customer and contract ----------------------------------------------------------------
    const customerCode = 'E2E-GLOBEX';
    const payer = 'pat.payer@globex.example';
    const customer = await sales.post('/api/v1/customers', {
      code: customerCode,
      name: 'Globex Trading Ltd',
      grade: 'A',
      creditLimit: cny('5000000.00'),
      locale: 'en',
      contacts: [
        { role: 'payment_owner', name: 'Pat Payer', email: payer },
        { role: 'decision_maker', name: 'Dana Director', email: 'dana@globex.example' },
      ],
    });
    expect(customer.status, JSON.stringify(customer.body)).toBe(201);
    expect(customer.body).toMatchObject({ code: customerCode, locale: 'en' });

    const no = 'E2E-HT-001';
    const registered = await sales.post('/api/v1/contracts', {
      no,
      customerCode,
      title: 'Warehouse system',
      amount: cny('100000.00'),
      paymentTermsType: 'credit_terms',
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body.stage).toBe('Opportunity');

    const signedOn = daysAgo(60);
    const deliveredOn = daysAgo(5);
    const acceptedOn = daysAgo(3);
    const terms = {
      deliverables: ['warehouse management system', 'training'],
      acceptanceOwner: 'Li Wei, operations director',
      acceptanceCriteria: 'UAT report signed by the acceptance owner',
      invoicingDetails: 'VAT special invoice, Globex Trading Ltd',
      paymentSchedule: '40% on signing, 60% on acceptance',
      paymentOwner: 'Pat Payer, finance manager',
      paymentMethod: 'bank transfer to account 6222 0000 1111 2222',
      lateInterestRatePercent: '18.25',
      penaltyClause: '0.05% of the overdue amount per day',
    };

    const act = async (client: Api, action: string, body: unknown, expectedStage: string) => {
      const response = await client.post(`/api/v1/contracts/${no}/${action}`, body);
      expect(response.status, `${action}: ${JSON.stringify(response.body)}`).toBe(200);
      expect(response.body.stage, `stage after ${action}`).toBe(expectedStage);
      return response.body;
    };

    await act(finance, 'approve', { risk: { customerRisk: 1, projectRisk: 2, requirementRisk: 2 } }, 'SolutionReview');
    await act(sales, 'review', { estimatedCost: cny('60000.00') }, 'ContractReview');
    await act(sales, 'sign', { signedOn, terms }, 'Split');

    // A refusal: delivery cannot be recorded while the contract waits for its split.
    const early = await delivery.post(`/api/v1/contracts/${no}/deliver`, { deliveredOn });
    expect(early.status, JSON.stringify(early.body)).toBe(409);
    expect(Array.isArray(early.body.details)).toBe(true);
    expect(early.body.details.map((d: { message: string }) => d.message).join('\n')).toContain('stage Split');
    expect((await sales.get(`/api/v1/contracts/${no}`)).body.stage).toBe('Split');

    await act(
      finance,
      'split',
      {
        milestones: [
          { kind: 'advance', percent: '40', trigger: { type: 'on_signing' }, termDays: 30 },
          { kind: 'final', percent: '60', trigger: { type: 'on_acceptance' }, termDays: 30 },
        ],
      },
      'Budget',
    );
    await act(finance, 'budget', { budget: cny('65000.00') }, 'Handover');
    await act(
      sales,
      'handover',
      {
        owners: {
          account: 'Sally Sales',
          solution: 'Sam Solution',
          fulfilment: 'Dee Delivery',
          finance: 'Fiona Finance',
          executiveSponsor: 'Eve Exec',
        },
      },
      'Delivery',
    );
    await act(delivery, 'deliver', { deliveredOn }, 'Acceptance');
    const accepted = await act(
      delivery,
      'accept',
      { acceptedOn, acceptor: 'Li Wei', documentRef: 'UAT-E2E-1' },
      'Collection',
    );
    expect(accepted.terms).toEqual(terms);

    // ---- invoices ------------------------------------------------------------------------------
    const invoiceReady = await eventually(
      async () => {
        const response = await finance.get('/api/v1/invoice-ready');
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        const mine = response.body.filter((r: { contractNo: string }) => r.contractNo === no);
        return mine.length === 2 ? mine : undefined;
      },
      10_000,
      'both milestones to be invoice-ready',
    );
    expect(invoiceReady).toEqual([
      expect.objectContaining({
        milestoneSeq: 1,
        kind: 'advance',
        amount: cny('40000.00'),
        readyOn: signedOn,
        termDays: 30,
        customerCode,
      }),
      expect.objectContaining({
        milestoneSeq: 2,
        kind: 'final',
        amount: cny('60000.00'),
        readyOn: acceptedOn,
        termDays: 30,
        customerCode,
      }),
    ]);

    const advanceNo = 'E2E-INV-A';
    const finalNo = 'E2E-INV-F';
    const advance = await finance.post('/api/v1/invoices', {
      contractNo: no,
      milestoneSeq: 1,
      invoiceNo: advanceNo,
      issueDate: daysAgo(40),
      taxRatePercent: '13',
    });
    expect(advance.status, JSON.stringify(advance.body)).toBe(201);
    expect(advance.body).toMatchObject({
      no: advanceNo,
      status: 'open',
      balance: cny('40000.00'),
      issueDate: daysAgo(40),
      dueDate: daysAgo(10),
    });
    const final = await finance.post('/api/v1/invoices', {
      contractNo: no,
      milestoneSeq: 2,
      invoiceNo: finalNo,
      issueDate: today(),
      taxRatePercent: '13',
    });
    expect(final.status, JSON.stringify(final.body)).toBe(201);
    expect(final.body).toMatchObject({
      no: finalNo,
      status: 'open',
      balance: cny('60000.00'),
      issueDate: today(),
      dueDate: addDays(today(), 30),
    });

    // ---- the overdue letter reaches the embedded mailbox, once -------------------------------
    const advanceMail = async () => {
      const box = await finance.get('/api/v1/mailbox');
      expect(box.status, JSON.stringify(box.body)).toBe(200);
      return box.body.filter((m: { subject: string }) => m.subject.includes(advanceNo));
    };
    const letters = await eventually(
      async () => {
        const mail = await advanceMail();
        return mail.length > 0 ? mail : undefined;
      },
      60_000,
      `the overdue letter for ${advanceNo}`,
    );
    await sleep(3_000); // a duplicate would arrive right behind the first
    const settled = await advanceMail();
    expect(settled).toHaveLength(1);
    expect(letters[0].subject).toBe(`Request for your help: invoice ${advanceNo} is 10 days overdue`);
    expect(letters[0].to).toContain(payer);
    const box = await finance.get('/api/v1/mailbox');
    expect(box.body.filter((m: { subject: string }) => m.subject.includes(finalNo))).toHaveLength(0);

    // ---- metrics: the API's own, the outbox read from the database, the worker's Temporal SDK metrics ----
    const metrics = await fetch(`${apiUrl}/metrics`);
    expect(metrics.status).toBe(200);
    const scrape = await metrics.text();
    expect(scrape).toMatch(
      /^huikuan_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/mailbox",status="200"\} [1-9]/m,
    );
    expect(scrape).toMatch(/^huikuan_letters\{status="sent"\} [1-9]/m);
    expect(scrape).toMatch(/^temporal_\w+/m);

    // ---- payments close the contract -----------------------------------------------------------
    const payAdvance = await finance.post('/api/v1/payments', {
      customerCode,
      amount: cny('40000.00'),
      reference: 'E2E-BANK-1',
      receivedOn: today(),
      invoiceNo: advanceNo,
    });
    expect(payAdvance.status, JSON.stringify(payAdvance.body)).toBe(201);
    expect(payAdvance.body.allocations).toEqual([
      expect.objectContaining({
        invoiceNo: advanceNo,
        amount: cny('40000.00'),
        invoiceBalance: cny('0.00'),
        rule: 'named',
      }),
    ]);
    const payFinal = await finance.post('/api/v1/payments', {
      customerCode,
      amount: cny('60000.00'),
      reference: 'E2E-BANK-2',
      receivedOn: today(),
      invoiceNo: finalNo,
    });
    expect(payFinal.status, JSON.stringify(payFinal.body)).toBe(201);
    expect(payFinal.body.allocations).toEqual([
      expect.objectContaining({
        invoiceNo: finalNo,
        amount: cny('60000.00'),
        invoiceBalance: cny('0.00'),
        rule: 'named',
      }),
    ]);
    expect(payFinal.body.unallocated).toEqual(cny('0.00'));

    // Paid 10 days late: 10 days of late interest at 18.25% on 40,000.00 (20.00 a day) stay open until finance settles them.
    const interest = await eventually(
      async () => {
        const invoice = (await finance.get(`/api/v1/invoices/${advanceNo}`)).body;
        return invoice.lateInterest?.status === 'open' ? invoice.lateInterest : undefined;
      },
      60_000,
      'the late interest',
    );
    expect(interest.amount).toEqual(cny('200.00'));
    const collected = await finance.post(`/api/v1/invoices/${advanceNo}/interest`, {
      outcome: 'collected',
      reason: 'bank receipt E2E-BANK-3',
    });
    expect(collected.status, JSON.stringify(collected.body)).toBe(200);

    const closed = await eventually(
      async () => {
        const contract = await sales.get(`/api/v1/contracts/${no}`);
        expect(contract.status, JSON.stringify(contract.body)).toBe(200);
        return contract.body.stage === 'Closed' ? contract.body : undefined;
      },
      60_000,
      'the contract to close',
    );
    expect(closed.invoices).toHaveLength(2);
    for (const invoice of closed.invoices) {
      expect(invoice.status, invoice.no).toBe('paid');
      expect(invoice.balance, invoice.no).toEqual(cny('0.00'));
    }
    for (const invoiceNo of [advanceNo, finalNo]) {
      const invoice = await finance.get(`/api/v1/invoices/${invoiceNo}`);
      expect(invoice.status).toBe(200);
      expect(invoice.body).toMatchObject({ status: 'paid', balance: cny('0.00') });
    }
    // Soft (here and below where a known product race can strike) so the shutdown is still checked.
    expect(
      closed.milestones.map((m: { status: string }) => m.status),
      'milestones of the closed contract',
    ).toEqual(['paid', 'paid']);
    const actions: string[] = closed.timeline.map((t: { action: string }) => t.action);
    for (const action of [
      'register',
      'approve',
      'review',
      'sign',
      'split',
      'budget',
      'handover',
      'deliver',
      'accept',
      'invoice_ready',
      'invoice_issued',
      'letter_sent',
      'payment_allocated',
      'milestone_paid',
      'close',
    ]) {
      expect(actions, `timeline: ${actions.join(', ')}`).toContain(action);
    }
    expect(actions.filter((a) => a === 'letter_sent')).toHaveLength(1);
    expect(actions.filter((a) => a === 'milestone_paid')).toHaveLength(2);
    const tail = closed.timeline
      .slice(-4)
      .map((t: { action: string; at: string; details: unknown }) => `${t.at} ${t.action} ${JSON.stringify(t.details)}`);
    expect(actions[actions.length - 1], `the last timeline entries:\n${tail.join('\n')}`).toBe('close');

    // ---- money in and the numbers ---------------------------------------------------------------
    // Both invoices were paid today: the advance 10 days late, the final one before its due date.
    const onTime = await finance.get(`/api/v1/reports/on-time?from=${today()}&to=${today()}`);
    expect(onTime.status, JSON.stringify(onTime.body)).toBe(200);
    expect((onTime.body as { customers: unknown[] }).customers).toEqual([
      expect.objectContaining({ customerCode, paidInvoices: 2, onTimeInvoices: 1, onTimePercent: 50 }),
    ]);
    const agingCsv = await finance.get('/api/v1/reports/aging?groupBy=customer&format=csv');
    expect(agingCsv.status).toBe(200);
    expect(String(agingCsv.body)).toContain('Total');
    const statement = [
      'Transaction Date,Debit Amount,Credit Amount,Currency,Counterparty Name,Counterparty Account,Remarks,Reference',
      `${today()},,"1,234.50",CNY,Nobody We Know Ltd,6222 9999,unknown remittance,E2E-STATEMENT-1`,
    ].join('\n');
    const imported = await finance.post('/api/v1/imports/bank-statements', {
      fileName: 'e2e.csv',
      content: statement,
      mapping: 'en',
    });
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    const queue = await finance.get('/api/v1/payments?status=unmatched');
    expect((queue.body as { payments: { reference: string }[] }).payments.map((p) => p.reference)).toContain(
      'E2E-STATEMENT-1',
    );

    // ---- Ctrl-C stops everything ---------------------------------------------------------------
    expect(processesUsing(dataDir).length, 'the stack runs processes under its data folder').toBeGreaterThan(0);
    const tree = stack.tree();
    expect(stack.launcherPid()).not.toBe(child.pid);
    const { ms: stopMs, result } = await stack.interrupt(STOP_LIMIT_MS);
    expect(result, `no exit within ${STOP_LIMIT_MS} ms\n${output()}`).not.toBe('timeout');
    console.log(`stack stopped in ${(stopMs / 1000).toFixed(1)} s: ${JSON.stringify(result)}`);
    expect(stack.stdout).toContain('stopping…');
    expect(processesUsing(dataDir), 'processes left behind').toEqual([]);
    const left = await gone(
      tree.map((p) => p.pid),
      3_000,
    );
    expect(describeAlive(left), 'processes of the stack left behind').toEqual([]);
    expect(result, `exit of npx tsx bin/start.ts after SIGINT\n${output()}`).toEqual({ code: 0, signal: null });
  }, 300_000);

  it('leaves no process behind when the launcher is killed with SIGKILL, and starts again cleanly on the same data', async () => {
    const dataDir = newDataDir();
    const ports = await freePorts();
    const first = launch(dataDir, ports);
    await first.waitForRunning();
    const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const created = await new Api(first.apiUrl, token).post('/api/v1/tokens', {
      name: 'Kept Across Restarts',
      role: 'finance',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    const tree = first.tree();
    expectSupervisedShape(tree);
    killQuietly(first.launcherPid()!, 'SIGKILL');
    const left = await gone(
      tree.filter((p) => !/npm exec|sh -c|\/tsx /.test(p.args)).map((p) => p.pid),
      STOP_LIMIT_MS,
    );
    expect(left, `survivors: ${JSON.stringify(tree.filter((p) => left.includes(p.pid)))}`).toEqual([]);
    expect(processesUsing(dataDir), 'processes on the data folder').toEqual([]);

    const second = launch(dataDir, ports);
    await second.waitForRunning();
    const health = await eventually(
      async () => {
        const response = await new Api(second.apiUrl).get('/healthz');
        return response.status === 200 ? response : undefined;
      },
      15_000,
      'a healthy second start',
    );
    expect(health.body.checks).toMatchObject({ postgres: 'ok', temporal: 'ok', smtp: 'ok', worker: 'ok' });
    // The data survived: the person created before the crash can still sign in.
    const kept = await new Api(second.apiUrl, created.body.token).get('/api/v1/invoice-ready');
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);

    const { ms, result } = await second.interrupt(STOP_LIMIT_MS);
    expect(result, `no exit within ${STOP_LIMIT_MS} ms\n${second.output()}`).not.toBe('timeout');
    expect(ms).toBeLessThan(STOP_LIMIT_MS);
    expect(processesUsing(dataDir)).toEqual([]);
  }, 300_000);

  it('stops everything within the limit when `npm start` itself gets SIGTERM, as a service manager sends it', async () => {
    const dataDir = newDataDir();
    const stack = launch(dataDir, await freePorts(), ['npm', 'start']);
    await stack.waitForRunning();
    expect(processesUsing(dataDir).length, 'the stack runs processes under its data folder').toBeGreaterThan(0);
    const startedAt = Date.now();
    killQuietly(stack.topPid, 'SIGTERM');
    const left = await eventually(
      async () => (processesUsing(dataDir).length === 0 ? [] : undefined),
      STOP_LIMIT_MS,
      'every process of the stack gone',
    ).catch(() => processesUsing(dataDir));
    expect(left, `left behind after SIGTERM to npm\n${stack.output()}`).toEqual([]);
    expect(Date.now() - startedAt).toBeLessThan(STOP_LIMIT_MS);
  }, 300_000);
});
