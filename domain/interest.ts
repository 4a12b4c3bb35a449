import { addDays, daysBetween, type LocalDate } from './dates';
import { mulDivHalfUp } from './money';

/** Annual rates are kept in ten-thousandths of a percent: "18.25" → 182_500. */
export const RATE_SCALE = 10_000;

export function parseAnnualRatePercent(text: string): number | undefined {
  const match = /^(\d{1,3})(?:\.(\d{1,4}))?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * RATE_SCALE + Number((match[2] ?? '').padEnd(4, '0'));
}

export interface PaymentOnInvoice {
  /** The day the money arrived; it stops interest on its amount from that day on. */
  date: LocalDate;
  amountMinor: number;
}

export interface InterestInput {
  principalMinor: number;
  dueDate: LocalDate;
  /** The last day interest is counted for (inclusive). */
  asOf: LocalDate;
  annualRate: number;
  payments: PaymentOnInvoice[];
}

/**
 * Simple late interest, actual/365: each day from the day after the due date up to asOf earns
 * balance × rate / 365 on the principal still unpaid that day; the total is rounded half-up once.
 */
export function accruedInterest(input: InterestInput): number {
  const firstDay = addDays(input.dueDate, 1);
  if (input.asOf < firstDay || input.annualRate <= 0) return 0;
  const payments = [...input.payments].sort((a, b) => a.date.localeCompare(b.date));
  let balance =
    input.principalMinor - payments.filter((p) => p.date < firstDay).reduce((sum, p) => sum + p.amountMinor, 0);
  let cursor = firstDay;
  let balanceDays = 0; // Σ balance × days, in minor-unit days
  for (const payment of payments.filter((p) => p.date >= firstDay && p.date <= input.asOf)) {
    balanceDays += Math.max(balance, 0) * daysBetween(cursor, payment.date);
    balance -= payment.amountMinor;
    cursor = payment.date;
  }
  balanceDays += Math.max(balance, 0) * (daysBetween(cursor, input.asOf) + 1);
  return mulDivHalfUp(balanceDays, input.annualRate, 100 * RATE_SCALE * 365);
}
