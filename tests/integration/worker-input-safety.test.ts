/**
 * Input can fail a request, never the worker: text that Temporal's core cannot encode (a lone
 * surrogate) in a refusal fails that update only, and the same worker keeps serving updates.
 */
import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addDays, localDateOf } from '../../domain/dates';
import { DEFAULT_POLICY } from '../../domain/policy';
import { type SmtpCatcher, startSmtpCatcher } from '../../stack/smtp-catcher';
import { invoiceCollectionWorkflow } from '../../workflows/collection';
import { approveStepUpdate, collectionStatusQuery, requestWriteOffUpdate } from '../../workflows/collection-messages';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertInvoice } from '../support/fixtures';
import { testWorker } from '../support/workers';

let database: TestDatabase;
let smtp: SmtpCatcher;
let client: Client;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `safety-${crypto.randomBytes(4).toString('hex')}`;
const today = localDateOf(Date.now(), 'Asia/Shanghai');

async function startCollection(): Promise<string> {
  const invoiceNo = `SAFE-${crypto.randomBytes(4).toString('hex')}`;
  await insertInvoice(database.db, {
    customerCode: `C${invoiceNo}`,
    contractNo: `K-${invoiceNo}`,
    invoiceNo,
    amountMinor: 10_000,
    issueDate: addDays(today, -10),
    dueDate: addDays(today, 20),
  });
  await client.workflow.start(invoiceCollectionWorkflow, {
    workflowId: `invoice/${invoiceNo}`,
    taskQueue,
    args: [
      {
        invoiceNo,
        contractNo: `K-${invoiceNo}`,
        dueDate: addDays(today, 20),
        milestoneKind: 'progress',
        timeZone: 'Asia/Shanghai',
        sendTime: '09:30',
        balanceMinor: 10_000,
        policy: DEFAULT_POLICY,
      },
    ],
  });
  return invoiceNo;
}

beforeAll(async () => {
  database = await createTestDatabase();
  smtp = await startSmtpCatcher(database.db, 0);
  client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
  native = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await testWorker(native, database.db, smtp.url, taskQueue);
  running = worker.run();
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => {});
  await native?.close();
  await client?.connection.close();
  await smtp?.stop();
  await database?.drop();
});

describe('a worker given text it cannot encode', () => {
  it('refuses the update and keeps running', async () => {
    const handle = client.workflow.getHandle(`invoice/${await startCollection()}`);
    const finance = { name: 'fiona', role: 'finance' as const };
    await expect(
      handle.executeUpdate(approveStepUpdate, {
        args: [{ actor: finance, step: '\ud800', approved: true, reason: 'x' }],
      }),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/step \uFFFD is not waiting for approval/) } });
    await expect(
      handle.executeUpdate(requestWriteOffUpdate, {
        args: [{ actor: { name: '\udc00', role: 'sales' }, reason: 'x\ud83d' }],
      }),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/only finance requests a write-off/) } });

    expect(worker.getState()).toBe('RUNNING');
    const other = client.workflow.getHandle(`invoice/${await startCollection()}`);
    const status = await other.executeUpdate(requestWriteOffUpdate, {
      args: [{ actor: finance, reason: 'customer insolvent' }],
    });
    expect(status.writeOffRequestedBy).toBe('fiona');
    expect((await handle.query(collectionStatusQuery)).balanceMinor).toBe(10_000);
  });
});
