/**
 * The 13-week cash-collection forecast method (pure; the SQL in read-models/reports/forecast.ts
 * feeds it per-customer statistics and buckets every open invoice with the values it returns).
 *
 * 1. A customer's payment behaviour is the amount-weighted average of days late (payment date −
 *    due date, 0 when paid early) over its invoices paid in the BEHAVIOUR_WINDOW_DAYS up to the
 *    as-of date.
 * 2. That average is shrunk toward the portfolio's own amount-weighted average with the weight
 *    n / (n + SHRINKAGE_PRIOR_INVOICES), n = the customer's paid invoices in the window: a customer
 *    with one paid invoice counts a quarter, one with 30 about nine tenths, a new customer not at all.
 * 3. Expected payment date = due date + that expected delay (whole days, rounded half up).
 * 4. Week k covers as-of date + 7(k−1) … + 7k − 1. An expected date before the as-of date (already
 *    late beyond the customer's habit) falls in week 1: we expect it now, not in the past. After
 *    week 13 it is "later". Open invoices in dispute are reported apart, in no week.
 */
import { addDays, type LocalDate } from './dates';

export const FORECAST_WEEKS = 13;
export const SHRINKAGE_PRIOR_INVOICES = 3;
export const BEHAVIOUR_WINDOW_DAYS = 365;

export interface PaymentBehaviour {
  /** Invoices the customer paid in the window. */
  paidInvoices: number;
  /** Amount-weighted average days late over those invoices; null when there are none. */
  weightedDaysLate: number | null;
}

/** The share of the customer's own history in its expected delay: n / (n + k). */
export function behaviourWeight(paidInvoices: number): number {
  return paidInvoices / (paidInvoices + SHRINKAGE_PRIOR_INVOICES);
}

/** Expected days between due date and payment for a customer, shrunk toward the portfolio average. */
export function expectedDelayDays(customer: PaymentBehaviour, portfolioDaysLate: number | null): number {
  const weight = behaviourWeight(customer.paidInvoices);
  const own = customer.weightedDaysLate ?? 0;
  const delay = weight * own + (1 - weight) * (portfolioDaysLate ?? 0);
  return Math.floor(delay + 0.5);
}

export interface ForecastBucket {
  key: string;
  /** 1…13 for the weeks, null for "later". */
  week: number | null;
  /** First and last day shown for the bucket; "later" has no last day. */
  start: LocalDate;
  end: LocalDate | null;
  /** Week 1 also takes every expected date before the as-of date. */
  takesEarlier: boolean;
}

export function forecastBuckets(asOf: LocalDate): ForecastBucket[] {
  const weeks = Array.from({ length: FORECAST_WEEKS }, (_, index): ForecastBucket => ({
    key: `week${index + 1}`,
    week: index + 1,
    start: addDays(asOf, 7 * index),
    end: addDays(asOf, 7 * index + 6),
    takesEarlier: index === 0,
  }));
  return [
    ...weeks,
    { key: 'later', week: null, start: addDays(asOf, 7 * FORECAST_WEEKS), end: null, takesEarlier: false },
  ];
}

/** The inclusive date range a bucket matches, with open ends as PostgreSQL's -infinity / infinity. */
export function bucketRange(bucket: ForecastBucket): { from: string; to: string } {
  return { from: bucket.takesEarlier ? '-infinity' : bucket.start, to: bucket.end ?? 'infinity' };
}

export function expectedPaymentDate(dueDate: LocalDate, delayDays: number): LocalDate {
  return addDays(dueDate, delayDays);
}

/** The bucket an expected payment date falls in (the same ranges the SQL joins against). */
export function bucketOf(buckets: readonly ForecastBucket[], expectedDate: LocalDate): ForecastBucket {
  return buckets.find((b) => {
    const { from, to } = bucketRange(b);
    return (from === '-infinity' || expectedDate >= from) && (to === 'infinity' || expectedDate <= to);
  })!;
}
