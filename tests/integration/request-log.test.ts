/**
 * The API's request log, on the real app (real PostgreSQL and Temporal dev server): one JSON line per
 * request with its id, route pattern, status, duration and person, and never the bearer token.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app';
import { upsertPersonToken } from '../../api/auth';
import { createLogger } from '../../stack/logger';
import { createTestDatabase, type TestDatabase } from '../support/database';

type Line = Record<string, unknown>;
const lines: Line[] = [];
const raw: string[] = [];
let database: TestDatabase;
let client: Client;
let server: http.Server;
let baseUrl: string;
const token = `secret-${crypto.randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  database = await createTestDatabase();
  client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
  const requestLogger = createLogger({
    level: 'info',
    format: 'json',
    destination: {
      write: (text: string) => {
        raw.push(text);
        lines.push(JSON.parse(text));
      },
    },
  });
  const app = createApp({
    db: database.db,
    temporal: client,
    taskQueue: 'request-log',
    defaultTimeZone: 'Asia/Shanghai',
    letterSendTime: '09:30',
    mailboxEnabled: false,
    health: [],
    requestLogger,
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await upsertPersonToken(database.db, { name: 'fiona', role: 'finance' }, token);
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await client?.connection.close();
  await database?.drop();
});

async function call(path: string, headers: Record<string, string> = {}): Promise<Response> {
  const before = lines.length;
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  await response.arrayBuffer();
  // The line is written when the response has finished; give the event loop a turn.
  for (let i = 0; i < 50 && lines.length === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return response;
}

describe('request log', () => {
  it('writes one line per request with the route pattern, status, duration and person, and echoes the request id', async () => {
    const first = await call('/api/v1/customers/NO-SUCH-1');
    const second = await call('/api/v1/customers/NO-SUCH-2', { 'x-request-id': 'trace-abc.123' });
    expect(first.status).toBe(404);
    expect(second.headers.get('x-request-id')).toBe('trace-abc.123');
    const [a, b] = lines.slice(-2);
    expect(a).toMatchObject({
      level: 'info',
      msg: 'request',
      method: 'GET',
      route: '/api/v1/customers/:code',
      status: 404,
      person: 'fiona (finance)',
    });
    expect(b).toMatchObject({ requestId: 'trace-abc.123', route: '/api/v1/customers/:code', status: 404 });
    expect(a.requestId).toBe(first.headers.get('x-request-id'));
    expect(a.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof a.durationMs).toBe('number');
  });

  it('replaces a request id that is not short and plain, and logs unmatched paths and anonymous callers', async () => {
    const response = await call('/api/v1/nowhere', { 'x-request-id': 'bad id with spaces', authorization: '' });
    expect(response.status).toBe(401);
    const line = lines.at(-1)!;
    expect(line.requestId).not.toBe('bad id with spaces');
    expect(response.headers.get('x-request-id')).toBe(line.requestId);
    expect(line).toMatchObject({ status: 401, path: '/api/v1/nowhere' });
    expect(line.person).toBeUndefined();
  });

  it('never writes the bearer token', async () => {
    await call('/healthz');
    expect(raw.length).toBeGreaterThanOrEqual(4);
    expect(raw.join('')).not.toContain(token);
  });
});
