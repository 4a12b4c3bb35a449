/** An SMTP server that is down when a letter is due: the outbox shows the failure, the send is retried with back-off, and the letter arrives once. */
import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addDays, localDateOf } from '../../domain/dates';
import { DEFAULT_POLICY } from '../../domain/policy';
import { startSmtpCatcher, type SmtpCatcher } from '../../stack/smtp-catcher';
import { invoiceCollectionWorkflow } from '../../workflows/collection';
import { eventually } from '../support/api-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertInvoice } from '../support/fixtures';
import { freePort } from '../../stack/ports';
import { testWorker } from '../support/workers';

let database: TestDatabase;
let client: Client;
let native: NativeConnection;
let smtp: SmtpCatcher | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
  native = await NativeConnection.connect({ address: inject('temporalAddress') });
});

afterAll(async () => {
  await smtp?.stop();
  await native?.close();
  await client?.connection.close();
  await database?.drop();
});

describe('SMTP outage', () => {
  it('keeps the letter pending with its error, retries, and delivers it once when SMTP is back', async () => {
    const port = await freePort();
    const taskQueue = `outage-${crypto.randomBytes(4).toString('hex')}`;
    const worker = await testWorker(native, database.db, `smtp://127.0.0.1:${port}`, taskQueue, 'immediate');
    const today = localDateOf(Date.now(), 'Asia/Shanghai');
    const invoiceNo = `OUT-${crypto.randomBytes(3).toString('hex')}`;
    await insertInvoice(database.db, {
      customerCode: 'OUT',
      contractNo: `C-${invoiceNo}`,
      invoiceNo,
      amountMinor: 100_000,
      issueDate: addDays(today, -31),
      dueDate: addDays(today, -1),
    });
    await worker.runUntil(async () => {
      await client.workflow.start(invoiceCollectionWorkflow, {
        workflowId: `invoice/${invoiceNo}`,
        taskQueue,
        args: [
          {
            invoiceNo,
            contractNo: `C-${invoiceNo}`,
            dueDate: addDays(today, -1),
            milestoneKind: 'progress',
            timeZone: 'Asia/Shanghai',
            sendTime: 'immediate',
            balanceMinor: 100_000,
            policy: DEFAULT_POLICY,
          },
        ],
      });
      const failing = await eventually(
        async () => {
          const letter = await database.db
            .selectFrom('letters')
            .selectAll()
            .where('invoice_no', '=', invoiceNo)
            .executeTakeFirst();
          return letter?.last_error ? letter : undefined;
        },
        30_000,
        'the failed attempt',
      );
      expect(failing.status).toBe('pending');
      expect(failing.last_error).toContain('ECONNREFUSED');

      smtp = await startSmtpCatcher(database.db, port);
      const sent = await eventually(
        async () => {
          const letter = await database.db
            .selectFrom('letters')
            .selectAll()
            .where('invoice_no', '=', invoiceNo)
            .executeTakeFirst();
          return letter?.status === 'sent' ? letter : undefined;
        },
        60_000,
        'the retried send',
      );
      expect(sent.attempts).toBeGreaterThanOrEqual(2);
      expect(sent.last_error).toBeNull();
    });
    const box = await database.db.selectFrom('mailbox').select(['message_id', 'deliveries']).execute();
    expect(box).toEqual([{ message_id: `<letter.${invoiceNo}.overdue_1.1@huikuan.test>`, deliveries: 1 }]);
  });
});
