import type { BusinessCalendar } from './calendar';
import { letterInstant } from './calendar';
import type { SendTime } from './collection';
import { type CollectionFacts, decideCollection, disputeDeadline, promiseDeadline } from './collection-decision';
import type { MilestoneKind } from './contract-rules';
import type { LocalDate } from './dates';
import { type LadderContext, type Occurrence, emptyLadderState, recordHandled } from './ladder';
import { type EscalationPolicy, createsTask, sendsLetter } from './policy';

/** What happened (or might happen) to an invoice, as instants: the simulator replays collection over them. */
export type SimulationEvent =
  | { at: number; kind: 'payment'; amountMinor: number }
  | { at: number; kind: 'dispute_opened' }
  | { at: number; kind: 'dispute_resolved'; creditMinor?: number }
  | { at: number; kind: 'promise'; promisedDate: LocalDate; amountMinor: number };

export interface SimulatedInvoice {
  invoiceNo: string;
  dueDate: LocalDate;
  milestoneKind: MilestoneKind;
  amountMinor: number;
  timeZone: string;
  /** When its collection starts (the invoice's issue, or go-live for an imported one). */
  startAt: number;
  events: SimulationEvent[];
}

export interface SimulatedAction {
  at: number;
  kind: 'letter' | 'task' | 'approval_requested' | 'dispute_escalated' | 'promise_kept' | 'promise_broken' | 'paid';
  step?: string;
  occurrence?: number;
}

export interface SimulationSettings {
  policy: EscalationPolicy;
  calendar: BusinessCalendar;
  sendTime: SendTime;
  /** Simulate up to this instant. */
  until: number;
  /** Assume finance approves gated steps as soon as asked (otherwise the ladder holds there). */
  approveGatedSteps: boolean;
}

type InstantOf = (date: LocalDate) => number;

/** Send instants per calendar, send time and zone: the ladder asks for the same few hundred dates thousands of times. */
const instantCaches = new WeakMap<BusinessCalendar, Map<string, InstantOf>>();

function cachedInstantOf(calendar: BusinessCalendar, sendTime: SendTime, timeZone: string): InstantOf {
  let byZone = instantCaches.get(calendar);
  if (!byZone) instantCaches.set(calendar, (byZone = new Map()));
  const key = `${sendTime} ${timeZone}`;
  let instantOf = byZone.get(key);
  if (!instantOf) {
    const instants = new Map<LocalDate, number>();
    instantOf = (date) => {
      let at = instants.get(date);
      if (at === undefined) instants.set(date, (at = letterInstant(calendar, date, sendTime, timeZone)));
      return at;
    };
    byZone.set(key, instantOf);
  }
  return instantOf;
}

/**
 * Replays one invoice's collection with the same decision function the workflow uses
 * (decideCollection), applying each decision to the facts the way the workflow does.
 */
export function simulateInvoice(invoice: SimulatedInvoice, settings: SimulationSettings): SimulatedAction[] {
  const { policy } = settings;
  const ctx: LadderContext = {
    policy,
    milestoneKind: invoice.milestoneKind,
    dueDate: invoice.dueDate,
    instantOf: cachedInstantOf(settings.calendar, settings.sendTime, invoice.timeZone),
  };
  const facts: CollectionFacts = {
    ladder: emptyLadderState(),
    balanceMinor: invoice.amountMinor,
    paidToleranceMinor: policy.paidToleranceMinor,
    approvalsRequested: [],
  };
  const events = [...invoice.events].sort((a, b) => a.at - b.at);
  const actions: SimulatedAction[] = [];
  const apply = (event: SimulationEvent) => {
    switch (event.kind) {
      case 'payment':
        facts.balanceMinor -= event.amountMinor;
        break;
      case 'dispute_opened':
        facts.dispute ??= { slaDueAt: disputeDeadline(event.at, policy.disputeSlaDays), escalated: false };
        break;
      case 'dispute_resolved':
        facts.dispute = undefined;
        facts.balanceMinor -= event.creditMinor ?? 0;
        break;
      case 'promise':
        facts.promise ??= {
          deadline: promiseDeadline(event.promisedDate, policy.promiseGraceDays, ctx.instantOf),
          amountMinor: event.amountMinor,
          balanceAtPromise: facts.balanceMinor,
        };
        break;
    }
  };
  let now = invoice.startAt;
  while (events.length > 0 && events[0].at <= now) apply(events.shift()!);
  for (let guard = 0; guard < 100_000; guard++) {
    const decision = decideCollection(ctx, facts, now);
    switch (decision.kind) {
      case 'done':
        actions.push({ at: now, kind: 'paid' });
        return actions;
      case 'escalate_dispute':
        facts.dispute!.escalated = true;
        actions.push({ at: now, kind: 'dispute_escalated' });
        continue;
      case 'promise_kept':
      case 'promise_broken':
        facts.promise = undefined;
        actions.push({ at: now, kind: decision.kind });
        if (decision.kind === 'promise_broken') perform(decision.perform, decision.skipped);
        continue;
      case 'request_approval':
        facts.approvalsRequested.push(decision.step);
        actions.push({ at: now, kind: 'approval_requested', step: decision.step });
        if (settings.approveGatedSteps)
          facts.ladder = { ...facts.ladder, approvals: { ...facts.ladder.approvals, [decision.step]: 'approved' } };
        continue;
      case 'perform':
        perform(decision.perform, decision.skipped);
        continue;
      case 'wait': {
        const next = Math.min(decision.until ?? Infinity, events[0]?.at ?? Infinity);
        if (next === Infinity || next > settings.until) return actions;
        now = next;
        while (events.length > 0 && events[0].at <= now) apply(events.shift()!);
      }
    }
  }
  throw new Error(`simulation of ${invoice.invoiceNo} did not settle`);

  function perform(occurrences: Occurrence[], skipped: Occurrence[]) {
    for (const o of occurrences) {
      if (sendsLetter(o.step)) actions.push({ at: now, kind: 'letter', step: o.step.key, occurrence: o.occurrence });
      if (createsTask(o.step)) actions.push({ at: now, kind: 'task', step: o.step.key, occurrence: o.occurrence });
    }
    facts.ladder = recordHandled(facts.ladder, [...skipped, ...occurrences]);
  }
}

export interface SimulationSummary {
  invoices: number;
  letters: number;
  tasks: number;
  /** Letters sent before each invoice's first payment, added up. */
  lettersBeforeFirstPayment: number;
  perStep: Record<string, { letters: number; tasks: number }>;
}

export function summarize(results: { invoice: SimulatedInvoice; actions: SimulatedAction[] }[]): SimulationSummary {
  const summary: SimulationSummary = {
    invoices: results.length,
    letters: 0,
    tasks: 0,
    lettersBeforeFirstPayment: 0,
    perStep: {},
  };
  for (const { invoice, actions } of results) {
    const firstPayment = Math.min(...invoice.events.filter((e) => e.kind === 'payment').map((e) => e.at));
    for (const action of actions) {
      if (action.kind !== 'letter' && action.kind !== 'task') continue;
      const counts = (summary.perStep[action.step!] ??= { letters: 0, tasks: 0 });
      if (action.kind === 'letter') {
        summary.letters += 1;
        counts.letters += 1;
        if (action.at < firstPayment) summary.lettersBeforeFirstPayment += 1;
      } else {
        summary.tasks += 1;
        counts.tasks += 1;
      }
    }
  }
  return summary;
}

/** A whole simulation request, resolved to plain data: what the API hands to a CPU thread. */
export interface SimulationJob {
  policy: EscalationPolicy;
  /** Calendars by id; each invoice names the one it follows. */
  calendars: Record<string, BusinessCalendar>;
  sendTime: SendTime;
  approveGatedSteps: boolean;
  invoices: { invoice: SimulatedInvoice; calendarId: string; until: number }[];
}

export interface SimulationReport {
  summary: SimulationSummary;
  invoices: {
    invoiceNo: string;
    lettersBeforeEachPayment: { paymentAt: string; letters: number }[];
    actions: { at: string; kind: SimulatedAction['kind']; step?: string; occurrence?: number }[];
  }[];
}

/** Simulates every invoice of a request and reports its actions with ISO times, and the totals. */
export function simulateJob(job: SimulationJob): SimulationReport {
  const results = job.invoices.map(({ invoice, calendarId, until }) => ({
    invoice,
    actions: simulateInvoice(invoice, {
      policy: job.policy,
      calendar: job.calendars[calendarId],
      sendTime: job.sendTime,
      until,
      approveGatedSteps: job.approveGatedSteps,
    }),
  }));
  return {
    summary: summarize(results),
    invoices: results.map(({ invoice, actions }) => ({
      invoiceNo: invoice.invoiceNo,
      lettersBeforeEachPayment: invoice.events
        .filter((e) => e.kind === 'payment')
        .map((payment) => ({
          paymentAt: new Date(payment.at).toISOString(),
          letters: actions.filter((a) => a.kind === 'letter' && a.at < payment.at).length,
        })),
      actions: actions.map((a) => ({
        at: new Date(a.at).toISOString(),
        kind: a.kind,
        step: a.step,
        occurrence: a.occurrence,
      })),
    })),
  };
}
