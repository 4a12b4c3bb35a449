import type { Db } from '../../db/connect';

export interface InvoiceFixture {
  customerCode: string;
  contractNo: string;
  invoiceNo: string;
  locale?: 'zh-CN' | 'en';
  timeZone?: string;
  amountMinor: number;
  issueDate: string;
  dueDate: string;
}

/** Writes a customer, a signed contract and an open invoice straight to the database, for collection tests. */
export async function insertInvoice(db: Db, f: InvoiceFixture): Promise<void> {
  await db
    .insertInto('customers')
    .values({
      code: f.customerCode,
      name: `${f.customerCode} Ltd`,
      grade: 'A',
      credit_limit_minor: 100_000_000,
      currency: 'CNY',
      credit_hold_reason: null,
      locale: f.locale ?? 'zh-CN',
      time_zone: f.timeZone ?? 'Asia/Shanghai',
    })
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
  await db
    .insertInto('customer_contacts')
    .values([
      {
        customer_code: f.customerCode,
        role: 'payment_owner',
        name: 'Pat Payer',
        email: `payer@${f.customerCode.toLowerCase()}.test`,
        phone: null,
      },
      {
        customer_code: f.customerCode,
        role: 'finance',
        name: 'Fay Finance',
        email: `finance@${f.customerCode.toLowerCase()}.test`,
        phone: null,
      },
      {
        customer_code: f.customerCode,
        role: 'decision_maker',
        name: 'Dan Director',
        email: `director@${f.customerCode.toLowerCase()}.test`,
        phone: null,
      },
    ])
    .execute();
  await db
    .insertInto('contracts')
    .values({
      no: f.contractNo,
      customer_code: f.customerCode,
      title: 'Warehouse system',
      amount_minor: f.amountMinor,
      currency: 'CNY',
      payment_terms_type: 'credit_terms',
      stage: 'Collection',
      terms: JSON.stringify({ paymentMethod: 'bank transfer' }),
      details: JSON.stringify({}),
      owners: JSON.stringify({
        account: 'Sally Sales',
        fulfilment: 'Dee Delivery',
        finance: 'Fiona Finance',
        executiveSponsor: 'Eve Exec',
        emails: { fulfilment: 'dee@huikuan.test', finance: 'fiona@huikuan.test' },
      }),
      created_by: 'sally',
    })
    .execute();
  await db
    .insertInto('milestones')
    .values({
      contract_no: f.contractNo,
      seq: 1,
      kind: 'progress',
      amount_minor: f.amountMinor,
      trigger: JSON.stringify({ type: 'on_signing' }),
      term_days: 30,
      status: 'invoiced',
    })
    .execute();
  await db
    .insertInto('invoices')
    .values({
      no: f.invoiceNo,
      contract_no: f.contractNo,
      milestone_seq: 1,
      customer_code: f.customerCode,
      currency: 'CNY',
      amount_minor: f.amountMinor,
      tax_rate_percent: null,
      tax_minor: 0,
      balance_minor: f.amountMinor,
      issue_date: f.issueDate,
      due_date: f.dueDate,
      status: 'open',
      issued_by: 'fiona',
    })
    .execute();
}

/** Sets an invoice's balance as a recorded payment would. */
export async function setBalance(db: Db, invoiceNo: string, balanceMinor: number): Promise<void> {
  await db
    .updateTable('invoices')
    .set({ balance_minor: balanceMinor, status: balanceMinor <= 0 ? 'paid' : 'open' })
    .where('no', '=', invoiceNo)
    .execute();
}
