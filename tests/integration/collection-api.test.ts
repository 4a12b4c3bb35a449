/** The collection commands through the API, against real PostgreSQL, the Temporal dev server and SMTP. */
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/api-harness';
import {
  apiSuiteWithPeople,
  cny,
  createCustomer,
  daysAgo,
  driveToDelivery,
  registerContract,
  todayInShanghai,
} from '../support/scenario';
import { addDays } from '../../domain/dates';

const suite = apiSuiteWithPeople();

/** An advance invoice of 40,000.00 issued 45 days ago on 30-day terms: 15 days overdue. */
async function overdueInvoice(): Promise<string> {
  const customer = await createCustomer(suite.people.sales);
  const no = await registerContract(suite.people.sales, customer);
  await driveToDelivery(suite.people, no, daysAgo(60));
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
      return state.status === 200 && state.body.handled.formal_reminder === 1 ? state.body : undefined;
    },
    30_000,
    'the formal reminder',
  );
  return invoiceNo;
}

describe('collection commands', () => {
  it('pauses for a dispute, refuses a second one, and applies a credit note on resolution', async () => {
    const invoiceNo = await overdueInvoice();
    const badReason = await suite.people.sales.post(`/api/v1/invoices/${invoiceNo}/disputes`, {
      reason: 'bad_weather',
    });
    expect(badReason.status).toBe(400);
    expect(badReason.body.details[0].field).toBe('reason');

    const opened = await suite.people.sales.post(`/api/v1/invoices/${invoiceNo}/disputes`, {
      reason: 'invoice_error',
      note: 'wrong tax id',
    });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    expect(opened.body.pausedBy).toBe('dispute');
    const again = await suite.people.sales.post(`/api/v1/invoices/${invoiceNo}/disputes`, { reason: 'price' });
    expect(again.status).toBe(409);
    expect(again.body.details.map((d: { code: string }) => d.code)).toEqual(['dispute_open']);
    const tasks = await suite.harness.database.db
      .selectFrom('tasks')
      .select(['kind', 'owner_role'])
      .where('invoice_no', '=', invoiceNo)
      .where('kind', '=', 'dispute')
      .execute();
    expect(tasks).toEqual([{ kind: 'dispute', owner_role: 'finance' }]);

    const tooMuch = await suite.people.finance.post(`/api/v1/invoices/${invoiceNo}/disputes/resolve`, {
      outcome: 'accepted',
      credit: cny('40000.01'),
      note: 'x',
    });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.details[0].code).toBe('invalid_credit');
    const resolved = await suite.people.finance.post(`/api/v1/invoices/${invoiceNo}/disputes/resolve`, {
      outcome: 'accepted',
      credit: cny('1000.00'),
      note: 'reissued with the right tax id',
    });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body.balance).toEqual(cny('39000.00'));
    expect(resolved.body.pausedBy).toBeUndefined();
    const invoice = (await suite.people.finance.get(`/api/v1/invoices/${invoiceNo}`)).body;
    expect(invoice.amount).toEqual(cny('39000.00'));
  });

  it('records a promise to pay and refuses one dated in the past', async () => {
    const invoiceNo = await overdueInvoice();
    const past = await suite.people.sales.post(`/api/v1/invoices/${invoiceNo}/promises`, {
      promisedDate: daysAgo(1),
      amount: cny('1000.00'),
      contact: 'Wang Fang',
    });
    expect(past.status).toBe(409);
    expect(past.body.details).toEqual([expect.objectContaining({ code: 'date_in_past', field: 'promisedDate' })]);
    const wrongCurrency = await suite.people.sales.post(`/api/v1/invoices/${invoiceNo}/promises`, {
      promisedDate: todayInShanghai(),
      amount: { value: '1.00', currency: 'USD' },
      contact: 'Wang Fang',
    });
    expect(wrongCurrency.status).toBe(400);
    expect(wrongCurrency.body.details[0].field).toBe('amount.currency');
    const promised = await suite.people.sales.post(`/api/v1/invoices/${invoiceNo}/promises`, {
      promisedDate: addDays(todayInShanghai(), 7),
      amount: cny('40000.00'),
      contact: 'Wang Fang',
    });
    expect(promised.status, JSON.stringify(promised.body)).toBe(200);
    expect(promised.body.pausedBy).toBe('promise');
    const stored = await suite.harness.database.db
      .selectFrom('promises')
      .select(['status', 'amount_minor', 'contact'])
      .where('invoice_no', '=', invoiceNo)
      .execute();
    expect(stored).toEqual([{ status: 'open', amount_minor: 4_000_000, contact: 'Wang Fang' }]);
  });

  it('writes off only through finance then a different executive, and says when nothing waits for approval', async () => {
    const invoiceNo = await overdueInvoice();
    expect(
      (
        await suite.people.finance.post(`/api/v1/invoices/${invoiceNo}/approvals`, {
          step: 'legal_notice_90',
          approved: true,
          reason: 'x',
        })
      ).status,
    ).toBe(409);
    expect((await suite.people.sales.post(`/api/v1/invoices/${invoiceNo}/write-off`, { reason: 'gone' })).status).toBe(
      403,
    );
    expect(
      (await suite.people.finance.post(`/api/v1/invoices/${invoiceNo}/write-off`, { reason: 'customer insolvent' }))
        .status,
    ).toBe(200);
    const decided = await suite.people.executive.post(`/api/v1/invoices/${invoiceNo}/write-off/decision`, {
      approved: true,
      reason: 'credit committee 2026-11',
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    const invoice = await eventually(
      async () => {
        const body = (await suite.people.finance.get(`/api/v1/invoices/${invoiceNo}`)).body;
        return body.status === 'written_off' ? body : undefined;
      },
      10_000,
      'the write-off',
    );
    expect(invoice.balance).toEqual(cny('40000.00'));
    // The collection has ended: it says so, and how, instead of answering as if it were still running.
    const ended = await suite.people.sales.get(`/api/v1/invoices/${invoiceNo}/collection`);
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    expect(ended.body).toMatchObject({
      invoiceNo,
      running: false,
      ended: { outcome: 'written_off', on: todayInShanghai(), reason: 'customer insolvent' },
      balance: cny('40000.00'),
      ladder: [],
    });
    expect(ended.body.ended.at).toEqual(expect.any(String));
    expect(ended.body.nextActionAt).toBeUndefined();
  });

  it('moves a running invoice to another policy version when finance asks, and records it', async () => {
    const invoiceNo = await overdueInvoice();
    const { version: _v, ...definition } = (await suite.people.finance.get('/api/v1/policies/default')).body;
    const saved = await suite.people.finance.post('/api/v1/policies', {
      ...definition,
      id: 'strict',
      name: 'Strict ladder',
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    expect(
      (await suite.people.sales.post(`/api/v1/invoices/${invoiceNo}/policy`, { policyId: 'strict', reason: 'x' }))
        .status,
    ).toBe(403);
    expect(
      (await suite.people.finance.post(`/api/v1/invoices/${invoiceNo}/policy`, { policyId: 'nope', reason: 'x' })).body
        .details[0].field,
    ).toBe('policyId');
    const same = await suite.people.finance.post(`/api/v1/invoices/${invoiceNo}/policy`, {
      policyId: 'default',
      reason: 'x',
    });
    expect(same.status).toBe(409);
    expect(same.body.details[0].code).toBe('same_policy');
    const moved = await suite.people.finance.post(`/api/v1/invoices/${invoiceNo}/policy`, {
      policyId: 'strict',
      reason: 'strategic account, tighter follow-up',
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.policy).toEqual({ id: 'strict', version: 1 });
    expect(moved.body.handled.formal_reminder).toBe(1);
    const row = await suite.harness.database.db
      .selectFrom('invoices')
      .select(['policy_id', 'policy_version'])
      .where('no', '=', invoiceNo)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ policy_id: 'strict', policy_version: 1 });
    const audit = await suite.harness.database.db
      .selectFrom('timeline')
      .select(['action', 'actor_name', 'reason'])
      .where('invoice_no', '=', invoiceNo)
      .where('action', '=', 'policy_changed')
      .execute();
    expect(audit).toEqual([
      { action: 'policy_changed', actor_name: 'fiona', reason: 'strategic account, tighter follow-up' },
    ]);
    // the formal reminder already sent is not sent again under the new policy
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await suite.people.finance.get(`/api/v1/letters?invoice=${invoiceNo}`)).body).toHaveLength(1);
  });
});
