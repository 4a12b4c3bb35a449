/**
 * GET /api/v1/reports/trend (issue 12): DSO and CEI of every month of a range in one set-based query give,
 * month by month, exactly what the single-month DSO and CEI reports give for that month's period — on
 * generated books (two currencies, partial and back-dated payments, allocations and whole payments reversed
 * soon or months later, credit notes, write-offs, advance payments), from kept month-ends as from computed ones,
 * after a back-dated payment (which forgets the month-ends it changes) and a late reversal arrive, and in another
 * time zone; plus the 400s naming the field and who may read it.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../db/connect';
import { addDays, localDateOf } from '../../domain/dates';
import type { ApiClient } from '../support/api-harness';
import { apiSuiteWithPeople } from '../support/scenario';
import { receivableSnapshotsWorkflow } from '../../workflows/receivable-snapshots';
import {
  KEPT_MONTH_ENDS,
  computeSnapshots,
  keepReceivableSnapshots,
  monthEndsToKeep,
  storeSnapshots,
} from '../../services/receivable-snapshots';

const suite = apiSuiteWithPeople();
const TZ = 'Asia/Shanghai';
const db = (): Db => suite.harness.database.db;
const today = () => localDateOf(Date.now(), TZ);
const month = (date: string) => date.slice(0, 7);
/** The month `count` months before that of `date`. */
function monthsBefore(date: string, count: number): string {
  const index = Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1 - count;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}
/** An instant: the local wall time of a day in Shanghai. */
const at = (date: string, time = '10:00:00') => new Date(`${date}T${time}+08:00`);

/** Deterministic pseudo-random whole number 0 … range−1 for invoice n and a salt. */
function pick(n: number, salt: number, range: number): number {
  let h = (n * 2654435761 + salt * 40503) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 3266489909) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) % range;
}

interface Allocation {
  receivedOn: string;
  amount: number;
  allocationReversedAt?: Date;
  paymentReversedAt?: Date;
}

let paymentRef = 0;

async function pay(invoiceNo: string, customer: string, currency: string, a: Allocation): Promise<void> {
  const payment = await db()
    .insertInto('payments')
    .values({
      customer_code: customer,
      reference: `T-${(paymentRef += 1)}`,
      amount_minor: a.amount,
      currency,
      received_on: a.receivedOn,
      unallocated_minor: a.allocationReversedAt ? a.amount : 0,
      recorded_by: 'fiona',
      reversed_at: a.paymentReversedAt ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db()
    .insertInto('allocations')
    .values({
      payment_id: payment.id,
      invoice_no: invoiceNo,
      amount_minor: a.amount,
      reversed_at: a.allocationReversedAt ?? null,
      reversed_by: a.allocationReversedAt ? 'fiona' : null,
      reversal_reason: a.allocationReversedAt ? 'belongs to another customer' : null,
    })
    .execute();
}

/**
 * 700 invoices issued over the last 16 months in CNY and USD, each in one of ten situations; every fact is
 * dated no later than today. The invoice row holds what the commands would leave: the amount net of accepted
 * credit notes, the balance = amount − live allocations, paid when nothing is left.
 */
async function generateBooks(): Promise<void> {
  const now = today();
  await db()
    .insertInto('customers')
    .values(
      ['TA', 'TB', 'TC'].map((code) => ({
        code,
        name: `${code} 有限公司`,
        grade: 'A',
        credit_limit_minor: 1_000_000_000,
        currency: 'CNY',
        credit_hold_reason: null,
      })),
    )
    .execute();
  await db()
    .insertInto('contracts')
    .values(
      ['TA', 'TB', 'TC'].map((code) => ({
        no: `K-${code}`,
        customer_code: code,
        title: `${code} 项目`,
        amount_minor: 1_000_000_000,
        currency: 'CNY',
        payment_terms_type: 'credit_terms' as const,
        stage: 'Collection' as const,
        terms: '{}',
        details: '{}',
        created_by: 'sally',
      })),
    )
    .execute();
  for (let n = 1; n <= 700; n += 1) {
    const customer = ['TA', 'TB', 'TC'][n % 3];
    const currency = n % 5 === 0 ? 'USD' : 'CNY';
    const issued = addDays(now, -pick(n, 1, 490));
    const due = addDays(issued, [30, 60, 90][pick(n, 2, 3)]);
    const issuedAmount = 100_000 + pick(n, 3, 10_000) * 100;
    const past = (date: string) => date <= now;
    const allocations: Allocation[] = [];
    let credit = 0;
    let creditResolvedAt: Date | undefined;
    let writtenOffAt: Date | undefined;
    const kind = n % 10;
    if (kind <= 2) {
      // paid in one payment, or still open if that day has not come
      const on = addDays(issued, pick(n, 4, 130));
      if (past(on)) allocations.push({ receivedOn: on, amount: issuedAmount });
    } else if (kind === 3) {
      // two payments: half, then the rest
      const first = addDays(issued, 5 + pick(n, 5, 40));
      const second = addDays(first, 10 + pick(n, 6, 100));
      if (past(first)) allocations.push({ receivedOn: first, amount: Math.floor(issuedAmount / 2) });
      if (past(second)) allocations.push({ receivedOn: second, amount: issuedAmount - Math.floor(issuedAmount / 2) });
    } else if (kind === 4) {
      // open, nothing received
    } else if (kind === 5) {
      // an allocation reversed two days or forty days after its receipt, then paid in full (or not yet)
      const wrong = addDays(issued, 3 + pick(n, 7, 60));
      const delay = n % 20 < 10 ? 2 : 40;
      const reversedOn = addDays(wrong, delay);
      if (past(reversedOn))
        allocations.push({ receivedOn: wrong, amount: issuedAmount, allocationReversedAt: at(reversedOn, '15:00:00') });
      const right = addDays(reversedOn, pick(n, 8, 50));
      if (past(reversedOn) && past(right)) allocations.push({ receivedOn: right, amount: issuedAmount });
    } else if (kind === 6) {
      // written off 100–250 days after issue (with a partial payment before, sometimes)
      const off = addDays(issued, 100 + pick(n, 9, 150));
      if (n % 20 < 10) {
        const partial = addDays(issued, 20);
        if (past(partial)) allocations.push({ receivedOn: partial, amount: Math.floor(issuedAmount / 3) });
      }
      if (past(off)) writtenOffAt = at(off, n % 40 < 20 ? '23:30:00' : '00:30:00');
    } else if (kind === 7) {
      // a credit note of a tenth resolved 10–100 days after issue, then paid (or not)
      const resolved = addDays(issued, 10 + pick(n, 10, 90));
      if (past(resolved)) {
        credit = Math.floor(issuedAmount / 10);
        creditResolvedAt = at(resolved, '09:00:00');
        const paidOn = addDays(resolved, pick(n, 11, 60));
        if (n % 20 < 12 && past(paidOn)) allocations.push({ receivedOn: paidOn, amount: issuedAmount - credit });
      }
    } else if (kind === 8) {
      // a whole payment reversed 5–80 days after its receipt: open again
      const on = addDays(issued, pick(n, 12, 60));
      const reversedOn = addDays(on, 5 + pick(n, 13, 75));
      if (past(reversedOn))
        allocations.push({ receivedOn: on, amount: issuedAmount, paymentReversedAt: at(reversedOn, '11:00:00') });
    } else {
      // an advance received before the invoice was issued, for part of it
      allocations.push({ receivedOn: addDays(issued, -pick(n, 14, 20) - 1), amount: Math.floor(issuedAmount / 4) });
    }
    const amount = issuedAmount - credit;
    const live = allocations
      .filter((a) => !a.allocationReversedAt && !a.paymentReversedAt)
      .reduce((sum, a) => sum + a.amount, 0);
    const balance = amount - live;
    const status = writtenOffAt ? 'written_off' : balance === 0 ? 'paid' : 'open';
    const paidOn = status === 'paid' ? allocations[allocations.length - 1].receivedOn : null;
    const no = `TI${String(n).padStart(4, '0')}`;
    await db()
      .insertInto('invoices')
      .values({
        no,
        contract_no: `K-${customer}`,
        milestone_seq: n,
        customer_code: customer,
        currency,
        amount_minor: amount,
        tax_rate_percent: null,
        tax_minor: 0,
        balance_minor: balance,
        issue_date: issued,
        due_date: due,
        status,
        paid_on: paidOn,
        paid_at: paidOn ? at(paidOn, '12:00:00') : null,
        written_off_at: writtenOffAt ?? null,
        write_off_reason: writtenOffAt ? 'uncollectible' : null,
        issued_by: 'fiona',
      })
      .execute();
    for (const a of allocations) await pay(no, customer, currency, a);
    if (creditResolvedAt)
      await db()
        .insertInto('disputes')
        .values({
          id: `TD${n}`,
          invoice_no: no,
          reason: 'price',
          note: null,
          routed_to: 'finance',
          status: 'resolved',
          opened_by: 'sally',
          opened_at: at(issued),
          sla_due_at: at(issued),
          outcome: 'accepted',
          credit_minor: credit,
          resolved_by: 'fiona',
          resolved_at: creditResolvedAt,
        })
        .execute();
  }
}

const get = async (client: ApiClient, path: string) => {
  const response = await client.get(path);
  expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(200);
  return response.body;
};

/** The trend of from … to equals, month by month, the DSO and CEI reports of that month's period. */
async function expectTrendEqualsMonthlyReports(from: string, to: string, timeZone = TZ): Promise<number> {
  const zone = `timeZone=${encodeURIComponent(timeZone)}`;
  const trend = await get(suite.people.finance, `/api/v1/reports/trend?from=${from}&to=${to}&${zone}`);
  expect(trend).toMatchObject({ report: 'trend', from, to, timeZone });
  const localToday = localDateOf(Date.now(), timeZone);
  let compared = 0;
  for (const m of trend.months) {
    expect(m.from).toBe(`${m.month}-01`);
    expect(m.from <= localToday).toBe(true);
    const period = `from=${m.from}&to=${m.to}&${zone}`;
    const dso = await get(suite.people.finance, `/api/v1/reports/dso?${period}`);
    const cei = await get(suite.people.executive, `/api/v1/reports/cei?${period}`);
    expect(m.dso, `DSO ${m.month}`).toEqual(dso.currencies.map(({ months: _, ...rest }: any) => rest));
    expect(m.cei, `CEI ${m.month}`).toEqual(cei.currencies);
    compared += m.dso.length + m.cei.length;
  }
  return compared;
}

describe('the trend on generated books', () => {
  it('gives each month the figures of the single-month DSO and CEI reports', async () => {
    await generateBooks();
    const now = today();
    // the dashboard's default: the last six months, the current one up to today
    const byDefault = await get(suite.people.finance, '/api/v1/reports/trend');
    expect(byDefault.months.map((m: any) => m.month)).toEqual([5, 4, 3, 2, 1, 0].map((k) => monthsBefore(now, k)));
    expect(byDefault.months.at(-1).to).toBe(now);
    // both currencies, figures not all zero
    expect(byDefault.months.at(-1).cei.map((c: any) => c.currency)).toEqual(['CNY', 'USD']);
    expect(byDefault.months.some((m: any) => m.dso.some((c: any) => c.dsoDays > 0))).toBe(true);
    expect(await expectTrendEqualsMonthlyReports(monthsBefore(now, 5), month(now))).toBeGreaterThan(20);
    expect(await expectTrendEqualsMonthlyReports(monthsBefore(now, 11), month(now))).toBeGreaterThan(40);
    expect(await expectTrendEqualsMonthlyReports(monthsBefore(now, 16), monthsBefore(now, 9))).toBeGreaterThan(20);
    // the first months before any invoice, and months after today left out
    expect(await expectTrendEqualsMonthlyReports(monthsBefore(now, 18), monthsBefore(now, 14))).toBeGreaterThan(0);
    const future = await get(
      suite.people.finance,
      `/api/v1/reports/trend?from=${monthsBefore(now, 1)}&to=${monthsBefore(now, -3)}`,
    );
    expect(future.months.map((m: any) => m.month)).toEqual([monthsBefore(now, 1), month(now)]);
    // dates read in another zone: the month ends and the instants of reversals, write-offs and credit notes move
    expect(
      await expectTrendEqualsMonthlyReports(monthsBefore(now, 11), month(now), 'America/New_York'),
    ).toBeGreaterThan(40);
  });

  it('keeps past month-ends, reads them, and a snapshot computed under a back-dated write is not stored', async () => {
    const now = today();
    const kept = async () =>
      (
        await db()
          .selectFrom('receivable_snapshots')
          .select('as_of')
          .where('time_zone', '=', TZ)
          .orderBy('as_of')
          .execute()
      ).map((r) => r.as_of);
    // a snapshot computed before a back-dated payment arrives, stored after it: refused
    const wanted = monthEndsToKeep(Date.now(), TZ);
    const early = await computeSnapshots(db(), wanted.slice(-3), TZ);
    const open = await db()
      .selectFrom('invoices')
      .select(['no', 'customer_code', 'currency', 'balance_minor'])
      .where('status', '=', 'open')
      .where('balance_minor', '>', 100)
      .where('issue_date', '<', addDays(now, -100))
      .orderBy('no', 'desc')
      .executeTakeFirstOrThrow();
    await pay(open.no, open.customer_code, open.currency, { receivedOn: addDays(now, -20), amount: 100 });
    await db()
      .updateTable('invoices')
      .set({ balance_minor: open.balance_minor - 100 })
      .where('no', '=', open.no)
      .execute();
    expect(await storeSnapshots(db(), early)).toBe(false);
    expect(await kept()).toEqual([]);

    const run = await keepReceivableSnapshots(db(), { timeZone: TZ });
    expect(run).toEqual({ missing: KEPT_MONTH_ENDS, stored: KEPT_MONTH_ENDS });
    expect(await kept()).toEqual(wanted);
    expect(await keepReceivableSnapshots(db(), { timeZone: TZ })).toEqual({ missing: 0, stored: 0 });
    // the figures from kept month-ends are those of the single-month reports
    expect(await expectTrendEqualsMonthlyReports(monthsBefore(now, 11), month(now))).toBeGreaterThan(40);
    expect(await expectTrendEqualsMonthlyReports(monthsBefore(now, 16), monthsBefore(now, 9))).toBeGreaterThan(20);

    // and they are read: a kept month-end altered by hand shows in the trend
    const path = `/api/v1/reports/trend?from=${monthsBefore(now, 3)}&to=${month(now)}`;
    const honest = await get(suite.people.finance, path);
    const monthEnd = addDays(`${monthsBefore(now, 2)}-01`, -1);
    await db()
      .updateTable('receivable_snapshots')
      .set({
        ar_minor: sql<string[]>`array(select x + 100 from unnest(ar_minor) x)`,
        sales_minor: sql<string[]>`array(select x + 100 from unnest(sales_minor) x)`,
      })
      .where('time_zone', '=', TZ)
      .where('as_of', '=', monthEnd)
      .execute();
    const altered = await get(suite.people.finance, path);
    const ceiOf = (body: any) => body.months.find((m: any) => m.to === monthEnd).cei[0];
    expect(Number(ceiOf(altered).endingReceivables.value)).toBeCloseTo(
      Number(ceiOf(honest).endingReceivables.value) + 1,
      2,
    );
    expect(Number(ceiOf(altered).creditSales.value)).toBeCloseTo(Number(ceiOf(honest).creditSales.value) + 1, 2);
    await db()
      .updateTable('receivable_snapshots')
      .set({
        ar_minor: sql<string[]>`array(select x - 100 from unnest(ar_minor) x)`,
        sales_minor: sql<string[]>`array(select x - 100 from unnest(sales_minor) x)`,
      })
      .where('time_zone', '=', TZ)
      .where('as_of', '=', monthEnd)
      .execute();
    expect((await get(suite.people.finance, path)).months).toEqual(honest.months);
  });

  it('stays equal to them when a back-dated payment and a late reversal arrive', async () => {
    const now = today();
    const keptDays = async () =>
      (await db().selectFrom('receivable_snapshots').select('as_of').where('time_zone', '=', TZ).execute()).map(
        (r) => r.as_of,
      );
    expect(await keptDays()).toHaveLength(KEPT_MONTH_ENDS);
    const before = await get(
      suite.people.finance,
      `/api/v1/reports/trend?from=${monthsBefore(now, 11)}&to=${month(now)}`,
    );
    // a payment received four months ago, recorded only now, for an invoice open since before then
    const open = await db()
      .selectFrom('invoices')
      .select(['no', 'customer_code', 'currency', 'balance_minor'])
      .where('status', '=', 'open')
      .where('first_received_on', 'is', null)
      .where('issue_date', '<', addDays(now, -200))
      .orderBy('no')
      .executeTakeFirstOrThrow();
    await pay(open.no, open.customer_code, open.currency, {
      receivedOn: addDays(now, -120),
      amount: Math.floor(open.balance_minor / 2),
    });
    await db()
      .updateTable('invoices')
      .set({ balance_minor: open.balance_minor - Math.floor(open.balance_minor / 2) })
      .where('no', '=', open.no)
      .execute();
    // the month-ends from the payment's day on are forgotten, the earlier ones kept
    const forgotten = monthEndsToKeep(Date.now(), TZ).filter((day) => day >= addDays(now, -120));
    expect(forgotten.length).toBeGreaterThanOrEqual(3);
    expect((await keptDays()).sort()).toEqual(
      monthEndsToKeep(Date.now(), TZ).filter((day) => day < addDays(now, -120)),
    );
    // an allocation received seven months ago reversed now
    const allocation = await db()
      .selectFrom('allocations')
      .innerJoin('invoices', 'invoices.no', 'allocations.invoice_no')
      .select(['allocations.id', 'allocations.invoice_no', 'allocations.amount_minor', 'invoices.balance_minor'])
      .where('allocations.reversed_at', 'is', null)
      .where('allocations.received_on', '<', addDays(now, -210))
      .where('invoices.status', '=', 'paid')
      .orderBy('allocations.id')
      .executeTakeFirstOrThrow();
    await db()
      .updateTable('allocations')
      .set({ reversed_at: new Date(), reversed_by: 'fiona', reversal_reason: 'bounced' })
      .where('id', '=', allocation.id)
      .execute();
    await db()
      .updateTable('invoices')
      .set({ status: 'open', balance_minor: allocation.amount_minor, paid_on: null, paid_at: null })
      .where('no', '=', allocation.invoice_no)
      .execute();
    const after = await get(
      suite.people.finance,
      `/api/v1/reports/trend?from=${monthsBefore(now, 11)}&to=${month(now)}`,
    );
    expect(after.months).not.toEqual(before.months);
    expect(await expectTrendEqualsMonthlyReports(monthsBefore(now, 11), month(now))).toBeGreaterThan(40);
    // a reversal recorded now changes no past month-end: nothing more forgotten; the next run keeps them again
    expect(await keptDays()).toHaveLength(KEPT_MONTH_ENDS - forgotten.length);
    // kept again by the schedule's workflow, on the worker
    const stored = await suite.harness.client.workflow.execute(receivableSnapshotsWorkflow, {
      taskQueue: suite.harness.taskQueue,
      workflowId: `receivable-snapshots-test-${Date.now()}`,
      args: [{ timeZone: TZ }],
    });
    expect(stored).toBe(forgotten.length);
    expect(await keptDays()).toHaveLength(KEPT_MONTH_ENDS);
    expect(await expectTrendEqualsMonthlyReports(monthsBefore(now, 11), month(now))).toBeGreaterThan(40);
  });

  it('downloads as CSV like the other reports', async () => {
    const now = today();
    const response = await fetch(
      `${suite.people.finance.baseUrl}/api/v1/reports/trend?from=${monthsBefore(now, 2)}&to=${month(now)}&format=csv`,
      { headers: { authorization: `Bearer ${suite.people.finance.token}` } },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="trend-${monthsBefore(now, 2)}-${month(now)}.csv"`,
    );
    const lines = Buffer.from(await response.arrayBuffer())
      .subarray(3)
      .toString('utf8')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toContain('Month 月份,Currency 币种');
    // three months × two currencies
    expect(lines).toHaveLength(7);
  });
});

describe('who may read the trend, and bad parameters', () => {
  it('answers 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['from=2026-05&to=2026-04', 'from'],
      ['from=2025-01&to=2026-01', 'from'],
      ['from=2026-13', 'from'],
      ['to=2026-1', 'to'],
      ['to=yesterday', 'to'],
      ['from=2026-01&from=2026-02', 'from'],
      ['from=2026-01-01', 'from'],
      ['timeZone=Mars/Olympus', 'timeZone'],
      ['format=pdf', 'format'],
    ];
    for (const [query, field] of cases) {
      const response = await suite.people.finance.get(`/api/v1/reports/trend?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.details[0].field, query).toBe(field);
    }
    // twelve months is the most: 2025-02 … 2026-01 is fine
    expect((await suite.people.finance.get('/api/v1/reports/trend?from=2025-02&to=2026-01')).status).toBe(200);
    const badCsv = await fetch(
      `${suite.people.finance.baseUrl}/api/v1/reports/trend?from=2024-01&to=2026-01&format=csv`,
      {
        headers: { authorization: `Bearer ${suite.people.finance.token}` },
      },
    );
    expect(badCsv.status).toBe(400);
    expect(((await badCsv.json()) as { details: { field: string }[] }).details[0].field).toBe('from');
  });

  it('is finance’s and executives’ only', async () => {
    expect((await suite.people.sales.get('/api/v1/reports/trend')).status).toBe(403);
    expect((await suite.people.executive.get('/api/v1/reports/trend')).status).toBe(200);
  });
});
