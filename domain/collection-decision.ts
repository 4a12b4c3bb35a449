import { DAY_MS, addDays, type LocalDate } from './dates';
import { type LadderContext, type LadderState, type Occurrence, decideLadder, escalateOneRung } from './ladder';
import { sendsLetter } from './policy';

/**
 * One decision of an invoice's collection at an instant: the collection workflow carries it out,
 * and the policy simulator replays it over past or imagined events, so both always agree.
 */
export interface CollectionFacts {
  ladder: LadderState;
  balanceMinor: number;
  paidToleranceMinor: number;
  dispute?: { slaDueAt: number; escalated: boolean };
  promise?: { deadline: number; amountMinor: number; balanceAtPromise: number };
  /** Gated steps for which an approval was already requested. */
  approvalsRequested: string[];
}

export type CollectionDecision =
  | { kind: 'done' }
  /** A dispute passed its deadline: escalate it once, then decide again. */
  | { kind: 'escalate_dispute' }
  | { kind: 'promise_kept' }
  /** The promise passed its deadline unpaid: perform the escalation at once. */
  | { kind: 'promise_broken'; perform: Occurrence[]; skipped: Occurrence[] }
  | { kind: 'perform'; perform: Occurrence[]; skipped: Occurrence[] }
  | { kind: 'request_approval'; step: string }
  /** Nothing to do before `until` (undefined: until a fact changes). */
  | { kind: 'wait'; until?: number; awaitingApproval?: string };

export function decideCollection(ctx: LadderContext, facts: CollectionFacts, now: number): CollectionDecision {
  if (facts.balanceMinor <= facts.paidToleranceMinor) return { kind: 'done' };
  if (facts.dispute) {
    // Letters pause while a dispute is open.
    if (!facts.dispute.escalated && now >= facts.dispute.slaDueAt) return { kind: 'escalate_dispute' };
    return { kind: 'wait', until: facts.dispute.escalated ? undefined : facts.dispute.slaDueAt };
  }
  if (facts.promise) {
    if (facts.promise.balanceAtPromise - facts.balanceMinor >= facts.promise.amountMinor)
      return { kind: 'promise_kept' };
    if (now < facts.promise.deadline) return { kind: 'wait', until: facts.promise.deadline };
    return { kind: 'promise_broken', ...brokenPromiseEscalation(ctx, facts.ladder, now) };
  }
  const decision = decideLadder(ctx, facts.ladder, now);
  const awaiting = decision.awaitingApproval?.step.key;
  if (awaiting && !facts.approvalsRequested.includes(awaiting)) return { kind: 'request_approval', step: awaiting };
  if (decision.due.length > 0) return { kind: 'perform', perform: decision.due, skipped: decision.skipped };
  return { kind: 'wait', until: decision.nextAt, awaitingApproval: awaiting };
}

/** A broken promise climbs one rung above the letter that applies now, and sends only that letter. */
function brokenPromiseEscalation(
  ctx: LadderContext,
  ladder: LadderState,
  now: number,
): { perform: Occurrence[]; skipped: Occurrence[] } {
  const applying = decideLadder(ctx, ladder, now);
  const lettersDue = applying.due.filter((o) => sendsLetter(o.step));
  const tasksDue = applying.due.filter((o) => !sendsLetter(o.step));
  const passed = [...applying.skipped, ...lettersDue];
  const handled = { ...ladder.handled };
  for (const o of passed) handled[o.step.key] = Math.max(handled[o.step.key] ?? 0, o.occurrence);
  const forced = escalateOneRung(ctx, { ...ladder, handled }, now);
  return forced
    ? { perform: [...tasksDue, forced], skipped: passed }
    : { perform: applying.due, skipped: applying.skipped };
}

/**
 * Letters stay paused through the promised date plus the grace days; the promise is judged broken at
 * the first send window after that (`instantOf` is the ladder's: business calendar, send time, zone).
 */
export function promiseDeadline(
  promisedDate: LocalDate,
  graceDays: number,
  instantOf: (date: LocalDate) => number,
): number {
  return instantOf(addDays(promisedDate, graceDays + 1));
}

export function disputeDeadline(openedAt: number, slaDays: number): number {
  return openedAt + slaDays * DAY_MS;
}
