/**
 * A route that needs a part that is down answers 503 naming that part, within its deadline, and
 * leaves nothing half-written: no worker polling the task queue, the Temporal server unreachable,
 * PostgreSQL unreachable.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app';
import { upsertPersonToken } from '../../api/auth';
import type { ApiDeps } from '../../api/deps';
import { connect } from '../../db/connect';
import { ApiClient } from '../support/api-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../../stack/ports';

const DEADLINE_MS = 2_000;
const cny = (value: string) => ({ value, currency: 'CNY' });
let database: TestDatabase;
let temporal: Client;
const servers: http.Server[] = [];

async function serve(deps: Partial<ApiDeps>): Promise<string> {
  const app = createApp({
    db: database.db,
    temporal,
    taskQueue: `idle-${crypto.randomBytes(4).toString('hex')}`,
    defaultTimeZone: 'Asia/Shanghai',
    letterSendTime: '09:30',
    mailboxEnabled: false,
    health: [],
    temporalDeadlineMs: DEADLINE_MS,
    ...deps,
  });
  const server = await new Promise<http.Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function timed<T>(call: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await call();
  return { result, ms: Date.now() - started };
}

beforeAll(async () => {
  database = await createTestDatabase();
  temporal = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
  await upsertPersonToken(database.db, { name: 'sam', role: 'sales' }, 'sales-token-0123456789');
  await upsertPersonToken(database.db, { name: 'fay', role: 'finance' }, 'finance-token-0123456789');
});

afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  await temporal?.connection.close();
  await database?.drop();
});

describe('a route whose part is down', () => {
  it('answers 503 naming the worker when no worker polls, within the deadline', async () => {
    const baseUrl = await serve({});
    const sales = new ApiClient(baseUrl, 'sales-token-0123456789');
    const finance = new ApiClient(baseUrl, 'finance-token-0123456789');
    expect(
      (
        await sales.post('/api/v1/customers', {
          code: 'OUT-1',
          name: 'Outage Co',
          grade: 'A',
          creditLimit: cny('1000000.00'),
          contacts: [{ role: 'payment_owner', name: 'P', email: 'p@out.test' }],
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await sales.post('/api/v1/contracts', {
          no: 'OUT-HT-1',
          customerCode: 'OUT-1',
          title: 't',
          amount: cny('1000.00'),
          paymentTermsType: 'credit_terms',
        })
      ).status,
    ).toBe(201);

    const { result, ms } = await timed(() =>
      finance.post('/api/v1/contracts/OUT-HT-1/approve', {
        risk: { customerRisk: 1, projectRisk: 1, requirementRisk: 1 },
      }),
    );
    expect(result.status).toBe(503);
    expect(result.body).toMatchObject({
      error: 'worker unavailable',
      details: [{ field: 'worker', message: expect.stringContaining('look at the record before asking again') }],
    });
    expect(ms).toBeLessThan(DEADLINE_MS + 2_000);
  });

  it('answers 503 naming Temporal when its server cannot be reached, and undoes the registration', async () => {
    const deadTemporal = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) });
    const baseUrl = await serve({ temporal: deadTemporal });
    const sales = new ApiClient(baseUrl, 'sales-token-0123456789');
    const { result, ms } = await timed(() =>
      sales.post('/api/v1/contracts', {
        no: 'OUT-HT-2',
        customerCode: 'OUT-1',
        title: 't',
        amount: cny('1000.00'),
        paymentTermsType: 'credit_terms',
      }),
    );
    expect(result.status).toBe(503);
    expect(result.body).toMatchObject({ error: 'temporal unavailable', details: [{ field: 'temporal' }] });
    // The deadline, a 1 s ping of the server, undoing the registration: seconds, never a hang.
    expect(ms).toBeLessThan(DEADLINE_MS + 8_000);
    expect(await database.db.selectFrom('contracts').select('no').where('no', '=', 'OUT-HT-2').execute()).toEqual([]);
    expect(
      await database.db.selectFrom('timeline').select('id').where('contract_no', '=', 'OUT-HT-2').execute(),
    ).toEqual([]);
  });

  it('answers 503 naming PostgreSQL when the database cannot be reached', async () => {
    const deadDb = connect(`postgres://nobody:nothing@127.0.0.1:${await freePort()}/none`, 2);
    try {
      const baseUrl = await serve({ db: deadDb });
      const { result, ms } = await timed(() =>
        new ApiClient(baseUrl, 'sales-token-0123456789').get('/api/v1/contracts/OUT-HT-1'),
      );
      expect(result.status).toBe(503);
      expect(result.body).toMatchObject({ error: 'postgres unavailable', details: [{ field: 'postgres' }] });
      expect(ms).toBeLessThan(5_000);
    } finally {
      await deadDb.destroy();
    }
  });
});
