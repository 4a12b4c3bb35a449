/**
 * Credit control through the API against a real PostgreSQL (and the real worker for approvals):
 * automatic holds from the oldest invoice past its policy threshold and from exposure over the limit,
 * lifted when cleared; manual holds; the executive release; grade and limit overrides with expiry;
 * grade recompute; term-extension requests and early warnings.
 */
import { describe, expect, it } from 'vitest';
import { createInvoice } from '../../activities/invoices';
import { performStep } from '../../activities/collection-steps';
import { createTransport } from '../../activities/mailer';
import { assessCredit } from '../../domain/credit';
import { addDays } from '../../domain/dates';
import { DEFAULT_POLICY } from '../../domain/policy';
import { eventually } from '../support/api-harness';
import {
  LOW_RISK,
  act,
  apiSuiteWithPeople,
  cny,
  createCustomer,
  daysAgo,
  registerContract,
  todayInShanghai,
  uniqueCode,
} from '../support/scenario';
import { type Stage } from '../../domain/stages';

const suite = apiSuiteWithPeople();
const db = () => suite.harness.database.db;

/** A contract of the customer at a stage, straight in the database. */
async function contract(
  customerCode: string,
  amountMinor: number,
  stage: Stage = 'Collection',
  createdAt?: string,
): Promise<string> {
  const no = uniqueCode('K');
  await db()
    .insertInto('contracts')
    .values({
      no,
      customer_code: customerCode,
      title: 'Supply',
      amount_minor: amountMinor,
      currency: 'CNY',
      payment_terms_type: 'credit_terms',
      stage,
      terms: '{}',
      details: '{}',
      owners: null,
      created_by: 'sally',
      ...(createdAt ? { created_at: `${createdAt}T04:00:00Z` } : {}),
    })
    .execute();
  return no;
}

let seq = 0;
/** An issued invoice (default policy), optionally already paid on a date. */
async function invoice(
  contractNo: string,
  customerCode: string,
  f: { dueDate: string; amountMinor: number; paidOn?: string },
): Promise<string> {
  seq += 1;
  const no = uniqueCode('INV');
  await db()
    .insertInto('invoices')
    .values({
      no,
      contract_no: contractNo,
      milestone_seq: seq,
      customer_code: customerCode,
      currency: 'CNY',
      amount_minor: f.amountMinor,
      tax_rate_percent: null,
      tax_minor: 0,
      balance_minor: f.paidOn ? 0 : f.amountMinor,
      issue_date: addDays(f.dueDate, -30),
      due_date: f.dueDate,
      status: f.paidOn ? 'paid' : 'open',
      issued_by: 'fiona',
      paid_on: f.paidOn ?? null,
      policy_id: 'default',
      policy_version: 1,
    })
    .execute();
  return no;
}

const evaluate = (code: string) => suite.people.finance.post(`/api/v1/customers/${code}/credit/evaluate`);
const holdEvents = (code: string) =>
  db()
    .selectFrom('timeline')
    .select(['action', 'reason', 'details', 'actor_name', 'invoice_no'])
    .where('customer_code', '=', code)
    .where('action', 'in', ['credit_hold_set', 'credit_hold_lifted'])
    .orderBy('id')
    .execute();

async function pay(code: string, invoiceNo: string, amount: string) {
  const response = await suite.people.finance.post('/api/v1/payments', {
    customerCode: code,
    invoiceNo,
    amount: cny(amount),
    reference: uniqueCode('BANK'),
    receivedOn: todayInShanghai(),
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
}

describe('automatic credit hold', () => {
  it('holds when the oldest open invoice passes the policy threshold, moves to the next oldest when it is paid, lifts when cleared', async () => {
    const code = await createCustomer(suite.people.sales);
    const k = await contract(code, 3_000_000);
    const oldest = await invoice(k, code, { dueDate: daysAgo(40), amountMinor: 1_000_000 });
    const next = await invoice(k, code, { dueDate: daysAgo(31), amountMinor: 1_000_000 });
    const recent = await invoice(k, code, { dueDate: daysAgo(5), amountMinor: 1_000_000 });

    const held = await evaluate(code);
    expect(held.status, JSON.stringify(held.body)).toBe(200);
    expect(held.body).toMatchObject({ creditHold: true, creditHoldSource: 'auto' });
    expect(held.body.creditHoldReason).toContain(`invoice ${oldest} is 40 days past its due date`);
    expect(held.body.exposure).toEqual({
      openReceivables: cny('30000.00'),
      approvedUnbilled: cny('0.00'),
      total: cny('30000.00'),
      overdue: cny('30000.00'),
      overLimit: false,
    });

    await pay(code, oldest, '10000.00');
    const still = await suite.people.finance.get(`/api/v1/customers/${code}`);
    expect(still.body).toMatchObject({ creditHold: true, creditHoldSource: 'auto' });
    expect(still.body.creditHoldReason).toContain(`invoice ${next} is 31 days past its due date`);

    await pay(code, next, '10000.00');
    const lifted = await suite.people.finance.get(`/api/v1/customers/${code}`);
    expect(lifted.body).toMatchObject({ creditHold: false, creditHoldReason: null, creditHoldSource: null });
    expect(lifted.body.exposure.openReceivables).toEqual(cny('10000.00'));

    const events = await holdEvents(code);
    expect(events.map((e) => [e.action, e.actor_name])).toEqual([
      ['credit_hold_set', 'fiona'],
      ['credit_hold_lifted', 'fiona'],
    ]);
    expect(events[0].details).toMatchObject({
      source: 'auto',
      exposureMinor: 3_000_000,
      limitMinor: 500_000_000,
      overdueMinor: 3_000_000,
      reasons: [{ code: 'invoice_past_threshold', invoiceNo: oldest, daysOverdue: 40, thresholdDays: 30 }],
    });
    expect(events[1].details).toMatchObject({ source: 'auto', reasons: [], openReceivablesMinor: 1_000_000 });
    void recent;
  });

  it('holds when exposure (open receivables + approved unbilled contracts) exceeds the limit, and the hold blocks approval', async () => {
    const code = await createCustomer(suite.people.sales, { creditLimit: cny('100000.00') });
    const k = await contract(code, 9_000_000, 'Delivery');
    await invoice(k, code, { dueDate: addDays(todayInShanghai(), 20), amountMinor: 3_000_000 });
    await contract(code, 2_000_000, 'Opportunity'); // not approved: not exposure
    await contract(code, 5_000_000, 'Cancelled');
    const fine = await evaluate(code);
    expect(fine.body.exposure).toMatchObject({
      openReceivables: cny('30000.00'),
      approvedUnbilled: cny('60000.00'),
      total: cny('90000.00'),
      overLimit: false,
    });
    expect(fine.body.creditHold).toBe(false);

    await contract(code, 1_500_000, 'SolutionReview');
    const over = await evaluate(code);
    expect(over.body).toMatchObject({
      creditHold: true,
      creditHoldSource: 'auto',
      exposure: { total: cny('105000.00'), overLimit: true },
    });
    expect(over.body.creditHoldReason).toBe('exposure 105000.00 CNY exceeds the credit limit 100000.00 CNY');

    const opportunity = await registerContract(suite.people.sales, code);
    const refused = await suite.people.finance.post(`/api/v1/contracts/${opportunity}/approve`, LOW_RISK);
    expect(refused.status).toBe(409);
    // The real reason with the figures: on hold because exposure is over the limit, and this contract on top of it.
    expect(refused.body.details).toEqual([
      expect.objectContaining({
        code: 'credit_hold',
        message:
          'the customer is on credit hold (exposure 105000.00 CNY exceeds the credit limit 100000.00 CNY): ' +
          'credit limit 100000.00 CNY, exposure 105000.00 CNY, this contract 100000.00 CNY',
      }),
      expect.objectContaining({
        code: 'credit_limit_exceeded',
        field: 'amount',
        message:
          "this contract (100000.00 CNY) would take the customer's exposure from 105000.00 CNY to 205000.00 CNY, " +
          'over its credit limit 100000.00 CNY',
      }),
    ]);

    // A temporary higher limit (finance, audited) lifts the automatic hold at once.
    const raised = await suite.people.finance.put(`/api/v1/customers/${code}/credit/limit-override`, {
      limit: cny('200000.00'),
      reason: 'year-end order, approved by CFO',
      until: addDays(todayInShanghai(), 30),
    });
    expect(raised.status, JSON.stringify(raised.body)).toBe(200);
    expect(raised.body).toMatchObject({
      creditHold: false,
      effectiveCreditLimit: cny('200000.00'),
      limitOverride: { limit: cny('200000.00'), by: 'fiona', active: true },
    });

    // No longer on hold, but the 100,000.00 opportunity itself would take exposure to 205,000.00 > 200,000.00:
    // refused with that reason alone, until finance overrides it with a reason.
    const overLimit = await suite.people.finance.post(`/api/v1/contracts/${opportunity}/approve`, LOW_RISK);
    expect(overLimit.status).toBe(409);
    expect(overLimit.body.details).toEqual([
      expect.objectContaining({
        code: 'credit_limit_exceeded',
        message:
          "this contract (100000.00 CNY) would take the customer's exposure from 105000.00 CNY to 205000.00 CNY, " +
          'over its credit limit 200000.00 CNY',
      }),
    ]);
    const bySales = await suite.people.sales.post(`/api/v1/contracts/${opportunity}/approve`, {
      ...LOW_RISK,
      override: { reason: 'they always pay' },
    });
    expect(bySales.status).toBe(403);
    const approved = await act(suite.people.finance, opportunity, 'approve', {
      ...LOW_RISK,
      override: { reason: 'secured by a bank guarantee' },
    });
    expect(approved.stage).toBe('SolutionReview');
    // The approval makes it exposure (205,000.00 > 200,000.00): the hold follows the approval.
    const afterApproval = await eventually(
      async () => {
        const view = (await suite.people.finance.get(`/api/v1/customers/${code}`)).body;
        return view.creditHold ? view : undefined;
      },
      30_000,
      'the hold after approval',
    );
    expect(afterApproval.creditHoldReason).toBe('exposure 205000.00 CNY exceeds the credit limit 200000.00 CNY');
  });

  it('re-evaluates on invoice issue and at the collection step instead of holding unconditionally', async () => {
    const code = await createCustomer(suite.people.sales);
    const k = await contract(code, 2_000_000);
    const old = await invoice(k, code, { dueDate: daysAgo(35), amountMinor: 1_000_000 });
    await db()
      .insertInto('milestones')
      .values({
        contract_no: k,
        seq: 99,
        kind: 'final',
        amount_minor: 1_000_000,
        trigger: '{}',
        term_days: 30,
        status: 'ready',
        ready_on: null,
      })
      .execute();
    await createInvoice(db(), '09:30', {
      contractNo: k,
      milestoneSeq: 99,
      milestoneKind: 'final',
      amountMinor: 1_000_000,
      termDays: 30,
      invoiceNo: uniqueCode('INV'),
      issueDate: todayInShanghai(),
      actor: { name: 'fiona', role: 'finance' },
      eventSeq: 1,
      at: Date.now(),
    });
    const events = await holdEvents(code);
    expect(events.map((e) => [e.action, e.invoice_no])).toEqual([['credit_hold_set', expect.stringMatching(/^INV-/)]]);
    expect(events[0].reason).toContain(`invoice ${old} is 35 days past`);

    // The +30 step of an invoice whose balance was meanwhile paid sets no hold.
    const other = await createCustomer(suite.people.sales);
    const k2 = await contract(other, 1_000_000);
    const paid = await invoice(k2, other, { dueDate: daysAgo(30), amountMinor: 1_000_000, paidOn: todayInShanghai() });
    const step = { ...DEFAULT_POLICY.steps.find((s) => s.creditHold)!, channel: 'task' as const };
    const mail = {
      transport: createTransport(suite.harness.smtp.url),
      from: 'AR <ar@huikuan.test>',
      companyName: 'Test',
    };
    await performStep(db(), mail, {
      invoiceNo: paid,
      step,
      occurrence: 1,
      scheduledFor: Date.now(),
      decidedAt: Date.now(),
      paidToleranceMinor: 0,
      taskDueDays: 3,
      skippedSteps: [],
    });
    expect((await suite.people.finance.get(`/api/v1/customers/${other}`)).body.creditHold).toBe(false);
    const open = await invoice(k2, other, { dueDate: daysAgo(30), amountMinor: 1_000_000 });
    await performStep(db(), mail, {
      invoiceNo: open,
      step,
      occurrence: 1,
      scheduledFor: Date.now(),
      decidedAt: Date.now(),
      paidToleranceMinor: 0,
      taskDueDays: 3,
      skippedSteps: [],
    });
    expect((await suite.people.finance.get(`/api/v1/customers/${other}`)).body).toMatchObject({
      creditHold: true,
      creditHoldSource: 'auto',
    });
  });

  it('never lifts a manual hold automatically; finance lifts it by hand', async () => {
    const code = await createCustomer(suite.people.sales);
    const set = await suite.people.finance.put(`/api/v1/customers/${code}/credit-hold`, {
      creditHold: true,
      reason: 'legal dispute with the parent company',
    });
    expect(set.body).toMatchObject({ creditHold: true, creditHoldSource: 'manual' });
    const evaluated = await evaluate(code);
    expect(evaluated.body).toMatchObject({
      creditHold: true,
      creditHoldSource: 'manual',
      creditHoldReason: 'legal dispute with the parent company',
      automaticHoldRule: { holds: false },
    });
    const lifted = await suite.people.finance.put(`/api/v1/customers/${code}/credit-hold`, {
      creditHold: false,
      reason: 'settled',
    });
    expect(lifted.body).toMatchObject({ creditHold: false, creditHoldSource: null });
  });

  it('lets an executive keep a customer off automatic hold until a date, audited; the hold returns when the release ends', async () => {
    const code = await createCustomer(suite.people.sales);
    const k = await contract(code, 1_000_000);
    await invoice(k, code, { dueDate: daysAgo(45), amountMinor: 1_000_000 });
    expect((await evaluate(code)).body.creditHold).toBe(true);

    const until = addDays(todayInShanghai(), 14);
    expect(
      (await suite.people.finance.put(`/api/v1/customers/${code}/credit/hold-release`, { until, reason: 'x' })).status,
    ).toBe(403);
    const past = await suite.people.executive.put(`/api/v1/customers/${code}/credit/hold-release`, {
      until: daysAgo(1),
      reason: 'x',
    });
    expect(past.status).toBe(400);
    expect(past.body.details[0].field).toBe('until');
    const released = await suite.people.executive.put(`/api/v1/customers/${code}/credit/hold-release`, {
      until,
      reason: 'strategic customer, CEO call',
    });
    expect(released.status, JSON.stringify(released.body)).toBe(200);
    expect(released.body).toMatchObject({
      creditHold: false,
      holdRelease: { until, reason: 'strategic customer, CEO call', by: 'eve', active: true },
      automaticHoldRule: { holds: true, releasedUntil: until },
    });
    expect((await evaluate(code)).body.creditHold).toBe(false);
    const audit = await db()
      .selectFrom('timeline')
      .select(['action', 'actor_name', 'reason'])
      .where('customer_code', '=', code)
      .where('action', '=', 'hold_release_granted')
      .execute();
    expect(audit).toEqual([
      { action: 'hold_release_granted', actor_name: 'eve', reason: 'strategic customer, CEO call' },
    ]);

    // The release date passes: the next evaluation holds again.
    await db()
      .updateTable('customers')
      .set({ hold_release_until: daysAgo(1) })
      .where('code', '=', code)
      .execute();
    expect((await evaluate(code)).body).toMatchObject({
      creditHold: true,
      creditHoldSource: 'auto',
      holdRelease: { active: false },
    });
  });
});

describe('grades and overrides', () => {
  it('recomputes the grade from the last 12 months of payment history, disputes and broken promises', async () => {
    const code = await createCustomer(suite.people.sales, { grade: 'A', creditLimit: cny('100000.00') });
    const k = await contract(code, 10_000_000);
    const today = todayInShanghai();
    const paid = [
      [300, 0],
      [200, 5],
      [120, 30],
      [60, -3],
    ] as const; // [days ago due, days late]
    const invoiceNos: string[] = [];
    for (const [ago, late] of paid)
      invoiceNos.push(
        await invoice(k, code, { dueDate: daysAgo(ago), amountMinor: 1_000_000, paidOn: addDays(daysAgo(ago), late) }),
      );
    await invoice(k, code, { dueDate: daysAgo(500), amountMinor: 1_000_000, paidOn: daysAgo(400) }); // outside the period: tenure only
    await invoice(k, code, { dueDate: daysAgo(10), amountMinor: 2_500_000 }); // overdue now
    await db()
      .insertInto('disputes')
      .values({
        id: uniqueCode('D'),
        invoice_no: invoiceNos[1],
        reason: 'quality',
        note: null,
        routed_to: 'delivery',
        status: 'resolved',
        opened_by: 'sally',
        opened_at: new Date(),
        sla_due_at: new Date(),
      })
      .execute();
    await db()
      .insertInto('promises')
      .values({
        id: uniqueCode('P'),
        invoice_no: invoiceNos[2],
        customer_code: code,
        contact: 'Wang',
        promised_date: daysAgo(100),
        amount_minor: 1,
        status: 'broken',
        recorded_by: 'sally',
        recorded_at: new Date(),
        closed_at: new Date(),
      })
      .execute();
    await db()
      .insertInto('promises')
      .values({
        id: uniqueCode('P'),
        invoice_no: invoiceNos[2],
        customer_code: code,
        contact: 'Wang',
        promised_date: daysAgo(500),
        amount_minor: 1,
        status: 'broken',
        recorded_by: 'sally',
        recorded_at: new Date(Date.now() - 500 * 86_400_000),
        closed_at: new Date(Date.now() - 500 * 86_400_000),
      })
      .execute();

    const expected = assessCredit({
      paidInvoices: paid.map(([, late]) => ({ amountMinor: 1_000_000, daysLate: late })),
      overdueBalanceMinor: 2_500_000,
      creditLimitMinor: 10_000_000,
      disputes: 1,
      brokenPromises: 1,
      tenureMonths: 17,
    });
    // on time 2/4 → 175; weighted (5+30)/4 = 8.75 → 214; overdue 25 % → 150; 1 promise → 50; 1 dispute → 40; 17 months → 35 = 664 → C
    expect(expected).toMatchObject({ scoreTenths: 664, grade: 'C' });
    const result = await evaluate(code);
    expect(result.body).toMatchObject({ grade: 'C', computedGrade: 'C', creditScore: '66.4' });
    expect(result.body.gradeFactors).toMatchObject({
      points: expected.factors,
      paidInvoices: 4,
      onTimeInvoices: 2,
      tenureMonths: 17,
      disputes: 1,
      brokenPromises: 1,
      overdueMinor: 2_500_000,
      periodTo: today,
      baseGrade: 'C',
    });
    const change = await db()
      .selectFrom('timeline')
      .select(['action', 'details'])
      .where('customer_code', '=', code)
      .where('action', '=', 'grade_changed')
      .execute();
    expect(change).toEqual([
      {
        action: 'grade_changed',
        details: expect.objectContaining({ from: 'A', to: 'C', computed: 'C', scoreTenths: 664 }),
      },
    ]);
  });

  it('keeps the grade given at creation while the formula has too little history', async () => {
    const code = await createCustomer(suite.people.sales, { grade: 'B' });
    const result = await evaluate(code);
    expect(result.body).toMatchObject({ grade: 'B', computedGrade: null });
  });

  it('applies a grade override with a reason until its date, audited; an expired one stops applying at the next evaluation', async () => {
    const code = await createCustomer(suite.people.sales, { grade: 'A' });
    const until = addDays(todayInShanghai(), 10);
    const missing = await suite.people.finance.put(`/api/v1/customers/${code}/credit/grade-override`, {
      grade: 'D',
      reason: 'parent company in restructuring',
    });
    expect(missing.status).toBe(400);
    expect(missing.body.details[0].field).toBe('until');
    const badGrade = await suite.people.finance.put(`/api/v1/customers/${code}/credit/grade-override`, {
      grade: 'E',
      reason: 'x',
      until,
    });
    expect(badGrade.status).toBe(400);
    expect(badGrade.body.details[0].field).toBe('grade');
    expect(
      (
        await suite.people.sales.put(`/api/v1/customers/${code}/credit/grade-override`, {
          grade: 'D',
          reason: 'x',
          until,
        })
      ).status,
    ).toBe(403);

    const set = await suite.people.finance.put(`/api/v1/customers/${code}/credit/grade-override`, {
      grade: 'D',
      reason: 'parent company in restructuring',
      until,
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({
      grade: 'D',
      gradeOverride: { grade: 'D', reason: 'parent company in restructuring', until, by: 'fiona', active: true },
    });
    const viewed = await suite.people.sales.get(`/api/v1/customers/${code}`);
    expect(viewed.body).toMatchObject({ grade: 'D', gradeOverride: { active: true } });

    await db()
      .updateTable('customers')
      .set({ grade_override_until: daysAgo(1) })
      .where('code', '=', code)
      .execute();
    expect((await suite.people.sales.get(`/api/v1/customers/${code}`)).body.gradeOverride.active).toBe(false);
    const expired = await evaluate(code);
    expect(expired.body).toMatchObject({ grade: 'A', gradeOverride: null });
    const actions = (
      await db().selectFrom('timeline').select('action').where('customer_code', '=', code).orderBy('id').execute()
    ).map((e) => e.action);
    expect(actions).toEqual(['grade_override_set', 'grade_changed', 'grade_override_expired', 'grade_changed']);
  });

  it('refuses a limit override in another currency or without a date', async () => {
    const code = await createCustomer(suite.people.sales);
    const currency = await suite.people.finance.put(`/api/v1/customers/${code}/credit/limit-override`, {
      limit: { value: '10.00', currency: 'USD' },
      reason: 'x',
      until: addDays(todayInShanghai(), 1),
    });
    expect(currency.status).toBe(400);
    expect(currency.body.details[0].field).toBe('limit.currency');
    const noDate = await suite.people.finance.put(`/api/v1/customers/${code}/credit/limit-override`, {
      limit: cny('10.00'),
      reason: 'x',
    });
    expect(noDate.body.details[0].field).toBe('until');
    expect((await suite.people.finance.get('/api/v1/customers/NOPE/credit')).status).toBe(404);
  });
});

describe('early warnings and term-extension requests', () => {
  it("records a term-extension request with the customer's overdue figures and warns when it is already late", async () => {
    const code = await createCustomer(suite.people.sales);
    const k = await contract(code, 1_000_000);
    await invoice(k, code, { dueDate: daysAgo(12), amountMinor: 700_000 });
    const foreign = await contract(await createCustomer(suite.people.sales), 1);
    const wrong = await suite.people.sales.post(`/api/v1/customers/${code}/term-extension-requests`, {
      contractNo: foreign,
      requestedDays: 30,
      reason: 'cash flow',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.details[0].field).toBe('contractNo');
    const zero = await suite.people.sales.post(`/api/v1/customers/${code}/term-extension-requests`, {
      requestedDays: 0,
      reason: 'cash flow',
    });
    expect(zero.body.details[0].field).toBe('requestedDays');
    expect(
      (
        await suite.people.delivery.post(`/api/v1/customers/${code}/term-extension-requests`, {
          requestedDays: 30,
          reason: 'x',
        })
      ).status,
    ).toBe(403);

    const created = await suite.people.sales.post(`/api/v1/customers/${code}/term-extension-requests`, {
      contractNo: k,
      requestedDays: 30,
      reason: 'cash flow before the holiday',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      contractNo: k,
      requestedDays: 30,
      requestedBy: 'sally',
      overdue: cny('7000.00'),
      oldestDaysOverdue: 12,
      customerLate: true,
    });

    const warnings = await suite.people.finance.get(`/api/v1/credit/warnings?customer=${code}`);
    expect(warnings.status).toBe(200);
    expect(warnings.body.warnings).toEqual([
      expect.objectContaining({
        kind: 'term_extension_while_late',
        customerCode: code,
        figures: expect.objectContaining({ overdueMinor: 700_000, oldestDaysOverdue: 12, requestedDays: 30 }),
      }),
    ]);
    const credit = await suite.people.sales.get(`/api/v1/customers/${code}/credit`);
    expect(credit.body.warnings.map((w: { kind: string }) => w.kind)).toEqual(['term_extension_while_late']);
    expect(credit.body.termExtensionRequests).toHaveLength(1);
  });

  it('warns about orders surging against their history and payment delays trending up', async () => {
    const surging = await createCustomer(suite.people.sales);
    for (const ago of [100, 200, 300, 400]) await contract(surging, 1_000_000, 'Closed', daysAgo(ago));
    await contract(surging, 2_500_000, 'Delivery', daysAgo(10));
    await contract(surging, 1_000_000, 'Opportunity', daysAgo(5)); // not an order yet
    const late = await createCustomer(suite.people.sales);
    const k = await contract(late, 3_000_000, 'Collection', daysAgo(500));
    for (const [ago, days] of [
      [120, 2],
      [90, 6],
      [40, 15],
    ] as const)
      await invoice(k, late, { dueDate: daysAgo(ago), amountMinor: 1_000_000, paidOn: addDays(daysAgo(ago), days) });

    const all = await suite.people.executive.get('/api/v1/credit/warnings');
    expect(all.status).toBe(200);
    const mine = all.body.warnings.filter((w: { customerCode: string }) => [surging, late].includes(w.customerCode));
    expect(mine).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'order_surge',
          customerCode: surging,
          figures: expect.objectContaining({
            recentMinor: 2_500_000,
            recentCount: 1,
            historyMinor: 4_000_000,
            historyCount: 4,
            averagePerPeriodMinor: 1_000_000,
            ratioPercent: 250,
            currency: 'CNY',
          }),
        }),
        expect.objectContaining({
          kind: 'payment_delay_trend',
          customerCode: late,
          figures: expect.objectContaining({ daysLate: [2, 6, 15] }),
        }),
      ]),
    );
    expect(all.body.thresholds).toMatchObject({ orderWindowDays: 90, minHistoryOrders: 3 });
    expect((await suite.people.finance.get('/api/v1/credit/warnings?kind=nonsense')).body.details[0].field).toBe(
      'kind',
    );
  });
});
