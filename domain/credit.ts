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
 * grade yet (null: "new"), and the approval gate treats it as a new customer.
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
const GRADE_FLOORS: [Grade, number][] = [['A', 850], ['B', 700], ['C', 500], ['D', 0]];

/** Points (in tenths) for a value that falls linearly from full at `best` to zero at `worst`. */
function linear(maxTenths: number, value: number, worst: number): number {
  if (value <= 0) return maxTenths;
  if (value >= worst) return 0;
  return Math.round(maxTenths * (1 - value / worst));
}

export function assessCredit(history: PaymentHistory): CreditAssessment {
  const paid = history.paidInvoices;
  const onTimeCount = paid.filter((p) => p.daysLate <= 0).length;
  const onTimeRate = paid.length === 0 ? 0 : onTimeCount / paid.length;
  const totalAmount = paid.reduce((sum, p) => sum + p.amountMinor, 0);
  const weightedDaysLate = totalAmount === 0 ? 0 : paid.reduce((sum, p) => sum + p.amountMinor * Math.max(p.daysLate, 0), 0) / totalAmount;
  const overdueRatio = history.overdueBalanceMinor <= 0 ? 0 : history.creditLimitMinor <= 0 ? 1 : history.overdueBalanceMinor / history.creditLimitMinor;
  const factors = {
    onTime: Math.round(350 * onTimeRate),
    daysLate: linear(250, weightedDaysLate, 60),
    overdue: linear(200, overdueRatio, 1),
    promises: Math.max(0, 100 - 50 * history.brokenPromises),
    disputes: Math.max(0, 50 - 10 * history.disputes),
    tenure: Math.round(50 * Math.min(1, Math.max(0, history.tenureMonths) / 24)),
  };
  const scoreTenths = Object.values(factors).reduce((sum, v) => sum + v, 0);
  const grade = paid.length < MIN_PAID_INVOICES_FOR_GRADE ? null : GRADE_FLOORS.find(([, floor]) => scoreTenths >= floor)![0];
  return { grade, scoreTenths, factors, onTimeRatePercent: Math.round(onTimeRate * 1000) / 10, weightedDaysLate: Math.round(weightedDaysLate * 10) / 10 };
}
