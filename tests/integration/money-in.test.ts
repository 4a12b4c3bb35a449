/** Payments matched, queued, credited and reversed through the API, against real PostgreSQL, Temporal and SMTP. */
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/api-harness';
import {
  act,
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

/**
 * A customer with two open invoices: the advance (40,000.00, issued 45 days ago on 30-day terms, so
 * 15 days overdue) and the final one (60,000.00, issued yesterday).
 */
async function customerWithTwoInvoices(): Promise<{
  customer: string;
  name: string;
  advanceNo: string;
  finalNo: string;
}> {
  const customer = await createCustomer(suite.people.sales);
  const no = await registerContract(suite.people.sales, customer);
  await driveToDelivery(suite.people, no, daysAgo(60));
  const advanceNo = `${no}-A`;
  expect(
    (
      await suite.people.finance.post('/api/v1/invoices', {
        contractNo: no,
        milestoneSeq: 1,
        invoiceNo: advanceNo,
        issueDate: daysAgo(45),
      })
    ).status,
  ).toBe(201);
  await act(suite.people.delivery, no, 'deliver', { deliveredOn: daysAgo(5) });
  await act(suite.people.delivery, no, 'accept', { acceptedOn: daysAgo(2), acceptor: 'Li Wei', documentRef: 'UAT-1' });
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
  return { customer, name: `${customer} Co.`, advanceNo, finalNo };
}

const balanceOf = async (invoiceNo: string) =>
  (await suite.people.finance.get(`/api/v1/invoices/${invoiceNo}`)).body.balance;
const bankLine = (fields: Record<string, unknown>) => ({
  amount: cny('1.00'),
  reference: uniqueCode('BANK'),
  receivedOn: todayInShanghai(),
  ...fields,
});

describe('matching a payment', () => {
  it('pays the invoice named in the remittance text of a payer known only by name', async () => {
    const { name, finalNo, advanceNo } = await customerWithTwoInvoices();
    const paid = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({
        amount: cny('20000.00'),
        payerName: `  ${name.toUpperCase()} `,
        remittance: `货款 ${finalNo.toLowerCase()} 部分`,
      }),
    );
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(paid.body.status).toBe('matched');
    expect(paid.body.allocations).toEqual([
      expect.objectContaining({ invoiceNo: finalNo, amount: cny('20000.00'), rule: 'invoice_no' }),
    ]);
    expect(await balanceOf(finalNo)).toEqual(cny('40000.00'));
    expect(await balanceOf(advanceNo)).toEqual(cny('40000.00'));
  });

  it('pays the invoice whose balance equals the payment, before the older one', async () => {
    const { customer, finalNo } = await customerWithTwoInvoices();
    const paid = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ customerCode: customer, amount: cny('60000.00') }),
    );
    expect(paid.body.allocations).toEqual([expect.objectContaining({ invoiceNo: finalNo, rule: 'exact_amount' })]);
  });

  it('keeps an over-payment as customer credit that finance can apply later', async () => {
    const { customer, advanceNo, finalNo } = await customerWithTwoInvoices();
    const paid = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ customerCode: customer, amount: cny('30000.00'), invoiceNo: advanceNo }),
    );
    expect(paid.body.allocations).toEqual([
      expect.objectContaining({ invoiceNo: advanceNo, amount: cny('30000.00'), rule: 'named' }),
    ]);
    const overpaid = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ customerCode: customer, amount: cny('115000.00') }),
    );
    // 10,000.00 closes the advance, 60,000.00 the final invoice; 45,000.00 is left as credit.
    expect(overpaid.body.allocations.map((a: { invoiceNo: string }) => a.invoiceNo)).toEqual([advanceNo, finalNo]);
    expect(overpaid.body.unallocated).toEqual(cny('45000.00'));

    const tooMuch = await suite.people.finance.post(`/api/v1/payments/${overpaid.body.id}/allocations`, {
      invoiceNo: advanceNo,
      amount: cny('1.00'),
    });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.details[0].field).toBe('invoiceNo');
    const reversal = await suite.people.finance.post(`/api/v1/allocations/${overpaid.body.allocations[1].id}/reverse`, {
      reason: 'applied to the wrong invoice',
    });
    expect(reversal.status, JSON.stringify(reversal.body)).toBe(200);
    expect(reversal.body.unallocated).toEqual(cny('105000.00'));
    const beyondCredit = await suite.people.finance.post(`/api/v1/payments/${paid.body.id}/allocations`, {
      invoiceNo: finalNo,
      amount: cny('1.00'),
    });
    expect(beyondCredit.status).toBe(409);
    expect(beyondCredit.body.details[0].code).toBe('exceeds_credit');
    const applied = await suite.people.finance.post(`/api/v1/payments/${overpaid.body.id}/allocations`, {
      invoiceNo: finalNo,
      amount: cny('60000.00'),
    });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    expect(applied.body.unallocated).toEqual(cny('45000.00'));
    expect(applied.body.allocations.at(-1)).toEqual(
      expect.objectContaining({ invoiceNo: finalNo, rule: 'manual', reversed: null }),
    );
    expect(await balanceOf(finalNo)).toEqual(cny('0.00'));
  });
});

describe('the unmatched queue', () => {
  it('queues an unknown payer, lets finance assign it, and remembers the payer account', async () => {
    const { customer, advanceNo } = await customerWithTwoInvoices();
    const account = uniqueCode('6222');
    const unknown = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ amount: cny('5000.00'), payerName: 'Somebody Else Ltd', payerAccount: account }),
    );
    expect(unknown.status).toBe(201);
    expect(unknown.body).toEqual(
      expect.objectContaining({
        status: 'unmatched',
        customerCode: null,
        unallocated: cny('5000.00'),
        allocations: [],
      }),
    );
    const queue = await suite.people.finance.get('/api/v1/payments?status=unmatched');
    expect(queue.body.payments.map((p: { id: number }) => p.id)).toContain(unknown.body.id);
    expect((await suite.people.finance.get('/api/v1/payments?status=lost')).status).toBe(400);

    const assigned = await suite.people.finance.post(`/api/v1/payments/${unknown.body.id}/assign`, {
      customerCode: customer,
      rememberPayerAccount: true,
    });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    expect(assigned.body.allocations).toEqual([
      expect.objectContaining({ invoiceNo: advanceNo, amount: cny('5000.00'), rule: 'oldest_first' }),
    ]);
    const again = await suite.people.finance.post(`/api/v1/payments/${unknown.body.id}/assign`, {
      customerCode: customer,
    });
    expect(again.status).toBe(409);
    expect(again.body.details[0].code).toBe('not_unmatched');

    const next = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ amount: cny('1000.00'), payerName: 'Somebody Else Ltd', payerAccount: account }),
    );
    expect(next.body).toEqual(expect.objectContaining({ status: 'matched', customerCode: customer }));
    expect(await balanceOf(advanceNo)).toEqual(cny('34000.00'));
  });

  it('refuses bad input without writing anything', async () => {
    const before = (
      await suite.harness.database.db
        .selectFrom('payments')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n;
    const named = await suite.people.finance.post('/api/v1/payments', bankLine({ invoiceNo: 'INV-1' }));
    expect(named.status).toBe(400);
    expect(named.body.details[0].field).toBe('invoiceNo');
    expect((await suite.people.finance.post('/api/v1/payments', bankLine({ customerCode: 'NOBODY' }))).status).toBe(
      404,
    );
    expect((await suite.people.finance.post('/api/v1/payments', bankLine({ amount: cny('-5.00') }))).status).toBe(400);
    expect((await suite.people.finance.post('/api/v1/payments/abc/assign', { customerCode: 'X' })).status).toBe(400);
    expect((await suite.people.sales.get('/api/v1/payments?status=unmatched')).status).toBe(403);
    const after = (
      await suite.harness.database.db
        .selectFrom('payments')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n;
    expect(Number(after)).toBe(Number(before));
  });
});

describe('reversal', () => {
  it('reopens a paid invoice and brings back its collection', async () => {
    const { customer, advanceNo } = await customerWithTwoInvoices();
    const paid = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ customerCode: customer, amount: cny('40000.00'), invoiceNo: advanceNo }),
    );
    expect(await balanceOf(advanceNo)).toEqual(cny('0.00'));
    const handle = suite.harness.client.workflow.getHandle(`invoice/${advanceNo}`);
    // Paid 15 days late: late interest keeps the collection open until finance waives it, then it completes.
    await eventually(
      async () =>
        (await suite.people.finance.get(`/api/v1/invoices/${advanceNo}`)).body.lateInterest?.status === 'open'
          ? true
          : undefined,
      30_000,
      'interest',
    );
    expect(
      (
        await suite.people.finance.post(`/api/v1/invoices/${advanceNo}/interest`, {
          outcome: 'waived',
          reason: 'goodwill',
        })
      ).status,
    ).toBe(200);
    await eventually(
      async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined),
      30_000,
      'collection to complete',
    );

    const reversed = await suite.people.finance.post(`/api/v1/payments/${paid.body.id}/reverse`, {
      reason: 'returned by the bank: account closed',
    });
    expect(reversed.status, JSON.stringify(reversed.body)).toBe(200);
    expect(reversed.body.status).toBe('reversed');
    expect(reversed.body.allocations[0].reversed).toEqual(
      expect.objectContaining({ by: 'fiona', reason: 'returned by the bank: account closed' }),
    );
    expect(await balanceOf(advanceNo)).toEqual(cny('40000.00'));
    const invoice = (await suite.people.finance.get(`/api/v1/invoices/${advanceNo}`)).body;
    expect(invoice.status).toBe('open');
    await eventually(
      async () => ((await handle.describe()).status.name === 'RUNNING' ? true : undefined),
      30_000,
      'collection to run again',
    );
    const state = await eventually(
      async () => {
        const s = await suite.people.finance.get(`/api/v1/invoices/${advanceNo}/collection`);
        return s.status === 200 && s.body.balance?.value === '40000.00' && s.body.handled.formal_reminder
          ? s.body
          : undefined;
      },
      30_000,
      'the reopened collection to catch up',
    );
    // The reopened collection catches up at the formal reminder (+7), which already went out before the payment: not sent twice.
    expect(state.handled.formal_reminder).toBe(1);
    const letters = await suite.harness.database.db
      .selectFrom('letters')
      .select(['step', 'occurrence'])
      .where('invoice_no', '=', advanceNo)
      .execute();
    expect(letters.filter((l) => l.step === 'formal_reminder')).toHaveLength(1);

    const twice = await suite.people.finance.post(`/api/v1/payments/${paid.body.id}/reverse`, { reason: 'again' });
    expect(twice.status).toBe(409);
    expect(twice.body.details[0].code).toBe('already_reversed');
    const timeline = await suite.harness.database.db
      .selectFrom('timeline')
      .select('action')
      .where('invoice_no', '=', advanceNo)
      .execute();
    expect(timeline.map((t) => t.action)).toEqual(expect.arrayContaining(['payment_allocated', 'allocation_reversed']));
    const blank = await suite.people.finance.post(`/api/v1/allocations/${reversed.body.allocations[0].id}/reverse`, {
      reason: ' ',
    });
    expect(blank.status).toBe(400);
  });

  it('reopens a partly paid invoice whose collection is still running, with the balance restored', async () => {
    const { customer, advanceNo } = await customerWithTwoInvoices();
    const paid = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ customerCode: customer, amount: cny('15000.00'), invoiceNo: advanceNo }),
    );
    await eventually(
      async () => {
        const s = await suite.people.finance.get(`/api/v1/invoices/${advanceNo}/collection`);
        return s.body.balance?.value === '25000.00' ? true : undefined;
      },
      30_000,
      'the collection to see the payment',
    );
    const reversal = await suite.people.finance.post(`/api/v1/allocations/${paid.body.allocations[0].id}/reverse`, {
      reason: 'keyed against the wrong customer',
    });
    expect(reversal.status).toBe(200);
    expect(reversal.body.unallocated).toEqual(cny('15000.00'));
    await eventually(
      async () => {
        const s = await suite.people.finance.get(`/api/v1/invoices/${advanceNo}/collection`);
        return s.body.balance?.value === '40000.00' ? true : undefined;
      },
      30_000,
      'the collection to see the reversal',
    );
  });

  it('takes a collection waiting only for late interest back to the ladder, and assesses the interest again when paid anew', async () => {
    const { customer, advanceNo } = await customerWithTwoInvoices();
    const paid = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ customerCode: customer, amount: cny('40000.00'), invoiceNo: advanceNo }),
    );
    const interestOf = async () => (await suite.people.finance.get(`/api/v1/invoices/${advanceNo}`)).body.lateInterest;
    await eventually(async () => ((await interestOf())?.status === 'open' ? true : undefined), 30_000, 'interest');
    expect(
      (
        await suite.people.finance.post(`/api/v1/allocations/${paid.body.allocations[0].id}/reverse`, {
          reason: 'cheque bounced',
        })
      ).status,
    ).toBe(200);
    expect(await interestOf()).toBeFalsy();
    await eventually(
      async () => {
        const s = await suite.people.finance.get(`/api/v1/invoices/${advanceNo}/collection`);
        return s.body.balance?.value === '40000.00' && !s.body.interestOpenMinor ? true : undefined;
      },
      30_000,
      'the collection back on the ladder',
    );
    const handle = suite.harness.client.workflow.getHandle(`invoice/${advanceNo}`);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ customerCode: customer, amount: cny('40000.00'), invoiceNo: advanceNo }),
    );
    const interest = await eventually(
      async () => {
        const i = await interestOf();
        return i?.status === 'open' ? i : undefined;
      },
      30_000,
      'interest assessed again',
    );
    // 40,000.00 at 18.25% is 20.00 a day, for the 15 days from the day after the due date up to and including today.
    expect(interest.amount).toEqual(cny('300.00'));
  });

  it('gives a written-off invoice its balance back but keeps it written off, without collecting it again', async () => {
    const { customer, advanceNo } = await customerWithTwoInvoices();
    const paid = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ customerCode: customer, amount: cny('10000.00'), invoiceNo: advanceNo }),
    );
    expect(
      (await suite.people.finance.post(`/api/v1/invoices/${advanceNo}/write-off`, { reason: 'customer insolvent' }))
        .status,
    ).toBe(200);
    expect(
      (
        await suite.people.executive.post(`/api/v1/invoices/${advanceNo}/write-off/decision`, {
          approved: true,
          reason: 'credit committee',
        })
      ).status,
    ).toBe(200);
    const handle = suite.harness.client.workflow.getHandle(`invoice/${advanceNo}`);
    await eventually(
      async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined),
      30_000,
      'the write-off to end the collection',
    );
    expect(
      (await suite.people.finance.post(`/api/v1/payments/${paid.body.id}/reverse`, { reason: 'returned' })).status,
    ).toBe(200);
    const invoice = (await suite.people.finance.get(`/api/v1/invoices/${advanceNo}`)).body;
    expect(invoice).toMatchObject({ status: 'written_off', balance: cny('40000.00') });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });
});

describe('payments that must not be lost, doubled or misplaced', () => {
  it('records two unknown payers that happen to use the same reference as two payments', async () => {
    const reference = uniqueCode('VOUCHER');
    const first = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ reference, amount: cny('100.00'), payerName: 'A Ltd' }),
    );
    const second = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ reference, amount: cny('250.00'), payerName: 'B Ltd' }),
    );
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).not.toBe(first.body.id);
    const repeat = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ reference, amount: cny('250.00'), payerName: 'B Ltd' }),
    );
    expect(repeat).toMatchObject({ status: 200, body: { id: second.body.id } });
  });

  it('refuses a payment naming an invoice in another currency, and one dated in the future', async () => {
    const { customer, advanceNo } = await customerWithTwoInvoices();
    const dollars = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ customerCode: customer, amount: { value: '10.00', currency: 'USD' }, invoiceNo: advanceNo }),
    );
    expect(dollars.status).toBe(409);
    expect(dollars.body.details[0]).toMatchObject({ code: 'currency_mismatch', field: 'invoiceNo' });
    const future = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ customerCode: customer, receivedOn: '2099-01-01' }),
    );
    expect(future.status).toBe(400);
    expect(future.body.details[0].field).toBe('receivedOn');
    expect(await balanceOf(advanceNo)).toEqual(cny('40000.00'));
  });

  it('never pays an invoice twice when credit and a new payment race for it', async () => {
    const { customer, advanceNo, finalNo } = await customerWithTwoInvoices();
    // 100,000.00 pays both invoices; 60,000.00 more is credit.
    const credit = await suite.people.finance.post(
      '/api/v1/payments',
      bankLine({ customerCode: customer, amount: cny('160000.00') }),
    );
    expect(credit.body.unallocated).toEqual(cny('60000.00'));
    expect(
      (
        await suite.people.finance.post(`/api/v1/allocations/${credit.body.allocations[1].id}/reverse`, {
          reason: 'to race for it',
        })
      ).status,
    ).toBe(200);
    expect(await balanceOf(finalNo)).toEqual(cny('60000.00'));
    const [fromCredit, fresh] = await Promise.all([
      suite.people.finance.post(`/api/v1/payments/${credit.body.id}/allocations`, {
        invoiceNo: finalNo,
        amount: cny('60000.00'),
      }),
      suite.people.finance.post(
        '/api/v1/payments',
        bankLine({ customerCode: customer, amount: cny('60000.00'), invoiceNo: finalNo }),
      ),
    ]);
    // Whichever commits first pays the invoice; the other is refused as the invoice is no longer open.
    expect([fromCredit.status, fresh.status].sort()).toEqual([201, 400]);
    const live = await suite.harness.database.db
      .selectFrom('allocations')
      .select((eb) => eb.fn.sum<number>('amount_minor').as('total'))
      .where('invoice_no', '=', finalNo)
      .where('reversed_at', 'is', null)
      .executeTakeFirstOrThrow();
    expect(Number(live.total)).toBe(6_000_000);
    expect(await balanceOf(finalNo)).toEqual(cny('0.00'));
    expect(await balanceOf(advanceNo)).toEqual(cny('0.00'));
  });
});
