import {
  ApplicationFailure, allHandlersFinished, condition, continueAsNew, defineQuery, defineSignal, defineUpdate,
  proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { type BusinessCalendar, letterInstant } from '../domain/calendar';
import type { SendTime } from '../domain/collection';
import type { MilestoneKind } from '../domain/contract-rules';
import { type LadderContext, type LadderState, decideLadder, emptyLadderState, recordHandled } from '../domain/ladder';
import type { EscalationPolicy } from '../domain/policy';
import type { Actor } from '../domain/roles';
import { REFUSED } from './contract-messages';

const activities = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '2 minutes',
  // SMTP and database outages are retried with back-off for as long as they last; the outbox keeps each send single.
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
  carried?: { ladder: LadderState; approvalsRequested: string[] };
}

export interface CollectionStatus {
  invoiceNo: string;
  balanceMinor: number;
  policy: { id: string; version: number };
  handled: Record<string, number>;
  awaitingApproval?: string;
  nextActionAt?: number;
}

export interface StepApprovalArgs {
  actor: Actor;
  step: string;
  approved: boolean;
  reason: string;
}

/** Sent by the API after it allocated a payment to the invoice; carries the balance now left. */
export const paymentAppliedSignal = defineSignal<[{ balanceMinor: number }]>('paymentApplied');
export const approveStepUpdate = defineUpdate<CollectionStatus, [StepApprovalArgs]>('approveStep');
export const collectionStatusQuery = defineQuery<CollectionStatus>('status');

/** A long-lived collection starts afresh (with its state) before its history grows large. */
const MAX_LOOPS_PER_RUN = 500;

/** Collects one invoice along its escalation policy until it is paid (within the policy's tolerance). */
export async function invoiceCollectionWorkflow(input: CollectionInput): Promise<{ invoiceNo: string; paidAt: number }> {
  const { policy } = input;
  let balanceMinor = input.balanceMinor;
  let ladder: LadderState = input.carried?.ladder ?? emptyLadderState();
  const approvalsRequested = new Set(input.carried?.approvalsRequested ?? []);
  let awaitingApproval: string | undefined;
  let nextActionAt: number | undefined;
  let calendar: BusinessCalendar | undefined;
  let changed = false;

  const status = (): CollectionStatus => ({
    invoiceNo: input.invoiceNo, balanceMinor, policy: { id: policy.id, version: policy.version }, handled: ladder.handled, awaitingApproval, nextActionAt,
  });
  const paid = () => balanceMinor <= policy.paidToleranceMinor;

  setHandler(paymentAppliedSignal, ({ balanceMinor: left }) => { balanceMinor = left; changed = true; });
  setHandler(collectionStatusQuery, status);
  setHandler(approveStepUpdate, async ({ actor, step, approved, reason }) => {
    ladder = { ...ladder, approvals: { ...ladder.approvals, [step]: approved ? 'approved' : 'rejected' } };
    awaitingApproval = undefined;
    changed = true;
    await activities.recordStepApproval({ invoiceNo: input.invoiceNo, step, approved, reason, actor, at: Date.now() });
    return status();
  }, {
    validator: ({ actor, step, reason }) => {
      const refusals = [];
      if (actor.role !== 'finance') refusals.push({ code: 'not_permitted', message: 'only finance approves or rejects a gated collection step' });
      if (step !== awaitingApproval) refusals.push({ code: 'not_awaiting_approval', field: 'step', message: `step ${step} is not waiting for approval${awaitingApproval ? `; ${awaitingApproval} is` : ''}` });
      if (!reason.trim()) refusals.push({ code: 'missing_reason', field: 'reason', message: 'an approval decision needs a reason' });
      if (refusals.length > 0) throw ApplicationFailure.create({ type: REFUSED, nonRetryable: true, message: refusals.map((r) => r.message).join('; '), details: [refusals] });
    },
  });

  const context = (): LadderContext => ({
    policy, milestoneKind: input.milestoneKind, dueDate: input.dueDate,
    instantOf: (date) => letterInstant(calendar!, date, input.sendTime, input.timeZone),
  });

  for (let loop = 0; !paid(); loop++) {
    calendar = await activities.loadCalendar();
    const now = Date.now();
    const decision = decideLadder(context(), ladder, now);
    awaitingApproval = decision.awaitingApproval?.step.key;
    if (awaitingApproval && !approvalsRequested.has(awaitingApproval)) {
      approvalsRequested.add(awaitingApproval);
      await activities.requestStepApproval({ invoiceNo: input.invoiceNo, step: awaitingApproval, decidedAt: now, taskDueDays: policy.taskDueDays });
    }
    if (decision.due.length > 0) {
      for (const occurrence of decision.due) {
        const result = await activities.performStep({
          invoiceNo: input.invoiceNo, step: occurrence.step, occurrence: occurrence.occurrence, scheduledFor: occurrence.at, decidedAt: now,
          paidToleranceMinor: policy.paidToleranceMinor, taskDueDays: policy.taskDueDays,
          skippedSteps: decision.skipped.map((s) => `${s.step.key}#${s.occurrence}`),
        });
        balanceMinor = Math.min(balanceMinor, result.balanceMinor);
        if (paid()) break;
      }
      ladder = recordHandled(ladder, [...decision.skipped, ...decision.due]);
      continue;
    }
    if (loop >= MAX_LOOPS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof invoiceCollectionWorkflow>({ ...input, balanceMinor, carried: { ladder, approvalsRequested: [...approvalsRequested] } });
    }
    nextActionAt = decision.nextAt;
    changed = false;
    await condition(() => changed || paid(), nextActionAt === undefined ? undefined : Math.max(nextActionAt - Date.now(), 1));
  }
  await condition(allHandlersFinished);
  return { invoiceNo: input.invoiceNo, paidAt: Date.now() };
}
