import { addDays, type LocalDate } from './dates';
import type { MilestoneKind } from './contract-rules';
import { type EscalationPolicy, type PolicyStep, sendsLetter, stepOffset } from './policy';

/**
 * The escalation ladder's decisions, shared by the collection workflow and the policy simulator:
 * which letters and tasks are due at an instant, which are passed over, and when to look again.
 */
export interface LadderContext {
  policy: EscalationPolicy;
  milestoneKind: MilestoneKind;
  dueDate: LocalDate;
  /** When a step dated on a calendar day goes out (business calendar, send time, time zone). */
  instantOf(date: LocalDate): number;
}

export interface LadderState {
  /** The last occurrence handled (performed or passed over) of each step. */
  handled: Record<string, number>;
  /** Finance's answer for steps that need approval. */
  approvals: Record<string, 'approved' | 'rejected'>;
}

export interface Occurrence {
  step: PolicyStep;
  occurrence: number;
  date: LocalDate;
  at: number;
}

export interface LadderDecision {
  /** Letters and tasks to carry out now, lowest rung first. */
  due: Occurrence[];
  /** Occurrences passed over because a later one already applies (catch-up, resume after a pause). */
  skipped: Occurrence[];
  /** A step that needs finance's approval before it goes out; the ladder holds here meanwhile. */
  awaitingApproval?: Occurrence;
  /** When something next falls due, if anything does. */
  nextAt?: number;
}

export const emptyLadderState = (): LadderState => ({ handled: {}, approvals: {} });

function orderedSteps(ctx: LadderContext): PolicyStep[] {
  return [...ctx.policy.steps].sort((a, b) => stepOffset(a, ctx.milestoneKind) - stepOffset(b, ctx.milestoneKind));
}

/** Each context's step days (days after the due date) as date and instant: a decision asks for the same ones many times. */
const stepDays = new WeakMap<LadderContext, Map<number, { date: LocalDate; at: number }>>();

function stepDay(ctx: LadderContext, days: number): { date: LocalDate; at: number } {
  let byDays = stepDays.get(ctx);
  if (!byDays) stepDays.set(ctx, (byDays = new Map()));
  let day = byDays.get(days);
  if (!day) {
    const date = addDays(ctx.dueDate, days);
    byDays.set(days, (day = { date, at: ctx.instantOf(date) }));
  }
  return day;
}

function occurrenceOf(ctx: LadderContext, step: PolicyStep, n: number): Occurrence {
  const { date, at } = stepDay(ctx, stepOffset(step, ctx.milestoneKind) + (n - 1) * (step.repeatEveryDays ?? 0));
  return { step, occurrence: n, date, at };
}

/** A letter step stops repeating once a higher letter rung has gone out; tasks repeat while overdue. */
function supersededAt(ctx: LadderContext, step: PolicyStep, steps: PolicyStep[]): number {
  if (!sendsLetter(step)) return Infinity;
  const higher = steps.filter(
    (s) => sendsLetter(s) && stepOffset(s, ctx.milestoneKind) > stepOffset(step, ctx.milestoneKind),
  );
  return higher.length === 0 ? Infinity : Math.min(...higher.map((s) => occurrenceOf(ctx, s, 1).at));
}

/** The occurrences of a step up to `now`, and the next one after it. */
function occurrencesUntil(
  ctx: LadderContext,
  step: PolicyStep,
  steps: PolicyStep[],
  now: number,
): { latest: number; next?: Occurrence } {
  const stopAt = supersededAt(ctx, step, steps);
  let latest = 0;
  for (;;) {
    const candidate = occurrenceOf(ctx, step, latest + 1);
    const allowed = latest === 0 || (step.repeatEveryDays !== undefined && candidate.at < stopAt);
    if (!allowed) return { latest };
    if (candidate.at > now) return { latest, next: candidate };
    latest += 1;
  }
}

export function decideLadder(ctx: LadderContext, state: LadderState, now: number): LadderDecision {
  const steps = orderedSteps(ctx);
  const gate = steps.find(
    (s) => s.requiresApproval && state.approvals[s.key] !== 'approved' && occurrenceOf(ctx, s, 1).at <= now,
  );
  // The ladder holds at a step waiting for (or refused) approval: nothing from that rung on is decided.
  const gateOffset = gate ? stepOffset(gate, ctx.milestoneKind) : Infinity;
  const active = steps.filter((s) => stepOffset(s, ctx.milestoneKind) < gateOffset);

  const dueLetters: Occurrence[] = [];
  const dueTasks: Occurrence[] = [];
  const skipped: Occurrence[] = [];
  const upcoming: number[] = [];
  for (const step of active) {
    const { latest, next } = occurrencesUntil(ctx, step, steps, now);
    if (next) upcoming.push(next.at);
    const handled = state.handled[step.key] ?? 0;
    if (latest <= handled) continue;
    for (let n = handled + 1; n < latest; n++) skipped.push(occurrenceOf(ctx, step, n));
    (sendsLetter(step) ? dueLetters : dueTasks).push(occurrenceOf(ctx, step, latest));
  }
  // Of the letters due together, only the highest rung goes out: one letter, not a burst.
  const letter = dueLetters[dueLetters.length - 1];
  skipped.push(...dueLetters.slice(0, -1));
  const due = [...dueTasks, ...(letter ? [letter] : [])].sort(
    (a, b) => stepOffset(a.step, ctx.milestoneKind) - stepOffset(b.step, ctx.milestoneKind),
  );

  const awaitingApproval = gate && state.approvals[gate.key] === undefined ? occurrenceOf(ctx, gate, 1) : undefined;
  return { due, skipped, awaitingApproval, nextAt: upcoming.length > 0 ? Math.min(...upcoming) : undefined };
}

/** Marks what a decision performed and passed over, so the same occurrences are never due again. */
export function recordHandled(state: LadderState, occurrences: Occurrence[]): LadderState {
  const handled = { ...state.handled };
  for (const o of occurrences) handled[o.step.key] = Math.max(handled[o.step.key] ?? 0, o.occurrence);
  return { ...state, handled };
}

/**
 * A broken promise escalates one step at once: the first letter rung above the highest one that
 * has gone out, unless it waits for approval. Undefined when there is no rung left to climb.
 */
export function escalateOneRung(ctx: LadderContext, state: LadderState, now: number): Occurrence | undefined {
  const letters = orderedSteps(ctx).filter(sendsLetter);
  const reached = letters.filter((s) => (state.handled[s.key] ?? 0) > 0).map((s) => stepOffset(s, ctx.milestoneKind));
  const highest = reached.length > 0 ? Math.max(...reached) : -Infinity;
  const next = letters.find((s) => stepOffset(s, ctx.milestoneKind) > highest && stepOffset(s, ctx.milestoneKind) > 0);
  if (!next || (next.requiresApproval && state.approvals[next.key] !== 'approved')) return undefined;
  return { ...occurrenceOf(ctx, next, 1), at: now };
}

/** Where a step of an invoice's ladder stands, as people read it: performed, passed over, waiting, or to come. */
export type LadderStepState = 'done' | 'skipped' | 'awaiting_approval' | 'paused' | 'next' | 'pending';

export interface LadderProgress {
  /** Occurrences handled per step key (the collection's state). */
  handled: Record<string, number>;
  /** Steps that left a letter or a task behind: handled without one means passed over. */
  acted: ReadonlySet<string>;
  awaitingApproval?: string;
  pausedBy?: 'dispute' | 'promise';
  balanceMinor: number;
}

/**
 * The policy's steps in the order they fall due for an invoice, each dated from its due date and placed:
 * handled with a letter or task to show for it is done, handled without is skipped (a later rung already
 * applied); the first step not handled yet is next, or paused by a dispute or a promise.
 */
export function ladderProgress(
  policy: EscalationPolicy,
  kind: MilestoneKind,
  dueDate: LocalDate,
  progress: LadderProgress,
): { step: PolicyStep; date: LocalDate; lastOccurrence: number; state: LadderStepState }[] {
  const steps = [...policy.steps].sort((a, b) => stepOffset(a, kind) - stepOffset(b, kind));
  let nextFound = false;
  return steps.map((step) => {
    const handled = progress.handled[step.key] ?? 0;
    let state: LadderStepState;
    if (progress.awaitingApproval === step.key) state = 'awaiting_approval';
    else if (handled > 0) state = progress.acted.has(step.key) ? 'done' : 'skipped';
    else if (nextFound || progress.balanceMinor <= 0) state = 'pending';
    else state = progress.pausedBy ? 'paused' : 'next';
    if (state === 'next' || state === 'paused' || state === 'awaiting_approval') nextFound = true;
    return { step, date: addDays(dueDate, stepOffset(step, kind)), lastOccurrence: handled, state };
  });
}
