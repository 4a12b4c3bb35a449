import { allHandlersFinished, condition, continueAsNew, log, patched, workflowInfo } from '@temporalio/workflow';
import { decideCollection } from '../domain/collection-decision';
import { type Occurrence, recordHandled } from '../domain/ladder';
import { activities, reads, steps } from './collection-activities';
import { registerCollectionHandlers } from './collection-handlers';
import type { CollectionOutcome } from './collection-messages';
import { type CollectionInput, CollectionState } from './collection-state';

export type { CollectionInput } from './collection-state';

const REOPEN_AFTER_REVERSAL = 'reopen-after-reversal';
const CALENDAR_ONCE_PER_WAKE = 'calendar-once-per-wake';
const STEPS_LOCAL = 'steps-in-workflow-task';
const CALENDAR_CHECKED_BY_STEP = 'calendar-checked-by-step';

/** A long-lived collection starts afresh (with its state) before its history grows large. */
const MAX_LOOPS_PER_RUN = 500;

/**
 * Collects one invoice along its escalation policy until it is paid (within the policy's tolerance).
 * The state lives in CollectionState; the messages that change it in collection-handlers.ts; this is the loop.
 */
export async function invoiceCollectionWorkflow(input: CollectionInput): Promise<CollectionOutcome> {
  const state = new CollectionState(input);
  const { invoiceNo } = state;
  registerCollectionHandlers(state);

  // Added after release: a timer's wake decides with the calendar kept from before and the step's own local
  // activity checks it is still current (a changed one comes back instead and the loop decides again), so a
  // wake that sends a letter is two activations, not three; the calendar is read afresh when a message woke
  // the collection. It implies the patches before it, so a new collection records one marker.
  const calendarCheckedByStep = patched(CALENDAR_CHECKED_BY_STEP);
  // Added after release: a wake that sends a letter is one workflow task, not two and an activity task. It
  // implies the two patches before it, so a new collection records one marker instead of three.
  const stepsLocal = calendarCheckedByStep || patched(STEPS_LOCAL);
  /** Performs the decided occurrences, up to one that finds the calendar changed under the decision. */
  const performNow = async (occurrences: Occurrence[], skipped: Occurrence[], now: number): Promise<void> => {
    const performer = stepsLocal ? steps : activities;
    const performed: Occurrence[] = [];
    let calendarChanged = false;
    for (const occurrence of occurrences) {
      const result = await performer.performStep({
        invoiceNo,
        step: occurrence.step,
        occurrence: occurrence.occurrence,
        scheduledFor: occurrence.at,
        decidedAt: now,
        paidToleranceMinor: state.policy.paidToleranceMinor,
        taskDueDays: state.policy.taskDueDays,
        skippedSteps: skipped.map((s) => `${s.step.key}#${s.occurrence}`),
        ...(calendarCheckedByStep ? { calendar: state.calendar } : {}),
      });
      state.balanceMinor = Math.min(state.balanceMinor, result.balanceMinor);
      if (result.calendarChanged) {
        state.calendar = result.calendarChanged;
        calendarChanged = true;
        break;
      }
      performed.push(occurrence);
      log.info('collection step', {
        invoiceNo,
        step: occurrence.step.key,
        occurrence: occurrence.occurrence,
        balanceMinor: state.balanceMinor,
      });
      if (state.paid()) break;
    }
    // Nothing done under a changed calendar: the loop decides again with the current one.
    if (calendarChanged && performed.length === 0) return;
    state.ladder = recordHandled(state.ladder, [...skipped, ...(calendarChanged ? performed : occurrences)]);
  };
  // Added after release: the calendar is read once each time the workflow wakes, by a local activity,
  // instead of by an activity before every decision (a step cost two more workflow tasks).
  const calendarOncePerWake = stepsLocal || patched(CALENDAR_ONCE_PER_WAKE);
  if (calendarCheckedByStep) state.calendar = input.calendar;
  /** Whether the kept calendar may be decided with (a step checks it), else it is read first. */
  let calendarFresh = calendarCheckedByStep && state.calendar !== undefined;
  const refreshCalendar = async () => {
    if (!calendarOncePerWake) state.calendar = await activities.loadCalendar({ invoiceNo });
    else if (!calendarFresh) {
      state.calendar = await reads.loadCalendar({ invoiceNo });
      calendarFresh = true;
    }
  };
  const waitForChange = async (until: number | undefined) => {
    state.changed = false;
    await condition(
      () => state.changed || state.closed(),
      until === undefined ? undefined : Math.max(until - Date.now(), 1),
    );
    calendarFresh = calendarCheckedByStep && !state.changed;
  };

  // Added after release: a reversal that reopens a paid invoice brings its collection back to the ladder.
  const reopensAfterReversal = stepsLocal || patched(REOPEN_AFTER_REVERSAL);
  do {
    for (let loop = 0; !state.closed(); loop++) {
      await refreshCalendar();
      const now = Date.now();
      const { ladder, balanceMinor, policy, dispute, promise } = state;
      const decision = decideCollection(
        state.ladderContext(),
        {
          ladder,
          balanceMinor,
          paidToleranceMinor: policy.paidToleranceMinor,
          dispute,
          promise,
          approvalsRequested: [...state.approvalsRequested],
        },
        now,
      );
      switch (decision.kind) {
        case 'done':
          continue;
        case 'escalate_dispute':
          dispute!.escalated = true;
          await activities.recordDisputeEscalated({
            disputeId: dispute!.id,
            invoiceNo,
            at: now,
            taskDueDays: policy.taskDueDays,
          });
          continue;
        case 'promise_kept':
        case 'promise_broken': {
          state.promise = undefined;
          await activities.recordPromiseClosed({
            promiseId: promise!.id,
            invoiceNo,
            kept: decision.kind === 'promise_kept',
            at: now,
          });
          // A changed calendar leaves the broken promise's steps to the next decision.
          if (decision.kind === 'promise_broken') await performNow(decision.perform, decision.skipped, now);
          continue;
        }
        case 'request_approval':
          state.approvalsRequested.add(decision.step);
          state.awaitingApproval = decision.step;
          await activities.requestStepApproval({
            invoiceNo,
            step: decision.step,
            decidedAt: now,
            taskDueDays: policy.taskDueDays,
          });
          continue;
        case 'perform':
          await performNow(decision.perform, decision.skipped, now);
          continue;
        case 'wait':
          state.awaitingApproval = decision.awaitingApproval;
          state.nextActionAt = decision.until;
          if (loop >= (input.decisionsPerRun ?? MAX_LOOPS_PER_RUN) || workflowInfo().continueAsNewSuggested) {
            await condition(allHandlersFinished);
            await continueAsNew<typeof invoiceCollectionWorkflow>({
              ...input,
              policy: state.policy,
              balanceMinor: state.balanceMinor,
              carried: state.carried(),
              ...(calendarCheckedByStep ? { calendar: state.calendar } : {}),
            });
          }
          await waitForChange(state.nextActionAt);
      }
    }
    if (!state.writtenOff) await settleInterest(state, reopensAfterReversal);
  } while (reopensAfterReversal && !state.closed());
  await condition(allHandlersFinished);
  return { invoiceNo, outcome: state.writtenOff ? 'written_off' : 'paid', at: Date.now() };
}

/**
 * Interest is not lost when the principal is paid: the collection stays open until finance settles it,
 * or until a reversal reopens the invoice (the interest is then assessed again when it is paid anew).
 */
async function settleInterest(state: CollectionState, reopensAfterReversal: boolean): Promise<void> {
  state.interestOpenMinor = await activities.assessInterest({ invoiceNo: state.invoiceNo, at: Date.now() });
  state.interestAssessed = true;
  await condition(() => state.interestOpenMinor === 0 || (reopensAfterReversal && !state.paid()));
  if (!state.paid()) {
    state.interestOpenMinor = 0;
    state.interestAssessed = false;
  }
}
