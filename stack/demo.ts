import { addDays, localDateOf } from '../domain/dates';
import { logger } from './logger';

/** The answers are the API's JSON, read field by field like the tests do. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ApiJson = any;

/** Demo data loaded through the public API, so it passes every rule a user's data does. */
class DemoClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
    allow: number[] = [],
  ): Promise<{ status: number; body: ApiJson }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json().catch(() => ({}));
    if (!response.ok && !allow.includes(response.status))
      throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(json)}`);
    return { status: response.status, body: json };
  }

  as(token: string): DemoClient {
    return new DemoClient(this.baseUrl, token);
  }
}

const TERMS = {
  deliverables: ['ERP implementation', 'data migration', 'training'],
  acceptanceOwner: 'customer project director',
  acceptanceCriteria: 'signed UAT report',
  invoicingDetails: 'VAT special invoice, 13%',
  paymentSchedule: '30% advance, 60% on acceptance, 10% retention after 90 days',
  paymentOwner: 'customer finance manager',
  paymentMethod: 'bank transfer to ICBC 6222 0000 1234 5678',
  lateInterestRatePercent: '18.25',
  penaltyClause: '0.05% of the overdue amount per day',
};

const money = (value: string) => ({ value, currency: 'CNY' });

/** The demo's people and their console passwords, printed by `npm start -- --demo` (a demo, not a secret). */
export const DEMO_PEOPLE = [
  { name: 'demo-sales', role: 'sales', password: 'demo-sales-2026' },
  { name: 'demo-finance', role: 'finance', password: 'demo-finance-2026' },
  { name: 'demo-delivery', role: 'delivery', password: 'demo-delivery-2026' },
  { name: 'demo-executive', role: 'executive', password: 'demo-executive-2026' },
] as const;

export async function loadDemoData(apiUrl: string, adminToken: string): Promise<typeof DEMO_PEOPLE> {
  const admin = new DemoClient(apiUrl, adminToken);
  if ((await admin.call('GET', '/api/v1/customers/DEMO-ACME', undefined, [404])).status === 200) {
    logger('demo').info('demo data already loaded');
    return DEMO_PEOPLE;
  }
  const token = async (name: string, role: string) =>
    admin.as(
      (await admin.call('POST', '/api/v1/tokens', { name, role, email: `${name}@huikuan.demo` }, [409])).body.token ??
        adminToken,
    );
  const sales = await token('demo-sales', 'sales');
  const finance = await token('demo-finance', 'finance');
  const delivery = await token('demo-delivery', 'delivery');
  await token('demo-executive', 'executive');
  for (const person of DEMO_PEOPLE) {
    await admin.call('PUT', `/api/v1/people/${person.name}/password`, { password: person.password });
    // Their tasks are mailed to them (the embedded mailbox shows it); escalations go to the executive.
    if (person.role !== 'executive')
      await admin.call('PATCH', `/api/v1/people/${person.name}`, { manager: 'demo-executive' });
  }
  const today = localDateOf(Date.now(), 'Asia/Shanghai');

  const customers = [
    { code: 'DEMO-ACME', name: '上海阿克米科技有限公司', grade: 'A', locale: 'zh-CN', email: 'pay@acme.example' },
    { code: 'DEMO-GLOBEX', name: 'Globex Trading Ltd', grade: 'B', locale: 'en', email: 'ap@globex.example' },
    {
      code: 'DEMO-INITECH',
      name: '北京艾尼科技有限公司',
      grade: 'C',
      locale: 'zh-CN',
      email: 'finance@initech.example',
    },
  ];
  for (const c of customers) {
    await sales.call('POST', '/api/v1/customers', {
      code: c.code,
      name: c.name,
      grade: c.grade,
      creditLimit: money('2000000.00'),
      locale: c.locale,
      contacts: [
        { role: 'payment_owner', name: c.locale === 'en' ? 'Pat Payer' : '王会计', email: c.email },
        {
          role: 'decision_maker',
          name: c.locale === 'en' ? 'Dana Director' : '李总',
          email: `boss@${c.email.split('@')[1]}`,
        },
        {
          role: 'finance',
          name: c.locale === 'en' ? 'Finn Ance' : '赵财务',
          email: `finance-team@${c.email.split('@')[1]}`,
        },
      ],
    });
  }

  const register = (no: string, customerCode: string, amount: string, paymentTermsType = 'credit_terms') =>
    sales.call('POST', '/api/v1/contracts', {
      no,
      customerCode,
      title: `${no} ERP rollout`,
      amount: money(amount),
      paymentTermsType,
      terms: TERMS,
    });
  const act = (client: DemoClient, no: string, action: string, body: unknown) =>
    client.call('POST', `/api/v1/contracts/${no}/${action}`, body);
  const signedOn = addDays(today, -60);
  const throughHandover = async (no: string) => {
    await act(finance, no, 'approve', { risk: { customerRisk: 2, projectRisk: 2, requirementRisk: 2 } });
    await act(sales, no, 'review', { estimatedCost: money('600000.00') });
    await act(sales, no, 'sign', { signedOn });
    await act(finance, no, 'split', {
      milestones: [
        { kind: 'advance', percent: '30', trigger: { type: 'on_signing' }, termDays: 30 },
        { kind: 'final', percent: '60', trigger: { type: 'on_acceptance' }, termDays: 30 },
        { kind: 'retention', percent: '10', trigger: { type: 'after_acceptance', days: 90 }, termDays: 30 },
      ],
    });
    await act(finance, no, 'budget', { budget: money('650000.00') });
    await act(sales, no, 'handover', {
      owners: {
        account: 'demo-sales',
        solution: 'Solution Sun',
        fulfilment: 'demo-delivery',
        finance: 'demo-finance',
        executiveSponsor: 'CEO Chen',
      },
    });
  };

  await register('DEMO-C-001', 'DEMO-ACME', '1000000.00');
  await register('DEMO-C-002', 'DEMO-GLOBEX', '800000.00');
  await act(finance, 'DEMO-C-002', 'approve', { risk: { customerRisk: 2, projectRisk: 3, requirementRisk: 2 } });
  await register('DEMO-C-003', 'DEMO-ACME', '1000000.00');
  await throughHandover('DEMO-C-003');
  await register('DEMO-C-004', 'DEMO-INITECH', '1000000.00', 'pay_on_delivery');
  await throughHandover('DEMO-C-004');
  await act(delivery, 'DEMO-C-004', 'deliver', { deliveredOn: addDays(today, -20) });
  // The advance invoice of DEMO-C-003, issued 40 days ago on 30-day terms, is 10 days overdue.
  await finance.call('POST', '/api/v1/invoices', {
    contractNo: 'DEMO-C-003',
    milestoneSeq: 1,
    invoiceNo: 'DEMO-INV-0001',
    issueDate: addDays(today, -40),
    taxRatePercent: '13',
  });
  await finance.call('POST', '/api/v1/invoices', {
    contractNo: 'DEMO-C-004',
    milestoneSeq: 1,
    invoiceNo: 'DEMO-INV-0002',
    issueDate: addDays(today, -5),
    taxRatePercent: '13',
  });
  await finance.call('POST', '/api/v1/payments', {
    customerCode: 'DEMO-INITECH',
    amount: money('100000.00'),
    reference: 'DEMO-BANK-0001',
    receivedOn: today,
    invoiceNo: 'DEMO-INV-0002',
  });
  // A bank statement line nobody can place waits in the unmatched queue; a late customer asks for longer terms (an early warning).
  await finance.call('POST', '/api/v1/imports/bank-statements', {
    fileName: 'demo-statement.csv',
    mapping: 'zh',
    content: `交易日期,借方金额,贷方金额,币种,对方户名,对方账号,摘要,流水号\n${today},,"50,000.00",CNY,深圳某某贸易有限公司,6222 0000 9999,货款,DEMO-STMT-0001`,
  });
  await sales.call('POST', '/api/v1/customers/DEMO-ACME/term-extension-requests', {
    contractNo: 'DEMO-C-003',
    requestedDays: 30,
    reason: '客户申请延长账期至60天',
  });
  logger('demo').info(
    'demo data loaded: customers DEMO-ACME, DEMO-GLOBEX, DEMO-INITECH; contracts DEMO-C-001…004; overdue invoice DEMO-INV-0001; ' +
      'an unmatched bank payment (GET /api/v1/payments?status=unmatched); a term-extension warning (GET /api/v1/credit/warnings)',
  );
  return DEMO_PEOPLE;
}
