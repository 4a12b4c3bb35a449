/**
 * GET /api/v1/customers against a real PostgreSQL, on customers, contracts and invoices written straight
 * to the database: every row's exposure is the credit rule's (GET /api/v1/customers/:code says the same,
 * also after invoices are added, lowered by a credit note, paid or removed), the search, each filter,
 * every sort walked page by page to the end through ties, the aging drill-down against the aging report,
 * bad parameters and who may call it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../domain/roles';
import type { Stage } from '../../domain/stages';
import { addDays, localDateOf } from '../../domain/dates';
import { type ApiClient, type ApiHarness, startApiHarness } from '../support/api-harness';

const TODAY = localDateOf(Date.now(), 'Asia/Shanghai');
const fen = (yuan: number) => Math.round(yuan * 100);

interface CustomerSpec {
  code: string;
  name: string;
  grade: 'A' | 'B' | 'C' | 'D' | null;
  currency?: string;
  limit: number;
  hold?: 'auto' | 'manual';
  limitOverride?: { amount: number; until: string };
}

interface ContractSpec {
  no: string;
  customer: string;
  amount: number;
  stage: Stage;
  currency?: string;
}

interface InvoiceSpec {
  no: string;
  contract: string;
  amount: number;
  balance: number;
  dueDaysAgo: number;
  currency?: string;
}

const NAMED: CustomerSpec[] = [
  { code: 'ALPHA', name: '阿尔法科技有限公司', grade: 'A', limit: 1_000_000 },
  { code: 'BETA', name: 'Beta Industries Ltd', grade: 'B', limit: 100_000, hold: 'auto' },
  { code: 'GAMMA', name: '伽马集团', grade: null, limit: 50_000, hold: 'manual' },
  { code: 'DELTA-US', name: 'Delta Corp', grade: 'D', currency: 'USD', limit: 10_000 },
  {
    code: 'EPS_1',
    name: 'Epsilon 100% 有限',
    grade: 'C',
    limit: 0,
    limitOverride: { amount: 999_999, until: addDays(TODAY, 30) },
  },
];

/** 30 more, whose exposures repeat (ties the sort must break by code). */
const BULK: CustomerSpec[] = Array.from({ length: 30 }, (_, i) => ({
  code: `Z-${String(i + 1).padStart(3, '0')}`,
  name: i % 2 === 0 ? `客户 ${i + 1}` : `Customer ${i + 1}`,
  grade: (['A', 'B', 'C', 'D', null] as const)[i % 5],
  limit: 20_000,
  hold: i % 7 === 3 ? 'auto' : undefined,
}));

const CUSTOMERS = [...NAMED, ...BULK];

const CONTRACTS: ContractSpec[] = [
  // ALPHA: ¥300,000 of ¥500,000 invoiced (¥150,000 still open), ¥200,000 approved and not invoiced; an
  // opportunity and a closed contract are no exposure.
  { no: 'K-A1', customer: 'ALPHA', amount: 500_000, stage: 'Collection' },
  { no: 'K-A2', customer: 'ALPHA', amount: 200_000, stage: 'Delivery' },
  { no: 'K-A3', customer: 'ALPHA', amount: 900_000, stage: 'Opportunity' },
  { no: 'K-A4', customer: 'ALPHA', amount: 50_000, stage: 'Closed' },
  // BETA: ¥300,000 open, long overdue, over its ¥100,000 limit.
  { no: 'K-B1', customer: 'BETA', amount: 300_000, stage: 'Collection' },
  // DELTA-US: its USD contract counts; a CNY one is not in the limit's currency.
  { no: 'K-D1', customer: 'DELTA-US', amount: 8_000, stage: 'Acceptance', currency: 'USD' },
  { no: 'K-D2', customer: 'DELTA-US', amount: 1_000, stage: 'Delivery' },
  { no: 'K-E1', customer: 'EPS_1', amount: 10_000, stage: 'Split' },
  ...BULK.map((c, i) => ({
    no: `K-${c.code}`,
    customer: c.code,
    amount: [5_000, 12_000, 30_000][i % 3],
    stage: 'Delivery' as Stage,
  })),
];

const INVOICES: InvoiceSpec[] = [
  { no: 'I-A1', contract: 'K-A1', amount: 200_000, balance: 150_000, dueDaysAgo: 10 },
  { no: 'I-A2', contract: 'K-A1', amount: 100_000, balance: 0, dueDaysAgo: 40 },
  { no: 'I-B1', contract: 'K-B1', amount: 300_000, balance: 300_000, dueDaysAgo: 120 },
  { no: 'I-D1', contract: 'K-D1', amount: 3_000, balance: 3_000, dueDaysAgo: -5, currency: 'USD' },
  // Every third bulk contract is half invoiced and that half unpaid: same exposure, other figures.
  ...BULK.filter((_, i) => i % 3 === 1).map((c) => ({
    no: `I-${c.code}`,
    contract: `K-${c.code}`,
    amount: 6_000,
    balance: 6_000,
    dueDaysAgo: 45,
  })),
];

let harness: ApiHarness;
let reader: ApiClient;
let finance: ApiClient;
let milestoneSeq = 0;

/** Byte order, as PostgreSQL's C collation compares text. */
const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const customerOf = (contractNo: string) => CONTRACTS.find((k) => k.no === contractNo)!.customer;

async function insertInvoice(spec: InvoiceSpec): Promise<void> {
  const dueDate = addDays(TODAY, -spec.dueDaysAgo);
  await harness.database.db
    .insertInto('invoices')
    .values({
      no: spec.no,
      contract_no: spec.contract,
      milestone_seq: (milestoneSeq += 1),
      customer_code: customerOf(spec.contract),
      currency: spec.currency ?? 'CNY',
      amount_minor: fen(spec.amount),
      tax_rate_percent: null,
      tax_minor: 0,
      balance_minor: fen(spec.balance),
      issue_date: addDays(dueDate, -30),
      due_date: dueDate,
      status: spec.balance > 0 ? 'open' : 'paid',
      paid_on: spec.balance > 0 ? null : dueDate,
      issued_by: 'fiona',
    })
    .execute();
}

beforeAll(async () => {
  harness = await startApiHarness();
  reader = await harness.person('dora', 'delivery');
  finance = await harness.person('fiona', 'finance');
  const db = harness.database.db;
  await db
    .insertInto('customers')
    .values(
      CUSTOMERS.map((c) => ({
        code: c.code,
        name: c.name,
        grade: c.grade,
        credit_limit_minor: fen(c.limit),
        currency: c.currency ?? 'CNY',
        credit_hold: c.hold !== undefined,
        hold_source: c.hold === 'auto' ? 'auto' : null,
        credit_hold_reason: c.hold ? `${c.hold} hold` : null,
        limit_override_minor: c.limitOverride ? fen(c.limitOverride.amount) : null,
        limit_override_until: c.limitOverride?.until ?? null,
        limit_override_reason: c.limitOverride ? 'big order' : null,
      })),
    )
    .execute();
  await db
    .insertInto('contracts')
    .values(
      CONTRACTS.map((k) => ({
        no: k.no,
        customer_code: k.customer,
        title: `Project ${k.no}`,
        amount_minor: fen(k.amount),
        currency: k.currency ?? 'CNY',
        payment_terms_type: 'credit_terms' as const,
        stage: k.stage,
        terms: '{}',
        details: '{}',
        owners: null,
        created_by: 'sally',
      })),
    )
    .execute();
  for (const invoice of INVOICES) await insertInvoice(invoice);
});

afterAll(async () => {
  await harness?.stop();
});

async function list(query: string): Promise<{ status: number; body: any }> {
  return reader.get(`/api/v1/customers${query ? `?${query}` : ''}`);
}

async function codes(query: string): Promise<string[]> {
  const response = await list(`${query}&limit=200`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  expect(response.body.next).toBeNull();
  return response.body.customers.map((c: { code: string }) => c.code).sort();
}

const matching = (predicate: (c: CustomerSpec) => boolean) =>
  CUSTOMERS.filter(predicate)
    .map((c) => c.code)
    .sort();

/** Every page of a query, following `next`; fails on a page larger than the limit. */
async function walk(query: string, limit: number): Promise<any[]> {
  const rows: any[] = [];
  let offset: number | null = 0;
  let pages = 0;
  while (offset !== null) {
    const page = await list(`${query}&limit=${limit}&offset=${offset}`);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    expect(page.body.customers.length).toBeLessThanOrEqual(limit);
    expect(page.body.total).toBe(CUSTOMERS.length);
    rows.push(...page.body.customers);
    offset = page.body.next;
    pages += 1;
    if (offset !== null) expect(page.body.customers.length).toBe(limit);
    expect(pages).toBeLessThan(100);
  }
  return rows;
}

/** The credit position of each customer as the customer's own credit route computes it. */
async function creditPositions(): Promise<Map<string, any>> {
  const positions = new Map<string, any>();
  for (const c of CUSTOMERS) {
    const response = await reader.get(`/api/v1/customers/${c.code}/credit`);
    expect(response.status).toBe(200);
    positions.set(c.code, response.body);
  }
  return positions;
}

async function expectSameExposureAsCredit(): Promise<void> {
  const positions = await creditPositions();
  const rows = (await list('limit=200')).body.customers as any[];
  expect(rows).toHaveLength(CUSTOMERS.length);
  for (const row of rows) {
    const credit = positions.get(row.code);
    expect(row.exposure.total, row.code).toEqual(credit.exposure.total);
    expect(row.exposure.openReceivables, row.code).toEqual(credit.exposure.openReceivables);
    expect(row.exposure.approvedUnbilled, row.code).toEqual(credit.exposure.approvedUnbilled);
    expect(row.exposure.overLimit, row.code).toBe(credit.exposure.overLimit);
    expect(row.effectiveCreditLimit, row.code).toEqual(credit.effectiveCreditLimit);
    expect(row.creditHoldSource, row.code).toBe(credit.creditHoldSource);
  }
}

describe('GET /api/v1/customers', () => {
  it('answers with a page of customers, the largest exposure first, with grade, limit, exposure and hold', async () => {
    const response = await list('limit=3');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ total: CUSTOMERS.length, offset: 0, limit: 3, next: 3, aging: null });
    expect(response.body.customers.map((c: { code: string }) => c.code)).toEqual(['ALPHA', 'BETA', 'Z-003']);
    expect(response.body.customers[0]).toEqual({
      code: 'ALPHA',
      name: '阿尔法科技有限公司',
      grade: 'A',
      creditLimit: { value: '1000000.00', currency: 'CNY' },
      effectiveCreditLimit: { value: '1000000.00', currency: 'CNY' },
      exposure: {
        openReceivables: { value: '150000.00', currency: 'CNY' },
        approvedUnbilled: { value: '400000.00', currency: 'CNY' },
        total: { value: '550000.00', currency: 'CNY' },
        overLimit: false,
      },
      creditHold: false,
      creditHoldSource: null,
      creditHoldReason: null,
    });
    expect(response.body.customers[1]).toMatchObject({
      code: 'BETA',
      exposure: { total: { value: '300000.00', currency: 'CNY' }, overLimit: true },
      creditHold: true,
      creditHoldSource: 'auto',
      creditHoldReason: 'auto hold',
    });
    const eps = (await list('q=EPS_1')).body.customers[0];
    expect(eps.creditLimit).toEqual({ value: '0.00', currency: 'CNY' });
    expect(eps.effectiveCreditLimit).toEqual({ value: '999999.00', currency: 'CNY' });
    expect(eps.exposure.overLimit).toBe(false);
    const gamma = (await list('q=GAMMA')).body.customers[0];
    expect(gamma).toMatchObject({ grade: null, creditHold: true, creditHoldSource: 'manual' });
    expect(gamma.exposure.total).toEqual({ value: '0.00', currency: 'CNY' });
    const delta = (await list('q=DELTA')).body.customers[0];
    expect(delta.exposure).toEqual({
      openReceivables: { value: '3000.00', currency: 'USD' },
      approvedUnbilled: { value: '5000.00', currency: 'USD' },
      total: { value: '8000.00', currency: 'USD' },
      overLimit: false,
    });
  });

  it('gives every customer the exposure the credit rule compares with the limit', async () => {
    await expectSameExposureAsCredit();
  });

  it('keeps the exposure right as invoices are issued, lowered by a credit note, paid and removed', async () => {
    const db = harness.database.db;
    // ¥50,000 of K-A2 invoiced: unbilled down, open receivables up by as much.
    await insertInvoice({ no: 'I-A3', contract: 'K-A2', amount: 50_000, balance: 50_000, dueDaysAgo: -20 });
    let alpha = (await list('q=ALPHA')).body.customers[0];
    expect(alpha.exposure.approvedUnbilled.value).toBe('350000.00');
    expect(alpha.exposure.openReceivables.value).toBe('200000.00');
    // A credit note of ¥10,000 lowers the invoice: that much of the contract is unbilled again.
    await db
      .updateTable('invoices')
      .set({ amount_minor: fen(40_000), balance_minor: fen(40_000) })
      .where('no', '=', 'I-A3')
      .execute();
    alpha = (await list('q=ALPHA')).body.customers[0];
    expect(alpha.exposure.approvedUnbilled.value).toBe('360000.00');
    expect(alpha.exposure.openReceivables.value).toBe('190000.00');
    // A payment changes the balance only.
    await db
      .updateTable('invoices')
      .set({ balance_minor: fen(15_000) })
      .where('no', '=', 'I-A3')
      .execute();
    alpha = (await list('q=ALPHA')).body.customers[0];
    expect(alpha.exposure.approvedUnbilled.value).toBe('360000.00');
    expect(alpha.exposure.openReceivables.value).toBe('165000.00');
    await expectSameExposureAsCredit();
    await db.deleteFrom('invoices').where('no', '=', 'I-A3').execute();
    alpha = (await list('q=ALPHA')).body.customers[0];
    expect(alpha.exposure.total.value).toBe('550000.00');
    await expectSameExposureAsCredit();
  });

  it('lets every signed-in person read it, and nobody without a token', async () => {
    for (const role of ROLES) {
      const client = role === 'admin' ? harness.admin : await harness.person(`list-${role}`, role);
      expect((await client.get('/api/v1/customers?limit=1')).status, role).toBe(200);
    }
    expect((await harness.anonymous.get('/api/v1/customers')).status).toBe(401);
  });

  describe('search (q)', () => {
    it('matches any part of the code or the name, in any case, Chinese included', async () => {
      expect(await codes('q=alp')).toEqual(['ALPHA']);
      expect(await codes('q=ta-u')).toEqual(['DELTA-US']);
      expect(await codes('q=industries')).toEqual(['BETA']);
      expect(await codes('q=伽马')).toEqual(['GAMMA']);
      expect(await codes('q=有限')).toEqual(['ALPHA', 'EPS_1']);
      expect(await codes('q=nobody')).toEqual([]);
    });

    it('takes % and _ literally, and an empty or blank q as no search', async () => {
      expect(await codes('q=100%25')).toEqual(['EPS_1']);
      expect(await codes('q=S_1')).toEqual(['EPS_1']);
      expect(await codes('q=%25')).toEqual(['EPS_1']);
      expect(await codes('q=_')).toEqual(['EPS_1']);
      expect(await codes('q=')).toEqual(matching(() => true));
      expect(await codes('q=%20%20')).toEqual(matching(() => true));
    });
  });

  describe('filters', () => {
    it('narrows by one grade or several, comma-separated; "none" is a customer without a grade', async () => {
      expect(await codes('grade=A')).toEqual(matching((c) => c.grade === 'A'));
      expect(await codes('grade=C,D')).toEqual(matching((c) => c.grade === 'C' || c.grade === 'D'));
      expect(await codes('grade=none')).toEqual(matching((c) => c.grade === null));
      expect(await codes('grade=A,none')).toEqual(matching((c) => c.grade === 'A' || c.grade === null));
    });

    it('narrows by hold: on, off, automatic, manual; and combines with a grade and a search', async () => {
      expect(await codes('hold=on')).toEqual(matching((c) => c.hold !== undefined));
      expect(await codes('hold=off')).toEqual(matching((c) => c.hold === undefined));
      expect(await codes('hold=auto')).toEqual(matching((c) => c.hold === 'auto'));
      expect(await codes('hold=manual')).toEqual(['GAMMA']);
      expect(await codes('hold=auto&grade=B')).toEqual(matching((c) => c.hold === 'auto' && c.grade === 'B'));
      expect(await codes('hold=on&q=Z-')).toEqual(matching((c) => c.hold !== undefined && c.code.startsWith('Z-')));
    });
  });

  describe('sorting and pages', () => {
    it('walks the whole list in every sort, through ties, with no duplicate and no gap', async () => {
      const positions = await creditPositions();
      const exposureOf = (code: string) => Math.round(Number(positions.get(code).exposure.total.value) * 100);
      const currencyOf = (code: string) => positions.get(code).exposure.total.currency as string;
      const spec = new Map(CUSTOMERS.map((c) => [c.code, c]));
      const gradeRank = (code: string) => spec.get(code)!.grade ?? '~';
      const all = CUSTOMERS.map((c) => c.code);
      const expected: Record<string, string[]> = {
        code: [...all].sort(byCode),
        '-code': [...all].sort(byCode).reverse(),
        name: [...all].sort((a, b) => byCode(spec.get(a)!.name, spec.get(b)!.name) || byCode(a, b)),
        exposure: [...all].sort(
          (a, b) => byCode(currencyOf(a), currencyOf(b)) || exposureOf(a) - exposureOf(b) || byCode(a, b),
        ),
        '-exposure': [...all].sort(
          (a, b) => byCode(currencyOf(a), currencyOf(b)) || exposureOf(b) - exposureOf(a) || byCode(a, b),
        ),
        grade: [...all].sort(
          (a, b) => byCode(gradeRank(a), gradeRank(b)) || byCode(spec.get(a)!.name, spec.get(b)!.name) || byCode(a, b),
        ),
      };
      expected['-name'] = [...expected.name].reverse();
      for (const [sort, order] of Object.entries(expected)) {
        for (const limit of [7, 35]) {
          const rows = await walk(`sort=${sort}`, limit);
          expect(
            rows.map((r) => r.code),
            `${sort} by ${limit}`,
          ).toEqual(order);
        }
      }
      // Descending grade: D first, customers without a grade still last.
      const worst = (await walk('sort=-grade', 10)).map((r) => r.grade);
      expect(worst.slice(0, 2)).toEqual(['D', 'D']);
      expect(worst[worst.length - 1]).toBeNull();
    });

    it('counts the matching customers on every page, also past the end', async () => {
      const page = await list('grade=A&limit=2&offset=2');
      expect(page.body.total).toBe(matching((c) => c.grade === 'A').length);
      const beyond = await list('grade=A&limit=2&offset=500');
      expect(beyond.body).toMatchObject({ customers: [], total: page.body.total, next: null });
      expect((await list('q=nobody')).body).toMatchObject({ customers: [], total: 0, next: null });
    });

    it('bounds the limit: 50 by default, 1 to 200', async () => {
      expect((await list('')).body.limit).toBe(50);
      expect((await list('limit=1')).body.customers).toHaveLength(1);
      expect((await list('limit=200')).body.customers).toHaveLength(CUSTOMERS.length);
    });
  });

  describe('aging bucket (the dashboard drill-down)', () => {
    it('lists the customers with receivables in the bucket, each with its balance there, as the aging report has them', async () => {
      const report = await finance.get(`/api/v1/reports/aging?asOf=${TODAY}`);
      expect(report.status).toBe(200);
      for (const bucket of ['current', 'days1to30', 'days31to60', 'days61to90', 'over90']) {
        const response = await list(`bucket=${bucket}&sort=-agingBalance&limit=200`);
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        expect(response.body.aging).toEqual({ bucket, asOf: TODAY, timeZone: 'Asia/Shanghai' });
        const expected = (report.body.rows as any[])
          .filter((r) => Number(r[bucket].value) > 0)
          .map((r) => ({ code: r.key, balance: r[bucket] }));
        const rows = response.body.customers as any[];
        expect(
          rows.map((r) => ({ code: r.code, balance: r.agingBalance })).sort((a, b) => byCode(a.code, b.code)),
          bucket,
        ).toEqual(expected.sort((a, b) => byCode(a.code, b.code)));
        const balances = rows.map((r) => Number(r.agingBalance.value));
        expect(balances, bucket).toEqual([...balances].sort((a, b) => b - a));
      }
      expect(await codes('bucket=over90')).toEqual(['BETA']);
      const halfInvoicedB = (c: CustomerSpec) => BULK.indexOf(c) % 3 === 1 && c.grade === 'B';
      expect(await codes('bucket=days31to60&grade=B')).toEqual(matching(halfInvoicedB));
      expect(await codes(`bucket=over90&asOf=${addDays(TODAY, -30)}`)).toEqual([]);
      expect(await codes(`bucket=days61to90&asOf=${addDays(TODAY, -30)}`)).toEqual(['BETA']);
    });
  });

  describe('bad parameters', () => {
    const refused = async (query: string, field: string) => {
      const response = await list(query);
      expect(response.status, `${query}: ${JSON.stringify(response.body)}`).toBe(400);
      expect(
        response.body.details.map((d: { field?: string }) => d.field),
        query,
      ).toContain(field);
      return response.body.details.find((d: { field?: string }) => d.field === field).message as string;
    };

    it('answer 400 naming the parameter', async () => {
      expect(await refused('grade=A,E', 'grade')).toContain('"E"');
      expect(await refused('hold=yes', 'hold')).toContain('on, off, auto, manual');
      expect(await refused('sort=balance', 'sort')).toContain('-exposure');
      expect(await refused('bucket=over120', 'bucket')).toContain('over90');
      expect(await refused('bucket=over90&asOf=2026-02-30', 'asOf')).toContain('YYYY-MM-DD');
      expect(await refused(`asOf=${TODAY}`, 'asOf')).toContain('bucket');
      expect(await refused('sort=-agingBalance', 'sort')).toContain('bucket');
      for (const limit of ['0', '201', '-1', '1.5', 'ten']) await refused(`limit=${limit}`, 'limit');
      for (const offset of ['-1', 'x', '1e3', '99999999']) await refused(`offset=${offset}`, 'offset');
      await refused(`q=${'x'.repeat(201)}`, 'q');
      await refused('q=a&q=b', 'q');
      await refused('grade=A&grade=B', 'grade');
    });
  });
});
