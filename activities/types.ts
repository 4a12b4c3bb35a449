import type { Actor } from '../domain/roles';
import type { ContractTerms, Milestone } from '../domain/contract-rules';
import type { Owners } from '../domain/contract-transitions';
import type { Stage } from '../domain/stages';
import type { SendTime } from '../domain/collection';
import type { EscalationPolicy, PolicyStep } from '../domain/policy';
import type { MilestoneKind } from '../domain/contract-rules';
import type { BusinessCalendar } from '../domain/calendar';

/** A change to a contract's record plus its timeline entry, written in one transaction. */
export interface ContractEvent {
  contractNo: string;
  /** Position of the event in the contract's history; with contractNo it makes the write idempotent. */
  seq: number;
  at: number;
  actor: Actor;
  action: string;
  fromStage?: Stage;
  toStage?: Stage;
  reason?: string;
  details?: Record<string, unknown>;
  changes?: {
    stage?: Stage;
    terms?: ContractTerms;
    details?: Record<string, unknown>;
    owners?: Owners;
    closeReason?: string;
    newMilestones?: Milestone[];
    milestoneStatus?: { seq: number; status: 'ready' | 'paid' | 'written_off'; readyOn?: string }[];
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
  /** The policy version the invoice keeps for its whole collection. */
  policy: EscalationPolicy;
  /** The customer's working days, which the collection starts with (its first wake then reads none). */
  calendar: BusinessCalendar;
}

export interface StepRequest {
  invoiceNo: string;
  step: PolicyStep;
  occurrence: number;
  scheduledFor: number;
  decidedAt: number;
  paidToleranceMinor: number;
  taskDueDays: number;
  /** Occurrences passed over because this one already applies (catch-up, resume after a pause). */
  skippedSteps: string[];
  /** The calendar the step was decided with: when the invoice's calendar is no longer this, nothing is done. */
  calendar?: BusinessCalendar;
}

export interface StepResult {
  letter?: 'sent' | 'already_sent' | 'invoice_paid' | 'blocked';
  taskCreated?: boolean;
  balanceMinor: number;
  /** The invoice's current calendar, when it differs from the one the step was decided with: nothing was done. */
  calendarChanged?: BusinessCalendar;
}
