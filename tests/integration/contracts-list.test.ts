/**
 * GET /api/v1/contracts against a real PostgreSQL, on contracts written straight to the database: the
 * search, each filter, every sort walked page by page to the end (with many ties in amount and time, and
 * instants that differ only in microseconds), the limit's bounds, bad parameters and who may call it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stage } from '../../domain/stages';
import { ROLES } from '../../domain/roles';
import { type ApiClient, type ApiHarness, startApiHarness } from '../support/api-harness';

const DAY_MS = 86_400_000;

interface Row {
  no: string;
  customer: string;
  title: string;
  amountMinor: number;
  currency: string;
  stage: Stage;
  owner: string | null;
  department: string | null;
  /** Exact instants with microseconds, 'YYYY-MM-DDTHH:MM:SS.ffffffZ', so they sort as text. */
  stageChangedAt: string;
  createdAt: string;
}

const CUSTOMERS = [
  { code: 'ALPHA', name: '阿尔法科技有限公司' },
  { code: 'BETA', name: 'Beta Industries Ltd' },
  { code: 'ACME-SH', name: '上海艾克米' },
  { code: 'GAMMA', name: '伽马集团' },
];

/** The test's "now", whole seconds; every instant is before it. */
const NOW = Math.floor(Date.now() / 1000) * 1000;
/** An instant `days` before now, plus `micros` microseconds. */
const exact = (days: number, micros = 0) =>
  `${new Date(NOW - days * DAY_MS).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;

const NAMED: Row[] = [
  {
    no: 'HT-2026-001',
    customer: 'ALPHA',
    title: '仓储管理系统一期',
    amountMinor: 123_450,
    currency: 'CNY',
    stage: 'Delivery',
    owner: 'sally',
    department: '华东',
    stageChangedAt: exact(3.5),
    createdAt: exact(40),
  },
  {
    no: 'HT-2026-002',
    customer: 'BETA',
    title: 'Warehouse System Phase 2',
    amountMinor: 5_000_000,
    currency: 'JPY',
    stage: 'Acceptance',
    owner: 'tom',
    department: 'West',
    stageChangedAt: exact(1.2),
    createdAt: exact(30),
  },
  {
    no: 'HT-2026-003',
    customer: 'ACME-SH',
    title: 'Data centre 100% acceptance',
    amountMinor: 9_900,
    currency: 'USD',
    stage: 'Collection',
    owner: 'sally',
    department: null,
    stageChangedAt: exact(0.25),
    createdAt: exact(20),
  },
  {
    no: 'OLD-HT-2026-9',
    customer: 'GAMMA',
    title: 'Legacy support',
    amountMinor: 50_000,
    currency: 'CNY',
    stage: 'Opportunity',
    owner: null,
    department: '华东',
    stageChangedAt: exact(10),
    createdAt: exact(10),
  },
];

/**
 * 120 more, with few distinct values: amounts, owners, departments and creation times repeat, and
 * stage changes fall on four instants, some identical and some a microsecond apart.
 */
const BULK: Row[] = Array.from({ length: 120 }, (_, i) => ({
  no: `B-${String(i + 1).padStart(4, '0')}`,
  customer: CUSTOMERS[i % CUSTOMERS.length].code,
  title: i % 2 === 0 ? `合同 ${i + 1} 项目` : `Project ${i + 1}`,
  amountMinor: [1_000_000, 2_000_000, 3_000_000][i % 3],
  currency: i % 10 === 9 ? 'USD' : 'CNY',
  stage: (['Opportunity', 'Delivery', 'Acceptance', 'Collection', 'Closed'] as const)[i % 5],
  owner: ['sally', 'tom', 'li'][i % 3],
  department: ['华东', 'West', null][i % 4 === 3 ? 2 : i % 2],
  stageChangedAt: exact(5 + (i % 4), i % 8 < 4 ? 0 : i % 2),
  createdAt: exact(100 + (i % 3)),
}));

const ALL = [...NAMED, ...BULK];

type SortKey = 'no' | 'amount' | 'stageChangedAt' | 'createdAt';

/** What the API's order should be: the sort's values, then the number; all in byte order (C collation). */
function sortKey(row: Row, key: SortKey): (string | number)[] {
  switch (key) {
    case 'no':
      return [row.no];
    case 'amount':
      return [row.currency, row.amountMinor, row.no];
    case 'stageChangedAt':
      return [row.stageChangedAt, row.no];
    case 'createdAt':
      return [row.createdAt, row.no];
  }
}

function expectedOrder(rows: Row[], sort: string): string[] {
  const descending = sort.startsWith('-');
  const key = (descending ? sort.slice(1) : sort) as SortKey;
  const compare = (a: Row, b: Row) => {
    const [x, y] = [sortKey(a, key), sortKey(b, key)];
    for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
  };
  return [...rows].sort((a, b) => (descending ? compare(b, a) : compare(a, b))).map((r) => r.no);
}

let harness: ApiHarness;
let reader: ApiClient;

/** Every page of a query, following `next`; fails on a page larger than the limit. */
async function walk(query: string, limit: number): Promise<{ nos: string[]; pages: number }> {
  const nos: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const params = new URLSearchParams(query);
    params.set('limit', String(limit));
    if (cursor) params.set('cursor', cursor);
    const page = await reader.get(`/api/v1/contracts?${params}`);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    expect(page.body.contracts.length).toBeLessThanOrEqual(limit);
    nos.push(...page.body.contracts.map((c: { no: string }) => c.no));
    cursor = page.body.next;
    pages += 1;
    if (cursor) expect(page.body.contracts.length).toBe(limit);
    expect(pages).toBeLessThan(500);
  } while (cursor);
  return { nos, pages };
}

async function list(query: string): Promise<{ status: number; body: any }> {
  return reader.get(`/api/v1/contracts${query ? `?${query}` : ''}`);
}

async function nos(query: string): Promise<string[]> {
  const response = await list(`${query}&limit=200`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  expect(response.body.next).toBeNull();
  return response.body.contracts.map((c: { no: string }) => c.no).sort();
}

const matching = (predicate: (row: Row) => boolean) =>
  ALL.filter(predicate)
    .map((r) => r.no)
    .sort();

beforeAll(async () => {
  harness = await startApiHarness();
  reader = await harness.person('dora', 'delivery');
  const db = harness.database.db;
  await db
    .insertInto('customers')
    .values(
      CUSTOMERS.map((c) => ({ ...c, grade: 'A', credit_limit_minor: 0, currency: 'CNY', credit_hold_reason: null })),
    )
    .execute();
  await db
    .insertInto('contracts')
    .values(
      ALL.map((r) => ({
        no: r.no,
        customer_code: r.customer,
        title: r.title,
        amount_minor: r.amountMinor,
        currency: r.currency,
        payment_terms_type: 'credit_terms' as const,
        stage: r.stage,
        terms: '{}',
        details: '{}',
        owners: null,
        close_reason: null,
        department: r.department,
        account_owner: r.owner,
        created_by: 'sally',
        created_at: r.createdAt,
        stage_changed_at: r.stageChangedAt,
      })),
    )
    .execute();
});

afterAll(async () => {
  await harness?.stop();
});

describe('GET /api/v1/contracts', () => {
  it('answers with a page of contracts, most recently moved first, and the cursor of the next page', async () => {
    const response = await list('');
    expect(response.status).toBe(200);
    expect(response.body.contracts).toHaveLength(50);
    expect(response.body.next).toEqual(expect.any(String));
    expect(response.body.contracts.map((c: { no: string }) => c.no)).toEqual(
      expectedOrder(ALL, '-stageChangedAt').slice(0, 50),
    );
    const first = NAMED[0];
    const item = (await list('q=HT-2026-001')).body.contracts[0];
    expect(item).toEqual({
      no: 'HT-2026-001',
      title: '仓储管理系统一期',
      customer: { code: 'ALPHA', name: '阿尔法科技有限公司' },
      amount: { value: '1234.50', currency: 'CNY' },
      stage: 'Delivery',
      stageChangedAt: `${first.stageChangedAt.slice(0, 23)}Z`,
      daysInStage: 3,
      accountOwner: 'sally',
      department: '华东',
      createdAt: `${first.createdAt.slice(0, 23)}Z`,
    });
    const yen = (await list('q=HT-2026-002')).body.contracts[0];
    expect(yen.amount).toEqual({ value: '5000000', currency: 'JPY' });
    expect(yen.daysInStage).toBe(1);
    expect((await list('q=HT-2026-003')).body.contracts[0]).toMatchObject({
      amount: { value: '99.00', currency: 'USD' },
      daysInStage: 0,
      department: null,
    });
  });

  it('lets every signed-in person read it, and nobody without a token', async () => {
    for (const role of ROLES) {
      const client = role === 'admin' ? harness.admin : await harness.person(`list-${role}`, role);
      expect((await client.get('/api/v1/contracts?limit=1')).status, role).toBe(200);
    }
    expect((await harness.anonymous.get('/api/v1/contracts')).status).toBe(401);
  });

  describe('search (q)', () => {
    it('matches a contract number by its beginning, in any case, and not in its middle', async () => {
      expect(await nos('q=ht-2026-00')).toEqual(['HT-2026-001', 'HT-2026-002', 'HT-2026-003']);
      expect(await nos('q=HT-2026-0')).toEqual(['HT-2026-001', 'HT-2026-002', 'HT-2026-003']);
      // OLD-HT-2026-9 holds "HT-2026" only in the middle of its number.
      expect(await nos('q=2026-9')).toEqual([]);
      expect(await nos('q=OLD-HT')).toEqual(['OLD-HT-2026-9']);
      expect(await nos('q=B-011')).toEqual(matching((r) => r.no.startsWith('B-011')));
    });

    it('matches any part of the title, in any case, Chinese included', async () => {
      expect(await nos('q=warehouse system')).toEqual(['HT-2026-002']);
      expect(await nos('q=PHASE')).toEqual(['HT-2026-002']);
      expect(await nos(`q=${encodeURIComponent('管理系统')}`)).toEqual(['HT-2026-001']);
      expect(await nos(`q=${encodeURIComponent('项目')}`)).toEqual(matching((r) => r.title.includes('项目')));
      expect(await nos('q=legacy')).toEqual(['OLD-HT-2026-9']);
    });

    it('matches any part of the customer code or name, Chinese included', async () => {
      expect(await nos(`q=${encodeURIComponent('阿尔法')}`)).toEqual(matching((r) => r.customer === 'ALPHA'));
      expect(await nos(`q=${encodeURIComponent('伽马')}`)).toEqual(matching((r) => r.customer === 'GAMMA'));
      expect(await nos('q=industries')).toEqual(matching((r) => r.customer === 'BETA'));
      // "acme" is in the code ACME-SH only; the name is 上海艾克米.
      expect(await nos('q=acme')).toEqual(matching((r) => r.customer === 'ACME-SH'));
      expect(await nos(`q=${encodeURIComponent('艾克米')}`)).toEqual(matching((r) => r.customer === 'ACME-SH'));
    });

    it('takes % and _ literally, and an empty or blank q as no search', async () => {
      expect(await nos('q=%25')).toEqual(['HT-2026-003']);
      expect(await nos('q=100%25')).toEqual(['HT-2026-003']);
      expect(await nos('q=_')).toEqual([]);
      expect(await nos('q=')).toHaveLength(ALL.length);
      expect(await nos('q=%20%20')).toHaveLength(ALL.length);
      expect(await nos('q=nothing-like-this')).toEqual([]);
    });
  });

  describe('filters', () => {
    it('narrows by one stage or several, comma-separated', async () => {
      expect(await nos('stage=Delivery')).toEqual(matching((r) => r.stage === 'Delivery'));
      expect(await nos('stage=Delivery,Acceptance')).toEqual(
        matching((r) => r.stage === 'Delivery' || r.stage === 'Acceptance'),
      );
      expect(await nos('stage=Delivery,%20Acceptance,Delivery')).toEqual(
        matching((r) => r.stage === 'Delivery' || r.stage === 'Acceptance'),
      );
      expect(await nos('stage=Cancelled')).toEqual([]);
    });

    it('narrows by account owner, department and customer, each and together', async () => {
      expect(await nos('owner=sally')).toEqual(matching((r) => r.owner === 'sally'));
      expect(await nos(`department=${encodeURIComponent('华东')}`)).toEqual(matching((r) => r.department === '华东'));
      expect(await nos('customer=ACME-SH')).toEqual(matching((r) => r.customer === 'ACME-SH'));
      expect(await nos('owner=nobody')).toEqual([]);
      // A customer filter is the code, exactly: not a part of it.
      expect(await nos('customer=ACME')).toEqual([]);
      expect(await nos(`owner=tom&department=West&stage=Acceptance,Collection&customer=BETA`)).toEqual(
        matching(
          (r) =>
            r.owner === 'tom' &&
            r.department === 'West' &&
            (r.stage === 'Acceptance' || r.stage === 'Collection') &&
            r.customer === 'BETA',
        ),
      );
      expect(await nos(`q=${encodeURIComponent('项目')}&owner=li&stage=Closed`)).toEqual(
        matching((r) => r.title.includes('项目') && r.owner === 'li' && r.stage === 'Closed'),
      );
      // An empty filter is no filter.
      expect(await nos('owner=&department=&customer=&stage=')).toHaveLength(ALL.length);
    });
  });

  describe('sorting and pages', () => {
    const SORTS = ['no', '-no', 'amount', '-amount', 'stageChangedAt', '-stageChangedAt', 'createdAt', '-createdAt'];

    it('walks the whole list in every sort, through ties, with no duplicate and no gap', async () => {
      for (const sort of SORTS) {
        const walked = await walk(`sort=${sort}`, 7);
        expect(walked.nos, sort).toEqual(expectedOrder(ALL, sort));
        expect(walked.pages).toBe(Math.ceil(ALL.length / 7));
      }
    });

    it('walks a filtered list the same way, and ends without an empty page', async () => {
      const delivery = ALL.filter((r) => r.stage === 'Delivery' || r.stage === 'Collection');
      for (const sort of ['-amount', 'stageChangedAt']) {
        const walked = await walk(`sort=${sort}&stage=Delivery,Collection`, 4);
        expect(walked.nos, sort).toEqual(expectedOrder(delivery, sort));
      }
      const exactlyOnePage = await list(`customer=GAMMA&limit=${ALL.filter((r) => r.customer === 'GAMMA').length}`);
      expect(exactlyOnePage.body.next).toBeNull();
    });

    it('sorts amounts by currency first: amounts in different currencies are not compared', async () => {
      const ascending = (await list('sort=amount&limit=200')).body.contracts as { amount: { currency: string } }[];
      const currencies = ascending.map((c) => c.amount.currency);
      expect([...new Set(currencies)]).toEqual(['CNY', 'JPY', 'USD']);
    });

    it('bounds the limit: 50 by default, 1 to 200', async () => {
      expect((await list('')).body.contracts).toHaveLength(50);
      expect((await list('limit=1')).body.contracts).toHaveLength(1);
      const all = await list('limit=200');
      expect(all.body.contracts).toHaveLength(ALL.length);
      expect(all.body.next).toBeNull();
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
      expect(await refused('stage=Delivery,Shipping', 'stage')).toContain('"Shipping"');
      expect(await refused('stage=delivery', 'stage')).toContain('Opportunity');
      expect(await refused('sort=amount_desc', 'sort')).toContain('-stageChangedAt');
      expect(await refused('sort=title', 'sort')).toContain('must be one of');
      for (const limit of ['0', '201', '-1', '1.5', 'ten', '99999']) await refused(`limit=${limit}`, 'limit');
      await refused(`q=${'x'.repeat(201)}`, 'q');
      await refused(`owner=${'x'.repeat(201)}`, 'owner');
      // Every parameter is given once: several stages are one comma-separated value.
      await refused('stage=Delivery&stage=Acceptance', 'stage');
    });

    it('refuse a cursor that is not one of this list, or one of another sort', async () => {
      expect(await refused('cursor=not-a-cursor', 'cursor')).toContain('cursor');
      await refused('cursor=%%%', 'cursor');
      const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      await refused(`cursor=${forged({ sort: '-stageChangedAt', after: ['yesterday', 'B-0001'] })}`, 'cursor');
      await refused(
        `cursor=${forged({ sort: '-stageChangedAt', after: ['2026-02-30T00:00:00.000000Z', 'X'] })}`,
        'cursor',
      );
      await refused(`cursor=${forged({ sort: 'amount', after: ['CNY', '100', 'B-0001'] })}&sort=amount`, 'cursor');
      await refused(`cursor=${forged([1, 2])}`, 'cursor');
      const next = (await list('sort=no&limit=5')).body.next as string;
      expect(await refused(`sort=-no&cursor=${next}`, 'cursor')).toContain('belongs to sort no');
      expect((await list(`sort=no&limit=5&cursor=${next}`)).status).toBe(200);
    });
  });
});

describe('GET /api/v1/contracts/:no', () => {
  it('names the customer, the account owner and the department beside the stage and the money', async () => {
    const response = await reader.get('/api/v1/contracts/HT-2026-001');
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toMatchObject({
      no: 'HT-2026-001',
      customerCode: 'ALPHA',
      customerName: '阿尔法科技有限公司',
      accountOwner: 'sally',
      department: '华东',
      createdBy: 'sally',
      createdAt: `${NAMED[0].createdAt.slice(0, 23)}Z`,
      stage: 'Delivery',
      amount: { value: '1234.50', currency: 'CNY' },
      milestones: [],
      invoices: [],
      timeline: [],
    });
    expect((await reader.get('/api/v1/contracts/OLD-HT-2026-9')).body).toMatchObject({
      customerName: '伽马集团',
      accountOwner: null,
      department: '华东',
    });
  });

  it('answers 404 for a contract that does not exist', async () => {
    const response = await reader.get('/api/v1/contracts/NO-SUCH-CONTRACT');
    expect(response.status).toBe(404);
  });
});
