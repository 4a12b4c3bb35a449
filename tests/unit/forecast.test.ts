import { describe, expect, it } from 'vitest';
import { agingBucketOf } from '../../domain/aging';
import {
  behaviourWeight,
  bucketOf,
  bucketRange,
  expectedDelayDays,
  expectedPaymentDate,
  FORECAST_WEEKS,
  forecastBuckets,
  SHRINKAGE_PRIOR_INVOICES,
} from '../../domain/forecast';

describe("expected delay: the customer's days late shrunk toward the portfolio", () => {
  it("weighs the customer's own history by n / (n + 3)", () => {
    expect(SHRINKAGE_PRIOR_INVOICES).toBe(3);
    expect(behaviourWeight(0)).toBe(0);
    expect(behaviourWeight(1)).toBe(0.25);
    expect(behaviourWeight(3)).toBe(0.5);
    expect(behaviourWeight(27)).toBe(0.9);
  });

  it('uses only the portfolio for a customer without paid invoices', () => {
    expect(expectedDelayDays({ paidInvoices: 0, weightedDaysLate: null }, 12.4)).toBe(12);
    expect(expectedDelayDays({ paidInvoices: 0, weightedDaysLate: null }, null)).toBe(0);
  });

  it("moves toward the customer's own average as its history grows", () => {
    // portfolio 10 days, customer 30 days: 1 invoice → 0.25×30 + 0.75×10 = 15; 3 → 20; 9 → 0.75×30 + 0.25×10 = 25
    const portfolio = 10;
    expect(expectedDelayDays({ paidInvoices: 1, weightedDaysLate: 30 }, portfolio)).toBe(15);
    expect(expectedDelayDays({ paidInvoices: 3, weightedDaysLate: 30 }, portfolio)).toBe(20);
    expect(expectedDelayDays({ paidInvoices: 9, weightedDaysLate: 30 }, portfolio)).toBe(25);
  });

  it('rounds to whole days, half up', () => {
    // 2 invoices: 0.4×5 + 0.6×0 = 2.0; 0.4×6.25 + 0.6×0 = 2.5 → 3; 0.4×6 = 2.4 → 2
    expect(expectedDelayDays({ paidInvoices: 2, weightedDaysLate: 5 }, 0)).toBe(2);
    expect(expectedDelayDays({ paidInvoices: 2, weightedDaysLate: 6.25 }, 0)).toBe(3);
    expect(expectedDelayDays({ paidInvoices: 2, weightedDaysLate: 6 }, 0)).toBe(2);
  });
});

describe('forecast weeks', () => {
  const asOf = '2026-03-31';
  const buckets = forecastBuckets(asOf);

  it('has 13 weeks of 7 days from the as-of date, then "later"', () => {
    expect(buckets).toHaveLength(FORECAST_WEEKS + 1);
    expect(buckets[0]).toMatchObject({
      key: 'week1',
      week: 1,
      start: '2026-03-31',
      end: '2026-04-06',
      takesEarlier: true,
    });
    expect(buckets[1]).toMatchObject({ key: 'week2', start: '2026-04-07', end: '2026-04-13', takesEarlier: false });
    expect(buckets[12]).toMatchObject({ key: 'week13', start: '2026-06-23', end: '2026-06-29' });
    expect(buckets[13]).toMatchObject({ key: 'later', week: null, start: '2026-06-30', end: null });
  });

  it('puts an expected date already past in week 1 and leaves no gap between buckets', () => {
    expect(bucketOf(buckets, '2025-12-01').key).toBe('week1');
    expect(bucketOf(buckets, '2026-04-06').key).toBe('week1');
    expect(bucketOf(buckets, '2026-04-07').key).toBe('week2');
    expect(bucketOf(buckets, '2026-06-29').key).toBe('week13');
    expect(bucketOf(buckets, '2026-06-30').key).toBe('later');
    expect(bucketOf(buckets, '2031-01-01').key).toBe('later');
    expect(bucketRange(buckets[0])).toEqual({ from: '-infinity', to: '2026-04-06' });
    expect(bucketRange(buckets[13])).toEqual({ from: '2026-06-30', to: 'infinity' });
  });

  it('expects payment at the due date plus the delay', () => {
    expect(expectedPaymentDate('2026-03-25', 20)).toBe('2026-04-14');
    expect(bucketOf(buckets, expectedPaymentDate('2026-03-25', 20)).key).toBe('week3');
  });
});

describe('aging buckets', () => {
  it('counts days past due on the as-of date', () => {
    expect(agingBucketOf(-5).key).toBe('current');
    expect(agingBucketOf(0).key).toBe('current');
    expect(agingBucketOf(1).key).toBe('days1to30');
    expect(agingBucketOf(30).key).toBe('days1to30');
    expect(agingBucketOf(31).key).toBe('days31to60');
    expect(agingBucketOf(60).key).toBe('days31to60');
    expect(agingBucketOf(61).key).toBe('days61to90');
    expect(agingBucketOf(90).key).toBe('days61to90');
    expect(agingBucketOf(91).key).toBe('over90');
  });
});
