/**
 * A stateless Temporal worker process; run as many as the load needs. It beats in
 * worker_heartbeats while it polls, and exits non-zero whenever it stops without being asked
 * (the core shut it down, a connection could not be made) so a supervisor starts it again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Runtime } from '@temporalio/worker';
import { connect } from '../db/connect';
import type { SendTime } from '../domain/collection';
import { connectClient, connectWorker, createWorker, workerTuning } from '../stack/processes';
import { ensureSchedules, taskMailSettings } from '../stack/schedules';
import { errorFields, logger, temporalLogger } from '../stack/logger';
import { stopWithSupervisor, tellSupervisor } from '../stack/supervisor';
import { startWorkerHeartbeat } from '../stack/worker-heartbeat';
import { productionConfig } from './production';

/** Activities get this long to finish after a stop request; a hung one does not keep the process. */
const STOP_LIMIT_MS = 6_000;

const log = logger('worker');

/** The bundle `npm run build` wrote, when WORKFLOW_BUNDLE_PATH names one; a missing file stops the start with its name. */
function prebuiltBundle(file: string | undefined): { codePath: string } | undefined {
  if (!file) return undefined;
  const codePath = path.resolve(file);
  if (!fs.existsSync(codePath)) throw new Error(`WORKFLOW_BUNDLE_PATH: no file ${codePath} (run npm run build)`);
  log.info({ codePath }, 'using the prebuilt workflow bundle');
  return { codePath };
}

async function main(): Promise<void> {
  const config = productionConfig(['DATABASE_URL', 'TEMPORAL', 'SMTP_URL']);
  Runtime.install({
    logger: temporalLogger(log),
    ...(config.WORKER_METRICS_PORT
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${config.WORKER_METRICS_PORT}` } } } }
      : {}),
  });
  const { settings, namespace } = config.temporal;
  const db = connect(config.DATABASE_URL, config.DB_POOL_SIZE);
  const connection = await connectWorker(settings);
  const worker = await createWorker(connection, {
    db,
    smtpUrl: config.SMTP_URL,
    mailFrom: config.MAIL_FROM,
    companyName: config.COMPANY_NAME,
    publicUrl: config.PUBLIC_URL ?? `http://localhost:${config.PORT}`,
    portalLinkDays: config.PORTAL_LINK_DAYS,
    sendTime: config.LETTER_SEND_TIME as SendTime,
    consoleUrl: config.PUBLIC_URL ?? `http://localhost:${config.PORT}`,
    namespace,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    tuning: workerTuning(config),
    workflowBundle: prebuiltBundle(config.WORKFLOW_BUNDLE_PATH),
  });
  const client = await connectClient(settings, namespace);
  await ensureSchedules(client, config.TEMPORAL_TASK_QUEUE, { taskMail: taskMailSettings(config) });
  await client.connection.close();

  let stopRequested = false;
  const requestStop = () => {
    stopRequested = true;
    setTimeout(() => {
      log.error('did not stop in time; exiting');
      process.exit(1);
    }, STOP_LIMIT_MS).unref();
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  // The SDK itself shuts the worker down on SIGINT/SIGTERM; these only note it and bound the wait.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, requestStop);
  stopWithSupervisor(requestStop, STOP_LIMIT_MS);

  const running = worker.run();
  const heartbeat = startWorkerHeartbeat(config.DATABASE_URL, worker, config.TEMPORAL_TASK_QUEUE);
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace }, 'polling');
  tellSupervisor({ type: 'ready' });
  const failure = await running.then(
    () => undefined,
    (error: unknown) => error,
  );
  await heartbeat.stop().catch(() => {});
  await connection.close().catch(() => {});
  await db.destroy().catch(() => {});
  if (failure) {
    log.error({ err: failure }, 'stopped by an error');
    process.exit(1);
  }
  if (!stopRequested) {
    log.error('stopped without being asked to');
    process.exit(1);
  }
  process.exit(0);
}

main().catch((error) => {
  log.error(errorFields(error), 'could not start');
  process.exit(1);
});
