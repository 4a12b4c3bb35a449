import type { Actor } from '../domain/roles';
import type { Milestone } from '../domain/contract-rules';
import type { LetterStep, SendTime } from '../domain/collection';
import type { MilestoneKind } from '../domain/contract-rules';

/** A change to a contract's record plus its timeline entry, written in one transaction. */
export interface ContractEvent {
  contractNo: string;
  /** Position of the event in the contract's history; with contractNo it makes the write idempotent. */
  seq: number;
  at: number;
  actor: Actor;
  action: string;
  fromStage?: string;
  toStage?: string;
  reason?: string;
  details?: Record<string, unknown>;
  changes?: {
    stage?: string;
    terms?: Record<string, unknown>;
    details?: Record<string, unknown>;
    owners?: Record<string, unknown>;
    closeReason?: string;
    newMilestones?: Milestone[];
    milestoneStatus?: { seq: number; status: 'ready' | 'paid'; readyOn?: string }[];
  };
}

export interface IssueInvoiceRequest {
  contractNo: string;
  milestoneSeq: number;
  milestoneKind: MilestoneKind;
  amountMinor: number;
  termDays: number;
  invoiceNo: string;
  issueDate: string;
  taxRatePercent?: string;
  actor: Actor;
  eventSeq: number;
  at: number;
}

export interface IssuedInvoice {
  invoiceNo: string;
  contractNo: string;
  customerCode: string;
  milestoneKind: MilestoneKind;
  dueDate: string;
  balanceMinor: number;
  currency: string;
  timeZone: string;
  sendTime: SendTime;
}

export interface SendLetterRequest {
  invoiceNo: string;
  step: LetterStep;
  occurrence: number;
  scheduledFor: number;
  decidedAt: number;
  /** Steps passed over because a later one already applied (catch-up). */
  skippedSteps: LetterStep[];
}

export interface SendLetterResult {
  status: 'sent' | 'already_sent' | 'invoice_paid' | 'no_recipient';
  balanceMinor: number;
}
