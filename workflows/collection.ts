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

  // Added after release: a wake that sends a letter is one workflow task, not two and an activity task. It
  // implies the two patches before it, so a new collection records one marker instead of three.
  const stepsLocal = patched(STEPS_LOCAL);
  const performNow = async (occurrences: Occurrence[], skipped: Occurrence[], now: number) => {
    const performer = stepsLocal ? steps : activities;
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
      });
      state.balanceMinor = Math.min(state.balanceMinor, result.balanceMinor);
      log.info('collection step', {
        invoiceNo,
        step: occurrence.step.key,
        occurrence: occurrence.occurrence,
        balanceMinor: state.balanceMinor,
      });
      if (state.paid()) break;
    }
    state.ladder = recordHandled(state.ladder, [...skipped, ...occurrences]);
  };
  // Added after release: the calendar is read once each time the workflow wakes, by a local activity,
  // instead of by an activity before every decision (a step cost two more workflow tasks).
  const calendarOncePerWake = stepsLocal || patched(CALENDAR_ONCE_PER_WAKE);
  let calendarFresh = false;
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
    calendarFresh = false;
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
