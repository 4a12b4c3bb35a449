import { describe, expect, it } from 'vitest';
import { orderVolumeWarning, paymentDelayWarning, slope, termExtensionWarning } from '../../domain/early-warnings';

describe('early warnings', () => {
  it('flags orders of the last 90 days above twice the average per 90 days of the year before', () => {
    // history 4,000,000 over 4 periods → average 1,000,000
    expect(
      orderVolumeWarning('C', { recentMinor: 2_000_000, recentCount: 2, historyMinor: 4_000_000, historyCount: 4 }),
    ).toBeNull();
    expect(
      orderVolumeWarning('C', { recentMinor: 2_000_001, recentCount: 3, historyMinor: 4_000_000, historyCount: 4 }),
    ).toMatchObject({
      kind: 'order_surge',
      figures: { averagePerPeriodMinor: 1_000_000, ratioPercent: 200 },
    });
  });

  it('flags a collapse below half the average, nothing ordered included', () => {
    expect(
      orderVolumeWarning('C', { recentMinor: 500_000, recentCount: 1, historyMinor: 4_000_000, historyCount: 4 }),
    ).toBeNull();
    expect(
      orderVolumeWarning('C', { recentMinor: 499_999, recentCount: 1, historyMinor: 4_000_000, historyCount: 4 })?.kind,
    ).toBe('order_collapse');
    expect(
      orderVolumeWarning('C', { recentMinor: 0, recentCount: 0, historyMinor: 4_000_000, historyCount: 4 })?.kind,
    ).toBe('order_collapse');
  });

  it('needs at least three orders of history', () => {
    expect(
      orderVolumeWarning('C', { recentMinor: 9_000_000, recentCount: 1, historyMinor: 1_000_000, historyCount: 2 }),
    ).toBeNull();
  });

  it('flags days late rising over the last three paid invoices when the latest is late', () => {
    expect(paymentDelayWarning('C', [0, 2, 5])).toMatchObject({
      kind: 'payment_delay_trend',
      figures: { daysLate: [0, 2, 5] },
    });
    expect(paymentDelayWarning('C', [20, 1, 3, 9])?.figures.daysLate).toEqual([1, 3, 9]);
    expect(paymentDelayWarning('C', [-9, -5, -1])).toBeNull(); // earlier each time but still early
    expect(paymentDelayWarning('C', [2, 5, 5])).toBeNull();
    expect(paymentDelayWarning('C', [2, 5])).toBeNull();
  });

  it('flags a slope of at least 3 days per invoice over the last six', () => {
    expect(slope([0, 3, 6, 9, 12, 15])).toBe(3);
    const w = paymentDelayWarning('C', [0, 10, 5, 15, 25, 20]);
    expect(w?.figures).toMatchObject({ slopeDaysPerInvoice: 4.4 });
    expect(paymentDelayWarning('C', [0, 2, 1, 3, 4, 2])).toBeNull();
  });

  it('flags a term-extension request only when the customer was already late', () => {
    const request = {
      id: 1,
      contractNo: null,
      requestedDays: 30,
      reason: 'cash flow',
      requestedBy: 'sally',
      requestedAt: '2026-05-01T00:00:00.000Z',
      oldestDaysOverdue: 12,
      overdueMinor: 100,
    };
    expect(termExtensionWarning('C', request)?.kind).toBe('term_extension_while_late');
    expect(termExtensionWarning('C', { ...request, overdueMinor: 0, oldestDaysOverdue: 0 })).toBeNull();
  });
});
