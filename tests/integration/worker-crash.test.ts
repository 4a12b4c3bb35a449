/**
 * Fault test: the worker process is killed while letters are being sent (in the middle of an SMTP
 * conversation), restarted, and every letter arrives exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addDays, localDateOf } from '../../domain/dates';
import { DEFAULT_POLICY } from '../../domain/policy';
import { startSmtpCatcher, type SmtpCatcher } from '../../stack/smtp-catcher';
import { invoiceCollectionWorkflow } from '../../workflows/collection';
import { eventually } from '../support/api-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertInvoice } from '../support/fixtures';

const REPO = path.resolve(__dirname, '..', '..');
const INVOICES = 12;
const KILL_AT_RECIPIENT = 4;
let database: TestDatabase;
let smtp: SmtpCatcher;
let client: Client;
let worker: ChildProcess | undefined;
const taskQueue = `crash-${crypto.randomBytes(4).toString('hex')}`;
let recipients = 0;

function startWorker(): ChildProcess {
  const env = {
    ...process.env,
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    SMTP_URL: smtp.url,
    TEMPORAL_TASK_QUEUE: taskQueue,
    LETTER_SEND_TIME: 'immediate',
    // The killed attempt's claim on its letter lapses after this, so the restarted worker resends it soon.
    LETTER_CLAIM_SECONDS: '10',
  };
  return spawn(process.execPath, ['--import', 'tsx', 'bin/worker.ts'], { cwd: REPO, env, stdio: 'ignore' });
}

function killWorker(): Promise<void> {
  const dying = worker!;
  return new Promise((resolve) => {
    dying.once('exit', () => resolve());
    dying.kill('SIGKILL');
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  smtp = await startSmtpCatcher(database.db, 0, '127.0.0.1', {
    // Kill the worker while it waits for the server to accept a recipient: mid-send, letter claimed, nothing delivered.
    beforeRecipient: async () => {
      recipients += 1;
      if (recipients === KILL_AT_RECIPIENT) await killWorker();
    },
  });
  client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
});

afterAll(async () => {
  worker?.kill('SIGKILL');
  await client?.connection.close();
  await smtp?.stop();
  await database?.drop();
});

describe('a worker killed while sending letters', () => {
  it('sends every letter exactly once after the restart', async () => {
    const today = localDateOf(Date.now(), 'Asia/Shanghai');
    const invoiceNos: string[] = [];
    for (let i = 0; i < INVOICES; i++) {
      const invoiceNo = `CRASH-${i}-${crypto.randomBytes(3).toString('hex')}`;
      invoiceNos.push(invoiceNo);
      // Due yesterday: the +1 day letter is the one step that applies, so each invoice sends exactly one letter now.
      await insertInvoice(database.db, {
        customerCode: `CR${i}`,
        contractNo: `C-${invoiceNo}`,
        invoiceNo,
        amountMinor: 100_000,
        issueDate: addDays(today, -31),
        dueDate: addDays(today, -1),
      });
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
    }
    worker = startWorker();
    await eventually(
      async () =>
        (recipients >= KILL_AT_RECIPIENT && worker!.exitCode !== null) || worker!.signalCode ? true : undefined,
      60_000,
      'the worker to be killed mid-send',
    );
    const beforeRestart = await database.db.selectFrom('letters').select(['status']).execute();
    expect(beforeRestart.filter((l) => l.status === 'sent').length).toBeLessThan(INVOICES);

    worker = startWorker();
    const mail = await eventually(
      async () => {
        const box = await database.db.selectFrom('mailbox').select('message_id').execute();
        return box.length >= INVOICES ? box : undefined;
      },
      90_000,
      'every letter',
    );
    await new Promise((resolve) => setTimeout(resolve, 3000)); // a duplicate would arrive right behind
    const box = await database.db.selectFrom('mailbox').select(['message_id', 'deliveries']).execute();
    expect(box.length).toBe(INVOICES);
    // A kill after the server took a message but before the outbox commit makes the transport deliver it again
    // under the same Message-ID; the mailbox, like receiving mail systems, keeps one copy and counts the redelivery.
    console.log(`redeliveries under the same Message-ID: ${box.reduce((sum, m) => sum + m.deliveries - 1, 0)}`);
    expect(new Set(box.map((m) => m.message_id)).size).toBe(INVOICES);
    const letters = await database.db.selectFrom('letters').select(['invoice_no', 'step', 'status']).execute();
    expect(letters.map((l) => l.invoice_no).sort()).toEqual([...invoiceNos].sort());
    expect(letters.every((l) => l.step === 'overdue_1' && l.status === 'sent')).toBe(true);
    expect(mail.length).toBe(INVOICES);
  });
});
