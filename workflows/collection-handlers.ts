import { condition, patched, setHandler } from '@temporalio/workflow';
import {
  interestSettlementRefusals,
  noOpenInterest,
  openDisputeRefusals,
  policyChangeRefusals,
  promiseRefusals,
  resolveDisputeRefusals,
  stepApprovalRefusals,
  writeOffDecisionRefusals,
  writeOffRequestRefusals,
} from '../domain/collection-commands';
import { disputeDeadline, promiseDeadline } from '../domain/collection-decision';
import { activities } from './collection-activities';
import {
  approveStepUpdate,
  changePolicyUpdate,
  collectionStatusQuery,
  decideWriteOffUpdate,
  openDisputeUpdate,
  paymentAppliedSignal,
  recordPromiseUpdate,
  requestWriteOffUpdate,
  resolveDisputeUpdate,
  settleInterestUpdate,
} from './collection-messages';
import type { CollectionState } from './collection-state';
import { refuseIfAny } from './refusals';

export const CREDIT_BEFORE_RESUME = 'dispute-credit-before-resume';

/**
 * How a collection is told things: the payment signal, the status query and the people's commands. Each
 * update's validator refuses with every reason (domain/collection-commands.ts) before anything changes; the
 * handler changes the state, records the fact and answers with the new status.
 */
export function registerCollectionHandlers(state: CollectionState): void {
  const { invoiceNo } = state;

  setHandler(paymentAppliedSignal, ({ balanceMinor: left }) => {
    state.balanceMinor = left;
    state.changed = true;
  });
  setHandler(collectionStatusQuery, () => state.status());

  setHandler(
    approveStepUpdate,
    async ({ actor, step, approved, reason }) => {
      state.ladder = {
        ...state.ladder,
        approvals: { ...state.ladder.approvals, [step]: approved ? 'approved' : 'rejected' },
      };
      state.awaitingApproval = undefined;
      state.changed = true;
      await activities.recordStepApproval({ invoiceNo, step, approved, reason, actor, at: Date.now() });
      return state.status();
    },
    {
      validator: (args) => refuseIfAny(stepApprovalRefusals(state.facts(), args)),
    },
  );

  setHandler(
    openDisputeUpdate,
    async ({ actor, reason, note }) => {
      state.counters.disputes += 1;
      const now = Date.now();
      const dispute = {
        id: `${invoiceNo}/D${state.counters.disputes}`,
        slaDueAt: disputeDeadline(now, state.policy.disputeSlaDays),
        escalated: false,
      };
      state.dispute = dispute;
      state.changed = true;
      await activities.recordDisputeOpened({
        disputeId: dispute.id,
        invoiceNo,
        reason,
        note,
        actor,
        at: now,
        slaDueAt: dispute.slaDueAt,
      });
      return state.status();
    },
    {
      validator: (args) => refuseIfAny(openDisputeRefusals(state.facts(), args)),
    },
  );

  setHandler(
    resolveDisputeUpdate,
    async ({ actor, outcome, creditMinor, note }) => {
      const resolved = state.dispute!;
      const record = async () => {
        const left = await activities.recordDisputeResolved({
          disputeId: resolved.id,
          invoiceNo,
          outcome,
          creditMinor,
          note,
          actor,
          at: Date.now(),
        });
        state.balanceMinor = Math.min(state.balanceMinor, left);
      };
      // Added after release: the collection stays paused until the credit note is written, so the
      // letter that follows the resolution is decided on the credited balance, not the one before it.
      if (patched(CREDIT_BEFORE_RESUME)) {
        state.resolvingDispute = true;
        try {
          await record();
        } finally {
          state.resolvingDispute = false;
        }
        state.dispute = undefined;
        state.changed = true;
        return state.status();
      }
      state.dispute = undefined;
      state.changed = true;
      await record();
      return state.status();
    },
    {
      validator: (args) => refuseIfAny(resolveDisputeRefusals(state.facts(), args)),
    },
  );

  setHandler(
    recordPromiseUpdate,
    async ({ actor, promisedDate, amountMinor, contact }) => {
      state.calendar ??= await activities.loadCalendar({ invoiceNo });
      state.counters.promises += 1;
      const deadline = promiseDeadline(promisedDate, state.policy.promiseGraceDays, state.ladderContext().instantOf);
      const promise = {
        id: `${invoiceNo}/P${state.counters.promises}`,
        deadline,
        amountMinor,
        balanceAtPromise: state.balanceMinor,
      };
      state.promise = promise;
      state.changed = true;
      await activities.recordPromiseMade({
        promiseId: promise.id,
        invoiceNo,
        contact,
        promisedDate,
        amountMinor,
        actor,
        at: Date.now(),
      });
      return state.status();
    },
    {
      validator: (args) => refuseIfAny(promiseRefusals(state.facts(), args)),
    },
  );

  setHandler(
    requestWriteOffUpdate,
    async ({ actor, reason }) => {
      state.writeOffRequest = { by: actor, reason };
      await activities.recordWriteOffRequest({ invoiceNo, actor, reason, at: Date.now() });
      return state.status();
    },
    {
      validator: (args) => refuseIfAny(writeOffRequestRefusals(state.facts(), args)),
    },
  );

  setHandler(
    changePolicyUpdate,
    async ({ actor, policy: next, reason }) => {
      const previous = { id: state.policy.id, version: state.policy.version };
      // Steps keep their history by key, so a step the new policy shares is not sent again.
      state.policy = next;
      state.changed = true;
      await activities.recordPolicyChange({
        invoiceNo,
        from: previous,
        to: { id: next.id, version: next.version },
        actor,
        reason,
        at: Date.now(),
      });
      return state.status();
    },
    {
      validator: (args) => refuseIfAny(policyChangeRefusals(state.facts(), args)),
    },
  );

  setHandler(
    settleInterestUpdate,
    async ({ actor, outcome, reason }) => {
      // Finance may see the assessed interest in the database a moment before the workflow has it: wait for it.
      await condition(() => state.interestAssessed);
      if (state.interestOpenMinor === 0) refuseIfAny(noOpenInterest(invoiceNo));
      state.interestOpenMinor = 0;
      await activities.recordInterestSettled({ invoiceNo, outcome, reason, actor, at: Date.now() });
      return state.status();
    },
    {
      validator: (args) => refuseIfAny(interestSettlementRefusals(state.facts(), args)),
    },
  );

  setHandler(
    decideWriteOffUpdate,
    async ({ actor, approved, reason }) => {
      const request = state.writeOffRequest!;
      state.writeOffRequest = undefined;
      if (approved) {
        state.writtenOff = true;
        state.changed = true;
        await activities.recordWriteOff({
          invoiceNo,
          requestedBy: request.by,
          requestReason: request.reason,
          approvedBy: actor,
          reason,
          at: Date.now(),
        });
      } else {
        await activities.recordWriteOffRequest({ invoiceNo, actor, reason, at: Date.now(), approved: false });
      }
      return state.status();
    },
    {
      validator: (args) => refuseIfAny(writeOffDecisionRefusals(state.facts(), args)),
    },
  );
}
