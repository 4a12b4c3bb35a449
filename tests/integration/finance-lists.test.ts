/**
 * The lists the console's Finance and Invoice pages read (issue 10): the invoice-ready queue by customer and
 * page, late interest to settle, letters with their bodies, an invoice's ladder step by step, its disputes
 * and promises, and a page of an import's statement lines. Real PostgreSQL, Temporal, worker and SMTP.
 */
import { describe, expect, it } from 'vitest';
import { addDays } from '../../domain/dates';
import { eventually } from '../support/api-harness';
import {
  apiSuiteWithPeople,
  cny,
  createCustomer,
  daysAgo,
  driveToDelivery,
  registerContract,
  todayInShanghai,
  uniqueCode,
} from '../support/scenario';

const suite = apiSuiteWithPeople();

/** A customer with a contract whose advance milestone is ready to invoice (signed 60 days ago). */
async function readyContract(): Promise<{ customer: string; no: string }> {
  const customer = await createCustomer(suite.people.sales);
  const no = await registerContract(suite.people.sales, customer);
  await driveToDelivery(suite.people, no, daysAgo(60));
  return { customer, no };
}

/** The advance invoice (40,000.00) issued 45 days ago on 30-day terms, once its formal reminder went out. */
async function overdueInvoice(): Promise<{ customer: string; invoiceNo: string }> {
  const { customer, no } = await readyContract();
  const invoiceNo = `${no}-A`;
  const issued = await suite.people.finance.post('/api/v1/invoices', {
    contractNo: no,
    milestoneSeq: 1,
    invoiceNo,
    issueDate: daysAgo(45),
  });
  expect(issued.status, JSON.stringify(issued.body)).toBe(201);
  await eventually(
    async () => {
      const state = await suite.people.sales.get(`/api/v1/invoices/${invoiceNo}/collection`);
      return state.status === 200 && state.body.handled.formal_reminder === 1 ? true : undefined;
    },
    30_000,
    'the formal reminder',
  );
  return { customer, invoiceNo };
}

describe('the invoice-ready queue', () => {
  it("filters by customer, pages by offset, names the customer, and refuses a page size it can't give", async () => {
    const first = await readyContract();
    const second = await readyContract();
    const mine = await suite.people.finance.get(`/api/v1/invoice-ready?customer=${first.customer}`);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual([
      expect.objectContaining({
        contractNo: first.no,
        milestoneSeq: 1,
        customerCode: first.customer,
        customerName: `${first.customer} Co.`,
        amount: cny('40000.00'),
      }),
    ]);
    const all = (await suite.people.finance.get('/api/v1/invoice-ready?limit=200')).body as { contractNo: string }[];
    expect(all.map((m) => m.contractNo)).toEqual(expect.arrayContaining([first.no, second.no]));
    const pageOne = (await suite.people.finance.get('/api/v1/invoice-ready?limit=1')).body;
    const pageTwo = (await suite.people.finance.get('/api/v1/invoice-ready?limit=1&offset=1')).body;
    expect([...pageOne, ...pageTwo]).toEqual(all.slice(0, 2));

    for (const query of ['limit=0', 'limit=201', 'limit=x', 'offset=-1']) {
      const refused = await suite.people.finance.get(`/api/v1/invoice-ready?${query}`);
      expect(refused.status, query).toBe(400);
      expect(refused.body.details[0].field, query).toBe(query.split('=')[0]);
    }
  });
});

describe("an invoice's collection as the Invoice page shows it", () => {
  it('draws the ladder: steps done, passed over, and the next one, paused by a promise', async () => {
    const { invoiceNo } = await overdueInvoice();
    const state = (await suite.people.sales.get(`/api/v1/invoices/${invoiceNo}/collection`)).body;
    const stateOf = (key: string) => state.ladder.find((step: { key: string }) => step.key === key);
    // 15 days overdue on the first day: the courtesy reminders were passed over for the formal one.
    expect(stateOf('pre_due')).toMatchObject({ state: 'skipped', date: addDays(daysAgo(15), -7) });
    expect(stateOf('formal_reminder')).toMatchObject({
      state: 'done',
      lastOccurrence: 1,
      date: addDays(daysAgo(15), 10),
    });
    const next = state.ladder.find((step: { state: string }) => step.state === 'next');
    expect(next).toBeDefined();
    expect(state.ladder.filter((step: { state: string }) => step.state === 'next')).toHaveLength(1);

    const promised = await suite.people.sales.post(`/api/v1/invoices/${invoiceNo}/promises`, {
      promisedDate: addDays(todayInShanghai(), 7),
      amount: cny('40000.00'),
      contact: 'Wang Fang',
    });
    expect(promised.status, JSON.stringify(promised.body)).toBe(200);
    const paused = (await suite.people.sales.get(`/api/v1/invoices/${invoiceNo}/collection`)).body;
    expect(paused.ladder.find((step: { key: string }) => step.key === next.key).state).toBe('paused');

    const promises = await suite.people.delivery.get(`/api/v1/invoices/${invoiceNo}/promises`);
    expect(promises.status).toBe(200);
    expect(promises.body).toEqual([
      expect.objectContaining({
        promisedDate: addDays(todayInShanghai(), 7),
        amount: cny('40000.00'),
        contact: 'Wang Fang',
        status: 'open',
        recordedBy: 'sally',
      }),
    ]);
  });

  it("lists the invoice's disputes and its letters with the body the customer received", async () => {
    const { invoiceNo } = await overdueInvoice();
    expect(
      (
        await suite.people.sales.post(`/api/v1/invoices/${invoiceNo}/disputes`, {
          reason: 'price',
          note: '<b>too dear</b>',
        })
      ).status,
    ).toBe(200);
    const disputes = await suite.people.finance.get(`/api/v1/invoices/${invoiceNo}/disputes`);
    expect(disputes.body).toEqual([
      expect.objectContaining({ reason: 'price', note: '<b>too dear</b>', status: 'open', routedTo: 'sales' }),
    ]);
    expect((await suite.people.finance.get('/api/v1/invoices/NO-SUCH-INVOICE/disputes')).status).toBe(404);
    expect((await suite.people.finance.get('/api/v1/invoices/NO-SUCH-INVOICE/promises')).status).toBe(404);

    const plain = (await suite.people.finance.get(`/api/v1/letters?invoice=${invoiceNo}`)).body;
    expect(plain).toEqual([expect.objectContaining({ step: 'formal_reminder', id: expect.any(Number) })]);
    expect(plain[0].bodyHtml).toBeUndefined();
    const withBody = (await suite.people.finance.get(`/api/v1/letters?invoice=${invoiceNo}&body=true`)).body;
    expect(withBody[0].bodyHtml).toContain(invoiceNo);
    expect(withBody[0].bodyText).toContain(invoiceNo);
    expect((await suite.people.finance.get(`/api/v1/letters?invoice=${invoiceNo}&before=${plain[0].id}`)).body).toEqual(
      [],
    );
    expect((await suite.people.finance.get('/api/v1/letters?body=yes')).body.details[0].field).toBe('body');
  });
});

describe('late interest to settle', () => {
  it('lists a paid invoice whose late interest is open until finance waives it', async () => {
    const { customer, invoiceNo } = await overdueInvoice();
    const paid = await suite.people.finance.post('/api/v1/payments', {
      customerCode: customer,
      invoiceNo,
      amount: cny('40000.00'),
      reference: uniqueCode('BANK'),
      receivedOn: todayInShanghai(),
    });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    const listed = await eventually(
      async () => {
        const open = (await suite.people.executive.get(`/api/v1/late-interest?customer=${customer}`)).body;
        return open.length > 0 ? open : undefined;
      },
      30_000,
      'the interest assessment',
    );
    expect(listed).toEqual([
      expect.objectContaining({
        invoiceNo,
        customerCode: customer,
        customerName: `${customer} Co.`,
        // 15 days overdue, today's payment day included: 20.00 a day
        interest: cny('300.00'),
        paidOn: todayInShanghai(),
      }),
    ]);
    expect((await suite.people.sales.get('/api/v1/late-interest')).status).toBe(403);
    expect((await suite.people.finance.get('/api/v1/late-interest?limit=999')).status).toBe(400);
    const waived = await suite.people.finance.post(`/api/v1/invoices/${invoiceNo}/interest`, {
      outcome: 'waived',
      reason: 'goodwill',
    });
    expect(waived.status, JSON.stringify(waived.body)).toBe(200);
    expect((await suite.people.finance.get(`/api/v1/late-interest?customer=${customer}`)).body).toEqual([]);
    // Paid, interest waived: the collection has ended and says how, not as if it were running.
    const ended = await eventually(
      async () => {
        const state = await suite.people.sales.get(`/api/v1/invoices/${invoiceNo}/collection`);
        return state.status === 200 && state.body.running === false ? state.body : undefined;
      },
      30_000,
      'the ended collection',
    );
    expect(ended).toMatchObject({
      invoiceNo,
      running: false,
      ended: { outcome: 'paid', on: todayInShanghai(), lateInterest: 'waived' },
      balance: cny('0.00'),
      ladder: [],
    });
    expect(ended.handled).toBeUndefined();
  });
});

describe("an import's report", () => {
  it('gives a page of the statement lines with their total, or all of them', async () => {
    const lines = [1, 2, 3].map(
      (n) => `${daysAgo(1)},${n}00.00,Nobody We Know ${n},6200 ${n},${uniqueCode('PAY')},${uniqueCode('REF')}`,
    );
    const imported = await suite.people.finance.post('/api/v1/imports/bank-statements', {
      fileName: 'statement.csv',
      content: ['Date,Credit Amount,Payer Name,Payer Account,Remittance,Reference', ...lines].join('\n'),
    });
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    const id = imported.body.importId;
    const whole = (await suite.people.finance.get(`/api/v1/imports/${id}`)).body;
    expect(whole.report.rows).toHaveLength(3);
    const page = (await suite.people.executive.get(`/api/v1/imports/${id}?rowsOffset=1&rowsLimit=1`)).body;
    expect(page.report.rows).toEqual([whole.report.rows[1]]);
    expect(page.report).toMatchObject({ rowsTotal: 3, unmatched: 3, fileName: 'statement.csv' });
    const beyond = (await suite.people.finance.get(`/api/v1/imports/${id}?rowsOffset=5&rowsLimit=10`)).body;
    expect(beyond.report.rows).toEqual([]);
    expect((await suite.people.finance.get(`/api/v1/imports/${id}?rowsLimit=0`)).body.details[0].field).toBe(
      'rowsLimit',
    );
  });
});
