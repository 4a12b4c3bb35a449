/**
 * Every route of the API against hostile input: malformed JSON, wrong types, huge and deeply nested bodies,
 * odd amounts and dates, NUL, lone surrogates, RTL text, SQL and path-traversal strings, __proto__ keys,
 * unsupported charsets and encodings, bad percent-encoding in paths. Nothing may answer 5xx, nothing may
 * hang, and no refused (4xx) request may change a row. Real PostgreSQL, Temporal, worker and SMTP.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import type { RouteSpec } from '../../api/route';
import { DEFAULT_CALENDAR_ID } from '../../domain/calendar';
import { DISPUTE_REASONS } from '../../domain/disputes';
import { type ApiClient, eventually } from '../support/api-harness';
import {
  apiSuiteWithPeople,
  cny,
  createCustomer,
  driveToDelivery,
  registerContract,
  todayInShanghai,
} from '../support/scenario';

const suite = apiSuiteWithPeople();
/** Far beyond the app's own Temporal deadline (3 s here): a request still open then is hung. */
const CLIENT_TIMEOUT_MS = 15_000;

interface Sent {
  method: string;
  path: string;
  role: string;
  what: string;
  status: number;
}

interface Probe {
  method: string;
  path: string;
  /** Raw body text; JSON.stringify keeps lone surrogates as \ud800 escapes. */
  body?: string;
  headers?: Record<string, string>;
  what: string;
}

let baseUrl = '';
let server: http.Server;
let specs: RouteSpec[] = [];
const tokens: Record<string, string> = {};
const seed = { customer: '', contract: '', invoice: '', payment: '', allocation: '', today: '' };
const results: Sent[] = [];

async function send(probe: Probe, role: string): Promise<number> {
  const response = await fetch(`${baseUrl}${probe.path}`, {
    method: probe.method.toUpperCase(),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[role]}`, ...probe.headers },
    body: probe.method === 'get' ? undefined : (probe.body ?? '{}'),
    signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
  }).catch((error: Error) => {
    throw new Error(`${probe.method} ${probe.path} (${probe.what}) as ${role}: no answer: ${error.message}`);
  });
  await response.arrayBuffer();
  results.push({ method: probe.method, path: probe.path, role, what: probe.what, status: response.status });
  return response.status;
}

/**
 * One md5 per table of the public schema. Import reports that were rejected are left out: a rejected
 * historical import stores its report on purpose (GET /imports/:id shows it), as a 400. So is when a
 * token was last used: authentication notes it (at most once a minute), whatever the request then is.
 */
let tableNames: string[] = [];

async function checksum(): Promise<Record<string, string>> {
  const db = suite.harness.database.db;
  if (tableNames.length === 0) {
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(
      db,
    );
    tableNames = tables.rows.map((r) => r.table_name);
  }
  const parts = tableNames.map((name) => {
    const where = name === 'imports' ? sql`where t.status <> 'rejected'` : sql``;
    return sql`select ${name}::text as name, md5(coalesce(string_agg((to_jsonb(t) - 'last_used_at')::text, '|' order by (to_jsonb(t) - 'last_used_at')::text), '')) as sum from ${sql.table(name)} t ${where}`;
  });
  const result = await sql<{ name: string; sum: string }>`${sql.join(parts, sql` union all `)}`.execute(db);
  return Object.fromEntries(result.rows.map((r) => [r.name, r.sum]));
}

/** After an accepted request its workflow may still write (tasks, timeline): wait until the tables are still. */
async function settled(): Promise<Record<string, string>> {
  let last = await checksum();
  for (let quiet = 0; quiet < 1;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const next = await checksum();
    quiet = JSON.stringify(next) === JSON.stringify(last) ? quiet + 1 : 0;
    last = next;
  }
  return last;
}

const changedTables = (before: Record<string, string>, after: Record<string, string>) =>
  Object.keys({ ...before, ...after }).filter((name) => before[name] !== after[name]);

/**
 * Sends the probes one by one. A refusal (4xx) must leave every table as it was before it; after an
 * accepted write the tables are let settle and become the new reference. GETs that succeed write nothing.
 */
async function sendAll(probes: Probe[], role: string): Promise<void> {
  let current = await checksum();
  for (const probe of probes) {
    const status = await send(probe, role);
    if (status < 400 && probe.method === 'get') continue;
    if (status >= 400 && status < 500) {
      const after = await checksum();
      expect(
        changedTables(current, after),
        `${probe.method} ${probe.path.slice(0, 100)} (${probe.what}) as ${role} answered ${status} but changed rows`,
      ).toEqual([]);
    } else {
      current = await settled();
    }
  }
}

const HUGE = 'x'.repeat(100_000);
const STRINGS: [string, unknown][] = [
  ['NUL', 'a\u0000b'],
  ['lone surrogate', '\ud800'],
  ['lone low surrogate', 'x\udc00'],
  ['RTL', 'مرحبا \u202eabc'],
  ['CJK and emoji', '回款🎉'],
  ['SQL', "x' OR '1'='1'; DROP TABLE customers; --"],
  ['path traversal', '../../../etc/passwd'],
  ['huge', HUGE],
  ['empty', ''],
];
const AMOUNTS: [string, unknown][] = [
  ['-1', '-1'],
  ['1e309', '1e309'],
  ['0.001', '0.001'],
  ['NaN', 'NaN'],
  ['1.5 number', 1.5],
  ['full width', '１２３'],
  ['too large', '99999999999999999999'],
  ['zero', '0'],
];
const DATES: [string, unknown][] = [
  ['Feb 30', '2026-02-30'],
  ['year 0', '0000-01-01'],
  ['far future', '+275760-09-13'],
  ['month 13', '2026-13-01'],
];
const TYPES: [string, unknown][] = [
  ['null', null],
  ['true', true],
  ['number', 12],
  ['negative', -1],
  ['huge number', 1e308],
  ['array', []],
  ['object', {}],
];

function nested(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Bodies that are wrong as a whole, whatever the route. */
function wholeBodies(method: string, path: string): Probe[] {
  const probe = (what: string, body: string, headers?: Record<string, string>): Probe => ({
    method,
    path,
    body,
    headers,
    what,
  });
  return [
    probe('malformed JSON', '{"a":'),
    probe('JSON string', '"text"'),
    probe('JSON array', '[1,2]'),
    probe('__proto__ key', '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}'),
    probe('lone surrogate key', '{"\\ud800":1}'),
    probe('40 levels deep', nested(40)),
    probe('50,000 levels deep', '['.repeat(50_000) + ']'.repeat(50_000)),
    probe('2 MB body', JSON.stringify({ a: 'x'.repeat(2 * 1024 * 1024) })),
    probe('utf-7 charset', '{}', { 'content-type': 'application/json; charset=utf-7' }),
    probe('brotli encoding', '{}', { 'content-encoding': 'br' }),
    probe('gzip that is not', '{}', { 'content-encoding': 'gzip' }),
  ];
}

/** Hostile values that fit a leaf: amounts for amount values, dates for dates, texts for texts; wrong types for all. */
function mutationsFor(key: string | number, value: unknown): [string, unknown][] {
  const wrongTypes = TYPES.filter(([what]) => ['null', 'number', 'array', 'object'].includes(what));
  if (key === 'value') return [...AMOUNTS, ...wrongTypes];
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) return [...DATES, ...wrongTypes, STRINGS[0]];
  if (typeof value === 'string') return [...STRINGS, ...wrongTypes];
  return [...TYPES, STRINGS[1]];
}

/** Each leaf of a valid body replaced by each hostile value that fits it. */
function mutations(method: string, path: string, sample: unknown): Probe[] {
  const probes: Probe[] = [];
  const walk = (value: unknown, trail: (string | number)[]) => {
    if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value))
        walk(child, [...trail, Array.isArray(value) ? Number(key) : key]);
      return;
    }
    for (const [what, replacement] of mutationsFor(trail[trail.length - 1], value)) {
      const copy = structuredClone(sample) as Record<string, unknown>;
      let target: any = copy;
      for (const step of trail.slice(0, -1)) target = target[step];
      target[trail[trail.length - 1]] = replacement;
      probes.push({ method, path, body: JSON.stringify(copy), what: `${trail.join('.')} = ${what}` });
    }
  };
  walk(sample, []);
  return [{ method, path, body: JSON.stringify(sample), what: 'the sample' }, ...probes];
}

const PARAM_VALUES: [string, string][] = [
  ['bad percent', '%'],
  ['encoded NUL', '%00'],
  ['encoded lone surrogate', '%ED%A0%80'],
  ['SQL', encodeURIComponent("1' OR '1'='1")],
  ['path traversal', '..%2F..%2Fetc%2Fpasswd'],
  ['RTL', encodeURIComponent('مرحبا')],
  ['long', 'x'.repeat(4000)],
  ['number overflow', '99999999999999999999999'],
];

function pathWith(path: string, values: Record<string, string>): string {
  return path.replace(/:(\w+)/g, (_m, name: string) => values[name] ?? 'X');
}

function paramProbes(spec: RouteSpec, valid: Record<string, string>, body?: unknown): Probe[] {
  const names = [...spec.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
  return names.flatMap((name) =>
    PARAM_VALUES.map(([what, value]) => ({
      method: spec.method,
      path: pathWith(spec.path, { ...valid, [name]: value }),
      body: body === undefined ? undefined : JSON.stringify(body),
      what: `:${name} ${what}`,
    })),
  );
}

const QUERY_TEXTS = ['NUL', 'SQL', 'path traversal', 'RTL', 'huge', '-1', 'Feb 30', 'far future'];
const QUERY_VALUES: [string, string][] = [
  ...[...STRINGS, ...AMOUNTS, ...DATES]
    .filter(([what]) => QUERY_TEXTS.includes(what))
    .map(([what, value]): [string, string] => [what, encodeURIComponent(String(value))]),
  // A lone surrogate cannot be percent-encoded as UTF-8; its bytes are sent instead.
  ['bad percent', '%'],
  ['encoded lone surrogate', '%ED%A0%80'],
];

function queryProbes(spec: RouteSpec, path: string): Probe[] {
  const names = [...Object.keys(spec.query ?? {}), 'format'];
  return names.flatMap((name) => [
    ...QUERY_VALUES.map(([what, value]) => ({
      method: spec.method,
      path: `${path}?${name}=${value}`,
      what: `?${name} ${what}`,
    })),
    { method: spec.method, path: `${path}?${name}=a&${name}=b`, what: `?${name} twice` },
    { method: spec.method, path: `${path}?${name}[a]=b`, what: `?${name} as object` },
    { method: spec.method, path: `${path}?${name}[__proto__]=b`, what: `?${name} __proto__` },
  ]);
}

/** A valid body per route, so that mutations reach the route's own logic. */
function samples(): Record<string, unknown> {
  const { today, customer, contract, invoice } = seed;
  return {
    'post /api/v1/tokens': { name: 'fuzz person', role: 'sales' },
    'post /api/v1/customers': {
      code: 'FUZZ-C',
      name: 'Fuzz Co.',
      grade: 'A',
      creditLimit: cny('1000.00'),
      timeZone: 'Asia/Shanghai',
      contacts: [{ role: 'payment_owner', name: 'W', email: 'w@fuzz.test' }],
    },
    'put /api/v1/customers/:code/credit-hold': { creditHold: false, reason: 'fuzz' },
    'post /api/v1/contracts': {
      no: 'FUZZ-K',
      customerCode: customer,
      title: 'Fuzz',
      amount: cny('100.00'),
      paymentTermsType: 'credit_terms',
    },
    'post /api/v1/contracts/:no/approve': { risk: { customerRisk: 1, projectRisk: 1, requirementRisk: 1 } },
    'post /api/v1/contracts/:no/review': { estimatedCost: cny('10.00') },
    'post /api/v1/contracts/:no/sign': { signedOn: today },
    'post /api/v1/contracts/:no/split': {
      milestones: [{ kind: 'final', amount: cny('100.00'), trigger: { type: 'on_date', date: today }, termDays: 30 }],
    },
    'post /api/v1/contracts/:no/budget': { budget: cny('10.00') },
    'post /api/v1/contracts/:no/handover': {
      owners: { account: 'a', solution: 's', fulfilment: 'f', finance: 'f', executiveSponsor: 'e' },
    },
    'post /api/v1/contracts/:no/deliver': { deliveredOn: today },
    'post /api/v1/contracts/:no/accept': { acceptedOn: today, acceptor: 'x', documentRef: 'y' },
    'post /api/v1/contracts/:no/cancel': { outcome: 'lost', reason: 'fuzz' },
    'post /api/v1/invoices': { contractNo: contract, milestoneSeq: 2, invoiceNo: 'FUZZ-I', issueDate: today },
    'post /api/v1/invoices/:no/approvals': { step: 'legal_notice_90', approved: true, reason: 'fuzz' },
    'post /api/v1/invoices/:no/disputes': { reason: DISPUTE_REASONS[0], note: 'fuzz' },
    'post /api/v1/invoices/:no/disputes/resolve': { outcome: 'accepted', credit: cny('1.00'), note: 'fuzz' },
    'post /api/v1/invoices/:no/promises': { promisedDate: today, amount: cny('1.00'), contact: 'W' },
    'post /api/v1/invoices/:no/write-off': { reason: 'fuzz' },
    'post /api/v1/invoices/:no/write-off/decision': { approved: false, reason: 'fuzz' },
    'post /api/v1/invoices/:no/policy': { policyId: 'default', reason: 'fuzz' },
    'post /api/v1/invoices/:no/interest': { outcome: 'waived', reason: 'fuzz' },
    'post /api/v1/payments': {
      customerCode: customer,
      amount: cny('1.00'),
      reference: 'FUZZ-REF',
      receivedOn: today,
      invoiceNo: invoice,
      remittance: 'r',
    },
    'post /api/v1/payments/:id/assign': { customerCode: customer, invoiceNos: [invoice] },
    'post /api/v1/payments/:id/allocations': { invoiceNo: invoice, amount: cny('1.00') },
    'post /api/v1/payments/:id/reverse': { reason: 'fuzz' },
    'post /api/v1/allocations/:id/reverse': { reason: 'fuzz' },
    'put /api/v1/customers/:code/credit/grade-override': { grade: 'B', reason: 'fuzz', until: '2099-01-01' },
    'put /api/v1/customers/:code/credit/limit-override': { limit: cny('10.00'), reason: 'fuzz', until: '2099-01-01' },
    'put /api/v1/customers/:code/credit/hold-release': { until: '2099-01-01', reason: 'fuzz' },
    'post /api/v1/customers/:code/term-extension-requests': { contractNo: contract, requestedDays: 10, reason: 'fuzz' },
    'post /api/v1/policies': {
      id: 'fuzz',
      name: 'Fuzz',
      steps: [],
      paidToleranceMinor: 0,
      promiseGraceDays: 1,
      disputeSlaDays: 1,
      taskDueDays: 1,
    },
    'put /api/v1/policy-selections': { scope: 'contract', key: contract, policyId: 'default' },
    'put /api/v1/calendars/:id': {
      id: 'fuzz-cal',
      name: 'Fuzz',
      weekendDays: [0, 6],
      holidays: [{ date: today, name: 'x' }],
      makeUpWorkdays: [],
    },
    'post /api/v1/policies/:id/simulate': {
      until: `${today}T12:00:00+08:00`,
      invoices: [
        {
          invoiceNo: 'S1',
          dueDate: today,
          amount: cny('10.00'),
          startAt: `${today}T09:00:00+08:00`,
          events: [{ kind: 'payment', at: `${today}T10:00:00+08:00`, amount: cny('1.00') }],
        },
      ],
    },
    'post /api/v1/imports/bank-statements': { fileName: 'fuzz.csv', content: 'date,amount,reference\n', mapping: 'en' },
    'post /api/v1/imports/historical': { customers: { fileName: 'c.csv', content: 'code,name\n' } },
    'post /api/v1/tasks/:id/done': { note: 'fuzz' },
    'post /api/v1/tasks/:id/skip': { note: 'fuzz' },
  };
}

function validParams(): Record<string, string> {
  return {
    code: seed.customer,
    no: seed.invoice,
    id: '1',
    date: seed.today,
    version: '1',
  };
}

/** Params that fit the route: a contract number under /contracts, a payment id under /payments … */
function paramsFor(path: string): Record<string, string> {
  const params = validParams();
  if (path.startsWith('/api/v1/contracts')) params.no = seed.contract;
  if (path.startsWith('/api/v1/payments')) params.id = seed.payment;
  if (path.startsWith('/api/v1/allocations')) params.id = seed.allocation;
  if (path.startsWith('/api/v1/policies')) params.id = 'default';
  if (path.startsWith('/api/v1/calendars')) params.id = path.endsWith(':id') ? 'fuzz-cal' : DEFAULT_CALENDAR_ID;
  return params;
}

function allowedRole(spec: RouteSpec): string {
  if (spec.roles === 'any') return 'finance';
  return spec.roles.find((r) => r !== 'admin') ?? 'admin';
}

beforeAll(async () => {
  const { harness, people } = suite;
  const app = createApp({
    db: harness.database.db,
    temporal: harness.client,
    taskQueue: harness.taskQueue,
    defaultTimeZone: 'Asia/Shanghai',
    letterSendTime: 'immediate',
    mailboxEnabled: true,
    health: [],
    temporalDeadlineMs: 3000,
  });
  specs = app.locals.routeSpecs as RouteSpec[];
  await new Promise<void>((resolve) => {
    server = app.listen(0, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const [role, client] of Object.entries({ ...people, admin: harness.admin }) as [string, ApiClient][])
    tokens[role] = client.token!;

  seed.today = todayInShanghai();
  seed.customer = await createCustomer(people.sales);
  seed.contract = await registerContract(people.sales, seed.customer);
  await driveToDelivery(people, seed.contract, seed.today);
  seed.invoice = `FZ-${seed.contract}`;
  const issued = await people.finance.post('/api/v1/invoices', {
    contractNo: seed.contract,
    milestoneSeq: 1,
    invoiceNo: seed.invoice,
    issueDate: seed.today,
  });
  expect(issued.status, JSON.stringify(issued.body)).toBe(201);
  await eventually(
    async () =>
      (await people.finance.get(`/api/v1/invoices/${seed.invoice}/collection`)).status === 200 ? true : undefined,
    30_000,
    'the collection',
  );
  const paid = await people.finance.post('/api/v1/payments', {
    customerCode: seed.customer,
    amount: cny('5.00'),
    reference: 'SEED-1',
    receivedOn: seed.today,
    invoiceNo: seed.invoice,
  });
  expect(paid.status, JSON.stringify(paid.body)).toBe(201);
  seed.payment = String(paid.body.id);
  seed.allocation = String(paid.body.allocations?.[0]?.id ?? 1);
  await settled();
}, 180_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

describe('fuzz over every route', () => {
  it('refuses a lone surrogate in an approval step with a 400 naming the field, and the worker still answers updates', async () => {
    const finance = suite.people.finance;
    const bad = await fetch(`${baseUrl}/api/v1/invoices/${seed.invoice}/approvals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.finance}` },
      body: '{"step":"\\ud800","approved":true,"reason":"x"}',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { details: unknown[] }).details[0]).toMatchObject({
      field: 'step',
      code: 'invalid_text',
    });
    // Answered by the workflow's validator: the worker is alive and polling.
    const refused = await finance.post(`/api/v1/invoices/${seed.invoice}/approvals`, {
      step: 'legal_notice_90',
      approved: true,
      reason: 'x',
    });
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    const status = await finance.get(`/api/v1/invoices/${seed.invoice}/collection`);
    expect(status.status).toBe(200);
  });

  it('names the part or field for the cases of the issue', async () => {
    const finance = suite.people.finance;
    const percent = await finance.get('/api/v1/contracts/%');
    expect(percent.status).toBe(400);
    expect(percent.body.details[0].field).toBe('path');
    const nul = await finance.post('/api/v1/payments', {
      customerCode: seed.customer,
      amount: cny('1.00'),
      reference: 'a\u0000b',
      receivedOn: seed.today,
    });
    expect(nul.status).toBe(400);
    expect(nul.body.details[0].field).toBe('reference');
    const deep = await finance.put(`/api/v1/customers/${seed.customer}/credit/limit-override`, {
      limit: cny('1.00'),
      reason: JSON.parse(nested(40)),
      until: '2099-01-01',
    });
    expect(deep.status).toBe(400);
    expect(deep.body.details[0].code).toBe('too_deep');
    const negative = await suite.people.sales.post('/api/v1/customers', {
      code: 'NEG-1',
      name: 'Neg',
      creditLimit: cny('-1.00'),
      contacts: [{ role: 'payment_owner', name: 'W', email: 'w@neg.test' }],
    });
    expect(negative.status).toBe(400);
    expect(negative.body.details[0]).toMatchObject({ field: 'creditLimit.value', message: 'must not be negative' });
    for (const report of ['on-time', 'promises']) {
      const empty = await finance.get(`/api/v1/reports/${report}?from=1990-01-01&to=1990-01-31`);
      expect(empty.status, JSON.stringify(empty.body)).toBe(200);
    }
    const onTime = await finance.get('/api/v1/reports/on-time?from=1990-01-01&to=1990-01-31');
    expect(onTime.body.total).toMatchObject({ paidInvoices: 0, onTimePercent: null });
    const promises = await finance.get('/api/v1/reports/promises?from=1990-01-01&to=1990-01-31');
    expect(promises.body.total).toEqual({ kept: 0, broken: 0, keptPercent: null });
    const rtl = await suite.people.sales.post(`/api/v1/customers/${seed.customer}/term-extension-requests`, {
      requestedDays: 5,
      reason: 'طلب تمديد 延期 🎉',
    });
    expect(rtl.status, JSON.stringify(rtl.body)).toBe(201);
  });
  it('answers every hostile request with a 4xx or a success, never a 5xx nor a hang, and refusals change no row', async () => {
    const started = Date.now();
    const bodies = samples();
    expect(specs.length).toBeGreaterThan(50);
    for (const spec of specs) {
      const routeStarted = Date.now();
      const params = paramsFor(spec.path);
      const path = pathWith(spec.path, params);
      const sample = bodies[`${spec.method} ${spec.path}`];
      const generic = spec.method === 'get' ? queryProbes(spec, path) : wholeBodies(spec.method, path);
      const role = allowedRole(spec);
      const count = results.length;
      await sendAll(
        [
          ...generic,
          ...(spec.method !== 'get' && sample !== undefined ? mutations(spec.method, path, sample) : []),
          ...paramProbes(spec, params, sample),
        ],
        role,
      );
      if (role !== 'admin')
        await sendAll([...generic.slice(0, 4), ...paramProbes(spec, params, sample).slice(0, 2)], 'admin');
      if (process.env.FUZZ_VERBOSE)
        console.log(`${spec.method} ${spec.path}: ${results.length - count} requests, ${Date.now() - routeStarted} ms`);
    }
    const failures = results
      .filter((r) => r.status >= 500)
      .map((r) => `${r.status} ${r.method} ${r.path.slice(0, 120)} (${r.what}) as ${r.role}`);
    expect(failures).toEqual([]);
    // The fuzz reached the routes' logic, not only the door.
    const statuses = new Set(results.map((r) => r.status));
    for (const status of [200, 201, 400, 403, 404, 409, 413, 415])
      expect(statuses, `no ${status} answered`).toContain(status);
    console.log(`fuzz: ${results.length} requests over ${specs.length} routes in ${Date.now() - started} ms`);
  }, 240_000);
});
