import { describe, expect, it } from 'vitest';
import {
  assessCredit,
  assessCreditTotals,
  effectiveGrade,
  effectiveLimit,
  monthsBefore,
  paymentTotals,
  wholeMonthsBetween,
} from '../../domain/credit';

const invoices = (...daysLate: number[]) => daysLate.map((d) => ({ amountMinor: 1_000_000, daysLate: d }));

describe('credit grade formula (worked examples)', () => {
  it('gives A to a long-standing customer that always pays on time', () => {
    const result = assessCredit({
      paidInvoices: invoices(0, -3, 0, 0),
      overdueBalanceMinor: 0,
      creditLimitMinor: 10_000_000,
      disputes: 0,
      brokenPromises: 0,
      tenureMonths: 36,
    });
    expect(result.factors).toEqual({
      onTime: 350,
      daysLate: 250,
      overdue: 200,
      promises: 100,
      disputes: 50,
      tenure: 50,
    });
    expect(result.scoreTenths).toBe(1000);
    expect(result.grade).toBe('A');
  });

  it('gives C to a customer half on time, 15 days late on average by amount, a quarter of its limit overdue', () => {
    // on time 2 of 4 → 175; weighted days late (0+0+30+30)/4 = 15 → 250 × (1 − 15/60) = 187.5 → 188;
    // overdue 2,500,000 of 10,000,000 → 200 × 0.75 = 150; no promise broken 100; 1 dispute 40; 12 months 25;
    // total 175 + 188 + 150 + 100 + 40 + 25 = 678, below B's 700
    const result = assessCredit({
      paidInvoices: invoices(0, 0, 30, 30),
      overdueBalanceMinor: 2_500_000,
      creditLimitMinor: 10_000_000,
      disputes: 1,
      brokenPromises: 0,
      tenureMonths: 12,
    });
    expect(result.factors).toEqual({
      onTime: 175,
      daysLate: 188,
      overdue: 150,
      promises: 100,
      disputes: 40,
      tenure: 25,
    });
    expect(result.scoreTenths).toBe(678);
    expect(result.grade).toBe('C');
    expect(result.onTimeRatePercent).toBe(50);
    expect(result.weightedDaysLate).toBe(15);
  });

  it('weights days late by amount: a small very late invoice counts less than a large one', () => {
    const small = assessCredit({
      paidInvoices: [
        { amountMinor: 100_000, daysLate: 90 },
        { amountMinor: 900_000, daysLate: 0 },
        { amountMinor: 1_000_000, daysLate: 0 },
      ],
      overdueBalanceMinor: 0,
      creditLimitMinor: 1,
      disputes: 0,
      brokenPromises: 0,
      tenureMonths: 24,
    });
    // weighted = 100,000 × 90 / 2,000,000 = 4.5 days → 250 × (1 − 4.5/60) = 231.25 → 231
    expect(small.weightedDaysLate).toBe(4.5);
    expect(small.factors.daysLate).toBe(231);
    // on time 2 of 3 = 233.33 → 233; total 233 + 231 + 200 + 100 + 50 + 50 = 864 → A
    expect(small.scoreTenths).toBe(864);
    expect(small.grade).toBe('A');
  });

  it('gives D to a customer with overdue beyond its limit and broken promises', () => {
    const result = assessCredit({
      paidInvoices: invoices(45, 70, 10),
      overdueBalanceMinor: 12_000_000,
      creditLimitMinor: 10_000_000,
      disputes: 6,
      brokenPromises: 2,
      tenureMonths: 6,
    });
    // on time 0 → 0; weighted (45+70+10)/3 = 41.67 → 250 × (1 − 41.67/60) = 76.4 → 76; overdue ≥ limit 0; promises 0; disputes 0; tenure 6/24 → 12.5 → 13
    expect(result.factors).toEqual({ onTime: 0, daysLate: 76, overdue: 0, promises: 0, disputes: 0, tenure: 13 });
    expect(result.grade).toBe('D');
  });

  it('keeps a customer with fewer than three paid invoices ungraded (new)', () => {
    const result = assessCredit({
      paidInvoices: invoices(0, 0),
      overdueBalanceMinor: 0,
      creditLimitMinor: 1_000_000,
      disputes: 0,
      brokenPromises: 0,
      tenureMonths: 3,
    });
    expect(result.grade).toBeNull();
    expect(result.scoreTenths).toBe(350 + 250 + 200 + 100 + 50 + 6);
  });

  it('treats any overdue amount with no credit limit as fully over the limit', () => {
    expect(
      assessCredit({
        paidInvoices: invoices(0, 0, 0),
        overdueBalanceMinor: 1,
        creditLimitMinor: 0,
        disputes: 0,
        brokenPromises: 0,
        tenureMonths: 24,
      }).factors.overdue,
    ).toBe(0);
  });
});

describe('credit grade from SQL totals, effective grade and limit', () => {
  it('gives the same assessment from totals as from the list of invoices', () => {
    const history = {
      paidInvoices: [
        { amountMinor: 300_000, daysLate: 12 },
        { amountMinor: 700_000, daysLate: -2 },
        { amountMinor: 1_000_000, daysLate: 40 },
      ],
      overdueBalanceMinor: 500_000,
      creditLimitMinor: 2_000_000,
      disputes: 2,
      brokenPromises: 1,
      tenureMonths: 7,
    };
    const totals = paymentTotals(history);
    expect(totals).toMatchObject({
      paidCount: 3,
      onTimeCount: 1,
      paidAmountMinor: 2_000_000,
      lateAmountDays: 300_000 * 12 + 1_000_000 * 40,
    });
    expect(assessCreditTotals(totals)).toEqual(assessCredit(history));
    // weighted days late (3,600,000 + 40,000,000) / 2,000,000 = 21.8 → 250 × (1 − 21.8/60) = 159.2 → 159
    expect(assessCreditTotals(totals).factors.daysLate).toBe(159);
  });

  it('uses an active override, else the computed grade, else the grade given at creation', () => {
    expect(
      effectiveGrade({ override: 'D', overrideUntil: '2026-03-31', computed: 'A', assigned: 'B', today: '2026-03-31' }),
    ).toBe('D');
    expect(
      effectiveGrade({ override: 'D', overrideUntil: '2026-03-30', computed: 'A', assigned: 'B', today: '2026-03-31' }),
    ).toBe('A');
    expect(
      effectiveGrade({ override: null, overrideUntil: null, computed: null, assigned: 'B', today: '2026-03-31' }),
    ).toBe('B');
    expect(
      effectiveGrade({ override: null, overrideUntil: null, computed: null, assigned: null, today: '2026-03-31' }),
    ).toBeNull();
  });

  it('uses an active limit override through its last day only', () => {
    expect(
      effectiveLimit({ limitMinor: 1_000, overrideMinor: 5_000, overrideUntil: '2026-04-01', today: '2026-04-01' }),
    ).toBe(5_000);
    expect(
      effectiveLimit({ limitMinor: 1_000, overrideMinor: 5_000, overrideUntil: '2026-04-01', today: '2026-04-02' }),
    ).toBe(1_000);
    expect(
      effectiveLimit({ limitMinor: 1_000, overrideMinor: 0, overrideUntil: '2026-04-01', today: '2026-03-01' }),
    ).toBe(0);
  });

  it('counts the period and tenure in calendar months', () => {
    expect(monthsBefore('2026-03-15', 12)).toBe('2025-03-15');
    expect(monthsBefore('2024-02-29', 12)).toBe('2023-02-28');
    expect(monthsBefore('2026-01-31', 2)).toBe('2025-11-30');
    expect(wholeMonthsBetween('2025-01-20', '2026-01-19')).toBe(11);
    expect(wholeMonthsBetween('2025-01-20', '2026-01-20')).toBe(12);
    expect(wholeMonthsBetween('2026-02-01', '2026-01-01')).toBe(0);
  });
});
