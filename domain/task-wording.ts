import type { StageWait } from './stage-policy';

/**
 * What a task asks, as a message key and the values it names, stored with the task (tasks.wording) so
 * that each reader sees it in their own language: the console and the task mails word it through
 * console/task-titles.ts, whose English wording is also the task's stored `title`.
 * A collection step's task has none: its title is the policy author's own words.
 */
export type TaskWording =
  | { key: 'dispute'; invoiceNo: string; reason: string }
  | { key: 'disputeEscalated'; invoiceNo: string; reason: string }
  | { key: 'writeOffApproval'; invoiceNo: string; requestedBy: string; reason: string }
  | { key: 'stepApproval'; invoiceNo: string; step: string }
  | { key: 'stageDeadline'; contractNo: string; wait: StageWait; milestoneSeq?: number }
  | {
      key: 'contactMissing';
      invoiceNo: string;
      step: string;
      roles: string[];
      customerName: string;
      customerCode: string;
    }
  | {
      key: 'portalPromise';
      invoiceNo: string;
      contact: string;
      amountMinor: number;
      currency: string;
      promisedDate: string;
    }
  | { key: 'portalDispute'; invoiceNo: string; contact: string; reason: string };
