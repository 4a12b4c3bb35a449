import type http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  type ActivityInterceptorsFactory,
  NativeConnection,
  Worker,
  type WorkerOptions,
  bundleWorkflowCode,
} from '@temporalio/worker';
import { createActivities } from '../activities';
import { createTransport } from '../activities/mailer';
import { createApp } from '../api/app';
import type { HealthCheck } from '../api/deps';
import type { Config } from '../config/env';
import type { TemporalConnectionSettings } from '../config/temporal';
import type { Db } from '../db/connect';
import type { SendTime } from '../domain/collection';
import { wellFormed } from '../domain/text';
import { PROJECT_ROOT } from './temporal-binaries';
import { workerHealthCheck } from './worker-heartbeat';
import type { Logger } from '@temporalio/common';

const HEALTH_SMTP_TIMEOUT_MS = 1_000;

const WORKFLOWS_PATH = path.join(PROJECT_ROOT, 'workflows', 'index.ts');
const FAILURE_CONVERTER_PATH = path.join(PROJECT_ROOT, 'workflows', 'failure-converter.ts');

const QUIET: Logger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message, meta) => console.error(message, meta ?? ''),
};

/** The workflow bundle, with the failure converter that keeps bad text from shutting the worker down. */
export async function bundleWorkflows(): Promise<{ code: string }> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: QUIET,
  });
}

/** Bundles the workflows once into a file a worker loads with `workflowBundle: { codePath }` (npm run build, the tests). */
export async function writeWorkflowBundle(file: string): Promise<{ bytes: number }> {
  const { code } = await bundleWorkflows();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, code);
  return { bytes: Buffer.byteLength(code) };
}

/** The same for activities: an error message quoting malformed text reaches Temporal's core well-formed. */
const wellFormedActivityErrors: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (error) {
        if (error instanceof Error) error.message = wellFormed(error.message);
        throw error;
      }
    },
  },
});

export interface WorkerSettings {
  db: Db;
  smtpUrl: string;
  mailFrom: string;
  companyName: string;
  /** PUBLIC_URL: the base of the customer's page link in every letter. */
  publicUrl?: string;
  /** PORTAL_LINK_DAYS: how long a new customer's page link works. */
  portalLinkDays?: number;
  sendTime: SendTime;
  /** The console's base URL (PUBLIC_URL) task mails link to. */
  consoleUrl?: string;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (tests, production) instead of bundling the workflows at start-up. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  tuning?: Partial<WorkerTuning>;
}

/** How much one worker process does at once; see "Worker and pool sizes" in docs/operations.md. */
export interface WorkerTuning {
  /** Activities at once; each holds a database connection only for its short transactions. */
  maxActivities: number;
  /** Workflow tasks at once (the workflow thread is one core either way). */
  maxWorkflowTasks: number;
  /** Workflows kept in memory between tasks; a workflow evicted is replayed from history when it wakes. */
  cachedWorkflows: number;
  smtpTimeoutMs: number;
  /** How long a letter claimed for sending stays reserved for that attempt (longer than any SMTP conversation). */
  letterClaimMs: number;
}

export const DEFAULT_WORKER_TUNING: WorkerTuning = {
  maxActivities: 20,
  maxWorkflowTasks: 40,
  cachedWorkflows: 10_000,
  smtpTimeoutMs: 20_000,
  letterClaimMs: 60_000,
};

export function workerTuning(config: Config): WorkerTuning {
  return {
    maxActivities: config.WORKER_MAX_ACTIVITIES,
    maxWorkflowTasks: config.WORKER_MAX_WORKFLOW_TASKS,
    cachedWorkflows: config.WORKER_CACHED_WORKFLOWS,
    smtpTimeoutMs: config.SMTP_TIMEOUT_SECONDS * 1000,
    letterClaimMs: config.LETTER_CLAIM_SECONDS * 1000,
  };
}

export async function createWorker(connection: NativeConnection, settings: WorkerSettings): Promise<Worker> {
  const tuning = { ...DEFAULT_WORKER_TUNING, ...settings.tuning };
  const activities = createActivities({
    db: settings.db,
    sendTime: settings.sendTime,
    consoleUrl: settings.consoleUrl,
    mail: {
      transport: createTransport(settings.smtpUrl, tuning.smtpTimeoutMs),
      from: settings.mailFrom,
      companyName: settings.companyName,
      claimMs: tuning.letterClaimMs,
      publicUrl: settings.publicUrl,
      portalLinkDays: settings.portalLinkDays,
    },
  });
  return Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    activities,
    maxConcurrentActivityTaskExecutions: tuning.maxActivities,
    maxConcurrentLocalActivityExecutions: tuning.maxActivities,
    maxConcurrentWorkflowTaskExecutions: tuning.maxWorkflowTasks,
    maxCachedWorkflows: tuning.cachedWorkflows,
    interceptors: { activity: [wellFormedActivityErrors] },
    workflowBundle: settings.workflowBundle ?? (await bundleWorkflows()),
  });
}

export async function connectWorker(settings: TemporalConnectionSettings): Promise<NativeConnection> {
  return NativeConnection.connect(settings);
}

export async function connectClient(settings: TemporalConnectionSettings, namespace: string): Promise<Client> {
  const connection = await Connection.connect(settings);
  return new Client({ connection, namespace });
}

/** The parts /healthz checks; `workerTaskQueue` adds the worker heartbeat check (processes that run beside a worker process). */
export function healthChecks(db: Db, client: Client, smtpUrl: string, workerTaskQueue?: string): HealthCheck[] {
  const transport = createTransport(smtpUrl, HEALTH_SMTP_TIMEOUT_MS);
  return [
    {
      name: 'postgres',
      check: async () => {
        await db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
      },
    },
    {
      name: 'temporal',
      check: async () => {
        await client.workflowService.getSystemInfo({});
      },
    },
    {
      name: 'smtp',
      check: async () => {
        await transport.verify();
      },
    },
    ...(workerTaskQueue ? [workerHealthCheck(db, workerTaskQueue)] : []),
  ];
}

export interface ApiServerSettings {
  db: Db;
  /** The reports' read-only pool (REPORTS_DATABASE_URL); the reports read through `db` when absent. */
  reportsDb?: Db;
  client: Client;
  config: Config;
  smtpUrl: string;
  mailboxEnabled: boolean;
  /** /healthz also checks that a worker polls the task queue (the heartbeats of separate worker processes). */
  checkWorker?: boolean;
}

export async function startApiServer(settings: ApiServerSettings, port: number, host: string): Promise<http.Server> {
  const app = createApp({
    db: settings.db,
    reportsDb: settings.reportsDb,
    temporal: settings.client,
    taskQueue: settings.config.TEMPORAL_TASK_QUEUE,
    defaultTimeZone: settings.config.DEFAULT_TIME_ZONE,
    letterSendTime: settings.config.LETTER_SEND_TIME,
    mailboxEnabled: settings.mailboxEnabled,
    health: healthChecks(
      settings.db,
      settings.client,
      settings.smtpUrl,
      settings.checkWorker ? settings.config.TEMPORAL_TASK_QUEUE : undefined,
    ),
    workerMetricsUrl: settings.config.WORKER_METRICS_URL,
    sessionIdleMinutes: settings.config.SESSION_IDLE_MINUTES,
    secureCookies: settings.config.PUBLIC_URL?.startsWith('https:') ?? false,
    companyName: settings.config.COMPANY_NAME,
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}
