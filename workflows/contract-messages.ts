import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Milestone } from '../domain/contract-rules';
import type { TransitionRequest } from '../domain/contract-transitions';
import type { Stage } from '../domain/stages';
import type { MilestoneStatus } from '../domain/statuses';
import type { Actor } from '../domain/roles';

export type { MilestoneStatus };

export interface MilestoneState extends Milestone {
  status: MilestoneStatus;
  readyOn?: string;
  invoiceNo?: string;
}

export interface ContractSummary {
  no: string;
  stage: Stage;
  milestones: MilestoneState[];
}

type RequestFor<A extends TransitionRequest['action']> = Omit<Extract<TransitionRequest, { action: A }>, 'action'>;

export const approveUpdate = defineUpdate<ContractSummary, [RequestFor<'approve'>]>('approve');
export const reviewUpdate = defineUpdate<ContractSummary, [RequestFor<'review'>]>('review');
export const signUpdate = defineUpdate<ContractSummary, [RequestFor<'sign'>]>('sign');
export const splitUpdate = defineUpdate<ContractSummary, [RequestFor<'split'>]>('split');
export const budgetUpdate = defineUpdate<ContractSummary, [RequestFor<'budget'>]>('budget');
export const handoverUpdate = defineUpdate<ContractSummary, [RequestFor<'handover'>]>('handover');
export const deliverUpdate = defineUpdate<ContractSummary, [RequestFor<'deliver'>]>('deliver');
export const acceptUpdate = defineUpdate<ContractSummary, [RequestFor<'accept'>]>('accept');
export const cancelUpdate = defineUpdate<ContractSummary, [RequestFor<'cancel'>]>('cancel');

export const TRANSITION_UPDATES = {
  approve: approveUpdate,
  review: reviewUpdate,
  sign: signUpdate,
  split: splitUpdate,
  budget: budgetUpdate,
  handover: handoverUpdate,
  deliver: deliverUpdate,
  accept: acceptUpdate,
  cancel: cancelUpdate,
} as const;

export interface IssueInvoiceArgs {
  actor: Actor;
  milestoneSeq: number;
  invoiceNo: string;
  issueDate: string;
  taxRatePercent?: string;
}

export interface IssuedInvoiceSummary {
  invoiceNo: string;
  dueDate: string;
}

export const issueInvoiceUpdate = defineUpdate<IssuedInvoiceSummary, [IssueInvoiceArgs]>('issueInvoice');
export const contractSummaryQuery = defineQuery<ContractSummary>('summary');
