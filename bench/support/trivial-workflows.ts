/**
 * The baselines the benches set our workflows beside: the least a Temporal workflow can cost on the
 * same server and worker settings. Bundled only by the bench's own worker, never by the product.
 */
import {
  condition,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { CONTRACT_STAGE } from '../../workflows/search-attributes';

const { ping } = proxyActivities<{ ping(): Promise<void> }>({ startToCloseTimeout: '30 seconds' });
const { ping: localPing } = proxyLocalActivities<{ ping(): Promise<void> }>({ startToCloseTimeout: '30 seconds' });

/** One trivial activity, then asleep on a long timer: cached like a collection waiting for its next step. */
export async function pingWorkflow(): Promise<void> {
  await ping();
  await condition(() => false, '30 days');
}

export const touchUpdate = defineUpdate<number, [number]>('touch');

/** Answers an update with no activity at all: the floor of an executeUpdate round trip. */
export async function touchWorkflow(): Promise<void> {
  let touches = 0;
  setHandler(touchUpdate, (by) => (touches += by));
  await condition(() => false, '30 days');
}

/** The parts of work a contract transition's update does beyond answering, each to be switched on alone. */
export interface TouchParts {
  /** Upserts the ContractStage search attribute, as a stage change does. */
  searchAttribute: boolean;
  /** Cancels the workflow's timer and starts a new one, as a stage deadline moved does. */
  timer: boolean;
  /** Awaits one local activity that does nothing, as the transition's record does with its writes. */
  localActivity: boolean;
}

/** touchWorkflow with some parts of a transition added: what each costs in Temporal alone. */
export async function touchPartsWorkflow(parts: TouchParts): Promise<void> {
  let touches = 0;
  let timerMoves = 0;
  setHandler(touchUpdate, async (by) => {
    if (parts.localActivity) await localPing();
    if (parts.searchAttribute)
      upsertSearchAttributes([{ key: CONTRACT_STAGE, value: touches % 2 === 0 ? 'Acceptance' : 'Delivery' }]);
    if (parts.timer) timerMoves += 1;
    touches += by;
    return touches;
  });
  for (;;) {
    const seen = timerMoves;
    await condition(() => timerMoves !== seen, '30 days');
  }
}
