import type http from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createTransport } from '../activities/mailer';
import { createApp } from '../api/app';
import type { HealthCheck } from '../api/deps';
import type { Config } from '../config/env';
import type { TemporalConnectionSettings } from '../config/temporal';
import type { Db } from '../db/connect';
import type { SendTime } from '../domain/collection';
import { PROJECT_ROOT } from './temporal-binaries';

export const WORKFLOWS_PATH = path.join(PROJECT_ROOT, 'workflows', 'index.ts');

export interface WorkerSettings {
  db: Db;
  smtpUrl: string;
  mailFrom: string;
  companyName: string;
  sendTime: SendTime;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (tests, production) instead of bundling the workflows at start-up. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createWorker(connection: NativeConnection, settings: WorkerSettings): Promise<Worker> {
  const activities = createActivities({
    db: settings.db, sendTime: settings.sendTime,
    mail: { transport: createTransport(settings.smtpUrl), from: settings.mailFrom, companyName: settings.companyName },
  });
  return Worker.create({
    connection, namespace: settings.namespace, taskQueue: settings.taskQueue, activities,
    ...(settings.workflowBundle ? { workflowBundle: settings.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
  });
}

export async function connectWorker(settings: TemporalConnectionSettings): Promise<NativeConnection> {
  return NativeConnection.connect(settings);
}

export async function connectClient(settings: TemporalConnectionSettings, namespace: string): Promise<Client> {
  const connection = await Connection.connect(settings);
  return new Client({ connection, namespace });
}

export function healthChecks(db: Db, client: Client, smtpUrl: string): HealthCheck[] {
  const transport = createTransport(smtpUrl);
  return [
    { name: 'postgres', check: async () => { await db.selectNoFrom((eb) => eb.lit(1).as('one')).execute(); } },
    { name: 'temporal', check: async () => { await client.workflowService.getSystemInfo({}); } },
    { name: 'smtp', check: async () => { await transport.verify(); } },
  ];
}

export interface ApiServerSettings {
  db: Db;
  client: Client;
  config: Config;
  smtpUrl: string;
  mailboxEnabled: boolean;
}

export async function startApiServer(settings: ApiServerSettings, port: number, host: string): Promise<http.Server> {
  const app = createApp({
    db: settings.db, temporal: settings.client, taskQueue: settings.config.TEMPORAL_TASK_QUEUE,
    defaultTimeZone: settings.config.DEFAULT_TIME_ZONE, letterSendTime: settings.config.LETTER_SEND_TIME, mailboxEnabled: settings.mailboxEnabled,
    health: healthChecks(settings.db, settings.client, settings.smtpUrl),
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}
