import type { Db } from '../db/connect';
import type { SendTime } from '../domain/collection';
import { type TransitionRecord, recordContractEvent, recordTransition } from './contract-records';
import { createInvoice } from './invoices';
import {
  type ApprovalDecisionRecord,
  type ApprovalRequest,
  loadCalendar,
  performStep,
  recordStepApproval,
  requestStepApproval,
} from './collection-steps';
import {
  type DisputeOpening,
  type DisputeResolution,
  type PolicyChange,
  type PromiseRecord,
  type WriteOff,
  assessInterest,
  recordInterestSettled,
  recordPolicyChange,
  recordDisputeEscalated,
  recordDisputeOpened,
  recordDisputeResolved,
  recordPromiseClosed,
  recordPromiseMade,
  recordWriteOff,
  recordWriteOffRequest,
} from './collection-facts';
import type { MailSettings } from './letters';
import { releaseBlockedLetters } from './blocked-letters';
import { escalateOverdueTasks } from './task-escalation';
import type { StageWaitRequest } from '../domain/stage-policy';
import { type StageEscalation, escalateStageWait, planStageWait } from './stage-deadlines';
import { type ReviewTotals, beginCreditReview, reviewCreditBatch, storeCreditReview } from './credit-review';
import { sendCreditReviewMail } from './notifications';
import { type PortalConfirmation, sendPortalConfirmation } from './portal-confirmations';
import { type SendBatchOptions, buildDigests, sendTaskNotifications } from './task-notifications';
import type { Locale } from '../domain/locales';
import { keepReceivableSnapshots } from '../services/receivable-snapshots';
import type { ContractEvent, IssueInvoiceRequest, StepRequest } from './types';

export interface ActivityDeps {
  db: Db;
  mail: MailSettings;
  sendTime: SendTime;
  /** The console's base URL (PUBLIC_URL) task mails link to; default http://localhost:3000. */
  consoleUrl?: string;
}

/** Activities are built from their dependencies so tests and processes wire real or local parts alike. */
export function createActivities(deps: ActivityDeps) {
  const taskMail = { mail: deps.mail, consoleUrl: deps.consoleUrl ?? 'http://localhost:3000' };
  return {
    recordContractEvent: (event: ContractEvent) => recordContractEvent(deps.db, event),
    recordTransition: (record: TransitionRecord) => recordTransition(deps.db, deps.sendTime, record),
    createInvoice: (request: IssueInvoiceRequest) => createInvoice(deps.db, deps.sendTime, request),
    performStep: (request: StepRequest) => performStep(deps.db, deps.mail, request),
    loadCalendar: (request: { invoiceNo: string }) => loadCalendar(deps.db, request.invoiceNo),
    requestStepApproval: (request: ApprovalRequest) => requestStepApproval(deps.db, request),
    recordStepApproval: (decision: ApprovalDecisionRecord) => recordStepApproval(deps.db, decision),
    recordDisputeOpened: (dispute: DisputeOpening) => recordDisputeOpened(deps.db, dispute),
    recordDisputeEscalated: (escalation: Parameters<typeof recordDisputeEscalated>[1]) =>
      recordDisputeEscalated(deps.db, escalation),
    recordDisputeResolved: (resolution: DisputeResolution) => recordDisputeResolved(deps.db, resolution),
    recordPromiseMade: (promise: PromiseRecord) => recordPromiseMade(deps.db, promise),
    recordPromiseClosed: (closing: Parameters<typeof recordPromiseClosed>[1]) => recordPromiseClosed(deps.db, closing),
    recordWriteOffRequest: (request: Parameters<typeof recordWriteOffRequest>[1]) =>
      recordWriteOffRequest(deps.db, request),
    recordWriteOff: (writeOff: WriteOff) => recordWriteOff(deps.db, writeOff),
    recordPolicyChange: (change: PolicyChange) => recordPolicyChange(deps.db, change),
    assessInterest: (request: Parameters<typeof assessInterest>[1]) => assessInterest(deps.db, request),
    recordInterestSettled: (settlement: Parameters<typeof recordInterestSettled>[1]) =>
      recordInterestSettled(deps.db, settlement),
    escalateOverdueTasks: () => escalateOverdueTasks(deps.db, Date.now()),
    planStageWait: (request: StageWaitRequest) => planStageWait(deps.db, deps.sendTime, request),
    keepReceivableSnapshots: (input: { timeZone: string }) => keepReceivableSnapshots(deps.db, input),
    escalateStageWait: (escalation: StageEscalation) => escalateStageWait(deps.db, escalation),
    releaseBlockedLetters: (input: { customerCode?: string }) => releaseBlockedLetters(deps.db, deps.mail, input),
    beginCreditReview: (input: { reviewDate: string; timeZone: string }) => beginCreditReview(deps.db, input),
    reviewCreditBatch: (input: { reviewDate: string; afterCode: string | null; limit: number }) =>
      reviewCreditBatch(deps.db, input),
    storeCreditReview: async (input: { reviewDate: string; sinceMs: number; totals: ReviewTotals }): Promise<void> => {
      await storeCreditReview(deps.db, input);
    },
    sendCreditReviewMail: (input: { reviewDate: string; locale: Locale }) =>
      sendCreditReviewMail(deps.db, deps.mail, input),
    sendPortalConfirmation: (confirmation: PortalConfirmation) =>
      sendPortalConfirmation(deps.db, deps.mail, confirmation),
    sendTaskNotifications: (options: SendBatchOptions) => sendTaskNotifications(deps.db, taskMail, options),
    buildDigests: () => buildDigests(deps.db, taskMail, Date.now()),
  };
}

export type Activities = ReturnType<typeof createActivities>;
