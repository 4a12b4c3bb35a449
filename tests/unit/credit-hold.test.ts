import { describe, expect, it } from 'vitest';
import { type HoldFacts, creditHoldDecision, holdChange, holdThresholdDays } from '../../domain/credit-hold';
import { DEFAULT_POLICY } from '../../domain/policy';

const facts = (overrides: Partial<HoldFacts> = {}): HoldFacts => ({
  today: '2026-05-31',
  openInvoices: [],
  openReceivablesMinor: 0,
  unbilledMinor: 0,
  limitMinor: 10_000_000,
  releaseUntil: null,
  ...overrides,
});
const invoice = (invoiceNo: string, dueDate: string, holdAfterDays: number | null = 30, balanceMinor = 1_000_000) => ({
  invoiceNo,
  dueDate,
  balanceMinor,
  holdAfterDays,
});

describe('automatic credit hold rule', () => {
  it("takes the threshold from the policy's credit-hold step (+30 in the default policy)", () => {
    expect(holdThresholdDays(DEFAULT_POLICY)).toBe(30);
    expect(holdThresholdDays({ steps: DEFAULT_POLICY.steps.filter((s) => !s.creditHold) })).toBeNull();
  });

  it('holds when the oldest open invoice reaches the threshold, not a day before', () => {
    expect(creditHoldDecision(facts({ openInvoices: [invoice('INV-1', '2026-05-02')] })).hold).toBe(false); // 29 days
    const decision = creditHoldDecision(
      facts({ openInvoices: [invoice('INV-2', '2026-05-20'), invoice('INV-1', '2026-05-01')] }),
    );
    expect(decision.hold).toBe(true);
    expect(decision.reasons).toEqual([
      {
        code: 'invoice_past_threshold',
        invoiceNo: 'INV-1',
        dueDate: '2026-05-01',
        daysOverdue: 30,
        thresholdDays: 30,
        balanceMinor: 1_000_000,
      },
    ]);
  });

  it('moves to the next oldest when the oldest is paid', () => {
    const open = [invoice('INV-2', '2026-04-25'), invoice('INV-3', '2026-05-25')];
    expect(creditHoldDecision(facts({ openInvoices: open })).reasons[0]).toMatchObject({
      invoiceNo: 'INV-2',
      daysOverdue: 36,
    });
    expect(creditHoldDecision(facts({ openInvoices: open.slice(1) })).hold).toBe(false);
  });

  it("follows each invoice's own policy and ignores invoices whose balance is paid", () => {
    expect(creditHoldDecision(facts({ openInvoices: [invoice('INV-1', '2026-04-01', 90)] })).hold).toBe(false);
    expect(creditHoldDecision(facts({ openInvoices: [invoice('INV-1', '2026-04-01', null)] })).hold).toBe(false);
    expect(
      creditHoldDecision(
        facts({ openInvoices: [invoice('INV-1', '2026-04-01', 90), invoice('INV-2', '2026-05-01', 30)] }),
      ).reasons[0],
    ).toMatchObject({ invoiceNo: 'INV-2' });
    expect(creditHoldDecision(facts({ openInvoices: [invoice('INV-1', '2026-01-01', 30, 0)] })).hold).toBe(false);
  });

  it('holds when exposure (open receivables + approved unbilled) exceeds the limit, not when it equals it', () => {
    expect(creditHoldDecision(facts({ openReceivablesMinor: 6_000_000, unbilledMinor: 4_000_000 })).hold).toBe(false);
    const over = creditHoldDecision(facts({ openReceivablesMinor: 6_000_000, unbilledMinor: 4_000_001 }));
    expect(over.hold).toBe(true);
    expect(over.reasons).toEqual([{ code: 'exposure_over_limit', exposureMinor: 10_000_001, limitMinor: 10_000_000 }]);
  });

  it('keeps the automatic hold off while an executive release is in force (through its last day)', () => {
    const late = { openInvoices: [invoice('INV-1', '2026-04-01')] };
    expect(creditHoldDecision(facts({ ...late, releaseUntil: '2026-05-31' }))).toMatchObject({
      hold: false,
      releasedUntil: '2026-05-31',
    });
    expect(creditHoldDecision(facts({ ...late, releaseUntil: '2026-05-30' }))).toMatchObject({
      hold: true,
      releasedUntil: null,
    });
  });

  it('sets and lifts automatic holds only; a manual hold stays', () => {
    const hold = creditHoldDecision(facts({ openInvoices: [invoice('INV-1', '2026-04-01')] }));
    const clear = creditHoldDecision(facts());
    expect(holdChange({ creditHold: false, source: null }, hold)).toBe('set');
    expect(holdChange({ creditHold: false, source: null }, clear)).toBe('none');
    expect(holdChange({ creditHold: true, source: 'auto' }, clear)).toBe('lift');
    expect(holdChange({ creditHold: true, source: 'auto' }, hold)).toBe('none');
    expect(holdChange({ creditHold: true, source: 'manual' }, clear)).toBe('none');
    expect(holdChange({ creditHold: true, source: null }, clear)).toBe('none');
  });
});
