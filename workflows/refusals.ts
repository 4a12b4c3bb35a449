import { ApplicationFailure } from '@temporalio/workflow';
import type { Refusal } from '../domain/refusal';

/** The error type every refused command carries out of a workflow; its details hold every refusal. */
export const REFUSED = 'Refused';

/** The failure a validator or handler throws to refuse a command, with every reason (the API answers 409 with them). */
export function refused(refusals: Refusal[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: REFUSED,
    nonRetryable: true,
    message: refusals.map((r) => r.message).join('; '),
    details: [refusals],
  });
}

export function refuseIfAny(refusals: Refusal[]): void {
  if (refusals.length > 0) throw refused(refusals);
}
