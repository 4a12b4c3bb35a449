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
  /** The day the money arrived; that day still earns interest on its amount, the next day does not. */
  date: LocalDate;
  amountMinor: number;
}

export interface InterestInput {
  principalMinor: number;
  dueDate: LocalDate;
  /** The last day interest is counted for (inclusive): a letter's or statement's day, or the assessment day. */
  asOf: LocalDate;
  annualRate: number;
  payments: PaymentOnInvoice[];
}

/**
 * Simple late interest, actual/365. One rule for letters, statements and the assessment at payment:
 * every day from the day after the due date up to and including `asOf` is a day of interest, and
 * each day earns balance × rate / 365 on the principal still unpaid at the start of that day. A
 * payment therefore stops interest from the day after it arrives: money arriving on day D makes the
 * invoice D − due date days late, the same count a letter dated D states ("days overdue"), so paying
 * a letter's total on its day leaves exactly nothing owed. The total is rounded half-up once.
 */
export function accruedInterest(input: InterestInput): number {
  const firstDay = addDays(input.dueDate, 1);
  if (input.asOf < firstDay || input.annualRate <= 0) return 0;
  const payments = [...input.payments].sort((a, b) => a.date.localeCompare(b.date));
  let balance =
    input.principalMinor - payments.filter((p) => p.date < firstDay).reduce((sum, p) => sum + p.amountMinor, 0);
  let cursor = firstDay; // the first day not yet counted
  let balanceDays = 0; // Σ balance × days, in minor-unit days
  for (const payment of payments.filter((p) => p.date >= firstDay && p.date <= input.asOf)) {
    // The days up to and including the payment's day earn interest on the balance before it.
    if (payment.date >= cursor) {
      balanceDays += Math.max(balance, 0) * (daysBetween(cursor, payment.date) + 1);
      cursor = addDays(payment.date, 1);
    }
    balance -= payment.amountMinor;
  }
  if (cursor <= input.asOf) balanceDays += Math.max(balance, 0) * (daysBetween(cursor, input.asOf) + 1);
  return mulDivHalfUp(balanceDays, input.annualRate, 100 * RATE_SCALE * 365);
}
