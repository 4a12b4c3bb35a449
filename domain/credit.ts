import type { Grade } from './contract-rules';

/**
 * Credit grade from payment history (SPEC section 5). The formula, in points out of 100:
 *
 * | factor | points | full points when | zero points when |
 * |---|---|---|---|
 * | on-time rate (invoices paid by their due date, by count) | 35 | 100 % on time | 0 % on time |
 * | amount-weighted average days late of paid invoices | 25 | 0 days | 60 days or more (linear between) |
 * | overdue balance against the credit limit | 20 | nothing overdue | overdue ≥ limit (linear between) |
 * | broken promises to pay in the period | 10 | none | 2 or more (5 points each) |
 * | disputes opened in the period | 5 | none | 5 or more (1 point each) |
 * | tenure (months since the first invoice) | 5 | 24 months or more | new (linear between) |
 *
 * Grades: A ≥ 85, B ≥ 70, C ≥ 50, D below. A customer with fewer than three paid invoices has no
 * computed grade yet (null: "new"); its effective grade is then the one it was given at creation or
 * import (null when none: the approval gate treats it as a new customer). See effectiveGrade.
 */
export interface PaymentHistory {
  /** Paid invoices in the period: amount and days paid after the due date (0 or less = on time). */
  paidInvoices: { amountMinor: number; daysLate: number }[];
  overdueBalanceMinor: number;
  creditLimitMinor: number;
  disputes: number;
  brokenPromises: number;
  tenureMonths: number;
}

export interface CreditAssessment {
  grade: Grade | null;
  /** Score in tenths of a point (0–1000), so it stays an integer. */
  scoreTenths: number;
  factors: { onTime: number; daysLate: number; overdue: number; promises: number; disputes: number; tenure: number };
  onTimeRatePercent: number;
  weightedDaysLate: number;
}

export const MIN_PAID_INVOICES_FOR_GRADE = 3;
const GRADE_FLOORS: [Grade, number][] = [
  ['A', 850],
  ['B', 700],
  ['C', 500],
  ['D', 0],
];

/** Points (in tenths) for a value that falls linearly from full at `best` to zero at `worst`. */
function linear(maxTenths: number, value: number, worst: number): number {
  if (value <= 0) return maxTenths;
  if (value >= worst) return 0;
  return Math.round(maxTenths * (1 - value / worst));
}

/**
 * The same history as totals, which is what the SQL aggregates of the weekly review produce for many
 * customers at once (no list of invoices per customer in memory).
 */
export interface PaymentTotals {
  paidCount: number;
  onTimeCount: number;
  paidAmountMinor: number;
  /** Σ amount × max(days late, 0) over the paid invoices: the numerator of the amount-weighted days late. */
  lateAmountDays: number;
  overdueBalanceMinor: number;
  creditLimitMinor: number;
  disputes: number;
  brokenPromises: number;
  tenureMonths: number;
}

export function paymentTotals(history: PaymentHistory): PaymentTotals {
  const paid = history.paidInvoices;
  return {
    paidCount: paid.length,
    onTimeCount: paid.filter((p) => p.daysLate <= 0).length,
    paidAmountMinor: paid.reduce((sum, p) => sum + p.amountMinor, 0),
    lateAmountDays: paid.reduce((sum, p) => sum + p.amountMinor * Math.max(p.daysLate, 0), 0),
    overdueBalanceMinor: history.overdueBalanceMinor,
    creditLimitMinor: history.creditLimitMinor,
    disputes: history.disputes,
    brokenPromises: history.brokenPromises,
    tenureMonths: history.tenureMonths,
  };
}

export function assessCredit(history: PaymentHistory): CreditAssessment {
  return assessCreditTotals(paymentTotals(history));
}

export function assessCreditTotals(totals: PaymentTotals): CreditAssessment {
  const onTimeRate = totals.paidCount === 0 ? 0 : totals.onTimeCount / totals.paidCount;
  const weightedDaysLate = totals.paidAmountMinor === 0 ? 0 : totals.lateAmountDays / totals.paidAmountMinor;
  const overdueRatio =
    totals.overdueBalanceMinor <= 0
      ? 0
      : totals.creditLimitMinor <= 0
        ? 1
        : totals.overdueBalanceMinor / totals.creditLimitMinor;
  const factors = {
    onTime: Math.round(350 * onTimeRate),
    daysLate: linear(250, weightedDaysLate, 60),
    overdue: linear(200, overdueRatio, 1),
    promises: Math.max(0, 100 - 50 * totals.brokenPromises),
    disputes: Math.max(0, 50 - 10 * totals.disputes),
    tenure: Math.round(50 * Math.min(1, Math.max(0, totals.tenureMonths) / 24)),
  };
  const scoreTenths = Object.values(factors).reduce((sum, v) => sum + v, 0);
  const grade =
    totals.paidCount < MIN_PAID_INVOICES_FOR_GRADE ? null : GRADE_FLOORS.find(([, floor]) => scoreTenths >= floor)![0];
  return {
    grade,
    scoreTenths,
    factors,
    onTimeRatePercent: Math.round(onTimeRate * 1000) / 10,
    weightedDaysLate: Math.round(weightedDaysLate * 10) / 10,
  };
}

/** The grade period: payment history of the twelve months up to the evaluation date. */
export const GRADE_PERIOD_MONTHS = 12;

/** The same calendar day `months` earlier (the last day of a shorter month when it has no such day). */
export function monthsBefore(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const total = y * 12 + (m - 1) - months;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** Whole months from `from` to `to` (a month counts once its day of the month is reached). */
export function wholeMonthsBetween(from: string, to: string): number {
  const [fy, fm, fd] = from.split('-').map(Number);
  const [ty, tm, td] = to.split('-').map(Number);
  const months = (ty - fy) * 12 + (tm - fm) - (td < fd ? 1 : 0);
  return Math.max(0, months);
}

/** An override applies up to and including its `until` date (in the customer's time zone). */
export function overrideActive(until: string | null, today: string): boolean {
  return until !== null && until >= today;
}

/**
 * The grade approval and policy selection use: an active override, else what the formula says, else
 * (too little history for the formula) the grade the customer was given when it was created or imported.
 */
export function effectiveGrade(input: {
  override: string | null;
  overrideUntil: string | null;
  computed: Grade | null;
  assigned: Grade | null;
  today: string;
}): Grade | null {
  if (input.override && overrideActive(input.overrideUntil, input.today)) return input.override as Grade;
  return input.computed ?? input.assigned;
}

/** The credit limit holds use: an active limit override, else the customer's credit limit. */
export function effectiveLimit(input: {
  limitMinor: number;
  overrideMinor: number | null;
  overrideUntil: string | null;
  today: string;
}): number {
  return input.overrideMinor !== null && overrideActive(input.overrideUntil, input.today)
    ? input.overrideMinor
    : input.limitMinor;
}
