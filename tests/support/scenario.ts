import crypto from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { addDays, localDateOf } from '../../domain/dates';
import { type ApiClient, type ApiHarness, startApiHarness } from './api-harness';

export const FULL_TERMS = {
  deliverables: ['warehouse management system', 'training'],
  acceptanceOwner: 'Li Wei, operations director',
  acceptanceCriteria: 'UAT report signed by the acceptance owner',
  invoicingDetails: 'VAT special invoice, Acme Ltd, tax id 91310000XXXXXXXX',
  paymentSchedule: '40% on signing, 60% on acceptance',
  paymentOwner: 'Wang Fang, finance manager',
  paymentMethod: 'bank transfer to account 6222 0000 1111 2222',
  lateInterestRatePercent: '18.25',
  penaltyClause: '0.05% of the overdue amount per day',
};

export const cny = (value: string) => ({ value, currency: 'CNY' });
export const todayInShanghai = () => localDateOf(Date.now(), 'Asia/Shanghai');
export const daysAgo = (days: number) => addDays(todayInShanghai(), -days);
export const uniqueCode = (prefix: string) => `${prefix}-${crypto.randomBytes(4).toString('hex')}`;

export interface People {
  sales: ApiClient;
  finance: ApiClient;
  delivery: ApiClient;
  executive: ApiClient;
}

/** One person for each business role, created through the API. */
export async function createPeople(harness: ApiHarness): Promise<People> {
  return {
    sales: await harness.person('sally', 'sales'),
    finance: await harness.person('fiona', 'finance'),
    delivery: await harness.person('dave', 'delivery'),
    executive: await harness.person('eve', 'executive'),
  };
}

export async function createCustomer(sales: ApiClient, overrides: Record<string, unknown> = {}): Promise<string> {
  const code = uniqueCode('CUST');
  const response = await sales.post('/api/v1/customers', {
    code,
    name: `${code} Co.`,
    grade: 'A',
    creditLimit: cny('5000000.00'),
    locale: 'zh-CN',
    contacts: [
      { role: 'payment_owner', name: '王芳', email: `payer@${code.toLowerCase()}.test` },
      { role: 'finance', name: '赵敏', email: `finance@${code.toLowerCase()}.test` },
      { role: 'decision_maker', name: '李总', email: `boss@${code.toLowerCase()}.test` },
    ],
    ...overrides,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return code;
}

export async function registerContract(
  sales: ApiClient,
  customerCode: string,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const no = uniqueCode('HT');
  const response = await sales.post('/api/v1/contracts', {
    no,
    customerCode,
    title: 'Warehouse system',
    amount: cny('100000.00'),
    paymentTermsType: 'credit_terms',
    terms: FULL_TERMS,
    ...overrides,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return no;
}

export async function act(client: ApiClient, no: string, action: string, body: unknown): Promise<any> {
  const response = await client.post(`/api/v1/contracts/${no}/${action}`, body);
  expect(response.status, `${action}: ${JSON.stringify(response.body)}`).toBe(200);
  return response.body;
}

export const LOW_RISK = { risk: { customerRisk: 1, projectRisk: 2, requirementRisk: 2 } };

/** Takes a registered contract through approval, review, signing (signedOn), split, budget and handover. */
export async function driveToDelivery(
  people: People,
  no: string,
  signedOn: string,
  planned: { plannedDeliveryDate?: string; plannedAcceptanceDate?: string } = {},
): Promise<void> {
  await act(people.finance, no, 'approve', LOW_RISK);
  await act(people.sales, no, 'review', { estimatedCost: cny('60000.00') });
  await act(people.sales, no, 'sign', { signedOn });
  await act(people.finance, no, 'split', {
    milestones: [
      { kind: 'advance', percent: '40', trigger: { type: 'on_signing' }, termDays: 30 },
      { kind: 'final', percent: '60', trigger: { type: 'on_acceptance' }, termDays: 30 },
    ],
  });
  await act(people.finance, no, 'budget', { budget: cny('65000.00') });
  await act(people.sales, no, 'handover', {
    owners: {
      account: 'Sally Sales',
      solution: 'Sam Solution',
      fulfilment: 'Dee Delivery',
      finance: 'Fiona Finance',
      executiveSponsor: 'Eve Exec',
    },
    ...planned,
  });
}

/** Starts the API harness and one person per role for a test file, and stops them after it. */
export function apiSuiteWithPeople(): { readonly harness: ApiHarness; readonly people: People } {
  const suite = {} as { harness: ApiHarness; people: People };
  beforeAll(async () => {
    suite.harness = await startApiHarness();
    suite.people = await createPeople(suite.harness);
  });
  afterAll(async () => {
    await suite.harness?.stop();
  });
  return suite;
}
