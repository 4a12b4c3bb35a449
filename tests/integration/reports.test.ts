/**
 * The AR reports against a real PostgreSQL, on a fixture written straight to the database whose every
 * figure is computed by hand below. Amounts in yuan (¥); the database holds fen (× 100).
 * The as-of date is 2026-03-31 (Asia/Shanghai); periods are March 2026 or Q1 2026.
 */
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/connect';
import { type ApiClient, eventually } from '../support/api-harness';
import { apiSuiteWithPeople, createCustomer, daysAgo, driveToDelivery, registerContract } from '../support/scenario';
import { type Stage } from '../../domain/stages';
import { type DisputeStatus, type InvoiceStatus, type PromiseStatus } from '../../domain/statuses';

const suite = apiSuiteWithPeople();
const fen = (yuan: number) => yuan * 100;
const cny = (yuan: number) => ({ value: yuan.toFixed(2), currency: 'CNY' });
/** An instant given as Shanghai wall time. */
const shanghai = (local: string) => new Date(`${local}+08:00`);
const DAY_MS = 86_400_000;
const AS_OF = '2026-03-31';

interface InvoiceSpec {
  no: string;
  contract: string;
  customer: string;
  amount: number;
  issued: string;
  due: string;
  status?: InvoiceStatus;
  balance?: number;
  paidOn?: string;
  writtenOffAt?: Date;
}

/*
 * Customers ALPHA (阿尔法科技), BETA (贝塔实业), GAMMA (伽马集团).
 * Contracts: K1 ALPHA owner sally, East, ¥50,000, Collection; K2 ALPHA owner tom, West, ¥30,000, Delivery;
 * K3 BETA owner sally, West, ¥80,000, Collection; K4 GAMMA no owner, no department, ¥10,000, Collection;
 * K5 GAMMA ¥25,000, Opportunity; K6 BETA ¥5,000, Cancelled.
 */
const INVOICES: InvoiceSpec[] = [
  // current on 03-31 (due 04-10), unpaid
  { no: 'I1', contract: 'K1', customer: 'ALPHA', amount: 10_000, issued: '2026-03-01', due: '2026-04-10' },
  // 15 days past due; ¥5,000 received 03-20 → ¥15,000 open
  {
    no: 'I2',
    contract: 'K1',
    customer: 'ALPHA',
    amount: 20_000,
    issued: '2026-01-15',
    due: '2026-03-16',
    balance: 15_000,
  },
  // 70 days past due (Jan 20 → Mar 31 = 11 + 28 + 31); paid in full 04-05, after the as-of date → open then
  {
    no: 'I3',
    contract: 'K2',
    customer: 'ALPHA',
    amount: 8_000,
    issued: '2025-12-01',
    due: '2026-01-20',
    status: 'paid',
    balance: 0,
    paidOn: '2026-04-05',
  },
  // 120 days past due (Dec 1 → Mar 31 = 30 + 31 + 28 + 31); paid 02-10 but that allocation was reversed 03-05 → open
  { no: 'I4', contract: 'K3', customer: 'BETA', amount: 12_000, issued: '2025-11-01', due: '2025-12-01' },
  // 55 days past due (Feb 4 → Mar 31 = 24 + 31); ¥6,000 issued, price dispute accepted 03-10 with a ¥1,000 credit note → amount now ¥5,000
  { no: 'I5', contract: 'K3', customer: 'BETA', amount: 5_000, issued: '2026-01-05', due: '2026-02-04' },
  // 30 days past due (Mar 1 → Mar 31); quality dispute open since 03-15
  { no: 'I6', contract: 'K4', customer: 'GAMMA', amount: 4_000, issued: '2026-02-20', due: '2026-03-01' },
  // paid 02-20, 11 days after its due date 02-09
  {
    no: 'I7',
    contract: 'K1',
    customer: 'ALPHA',
    amount: 5_000,
    issued: '2026-01-10',
    due: '2026-02-09',
    status: 'paid',
    balance: 0,
    paidOn: '2026-02-20',
  },
  // written off 03-28, before the as-of date → not receivable
  {
    no: 'I8',
    contract: 'K3',
    customer: 'BETA',
    amount: 3_000,
    issued: '2026-03-05',
    due: '2026-03-25',
    status: 'written_off',
    writtenOffAt: shanghai('2026-03-28T10:00:00'),
  },
  // 28 days past due; written off at 00:30 on April 1 in Shanghai (still March 31 in UTC) → open at the end of March 31
  {
    no: 'I9',
    contract: 'K2',
    customer: 'ALPHA',
    amount: 2_000,
    issued: '2026-02-01',
    due: '2026-03-03',
    status: 'written_off',
    writtenOffAt: shanghai('2026-04-01T00:30:00'),
  },
  // issued after the as-of date → not receivable then
  { no: 'I10', contract: 'K3', customer: 'BETA', amount: 7_000, issued: '2026-04-02', due: '2026-05-02' },
  // paid 02-25, 4 days before its due date 03-01
  {
    no: 'I11',
    contract: 'K1',
    customer: 'ALPHA',
    amount: 9_000,
    issued: '2026-02-01',
    due: '2026-03-01',
    status: 'paid',
    balance: 0,
    paidOn: '2026-02-25',
  },
  // paid 03-12, 40 days after its due date 01-31 (Jan 31 → Mar 12 = 28 + 12)
  {
    no: 'I12',
    contract: 'K3',
    customer: 'BETA',
    amount: 10_000,
    issued: '2026-01-01',
    due: '2026-01-31',
    status: 'paid',
    balance: 0,
    paidOn: '2026-03-12',
  },
  // ¥3,500 issued, current; invoice-error dispute opened 03-20, accepted 04-03 with a ¥500 credit → amount now ¥3,000, but ¥3,500 open on 03-31
  { no: 'I13', contract: 'K4', customer: 'GAMMA', amount: 3_000, issued: '2026-03-10', due: '2026-04-09' },
  // current, due 06-28 (90-day terms)
  { no: 'I14', contract: 'K3', customer: 'BETA', amount: 20_000, issued: '2026-03-30', due: '2026-06-28' },
];

async function insertCustomersAndContracts(db: Db): Promise<void> {
  await db
    .insertInto('customers')
    .values([
      {
        code: 'ALPHA',
        name: '阿尔法科技',
        grade: 'A',
        credit_limit_minor: fen(1_000_000),
        currency: 'CNY',
        credit_hold_reason: null,
      },
      {
        code: 'BETA',
        name: '贝塔实业',
        grade: 'B',
        credit_limit_minor: fen(1_000_000),
        currency: 'CNY',
        credit_hold_reason: null,
      },
      {
        code: 'GAMMA',
        name: '伽马集团',
        grade: 'C',
        credit_limit_minor: fen(1_000_000),
        currency: 'CNY',
        credit_hold_reason: null,
      },
    ])
    .execute();
  const contract = (
    no: string,
    customer: string,
    amount: number,
    stage: Stage,
    owner: string | null,
    department: string | null,
    stuckDays: number,
  ) => ({
    no,
    customer_code: customer,
    title: `${no} 项目`,
    amount_minor: fen(amount),
    currency: 'CNY',
    payment_terms_type: 'credit_terms' as const,
    stage,
    terms: '{}',
    details: '{}',
    owners: null,
    close_reason: null,
    department,
    account_owner: owner,
    created_by: 'sally',
    stage_changed_at: new Date(Date.now() - stuckDays * DAY_MS),
  });
  await db
    .insertInto('contracts')
    .values([
      contract('K1', 'ALPHA', 50_000, 'Collection', 'sally', 'East', 12),
      contract('K2', 'ALPHA', 30_000, 'Delivery', 'tom', 'West', 3.5),
      contract('K3', 'BETA', 80_000, 'Collection', 'sally', 'West', 4),
      contract('K4', 'GAMMA', 10_000, 'Collection', null, null, 6),
      contract('K5', 'GAMMA', 25_000, 'Opportunity', 'sally', 'East', 10),
      contract('K6', 'BETA', 5_000, 'Cancelled', 'tom', 'West', 1),
    ])
    .execute();
}

async function insertInvoices(db: Db): Promise<void> {
  await db
    .insertInto('invoices')
    .values(
      INVOICES.map((i, index) => ({
        no: i.no,
        contract_no: i.contract,
        milestone_seq: index + 1,
        customer_code: i.customer,
        currency: 'CNY',
        amount_minor: fen(i.amount),
        tax_rate_percent: null,
        tax_minor: 0,
        balance_minor: fen(i.balance ?? i.amount),
        issue_date: i.issued,
        due_date: i.due,
        status: i.status ?? 'open',
        paid_on: i.paidOn ?? null,
        paid_at: i.paidOn ? shanghai(`${i.paidOn}T12:00:00`) : null,
        written_off_at: i.writtenOffAt ?? null,
        write_off_reason: i.writtenOffAt ? 'uncollectible' : null,
        issued_by: 'fiona',
      })),
    )
    .execute();
}

async function insertPayments(db: Db): Promise<void> {
  const payments: [string, number, string, string, Date | null][] = [
    // customer, amount, received on, invoice, allocation reversed at
    ['ALPHA', 5_000, '2026-03-20', 'I2', null],
    ['ALPHA', 8_000, '2026-04-05', 'I3', null],
    ['BETA', 12_000, '2026-02-10', 'I4', shanghai('2026-03-05T10:00:00')],
    ['ALPHA', 5_000, '2026-02-20', 'I7', null],
    ['ALPHA', 9_000, '2026-02-25', 'I11', null],
    ['BETA', 10_000, '2026-03-12', 'I12', null],
  ];
  for (const [customer, amount, receivedOn, invoiceNo, reversedAt] of payments) {
    const payment = await db
      .insertInto('payments')
      .values({
        customer_code: customer,
        reference: `R-${invoiceNo}`,
        amount_minor: fen(amount),
        currency: 'CNY',
        received_on: receivedOn,
        unallocated_minor: reversedAt ? fen(amount) : 0,
        recorded_by: 'fiona',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('allocations')
      .values({
        payment_id: payment.id,
        invoice_no: invoiceNo,
        amount_minor: fen(amount),
        reversed_at: reversedAt,
        reversed_by: reversedAt ? 'fiona' : null,
        reversal_reason: reversedAt ? 'belongs to another customer' : null,
      })
      .execute();
  }
}

async function insertDisputes(db: Db): Promise<void> {
  const dispute = (
    id: string,
    invoiceNo: string,
    reason: string,
    opened: string,
    status: DisputeStatus,
    resolved: string | null,
    creditYuan: number | null,
  ) => ({
    id,
    invoice_no: invoiceNo,
    reason,
    note: null,
    routed_to: 'finance',
    status,
    opened_by: 'sally',
    opened_at: shanghai(opened),
    sla_due_at: shanghai(opened),
    outcome: status === 'resolved' ? (creditYuan ? 'accepted' : 'rejected') : status === 'closed' ? 'paid' : null,
    credit_minor: creditYuan === null ? null : fen(creditYuan),
    resolved_by: resolved ? 'fiona' : null,
    resolved_at: resolved ? shanghai(resolved) : null,
  });
  await db
    .insertInto('disputes')
    .values([
      dispute('D1', 'I5', 'price', '2026-02-10T10:00:00', 'resolved', '2026-03-10T10:00:00', 1_000), // 28 days
      dispute('D2', 'I6', 'quality', '2026-03-15T09:00:00', 'open', null, null),
      dispute('D3', 'I13', 'invoice_error', '2026-03-20T09:00:00', 'resolved', '2026-04-03T09:00:00', 500),
      dispute('D4', 'I12', 'price', '2026-01-20T09:00:00', 'resolved', '2026-01-30T21:00:00', 0), // 10.5 days
      dispute('D5', 'I7', 'quality', '2026-02-12T09:00:00', 'closed', '2026-02-20T12:00:00', null), // closed when I7 was paid
      dispute('D6', 'I4', 'service', '2025-12-20T09:00:00', 'resolved', '2026-01-05T09:00:00', 0), // 16 days
    ])
    .execute();
}

async function insertPromises(db: Db): Promise<void> {
  const promise = (id: string, invoiceNo: string, customer: string, status: PromiseStatus, closed: string | null) => ({
    id,
    invoice_no: invoiceNo,
    customer_code: customer,
    contact: '王芳',
    promised_date: '2026-03-01',
    amount_minor: fen(1_000),
    status,
    recorded_by: 'sally',
    recorded_at: shanghai('2026-01-10T09:00:00'),
    closed_at: closed ? shanghai(closed) : null,
  });
  await db
    .insertInto('promises')
    .values([
      promise('PR1', 'I2', 'ALPHA', 'kept', '2026-03-31T23:30:00'), // the last half hour of March in Shanghai: in Q1
      promise('PR2', 'I3', 'ALPHA', 'broken', '2026-03-10T09:00:00'),
      promise('PR3', 'I4', 'BETA', 'broken', '2026-02-20T09:00:00'),
      promise('PR4', 'I12', 'BETA', 'kept', '2026-03-12T09:00:00'),
      promise('PR5', 'I6', 'GAMMA', 'open', null),
      promise('PR6', 'I1', 'ALPHA', 'kept', '2026-04-01T00:30:00'), // April 1 in Shanghai (March 31 in UTC): not in Q1
      promise('PR7', 'I6', 'GAMMA', 'cancelled', '2026-03-15T09:00:00'),
      promise('PR8', 'I5', 'BETA', 'broken', '2026-03-01T09:00:00'),
    ])
    .execute();
}

/**
 * Stage transitions ending now − stuckDays (when the contract entered its current stage), with the
 * days spent in each earlier stage; K4 was imported without a timeline.
 */
async function insertTimeline(db: Db): Promise<void> {
  const paths: [string, number, [string, number][], string][] = [
    // contract, days in current stage, [stage, days spent] in order, current stage
    [
      'K1',
      12,
      [
        ['Opportunity', 2],
        ['SolutionReview', 5],
        ['ContractReview', 2],
        ['Split', 1],
        ['Budget', 1],
        ['Handover', 1],
        ['Delivery', 30],
        ['Acceptance', 10],
      ],
      'Collection',
    ],
    [
      'K3',
      4,
      [
        ['Opportunity', 4],
        ['SolutionReview', 1],
        ['ContractReview', 3],
        ['Split', 1],
        ['Budget', 1],
        ['Handover', 1],
        ['Delivery', 20],
        ['Acceptance', 6],
      ],
      'Collection',
    ],
    [
      'K2',
      3.5,
      [
        ['Opportunity', 6],
        ['SolutionReview', 2],
        ['ContractReview', 1],
        ['Split', 1],
        ['Budget', 1],
        ['Handover', 1],
      ],
      'Delivery',
    ],
    ['K5', 10, [], 'Opportunity'],
    [
      'K6',
      1,
      [
        ['Opportunity', 3],
        ['SolutionReview', 2],
        ['ContractReview', 4],
      ],
      'Cancelled',
    ],
  ];
  const now = Date.now();
  const rows = [];
  for (const [contractNo, stuckDays, stays, current] of paths) {
    const stages = [...stays.map(([stage]) => stage), current];
    const spent = stays.map(([, days]) => days);
    // entering stage k happened now − stuck − (days spent in stages k … last completed)
    const enteredAt = stages.map((_, k) => now - (stuckDays + spent.slice(k).reduce((a, b) => a + b, 0)) * DAY_MS);
    stages.forEach((stage, k) =>
      rows.push({
        event_key: `${contractNo}/${k}`,
        contract_no: contractNo,
        at: new Date(enteredAt[k]),
        actor_name: 'sally',
        actor_role: 'sales',
        action: k === 0 ? 'register' : 'transition',
        from_stage: k === 0 ? null : stages[k - 1],
        to_stage: stage,
        reason: null,
        details: '{}',
      }),
    );
  }
  // an event without a stage change in the middle of K1's Delivery must not split that stay
  rows.push({
    event_key: 'K1/payment',
    contract_no: 'K1',
    at: new Date(now - 30 * DAY_MS),
    actor_name: 'fiona',
    actor_role: 'finance',
    action: 'payment_allocated',
    from_stage: null,
    to_stage: null,
    reason: null,
    details: '{}',
  });
  await db.insertInto('timeline').values(rows).execute();
}

let finance: ApiClient;
let executive: ApiClient;

beforeAll(async () => {
  finance = suite.people.finance;
  executive = suite.people.executive;
  const { db } = suite.harness.database;
  await insertCustomersAndContracts(db);
  await insertInvoices(db);
  await insertPayments(db);
  await insertDisputes(db);
  await insertPromises(db);
  await insertTimeline(db);
});

const get = async (client: ApiClient, path: string) => {
  const response = await client.get(path);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
};

describe('AR aging as of 2026-03-31', () => {
  it('buckets by customer what was open then, with totals', async () => {
    const body = await get(finance, `/api/v1/reports/aging?asOf=${AS_OF}&groupBy=customer`);
    expect(body).toMatchObject({ asOf: AS_OF, groupBy: 'customer', timeZone: 'Asia/Shanghai' });
    // BETA: I14 current 20,000; I5 31–60 5,000; I4 90+ 12,000 (reversed allocation) = 37,000 in 3 invoices (I8 written off, I10 not yet issued, I12 paid)
    // ALPHA: I1 current 10,000; I2 15,000 + I9 2,000 = 17,000 in 1–30; I3 61–90 8,000 (paid after the date) = 35,000 in 4 (I7, I11 paid)
    // GAMMA: I13 current 3,500 (credit note after the date added back); I6 1–30 4,000 = 7,500 in 2
    expect(body.rows).toEqual([
      {
        key: 'BETA',
        name: '贝塔实业',
        currency: 'CNY',
        invoices: 3,
        current: cny(20_000),
        days1to30: cny(0),
        days31to60: cny(5_000),
        days61to90: cny(0),
        over90: cny(12_000),
        total: cny(37_000),
      },
      {
        key: 'ALPHA',
        name: '阿尔法科技',
        currency: 'CNY',
        invoices: 4,
        current: cny(10_000),
        days1to30: cny(17_000),
        days31to60: cny(0),
        days61to90: cny(8_000),
        over90: cny(0),
        total: cny(35_000),
      },
      {
        key: 'GAMMA',
        name: '伽马集团',
        currency: 'CNY',
        invoices: 2,
        current: cny(3_500),
        days1to30: cny(4_000),
        days31to60: cny(0),
        days61to90: cny(0),
        over90: cny(0),
        total: cny(7_500),
      },
    ]);
    // totals: current 20,000 + 10,000 + 3,500 = 33,500; 1–30 17,000 + 4,000 = 21,000; 31–60 5,000; 61–90 8,000; 90+ 12,000; all 79,500 in 9
    expect(body.totals).toEqual([
      {
        key: null,
        name: null,
        currency: 'CNY',
        invoices: 9,
        current: cny(33_500),
        days1to30: cny(21_000),
        days31to60: cny(5_000),
        days61to90: cny(8_000),
        over90: cny(12_000),
        total: cny(79_500),
      },
    ]);
  });

  it("groups by owner: the contract's account owner, none for K4", async () => {
    const body = await get(executive, `/api/v1/reports/aging?asOf=${AS_OF}&groupBy=owner`);
    // sally = K1 (I1 10,000 current, I2 15,000 1–30) + K3 (I14 20,000 current, I5 5,000 31–60, I4 12,000 90+) = 62,000 in 5
    // tom = K2 (I9 2,000 1–30, I3 8,000 61–90) = 10,000 in 2; no owner = K4 (I13 3,500 current, I6 4,000 1–30) = 7,500 in 2
    expect(
      body.rows.map((r: any) => [
        r.key,
        r.invoices,
        r.current.value,
        r.days1to30.value,
        r.days31to60.value,
        r.days61to90.value,
        r.over90.value,
        r.total.value,
      ]),
    ).toEqual([
      ['sally', 5, '30000.00', '15000.00', '5000.00', '0.00', '12000.00', '62000.00'],
      ['tom', 2, '0.00', '2000.00', '0.00', '8000.00', '0.00', '10000.00'],
      [null, 2, '3500.00', '4000.00', '0.00', '0.00', '0.00', '7500.00'],
    ]);
    expect(body.totals[0].total).toEqual(cny(79_500));
  });

  it('groups by department and by contract', async () => {
    const byDepartment = await get(finance, `/api/v1/reports/aging?asOf=${AS_OF}&groupBy=department`);
    // West = K2 10,000 + K3 37,000 = 47,000 in 5 (current 20,000; 1–30 2,000; 31–60 5,000; 61–90 8,000; 90+ 12,000); East = K1 25,000 in 2; none = K4 7,500
    expect(
      byDepartment.rows.map((r: any) => [
        r.key,
        r.invoices,
        r.current.value,
        r.days1to30.value,
        r.days31to60.value,
        r.days61to90.value,
        r.over90.value,
        r.total.value,
      ]),
    ).toEqual([
      ['West', 5, '20000.00', '2000.00', '5000.00', '8000.00', '12000.00', '47000.00'],
      ['East', 2, '10000.00', '15000.00', '0.00', '0.00', '0.00', '25000.00'],
      [null, 2, '3500.00', '4000.00', '0.00', '0.00', '0.00', '7500.00'],
    ]);
    const byContract = await get(finance, `/api/v1/reports/aging?asOf=${AS_OF}&groupBy=contract`);
    // K3 37,000; K1 25,000; K2 10,000; K4 7,500, named by the contract title
    expect(byContract.rows.map((r: any) => [r.key, r.name, r.total.value])).toEqual([
      ['K3', 'K3 项目', '37000.00'],
      ['K1', 'K1 项目', '25000.00'],
      ['K2', 'K2 项目', '10000.00'],
      ['K4', 'K4 项目', '7500.00'],
    ]);
  });

  it('sees a different picture at the end of February', async () => {
    const body = await get(finance, '/api/v1/reports/aging?asOf=2026-02-28&groupBy=customer');
    // ALPHA: I2 20,000 (paid 03-20, due 03-16: current); I3 8,000 (39 days: 31–60); I9 2,000 (current) = 30,000
    // BETA: I5 6,000 (credit 03-10 not yet: 24 days 1–30); I12 10,000 (28 days 1–30); I4 paid (reversal came 03-05) = 16,000
    // GAMMA: I6 4,000 (current, due 03-01) = 4,000
    expect(
      body.rows.map((r: any) => [r.key, r.current.value, r.days1to30.value, r.days31to60.value, r.total.value]),
    ).toEqual([
      ['ALPHA', '22000.00', '0.00', '8000.00', '30000.00'],
      ['BETA', '0.00', '16000.00', '0.00', '16000.00'],
      ['GAMMA', '4000.00', '0.00', '0.00', '4000.00'],
    ]);
    expect(body.totals[0].total).toEqual(cny(50_000));
  });
});

describe('DSO, CEI and overdue ratio', () => {
  it('computes DSO by countback at the end of March', async () => {
    const body = await get(finance, '/api/v1/reports/dso?from=2026-03-01&to=2026-03-31');
    expect(body.method).toContain('countback');
    // AR 79,500. Credit sales as issued: March = I1 10,000 + I8 3,000 + I13 3,500 + I14 20,000 = 36,500 → 31 days, 43,000 left;
    // February = I9 2,000 + I11 9,000 + I6 4,000 = 15,000 → 28 days, 28,000 left;
    // January = I12 10,000 + I5 6,000 + I7 5,000 + I2 20,000 = 41,000 → 31 × 28,000 / 41,000 = 21.17 days. DSO = 80.17 → 80.2
    expect(body.currencies).toEqual([
      {
        currency: 'CNY',
        receivables: cny(79_500),
        dsoDays: 80.2,
        months: [
          { month: '2026-03', days: 31, creditSales: cny(36_500), receivablesCovered: cny(36_500), daysCounted: 31 },
          { month: '2026-02', days: 28, creditSales: cny(15_000), receivablesCovered: cny(15_000), daysCounted: 28 },
          { month: '2026-01', days: 31, creditSales: cny(41_000), receivablesCovered: cny(28_000), daysCounted: 21.17 },
        ],
        // 79,500 / 36,500 × 31 = 67.52
        averageMethod: { creditSales: cny(36_500), periodDays: 31, dsoDays: 67.5 },
      },
    ]);
  });

  it('computes the collection effectiveness index for March', async () => {
    const body = await get(finance, '/api/v1/reports/cei?from=2026-03-01&to=2026-03-31');
    // beginning (end of Feb 28) 50,000 (see the February aging); sales 36,500; ending 79,500; ending current 33,500
    // CEI = (50,000 + 36,500 − 79,500) / (50,000 + 36,500 − 33,500) × 100 = 7,000 / 53,000 × 100 = 13.21 → 13.2
    expect(body.currencies).toEqual([
      {
        currency: 'CNY',
        beginningReceivables: cny(50_000),
        creditSales: cny(36_500),
        endingReceivables: cny(79_500),
        endingCurrentReceivables: cny(33_500),
        ceiPercent: 13.2,
      },
    ]);
  });

  it('computes the overdue ratio on 2026-03-31', async () => {
    const body = await get(finance, `/api/v1/reports/overdue-ratio?asOf=${AS_OF}`);
    // overdue = 79,500 − 33,500 current = 46,000 in 6 invoices (I2, I3, I4, I5, I6, I9) of 9; 46,000 / 79,500 = 57.86 %
    expect(body.currencies).toEqual([
      {
        currency: 'CNY',
        overdue: cny(46_000),
        total: cny(79_500),
        overdueInvoices: 6,
        invoices: 9,
        overduePercent: 57.9,
      },
    ]);
  });
});

describe('DSO and CEI by month (the dashboard trend)', () => {
  it('gives January to March 2026 the figures of the monthly DSO and CEI reports', async () => {
    const body = await get(executive, '/api/v1/reports/trend?from=2026-01&to=2026-03');
    expect(body.months.map((m: any) => [m.month, m.from, m.to])).toEqual([
      ['2026-01', '2026-01-01', '2026-01-31'],
      ['2026-02', '2026-02-01', '2026-02-28'],
      ['2026-03', '2026-03-01', '2026-03-31'],
    ]);
    // March: the figures computed by hand above (DSO 80.2 by countback, 67.5 by the average method; CEI 13.2)
    expect(body.months[2].dso).toEqual([
      {
        currency: 'CNY',
        receivables: cny(79_500),
        dsoDays: 80.2,
        averageMethod: { creditSales: cny(36_500), periodDays: 31, dsoDays: 67.5 },
      },
    ]);
    expect(body.months[2].cei).toEqual([
      {
        currency: 'CNY',
        beginningReceivables: cny(50_000),
        creditSales: cny(36_500),
        endingReceivables: cny(79_500),
        endingCurrentReceivables: cny(33_500),
        ceiPercent: 13.2,
      },
    ]);
    // every month as the single-month reports give it
    for (const m of body.months) {
      const dso = await get(finance, `/api/v1/reports/dso?from=${m.from}&to=${m.to}`);
      const cei = await get(finance, `/api/v1/reports/cei?from=${m.from}&to=${m.to}`);
      expect(m.dso, m.month).toEqual(dso.currencies.map(({ months: _, ...rest }: any) => rest));
      expect(m.cei, m.month).toEqual(cei.currencies);
    }
  });
});

describe('payment behaviour in Q1 2026', () => {
  const Q1 = 'from=2026-01-01&to=2026-03-31';

  it("gives each customer's on-time rate and days late", async () => {
    const body = await get(finance, `/api/v1/reports/on-time?${Q1}`);
    // ALPHA: I7 5,000 11 days late, I11 9,000 early (0) → 1 of 2 on time = 50 %; average 5.5; weighted 55,000 / 14,000 = 3.93 → 3.9
    // BETA: I12 10,000 40 days late → 0 %; 40; 40 (I3 was paid in April)
    expect(body.customers).toEqual([
      {
        customerCode: 'ALPHA',
        name: '阿尔法科技',
        paidInvoices: 2,
        onTimeInvoices: 1,
        onTimePercent: 50,
        averageDaysLate: 5.5,
        amountWeightedDaysLate: 3.9,
      },
      {
        customerCode: 'BETA',
        name: '贝塔实业',
        paidInvoices: 1,
        onTimeInvoices: 0,
        onTimePercent: 0,
        averageDaysLate: 40,
        amountWeightedDaysLate: 40,
      },
    ]);
    // all: 1 of 3 = 33.3 %; (11 + 0 + 40) / 3 = 17; (55,000 + 400,000) / 24,000 = 18.96 → 19.0
    expect(body.total).toEqual({
      paidInvoices: 3,
      onTimeInvoices: 1,
      onTimePercent: 33.3,
      averageDaysLate: 17,
      amountWeightedDaysLate: 19,
    });
  });

  it("counts promises kept and broken, closed in Shanghai's Q1", async () => {
    const body = await get(finance, `/api/v1/reports/promises?${Q1}`);
    // ALPHA: PR1 kept (03-31 23:30), PR2 broken → 50 %; PR6 closed April 1 in Shanghai is out
    // BETA: PR4 kept, PR3 and PR8 broken → 33.3 %; GAMMA: only open and cancelled promises → no row
    expect(body.customers).toEqual([
      { customerCode: 'ALPHA', name: '阿尔法科技', kept: 1, broken: 1, keptPercent: 50 },
      { customerCode: 'BETA', name: '贝塔实业', kept: 1, broken: 2, keptPercent: 33.3 },
    ]);
    // 2 kept / 5 = 40 %
    expect(body.total).toEqual({ kept: 2, broken: 3, keptPercent: 40 });
  });

  it('reports disputes by reason', async () => {
    const body = await get(finance, `/api/v1/reports/disputes?${Q1}`);
    // invoice_error: D3 opened 03-20, resolved in April. price: D1 (28 days) and D4 (10.5 days) opened and resolved → 19.25 → 19.3
    // quality: D2 opened (still open), D5 opened and closed when I7 was paid. service: D6 opened in December, resolved 01-05 after 16 days
    expect(body.reasons).toEqual([
      { reason: 'invoice_error', opened: 1, resolved: 0, closedWithInvoice: 0, averageDaysToResolve: null },
      { reason: 'price', opened: 2, resolved: 2, closedWithInvoice: 0, averageDaysToResolve: 19.3 },
      { reason: 'quality', opened: 2, resolved: 0, closedWithInvoice: 1, averageDaysToResolve: null },
      { reason: 'service', opened: 0, resolved: 1, closedWithInvoice: 0, averageDaysToResolve: 16 },
    ]);
    // (28 + 10.5 + 16) / 3 = 18.17 → 18.2
    expect(body.total).toEqual({ opened: 5, resolved: 3, closedWithInvoice: 1, averageDaysToResolve: 18.2 });
  });
});

describe('13-week forecast from 2026-03-31', () => {
  it("expects each open invoice at its due date plus its customer's shrunk delay", async () => {
    const body = await get(finance, `/api/v1/reports/forecast?asOf=${AS_OF}`);
    // paid in the year up to 03-31: I7 (ALPHA 5,000, 11 late), I11 (ALPHA 9,000, 0), I12 (BETA 10,000, 40)
    // portfolio = 455,000 / 24,000 = 18.958; default delay (no history) = 19
    expect(body.portfolioDaysLate).toBeCloseTo(18.958, 3);
    expect(body.defaultDelayDays).toBe(19);
    // ALPHA: n = 2, w = 0.4: 0.4 × 3.929 + 0.6 × 18.958 = 12.95 → 13; BETA: n = 1, w = 0.25: 10 + 14.22 = 24.22 → 24; GAMMA: none → 19
    const customers = Object.fromEntries(
      body.customers.map((c: any) => [
        c.customerCode,
        [c.name, c.paidInvoices, c.weight, c.expectedDelayDays, c.open.value, c.openInvoices],
      ]),
    );
    expect(customers).toEqual({
      ALPHA: ['阿尔法科技', 2, 0.4, 13, '35000.00', 4],
      BETA: ['贝塔实业', 1, 0.25, 24, '37000.00', 3],
      GAMMA: ['伽马集团', 0, 0, 19, '7500.00', 2],
    });
    // week 1 (03-31 … 04-06) takes expected dates already past: I2 (03-16 + 13 = 03-29) 15,000; I3 (01-20 + 13) 8,000; I9 (03-03 + 13) 2,000;
    //   I4 (2025-12-01 + 24) 12,000; I5 (02-04 + 24 = 02-28) 5,000 → 42,000 in 5
    // week 4 (04-21 … 04-27): I1 04-10 + 13 = 04-23 → 10,000; later (from 06-30): I14 06-28 + 24 = 07-22 → 20,000
    // disputed on 03-31: I6 (D2 open) 4,000 + I13 (D3 resolved only 04-03) 3,500 = 7,500
    const amounts = Object.fromEntries(body.buckets.map((b: any) => [b.key, [b.expected.value, b.invoices]]));
    expect(amounts).toEqual({
      week1: ['42000.00', 5],
      week2: ['0.00', 0],
      week3: ['0.00', 0],
      week4: ['10000.00', 1],
      week5: ['0.00', 0],
      week6: ['0.00', 0],
      week7: ['0.00', 0],
      week8: ['0.00', 0],
      week9: ['0.00', 0],
      week10: ['0.00', 0],
      week11: ['0.00', 0],
      week12: ['0.00', 0],
      week13: ['0.00', 0],
      later: ['20000.00', 1],
      disputed: ['7500.00', 2],
    });
    expect(body.buckets.find((b: any) => b.key === 'week4')).toMatchObject({ start: '2026-04-21', end: '2026-04-27' });
    expect(body.totals).toEqual([{ currency: 'CNY', open: cny(79_500), invoices: 9 }]);
  });
});

describe('stage funnel', () => {
  it('counts contracts and value per stage, time in stage, time stuck and contracts past their stage deadline', async () => {
    const { db } = suite.harness.database;
    await db.updateTable('contracts').set({ escalation_level: 2 }).where('stage', '=', 'Delivery').execute();
    const body = await get(finance, '/api/v1/reports/funnel');
    const stage = (name: string) => body.stages.find((s: any) => s.stage === name);
    expect(body.stages.map((s: any) => s.stage)).toEqual([
      'Opportunity',
      'SolutionReview',
      'ContractReview',
      'Split',
      'Budget',
      'Handover',
      'Delivery',
      'Acceptance',
      'Collection',
      'Closed',
      'Cancelled',
    ]);
    // Collection: K1 50,000 + K3 80,000 + K4 10,000 = 140,000; stuck 12, 4, 6 days → average 7.3, median 6, max 12
    expect(stage('Collection')).toEqual({
      stage: 'Collection',
      contracts: 3,
      value: [cny(140_000)],
      timeInStage: { completedStays: 0, averageDays: null, medianDays: null },
      timeStuck: { averageDays: 7.3, medianDays: 6, maxDays: 12, escalated: 0 },
    });
    // Opportunity stays: K1 2, K3 4, K2 6, K6 3 → average 3.75 → 3.8, median 3.5; K5 in it for 10 days
    expect(stage('Opportunity')).toEqual({
      stage: 'Opportunity',
      contracts: 1,
      value: [cny(25_000)],
      timeInStage: { completedStays: 4, averageDays: 3.8, medianDays: 3.5 },
      timeStuck: { averageDays: 10, medianDays: 10, maxDays: 10, escalated: 0 },
    });
    // ContractReview stays: K1 2, K3 3, K2 1, K6 4 (then cancelled) → 2.5, median 2.5; nobody in it now
    expect(stage('ContractReview')).toEqual({
      stage: 'ContractReview',
      contracts: 0,
      value: [],
      timeInStage: { completedStays: 4, averageDays: 2.5, medianDays: 2.5 },
      timeStuck: { averageDays: null, medianDays: null, maxDays: null, escalated: 0 },
    });
    // Delivery stays: K1 30 (a payment event in between does not split it), K3 20 → 25; K2 in Delivery for 3.5 days
    expect(stage('Delivery')).toMatchObject({
      contracts: 1,
      value: [cny(30_000)],
      timeInStage: { completedStays: 2, averageDays: 25, medianDays: 25 },
      timeStuck: { averageDays: 3.5, maxDays: 3.5, escalated: 1 },
    });
    // Acceptance: K1 10, K3 6 → 8; Handover: K1, K3, K2 one day each
    expect(stage('Acceptance').timeInStage).toEqual({ completedStays: 2, averageDays: 8, medianDays: 8 });
    expect(stage('Handover').timeInStage).toEqual({ completedStays: 3, averageDays: 1, medianDays: 1 });
    // Cancelled is final: no time stuck
    expect(stage('Cancelled')).toMatchObject({
      contracts: 1,
      value: [cny(5_000)],
      timeStuck: { averageDays: null, medianDays: null, maxDays: null, escalated: 0 },
    });
  });
});

describe('exports', () => {
  const download = (client: ApiClient, path: string) =>
    fetch(`${client.baseUrl}${path}`, { headers: { authorization: `Bearer ${client.token}` } });

  it('exports the aging as CSV with a byte order mark, so Excel reads the Chinese names', async () => {
    const response = await download(finance, `/api/v1/reports/aging?asOf=${AS_OF}&groupBy=customer&format=csv`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="aging-customer-2026-03-31.csv"');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'Customer 客户,Name 名称,Currency 币种,Invoices 发票数,Current 未到期,1-30 days 逾期1-30天,31-60 days 逾期31-60天,61-90 days 逾期61-90天,90+ days 逾期90天以上,Total 合计',
    );
    expect(lines[2]).toBe('ALPHA,阿尔法科技,CNY,4,10000.00,17000.00,0.00,8000.00,0.00,35000.00');
    expect(lines[4]).toBe('TOTAL,Total 合计,CNY,9,33500.00,21000.00,5000.00,8000.00,12000.00,79500.00');
  });

  it('exports a report of several tables as CSV sections', async () => {
    const response = await download(finance, '/api/v1/reports/dso?from=2026-03-01&to=2026-03-31&format=csv');
    const text = Buffer.from(await response.arrayBuffer())
      .subarray(3)
      .toString('utf8');
    const sections = text.trimEnd().split('\r\n\r\n');
    expect(sections).toHaveLength(2);
    expect(sections[0].split('\r\n')[2]).toBe('CNY,79500.00,80.2,36500.00,67.5');
    expect(sections[1].split('\r\n')[4]).toBe('CNY,2026-01,31,41000.00,28000.00,21.17');
  });

  it('exports the forecast as an Excel workbook with numbers in the cells', async () => {
    const response = await download(executive, `/api/v1/reports/forecast?asOf=${AS_OF}&format=xlsx`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="forecast-2026-03-31.xlsx"');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.arrayBuffer());
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['forecast', 'customers']);
    const sheet = workbook.getWorksheet('forecast')!;
    expect(sheet.getCell('A1').value).toBe('Bucket 区间');
    // row 2 = week 1: 42,000 expected in 5 invoices; row 5 = week 4
    expect([
      sheet.getCell('A2').value,
      sheet.getCell('B2').value,
      sheet.getCell('E2').value,
      sheet.getCell('F2').value,
    ]).toEqual(['week1', '2026-03-31', 42000, 5]);
    expect([sheet.getCell('A5').value, sheet.getCell('E5').value]).toEqual(['week4', 10000]);
    expect(sheet.getCell('E2').numFmt).toBe('#,##0.00');
    const customers = workbook.getWorksheet('customers')!;
    expect(customers.getRow(2).values).toEqual(expect.arrayContaining(['ALPHA', '阿尔法科技', 35000, 13]));
  });
});

describe('who may read reports, and bad parameters', () => {
  it('lets only finance and executives read them, in every format', async () => {
    const sales = suite.people.sales;
    expect((await sales.get(`/api/v1/reports/aging?asOf=${AS_OF}`)).status).toBe(403);
    const csv = await fetch(`${sales.baseUrl}/api/v1/reports/aging?format=csv`, {
      headers: { authorization: `Bearer ${sales.token}` },
    });
    expect(csv.status).toBe(403);
    expect((await suite.people.delivery.get('/api/v1/reports/funnel')).status).toBe(403);
  });

  it('answers 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['/api/v1/reports/aging?asOf=2026-02-30', 'asOf'],
      ['/api/v1/reports/aging?asOf=yesterday', 'asOf'],
      ['/api/v1/reports/aging?groupBy=region', 'groupBy'],
      ['/api/v1/reports/aging?asOf=2026-03-31&asOf=2026-03-30', 'asOf'],
      ['/api/v1/reports/dso?from=2026-04-01&to=2026-03-31', 'from'],
      ['/api/v1/reports/cei?to=2026-13-01', 'to'],
      ['/api/v1/reports/on-time?from=2010-01-01&to=2026-03-31', 'from'],
      ['/api/v1/reports/forecast?timeZone=Mars/Olympus', 'timeZone'],
      ['/api/v1/reports/overdue-ratio?format=pdf', 'format'],
    ];
    for (const [path, field] of cases) {
      const response = await finance.get(path);
      expect(response.status, path).toBe(400);
      expect(response.body.details[0].field, path).toBe(field);
    }
    const badCsv = await fetch(`${finance.baseUrl}/api/v1/reports/aging?groupBy=region&format=csv`, {
      headers: { authorization: `Bearer ${finance.token}` },
    });
    expect(badCsv.status).toBe(400);
    expect(((await badCsv.json()) as { details: { field: string }[] }).details[0].field).toBe('groupBy');
  });

  it('documents the reports in the OpenAPI document', async () => {
    const openApi = await get(finance, '/api/v1/openapi.json');
    // aging, DSO, CEI, the DSO/CEI trend, overdue ratio, on-time, promises, disputes, forecast, funnel and the final accounts
    expect(Object.keys(openApi.paths).filter((p) => p.startsWith('/api/v1/reports/'))).toHaveLength(11);
    expect(openApi.paths['/api/v1/reports/aging'].get.parameters.map((p: any) => p.name)).toEqual([
      'asOf',
      'timeZone',
      'groupBy',
      'format',
    ]);
  });
});

describe('contract department and account owner', () => {
  it('keeps the department given at registration and the account owner from creation to handover', async () => {
    const { db } = suite.harness.database;
    const customer = await createCustomer(suite.people.sales);
    const no = await registerContract(suite.people.sales, customer, { department: '华东大区' });
    expect(
      await db.selectFrom('contracts').select(['department', 'account_owner']).where('no', '=', no).executeTakeFirst(),
    ).toEqual({ department: '华东大区', account_owner: 'sally' });
    await driveToDelivery(suite.people, no, daysAgo(5));
    const owner = await eventually(
      async () => {
        const row = await db.selectFrom('contracts').select('account_owner').where('no', '=', no).executeTakeFirst();
        return row?.account_owner === 'Sally Sales' ? row.account_owner : undefined;
      },
      10_000,
      'account owner from the handover',
    );
    expect(owner).toBe('Sally Sales');
    const blank = await suite.people.sales.post('/api/v1/contracts', {
      no: `${no}-X`,
      customerCode: customer,
      title: 'x',
      amount: { value: '1.00', currency: 'CNY' },
      paymentTermsType: 'credit_terms',
      department: ' ',
    });
    expect(blank.status).toBe(400);
    expect(blank.body.details[0].field).toBe('department');
  });
});
