/** The messages of the invoice collection workflow: its signal, its updates (each validated there) and its query. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DisputeReason } from '../domain/disputes';
import type { EscalationPolicy } from '../domain/policy';
import type { Actor } from '../domain/roles';

export type CollectionOutcome = { invoiceNo: string; outcome: 'paid' | 'written_off'; at: number };

export interface CollectionStatus {
  invoiceNo: string;
  balanceMinor: number;
  policy: { id: string; version: number };
  handled: Record<string, number>;
  awaitingApproval?: string;
  nextActionAt?: number;
  pausedBy?: 'dispute' | 'promise';
  disputeId?: string;
  promiseId?: string;
  writeOffRequestedBy?: string;
  interestOpenMinor?: number;
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
export const openDisputeUpdate = defineUpdate<
  CollectionStatus,
  [{ actor: Actor; reason: DisputeReason; note?: string }]
>('openDispute');
export const resolveDisputeUpdate = defineUpdate<
  CollectionStatus,
  [{ actor: Actor; outcome: 'accepted' | 'rejected'; creditMinor: number; note: string }]
>('resolveDispute');
export const recordPromiseUpdate = defineUpdate<
  CollectionStatus,
  [{ actor: Actor; promisedDate: string; amountMinor: number; contact: string }]
>('recordPromise');
export const requestWriteOffUpdate = defineUpdate<CollectionStatus, [{ actor: Actor; reason: string }]>(
  'requestWriteOff',
);
export const changePolicyUpdate = defineUpdate<
  CollectionStatus,
  [{ actor: Actor; policy: EscalationPolicy; reason: string }]
>('changePolicy');
export const settleInterestUpdate = defineUpdate<
  CollectionStatus,
  [{ actor: Actor; outcome: 'collected' | 'waived'; reason: string }]
>('settleInterest');
export const decideWriteOffUpdate = defineUpdate<
  CollectionStatus,
  [{ actor: Actor; approved: boolean; reason: string }]
>('decideWriteOff');

export const collectionStatusQuery = defineQuery<CollectionStatus>('status');
