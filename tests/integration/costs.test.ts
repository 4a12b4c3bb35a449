/**
 * The four calculations (概算/预算/核算/决算) through the API against a real PostgreSQL, the real Temporal
 * dev server and the real SMTP catcher: costs recorded and reversed during delivery, every refusal, the
 * final account frozen by the contract's close with figures computed by hand, and the report across
 * contracts (filters, paging, CSV).
 */
import { describe, expect, it } from 'vitest';
import type { Refused } from '../../domain/refusal';
import { freezeFinalAccount, recordCost } from '../../services/costs';
import { eventually } from '../support/api-harness';
import { insertInvoice } from '../support/fixtures';
import {
  apiSuiteWithPeople,
  act,
  cny,
  createCustomer,
  daysAgo,
  driveToDelivery,
  registerContract,
  todayInShanghai,
  uniqueCode,
} from '../support/scenario';

const suite = apiSuiteWithPeople();

const cost = (reference: string, category: string, value: string, entryDate = daysAgo(3)) => ({
  entryDate,
  category,
  amount: cny(value),
  reference,
});

/** Decimal string of yuan to fen, to add figures by hand without floats. */
const fen = (value: string) => Math.round(Number(value) * 100);
const yuan = (minor: number) => cny((minor / 100).toFixed(2));

describe('actual costs of a contract', () => {
  it('records, repeats, reverses and refuses, with estimate, budget, actuals and variances as they accrue', async () => {
    const { sales, delivery, finance } = suite.people;
    const customer = await createCustomer(sales);
    const no = await registerContract(sales, customer);

    // Before the budget is approved there is nothing to book against.
    const early = await delivery.post(`/api/v1/contracts/${no}/costs`, cost('TS-0', 'labour', '100.00'));
    expect(early.status).toBe(409);
    expect(early.body.details[0].code).toBe('budget_not_approved');
    expect(early.body.details[0].message).toContain('until the contract closes');

    await driveToDelivery(suite.people, no, daysAgo(30));
    const empty = await sales.get(`/api/v1/contracts/${no}/costs`);
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({
      stage: 'Delivery',
      recording: { open: true },
      estimate: cny('60000.00'),
      budget: cny('65000.00'),
      actuals: cny('0.00'),
      variances: { actualVsBudget: cny('-65000.00'), actualVsEstimate: cny('-60000.00'), budgetUsed: 0 },
      entries: [],
      finalAccount: null,
    });

    expect((await sales.post(`/api/v1/contracts/${no}/costs`, cost('TS-1', 'labour', '1.00'))).status).toBe(403);

    const labour = await delivery.post(`/api/v1/contracts/${no}/costs`, {
      ...cost('TS-1', 'labour', '12000.00'),
      note: 'two engineers, week 1',
    });
    expect(labour.status, JSON.stringify(labour.body)).toBe(201);
    expect(labour.body.entry).toMatchObject({
      category: 'labour',
      amount: cny('12000.00'),
      reference: 'TS-1',
      recordedBy: 'dave',
      note: 'two engineers, week 1',
      reversed: null,
    });
    // The same entry posted again (a retried request, a double click) is the earlier one.
    const repeated = await delivery.post(`/api/v1/contracts/${no}/costs`, cost('TS-1', 'labour', '12000.00'));
    expect(repeated.status).toBe(200);
    expect(repeated.body.entry.id).toBe(labour.body.entry.id);
    expect(repeated.body.entries).toHaveLength(1);
    const taken = await finance.post(`/api/v1/contracts/${no}/costs`, cost('TS-1', 'labour', '13000.00'));
    expect(taken.status).toBe(409);
    expect(taken.body.details[0]).toMatchObject({ code: 'reference_taken', field: 'reference' });

    const bad = async (body: unknown) => (await finance.post(`/api/v1/contracts/${no}/costs`, body)).body;
    expect(
      (await bad({ ...cost('X-1', 'labour', '1.00'), amount: { value: '1.00', currency: 'USD' } })).details[0],
    ).toMatchObject({ field: 'amount.currency' });
    expect((await bad(cost('X-2', 'labour', '0.00'))).details[0].field).toBe('amount.value');
    expect((await bad(cost('X-3', 'lunch', '1.00'))).details[0].field).toBe('category');
    expect((await bad(cost('X-4', 'labour', '1.00', '2999-01-01'))).details[0].field).toBe('entryDate');
    expect((await bad(cost(' ', 'labour', '1.00'))).details[0].field).toBe('reference');
    expect((await finance.post(`/api/v1/contracts/NOPE-1/costs`, cost('X-5', 'labour', '1.00'))).status).toBe(404);

    const materials = await finance.post(`/api/v1/contracts/${no}/costs`, cost('PO-7', 'materials', '30000.50'));
    expect(materials.status).toBe(201);
    expect(materials.body).toMatchObject({
      actuals: cny('42000.50'),
      variances: { actualVsBudget: cny('-22999.50'), actualVsEstimate: cny('-17999.50') },
    });

    const reversePath = `/api/v1/contracts/${no}/costs/${materials.body.entry.id}/reverse`;
    expect((await delivery.post(reversePath, { reason: ' ' })).status).toBe(400);
    expect((await sales.post(reversePath, { reason: 'x' })).status).toBe(403);
    const reversed = await delivery.post(reversePath, { reason: 'booked on the wrong contract' });
    expect(reversed.status, JSON.stringify(reversed.body)).toBe(200);
    expect(reversed.body.entry.reversed).toMatchObject({ by: 'dave', reason: 'booked on the wrong contract' });
    expect(reversed.body.actuals).toEqual(cny('12000.00'));
    const twice = await finance.post(reversePath, { reason: 'again' });
    expect(twice.status).toBe(409);
    expect(twice.body.details[0].code).toBe('already_reversed');
    // The reversed reference is not quietly taken as a repeat: a corrected cost needs a new reference.
    const again = await delivery.post(`/api/v1/contracts/${no}/costs`, cost('PO-7', 'materials', '30000.50'));
    expect(again.status).toBe(409);
    expect(again.body.details[0]).toMatchObject({ code: 'reference_reversed', field: 'reference' });
    expect((await finance.post(`/api/v1/contracts/${no}/costs/999999/reverse`, { reason: 'x' })).status).toBe(404);

    const list = (await sales.get(`/api/v1/contracts/${no}/costs`)).body;
    expect(
      list.entries.map((e: { reference: string; reversed: unknown }) => [e.reference, e.reversed !== null]),
    ).toEqual([
      ['TS-1', false],
      ['PO-7', true],
    ]);
    expect(list.byCategory).toEqual([{ category: 'labour', amount: cny('12000.00') }]);
    expect(list.variances.budgetUsed).toBeCloseTo(12_000 / 65_000, 10);

    const timeline = (await sales.get(`/api/v1/contracts/${no}`)).body.timeline.map(
      (t: { action: string }) => t.action,
    );
    expect(timeline.filter((a: string) => a.startsWith('cost_'))).toEqual([
      'cost_recorded',
      'cost_recorded',
      'cost_reversed',
    ]);
  });
});

describe('the final account', () => {
  it('is computed and frozen when the contract closes, with the figures worked out by hand', async () => {
    const { sales, delivery, finance, executive } = suite.people;
    const customer = await createCustomer(sales);
    const no = await registerContract(sales, customer, { department: 'East' });
    // Estimate 60,000.00, budget 65,000.00; the advance (40%, 40,000.00) is invoiceable from signing.
    await driveToDelivery(suite.people, no, daysAgo(60));

    const book = async (client: typeof delivery, body: unknown) => {
      const response = await client.post(`/api/v1/contracts/${no}/costs`, body);
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      return response.body.entry.id as number;
    };
    await book(delivery, cost('TS-1', 'labour', '30000.00', daysAgo(50)));
    await book(finance, cost('SUB-1', 'subcontract', '25000.00', daysAgo(40)));
    const travel = await book(delivery, cost('TRV-1', 'travel', '1234.56', daysAgo(35)));
    await book(finance, cost('PO-1', 'materials', '5000.00', daysAgo(20)));
    expect(
      (await finance.post(`/api/v1/contracts/${no}/costs/${travel}/reverse`, { reason: 'personal trip' })).status,
    ).toBe(200);
    // Costs: 30,000.00 + 25,000.00 + 5,000.00 = 60,000.00 (the travel entry reversed).

    const advanceNo = `${no}-A`;
    const advance = await finance.post('/api/v1/invoices', {
      contractNo: no,
      milestoneSeq: 1,
      invoiceNo: advanceNo,
      issueDate: daysAgo(45),
    });
    expect(advance.status, JSON.stringify(advance.body)).toBe(201);
    // Paid in full today, 15 days after its due date: late interest is assessed, and finance collects it.
    const paid = await finance.post('/api/v1/payments', {
      customerCode: customer,
      invoiceNo: advanceNo,
      amount: cny('40000.00'),
      reference: `${no}-BANK-1`,
      receivedOn: todayInShanghai(),
    });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    const interest = await eventually(
      async () => {
        const invoice = (await finance.get(`/api/v1/invoices/${advanceNo}`)).body;
        return invoice.lateInterest?.status === 'open' ? invoice.lateInterest.amount : undefined;
      },
      30_000,
      'the interest assessment',
    );
    const interestMinor = fen(interest.value);
    expect(interestMinor).toBeGreaterThan(0);
    const collected = await finance.post(`/api/v1/invoices/${advanceNo}/interest`, {
      outcome: 'collected',
      reason: 'receipt R-9 for the late interest',
    });
    expect(collected.status, JSON.stringify(collected.body)).toBe(200);

    await act(delivery, no, 'deliver', { deliveredOn: daysAgo(5) });
    await act(delivery, no, 'accept', { acceptedOn: daysAgo(2), acceptor: 'Li Wei', documentRef: 'UAT-1' });
    const finalNo = `${no}-F`;
    const final = await finance.post('/api/v1/invoices', {
      contractNo: no,
      milestoneSeq: 2,
      invoiceNo: finalNo,
      issueDate: daysAgo(1),
    });
    expect(final.status, JSON.stringify(final.body)).toBe(201);
    // 50,000.00 of the 60,000.00 comes in; the other 10,000.00 is written off.
    const partial = await finance.post('/api/v1/payments', {
      customerCode: customer,
      invoiceNo: finalNo,
      amount: cny('50000.00'),
      reference: `${no}-BANK-2`,
      receivedOn: todayInShanghai(),
    });
    expect(partial.status, JSON.stringify(partial.body)).toBe(201);
    const requested = await finance.post(`/api/v1/invoices/${finalNo}/write-off`, { reason: 'customer insolvent' });
    expect(requested.status, JSON.stringify(requested.body)).toBe(200);
    const approved = await executive.post(`/api/v1/invoices/${finalNo}/write-off/decision`, {
      approved: true,
      reason: 'liquidator confirms nothing more will come',
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);

    const closed = await eventually(
      async () => {
        const contract = await sales.get(`/api/v1/contracts/${no}`);
        return contract.body.stage === 'Closed' ? contract.body : undefined;
      },
      60_000,
      'the contract to close',
    );

    // By hand: invoiced 40,000 + 60,000 = 100,000.00; collected 40,000 + 50,000 = 90,000.00; written off
    // 10,000.00; costs 60,000.00; margin = 90,000.00 + interest − 60,000.00. Estimated margin = 100,000 −
    // 60,000 = 40,000.00, budgeted margin = 100,000 − 65,000 = 35,000.00.
    const marginMinor = fen('30000.00') + interestMinor;
    const expected = {
      contractNo: no,
      customerCode: customer,
      department: 'East',
      contractAmount: cny('100000.00'),
      estimate: cny('60000.00'),
      budget: cny('65000.00'),
      invoiced: cny('100000.00'),
      credited: cny('0.00'),
      collected: cny('90000.00'),
      writtenOff: cny('10000.00'),
      interestCollected: yuan(interestMinor),
      costs: cny('60000.00'),
      costEntries: 3,
      margin: yuan(marginMinor),
      estimatedMargin: cny('40000.00'),
      budgetedMargin: cny('35000.00'),
      marginVsEstimate: yuan(marginMinor - fen('40000.00')),
      marginVsBudget: yuan(marginMinor - fen('35000.00')),
      costVsEstimate: cny('0.00'),
      costVsBudget: cny('-5000.00'),
    };
    const costs = (await sales.get(`/api/v1/contracts/${no}/costs`)).body;
    expect(costs.recording.open).toBe(false);
    expect(costs.finalAccount).toMatchObject(expected);

    const actions = closed.timeline.map((t: { action: string }) => t.action);
    expect(actions.slice(-2)).toEqual(['final_account', 'close']);
    const entry = closed.timeline[closed.timeline.length - 2];
    expect(entry.details).toMatchObject({
      currency: 'CNY',
      invoicedMinor: 10_000_000,
      collectedMinor: 9_000_000,
      writtenOffMinor: 1_000_000,
      interestCollectedMinor: interestMinor,
      costsMinor: 6_000_000,
      marginMinor,
    });

    // Frozen: nothing changes the costs of a closed contract.
    const late = await delivery.post(`/api/v1/contracts/${no}/costs`, cost('TS-9', 'labour', '1.00'));
    expect(late.status).toBe(409);
    expect(late.body.details[0].code).toBe('final_account_frozen');
    const costId = costs.entries[0].id;
    const lateReversal = await finance.post(`/api/v1/contracts/${no}/costs/${costId}/reverse`, { reason: 'x' });
    expect(lateReversal.status).toBe(409);
    expect(lateReversal.body.details[0].code).toBe('final_account_frozen');

    // The report across contracts has it, for this customer and for this department.
    const report = await finance.get(`/api/v1/reports/final-accounts?customer=${customer}`);
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    expect(report.body.accounts).toEqual([expect.objectContaining({ ...expected, customerName: `${customer} Co.` })]);
    expect(report.body.totals).toEqual([
      expect.objectContaining({ currency: 'CNY', contracts: 1, costs: cny('60000.00'), margin: yuan(marginMinor) }),
    ]);
    const byDepartment = await finance.get('/api/v1/reports/final-accounts?department=East');
    expect(byDepartment.body.accounts.map((a: { contractNo: string }) => a.contractNo)).toContain(no);
  });
});

describe('a cost and the close at the same moment', () => {
  it('is either in the final account or refused, never lost; freezing again changes nothing', async () => {
    const db = suite.harness.database.db;
    const customer = uniqueCode('RACE');
    const no = `${customer}-K`;
    await insertInvoice(db, {
      customerCode: customer,
      contractNo: no,
      invoiceNo: `${no}-I`,
      amountMinor: 500_000,
      issueDate: '2026-01-05',
      dueDate: '2026-02-04',
    });
    const actor = { name: 'dave', role: 'delivery' } as const;
    const base = { contractNo: no, entryDate: '2026-01-10', category: 'labour' as const, currency: 'CNY' };
    await recordCost(db, { ...base, amountMinor: 100_000, reference: 'BEFORE' }, actor);
    const key = `contract/${no}/race/final-account`;
    let during: Promise<string | undefined> | undefined;
    // The close's transaction has written the stage and not yet committed when the cost comes in.
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('contracts').set({ stage: 'Closed' }).where('no', '=', no).execute();
      during = recordCost(db, { ...base, amountMinor: 7, reference: 'DURING' }, actor).then(
        () => 'recorded',
        (error: Refused) => error.code,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      await freezeFinalAccount(trx, no, new Date('2026-03-01T10:00:00+08:00'), key);
    });
    expect(await during).toBe('final_account_frozen');
    const frozen = await db
      .selectFrom('final_accounts')
      .selectAll()
      .where('contract_no', '=', no)
      .executeTakeFirstOrThrow();
    expect(frozen).toMatchObject({ costs_minor: 100_000, cost_entries: 1, collected_minor: 0, margin_minor: -100_000 });
    await db.transaction().execute((trx) => freezeFinalAccount(trx, no, new Date(), key));
    expect(
      await db.selectFrom('final_accounts').selectAll().where('contract_no', '=', no).executeTakeFirstOrThrow(),
    ).toEqual(frozen);
    const entries = await db.selectFrom('timeline').select('action').where('event_key', '=', key).execute();
    expect(entries).toEqual([{ action: 'final_account' }]);
  });
});

describe('the final accounts report', () => {
  it('filters by period of close, customer and department, pages newest first, and downloads as CSV', async () => {
    const db = suite.harness.database.db;
    const customer = uniqueCode('FA');
    const closes = ['2025-01-10T10:00:00+08:00', '2025-02-10T10:00:00+08:00', '2025-03-10T10:00:00+08:00'];
    const nos: string[] = [];
    for (const [index, closedAt] of closes.entries()) {
      const no = `${customer}-K${index + 1}`;
      nos.push(no);
      await insertInvoice(db, {
        customerCode: customer,
        contractNo: no,
        invoiceNo: `${no}-I`,
        amountMinor: 1_000_000,
        issueDate: '2025-01-01',
        dueDate: '2025-01-31',
      });
      await db
        .updateTable('contracts')
        .set({ stage: 'Closed', department: index === 0 ? 'West' : 'North' })
        .where('no', '=', no)
        .execute();
      await db
        .insertInto('final_accounts')
        .values({
          contract_no: no,
          customer_code: customer,
          department: index === 0 ? 'West' : 'North',
          currency: 'CNY',
          closed_at: new Date(closedAt),
          contract_amount_minor: 1_000_000,
          estimate_minor: 600_000,
          budget_minor: 700_000,
          invoiced_minor: 1_000_000,
          credited_minor: 0,
          collected_minor: 1_000_000 - index * 100_000,
          written_off_minor: index * 100_000,
          interest_collected_minor: 0,
          costs_minor: 650_000,
          cost_entries: 2,
          margin_minor: 350_000 - index * 100_000,
        })
        .execute();
    }
    const { finance, sales } = suite.people;
    const path = `/api/v1/reports/final-accounts?customer=${customer}&from=2025-01-01&to=2025-12-31`;
    const first = await finance.get(`${path}&limit=2`);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.accounts.map((a: { contractNo: string }) => a.contractNo)).toEqual([nos[2], nos[1]]);
    expect(first.body.accounts[0]).toMatchObject({
      margin: cny('1500.00'),
      marginVsEstimate: cny('-2500.00'),
      marginVsBudget: cny('-1500.00'),
      writtenOff: cny('2000.00'),
    });
    expect(first.body.totals).toEqual([
      expect.objectContaining({ contracts: 3, collected: cny('27000.00'), margin: cny('7500.00') }),
    ]);
    expect(first.body.next).toEqual(expect.any(String));
    const second = await finance.get(`${path}&limit=2&cursor=${first.body.next}`);
    expect(second.body.accounts.map((a: { contractNo: string }) => a.contractNo)).toEqual([nos[0]]);
    expect(second.body.next).toBeNull();

    const february = await finance.get(
      `/api/v1/reports/final-accounts?customer=${customer}&from=2025-02-01&to=2025-02-28`,
    );
    expect(february.body.accounts.map((a: { contractNo: string }) => a.contractNo)).toEqual([nos[1]]);
    const west = await finance.get(`${path}&department=West`);
    expect(west.body.accounts.map((a: { contractNo: string }) => a.contractNo)).toEqual([nos[0]]);

    expect((await finance.get(`${path}&limit=0`)).body.details[0].field).toBe('limit');
    expect((await finance.get(`${path}&cursor=nonsense`)).body.details[0].field).toBe('cursor');
    expect((await finance.get(`${path}&from=2025-13-01`)).status).toBe(400);
    expect((await sales.get(path)).status).toBe(403);

    const csv = await fetch(`${finance.baseUrl}${path}&limit=1&format=csv`, {
      headers: { authorization: `Bearer ${finance.token}` },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toBe(
      'attachment; filename="final-accounts-2025-01-01-2025-12-31.csv"',
    );
    const text = Buffer.from(await csv.arrayBuffer())
      .subarray(3)
      .toString('utf8');
    const [accounts, totals] = text.trimEnd().split('\r\n\r\n');
    const lines = accounts.split('\r\n');
    // The title, the header, then every contract of the selection (a download is not paged).
    expect(lines).toHaveLength(5);
    expect(lines[1]).toContain('Margin vs budget 毛利较预算');
    expect(lines[2]).toContain(`${nos[2]},Warehouse system,${customer},${customer} Ltd,North,`);
    expect(lines[2]).toContain(
      ',CNY,10000.00,6000.00,7000.00,10000.00,0.00,8000.00,2000.00,0.00,6500.00,1500.00,-2500.00,-1500.00',
    );
    expect(totals.split('\r\n')[2]).toBe('CNY,3,30000.00,30000.00,27000.00,3000.00,0.00,19500.00,7500.00');
  });
});
