import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

const { releaseBlockedLetters } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '5 minutes',
});

export const BLOCKED_LETTERS_SCHEDULE_ID = 'blocked-letters';

/** The workflow a contact command starts: one per customer and contact (the id says which), never two at once. */
export function blockedLettersWorkflowId(customerCode: string, contactId: number): string {
  return `blocked-letters/${customerCode}/${contactId}`;
}

/**
 * Sends the letters that waited for a contact: one customer's, after a contact of theirs was added or changed,
 * or every customer's, from the `blocked-letters` schedule. The activity retries until SMTP takes the mail.
 */
export async function blockedLettersWorkflow(input: { customerCode?: string } = {}): Promise<number> {
  const totals = await releaseBlockedLetters(input);
  return totals.sent;
}
