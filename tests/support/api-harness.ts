import crypto from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { upsertPersonToken } from '../../api/auth';
import { loadConfig } from '../../config/env';
import { startApiServer } from '../../stack/processes';
import { startSmtpCatcher, type SmtpCatcher } from '../../stack/smtp-catcher';
import { createTestDatabase, type TestDatabase } from './database';
import { testWorker } from './workers';

export interface ApiResponse {
  status: number;
  body: any;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  get(path: string) {
    return this.request('GET', path);
  }
  post(path: string, body: unknown = {}) {
    return this.request('POST', path, body);
  }
  put(path: string, body: unknown = {}) {
    return this.request('PUT', path, body);
  }
}

/** The API, a real worker, the real Temporal dev server, PostgreSQL and the local SMTP catcher, in this process. */
export interface ApiHarness {
  database: TestDatabase;
  smtp: SmtpCatcher;
  client: Client;
  taskQueue: string;
  admin: ApiClient;
  anonymous: ApiClient;
  /** Creates a person with a role through the API and returns a client holding their token. */
  person(name: string, role: string): Promise<ApiClient>;
  stop(): Promise<void>;
}

export async function startApiHarness(): Promise<ApiHarness> {
  const database = await createTestDatabase();
  const smtp = await startSmtpCatcher(database.db, 0);
  const taskQueue = `it-${crypto.randomBytes(4).toString('hex')}`;
  const address = inject('temporalAddress');
  const client = new Client({ connection: await Connection.connect({ address }) });
  const nativeConnection = await NativeConnection.connect({ address });
  const worker: Worker = await testWorker(nativeConnection, database.db, smtp.url, taskQueue, 'immediate');
  const running = worker.run();
  const config = loadConfig({ TEMPORAL_TASK_QUEUE: taskQueue });
  const server: http.Server = await startApiServer(
    { db: database.db, client, config, smtpUrl: smtp.url, mailboxEnabled: true },
    0,
    '127.0.0.1',
  );
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const adminToken = `admin-${crypto.randomBytes(12).toString('hex')}`;
  await upsertPersonToken(database.db, { name: 'admin', role: 'admin' }, adminToken);
  const admin = new ApiClient(baseUrl, adminToken);
  return {
    database,
    smtp,
    client,
    taskQueue,
    admin,
    anonymous: new ApiClient(baseUrl),
    async person(name, role) {
      const created = await admin.post('/api/v1/tokens', { name, role });
      if (created.status !== 201) throw new Error(`could not create ${name}: ${JSON.stringify(created.body)}`);
      return new ApiClient(baseUrl, created.body.token);
    },
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await client.connection.close();
      await smtp.stop();
      await database.drop();
    },
  };
}

/** Polls until check returns a value other than undefined, or fails after timeoutMs. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
