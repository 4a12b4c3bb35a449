/** The states a stored record moves through, one union per table; the database columns are typed with them. */

/** Whether `value` is one of `allowed` (a query parameter checked against a status list). */
export function isOneOf<T extends string>(allowed: readonly T[], value: string): value is T {
  return (allowed as readonly string[]).includes(value);
}

export type MilestoneStatus = 'pending' | 'ready' | 'invoiced' | 'paid' | 'written_off';
export type InvoiceStatus = 'open' | 'paid' | 'written_off';
export type InterestStatus = 'none' | 'open' | 'collected' | 'waived';
export const PAYMENT_STATUSES = ['matched', 'unmatched', 'reversed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
/** Letters and internal notifications go through the same outbox: claimed ('sending') before SMTP, marked after. */
export type OutboxStatus = 'pending' | 'sending' | 'sent';
/**
 * A letter whose invoice was paid before it went out is cancelled instead. One whose recipient roles have no
 * contact (and may not fall back to the payment owner) waits 'blocked' until the contact exists; it is then
 * sent, or 'cancelled_closed' (the invoice was written off meanwhile), or 'superseded' (a later letter of the
 * invoice went out or is waiting too: only the newest goes, never a burst).
 */
export const LETTER_STATUSES = [
  'pending',
  'sending',
  'sent',
  'cancelled_paid',
  'blocked',
  'cancelled_closed',
  'superseded',
] as const;
export type LetterStatus = (typeof LETTER_STATUSES)[number];
/**
 * A notification for a role nobody with an email holds is kept, unsent, as 'no_recipient'; a task mail SMTP
 * refused for good a few times (or whose task is gone) is given up as 'failed' (activities/task-notifications.ts).
 */
export type NotificationStatus = OutboxStatus | 'no_recipient' | 'digest' | 'digested' | 'failed';
/** How a person hears of their tasks: one mail per task, or a daily digest (issue 11). */
export const NOTIFY_CHOICES = ['each', 'digest'] as const;
export type NotifyChoice = (typeof NOTIFY_CHOICES)[number];
export const TASK_STATUSES = ['open', 'done', 'skipped'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
/** 'closed': the collection ended (paid or written off) while the dispute was open. */
export type DisputeStatus = 'open' | 'resolved' | 'closed';
/** 'cancelled': the invoice was written off while the promise was open. */
export type PromiseStatus = 'open' | 'kept' | 'broken' | 'cancelled';
/** Historical imports end imported or rejected; bank statements completed (with rejections) or failed. */
export type ImportStatus = 'running' | 'imported' | 'rejected' | 'completed' | 'completed_with_rejections' | 'failed';
