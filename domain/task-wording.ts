import { DEFAULT_POLICY, type PolicyStep } from './policy';
import type { StageWait } from './stage-policy';

/**
 * What a task asks, as a message key and the values it names, stored with the task (tasks.wording) so
 * that each reader sees it in their own language: the console and the task mails word it through
 * console/task-titles.ts, whose English wording is also the task's stored `title`.
 * A collection step's task has none (its title is the policy author's own words) unless it is worded as
 * in the built-in default policy, whose texts are ours and so come in every language.
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
  | { key: 'portalDispute'; invoiceNo: string; contact: string; reason: string }
  | { key: 'defaultStepTask'; step: string };

/** The wording of a step's task when its text is the default policy's for that step, else none. */
export function defaultStepTaskWording(step: PolicyStep): TaskWording | undefined {
  const builtIn = DEFAULT_POLICY.steps.find((candidate) => candidate.key === step.key);
  return builtIn?.task !== undefined && builtIn.task === step.task
    ? { key: 'defaultStepTask', step: step.key }
    : undefined;
}
