/**
 * End to end: boots the whole `npm start` stack (embedded PostgreSQL, Temporal dev server, SMTP
 * catcher, worker and API) from the repository the way a new user would, drives one contract
 * through the public API from registration to Closed, then stops the stack with Ctrl-C (SIGINT).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addDays, localDateOf } from '../../domain/dates';
import { freePort } from '../support/ports';

const REPO_ROOT = path.resolve(__dirname, '../..');
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
const START_LIMIT_MS = 120_000;
const STOP_LIMIT_MS = 30_000;

const cny = (value: string) => ({ value, currency: 'CNY' });
const today = () => localDateOf(Date.now(), 'Asia/Shanghai');
const daysAgo = (days: number) => addDays(today(), -days);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Response {
  status: number;
  body: any;
}

class Api {
  constructor(readonly baseUrl: string, readonly token?: string) {}

  async request(method: string, route: string, body?: unknown): Promise<Response> {
    const response = await fetch(`${this.baseUrl}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { /* keep the text for the failure message */ }
    return { status: response.status, body: parsed };
  }

  get(route: string) { return this.request('GET', route); }
  post(route: string, body: unknown = {}) { return this.request('POST', route, body); }
  as(token: string) { return new Api(this.baseUrl, token); }
}

async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}

/** Processes whose command line names the data folder: the Temporal dev server and the postmaster. */
function processesUsing(dir: string): string[] {
  const result = spawnSync('pgrep', ['-a', '-f', dir], { encoding: 'utf8' });
  return result.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
}

interface ProcessEntry {
  pid: number;
  ppid: number;
  args: string;
}

function processTable(): ProcessEntry[] {
  return spawnSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' }).stdout.split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({ pid: Number(match[1]), ppid: Number(match[2]), args: match[3] }));
}

/** pid and every process below it, parents before children. */
function treeOf(pid: number): ProcessEntry[] {
  const table = processTable();
  const found = table.filter((p) => p.pid === pid);
  for (let i = 0; i < found.length; i++) {
    for (const p of table) if (p.ppid === found[i].pid && !found.includes(p)) found.push(p);
  }
  return found;
}

/**
 * The node process that runs bin/start.ts, below the `npm exec` → `sh -c tsx` → tsx wrappers.
 * Ctrl-C must reach it: a SIGINT to npx alone is forwarded by npm to its `sh -c` wrapper, and sh
 * (dash) does not pass it on, so the stack would keep running.
 */
function launcherOf(pid: number): number | undefined {
  return treeOf(pid).filter((p) => p.args.includes('bin/start.ts')).at(-1)?.pid;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(pid, signal); } catch { /* already gone */ }
}

describe('npm start', () => {
  let child: ChildProcess | undefined;
  let dataDir = '';
  let stdout = '';
  let stderr = '';
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  const output = () => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'huikuan-e2e-'));
    // PostgreSQL runs as its own 'postgres' user when we are root and must reach its data folder.
    fs.chmodSync(dataDir, 0o755);
  });

  afterAll(async () => {
    // Only does something when the test failed before the orderly stop.
    if (child && child.exitCode === null && child.signalCode === null) {
      const tree = treeOf(child.pid!);
      const launcher = launcherOf(child.pid!);
      if (launcher) killQuietly(launcher, 'SIGINT');
      const stopped = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!stopped) {
        // The child shares our process group (detached: false), so kill its tree by pid, never the group.
        for (const p of [...tree, ...treeOf(child.pid!)]) killQuietly(p.pid, 'SIGKILL');
      }
    }
    if (dataDir) {
      for (let attempt = 0; attempt < 20 && processesUsing(dataDir).length > 0; attempt++) {
        for (const line of processesUsing(dataDir)) killQuietly(Number(line.split(' ')[0]), attempt < 10 ? 'SIGTERM' : 'SIGKILL');
        await sleep(500);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('boots, drives a contract from registration to Closed through the API, and stops on Ctrl-C', async () => {
    const [port, pgPort, temporalPort, uiPort, smtpPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    expect(new Set([port, pgPort, temporalPort, uiPort, smtpPort]).size).toBe(5);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      EMBEDDED_PG_PORT: String(pgPort),
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      EMBEDDED_SMTP_PORT: String(smtpPort),
      ADMIN_TOKEN,
      LETTER_SEND_TIME: 'immediate',
      TEMPORAL_CLI_PATH: inject('temporalCliPath'),
    };
    for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL', 'PUBLIC_URL', 'HOST']) delete env[name];

    // ---- start-up ------------------------------------------------------------------------------
    const startedAt = Date.now();
    child = spawn('npx', ['tsx', 'bin/start.ts'], { cwd: REPO_ROOT, env, detached: false, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    exited = new Promise((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));

    const finished = () => child!.exitCode !== null || child!.signalCode !== null;
    await eventually(async () => (stdout.includes('Huikuan is running.') || finished() ? true : undefined), START_LIMIT_MS, '"Huikuan is running."')
      .catch(() => undefined);
    const startupMs = Date.now() - startedAt;
    expect(stdout, `not running after ${startupMs} ms (exit code ${child.exitCode}, signal ${child.signalCode})\n${output()}`).toContain('Huikuan is running.');
    expect(startupMs).toBeLessThan(START_LIMIT_MS);
    console.log(`stack start-up took ${(startupMs / 1000).toFixed(1)} s`);

    // Give the banner a moment to be fully flushed, then check what a user reads.
    await eventually(async () => (stdout.includes('Press Ctrl-C to stop.') ? true : undefined), 5_000, 'the full banner');
    const apiUrl = `http://localhost:${port}`;
    expect(stdout).toMatch(new RegExp(`API\\s+${apiUrl.replace(/[.]/g, '\\.')}\\b`));
    expect(stdout).toContain(`Temporal UI    http://127.0.0.1:${uiPort}`);
    expect(stdout).toContain(`Admin token    ${ADMIN_TOKEN}`);
    expect(stdout).toContain(`(mailbox: ${apiUrl}/api/v1/mailbox)`);

    const anonymous = new Api(apiUrl);
    const admin = anonymous.as(ADMIN_TOKEN);

    // ---- health --------------------------------------------------------------------------------
    const health = await anonymous.get('/healthz');
    expect(health.status, JSON.stringify(health.body)).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', checks: { postgres: 'ok', temporal: 'ok', smtp: 'ok' } });

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
      code: customerCode, name: 'Globex Trading Ltd', grade: 'A', creditLimit: cny('5000000.00'), locale: 'en',
      contacts: [
        { role: 'payment_owner', name: 'Pat Payer', email: payer },
        { role: 'decision_maker', name: 'Dana Director', email: 'dana@globex.example' },
      ],
    });
    expect(customer.status, JSON.stringify(customer.body)).toBe(201);
    expect(customer.body).toMatchObject({ code: customerCode, locale: 'en' });

    const no = 'E2E-HT-001';
    const registered = await sales.post('/api/v1/contracts', {
      no, customerCode, title: 'Warehouse system', amount: cny('100000.00'), paymentTermsType: 'credit_terms',
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

    await act(finance, 'split', {
      milestones: [
        { kind: 'advance', percent: '40', trigger: { type: 'on_signing' }, termDays: 30 },
        { kind: 'final', percent: '60', trigger: { type: 'on_acceptance' }, termDays: 30 },
      ],
    }, 'Budget');
    await act(finance, 'budget', { budget: cny('65000.00') }, 'Handover');
    await act(sales, 'handover', {
      owners: { account: 'Sally Sales', solution: 'Sam Solution', fulfilment: 'Dee Delivery', finance: 'Fiona Finance', executiveSponsor: 'Eve Exec' },
    }, 'Delivery');
    await act(delivery, 'deliver', { deliveredOn }, 'Acceptance');
    const accepted = await act(delivery, 'accept', { acceptedOn, acceptor: 'Li Wei', documentRef: 'UAT-E2E-1' }, 'Collection');
    expect(accepted.terms).toEqual(terms);

    // ---- invoices ------------------------------------------------------------------------------
    const invoiceReady = await eventually(async () => {
      const response = await finance.get('/api/v1/invoice-ready');
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      const mine = response.body.filter((r: { contractNo: string }) => r.contractNo === no);
      return mine.length === 2 ? mine : undefined;
    }, 10_000, 'both milestones to be invoice-ready');
    expect(invoiceReady).toEqual([
      expect.objectContaining({ milestoneSeq: 1, kind: 'advance', amount: cny('40000.00'), readyOn: signedOn, termDays: 30, customerCode }),
      expect.objectContaining({ milestoneSeq: 2, kind: 'final', amount: cny('60000.00'), readyOn: acceptedOn, termDays: 30, customerCode }),
    ]);

    const advanceNo = 'E2E-INV-A';
    const finalNo = 'E2E-INV-F';
    const advance = await finance.post('/api/v1/invoices', { contractNo: no, milestoneSeq: 1, invoiceNo: advanceNo, issueDate: daysAgo(40), taxRatePercent: '13' });
    expect(advance.status, JSON.stringify(advance.body)).toBe(201);
    expect(advance.body).toMatchObject({ no: advanceNo, status: 'open', balance: cny('40000.00'), issueDate: daysAgo(40), dueDate: daysAgo(10) });
    const final = await finance.post('/api/v1/invoices', { contractNo: no, milestoneSeq: 2, invoiceNo: finalNo, issueDate: today(), taxRatePercent: '13' });
    expect(final.status, JSON.stringify(final.body)).toBe(201);
    expect(final.body).toMatchObject({ no: finalNo, status: 'open', balance: cny('60000.00'), issueDate: today(), dueDate: addDays(today(), 30) });

    // ---- the overdue letter reaches the embedded mailbox, once -------------------------------
    const advanceMail = async () => {
      const box = await finance.get('/api/v1/mailbox');
      expect(box.status, JSON.stringify(box.body)).toBe(200);
      return box.body.filter((m: { subject: string }) => m.subject.includes(advanceNo));
    };
    const letters = await eventually(async () => {
      const mail = await advanceMail();
      return mail.length > 0 ? mail : undefined;
    }, 60_000, `the overdue letter for ${advanceNo}`);
    await sleep(3_000); // a duplicate would arrive right behind the first
    const settled = await advanceMail();
    expect(settled).toHaveLength(1);
    expect(letters[0].subject).toBe(`Request for your help: invoice ${advanceNo} is 10 days overdue`);
    expect(letters[0].to).toContain(payer);
    const box = await finance.get('/api/v1/mailbox');
    expect(box.body.filter((m: { subject: string }) => m.subject.includes(finalNo))).toHaveLength(0);

    // ---- payments close the contract -----------------------------------------------------------
    const payAdvance = await finance.post('/api/v1/payments', { customerCode, amount: cny('40000.00'), reference: 'E2E-BANK-1', receivedOn: today(), invoiceNo: advanceNo });
    expect(payAdvance.status, JSON.stringify(payAdvance.body)).toBe(201);
    expect(payAdvance.body.allocations).toEqual([expect.objectContaining({ invoiceNo: advanceNo, amount: cny('40000.00'), invoiceBalance: cny('0.00'), rule: 'named' })]);
    const payFinal = await finance.post('/api/v1/payments', { customerCode, amount: cny('60000.00'), reference: 'E2E-BANK-2', receivedOn: today(), invoiceNo: finalNo });
    expect(payFinal.status, JSON.stringify(payFinal.body)).toBe(201);
    expect(payFinal.body.allocations).toEqual([expect.objectContaining({ invoiceNo: finalNo, amount: cny('60000.00'), invoiceBalance: cny('0.00'), rule: 'named' })]);
    expect(payFinal.body.unallocated).toEqual(cny('0.00'));

    // Paid 10 days late: 9 days of late interest at 18.25% on 40,000.00 (20.00 a day) stay open until finance settles them.
    const interest = await eventually(async () => {
      const invoice = (await finance.get(`/api/v1/invoices/${advanceNo}`)).body;
      return invoice.lateInterest?.status === 'open' ? invoice.lateInterest : undefined;
    }, 60_000, 'the late interest');
    expect(interest.amount).toEqual(cny('180.00'));
    const collected = await finance.post(`/api/v1/invoices/${advanceNo}/interest`, { outcome: 'collected', reason: 'bank receipt E2E-BANK-3' });
    expect(collected.status, JSON.stringify(collected.body)).toBe(200);

    const closed = await eventually(async () => {
      const contract = await sales.get(`/api/v1/contracts/${no}`);
      expect(contract.status, JSON.stringify(contract.body)).toBe(200);
      return contract.body.stage === 'Closed' ? contract.body : undefined;
    }, 60_000, 'the contract to close');
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
    expect(closed.milestones.map((m: { status: string }) => m.status), 'milestones of the closed contract').toEqual(['paid', 'paid']);
    const actions: string[] = closed.timeline.map((t: { action: string }) => t.action);
    for (const action of ['register', 'approve', 'review', 'sign', 'split', 'budget', 'handover', 'deliver', 'accept',
      'invoice_ready', 'invoice_issued', 'letter_sent', 'payment_allocated', 'milestone_paid', 'close']) {
      expect(actions, `timeline: ${actions.join(', ')}`).toContain(action);
    }
    expect(actions.filter((a) => a === 'letter_sent')).toHaveLength(1);
    expect(actions.filter((a) => a === 'milestone_paid')).toHaveLength(2);
    const tail = closed.timeline.slice(-4).map((t: { action: string; at: string; details: unknown }) => `${t.at} ${t.action} ${JSON.stringify(t.details)}`);
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
    const imported = await finance.post('/api/v1/imports/bank-statements', { fileName: 'e2e.csv', content: statement, mapping: 'en' });
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    const queue = await finance.get('/api/v1/payments?status=unmatched');
    expect((queue.body as { payments: { reference: string }[] }).payments.map((p) => p.reference)).toContain('E2E-STATEMENT-1');

    // ---- Ctrl-C stops everything ---------------------------------------------------------------
    expect(processesUsing(dataDir).length, 'the stack runs processes under its data folder').toBeGreaterThan(0);
    const stopAt = Date.now();
    const launcher = launcherOf(child.pid!);
    expect(launcher, JSON.stringify(treeOf(child.pid!))).toBeDefined();
    expect(launcher).not.toBe(child.pid);
    killQuietly(launcher!, 'SIGINT');
    const result = await Promise.race([exited, sleep(STOP_LIMIT_MS).then(() => 'timeout' as const)]);
    const stopMs = Date.now() - stopAt;
    expect(result, `no exit within ${STOP_LIMIT_MS} ms\n${output()}`).not.toBe('timeout');
    expect(stopMs).toBeLessThan(STOP_LIMIT_MS);
    console.log(`stack stopped in ${(stopMs / 1000).toFixed(1)} s: ${JSON.stringify(result)}`);
    expect(stdout).toContain('stopping…');
    expect(processesUsing(dataDir), 'processes left behind').toEqual([]);
    expect(result, `exit of npx tsx bin/start.ts after SIGINT\n${output()}`).toEqual({ code: 0, signal: null });
  }, 300_000);
});
