import { describe, it, expect } from 'vitest';
import {
  type OpenInvoice,
  invoiceNumberCandidates,
  matchPayment,
  normalizePayerName,
  oldestFirst,
} from '../../domain/matching';

const OPEN: OpenInvoice[] = [
  { invoiceNo: 'INV-003', balanceMinor: 30_000, dueDate: '2026-12-20', issueDate: '2026-11-20' },
  { invoiceNo: 'INV-001', balanceMinor: 10_000, dueDate: '2026-10-31', issueDate: '2026-10-01' },
  { invoiceNo: 'INV-002', balanceMinor: 20_000, dueDate: '2026-11-30', issueDate: '2026-10-31' },
];

describe('oldestFirst', () => {
  it('orders by due date', () => {
    expect(oldestFirst(OPEN).map((i) => i.invoiceNo)).toEqual(['INV-001', 'INV-002', 'INV-003']);
  });

  it('breaks ties by issue date, then invoice number', () => {
    const sameDue: OpenInvoice[] = [
      { invoiceNo: 'B', balanceMinor: 1, dueDate: '2026-12-01', issueDate: '2026-11-01' },
      { invoiceNo: 'C', balanceMinor: 1, dueDate: '2026-12-01', issueDate: '2026-10-01' },
      { invoiceNo: 'A', balanceMinor: 1, dueDate: '2026-12-01', issueDate: '2026-11-01' },
    ];
    expect(oldestFirst(sameDue).map((i) => i.invoiceNo)).toEqual(['C', 'A', 'B']);
  });

  it('does not reorder its input', () => {
    const copy = OPEN.map((i) => i.invoiceNo);
    oldestFirst(OPEN);
    expect(OPEN.map((i) => i.invoiceNo)).toEqual(copy);
  });
});

describe('matchPayment', () => {
  it('pays the oldest invoices first when none is named', () => {
    expect(matchPayment(35_000, OPEN)).toEqual({
      allocations: [
        { invoiceNo: 'INV-001', amountMinor: 10_000, rule: 'oldest_first' },
        { invoiceNo: 'INV-002', amountMinor: 20_000, rule: 'oldest_first' },
        { invoiceNo: 'INV-003', amountMinor: 5_000, rule: 'oldest_first' },
      ],
      unallocatedMinor: 0,
    });
  });

  it('pays the named invoice first, then the oldest', () => {
    expect(matchPayment(45_000, OPEN, { namedInvoiceNos: ['INV-003'] })).toEqual({
      allocations: [
        { invoiceNo: 'INV-003', amountMinor: 30_000, rule: 'named' },
        { invoiceNo: 'INV-001', amountMinor: 10_000, rule: 'oldest_first' },
        { invoiceNo: 'INV-002', amountMinor: 5_000, rule: 'oldest_first' },
      ],
      unallocatedMinor: 0,
    });
  });

  it('pays only the named invoice when the payment matches it exactly', () => {
    expect(matchPayment(20_000, OPEN, { namedInvoiceNos: ['INV-002'] })).toEqual({
      allocations: [{ invoiceNo: 'INV-002', amountMinor: 20_000, rule: 'named' }],
      unallocatedMinor: 0,
    });
  });

  it('pays part of the named invoice when the payment is smaller', () => {
    expect(matchPayment(12_345, OPEN, { namedInvoiceNos: ['INV-003'] })).toEqual({
      allocations: [{ invoiceNo: 'INV-003', amountMinor: 12_345, rule: 'named' }],
      unallocatedMinor: 0,
    });
  });

  it('pays part of the oldest invoice when the payment is smaller', () => {
    expect(matchPayment(4_000, OPEN)).toEqual({
      allocations: [{ invoiceNo: 'INV-001', amountMinor: 4_000, rule: 'oldest_first' }],
      unallocatedMinor: 0,
    });
  });

  it('falls back to oldest first when the named invoice is not open', () => {
    expect(matchPayment(15_000, OPEN, { namedInvoiceNos: ['INV-999'] })).toEqual({
      allocations: [
        { invoiceNo: 'INV-001', amountMinor: 10_000, rule: 'oldest_first' },
        { invoiceNo: 'INV-002', amountMinor: 5_000, rule: 'oldest_first' },
      ],
      unallocatedMinor: 0,
    });
  });

  it('leaves an over-payment unallocated as customer credit', () => {
    expect(matchPayment(75_000, OPEN, { namedInvoiceNos: ['INV-002'] })).toEqual({
      allocations: [
        { invoiceNo: 'INV-002', amountMinor: 20_000, rule: 'named' },
        { invoiceNo: 'INV-001', amountMinor: 10_000, rule: 'oldest_first' },
        { invoiceNo: 'INV-003', amountMinor: 30_000, rule: 'oldest_first' },
      ],
      unallocatedMinor: 15_000,
    });
  });

  it('leaves the whole payment unallocated when nothing is open', () => {
    expect(matchPayment(50_000, [])).toEqual({ allocations: [], unallocatedMinor: 50_000 });
    expect(matchPayment(50_000, [], { namedInvoiceNos: ['INV-001'] })).toEqual({
      allocations: [],
      unallocatedMinor: 50_000,
    });
  });

  it('skips invoices with nothing left to pay', () => {
    const open: OpenInvoice[] = [
      { invoiceNo: 'INV-010', balanceMinor: 0, dueDate: '2026-09-30', issueDate: '2026-09-01' },
      { invoiceNo: 'INV-011', balanceMinor: 8_000, dueDate: '2026-10-31', issueDate: '2026-10-01' },
    ];
    expect(matchPayment(5_000, open)).toEqual({
      allocations: [{ invoiceNo: 'INV-011', amountMinor: 5_000, rule: 'oldest_first' }],
      unallocatedMinor: 0,
    });
  });

  it('allocates nothing for a zero payment', () => {
    expect(matchPayment(0, OPEN)).toEqual({ allocations: [], unallocatedMinor: 0 });
  });

  it('never allocates more than the payment or more than a balance', () => {
    for (const amount of [1, 9_999, 10_000, 10_001, 29_999, 30_000, 59_999, 60_000, 60_001, 100_000]) {
      const { allocations, unallocatedMinor } = matchPayment(amount, OPEN);
      const allocated = allocations.reduce((sum, a) => sum + a.amountMinor, 0);
      expect(allocated + unallocatedMinor, String(amount)).toBe(amount);
      expect(allocated).toBe(Math.min(amount, 60_000));
      for (const a of allocations) {
        expect(a.amountMinor).toBeGreaterThan(0);
        expect(a.amountMinor).toBeLessThanOrEqual(OPEN.find((i) => i.invoiceNo === a.invoiceNo)!.balanceMinor);
      }
    }
  });
});

describe('matchPayment by remittance text and exact amount', () => {
  it('pays the invoices named in the remittance text, in the order written, then the oldest', () => {
    expect(matchPayment(40_000, OPEN, { remittance: '付款 inv-003 及 INV-002 部分' })).toEqual({
      allocations: [
        { invoiceNo: 'INV-003', amountMinor: 30_000, rule: 'invoice_no' },
        { invoiceNo: 'INV-002', amountMinor: 10_000, rule: 'invoice_no' },
      ],
      unallocatedMinor: 0,
    });
  });

  it('reads full-width invoice numbers in Chinese remittance text', () => {
    expect(matchPayment(20_000, OPEN, { remittance: '支付ＩＮＶ－００２货款' }).allocations).toEqual([
      { invoiceNo: 'INV-002', amountMinor: 20_000, rule: 'invoice_no' },
    ]);
  });

  it('ignores invoice numbers that are not open for this customer', () => {
    expect(matchPayment(10_000, OPEN, { remittance: 'INV-777' }).allocations).toEqual([
      { invoiceNo: 'INV-001', amountMinor: 10_000, rule: 'exact_amount' },
    ]);
  });

  it('prefers an invoice whose balance equals the payment over the oldest one', () => {
    expect(matchPayment(30_000, OPEN)).toEqual({
      allocations: [{ invoiceNo: 'INV-003', amountMinor: 30_000, rule: 'exact_amount' }],
      unallocatedMinor: 0,
    });
  });

  it('takes the oldest of several invoices with the exact amount', () => {
    const twins: OpenInvoice[] = [
      { invoiceNo: 'T-2', balanceMinor: 5_000, dueDate: '2026-11-30', issueDate: '2026-10-31' },
      { invoiceNo: 'T-1', balanceMinor: 5_000, dueDate: '2026-10-31', issueDate: '2026-10-01' },
    ];
    expect(matchPayment(5_000, twins).allocations).toEqual([
      { invoiceNo: 'T-1', amountMinor: 5_000, rule: 'exact_amount' },
    ]);
  });

  it('matches what is left after the remittance invoices exactly when it can', () => {
    expect(matchPayment(40_000, OPEN, { remittance: 'INV-001' }).allocations).toEqual([
      { invoiceNo: 'INV-001', amountMinor: 10_000, rule: 'invoice_no' },
      { invoiceNo: 'INV-003', amountMinor: 30_000, rule: 'exact_amount' },
    ]);
  });
});

describe('invoiceNumberCandidates', () => {
  it('finds words with digits, upper-cased, without duplicates', () => {
    expect(invoiceNumberCandidates('Payment for inv-2026-007, INV-2026-007 and PO 88/1 thanks')).toEqual([
      'INV-2026-007',
      '88/1',
    ]);
  });

  it('splits Chinese text around the numbers', () => {
    expect(invoiceNumberCandidates('支付合同HT-9发票FP2026001款')).toEqual(['HT-9', 'FP2026001']);
  });

  it('finds nothing in empty or digit-free text', () => {
    expect(invoiceNumberCandidates(undefined)).toEqual([]);
    expect(invoiceNumberCandidates('货款 payment')).toEqual([]);
  });
});

describe('normalizePayerName', () => {
  it('ignores spaces, case, punctuation and full-width forms', () => {
    expect(normalizePayerName(' ACME  Co. ')).toBe(normalizePayerName('acme co'));
    expect(normalizePayerName('上海某某科技（集团）有限公司')).toBe(normalizePayerName('上海某某科技(集团)有限公司'));
  });
});
