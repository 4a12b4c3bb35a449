import { describe, it, expect } from 'vitest';
import { type OpenInvoice, allocatePayment, oldestFirst } from '../../domain/allocation';

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

describe('allocatePayment', () => {
  it('pays the oldest invoices first when none is named', () => {
    expect(allocatePayment(35_000, OPEN)).toEqual({
      allocations: [{ invoiceNo: 'INV-001', amountMinor: 10_000 }, { invoiceNo: 'INV-002', amountMinor: 20_000 }, { invoiceNo: 'INV-003', amountMinor: 5_000 }],
      unallocatedMinor: 0,
    });
  });

  it('pays the named invoice first, then the oldest', () => {
    expect(allocatePayment(45_000, OPEN, 'INV-003')).toEqual({
      allocations: [{ invoiceNo: 'INV-003', amountMinor: 30_000 }, { invoiceNo: 'INV-001', amountMinor: 10_000 }, { invoiceNo: 'INV-002', amountMinor: 5_000 }],
      unallocatedMinor: 0,
    });
  });

  it('pays only the named invoice when the payment matches it exactly', () => {
    expect(allocatePayment(20_000, OPEN, 'INV-002')).toEqual({
      allocations: [{ invoiceNo: 'INV-002', amountMinor: 20_000 }],
      unallocatedMinor: 0,
    });
  });

  it('pays part of the named invoice when the payment is smaller', () => {
    expect(allocatePayment(12_345, OPEN, 'INV-003')).toEqual({
      allocations: [{ invoiceNo: 'INV-003', amountMinor: 12_345 }],
      unallocatedMinor: 0,
    });
  });

  it('pays part of the oldest invoice when the payment is smaller', () => {
    expect(allocatePayment(4_000, OPEN)).toEqual({
      allocations: [{ invoiceNo: 'INV-001', amountMinor: 4_000 }],
      unallocatedMinor: 0,
    });
  });

  it('falls back to oldest first when the named invoice is not open', () => {
    expect(allocatePayment(15_000, OPEN, 'INV-999')).toEqual({
      allocations: [{ invoiceNo: 'INV-001', amountMinor: 10_000 }, { invoiceNo: 'INV-002', amountMinor: 5_000 }],
      unallocatedMinor: 0,
    });
  });

  it('leaves an over-payment unallocated as customer credit', () => {
    expect(allocatePayment(75_000, OPEN, 'INV-002')).toEqual({
      allocations: [{ invoiceNo: 'INV-002', amountMinor: 20_000 }, { invoiceNo: 'INV-001', amountMinor: 10_000 }, { invoiceNo: 'INV-003', amountMinor: 30_000 }],
      unallocatedMinor: 15_000,
    });
  });

  it('leaves the whole payment unallocated when nothing is open', () => {
    expect(allocatePayment(50_000, [])).toEqual({ allocations: [], unallocatedMinor: 50_000 });
    expect(allocatePayment(50_000, [], 'INV-001')).toEqual({ allocations: [], unallocatedMinor: 50_000 });
  });

  it('skips invoices with nothing left to pay', () => {
    const open: OpenInvoice[] = [
      { invoiceNo: 'INV-010', balanceMinor: 0, dueDate: '2026-09-30', issueDate: '2026-09-01' },
      { invoiceNo: 'INV-011', balanceMinor: 8_000, dueDate: '2026-10-31', issueDate: '2026-10-01' },
    ];
    expect(allocatePayment(5_000, open)).toEqual({ allocations: [{ invoiceNo: 'INV-011', amountMinor: 5_000 }], unallocatedMinor: 0 });
  });

  it('allocates nothing for a zero payment', () => {
    expect(allocatePayment(0, OPEN)).toEqual({ allocations: [], unallocatedMinor: 0 });
  });

  it('never allocates more than the payment or more than a balance', () => {
    for (const amount of [1, 9_999, 10_000, 10_001, 29_999, 30_000, 59_999, 60_000, 60_001, 100_000]) {
      const { allocations, unallocatedMinor } = allocatePayment(amount, OPEN);
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
