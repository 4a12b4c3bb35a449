/**
 * The API against a real PostgreSQL, the real Temporal dev server and the real local SMTP server.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadConfig } from '../../config/env';
import { loadDemoData } from '../../stack/demo';
import { startApiServer } from '../../stack/processes';
import { ApiClient, eventually } from '../support/api-harness';
import {
  apiSuiteWithPeople,
  act,
  FULL_TERMS,
  cny,
  createCustomer,
  daysAgo,
  driveToDelivery,
  LOW_RISK,
  registerContract,
  todayInShanghai,
} from '../support/scenario';

const suite = apiSuiteWithPeople();

describe('authentication and roles', () => {
  it('needs a bearer token everywhere but /healthz', async () => {
    expect((await suite.harness.anonymous.get('/healthz')).status).toBe(200);
    const missing = await suite.harness.anonymous.get('/api/v1/customers/X');
    expect(missing.status).toBe(401);
    expect(missing.body.error).toBe('missing bearer token');
    expect((await new ApiClient(suite.harness.admin.baseUrl, 'not-a-token').get('/api/v1/customers/X')).status).toBe(
      401,
    );
  });

  it('lets only admins create people and only finance issue invoices and record payments', async () => {
    expect((await suite.people.sales.post('/api/v1/tokens', { name: 'mallory', role: 'admin' })).status).toBe(403);
    const invoice = await suite.people.sales.post('/api/v1/invoices', {
      contractNo: 'X',
      milestoneSeq: 1,
      invoiceNo: 'I1',
      issueDate: todayInShanghai(),
    });
    expect(invoice.status).toBe(403);
    expect(invoice.body.error).toContain('finance');
    const payment = await suite.people.delivery.post('/api/v1/payments', {
      customerCode: 'X',
      amount: cny('1.00'),
      reference: 'R',
      receivedOn: todayInShanghai(),
    });
    expect(payment.status).toBe(403);
  });

  it('lets only delivery record delivery', async () => {
    const customer = await createCustomer(suite.people.sales);
    const no = await registerContract(suite.people.sales, customer);
    await driveToDelivery(suite.people, no, daysAgo(10));
    const bySales = await suite.people.sales.post(`/api/v1/contracts/${no}/deliver`, { deliveredOn: daysAgo(1) });
    expect(bySales.status).toBe(403);
    await act(suite.people.delivery, no, 'deliver', { deliveredOn: daysAgo(1) });
  });
});

describe('bad input', () => {
  it('names the field and writes nothing', async () => {
    const noPayer = await suite.people.sales.post('/api/v1/customers', {
      code: 'BAD-1',
      name: 'Bad',
      creditLimit: cny('1.00'),
      contacts: [{ role: 'finance', name: 'F', email: 'f@bad.test' }],
    });
    expect(noPayer.status).toBe(400);
    expect(noPayer.body.details).toEqual([
      expect.objectContaining({ field: 'contacts', message: expect.stringContaining('payment_owner') }),
    ]);

    const badAmount = await suite.people.sales.post('/api/v1/customers', {
      code: 'BAD-2',
      name: 'Bad',
      creditLimit: cny('12.345'),
      contacts: [{ role: 'payment_owner', name: 'P', email: 'p@bad.test' }],
    });
    expect(badAmount.status).toBe(400);
    expect(badAmount.body.details[0].field).toBe('creditLimit.value');

    const notJson = await fetch(`${suite.harness.admin.baseUrl}/api/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${suite.people.sales.token}`, 'content-type': 'application/json' },
      body: '{"code":',
    });
    expect(notJson.status).toBe(400);

    expect((await suite.people.sales.get('/api/v1/customers/BAD-1')).status).toBe(404);
    expect((await suite.people.sales.get('/api/v1/customers/BAD-2')).status).toBe(404);
  });

  it('refuses a contract for an unknown customer or a duplicate number without starting a workflow twice', async () => {
    const unknown = await suite.people.sales.post('/api/v1/contracts', {
      no: 'HT-X',
      customerCode: 'NOPE',
      title: 't',
      amount: cny('1.00'),
      paymentTermsType: 'prepayment',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details[0].field).toBe('customerCode');
    const customer = await createCustomer(suite.people.sales);
    const no = await registerContract(suite.people.sales, customer);
    const again = await suite.people.sales.post('/api/v1/contracts', {
      no,
      customerCode: customer,
      title: 't',
      amount: cny('1.00'),
      paymentTermsType: 'prepayment',
    });
    expect(again.status).toBe(409);
    const contract = await suite.people.sales.get(`/api/v1/contracts/${no}`);
    expect(contract.body.amount).toEqual(cny('100000.00'));
  });
});

describe('refused transitions return every reason', () => {
  it('refuses approval on credit hold and terms outside the grade policy, unless finance overrides with a reason', async () => {
    const customer = await createCustomer(suite.people.sales, { grade: 'D' });
    const hold = await suite.people.finance.put(`/api/v1/customers/${customer}/credit-hold`, {
      creditHold: true,
      reason: 'invoice 90 days overdue',
    });
    expect(hold.status).toBe(200);
    expect(hold.body.creditHold).toBe(true);
    const no = await registerContract(suite.people.sales, customer);

    const refused = await suite.people.finance.post(`/api/v1/contracts/${no}/approve`, LOW_RISK);
    expect(refused.status).toBe(409);
    expect(refused.body.details.map((d: { code: string }) => d.code)).toEqual([
      'credit_hold',
      'terms_not_allowed_for_grade',
    ]);

    const bySales = await suite.people.sales.post(`/api/v1/contracts/${no}/approve`, {
      ...LOW_RISK,
      override: { reason: 'strategic' },
    });
    expect(bySales.status).toBe(403);
    const blankReason = await suite.people.finance.post(`/api/v1/contracts/${no}/approve`, {
      ...LOW_RISK,
      override: { reason: ' ' },
    });
    expect(blankReason.status).toBe(409);
    expect(blankReason.body.details[0].code).toBe('override_reason_missing');

    const overridden = await act(suite.people.executive, no, 'approve', {
      ...LOW_RISK,
      override: { reason: 'board decision: strategic account' },
    });
    expect(overridden.stage).toBe('SolutionReview');
    const entry = overridden.timeline.find((t: { action: string }) => t.action === 'approve');
    expect(entry.actor).toEqual({ name: 'eve', role: 'executive' });
    expect(entry.reason).toBe('board decision: strategic account');
    expect(entry.details.overridden.map((o: { code: string }) => o.code)).toEqual([
      'credit_hold',
      'terms_not_allowed_for_grade',
    ]);
  });

  it('refuses signing listing every missing item, a split that does not sum, and a transition out of order', async () => {
    const customer = await createCustomer(suite.people.sales);
    const no = await registerContract(suite.people.sales, customer, { terms: { deliverables: ['system'] } });
    const early = await suite.people.sales.post(`/api/v1/contracts/${no}/sign`, { signedOn: daysAgo(1) });
    expect(early.status).toBe(409);
    expect(early.body.details[0].message).toContain('stage Opportunity');

    await act(suite.people.finance, no, 'approve', LOW_RISK);
    await act(suite.people.sales, no, 'review', { estimatedCost: cny('50000.00') });
    const unsigned = await suite.people.sales.post(`/api/v1/contracts/${no}/sign`, { signedOn: daysAgo(1) });
    expect(unsigned.status).toBe(409);
    expect(unsigned.body.details.map((d: { field: string }) => d.field)).toEqual([
      'terms.acceptanceOwner',
      'terms.acceptanceCriteria',
      'terms.invoicingDetails',
      'terms.paymentSchedule',
      'terms.paymentOwner',
      'terms.paymentMethod',
      'terms.lateInterestRatePercent',
      'terms.penaltyClause',
    ]);
    const { deliverables: _d, ...rest } = FULL_TERMS;
    await act(suite.people.sales, no, 'sign', { signedOn: daysAgo(1), terms: rest });

    const uneven = await suite.people.finance.post(`/api/v1/contracts/${no}/split`, {
      milestones: [
        { kind: 'advance', amount: cny('30000.00'), trigger: { type: 'on_signing' }, termDays: 15 },
        { kind: 'final', amount: cny('69999.99'), trigger: { type: 'on_acceptance' }, termDays: 30 },
      ],
    });
    expect(uneven.status).toBe(409);
    expect(uneven.body.details).toEqual([
      expect.objectContaining({ code: 'milestones_do_not_sum', message: expect.stringContaining('difference 1') }),
    ]);
    const contract = await suite.people.sales.get(`/api/v1/contracts/${no}`);
    expect(contract.body.stage).toBe('Split');
    expect(contract.body.milestones).toEqual([]);
  });

  it('cancels before signing with a reason, and not after', async () => {
    const customer = await createCustomer(suite.people.sales);
    const lost = await registerContract(suite.people.sales, customer);
    const cancelled = await act(suite.people.sales, lost, 'cancel', {
      outcome: 'lost',
      reason: 'customer chose a competitor',
    });
    expect(cancelled.stage).toBe('Cancelled');
    expect(cancelled.closeReason).toBe('lost: customer chose a competitor');

    const again = await suite.people.sales.post(`/api/v1/contracts/${lost}/approve`, LOW_RISK);
    expect(again.status).toBe(403);
    const approveCancelled = await suite.people.finance.post(`/api/v1/contracts/${lost}/approve`, LOW_RISK);
    expect(approveCancelled.status).toBe(409);
    expect(approveCancelled.body.details[0].message).toContain('stage Cancelled');

    const signed = await registerContract(suite.people.sales, customer);
    await driveToDelivery(suite.people, signed, daysAgo(3));
    const late = await suite.people.sales.post(`/api/v1/contracts/${signed}/cancel`, {
      outcome: 'cancelled',
      reason: 'changed mind',
    });
    expect(late.status).toBe(409);
    expect(late.body.details[0].message).toContain('stage Delivery');
  });
});

describe('invoices, letters and payments', () => {
  it('sends the overdue letter once, in the customer language, and closes the contract when all is paid', async () => {
    const customer = await createCustomer(suite.people.sales, { locale: 'en' });
    const no = await registerContract(suite.people.sales, customer);
    await driveToDelivery(suite.people, no, daysAgo(60));

    const ready = await suite.people.finance.get('/api/v1/invoice-ready');
    expect(ready.body.filter((r: { contractNo: string }) => r.contractNo === no)).toEqual([
      expect.objectContaining({ milestoneSeq: 1, kind: 'advance', amount: cny('40000.00'), readyOn: daysAgo(60) }),
    ]);
    const notReady = await suite.people.finance.post('/api/v1/invoices', {
      contractNo: no,
      milestoneSeq: 2,
      invoiceNo: `${no}-F`,
      issueDate: todayInShanghai(),
    });
    expect(notReady.status).toBe(409);
    expect(notReady.body.details[0].code).toBe('milestone_not_ready');

    const advanceNo = `${no}-A`;
    const issued = await suite.people.finance.post('/api/v1/invoices', {
      contractNo: no,
      milestoneSeq: 1,
      invoiceNo: advanceNo,
      issueDate: daysAgo(45),
      taxRatePercent: '13',
    });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.body).toMatchObject({
      dueDate: daysAgo(15),
      balance: cny('40000.00'),
      tax: cny('4601.77'),
      status: 'open',
    });
    const duplicate = await suite.people.finance.post('/api/v1/invoices', {
      contractNo: no,
      milestoneSeq: 1,
      invoiceNo: advanceNo,
      issueDate: daysAgo(45),
    });
    expect(duplicate.status).toBe(409);

    const payer = `payer@${customer.toLowerCase()}.test`;
    const mail = await eventually(
      async () => {
        const box = await suite.people.finance.get(`/api/v1/mailbox?to=${encodeURIComponent(payer)}`);
        return box.body.length > 0 ? box.body : undefined;
      },
      60_000,
      'the overdue letter',
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const box = (await suite.people.finance.get(`/api/v1/mailbox?to=${encodeURIComponent(payer)}`)).body;
    expect(box.length).toBe(1);
    // 15 days overdue: the formal reminder of day 10 is the step that applies (catch-up sends only it)
    expect(mail[0].subject).toBe(`Request for your help: invoice ${advanceNo} is 15 days overdue`);
    expect(mail[0].text).toContain('CN¥40,000.00');
    expect(mail[0].text).toContain('Sally Sales');
    expect(mail[0].to).toEqual([payer, `finance@${customer.toLowerCase()}.test`]);

    const letters = await suite.people.finance.get(`/api/v1/letters?invoice=${advanceNo}`);
    expect(letters.body).toEqual([
      expect.objectContaining({
        step: 'formal_reminder',
        status: 'sent',
        recipients: [payer],
        subject: mail[0].subject,
      }),
    ]);

    const partial = await suite.people.finance.post('/api/v1/payments', {
      customerCode: customer,
      amount: cny('15000.00'),
      reference: 'BANK-1',
      receivedOn: todayInShanghai(),
    });
    expect(partial.status).toBe(201);
    expect(partial.body.allocations).toEqual([
      expect.objectContaining({
        invoiceNo: advanceNo,
        amount: cny('15000.00'),
        invoiceBalance: cny('25000.00'),
        rule: 'oldest_first',
      }),
    ]);
    const repeated = await suite.people.finance.post('/api/v1/payments', {
      customerCode: customer,
      amount: cny('15000.00'),
      reference: 'BANK-1',
      receivedOn: todayInShanghai(),
    });
    expect(repeated.status).toBe(200);
    expect((await suite.people.finance.get(`/api/v1/invoices/${advanceNo}`)).body.balance).toEqual(cny('25000.00'));

    await act(suite.people.delivery, no, 'deliver', { deliveredOn: daysAgo(5) });
    await act(suite.people.delivery, no, 'accept', {
      acceptedOn: daysAgo(2),
      acceptor: 'Li Wei',
      documentRef: 'UAT-2026-11',
    });
    const finalNo = `${no}-F`;
    expect(
      (
        await suite.people.finance.post('/api/v1/invoices', {
          contractNo: no,
          milestoneSeq: 2,
          invoiceNo: finalNo,
          issueDate: daysAgo(1),
        })
      ).status,
    ).toBe(201);

    const rest = await suite.people.finance.post('/api/v1/payments', {
      customerCode: customer,
      amount: cny('85000.00'),
      reference: 'BANK-2',
      receivedOn: todayInShanghai(),
    });
    expect(rest.body.allocations).toEqual([
      expect.objectContaining({
        invoiceNo: advanceNo,
        amount: cny('25000.00'),
        invoiceBalance: cny('0.00'),
        rule: 'oldest_first',
      }),
      expect.objectContaining({
        invoiceNo: finalNo,
        amount: cny('60000.00'),
        invoiceBalance: cny('0.00'),
        rule: 'oldest_first',
      }),
    ]);
    expect(rest.body.unallocated).toEqual(cny('0.00'));

    // The late interest stays open after the principal is paid: 40,000.00 at 18.25% is 20.00 a day, for the
    // 15 days from the day after the due date up to and including the day of today's payments.
    const interest = await eventually(
      async () => {
        const invoice = (await suite.people.finance.get(`/api/v1/invoices/${advanceNo}`)).body;
        return invoice.lateInterest?.status === 'open' ? invoice.lateInterest : undefined;
      },
      30_000,
      'the interest assessment',
    );
    expect(interest.amount).toEqual(cny('300.00'));
    expect((await suite.people.sales.get(`/api/v1/contracts/${no}`)).body.stage).toBe('Collection');
    expect(
      (await suite.people.sales.post(`/api/v1/invoices/${advanceNo}/interest`, { outcome: 'waived', reason: 'x' }))
        .status,
    ).toBe(403);
    const blank = await suite.people.finance.post(`/api/v1/invoices/${advanceNo}/interest`, {
      outcome: 'waived',
      reason: ' ',
    });
    expect(blank.status).toBe(400);
    expect(blank.body.details[0].field).toBe('reason');
    const waived = await suite.people.finance.post(`/api/v1/invoices/${advanceNo}/interest`, {
      outcome: 'waived',
      reason: 'goodwill: paid within the quarter',
    });
    expect(waived.status, JSON.stringify(waived.body)).toBe(200);

    const closed = await eventually(
      async () => {
        const contract = await suite.people.sales.get(`/api/v1/contracts/${no}`);
        return contract.body.stage === 'Closed' ? contract.body : undefined;
      },
      30_000,
      'the contract to close',
    );
    expect(closed.milestones.map((m: { status: string }) => m.status)).toEqual(['paid', 'paid']);
    // Signed 60 days ago, the advance milestone's invoice was late from the start: its stage deadline may fire
    // before the invoice is issued, and then once (the latest level), not once per level it missed. The final
    // milestone, accepted 2 days ago, may be past its first level too, depending on the hour the test runs.
    const escalatedWaits = closed.timeline
      .filter((t: { action: string }) => t.action === 'stage_escalated')
      .map((t: { details: { wait: string; milestone?: number } }) => `${t.details.wait}/${t.details.milestone}`);
    expect(escalatedWaits.length).toBe(new Set(escalatedWaits).size);
    const actions = closed.timeline
      .map((t: { action: string }) => t.action)
      .filter((action: string) => action !== 'stage_escalated');
    expect(actions.slice(0, 7)).toEqual(['register', 'approve', 'review', 'sign', 'split', 'invoice_ready', 'budget']);
    expect(actions.filter((a: string) => a === 'letter_sent')).toHaveLength(1);
    expect(actions.filter((a: string) => a === 'milestone_paid')).toHaveLength(2);
    expect(actions[actions.length - 1]).toBe('close');
  });
});

describe('operations', () => {
  it('loads the demo data through the API, with an overdue invoice whose letter goes out once', async () => {
    const people = await loadDemoData(suite.harness.admin.baseUrl, suite.harness.admin.token!);
    for (const person of people) {
      const signedIn = await suite.harness.anonymous.post('/api/v1/sessions', {
        name: person.name,
        password: person.password,
      });
      expect([signedIn.status, signedIn.body.person?.role]).toEqual([201, person.role]);
    }
    const contracts = await Promise.all(
      ['DEMO-C-001', 'DEMO-C-002', 'DEMO-C-003', 'DEMO-C-004'].map((no) =>
        suite.harness.admin.get(`/api/v1/contracts/${no}`),
      ),
    );
    expect(contracts.map((c) => c.body.stage)).toEqual(['Opportunity', 'SolutionReview', 'Delivery', 'Acceptance']);
    const overdue = await eventually(
      async () => {
        const invoice = (await suite.harness.admin.get('/api/v1/invoices/DEMO-INV-0001')).body;
        return invoice.letters.some((l: { status: string }) => l.status === 'sent') ? invoice : undefined;
      },
      30_000,
      'the demo overdue letter',
    );
    expect(overdue.dueDate < todayInShanghai()).toBe(true);
    expect(overdue.letters.map((l: { step: string }) => l.step)).toEqual(['formal_reminder']);
    await loadDemoData(suite.harness.admin.baseUrl, suite.harness.admin.token!);
    expect((await suite.harness.admin.get('/api/v1/letters?invoice=DEMO-INV-0001')).body).toHaveLength(1);
    const unmatched = (await suite.people.finance.get('/api/v1/payments?status=unmatched')).body.payments;
    expect(unmatched.filter((p: { reference: string }) => p.reference === 'DEMO-STMT-0001')).toHaveLength(1);
    const warnings = (await suite.people.finance.get('/api/v1/credit/warnings?customer=DEMO-ACME')).body;
    expect(JSON.stringify(warnings)).toContain('term_extension_while_late');
  });

  it('finds contracts by stage through the ContractStage search attribute', async () => {
    const customer = await createCustomer(suite.people.sales);
    const no = await registerContract(suite.people.sales, customer);
    await driveToDelivery(suite.people, no, daysAgo(3));
    const run = promisify(execFile);
    const listed = await eventually(
      async () => {
        const { stdout } = await run(inject('temporalCliPath'), [
          'workflow',
          'list',
          '--address',
          inject('temporalAddress'),
          '--query',
          `ContractStage="Delivery" AND CustomerCode="${customer}"`,
          '-o',
          'json',
        ]);
        const rows = JSON.parse(stdout || '[]') as { execution: { workflowId: string } }[];
        return rows.length > 0 ? rows : undefined;
      },
      20_000,
      'the visibility record',
    );
    expect(listed.map((r) => r.execution.workflowId)).toEqual([`contract/${no}`]);
  });

  it('reports 503 naming SMTP when it is unreachable', async () => {
    const server = await startApiServer(
      {
        db: suite.harness.database.db,
        client: suite.harness.client,
        config: loadConfig({ TEMPORAL_TASK_QUEUE: suite.harness.taskQueue }),
        smtpUrl: 'smtp://127.0.0.1:9',
        mailboxEnabled: false,
      },
      0,
      '127.0.0.1',
    );
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as { error: string; checks: Record<string, string> };
      expect(body.error).toBe('unreachable: smtp');
      expect(body.checks.postgres).toBe('ok');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('publishes an OpenAPI document generated from the request schemas', async () => {
    const doc = (await suite.people.sales.get('/api/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.0.3');
    for (const path of [
      '/healthz',
      '/api/v1/tokens',
      '/api/v1/customers',
      '/api/v1/customers/{code}',
      '/api/v1/contracts',
      '/api/v1/contracts/{no}',
      '/api/v1/contracts/{no}/approve',
      '/api/v1/contracts/{no}/cancel',
      '/api/v1/invoices',
      '/api/v1/invoices/{no}',
      '/api/v1/payments',
      '/api/v1/letters',
      '/api/v1/mailbox',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/api/v1/payments'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/RecordPaymentRequest',
    });
    const payment = doc.components.schemas.RecordPaymentRequest;
    expect(payment.properties.amount).toEqual({ $ref: '#/components/schemas/PositiveMoney' });
    expect(JSON.stringify(doc)).not.toContain('#/definitions');
    expect(payment.required).toEqual(expect.arrayContaining(['amount', 'reference', 'receivedOn']));
  });
});
