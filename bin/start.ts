/**
 * The all-in-one launcher: `npm start` brings up PostgreSQL, a Temporal dev server and an SMTP
 * catcher unless DATABASE_URL, TEMPORAL_ADDRESS or SMTP_URL point at existing ones, then runs
 * migrations, the worker and the API. `npm start -- --demo` also loads demo data.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { upsertPersonToken } from '../api/auth';
import { ConfigError, loadConfig, type Config } from '../config/env';
import { temporalConnectionSettings } from '../config/temporal';
import { connect, migrateToLatest } from '../db/connect';
import type { SendTime } from '../domain/collection';
import { loadDemoData } from '../stack/demo';
import { ensureSchedules } from '../stack/schedules';
import { startEmbeddedPostgres } from '../stack/postgres';
import { connectClient, connectWorker, createWorker, startApiServer } from '../stack/processes';
import { startSmtpCatcher } from '../stack/smtp-catcher';
import { findTemporalCli } from '../stack/temporal-binaries';
import { startTemporalDevServer } from '../stack/temporal-dev-server';

type Stop = () => Promise<unknown>;

function adminToken(config: Config): string {
  if (config.ADMIN_TOKEN) return config.ADMIN_TOKEN;
  const file = path.join(config.dataDir, 'admin-token');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const token = `hk_admin_${crypto.randomBytes(18).toString('base64url')}`;
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const demo = process.argv.includes('--demo');
  // A demo shows the ladder at once: each step goes out as soon as its day begins, unless told otherwise.
  if (demo && !process.env.LETTER_SEND_TIME) process.env.LETTER_SEND_TIME = 'immediate';
  const config = configOrExit();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  fs.mkdirSync(config.dataDir, { recursive: true });
  const stops: Stop[] = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    for (const stop of stops.reverse()) await stop().catch((error) => console.error(error));
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));

  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const postgres = await startEmbeddedPostgres(config.dataDir, config.EMBEDDED_PG_PORT);
      stops.push(postgres.stop);
      databaseUrl = postgres.url;
    }

    let temporalAddress = config.TEMPORAL_ADDRESS;
    let temporalUi: string | undefined;
    if (!temporalAddress) {
      const cli = findTemporalCli();
      if (!cli) throw new Error('no Temporal CLI found: set TEMPORAL_CLI_PATH or TEMPORAL_ADDRESS');
      const server = await startTemporalDevServer(cli, config.dataDir, config.TEMPORAL_DEV_PORT, config.TEMPORAL_UI_PORT);
      stops.push(server.stop);
      temporalAddress = server.address;
      temporalUi = server.uiUrl;
    }

    const db = connect(databaseUrl);
    stops.push(() => db.destroy());
    await migrateToLatest(db);

    let smtpUrl = config.SMTP_URL;
    if (!smtpUrl) {
      const catcher = await startSmtpCatcher(db, config.EMBEDDED_SMTP_PORT);
      stops.push(catcher.stop);
      smtpUrl = catcher.url;
    }

    const token = adminToken(config);
    await upsertPersonToken(db, { name: 'admin', role: 'admin' }, token);

    const temporalSettings = temporalConnectionSettings(config, temporalAddress);
    const client = await connectClient(temporalSettings, config.TEMPORAL_NAMESPACE);
    stops.push(() => client.connection.close());
    const workerConnection = await connectWorker(temporalSettings);
    const worker = await createWorker(workerConnection, {
      db, smtpUrl, mailFrom: config.MAIL_FROM, companyName: config.COMPANY_NAME, sendTime: config.LETTER_SEND_TIME as SendTime,
      namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE,
    });
    const workerRun = worker.run();
    await ensureSchedules(client, config.TEMPORAL_TASK_QUEUE);
    // The SDK already begins draining the worker on SIGINT/SIGTERM; shut it down here for the other exits.
    stops.push(async () => { if (worker.getState() === 'RUNNING') worker.shutdown(); await workerRun; await workerConnection.close(); });
    workerRun.catch((error) => { console.error('worker failed:', error); void shutdown(1); });

    const server = await startApiServer({ db, client, config, smtpUrl, mailboxEnabled: !config.SMTP_URL }, config.PORT, config.HOST);
    stops.push(() => new Promise((resolve) => server.close(resolve)));
    const apiUrl = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;

    if (demo) await loadDemoData(apiUrl, token);

    console.log([
      '',
      'Huikuan is running.',
      `  API            ${apiUrl}   (OpenAPI: ${apiUrl}/api/v1/openapi.json, health: ${apiUrl}/healthz)`,
      `  Temporal UI    ${temporalUi ?? `(external cluster at ${temporalAddress}, namespace ${config.TEMPORAL_NAMESPACE})`}`,
      `  Temporal gRPC  ${temporalAddress}`,
      `  PostgreSQL     ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}`,
      `  SMTP           ${smtpUrl}${config.SMTP_URL ? '' : `   (mailbox: ${apiUrl}/api/v1/mailbox)`}`,
      `  Admin token    ${token}`,
      `  Letters        ${config.LETTER_SEND_TIME === 'immediate' ? 'sent as soon as each step is due (LETTER_SEND_TIME=immediate)' : `sent at ${config.LETTER_SEND_TIME} on working days, in each customer's time zone`}`,
      '',
      'Press Ctrl-C to stop.',
    ].join('\n'));
  } catch (error) {
    console.error(error);
    await shutdown(1);
  }
}

void main();
