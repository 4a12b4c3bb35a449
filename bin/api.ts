/**
 * A stateless API process; run as many as the load needs behind a load balancer. It starts even
 * when PostgreSQL or Temporal cannot be reached (the pool and the Temporal connection are lazy), so
 * /healthz can say what is down, and reconnects when they come back.
 */
import { Client, Connection } from '@temporalio/client';
import { connect } from '../db/connect';
import { errorFields, logger } from '../stack/logger';
import { startApiServer } from '../stack/processes';
import { stopWithSupervisor, tellSupervisor } from '../stack/supervisor';
import { productionConfig } from './production';

const log = logger('api');

const STOP_LIMIT_MS = 3_000;

async function main(): Promise<void> {
  const config = productionConfig(['DATABASE_URL', 'TEMPORAL', 'SMTP_URL']);
  const db = connect(config.DATABASE_URL, config.DB_POOL_SIZE);
  const reportsDb = config.REPORTS_DATABASE_URL
    ? connect(config.REPORTS_DATABASE_URL, config.DB_POOL_SIZE, { readOnly: true })
    : undefined;
  const connection = Connection.lazy(config.temporal.settings);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  // Set by `npm start` when its own SMTP catcher receives the mail (GET /api/v1/mailbox shows it).
  const mailboxEnabled = process.env.HUIKUAN_MAILBOX === 'embedded';
  const server = await startApiServer(
    { db, reportsDb, client, config, smtpUrl: config.SMTP_URL, mailboxEnabled, checkWorker: true },
    config.PORT,
    config.HOST,
  ).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
      const message = `cannot listen on ${config.HOST}:${config.PORT} (PORT): ${error.code === 'EADDRINUSE' ? 'the port is already in use' : 'permission denied'}`;
      tellSupervisor({ type: 'fatal', message });
      throw new Error(message);
    }
    throw error;
  });
  log.info({ url: `http://${config.HOST}:${config.PORT}` }, 'listening');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), STOP_LIMIT_MS).unref();
    server.close(() => {
      void connection
        .close()
        .catch(() => {})
        .then(() => Promise.all([db.destroy(), reportsDb?.destroy()]))
        .finally(() => process.exit(0));
    });
    server.closeAllConnections();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
  stopWithSupervisor(stop, STOP_LIMIT_MS);
  tellSupervisor({ type: 'ready', url: `http://${config.HOST}:${config.PORT}` });
}

main().catch((error) => {
  log.error(errorFields(error), 'could not start');
  process.exit(1);
});
