import { describe, expect, it } from 'vitest';
import { accruedInterest, parseAnnualRatePercent } from '../../domain/interest';

describe('late interest', () => {
  it('parses annual percentages with up to four decimals', () => {
    expect(parseAnnualRatePercent('18.25')).toBe(182_500);
    expect(parseAnnualRatePercent('0.0365')).toBe(365);
    expect(parseAnnualRatePercent('12')).toBe(120_000);
    expect(parseAnnualRatePercent('1.23456')).toBeUndefined();
    expect(parseAnnualRatePercent('-1')).toBeUndefined();
  });

  it('accrues nothing up to and on the due date', () => {
    const base = { principalMinor: 1_000_000, dueDate: '2026-03-31', annualRate: 182_500, payments: [] };
    expect(accruedInterest({ ...base, asOf: '2026-03-30' })).toBe(0);
    expect(accruedInterest({ ...base, asOf: '2026-03-31' })).toBe(0);
  });

  it('accrues simple daily interest from the day after the due date, actual/365', () => {
    // 10,000.00 at 18.25% a year = 5.00 a day: 30 days = 150.00
    const input = {
      principalMinor: 1_000_000,
      dueDate: '2026-03-31',
      asOf: '2026-04-30',
      annualRate: 182_500,
      payments: [],
    };
    expect(accruedInterest(input)).toBe(15_000);
    // across the year end: 2026-12-31 due, 2027-01-01 is day 1
    expect(accruedInterest({ ...input, dueDate: '2026-12-31', asOf: '2027-01-01' })).toBe(500);
  });

  it('rounds the total half-up to the minor unit', () => {
    // 100.00 at 10% for 1 day = 10000 × 0.10 / 365 = 2.7397… fen → 3
    expect(
      accruedInterest({
        principalMinor: 10_000,
        dueDate: '2026-01-01',
        asOf: '2026-01-02',
        annualRate: 100_000,
        payments: [],
      }),
    ).toBe(3);
    // 36.50 at 1% for 5 days = 3650 × 0.01 × 5 / 365 = 0.5 fen → 1 (half-up)
    expect(
      accruedInterest({
        principalMinor: 3_650,
        dueDate: '2026-01-01',
        asOf: '2026-01-06',
        annualRate: 10_000,
        payments: [],
      }),
    ).toBe(1);
  });

  it('counts the day of a payment like a letter counts its own day: a letter total paid that day leaves 0 owed', () => {
    const base = { principalMinor: 1_000_000, dueDate: '2026-03-31', annualRate: 182_500 };
    // A letter dated 2026-04-10 (10 days overdue) states 10 days of interest: 50.00.
    const stated = accruedInterest({ ...base, asOf: '2026-04-10', payments: [] });
    expect(stated).toBe(5_000);
    // The principal paid that same day: assessed that day, or any later day, is what the letter said.
    for (const asOf of ['2026-04-10', '2026-04-11', '2026-06-30']) {
      expect(accruedInterest({ ...base, asOf, payments: [{ date: '2026-04-10', amountMinor: 1_000_000 }] })).toBe(
        stated,
      );
    }
    // One day late is one day of interest; paid on the due date, none.
    expect(
      accruedInterest({ ...base, asOf: '2026-04-01', payments: [{ date: '2026-04-01', amountMinor: 1_000_000 }] }),
    ).toBe(500);
    expect(
      accruedInterest({ ...base, asOf: '2026-04-30', payments: [{ date: '2026-03-31', amountMinor: 1_000_000 }] }),
    ).toBe(0);
    // Two payments on one day: the day is counted once, on the balance before both.
    expect(
      accruedInterest({
        ...base,
        asOf: '2026-04-30',
        payments: [
          { date: '2026-04-02', amountMinor: 400_000 },
          { date: '2026-04-02', amountMinor: 600_000 },
        ],
      }),
    ).toBe(1_000);
  });

  it('keeps accruing on what is unpaid after a partial payment, and stops on what was paid', () => {
    // 10,000.00 at 18.25%: 11 days on 10,000 (55.00) up to and including the day 4,000 is paid (day 11),
    // then 19 days on 6,000 (3.00/day = 57.00)
    const input = {
      principalMinor: 1_000_000,
      dueDate: '2026-03-31',
      asOf: '2026-04-30',
      annualRate: 182_500,
      payments: [{ date: '2026-04-11', amountMinor: 400_000 }],
    };
    expect(accruedInterest(input)).toBe(5_500 + 5_700);
  });

  it('keeps what accrued before the principal was paid in full', () => {
    const input = {
      principalMinor: 1_000_000,
      dueDate: '2026-03-31',
      asOf: '2026-06-30',
      annualRate: 182_500,
      payments: [{ date: '2026-04-11', amountMinor: 1_000_000 }],
    };
    // 11 days: 2026-04-01 up to and including the day it was paid
    expect(accruedInterest(input)).toBe(5_500);
  });

  it('ignores payments made before the due date except for the balance they leave', () => {
    const input = {
      principalMinor: 1_000_000,
      dueDate: '2026-03-31',
      asOf: '2026-04-02',
      annualRate: 182_500,
      payments: [{ date: '2026-03-20', amountMinor: 600_000 }],
    };
    // 2 days on 4,000.00 at 2.00 a day
    expect(accruedInterest(input)).toBe(400);
  });
});
