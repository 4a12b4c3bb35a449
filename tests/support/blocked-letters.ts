/**
 * The blocked-letter scenario shared by the contacts and sweep tests: a go-live import of a customer with only
 * a payment owner and one invoice 70 days overdue, the letters, mails, timeline and task that follow, and a
 * grade-D policy whose executive letter must reach the decision maker.
 */
import { expect } from 'vitest';
import { DEFAULT_POLICY } from '../../domain/policy';
import type { ApiHarness } from './api-harness';
import { type People, daysAgo, uniqueCode } from './scenario';

export const csv = (rows: (string | number)[][]) => `${rows.map((r) => r.join(',')).join('\r\n')}\r\n`;

export function blockedLetterScenario(
  suite: { readonly harness: ApiHarness; readonly people: People },
  codePrefix: string,
) {
  const db = () => suite.harness.database.db;
  /** A go-live import of one customer with only a payment owner and one invoice 70 days overdue. */
  async function importSeventyDaysOverdue(grade = '') {
    const prefix = uniqueCode(codePrefix);
    const customer = `${prefix}-C`;
    const contract = `${prefix}-K`;
    const invoice = `${prefix}-I`;
    const payer = `payer@${customer.toLowerCase()}.test`;
    const response = await suite.people.finance.post('/api/v1/imports/historical', {
      customers: {
        fileName: 'customers.csv',
        content: csv([
          ['code', 'name', 'credit_limit', 'currency', 'locale', 'time_zone', 'contact_name', 'contact_email', 'grade'],
          [customer, `${customer} Ltd`, '500000', 'CNY', 'en', 'Asia/Shanghai', 'Pat Payer', payer, grade],
        ]),
      },
      contracts: {
        fileName: 'contracts.csv',
        content: csv([
          ['Contract No', 'Customer Code', 'Title', 'Amount', 'Currency', 'Department', 'Owner', 'Signed Date'],
          [contract, customer, 'Training', '50000.00', 'CNY', '', 'Sally Sales', daysAgo(200)],
        ]),
      },
      invoices: {
        fileName: 'invoices.csv',
        content: csv([
          ['invoice_no', 'contract_no', 'issue_date', 'due_date', 'amount'],
          [invoice, contract, daysAgo(100), daysAgo(70), '50000.00'],
        ]),
      },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return { customer, contract, invoice, payer };
  }

  async function lettersOf(invoiceNo: string) {
    return db().selectFrom('letters').selectAll().where('invoice_no', '=', invoiceNo).orderBy('id').execute();
  }

  async function mailboxFor(invoiceNo: string) {
    return db()
      .selectFrom('mailbox')
      .select(['message_id', 'envelope_to', 'deliveries', 'subject'])
      .where('message_id', 'like', `%${invoiceNo.replace(/[^A-Za-z0-9._-]/g, '_')}%`)
      .execute();
  }

  async function timelineActions(invoiceNo: string): Promise<string[]> {
    const rows = await db()
      .selectFrom('timeline')
      .select('action')
      .where('invoice_no', '=', invoiceNo)
      .orderBy('id')
      .execute();
    return rows.map((r) => r.action);
  }

  async function contactTask(invoiceNo: string) {
    return db()
      .selectFrom('tasks')
      .selectAll()
      .where('invoice_no', '=', invoiceNo)
      .where('kind', '=', 'contact_missing')
      .executeTakeFirst();
  }

  /** Grade D customers follow a policy whose executive letter must reach the decision maker (saved once per file). */
  let strictPolicy: Promise<{ id: string; steps: { key: string; blockWithoutRecipient?: boolean }[] }> | undefined;
  function strictPolicyForGradeD() {
    strictPolicy ??= (async () => {
      const policy = {
        ...DEFAULT_POLICY,
        id: uniqueCode('needs-dm'),
        name: 'Executive letter to the decision maker only',
        steps: DEFAULT_POLICY.steps.map((s) => (s.key === 'executive_60' ? { ...s, blockWithoutRecipient: true } : s)),
      };
      const { version: _version, ...body } = policy;
      const saved = await suite.harness.admin.post('/api/v1/policies', body);
      expect(saved.status, JSON.stringify(saved.body)).toBe(201);
      const selected = await suite.harness.admin.put('/api/v1/policy-selections', {
        scope: 'grade',
        key: 'D',
        policyId: policy.id,
      });
      expect(selected.status, JSON.stringify(selected.body)).toBe(200);
      return saved.body;
    })();
    return strictPolicy;
  }

  return { importSeventyDaysOverdue, lettersOf, mailboxFor, timelineActions, contactTask, strictPolicyForGradeD };
}
