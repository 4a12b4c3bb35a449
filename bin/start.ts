/**
 * `npm start`: a supervisor. It brings up PostgreSQL and a Temporal dev server (each in a child
 * process of its own) and an SMTP catcher unless DATABASE_URL, TEMPORAL_ADDRESS or SMTP_URL point
 * at existing ones, runs migrations and sets the admin token, then runs the API and the worker as
 * separate child processes and restarts whatever dies (see "Faults and recovery" in docs/operations.md).
 * `npm start -- --demo` also loads demo data through the API once it is healthy.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { upsertPersonToken } from '../api/auth';
import { setFirstPassword } from '../services/sessions';
import { ConfigError, loadConfig, type Config } from '../config/env';
import { connect, migrateToLatest, type Db } from '../db/connect';
import { loadDemoData } from '../stack/demo';
import { humanOutput, logger } from '../stack/logger';
import { freePort } from '../stack/ports';
import { startSmtpCatcher, type SmtpCatcher } from '../stack/smtp-catcher';
import { type ChildSpec, SupervisedChild } from '../stack/supervisor';
import { forgetDeadWorker } from '../stack/worker-heartbeat';

const log = logger('supervisor');

/** Ctrl-C, SIGTERM and SIGHUP end everything within this, whatever state the children are in. */
const STOP_DEADLINE_MS = 9_000;
/** A dependency (PostgreSQL, Temporal) that fails this many restarts in a row ends the stack. */
const DEPENDENCY_MAX_FAILED_RESTARTS = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function adminTokenFile(config: Config): string {
  return path.join(config.dataDir, 'admin-token');
}

function adminToken(config: Config): string {
  if (config.ADMIN_TOKEN) return config.ADMIN_TOKEN;
  const file = adminTokenFile(config);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const token = `hk_admin_${crypto.randomBytes(18).toString('base64url')}`;
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

function adminPasswordFile(config: Config): string {
  return path.join(config.dataDir, 'admin-password');
}

/** The admin's first console password: made once, kept in .data/admin-password (mode 600) for the person who started it. */
function adminPassword(config: Config): string {
  const file = adminPasswordFile(config);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = crypto.randomBytes(12).toString('base64url');
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** Like the token, the password goes only to a person at a terminal. */
function adminPasswordLine(config: Config, password: string): string {
  const where = process.stdout.isTTY ? password : `in ${adminPasswordFile(config)}`;
  return `sign in as admin, password ${where} (until the admin changes it)`;
}

/** The token goes only to a person at a terminal; logs get where to find it. */
function adminTokenLine(config: Config, token: string): string {
  if (process.stdout.isTTY) return token;
  return config.ADMIN_TOKEN ? '(the ADMIN_TOKEN you set)' : `in ${adminTokenFile(config)}`;
}

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    log.error(error instanceof ConfigError ? error.message : String(error));
    process.exit(1);
  }
}

function message(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error ?? 'unknown error');
}

/** Loads the demo once the API answers; returns the demo people to print with their passwords. */
async function loadDemo(apiUrl: string, token: string) {
  await waitForHealth(apiUrl, 120_000);
  return loadDemoData(apiUrl, token);
}

async function waitForHealth(apiUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(3_000) });
      if (response.ok) return;
      last = ((await response.json()) as { error?: string }).error ?? String(response.status);
    } catch (error) {
      last = message(error);
    }
    await sleep(500);
  }
  throw new Error(`the API did not become healthy within ${timeoutMs / 1000} s (${last})`);
}

class Stack {
  private readonly children: SupervisedChild[] = [];
  private readonly closers: (() => Promise<unknown>)[] = [];
  stopping = false;

  constructor(private readonly config: Config) {}

  child(spec: Omit<ChildSpec, 'env'>, env: NodeJS.ProcessEnv): SupervisedChild {
    const child = new SupervisedChild({ ...spec, env }, (_child, reason) => {
      log.error(reason);
      void this.shutdown(1);
    });
    this.children.push(child);
    return child;
  }

  onStop(close: () => Promise<unknown>): void {
    this.closers.push(close);
  }

  /** API and worker first (they use the rest), then the services, then what runs in this process. */
  async shutdown(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    log.info('stopping…');
    setTimeout(() => {
      log.error('stop took too long; killing what is left');
      for (const child of this.children) child.kill();
      process.exit(code || 1);
    }, STOP_DEADLINE_MS).unref();
    const byName = (names: string[]) => this.children.filter((c) => names.includes(c.spec.name));
    await Promise.all(byName(['api', 'worker']).map((c) => c.stop()));
    await Promise.all(byName(['temporal', 'postgres']).map((c) => c.stop()));
    await Promise.all(this.closers.map((close) => close().catch((error) => log.error(message(error)))));
    process.exit(code);
  }
}

async function migrate(databaseUrl: string, token: string, password: string): Promise<void> {
  const db = connect(databaseUrl, 1);
  try {
    await migrateToLatest(db);
    await upsertPersonToken(db, { name: 'admin', role: 'admin' }, token);
    await setFirstPassword(db, 'admin', password);
  } catch (error) {
    throw new Error(`cannot migrate the database at ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}: ${message(error)}`);
  } finally {
    await db.destroy();
  }
}

async function startCatcher(stack: Stack, databaseUrl: string, port: number): Promise<SmtpCatcher> {
  // The catcher stores mail through a small pool of its own: letters being sent never starve it.
  const mailboxDb: Db = connect(databaseUrl, 2);
  stack.onStop(() => mailboxDb.destroy());
  const catcher = await startSmtpCatcher(mailboxDb, port).catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      `cannot start the SMTP catcher on 127.0.0.1:${port} (EMBEDDED_SMTP_PORT): ${error.code === 'EADDRINUSE' ? 'the port is already in use' : message(error)}`,
    );
  });
  stack.onStop(() => catcher.stop());
  return catcher;
}

async function main(): Promise<void> {
  const demo = process.argv.includes('--demo');
  // A demo shows the ladder at once: each step goes out as soon as its day begins, unless told otherwise.
  if (demo && !process.env.LETTER_SEND_TIME) process.env.LETTER_SEND_TIME = 'immediate';
  const config = configOrExit();
  fs.mkdirSync(config.dataDir, { recursive: true });
  const stack = new Stack(config);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stack.shutdown(0));
  // Children read the data folder from the environment; their working directory is the project's.
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: config.dataDir };

  try {
    const dependencies = { stopGraceMs: 4_000, maxFailedRestarts: DEPENDENCY_MAX_FAILED_RESTARTS };
    const postgres = config.DATABASE_URL
      ? undefined
      : stack.child(
          { name: 'postgres', label: 'PostgreSQL', script: 'stack/postgres-service.ts', ...dependencies },
          env,
        );
    const temporal = config.TEMPORAL_ADDRESS
      ? undefined
      : stack.child(
          { name: 'temporal', label: 'the Temporal dev server', script: 'stack/temporal-service.ts', ...dependencies },
          env,
        );
    const [postgresInfo, temporalInfo] = await Promise.all([postgres?.start(), temporal?.start()]);
    const databaseUrl = config.DATABASE_URL ?? String(postgresInfo!.url);
    const temporalAddress = config.TEMPORAL_ADDRESS ?? String(temporalInfo!.address);

    const token = adminToken(config);
    const password = adminPassword(config);
    await migrate(databaseUrl, token, password);
    const smtpUrl = config.SMTP_URL ?? (await startCatcher(stack, databaseUrl, config.EMBEDDED_SMTP_PORT)).url;
    if (stack.stopping) return;

    // The worker serves the Temporal SDK metrics on a port of its own; the API adds them to its /metrics.
    const workerMetricsPort = config.WORKER_METRICS_PORT ?? (await freePort());
    const childEnv = {
      ...env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      SMTP_URL: smtpUrl,
      HUIKUAN_MAILBOX: config.SMTP_URL ? 'external' : 'embedded',
      WORKER_METRICS_PORT: String(workerMetricsPort),
      WORKER_METRICS_URL: config.WORKER_METRICS_URL ?? `http://127.0.0.1:${workerMetricsPort}/metrics`,
    };
    const worker = stack.child(
      {
        name: 'worker',
        label: 'the worker',
        script: 'bin/worker.ts',
        stopGraceMs: 7_000,
        afterDeath: (pid) => forgetDeadWorker(databaseUrl, pid),
      },
      childEnv,
    );
    const api = stack.child({ name: 'api', label: 'the API', script: 'bin/api.ts', stopGraceMs: 4_000 }, childEnv);
    await Promise.all([worker.start(), api.start()]);

    const apiUrl = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
    const demoPeople = demo ? await loadDemo(`http://127.0.0.1:${config.PORT}`, token) : [];

    const banner = [
      '',
      'Huikuan is running.',
      `  Console        ${apiUrl}/   ${adminPasswordLine(config, password)}`,
      ...demoPeople.map(({ name, role, password }) => `                 demo: ${name} (${role}), password ${password}`),
      `  API            ${apiUrl}   (OpenAPI: ${apiUrl}/api/v1/openapi.json, health: ${apiUrl}/healthz)`,
      `  Temporal UI    ${temporalInfo ? String(temporalInfo.uiUrl) : `(external cluster at ${temporalAddress}, namespace ${config.TEMPORAL_NAMESPACE})`}`,
      `  Temporal gRPC  ${temporalAddress}`,
      `  PostgreSQL     ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}`,
      `  SMTP           ${smtpUrl}${config.SMTP_URL ? '' : `   (mailbox: ${apiUrl}/api/v1/mailbox)`}`,
      `  Admin token    ${adminTokenLine(config, token)}`,
      `  Letters        ${config.LETTER_SEND_TIME === 'immediate' ? 'sent as soon as each step is due (LETTER_SEND_TIME=immediate)' : `sent at ${config.LETTER_SEND_TIME} on working days, in each customer's time zone`}`,
      `  Processes      supervisor ${process.pid}; api, worker${postgres ? ', postgres' : ''}${temporal ? ', temporal' : ''} restarted when they die`,
      '',
      'Press Ctrl-C to stop.',
    ].join('\n');
    // The banner is for a person at a terminal; a log collector gets it as one line like the rest.
    if (humanOutput()) console.log(banner);
    else log.info(banner);
  } catch (error) {
    if (stack.stopping) return;
    log.error(`cannot start: ${message(error)}`);
    await stack.shutdown(1);
  }
}

void main();
