import { daysBetween } from './dates';
import type { EscalationPolicy } from './policy';

/**
 * The automatic credit hold (SPEC section 5), as a pure rule. A customer is held when
 *  - an open invoice (balance above zero) is past the hold threshold of its own escalation policy —
 *    the day offset of the policy's creditHold step (+30 days in the default policy); the invoice
 *    reported is the oldest such one, so paying it moves the question to the next oldest; or
 *  - its exposure (open receivables + approved but unbilled contract value) exceeds its effective
 *    credit limit (an active limit override, else the credit limit).
 * The hold is lifted automatically when neither is true any more. An executive release
 * (hold_release_until on or after today) keeps the automatic hold off until that date; a manual
 * hold set by finance is never lifted by this rule.
 */

export interface OpenInvoiceFact {
  invoiceNo: string;
  dueDate: string;
  balanceMinor: number;
  /** Days after the due date at which the invoice's policy puts the customer on hold; null when its policy never does. */
  holdAfterDays: number | null;
}

export interface HoldFacts {
  today: string;
  openInvoices: OpenInvoiceFact[];
  openReceivablesMinor: number;
  unbilledMinor: number;
  limitMinor: number;
  /** Executive release: no automatic hold up to and including this date. */
  releaseUntil: string | null;
}

export type HoldReason =
  | {
      code: 'invoice_past_threshold';
      invoiceNo: string;
      dueDate: string;
      daysOverdue: number;
      thresholdDays: number;
      balanceMinor: number;
    }
  | { code: 'exposure_over_limit'; exposureMinor: number; limitMinor: number };

export interface HoldDecision {
  /** Whether the automatic hold applies (false while an executive release is in force). */
  hold: boolean;
  /** What would hold the customer, whether or not a release suppresses it. */
  reasons: HoldReason[];
  releasedUntil: string | null;
  exposureMinor: number;
}

/** The day offset of a policy's credit-hold step, or null when the policy has none. */
export function holdThresholdDays(policy: Pick<EscalationPolicy, 'steps'>): number | null {
  const steps = policy.steps.filter((s) => s.creditHold);
  return steps.length === 0 ? null : Math.min(...steps.map((s) => s.offsetDays));
}

export function creditHoldDecision(facts: HoldFacts): HoldDecision {
  const reasons: HoldReason[] = [];
  const byAge = [...facts.openInvoices]
    .filter((i) => i.balanceMinor > 0)
    .sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.invoiceNo < b.invoiceNo ? -1 : 1));
  const pastThreshold = byAge.find(
    (i) => i.holdAfterDays !== null && daysBetween(i.dueDate, facts.today) >= i.holdAfterDays,
  );
  if (pastThreshold) {
    reasons.push({
      code: 'invoice_past_threshold',
      invoiceNo: pastThreshold.invoiceNo,
      dueDate: pastThreshold.dueDate,
      daysOverdue: daysBetween(pastThreshold.dueDate, facts.today),
      thresholdDays: pastThreshold.holdAfterDays!,
      balanceMinor: pastThreshold.balanceMinor,
    });
  }
  const exposureMinor = facts.openReceivablesMinor + facts.unbilledMinor;
  if (exposureMinor > facts.limitMinor)
    reasons.push({ code: 'exposure_over_limit', exposureMinor, limitMinor: facts.limitMinor });
  const releasedUntil = facts.releaseUntil !== null && facts.releaseUntil >= facts.today ? facts.releaseUntil : null;
  return { hold: reasons.length > 0 && releasedUntil === null, reasons, releasedUntil, exposureMinor };
}

export type HoldSource = 'auto' | 'manual';

export interface CurrentHold {
  creditHold: boolean;
  /** 'auto' or 'manual'; a hold without a source predates automatic holds and counts as manual. */
  source: string | null;
}

/** What applying a decision does to the customer's hold: set an automatic one, lift an automatic one, or nothing. */
export function holdChange(current: CurrentHold, decision: HoldDecision): 'set' | 'lift' | 'none' {
  if (!current.creditHold) return decision.hold ? 'set' : 'none';
  if (current.source === 'auto' && !decision.hold) return 'lift';
  return 'none';
}

/** A reason in words, for the customer row, the timeline and the console. */
export function describeHoldReason(reason: HoldReason, money: (minor: number) => string): string {
  if (reason.code === 'invoice_past_threshold') {
    return `invoice ${reason.invoiceNo} is ${reason.daysOverdue} days past its due date ${reason.dueDate} (hold threshold ${reason.thresholdDays} days), ${money(reason.balanceMinor)} open`;
  }
  return `exposure ${money(reason.exposureMinor)} exceeds the credit limit ${money(reason.limitMinor)}`;
}
