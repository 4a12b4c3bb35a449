/**
 * Imports against a real PostgreSQL, the real Temporal dev server and a real worker: bank statements
 * (GBK, BOM, Chinese headers, thousands separators, duplicates) and the go-live historical import
 * (all or nothing, idempotent, collections started with the catch-up rule, disputes pausing them).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { collectionStatusQuery } from '../../workflows/collection-messages';
import { eventually } from '../support/api-harness';
import { apiSuiteWithPeople, daysAgo, todayInShanghai, uniqueCode } from '../support/scenario';

const suite = apiSuiteWithPeople();
const db = () => suite.harness.database.db;

const csv = (rows: (string | number)[][]) =>
  `${rows
    .map((r) =>
      r
        .map((c) => {
          const text = String(c);
          return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
        })
        .join(','),
    )
    .join('\r\n')}\r\n`;
const BOM = '\uFEFF';
const base64 = (bytes: Buffer) => bytes.toString('base64');

async function tableCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [
    'customers',
    'customer_contacts',
    'contracts',
    'milestones',
    'invoices',
    'payments',
    'allocations',
    'disputes',
  ] as const) {
    const row = await db()
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

/** A go-live data set: two customers, two contracts, four invoices, four settlements; dates relative to today. */
function goLiveFiles(prefix = uniqueCode('GL')) {
  const c1 = `${prefix}-C1`;
  const c2 = `${prefix}-C2`;
  const k1 = `${prefix}-K1`;
  const k2 = `${prefix}-K2`;
  const inv = (n: number) => `${prefix}-I${n}`;
  const customers =
    BOM +
    csv([
      ['code', 'name', 'credit_limit', 'currency', 'locale', 'time_zone', 'contact_name', 'contact_email'],
      [
        c1,
        `${c1} Trading Co.`,
        '1,000,000.00',
        'CNY',
        'zh-CN',
        'Asia/Shanghai',
        '王芳',
        `payer@${c1.toLowerCase()}.test`,
      ],
      [c2, `${c2} Ltd`, '500000', 'CNY', 'en', '', 'Pat Payer', `payer@${c2.toLowerCase()}.test`],
    ]);
  const contracts = csv([
    ['Contract No', 'Customer Code', 'Title', 'Amount', 'Currency', 'Department', 'Owner', 'Signed Date'],
    [k1, c1, 'Warehouse system', '¥300,000.00', 'CNY', 'East', 'Sally Sales', daysAgo(200).replace(/-/g, '/')],
    [k2, c2, 'Training', '50,000.00', 'CNY', '', '', ''],
  ]);
  // Chinese headers, in GBK.
  const invoices = iconv.encode(
    csv([
      ['发票号', '合同编号', '开票日期', '到期日', '发票金额', '争议'],
      [inv(1), k1, daysAgo(150), daysAgo(120), '100,000.00', '否'],
      [inv(2), k1, daysAgo(75), daysAgo(45), '100,000.00', ''],
      [inv(3), k1, daysAgo(50), daysAgo(20), '100,000.00', '是'],
      [inv(4), k2, daysAgo(90), daysAgo(60), '50,000.00', 'no'],
    ]),
    'gbk',
  );
  const settlements = csv([
    ['invoice_no', 'settled_date', 'amount', 'reference'],
    [inv(1), daysAgo(125), '40,000.00', ''],
    [inv(1), daysAgo(110), '60,000.00', ''],
    [inv(2), daysAgo(30), '40,000.00', `BANK-${prefix}-77`],
    [inv(4), daysAgo(61), '50000', ''],
  ]);
  const body = {
    customers: { fileName: 'customers.csv', content: customers },
    contracts: { fileName: 'contracts.csv', content: contracts },
    invoices: { fileName: 'invoices.csv', contentBase64: base64(invoices), encoding: 'gbk' },
    settlements: { fileName: 'settlements.csv', content: settlements },
  };
  return { prefix, c1, c2, k1, k2, inv, body, raw: { customers, contracts, invoices, settlements } };
}

describe('historical import at go-live', () => {
  const data = goLiveFiles();

  it('imports customers, contracts, invoices and settlements with the right balances and stages', async () => {
    const response = await suite.people.finance.post('/api/v1/imports/historical', data.body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const report = response.body;
    expect(report.status).toBe('imported');
    expect(report.customers).toEqual({ read: 2, imported: 2, duplicates: 0, rejected: 0 });
    expect(report.contracts).toEqual({ read: 2, imported: 2, duplicates: 0, rejected: 0 });
    expect(report.invoices).toEqual({ read: 4, imported: 4, duplicates: 0, rejected: 0 });
    expect(report.settlements).toEqual({ read: 4, imported: 4, duplicates: 0, rejected: 0 });
    expect(report.openInvoices).toBe(2);
    expect(report.paidInvoices).toBe(2);
    expect(report.disputesOpened).toBe(1);
    expect(report.collections).toEqual({ open: 2, started: 2, alreadyRunning: 0, disputesOpened: 1, failed: [] });

    const contracts = await db()
      .selectFrom('contracts')
      .select(['no', 'stage', 'amount_minor', 'department', 'account_owner', 'details'])
      .where('no', 'in', [data.k1, data.k2])
      .orderBy('no')
      .execute();
    expect(contracts.map((k) => [k.no, k.stage, k.amount_minor])).toEqual([
      [data.k1, 'Collection', 30_000_000],
      [data.k2, 'Closed', 5_000_000],
    ]);
    expect(contracts[0]).toMatchObject({
      department: 'East',
      account_owner: 'Sally Sales',
      details: { source: 'historical', signedOn: daysAgo(200) },
    });

    const invoices = await db()
      .selectFrom('invoices')
      .select(['no', 'status', 'balance_minor', 'paid_on', 'source', 'milestone_seq', 'policy_id', 'policy_version'])
      .where('contract_no', 'in', [data.k1, data.k2])
      .orderBy('no')
      .execute();
    expect(invoices.map((i) => [i.no, i.status, i.balance_minor, i.paid_on])).toEqual([
      [data.inv(1), 'paid', 0, daysAgo(110)],
      [data.inv(2), 'open', 6_000_000, null],
      [data.inv(3), 'open', 10_000_000, null],
      [data.inv(4), 'paid', 0, daysAgo(61)],
    ]);
    expect(
      invoices.every((i) => i.source === 'historical' && i.policy_id === 'default' && i.policy_version === 1),
    ).toBe(true);
    const milestones = await db()
      .selectFrom('milestones')
      .select(['contract_no', 'seq', 'kind', 'status', 'term_days', 'amount_minor'])
      .where('contract_no', 'in', [data.k1, data.k2])
      .orderBy('contract_no')
      .orderBy('seq')
      .execute();
    expect(milestones.map((m) => [m.seq, m.kind, m.status, m.term_days])).toEqual([
      [1, 'final', 'paid', 30],
      [2, 'final', 'invoiced', 30],
      [3, 'final', 'invoiced', 30],
      [1, 'final', 'paid', 30],
    ]);

    const payments = await db()
      .selectFrom('payments')
      .innerJoin('allocations', 'allocations.payment_id', 'payments.id')
      .select([
        'payments.reference',
        'payments.amount_minor',
        'payments.received_on',
        'payments.source',
        'payments.status',
        'payments.unallocated_minor',
        'allocations.invoice_no',
        'allocations.rule',
      ])
      .where('payments.customer_code', 'in', [data.c1, data.c2])
      .orderBy('payments.received_on')
      .execute();
    expect(payments).toEqual([
      {
        reference: `HIST-${data.inv(1)}-1`,
        amount_minor: 4_000_000,
        received_on: daysAgo(125),
        source: 'historical',
        status: 'matched',
        unallocated_minor: 0,
        invoice_no: data.inv(1),
        rule: 'historical',
      },
      {
        reference: `HIST-${data.inv(1)}-2`,
        amount_minor: 6_000_000,
        received_on: daysAgo(110),
        source: 'historical',
        status: 'matched',
        unallocated_minor: 0,
        invoice_no: data.inv(1),
        rule: 'historical',
      },
      {
        reference: `HIST-${data.inv(4)}-1`,
        amount_minor: 5_000_000,
        received_on: daysAgo(61),
        source: 'historical',
        status: 'matched',
        unallocated_minor: 0,
        invoice_no: data.inv(4),
        rule: 'historical',
      },
      {
        reference: `BANK-${data.prefix}-77`,
        amount_minor: 4_000_000,
        received_on: daysAgo(30),
        source: 'historical',
        status: 'matched',
        unallocated_minor: 0,
        invoice_no: data.inv(2),
        rule: 'historical',
      },
    ]);
    const customer = await db()
      .selectFrom('customers')
      .selectAll()
      .where('code', '=', data.c2)
      .executeTakeFirstOrThrow();
    expect(customer).toMatchObject({
      credit_limit_minor: 50_000_000,
      locale: 'en',
      time_zone: 'Asia/Shanghai',
      currency: 'CNY',
    });
    const contacts = await db()
      .selectFrom('customer_contacts')
      .select(['role', 'email'])
      .where('customer_code', '=', data.c1)
      .execute();
    expect(contacts).toEqual([{ role: 'payment_owner', email: `payer@${data.c1.toLowerCase()}.test` }]);

    const dispute = await db()
      .selectFrom('disputes')
      .selectAll()
      .where('invoice_no', '=', data.inv(3))
      .executeTakeFirstOrThrow();
    expect(dispute).toMatchObject({
      id: `${data.inv(3)}/D1`,
      reason: 'customer_process_blocked',
      note: 'imported at go-live',
      status: 'open',
      routed_to: 'assistant',
    });

    const stored = await suite.people.finance.get(`/api/v1/imports/${report.importId}`);
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({
      kind: 'historical',
      status: 'imported',
      report: { invoices: { imported: 4 } },
    });
  });

  it('starts collection only for open invoices: the overdue one catches up with one letter, the disputed one pauses', async () => {
    const client = suite.harness.client;
    for (const paid of [data.inv(1), data.inv(4)]) {
      await expect(client.workflow.getHandle(`invoice/${paid}`).describe()).rejects.toThrow(/not found/i);
    }
    const overdue = client.workflow.getHandle(`invoice/${data.inv(2)}`);
    expect((await overdue.describe()).status.name).toBe('RUNNING');
    // 45 days overdue: the +30 statement is the one letter sent; the earlier rungs are skipped, not sent.
    const letters = await eventually(
      async () => {
        const rows = await db()
          .selectFrom('letters')
          .select(['step', 'status'])
          .where('invoice_no', '=', data.inv(2))
          .execute();
        return rows.some((l) => l.status === 'sent') ? rows : undefined;
      },
      60_000,
      'the catch-up letter',
    );
    expect(letters.map((l) => l.step)).toEqual(['statement_30']);

    const disputed = client.workflow.getHandle(`invoice/${data.inv(3)}`);
    const status = await disputed.query(collectionStatusQuery);
    expect(status).toMatchObject({ pausedBy: 'dispute', disputeId: `${data.inv(3)}/D1` });
    await eventually(
      async () =>
        (await db()
          .selectFrom('tasks')
          .select('id')
          .where('task_key', '=', `dispute/${data.inv(3)}/D1`)
          .executeTakeFirst()) ?? undefined,
      30_000,
      'the dispute task',
    );
    expect(await db().selectFrom('letters').select('id').where('invoice_no', '=', data.inv(3)).execute()).toEqual([]);
    expect(await db().selectFrom('disputes').select('id').where('invoice_no', '=', data.inv(3)).execute()).toHaveLength(
      1,
    );
  });

  it('imports nothing new from the same files again, and leaves running collections alone', async () => {
    const before = await tableCounts();
    const again = await suite.people.finance.post('/api/v1/imports/historical', data.body);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.customers).toEqual({ read: 2, imported: 0, duplicates: 2, rejected: 0 });
    expect(again.body.contracts).toEqual({ read: 2, imported: 0, duplicates: 2, rejected: 0 });
    expect(again.body.invoices).toEqual({ read: 4, imported: 0, duplicates: 4, rejected: 0 });
    expect(again.body.settlements).toEqual({ read: 4, imported: 0, duplicates: 4, rejected: 0 });
    expect(again.body.collections).toEqual({ open: 2, started: 0, alreadyRunning: 2, disputesOpened: 0, failed: [] });
    expect(await tableCounts()).toEqual(before);
  });

  it('rejects rows present with other values, and imports nothing', async () => {
    const before = await tableCounts();
    const changed = data.raw.customers.replace('1,000,000.00', '2,000,000.00');
    const response = await suite.people.finance.post('/api/v1/imports/historical', {
      ...data.body,
      customers: { fileName: 'customers.csv', content: changed },
    });
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([
      {
        code: 'rejected_row',
        field: 'customers[2].code',
        message: expect.stringContaining('already exists with other values: credit limit 1000000.00'),
      },
    ]);
    expect(await tableCounts()).toEqual(before);
  });
});

describe('a malformed historical file', () => {
  it('lists every bad row and imports nothing at all', async () => {
    const data = goLiveFiles();
    const before = await tableCounts();
    const invoices = csv([
      ['invoice_no', 'contract_no', 'issue_date', 'due_date', 'amount', 'disputed'],
      [data.inv(1), data.k1, '2025-02-30', daysAgo(10), '100.00', ''],
      [data.inv(2), data.k1, daysAgo(40), daysAgo(10), '-100.00', ''],
      [data.inv(3), `${data.prefix}-NOPE`, daysAgo(40), daysAgo(10), '100.00', ''],
      [data.inv(4), data.k2, daysAgo(40), daysAgo(10), '100.00', 'perhaps'],
    ]);
    const response = await suite.people.finance.post('/api/v1/imports/historical', {
      ...data.body,
      invoices: { fileName: 'bad-invoices.csv', content: invoices },
      settlements: undefined,
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('4 row(s) rejected: nothing was imported');
    expect(response.body.details).toEqual([
      {
        code: 'rejected_row',
        field: 'invoices[2].issue_date',
        message: expect.stringContaining('not a day of the calendar'),
      },
      { code: 'rejected_row', field: 'invoices[3].amount', message: expect.stringContaining('more than zero') },
      {
        code: 'rejected_row',
        field: 'invoices[4].contract_no',
        message: `no contract ${data.prefix}-NOPE in the contracts file or the database`,
      },
      { code: 'rejected_row', field: 'invoices[5].disputed', message: expect.stringContaining('is not yes or no') },
    ]);
    expect(response.body.report).toMatchObject({
      status: 'rejected',
      customers: { read: 2, imported: 0, rejected: 0 },
      invoices: { read: 4, imported: 0, rejected: 4 },
    });
    expect(await tableCounts()).toEqual(before);
    const stored = await suite.people.finance.get(`/api/v1/imports/${response.body.report.importId}`);
    expect(stored.body).toMatchObject({
      status: 'rejected',
      report: { errors: expect.arrayContaining([expect.objectContaining({ file: 'invoices', row: 3 })]) },
    });
  });

  it('refuses settlements beyond the invoice, a file without a needed column, and other roles', async () => {
    const data = goLiveFiles();
    const before = await tableCounts();
    const settlements = csv([
      ['invoice_no', 'settled_date', 'amount'],
      [data.inv(4), daysAgo(61), '50,000.00'],
      [data.inv(4), daysAgo(60), '0.01'],
    ]);
    const over = await suite.people.finance.post('/api/v1/imports/historical', {
      ...data.body,
      settlements: { fileName: 's.csv', content: settlements },
    });
    expect(over.status).toBe(400);
    expect(over.body.details).toEqual([
      {
        code: 'rejected_row',
        field: 'settlements[3].amount',
        message: expect.stringContaining('more than its amount 50000.00'),
      },
    ]);

    const noColumn = await suite.people.finance.post('/api/v1/imports/historical', {
      customers: { fileName: 'c.csv', content: 'code,name\nX,Y\n' },
    });
    expect(noColumn.status).toBe(400);
    expect(noColumn.body.details[0].field).toBe('customers');
    expect(noColumn.body.details[0].message).toContain('"credit_limit"');

    const bySales = await suite.people.sales.post('/api/v1/imports/historical', data.body);
    expect(bySales.status).toBe(403);
    expect(await tableCounts()).toEqual(before);
  });
});

describe('bank-statement import', () => {
  /** One customer with one open invoice (imported at go-live), to be paid by the statement. */
  async function customerWithInvoice() {
    const data = goLiveFiles();
    const invoices = csv([
      ['invoice_no', 'contract_no', 'issue_date', 'due_date', 'amount'],
      [data.inv(9), data.k1, daysAgo(20), daysAgo(5), '12,345.00'],
    ]);
    const response = await suite.people.finance.post('/api/v1/imports/historical', {
      customers: data.body.customers,
      contracts: data.body.contracts,
      invoices: { fileName: 'i.csv', content: invoices },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return { ...data, invoiceNo: data.inv(9), customerName: `${data.c1} Trading Co.` };
  }

  it('reads a GBK statement with a preamble, Chinese headers and thousands separators, and imports it once', async () => {
    const fixture = await customerWithInvoice();
    const [y, m, d] = daysAgo(2).split('-');
    const statement = iconv.encode(
      csv([
        ['账号：6222 0000 1111 2222', '户名：回款科技有限公司'],
        ['交易日期', '借方金额', '贷方金额', '币种', '对方户名', '对方账号', '摘要'],
        [
          `${y}年${Number(m)}月${Number(d)}日`,
          '',
          '￥12,345.00 ',
          '人民币',
          fixture.customerName,
          '6217 0000 9999',
          `付${fixture.invoiceNo}货款`,
        ],
        [daysAgo(2).replace(/-/g, ''), '', '1,000.00', 'RMB', fixture.customerName, '6217 0000 9999', '预付款'],
        [daysAgo(2).replace(/-/g, ''), '', '1,000.00', 'RMB', fixture.customerName, '6217 0000 9999', '预付款'],
        [daysAgo(1), '500.00', '', '人民币', '房东', '6200 1', '房租'],
        [daysAgo(1), '', '8,888.88', '人民币', '某某不认识的公司', '6200 2', '货款'],
        ['2026-13-45', '', '1.00', '人民币', fixture.customerName, '6217 0000 9999', 'x'],
      ]),
      'gbk',
    );
    const request = {
      fileName: '工商银行对账单.csv',
      contentBase64: base64(statement),
      mapping: {
        date: '交易日期',
        amount: '贷方金额',
        debitAmount: '借方金额',
        currency: '币种',
        payerName: '对方户名',
        payerAccount: '对方账号',
        remittance: '摘要',
      },
    };
    const first = await suite.people.finance.post('/api/v1/imports/bank-statements', request);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({
      encoding: 'gb18030',
      rowsRead: 6,
      imported: 3,
      unmatched: 1,
      duplicates: 0,
      rejected: 1,
    });
    expect(first.body.skipped).toEqual([
      { row: 6, reason: expect.stringContaining('outgoing line (借方金额 500.00)') },
    ]);
    expect(first.body.errors).toEqual([{ row: 8, field: '交易日期', message: expect.stringContaining('2026-13-45') }]);
    expect(first.body.rows[0]).toMatchObject({
      row: 3,
      outcome: 'imported',
      customerCode: fixture.c1,
      amount: '12345.00',
      allocations: [{ invoiceNo: fixture.invoiceNo, amount: '12345.00' }],
    });
    expect(first.body.rows.map((r: { row: number; outcome: string }) => [r.row, r.outcome])).toEqual([
      [3, 'imported'],
      [4, 'imported'],
      [5, 'imported'],
      [7, 'unmatched'],
    ]);

    const payments = await db()
      .selectFrom('payments')
      .select(['amount_minor', 'status', 'customer_code', 'source', 'payer_account', 'received_on'])
      .where('import_id', '=', first.body.importId)
      .orderBy('id')
      .execute();
    expect(payments).toEqual([
      {
        amount_minor: 1_234_500,
        status: 'matched',
        customer_code: fixture.c1,
        source: 'bank_import',
        payer_account: '621700009999',
        received_on: daysAgo(2),
      },
      {
        amount_minor: 100_000,
        status: 'matched',
        customer_code: fixture.c1,
        source: 'bank_import',
        payer_account: '621700009999',
        received_on: daysAgo(2),
      },
      {
        amount_minor: 100_000,
        status: 'matched',
        customer_code: fixture.c1,
        source: 'bank_import',
        payer_account: '621700009999',
        received_on: daysAgo(2),
      },
      {
        amount_minor: 888_888,
        status: 'unmatched',
        customer_code: null,
        source: 'bank_import',
        payer_account: '62002',
        received_on: daysAgo(1),
      },
    ]);
    const invoice = await db()
      .selectFrom('invoices')
      .select(['status', 'balance_minor', 'paid_on'])
      .where('no', '=', fixture.invoiceNo)
      .executeTakeFirstOrThrow();
    expect(invoice).toEqual({ status: 'paid', balance_minor: 0, paid_on: daysAgo(2) });
    // The collection was told: paid in full, it ends.
    await eventually(
      async () =>
        (await suite.harness.client.workflow.getHandle(`invoice/${fixture.invoiceNo}`).describe()).status.name ===
        'COMPLETED'
          ? true
          : undefined,
      60_000,
      'the collection to end',
    );

    const countBefore = await db()
      .selectFrom('payments')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const second = await suite.people.finance.post('/api/v1/imports/bank-statements', request);
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ rowsRead: 6, imported: 0, unmatched: 0, duplicates: 4, rejected: 1 });
    const countAfter = await db()
      .selectFrom('payments')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(countAfter.n).toBe(countBefore.n);

    const stored = await suite.people.finance.get(`/api/v1/imports/${first.body.importId}`);
    expect(stored.body).toMatchObject({
      kind: 'bank_statement',
      status: 'completed_with_rejections',
      fileName: '工商银行对账单.csv',
      report: { imported: 3, unmatched: 1 },
    });
  });

  it('reads a UTF-8 file with a BOM and the English layout by default; the bank reference identifies a line', async () => {
    const fixture = await customerWithInvoice();
    const ref = uniqueCode('REF');
    const statement =
      BOM +
      csv([
        [
          'Transaction Date',
          'Debit Amount',
          'Credit Amount',
          'Currency',
          'Counterparty Name',
          'Counterparty Account',
          'Remarks',
          'Reference',
        ],
        [daysAgo(3), '', '2,000.00', 'CNY', fixture.customerName, '1', 'advance', `${ref}-1`],
        [daysAgo(3), '', '１２３', 'CNY', fixture.customerName, '1', 'advance', `${ref}-2`],
        [daysAgo(3), '', '0.00', 'CNY', fixture.customerName, '1', 'nothing', `${ref}-3`],
      ]);
    const first = await suite.people.finance.post('/api/v1/imports/bank-statements', {
      fileName: 'hsbc.csv',
      content: statement,
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({
      encoding: 'utf-8',
      rowsRead: 3,
      imported: 2,
      duplicates: 0,
      rejected: 0,
      columns: { date: 'Transaction Date', amount: 'Credit Amount', reference: 'Reference' },
    });
    expect(first.body.skipped).toEqual([{ row: 4, reason: 'zero amount 0.00 CNY: not money in' }]);
    const references = await db()
      .selectFrom('payments')
      .select(['reference', 'dedupe_key', 'amount_minor'])
      .where('import_id', '=', first.body.importId)
      .orderBy('id')
      .execute();
    expect(references).toEqual([
      {
        reference: `${ref}-1`,
        dedupe_key: `bank-ref:${JSON.stringify([`${ref}-1`, daysAgo(3), 200_000, 'CNY'])}`,
        amount_minor: 200_000,
      },
      {
        reference: `${ref}-2`,
        dedupe_key: `bank-ref:${JSON.stringify([`${ref}-2`, daysAgo(3), 12_300, 'CNY'])}`,
        amount_minor: 12_300,
      },
    ]);
    // The same lines in another export (other remarks, a different layout) are still the same payments.
    const reexport = csv([
      ['Date', 'Amount', 'Reference', 'Description'],
      [daysAgo(3), '2000', `${ref}-1`, 'ADVANCE'],
    ]);
    const second = await suite.people.finance.post('/api/v1/imports/bank-statements', {
      fileName: 'hsbc-2.csv',
      content: reexport,
      mapping: 'en',
    });
    expect(second.body).toMatchObject({ imported: 0, duplicates: 1 });
  });

  it('answers 400 naming the field for a mapping or file it cannot read, and 403 to other roles', async () => {
    const statement = csv([
      ['Date', 'Amount'],
      [todayInShanghai(), '1.00'],
    ]);
    const missing = await suite.people.finance.post('/api/v1/imports/bank-statements', {
      fileName: 'x.csv',
      content: statement,
      mapping: { date: 'Date', amount: 'Credit' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.details[0].field).toBe('file');
    expect(missing.body.details[0].message).toContain('"Credit"');
    const unknownField = await suite.people.finance.post('/api/v1/imports/bank-statements', {
      fileName: 'x.csv',
      content: statement,
      mapping: { date: 'Date', amount: 'Amount', payer: 'X' },
    });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.details[0].field).toBe('mapping.payer');
    const both = await suite.people.finance.post('/api/v1/imports/bank-statements', {
      fileName: 'x.csv',
      content: statement,
      contentBase64: 'eA==',
    });
    expect(both.status).toBe(400);
    expect(both.body.details[0].field).toBe('content');
    const notUtf8 = await suite.people.finance.post('/api/v1/imports/bank-statements', {
      fileName: 'x.csv',
      contentBase64: base64(iconv.encode('日期,金额\n', 'gbk')),
      encoding: 'utf-8',
    });
    expect(notUtf8.status).toBe(400);
    expect(notUtf8.body.details[0].field).toBe('encoding');
    expect(
      (await suite.people.sales.post('/api/v1/imports/bank-statements', { fileName: 'x.csv', content: statement }))
        .status,
    ).toBe(403);
    expect((await suite.people.finance.get('/api/v1/imports/999999')).status).toBe(404);
    expect((await suite.people.finance.get('/api/v1/imports/abc')).status).toBe(400);
  });

  it('takes a statement larger than the 1mb other requests are limited to', async () => {
    const lines: string[][] = [['Date', 'Amount', 'Counterparty Name', 'Remarks']];
    // Zero lines are skipped without touching the database: this checks the size limit, not 20,000 payments.
    for (let i = 0; i < 20_000; i++) lines.push([daysAgo(4), '0.00', `Nobody ${i % 7}`, `line ${i} ${'x'.repeat(40)}`]);
    const content = csv(lines);
    expect(Buffer.byteLength(content)).toBeGreaterThan(1_100_000);
    const response = await suite.people.finance.post('/api/v1/imports/bank-statements', {
      fileName: 'big.csv',
      content,
      mapping: { date: 'Date', amount: 'Amount', remittance: 'Remarks' },
    });
    expect(response.status, JSON.stringify(response.body).slice(0, 300)).toBe(201);
    expect(response.body).toMatchObject({ rowsRead: 20_000, imported: 0, rejected: 0 });
    expect(response.body.skipped).toHaveLength(20_000);
  });
});

describe('the sample files in tests/fixtures/imports', () => {
  const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../fixtures/imports', name));

  it('import cleanly: the go-live set, then the Chinese statement with its mapping', async () => {
    const file = (name: string) => ({ fileName: name, contentBase64: base64(fixture(name)) });
    const historical = await suite.people.finance.post('/api/v1/imports/historical', {
      customers: file('customers.csv'),
      contracts: file('contracts.csv'),
      invoices: file('invoices.csv'),
      settlements: file('settlements.csv'),
    });
    expect(historical.status, JSON.stringify(historical.body)).toBe(201);
    expect(historical.body).toMatchObject({
      openInvoices: 2,
      paidInvoices: 2,
      disputesOpened: 1,
      invoices: { imported: 4 },
      settlements: { imported: 4 },
    });
    const terms = await db()
      .selectFrom('contracts')
      .select('terms')
      .where('no', '=', 'HT-2025-0007')
      .executeTakeFirstOrThrow();
    expect(terms.terms).toEqual({
      lateInterestRatePercent: '18.25',
      penaltyClause: '逾期付款每日按未付金额的万分之五支付违约金',
      paymentMethod: '银行转账',
    });
    const roles = await db()
      .selectFrom('customer_contacts')
      .select('role')
      .where('customer_code', '=', 'HD-LOG')
      .orderBy('role')
      .execute();
    expect(roles.map((r) => r.role)).toEqual(['acceptance_owner', 'decision_maker', 'finance', 'payment_owner']);
    const zh = await suite.people.finance.post('/api/v1/imports/bank-statements', {
      ...file('bank-statement-zh.csv'),
      mapping: JSON.parse(fixture('mapping-zh.json').toString('utf8')),
    });
    expect(zh.status, JSON.stringify(zh.body)).toBe(201);
    expect(zh.body).toMatchObject({ rowsRead: 3, imported: 1, unmatched: 1, rejected: 0, skipped: [{ row: 4 }] });
    expect(zh.body.rows[0]).toMatchObject({
      customerCode: 'HD-LOG',
      amount: '120000.00',
      allocations: expect.arrayContaining([{ invoiceNo: 'INV-2025-0042', amountMinor: 8_000_000, amount: '80000.00' }]),
    });
    const en = await suite.people.finance.post('/api/v1/imports/bank-statements', file('bank-statement-en.csv'));
    expect(en.body).toMatchObject({ rowsRead: 2, imported: 1, rejected: 0, rows: [{ customerCode: 'ACME' }] });
  });
});

describe('the import command', () => {
  it('prints progress and the report, and exits 1 when rows were rejected', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-cli-'));
    const data = goLiveFiles();
    fs.writeFileSync(path.join(dir, 'customers.csv'), data.raw.customers);
    fs.writeFileSync(
      path.join(dir, 'bad.csv'),
      csv([
        ['invoice_no', 'contract_no', 'issue_date', 'due_date', 'amount'],
        ['X-1', 'NOPE', daysAgo(3), daysAgo(1), '1.00'],
      ]),
    );
    const env = {
      ...process.env,
      DATABASE_URL: suite.harness.database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: suite.harness.taskQueue,
    };
    const run = (args: string[]) =>
      promisify(execFile)('npx', ['tsx', 'bin/import.ts', ...args], { env, cwd: process.cwd() }).then(
        (r) => ({ code: 0, ...r }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const bad = await run([
      'historical',
      '--customers',
      path.join(dir, 'customers.csv'),
      '--invoices',
      path.join(dir, 'bad.csv'),
      '--actor',
      'go-live',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('REJECTED: nothing was imported');
    expect(bad.stdout).toContain('invoices row 2, contract_no: no contract NOPE');
    expect(bad.stderr).toMatch(/validate: \d+\/\d+ \(\d+%\)/);
    const good = await run(['historical', '--customers', path.join(dir, 'customers.csv')]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('customers: read 2, imported 2, duplicates 0, rejected 0');
    const usage = await run(['bank']);
    expect(usage.code).toBe(2);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('go-live history with contract terms, settled disputes and every contact role (issue 11)', () => {
  const prefix = uniqueCode('GT');
  const c1 = `${prefix}-C1`;
  const k1 = `${prefix}-K1`;
  const inv = (n: number) => `${prefix}-I${n}`;
  const customers = csv([
    [
      'code',
      'name',
      'credit_limit',
      'currency',
      'locale',
      'contact_name',
      'contact_email',
      'decision_maker_name',
      'decision_maker_email',
      'acceptance_owner_name',
      'acceptance_owner_email',
      'customer_finance_name',
      'customer_finance_email',
    ],
    [
      c1,
      `${c1} Co.`,
      '1,000,000.00',
      'CNY',
      'en',
      'Pat Payer',
      `payer@${c1.toLowerCase()}.test`,
      'Dana Boss',
      `ceo@${c1.toLowerCase()}.test`,
      'Ann Accept',
      `qa@${c1.toLowerCase()}.test`,
      'Fin Desk',
      `ap@${c1.toLowerCase()}.test`,
    ],
  ]);
  const contracts = csv([
    ['contract_no', 'customer_code', 'title', 'amount', 'currency', 'late_interest_rate', 'penalty_clause'],
    [k1, c1, 'Warehouse system', '300,000.00', 'CNY', '18.25%', '0.05% of the overdue amount per day, at most 10%'],
  ]);
  const invoices = csv([
    [
      'invoice_no',
      'contract_no',
      'issue_date',
      'due_date',
      'amount',
      'disputed',
      'dispute_opened_date',
      'dispute_resolved_date',
    ],
    // Open, 45 days overdue: its catch-up statement states late interest at the contract's rate.
    [inv(1), k1, daysAgo(75), daysAgo(45), '100,000.00', '', '', ''],
    // Disputed for quality, resolved, then settled: a resolved dispute with its own dates.
    [inv(2), k1, daysAgo(100), daysAgo(70), '100,000.00', 'quality', daysAgo(68), daysAgo(50)],
    // Flagged "yes", settled: resolved, opened on the due date and resolved when it was settled.
    [inv(3), k1, daysAgo(90), daysAgo(60), '100,000.00', 'yes', '', ''],
  ]);
  const settlements = csv([
    ['invoice_no', 'settled_date', 'amount'],
    [inv(2), daysAgo(48), '100,000.00'],
    [inv(3), daysAgo(40), '100,000.00'],
  ]);
  const body = {
    customers: { fileName: 'customers.csv', content: customers },
    contracts: { fileName: 'contracts.csv', content: contracts },
    invoices: { fileName: 'invoices.csv', content: invoices },
    settlements: { fileName: 'settlements.csv', content: settlements },
  };
  const disputesReport = async () =>
    (await suite.people.executive.get(`/api/v1/reports/disputes?from=${daysAgo(80)}&to=${todayInShanghai()}`)).body;
  const countOf = (report: { reasons: { reason: string; opened: number; resolved: number }[] }, reason: string) =>
    report.reasons.find((r) => r.reason === reason) ?? { opened: 0, resolved: 0 };

  it('carries the late-interest rate and penalty clause into the terms, so the imported overdue invoice accrues interest', async () => {
    const before = await disputesReport();
    const response = await suite.people.finance.post('/api/v1/imports/historical', body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.body.warnings).toEqual([]);

    const contract = await db().selectFrom('contracts').select('terms').where('no', '=', k1).executeTakeFirstOrThrow();
    // Stored exactly as signing stores them (domain/contract-rules.ts ContractTerms).
    expect(contract.terms).toEqual({
      lateInterestRatePercent: '18.25',
      penaltyClause: '0.05% of the overdue amount per day, at most 10%',
    });

    // 100,000.00 at 18.25% is 50.00 a day: 45 days overdue today is 2,250.00 of interest on the statement.
    const letter = await eventually(
      async () =>
        (await db()
          .selectFrom('letters')
          .select(['step', 'body_text'])
          .where('invoice_no', '=', inv(1))
          .executeTakeFirst()) ?? undefined,
      60_000,
      'the catch-up statement',
    );
    expect(letter.step).toBe('statement_30');
    expect(letter.body_text).toContain('2,250.00');
    expect(letter.body_text).toContain('18.25');

    // The settled disputes are imported as resolved disputes with their dates, and the disputes report shows them.
    const disputes = await db()
      .selectFrom('disputes')
      .select(['id', 'invoice_no', 'reason', 'status', 'opened_at', 'resolved_at', 'note'])
      .where('invoice_no', 'in', [inv(1), inv(2), inv(3)])
      .orderBy('invoice_no')
      .execute();
    const midnight = (day: string) => new Date(`${day}T00:00:00+08:00`).toISOString();
    expect(
      disputes.map((d) => ({ ...d, opened_at: d.opened_at.toISOString(), resolved_at: d.resolved_at?.toISOString() })),
    ).toEqual([
      {
        id: `${inv(2)}/D0`,
        invoice_no: inv(2),
        reason: 'quality',
        status: 'resolved',
        opened_at: midnight(daysAgo(68)),
        resolved_at: midnight(daysAgo(50)),
        note: 'imported at go-live',
      },
      {
        id: `${inv(3)}/D0`,
        invoice_no: inv(3),
        reason: 'customer_process_blocked',
        status: 'resolved',
        opened_at: midnight(daysAgo(60)),
        resolved_at: midnight(daysAgo(40)),
        note: 'imported at go-live',
      },
    ]);
    expect(response.body.disputesResolved).toBe(2);
    const after = await disputesReport();
    expect(countOf(after, 'quality').opened - countOf(before, 'quality').opened).toBe(1);
    expect(countOf(after, 'quality').resolved - countOf(before, 'quality').resolved).toBe(1);
    expect(
      countOf(after, 'customer_process_blocked').resolved - countOf(before, 'customer_process_blocked').resolved,
    ).toBe(1);

    // Every contact role, with its address.
    const contacts = await db()
      .selectFrom('customer_contacts')
      .select(['role', 'name', 'email'])
      .where('customer_code', '=', c1)
      .orderBy('role')
      .execute();
    expect(contacts).toEqual([
      { role: 'acceptance_owner', name: 'Ann Accept', email: `qa@${c1.toLowerCase()}.test` },
      { role: 'decision_maker', name: 'Dana Boss', email: `ceo@${c1.toLowerCase()}.test` },
      { role: 'finance', name: 'Fin Desk', email: `ap@${c1.toLowerCase()}.test` },
      { role: 'payment_owner', name: 'Pat Payer', email: `payer@${c1.toLowerCase()}.test` },
    ]);

    // The same files again: all duplicates, nothing new.
    const counts = await tableCounts();
    const again = await suite.people.finance.post('/api/v1/imports/historical', body);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.contracts).toEqual({ read: 1, imported: 0, duplicates: 1, rejected: 0 });
    expect(await tableCounts()).toEqual(counts);
  });

  it("leaves exactly nothing owed when the statement's total is paid on the statement's day", async () => {
    const letter = await db()
      .selectFrom('letters')
      .select(['subject', 'body_text'])
      .where('invoice_no', '=', inv(1))
      .executeTakeFirstOrThrow();
    // 100,000.00 + 45 days at 50.00: the total the statement asks for today.
    expect(letter.subject).toContain('102,250.00');
    const paid = await suite.people.finance.post('/api/v1/payments', {
      customerCode: c1,
      invoiceNo: inv(1),
      amount: { value: '102250.00', currency: 'CNY' },
      reference: uniqueCode('BANK'),
      receivedOn: todayInShanghai(),
    });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    // The principal is paid; what is left on the payment is exactly the interest assessed for the same days.
    expect(paid.body.unallocated).toEqual({ value: '2250.00', currency: 'CNY' });
    const interest = await eventually(
      async () => {
        const invoice = (await suite.people.finance.get(`/api/v1/invoices/${inv(1)}`)).body;
        return invoice.lateInterest?.status === 'open' ? invoice.lateInterest : undefined;
      },
      30_000,
      'the interest assessment',
    );
    expect(interest.amount).toEqual({ value: '2250.00', currency: 'CNY' });
  });

  it('refuses a bad contact address, a bad rate or bad dispute dates naming the row and field, and imports nothing', async () => {
    const p = uniqueCode('GX');
    const before = await tableCounts();
    const response = await suite.people.finance.post('/api/v1/imports/historical', {
      customers: {
        fileName: 'c.csv',
        content: csv([
          [
            'code',
            'name',
            'credit_limit',
            'currency',
            'contact_name',
            'contact_email',
            '决策人',
            '决策人邮箱',
            'customer_finance_email',
          ],
          [`${p}-C1`, 'One', '100', 'CNY', 'Pat', 'pat@one.test', 'Boss', 'boss-at-one.test', ''],
          [`${p}-C2`, 'Two', '100', 'CNY', 'Pat', 'pat@two.test', '', '', 'finance@two.test'],
        ]),
      },
      contracts: {
        fileName: 'k.csv',
        content: csv([
          ['contract_no', 'customer_code', 'title', 'amount', 'currency', 'late_interest_rate'],
          [`${p}-K1`, `${p}-C1`, 'T', '100', 'CNY', 'eighteen'],
        ]),
      },
      invoices: {
        fileName: 'i.csv',
        content: csv([
          [
            'invoice_no',
            'contract_no',
            'issue_date',
            'due_date',
            'amount',
            'disputed',
            'dispute_opened_date',
            'dispute_resolved_date',
          ],
          [`${p}-I1`, `${p}-K1`, daysAgo(40), daysAgo(10), '100', 'quality', daysAgo(5), daysAgo(8)],
        ]),
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([
      {
        code: 'rejected_row',
        field: 'customers[2].决策人邮箱',
        message: '"boss-at-one.test" is not an email address',
      },
      {
        code: 'rejected_row',
        field: 'customers[3].customer_finance_email',
        message: "the customer's finance contact needs a name as well as an address",
      },
      {
        code: 'rejected_row',
        field: 'contracts[2].late_interest_rate',
        message: '"eighteen" must be an annual percentage such as 18.25',
      },
      {
        code: 'rejected_row',
        field: 'invoices[2].dispute_resolved_date',
        message: `${daysAgo(8)} is before the dispute was opened (${daysAgo(5)})`,
      },
    ]);
    expect(await tableCounts()).toEqual(before);
  });
});
