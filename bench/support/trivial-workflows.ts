/**
 * The baselines the benches set our workflows beside: the least a Temporal workflow can cost on the
 * same server and worker settings. Bundled only by the bench's own worker, never by the product.
 */
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

const { ping } = proxyActivities<{ ping(): Promise<void> }>({ startToCloseTimeout: '30 seconds' });

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
