import {
  allHandlersFinished, condition, continueAsNew, log, patched, proxyActivities, proxyLocalActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { type BusinessCalendar, letterInstant } from '../domain/calendar';
import type { SendTime } from '../domain/collection';
import type { MilestoneKind } from '../domain/contract-rules';
import { localDateOf } from '../domain/dates';
import {
  type CollectionFacts, interestSettlementRefusals, noOpenInterest, openDisputeRefusals, policyChangeRefusals, promiseRefusals, resolveDisputeRefusals,
  stepApprovalRefusals, writeOffDecisionRefusals, writeOffRequestRefusals,
} from '../domain/collection-commands';
import { decideCollection, disputeDeadline, promiseDeadline } from '../domain/collection-decision';
import { type LadderContext, type LadderState, type Occurrence, emptyLadderState, recordHandled } from '../domain/ladder';
import type { EscalationPolicy } from '../domain/policy';
import type { Actor } from '../domain/roles';
import {
  type CollectionOutcome, type CollectionStatus, approveStepUpdate, changePolicyUpdate, collectionStatusQuery, decideWriteOffUpdate, openDisputeUpdate,
  paymentAppliedSignal, recordPromiseUpdate, requestWriteOffUpdate, resolveDisputeUpdate, settleInterestUpdate,
} from './collection-messages';
import { refuseIfAny } from './refusals';

const activities = proxyActivities<ReturnType<typeof createActivities>>({
  // One letter, task or record: a worker that dies mid-step is noticed and the step retried after this.
  startToCloseTimeout: '30 seconds',
  // SMTP and database outages are retried with back-off for as long as they last; the outbox keeps each send single.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** Quick reads the workflow needs before it decides; run inside the workflow task, no round trip of their own. */
const reads = proxyLocalActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Steps (a letter, a task) performed inside the workflow task as well: the same outbox keeps each send single,
 * and the same back-off as the activity applies (past a minute of retries the SDK waits on a durable timer).
 */
const steps = proxyLocalActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

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
}

interface OpenDispute { id: string; slaDueAt: number; escalated: boolean }
interface OpenPromise { id: string; deadline: number; amountMinor: number; balanceAtPromise: number }
interface WriteOffRequest { by: Actor; reason: string }

interface CarriedState {
  ladder: LadderState;
  approvalsRequested: string[];
  dispute?: OpenDispute;
  promise?: OpenPromise;
  writeOffRequest?: WriteOffRequest;
  counters: { disputes: number; promises: number };
}


const REOPEN_AFTER_REVERSAL = 'reopen-after-reversal';
const CALENDAR_ONCE_PER_WAKE = 'calendar-once-per-wake';
const CREDIT_BEFORE_RESUME = 'dispute-credit-before-resume';
const STEPS_LOCAL = 'steps-in-workflow-task';

/** A long-lived collection starts afresh (with its state) before its history grows large. */
const MAX_LOOPS_PER_RUN = 500;

/** Collects one invoice along its escalation policy until it is paid (within the policy's tolerance). */
export async function invoiceCollectionWorkflow(input: CollectionInput): Promise<CollectionOutcome> {
  let { policy } = input;
  let balanceMinor = input.balanceMinor;
  let ladder: LadderState = input.carried?.ladder ?? emptyLadderState();
  const approvalsRequested = new Set(input.carried?.approvalsRequested ?? []);
  let dispute = input.carried?.dispute;
  let promise = input.carried?.promise;
  let writeOffRequest = input.carried?.writeOffRequest;
  const counters = input.carried?.counters ?? { disputes: 0, promises: 0 };
  let writtenOff = false;
  /** Late interest assessed when the principal was paid, waiting for finance to collect or waive it. */
  let interestOpenMinor = 0;
  /** Whether the interest of the current paid state has been assessed (an assessment is under way while paid and not yet). */
  let interestAssessed = false;
  const today = () => localDateOf(Date.now(), input.timeZone);
  let awaitingApproval: string | undefined;
  let nextActionAt: number | undefined;
  let calendar: BusinessCalendar | undefined;
  let changed = false;
  let resolvingDispute = false;

  const status = (): CollectionStatus => ({
    invoiceNo: input.invoiceNo, balanceMinor, policy: { id: policy.id, version: policy.version }, handled: ladder.handled, awaitingApproval, nextActionAt,
    pausedBy: dispute ? 'dispute' : promise ? 'promise' : undefined, disputeId: dispute?.id, promiseId: promise?.id, writeOffRequestedBy: writeOffRequest?.by.name,
    interestOpenMinor: interestOpenMinor || undefined,
  });
  const paid = () => balanceMinor <= policy.paidToleranceMinor;
  /** What the update validators decide on (domain/collection-commands.ts). */
  const facts = (): CollectionFacts => ({
    invoiceNo: input.invoiceNo, closed: paid() || writtenOff, balanceMinor, policy: { id: policy.id, version: policy.version }, awaitingApproval,
    disputeId: dispute?.id, resolvingDispute, promiseId: promise?.id, writeOffRequestedBy: writeOffRequest?.by.name,
    interestToSettle: interestOpenMinor > 0 || (paid() && !writtenOff && !interestAssessed), today: today(),
  });

  setHandler(paymentAppliedSignal, ({ balanceMinor: left }) => { balanceMinor = left; changed = true; });
  setHandler(collectionStatusQuery, status);
  setHandler(approveStepUpdate, async ({ actor, step, approved, reason }) => {
    ladder = { ...ladder, approvals: { ...ladder.approvals, [step]: approved ? 'approved' : 'rejected' } };
    awaitingApproval = undefined;
    changed = true;
    await activities.recordStepApproval({ invoiceNo: input.invoiceNo, step, approved, reason, actor, at: Date.now() });
    return status();
  }, {
    validator: (args) => refuseIfAny(stepApprovalRefusals(facts(), args)),
  });

  setHandler(openDisputeUpdate, async ({ actor, reason, note }) => {
    counters.disputes += 1;
    const now = Date.now();
    dispute = { id: `${input.invoiceNo}/D${counters.disputes}`, slaDueAt: disputeDeadline(now, policy.disputeSlaDays), escalated: false };
    changed = true;
    await activities.recordDisputeOpened({ disputeId: dispute.id, invoiceNo: input.invoiceNo, reason, note, actor, at: now, slaDueAt: dispute.slaDueAt });
    return status();
  }, {
    validator: (args) => refuseIfAny(openDisputeRefusals(facts(), args)),
  });

  setHandler(resolveDisputeUpdate, async ({ actor, outcome, creditMinor, note }) => {
    const resolved = dispute!;
    const record = async () => {
      const left = await activities.recordDisputeResolved({ disputeId: resolved.id, invoiceNo: input.invoiceNo, outcome, creditMinor, note, actor, at: Date.now() });
      balanceMinor = Math.min(balanceMinor, left);
    };
    // Added after release: the collection stays paused until the credit note is written, so the
    // letter that follows the resolution is decided on the credited balance, not the one before it.
    if (patched(CREDIT_BEFORE_RESUME)) {
      resolvingDispute = true;
      try {
        await record();
      } finally {
        resolvingDispute = false;
      }
      dispute = undefined;
      changed = true;
      return status();
    }
    dispute = undefined;
    changed = true;
    await record();
    return status();
  }, {
    validator: (args) => refuseIfAny(resolveDisputeRefusals(facts(), args)),
  });

  setHandler(recordPromiseUpdate, async ({ actor, promisedDate, amountMinor, contact }) => {
    calendar ??= await activities.loadCalendar({ invoiceNo: input.invoiceNo });
    counters.promises += 1;
    const deadline = promiseDeadline(promisedDate, policy.promiseGraceDays, context().instantOf);
    promise = { id: `${input.invoiceNo}/P${counters.promises}`, deadline, amountMinor, balanceAtPromise: balanceMinor };
    changed = true;
    await activities.recordPromiseMade({ promiseId: promise.id, invoiceNo: input.invoiceNo, contact, promisedDate, amountMinor, actor, at: Date.now() });
    return status();
  }, {
    validator: (args) => refuseIfAny(promiseRefusals(facts(), args)),
  });

  setHandler(requestWriteOffUpdate, async ({ actor, reason }) => {
    writeOffRequest = { by: actor, reason };
    await activities.recordWriteOffRequest({ invoiceNo: input.invoiceNo, actor, reason, at: Date.now() });
    return status();
  }, {
    validator: (args) => refuseIfAny(writeOffRequestRefusals(facts(), args)),
  });

  setHandler(changePolicyUpdate, async ({ actor, policy: next, reason }) => {
    const previous = { id: policy.id, version: policy.version };
    // Steps keep their history by key, so a step the new policy shares is not sent again.
    policy = next;
    changed = true;
    await activities.recordPolicyChange({ invoiceNo: input.invoiceNo, from: previous, to: { id: next.id, version: next.version }, actor, reason, at: Date.now() });
    return status();
  }, {
    validator: (args) => refuseIfAny(policyChangeRefusals(facts(), args)),
  });

  setHandler(settleInterestUpdate, async ({ actor, outcome, reason }) => {
    // Finance may see the assessed interest in the database a moment before the workflow has it: wait for it.
    await condition(() => interestAssessed);
    if (interestOpenMinor === 0) refuseIfAny(noOpenInterest(input.invoiceNo));
    interestOpenMinor = 0;
    await activities.recordInterestSettled({ invoiceNo: input.invoiceNo, outcome, reason, actor, at: Date.now() });
    return status();
  }, {
    validator: (args) => refuseIfAny(interestSettlementRefusals(facts(), args)),
  });

  setHandler(decideWriteOffUpdate, async ({ actor, approved, reason }) => {
    const request = writeOffRequest!;
    writeOffRequest = undefined;
    if (approved) {
      writtenOff = true;
      changed = true;
      await activities.recordWriteOff({ invoiceNo: input.invoiceNo, requestedBy: request.by, requestReason: request.reason, approvedBy: actor, reason, at: Date.now() });
    } else {
      await activities.recordWriteOffRequest({ invoiceNo: input.invoiceNo, actor, reason, at: Date.now(), approved: false });
    }
    return status();
  }, {
    validator: (args) => refuseIfAny(writeOffDecisionRefusals(facts(), args)),
  });

  const context = (): LadderContext => ({
    policy, milestoneKind: input.milestoneKind, dueDate: input.dueDate,
    instantOf: (date) => letterInstant(calendar!, date, input.sendTime, input.timeZone),
  });

  // Added after release: a wake that sends a letter is one workflow task, not two and an activity task. It
  // implies the two patches before it, so a new collection records one marker instead of three.
  const stepsLocal = patched(STEPS_LOCAL);
  const performNow = async (occurrences: Occurrence[], skipped: Occurrence[], now: number) => {
    const performer = stepsLocal ? steps : activities;
    for (const occurrence of occurrences) {
      const result = await performer.performStep({
        invoiceNo: input.invoiceNo, step: occurrence.step, occurrence: occurrence.occurrence, scheduledFor: occurrence.at, decidedAt: now,
        paidToleranceMinor: policy.paidToleranceMinor, taskDueDays: policy.taskDueDays,
        skippedSteps: skipped.map((s) => `${s.step.key}#${s.occurrence}`),
      });
      balanceMinor = Math.min(balanceMinor, result.balanceMinor);
      log.info('collection step', { invoiceNo: input.invoiceNo, step: occurrence.step.key, occurrence: occurrence.occurrence, balanceMinor });
      if (paid()) break;
    }
    ladder = recordHandled(ladder, [...skipped, ...occurrences]);
  };
  // Added after release: the calendar is read once each time the workflow wakes, by a local activity,
  // instead of by an activity before every decision (a step cost two more workflow tasks).
  const calendarOncePerWake = stepsLocal || patched(CALENDAR_ONCE_PER_WAKE);
  let calendarFresh = false;
  const refreshCalendar = async () => {
    if (!calendarOncePerWake) calendar = await activities.loadCalendar({ invoiceNo: input.invoiceNo });
    else if (!calendarFresh) {
      calendar = await reads.loadCalendar({ invoiceNo: input.invoiceNo });
      calendarFresh = true;
    }
  };
  const waitForChange = async (until: number | undefined) => {
    changed = false;
    await condition(() => changed || paid() || writtenOff, until === undefined ? undefined : Math.max(until - Date.now(), 1));
    calendarFresh = false;
  };

  // Added after release: a reversal that reopens a paid invoice brings its collection back to the ladder.
  const reopensAfterReversal = stepsLocal || patched(REOPEN_AFTER_REVERSAL);
  do {
    for (let loop = 0; !paid() && !writtenOff; loop++) {
      await refreshCalendar();
      const now = Date.now();
      const decision = decideCollection(context(), {
        ladder, balanceMinor, paidToleranceMinor: policy.paidToleranceMinor, dispute, promise, approvalsRequested: [...approvalsRequested],
      }, now);
      switch (decision.kind) {
        case 'done':
          continue;
        case 'escalate_dispute':
          dispute!.escalated = true;
          await activities.recordDisputeEscalated({ disputeId: dispute!.id, invoiceNo: input.invoiceNo, at: now, taskDueDays: policy.taskDueDays });
          continue;
        case 'promise_kept':
        case 'promise_broken': {
          const closed = promise!;
          promise = undefined;
          await activities.recordPromiseClosed({ promiseId: closed.id, invoiceNo: input.invoiceNo, kept: decision.kind === 'promise_kept', at: now });
          if (decision.kind === 'promise_broken') await performNow(decision.perform, decision.skipped, now);
          continue;
        }
        case 'request_approval':
          approvalsRequested.add(decision.step);
          awaitingApproval = decision.step;
          await activities.requestStepApproval({ invoiceNo: input.invoiceNo, step: decision.step, decidedAt: now, taskDueDays: policy.taskDueDays });
          continue;
        case 'perform':
          await performNow(decision.perform, decision.skipped, now);
          continue;
        case 'wait':
          awaitingApproval = decision.awaitingApproval;
          nextActionAt = decision.until;
          if (loop >= (input.decisionsPerRun ?? MAX_LOOPS_PER_RUN) || workflowInfo().continueAsNewSuggested) {
            await condition(allHandlersFinished);
            await continueAsNew<typeof invoiceCollectionWorkflow>({
              ...input, policy, balanceMinor, carried: { ladder, approvalsRequested: [...approvalsRequested], dispute, promise, writeOffRequest, counters },
            });
          }
          await waitForChange(nextActionAt);
      }
    }
    if (!writtenOff) {
      // Interest is not lost when the principal is paid: the collection stays open until finance settles it.
      interestOpenMinor = await activities.assessInterest({ invoiceNo: input.invoiceNo, at: Date.now() });
      interestAssessed = true;
      await condition(() => interestOpenMinor === 0 || (reopensAfterReversal && !paid()));
      // A reversal cleared the assessment; the interest is assessed again when the invoice is paid anew.
      if (!paid()) {
        interestOpenMinor = 0;
        interestAssessed = false;
      }
    }
  } while (reopensAfterReversal && !paid() && !writtenOff);
  await condition(allHandlersFinished);
  return { invoiceNo: input.invoiceNo, outcome: writtenOff ? 'written_off' : 'paid', at: Date.now() };
}
