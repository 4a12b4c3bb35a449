import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

const { releaseBlockedLetters } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '5 minutes',
  // A letter SMTP refuses is left to the next sweep inside the activity; what still fails (the database) is
  // retried a few times only, so a run always ends and the schedule (overlap SKIP) keeps sweeping.
  retry: { maximumInterval: '1 minute', maximumAttempts: 3 },
});

export const BLOCKED_LETTERS_SCHEDULE_ID = 'blocked-letters';

/** The workflow a contact command starts: one per customer and contact (the id says which), never two at once. */
export function blockedLettersWorkflowId(customerCode: string, contactId: number): string {
  return `blocked-letters/${customerCode}/${contactId}`;
}

/**
 * Sends the letters that waited for a contact: one customer's, after a contact of theirs was added or changed,
 * or every customer's, from the `blocked-letters` schedule. A letter SMTP refuses waits for the next sweep.
 */
export async function blockedLettersWorkflow(input: { customerCode?: string } = {}): Promise<number> {
  const totals = await releaseBlockedLetters(input);
  return totals.sent;
}
