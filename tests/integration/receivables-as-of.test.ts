/**
 * The received dates the as-of reports read instead of joining payments and scanning every paid invoice
 * (migration 0023): allocations.received_on and invoices.first_received_on / last_received_on, kept through
 * payments, customer credit, reversals of an allocation and of a whole payment, the historical import and
 * rows written straight to the database; and the receivables as of any date computed from them equal the
 * plain computation over every invoice and allocation (the formula before 0023), against real PostgreSQL,
 * Temporal and the API.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../db/connect';
import { openReceivablesAsOf } from '../../read-models/reports/as-of';
import { insertInvoice } from '../support/fixtures';
import {
  apiSuiteWithPeople,
  cny,
  createCustomer,
  daysAgo,
  driveToDelivery,
  act,
  registerContract,
  uniqueCode,
} from '../support/scenario';

const suite = apiSuiteWithPeople();
const db = () => suite.harness.database.db;
const TZ = 'Asia/Shanghai';

interface Open {
  invoice_no: string;
  balance_minor: string;
}

/**
 * The receivables of some invoices open at the end of a day, computed the plain way: every invoice, its
 * allocations joined to their payments (the payment's received date and reversal), credit notes resolved
 * after the day added back.
 */
async function plainOpenAsOf(invoiceNos: string[], asOf: string): Promise<Open[]> {
  const dayEnd = sql`((${asOf}::date + 1)::timestamp at time zone ${TZ})`;
  const result = await sql<Open>`
    select i.no as invoice_no, (i.amount_minor + coalesce(credit.minor, 0) - coalesce(paid.minor, 0))::text as balance_minor
    from invoices i
    left join lateral (
      select sum(d.credit_minor) as minor from disputes d
      where d.invoice_no = i.no and d.status = 'resolved' and d.credit_minor > 0 and d.resolved_at >= ${dayEnd}
    ) credit on true
    left join lateral (
      select sum(a.amount_minor) as minor from allocations a join payments p on p.id = a.payment_id
      where a.invoice_no = i.no and p.received_on <= ${asOf}::date
        and (a.reversed_at is null or a.reversed_at >= ${dayEnd}) and (p.reversed_at is null or p.reversed_at >= ${dayEnd})
    ) paid on true
    where i.no in (${sql.join(invoiceNos)}) and i.issue_date <= ${asOf}::date
      and (i.written_off_at is null or i.written_off_at >= ${dayEnd})
      and i.amount_minor + coalesce(credit.minor, 0) - coalesce(paid.minor, 0) > 0
    order by i.no`.execute(db());
  return result.rows;
}

async function reportOpenAsOf(invoiceNos: string[], asOf: string): Promise<Open[]> {
  const result = await sql<Open>`
    select o.invoice_no, o.balance_minor::text as balance_minor from (${openReceivablesAsOf(asOf, TZ)}) o
    where o.invoice_no in (${sql.join(invoiceNos)}) order by o.invoice_no`.execute(db());
  return result.rows;
}

/** Every day from `from` days ago to today: the report's receivables equal the plain ones on each. */
async function expectSameAsPlainEveryDay(invoiceNos: string[], from: number): Promise<void> {
  for (let days = from; days >= 0; days -= 1) {
    const asOf = daysAgo(days);
    expect(await reportOpenAsOf(invoiceNos, asOf), `as of ${asOf}`).toEqual(await plainOpenAsOf(invoiceNos, asOf));
  }
}

/** Every allocation carries its payment's received date. */
async function expectReceivedOnOfPayments(invoiceNos: string[]): Promise<void> {
  const rows = await db()
    .selectFrom('allocations as a')
    .innerJoin('payments as p', 'p.id', 'a.payment_id')
    .select(['a.id', 'a.received_on', 'p.received_on as payment_received_on'])
    .where('a.invoice_no', 'in', invoiceNos)
    .execute();
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) expect(row.received_on, `allocation ${row.id}`).toBe(row.payment_received_on);
}

async function receivedRange(invoiceNo: string) {
  return db()
    .selectFrom('invoices')
    .select(['first_received_on', 'last_received_on'])
    .where('no', '=', invoiceNo)
    .executeTakeFirstOrThrow();
}

describe('received dates kept by the payment commands', () => {
  it('through a partial payment, an over-payment, customer credit, an allocation reversed and a payment reversed', async () => {
    const finance = suite.people.finance;
    const customer = await createCustomer(suite.people.sales);
    const no = await registerContract(suite.people.sales, customer);
    await driveToDelivery(suite.people, no, daysAgo(60));
    const advanceNo = `${no}-A`;
    const issued = await finance.post('/api/v1/invoices', {
      contractNo: no,
      milestoneSeq: 1,
      invoiceNo: advanceNo,
      issueDate: daysAgo(45),
    });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    await act(suite.people.delivery, no, 'deliver', { deliveredOn: daysAgo(20) });
    await act(suite.people.delivery, no, 'accept', {
      acceptedOn: daysAgo(18),
      acceptor: 'Li Wei',
      documentRef: 'UAT-1',
    });
    const finalNo = `${no}-F`;
    expect(
      (
        await finance.post('/api/v1/invoices', {
          contractNo: no,
          milestoneSeq: 2,
          invoiceNo: finalNo,
          issueDate: daysAgo(15),
        })
      ).status,
    ).toBe(201);
    const invoices = [advanceNo, finalNo];
    expect(await receivedRange(advanceNo)).toEqual({ first_received_on: null, last_received_on: null });

    // 10,000.00 of the advance (40,000.00) received 30 days ago.
    const partial = await finance.post('/api/v1/payments', {
      customerCode: customer,
      invoiceNo: advanceNo,
      amount: cny('10000.00'),
      reference: uniqueCode('BANK'),
      receivedOn: daysAgo(30),
    });
    expect(partial.status, JSON.stringify(partial.body)).toBe(201);
    expect(await receivedRange(advanceNo)).toEqual({ first_received_on: daysAgo(30), last_received_on: daysAgo(30) });

    // 115,000.00 received 10 days ago: 30,000.00 closes the advance, 60,000.00 the final invoice, 25,000.00 is credit.
    const over = await finance.post('/api/v1/payments', {
      customerCode: customer,
      amount: cny('115000.00'),
      reference: uniqueCode('BANK'),
      receivedOn: daysAgo(10),
    });
    expect(over.status, JSON.stringify(over.body)).toBe(201);
    expect(over.body.allocations.map((a: { invoiceNo: string }) => a.invoiceNo)).toEqual([advanceNo, finalNo]);
    expect(await receivedRange(advanceNo)).toEqual({ first_received_on: daysAgo(30), last_received_on: daysAgo(10) });
    expect(await receivedRange(finalNo)).toEqual({ first_received_on: daysAgo(10), last_received_on: daysAgo(10) });
    await expectReceivedOnOfPayments(invoices);
    await expectSameAsPlainEveryDay(invoices, 46);

    // The final invoice's allocation reversed today, then paid again today from the credit: still received 10 days ago.
    const reversed = await finance.post(`/api/v1/allocations/${over.body.allocations[1].id}/reverse`, {
      reason: 'applied to the wrong invoice',
    });
    expect(reversed.status, JSON.stringify(reversed.body)).toBe(200);
    await expectSameAsPlainEveryDay(invoices, 46);
    const credit = await finance.post(`/api/v1/payments/${over.body.id}/allocations`, {
      invoiceNo: finalNo,
      amount: cny('60000.00'),
    });
    expect(credit.status, JSON.stringify(credit.body)).toBe(201);
    await expectReceivedOnOfPayments(invoices);
    expect(await receivedRange(finalNo)).toEqual({ first_received_on: daysAgo(10), last_received_on: daysAgo(10) });
    await expectSameAsPlainEveryDay(invoices, 46);

    // The partial payment returned today: the advance owes 10,000.00 from today on, and was owed so on no earlier day.
    const returned = await finance.post(`/api/v1/payments/${partial.body.id}/reverse`, {
      reason: 'returned by the bank',
    });
    expect(returned.status, JSON.stringify(returned.body)).toBe(200);
    // The range only ever widens: the reversed allocation's date stays its first received date.
    expect(await receivedRange(advanceNo)).toEqual({ first_received_on: daysAgo(30), last_received_on: daysAgo(10) });
    expect(await reportOpenAsOf(invoices, daysAgo(0))).toEqual([{ invoice_no: advanceNo, balance_minor: '1000000' }]);
    expect(await reportOpenAsOf(invoices, daysAgo(20))).toEqual([{ invoice_no: advanceNo, balance_minor: '3000000' }]);
    expect(await reportOpenAsOf(invoices, daysAgo(11))).toEqual([
      { invoice_no: advanceNo, balance_minor: '3000000' },
      { invoice_no: finalNo, balance_minor: '6000000' },
    ]);
    await expectSameAsPlainEveryDay(invoices, 46);
  });
});

describe('received dates kept by the historical import', () => {
  it("gives each imported allocation its settlement's date and each invoice its first and last", async () => {
    const prefix = uniqueCode('RX');
    const customer = `${prefix}-C`;
    const contract = `${prefix}-K`;
    const inv = (n: number) => `${prefix}-I${n}`;
    const csv = (rows: string[][]) => `${rows.map((r) => r.join(',')).join('\r\n')}\r\n`;
    const response = await suite.people.finance.post('/api/v1/imports/historical', {
      customers: {
        fileName: 'customers.csv',
        content: csv([
          ['code', 'name', 'credit_limit', 'currency', 'contact_name', 'contact_email'],
          [customer, `${customer} Ltd`, '1000000', 'CNY', 'Pat Payer', `payer@${customer.toLowerCase()}.test`],
        ]),
      },
      contracts: {
        fileName: 'contracts.csv',
        content: csv([
          ['Contract No', 'Customer Code', 'Title', 'Amount', 'Currency'],
          [contract, customer, 'Imported', '300000', 'CNY'],
        ]),
      },
      invoices: {
        fileName: 'invoices.csv',
        content: csv([
          ['invoice_no', 'contract_no', 'issue_date', 'due_date', 'amount'],
          [inv(1), contract, daysAgo(150), daysAgo(120), '100000'],
          [inv(2), contract, daysAgo(75), daysAgo(45), '100000'],
          [inv(3), contract, daysAgo(50), daysAgo(20), '100000'],
        ]),
      },
      settlements: {
        fileName: 'settlements.csv',
        content: csv([
          ['invoice_no', 'settled_date', 'amount', 'reference'],
          [inv(1), daysAgo(125), '40000', ''],
          [inv(1), daysAgo(110), '60000', ''],
          [inv(2), daysAgo(30), '40000', ''],
        ]),
      },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const invoices = [inv(1), inv(2), inv(3)];
    await expectReceivedOnOfPayments(invoices);
    expect(
      await db()
        .selectFrom('allocations')
        .select(['invoice_no', 'received_on', 'amount_minor'])
        .where('invoice_no', 'in', invoices)
        .orderBy('invoice_no')
        .orderBy('received_on')
        .execute(),
    ).toEqual([
      { invoice_no: inv(1), received_on: daysAgo(125), amount_minor: 4_000_000 },
      { invoice_no: inv(1), received_on: daysAgo(110), amount_minor: 6_000_000 },
      { invoice_no: inv(2), received_on: daysAgo(30), amount_minor: 4_000_000 },
    ]);
    expect(await receivedRange(inv(1))).toEqual({ first_received_on: daysAgo(125), last_received_on: daysAgo(110) });
    expect(await receivedRange(inv(2))).toEqual({ first_received_on: daysAgo(30), last_received_on: daysAgo(30) });
    expect(await receivedRange(inv(3))).toEqual({ first_received_on: null, last_received_on: null });
    await expectSameAsPlainEveryDay(invoices, 151);
  });
});

describe('received dates of rows written straight to the database', () => {
  it('takes the payment received date when an allocation is inserted without one', async () => {
    const invoiceNo = uniqueCode('RAW');
    await insertInvoice(db(), {
      customerCode: uniqueCode('RAWC'),
      contractNo: uniqueCode('RAWK'),
      invoiceNo,
      amountMinor: 500_000,
      issueDate: daysAgo(40),
      dueDate: daysAgo(10),
    });
    const invoice = await db()
      .selectFrom('invoices')
      .select('customer_code')
      .where('no', '=', invoiceNo)
      .executeTakeFirstOrThrow();
    const pay = async (amountMinor: number, receivedOn: string, reversedAt: Date | null) => {
      const payment = await db()
        .insertInto('payments')
        .values({
          customer_code: invoice.customer_code,
          reference: uniqueCode('R'),
          amount_minor: amountMinor,
          currency: 'CNY',
          received_on: receivedOn,
          unallocated_minor: 0,
          recorded_by: 'test',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db()
        .insertInto('allocations')
        .values({ payment_id: payment.id, invoice_no: invoiceNo, amount_minor: amountMinor, reversed_at: reversedAt })
        .execute();
      if (!reversedAt) await setBalanceLess(db(), invoiceNo, amountMinor);
    };
    await pay(100_000, daysAgo(20), null);
    // Received 25 days ago, reversed 5 days ago: counted from 25 to 6 days ago only.
    await pay(200_000, daysAgo(25), new Date(Date.now() - 5 * 86_400_000));
    await pay(50_000, daysAgo(3), null);
    await expectReceivedOnOfPayments([invoiceNo]);
    expect(await receivedRange(invoiceNo)).toEqual({ first_received_on: daysAgo(25), last_received_on: daysAgo(3) });
    await expectSameAsPlainEveryDay([invoiceNo], 41);
  });
});

/** What the payment commands do to the balance, for rows written directly. */
async function setBalanceLess(database: Db, invoiceNo: string, amountMinor: number): Promise<void> {
  await database
    .updateTable('invoices')
    .set((eb) => ({ balance_minor: eb('balance_minor', '-', amountMinor) }))
    .where('no', '=', invoiceNo)
    .execute();
}

describe('aging by contract a page at a time', () => {
  it('gives the lines ranked offset+1 … offset+limit, the whole totals and how many lines there are', async () => {
    const finance = suite.people.finance;
    // Three contracts with a receivable each, whatever else the database holds.
    for (const amountMinor of [300_000, 200_000, 100_000]) {
      await insertInvoice(db(), {
        customerCode: uniqueCode('PG'),
        contractNo: uniqueCode('PGK'),
        invoiceNo: uniqueCode('PGI'),
        amountMinor,
        issueDate: daysAgo(10),
        dueDate: daysAgo(1),
      });
    }
    const all = await finance.get('/api/v1/reports/aging?groupBy=contract');
    expect(all.status).toBe(200);
    expect(all.body.rows.length).toBeGreaterThanOrEqual(3);
    expect(all.body.page).toBeUndefined();
    const page = await finance.get('/api/v1/reports/aging?groupBy=contract&limit=2&offset=1');
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    expect(page.body.rows).toEqual(all.body.rows.slice(1, 3));
    expect(page.body.totals).toEqual(all.body.totals);
    expect(page.body.page).toEqual({ offset: 1, limit: 2, lines: all.body.rows.length });
    const past = await finance.get(`/api/v1/reports/aging?groupBy=contract&limit=5&offset=${all.body.rows.length}`);
    expect(past.body.rows).toEqual([]);
    expect(past.body.page).toEqual({ offset: all.body.rows.length, limit: 5, lines: all.body.rows.length });
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=-1', 'offset'],
    ]) {
      const refused = await finance.get(`/api/v1/reports/aging?groupBy=contract&${query}`);
      expect(refused.status, query).toBe(400);
      expect(refused.body.details[0].field, query).toBe(field);
    }
  });
});
