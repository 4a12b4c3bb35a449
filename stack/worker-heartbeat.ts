import crypto from 'node:crypto';
import os from 'node:os';
import { sql } from 'kysely';
import type { Worker } from '@temporalio/worker';
import type { HealthCheck } from '../api/deps';
import { connect, type Db } from '../db/connect';
import { logger } from './logger';

export const HEARTBEAT_INTERVAL_MS = 2_000;
/** Two missed beats: a worker that is dead, stuck or shut down by the core shows as down within 5 s. */
export const HEARTBEAT_STALE_SECONDS = 4;

export interface WorkerHeartbeat {
  stop(): Promise<void>;
}

/**
 * Beats for this worker process every 2 s while the Temporal worker is RUNNING (polling). It uses a
 * connection of its own, so a pool saturated by activities can neither delay a beat nor fake a death.
 */
export function startWorkerHeartbeat(
  databaseUrl: string,
  worker: Pick<Worker, 'getState'>,
  taskQueue: string,
): WorkerHeartbeat {
  const db = connect(databaseUrl, 1);
  const row = {
    worker_id: `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`,
    host: os.hostname(),
    pid: process.pid,
    task_queue: taskQueue,
  };
  let beating: Promise<void> | undefined;
  let lastError = '';

  const beat = async () => {
    const state = worker.getState();
    if (state !== 'RUNNING') return;
    try {
      await db
        .insertInto('worker_heartbeats')
        .values({ ...row, state, beat_at: sql<Date>`now()` })
        .onConflict((oc) => oc.column('worker_id').doUpdateSet({ state, beat_at: sql<Date>`now()` }))
        .execute();
      if (lastError) logger('worker').info('heartbeat written again');
      lastError = '';
    } catch (error) {
      const message = (error as Error).message;
      if (message !== lastError) logger('worker').warn({ error: message }, 'heartbeat failed');
      lastError = message;
    }
  };
  const timer = setInterval(() => {
    beating ??= beat().finally(() => {
      beating = undefined;
    });
  }, HEARTBEAT_INTERVAL_MS);
  timer.unref();
  void beat();

  return {
    async stop() {
      clearInterval(timer);
      await beating;
      await db
        .deleteFrom('worker_heartbeats')
        .where('worker_id', '=', row.worker_id)
        .execute()
        .catch(() => {});
      await db.destroy();
    },
  };
}

/**
 * Removes the heartbeats of a worker process that died on this host (the supervisor saw it exit), so
 * /healthz says the worker is down at once instead of after the beat goes stale, which a quick
 * restart can beat. The supervisor does not wait for it (a database that is down too must not delay the
 * restart); the connection attempt gives up after the pool's 10 s.
 */
export async function forgetDeadWorker(databaseUrl: string, pid: number): Promise<void> {
  const db = connect(databaseUrl, 1);
  try {
    await db.deleteFrom('worker_heartbeats').where('host', '=', os.hostname()).where('pid', '=', pid).execute();
  } finally {
    await db.destroy();
  }
}

/** Down when no worker of this task queue beat in the last few seconds (read with the database's own clock). */
export function workerHealthCheck(db: Db, taskQueue: string): HealthCheck {
  return {
    name: 'worker',
    check: async () => {
      const alive = await db
        .selectFrom('worker_heartbeats')
        .select('worker_id')
        .where('task_queue', '=', taskQueue)
        .where('beat_at', '>', sql<Date>`now() - make_interval(secs => ${HEARTBEAT_STALE_SECONDS})`)
        .limit(1)
        .executeTakeFirst();
      if (!alive)
        throw new Error(
          `no worker is polling task queue ${taskQueue} (no heartbeat in the last ${HEARTBEAT_STALE_SECONDS} s)`,
        );
    },
  };
}
