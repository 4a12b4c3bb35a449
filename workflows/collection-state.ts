import { type BusinessCalendar, letterInstant } from '../domain/calendar';
import type { SendTime } from '../domain/collection';
import type { CollectionFacts } from '../domain/collection-commands';
import type { MilestoneKind } from '../domain/contract-rules';
import { localDateOf } from '../domain/dates';
import { type LadderContext, type LadderState, emptyLadderState } from '../domain/ladder';
import type { EscalationPolicy } from '../domain/policy';
import type { Actor } from '../domain/roles';
import type { CollectionStatus } from './collection-messages';

export interface CollectionInput {
  invoiceNo: string;
  contractNo: string;
  dueDate: string;
  milestoneKind: MilestoneKind;
  timeZone: string;
  sendTime: SendTime;
  balanceMinor: number;
  /** The policy version this invoice keeps for its whole collection. */
  policy: EscalationPolicy;
  /** What an earlier run handed over through continue-as-new. */
  carried?: CarriedState;
  /** Decisions one run makes before it continues as new (default 500); tests lower it. */
  decisionsPerRun?: number;
  /**
   * The invoice's business calendar as read when the collection started (or continued as new): its first
   * decision needs no read of its own, and the first step checks it is still current.
   */
  calendar?: BusinessCalendar;
}

export interface OpenDispute {
  id: string;
  slaDueAt: number;
  escalated: boolean;
}
export interface OpenPromise {
  id: string;
  deadline: number;
  amountMinor: number;
  balanceAtPromise: number;
}
export interface WriteOffRequest {
  by: Actor;
  reason: string;
}

export interface CarriedState {
  ladder: LadderState;
  approvalsRequested: string[];
  dispute?: OpenDispute;
  promise?: OpenPromise;
  writeOffRequest?: WriteOffRequest;
  counters: { disputes: number; promises: number };
}

/**
 * Everything one collection knows, apart from how it is told things: the workflow's loop and its message
 * handlers (collection-handlers.ts) both read and change this one object. Deterministic: no I/O, no clock
 * but the workflow's own.
 */
export class CollectionState {
  policy: EscalationPolicy;
  balanceMinor: number;
  ladder: LadderState;
  readonly approvalsRequested: Set<string>;
  dispute?: OpenDispute;
  promise?: OpenPromise;
  writeOffRequest?: WriteOffRequest;
  readonly counters: { disputes: number; promises: number };
  writtenOff = false;
  /** Late interest assessed when the principal was paid, waiting for finance to collect or waive it. */
  interestOpenMinor = 0;
  /** Whether the interest of the current paid state has been assessed (an assessment is under way while paid and not yet). */
  interestAssessed = false;
  awaitingApproval?: string;
  nextActionAt?: number;
  calendar?: BusinessCalendar;
  /** Set by every message that may change the next decision; the loop wakes on it. */
  changed = false;
  /** A dispute's resolution is being recorded: the collection stays paused until its credit note is written. */
  resolvingDispute = false;

  constructor(readonly input: CollectionInput) {
    this.policy = input.policy;
    this.balanceMinor = input.balanceMinor;
    this.ladder = input.carried?.ladder ?? emptyLadderState();
    this.approvalsRequested = new Set(input.carried?.approvalsRequested ?? []);
    this.dispute = input.carried?.dispute;
    this.promise = input.carried?.promise;
    this.writeOffRequest = input.carried?.writeOffRequest;
    this.counters = input.carried?.counters ?? { disputes: 0, promises: 0 };
  }

  get invoiceNo(): string {
    return this.input.invoiceNo;
  }

  paid(): boolean {
    return this.balanceMinor <= this.policy.paidToleranceMinor;
  }

  closed(): boolean {
    return this.paid() || this.writtenOff;
  }

  today(): string {
    return localDateOf(Date.now(), this.input.timeZone);
  }

  status(): CollectionStatus {
    const { dispute, promise } = this;
    return {
      invoiceNo: this.invoiceNo,
      balanceMinor: this.balanceMinor,
      policy: { id: this.policy.id, version: this.policy.version },
      handled: this.ladder.handled,
      awaitingApproval: this.awaitingApproval,
      nextActionAt: this.nextActionAt,
      pausedBy: dispute ? 'dispute' : promise ? 'promise' : undefined,
      disputeId: dispute?.id,
      promiseId: promise?.id,
      writeOffRequestedBy: this.writeOffRequest?.by.name,
      interestOpenMinor: this.interestOpenMinor || undefined,
    };
  }

  /** What the update validators decide on (domain/collection-commands.ts). */
  facts(): CollectionFacts {
    return {
      invoiceNo: this.invoiceNo,
      closed: this.closed(),
      balanceMinor: this.balanceMinor,
      policy: { id: this.policy.id, version: this.policy.version },
      awaitingApproval: this.awaitingApproval,
      disputeId: this.dispute?.id,
      resolvingDispute: this.resolvingDispute,
      promiseId: this.promise?.id,
      writeOffRequestedBy: this.writeOffRequest?.by.name,
      interestToSettle: this.interestOpenMinor > 0 || (this.paid() && !this.writtenOff && !this.interestAssessed),
      today: this.today(),
    };
  }

  /** What the ladder decides with; needs the calendar loaded. */
  ladderContext(): LadderContext {
    const { input } = this;
    return {
      policy: this.policy,
      milestoneKind: input.milestoneKind,
      dueDate: input.dueDate,
      instantOf: (date) => letterInstant(this.calendar!, date, input.sendTime, input.timeZone),
    };
  }

  /** What the next run takes over through continue-as-new. */
  carried(): CarriedState {
    return {
      ladder: this.ladder,
      approvalsRequested: [...this.approvalsRequested],
      dispute: this.dispute,
      promise: this.promise,
      writeOffRequest: this.writeOffRequest,
      counters: this.counters,
    };
  }
}
