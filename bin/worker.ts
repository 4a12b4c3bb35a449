/**
 * A stateless Temporal worker process; run as many as the load needs. It beats in
 * worker_heartbeats while it polls, and exits non-zero whenever it stops without being asked
 * (the core shut it down, a connection could not be made) so a supervisor starts it again.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { temporalConnectionSettings } from '../config/temporal';
import { connect } from '../db/connect';
import type { SendTime } from '../domain/collection';
import { connectClient, connectWorker, createWorker, workerTuning } from '../stack/processes';
import { ensureSchedules } from '../stack/schedules';
import { stopWithSupervisor, tellSupervisor } from '../stack/supervisor';
import { startWorkerHeartbeat } from '../stack/worker-heartbeat';
import { productionConfig } from './production';

/** Activities get this long to finish after a stop request; a hung one does not keep the process. */
const STOP_LIMIT_MS = 6_000;

async function main(): Promise<void> {
  // Under `npm start` the worker's info lines would drown the stack's own; a lone worker keeps them.
  if (process.send) Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = productionConfig(['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL']);
  const settings = temporalConnectionSettings(config, config.TEMPORAL_ADDRESS);
  const db = connect(config.DATABASE_URL, config.DB_POOL_SIZE);
  const connection = await connectWorker(settings);
  const worker = await createWorker(connection, {
    db, smtpUrl: config.SMTP_URL, mailFrom: config.MAIL_FROM, companyName: config.COMPANY_NAME,
    sendTime: config.LETTER_SEND_TIME as SendTime, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE, tuning: workerTuning(config),
  });
  const client = await connectClient(settings, config.TEMPORAL_NAMESPACE);
  await ensureSchedules(client, config.TEMPORAL_TASK_QUEUE);
  await client.connection.close();

  let stopRequested = false;
  const requestStop = () => {
    stopRequested = true;
    setTimeout(() => { console.error('[worker] did not stop in time; exiting'); process.exit(1); }, STOP_LIMIT_MS).unref();
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  // The SDK itself shuts the worker down on SIGINT/SIGTERM; these only note it and bound the wait.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, requestStop);
  stopWithSupervisor(requestStop, STOP_LIMIT_MS);

  const running = worker.run();
  const heartbeat = startWorkerHeartbeat(config.DATABASE_URL, worker, config.TEMPORAL_TASK_QUEUE);
  tellSupervisor({ type: 'ready' });
  const failure = await running.then(() => undefined, (error: unknown) => error);
  await heartbeat.stop().catch(() => {});
  await connection.close().catch(() => {});
  await db.destroy().catch(() => {});
  if (failure) {
    console.error('[worker] stopped by an error:', failure);
    process.exit(1);
  }
  if (!stopRequested) {
    console.error('[worker] stopped without being asked to');
    process.exit(1);
  }
  process.exit(0);
}

main().catch((error) => { console.error('[worker] could not start:', error instanceof Error ? error.message : error); process.exit(1); });
