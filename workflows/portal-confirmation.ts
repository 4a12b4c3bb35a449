import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { PortalConfirmation } from '../activities/portal-confirmations';

const { sendPortalConfirmation } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes' },
});

/** Sends one confirmation mail of the customer's page, retried until it is out; its workflow ID is its outbox key. */
export async function portalConfirmationWorkflow(confirmation: PortalConfirmation): Promise<string> {
  return sendPortalConfirmation(confirmation);
}
