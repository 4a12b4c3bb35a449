/**
 * The letters outbox sends with no database transaction or row lock open during the SMTP
 * conversation, and still sends each letter once: a second attempt meanwhile waits, a failed send
 * gives the row back, and a slow SMTP server cannot starve the database pool.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../activities/mailer';
import { type MailSettings, sendStepLetter } from '../../activities/letters';
import { BEING_SENT } from '../../activities/outbox';
import type { StepRequest } from '../../activities/types';
import { connect, type Db } from '../../db/connect';
import { addDays, localDateOf } from '../../domain/dates';
import { DEFAULT_POLICY } from '../../domain/policy';
import { type SmtpCatcher, startSmtpCatcher } from '../../stack/smtp-catcher';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertInvoice } from '../support/fixtures';

let database: TestDatabase;
let mailboxDb: Db;
let smtp: SmtpCatcher;
let mail: MailSettings;
/** While set, the SMTP server holds every recipient until it is resolved. */
let gate: Promise<void> | undefined;
let recipientsWaiting = 0;

const overdueStep = DEFAULT_POLICY.steps.find((s) => s.key === 'overdue_1')!;
const today = localDateOf(Date.now(), 'Asia/Shanghai');

async function newInvoice(): Promise<string> {
  const invoiceNo = `OB-${crypto.randomBytes(4).toString('hex')}`;
  await insertInvoice(database.db, {
    customerCode: `C${invoiceNo}`,
    contractNo: `K-${invoiceNo}`,
    invoiceNo,
    amountMinor: 50_000,
    issueDate: addDays(today, -31),
    dueDate: addDays(today, -1),
  });
  return invoiceNo;
}

function stepRequest(invoiceNo: string): StepRequest {
  const now = Date.now();
  return {
    invoiceNo,
    step: overdueStep,
    occurrence: 1,
    scheduledFor: now,
    decidedAt: now,
    paidToleranceMinor: 0,
    taskDueDays: 3,
    skippedSteps: [],
  };
}

function holdSmtp(): () => void {
  let open!: () => void;
  gate = new Promise((resolve) => {
    open = resolve;
  });
  return () => {
    gate = undefined;
    open();
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  mailboxDb = connect(database.url, 2);
  smtp = await startSmtpCatcher(mailboxDb, 0, '127.0.0.1', {
    beforeRecipient: async () => {
      recipientsWaiting += 1;
      await gate;
      recipientsWaiting -= 1;
    },
  });
  mail = {
    transport: createTransport(smtp.url, 5_000, 10),
    from: 'AR <ar@huikuan.test>',
    companyName: 'Test',
    claimMs: 30_000,
  };
});

afterAll(async () => {
  await smtp?.stop();
  await mailboxDb?.destroy();
  await database?.drop();
});

describe('the letters outbox', () => {
  it('holds no transaction or lock while SMTP is slow, and a second attempt meanwhile sends nothing', async () => {
    const invoiceNo = await newInvoice();
    const release = holdSmtp();
    const sending = sendStepLetter(database.db, mail, stepRequest(invoiceNo));
    await until(() => recipientsWaiting > 0, 'the SMTP conversation to start');

    const row = await database.db
      .selectFrom('letters')
      .select(['id', 'status'])
      .where('invoice_no', '=', invoiceNo)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('sending');
    // The row is not locked: another session can lock it at once.
    await database.db.transaction().execute(async (trx) => {
      await sql`set local lock_timeout = '200ms'`.execute(trx);
      await trx.selectFrom('letters').select('id').where('id', '=', row.id).forUpdate().execute();
    });
    const idleInTransaction = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`.execute(
      database.db,
    );
    expect(idleInTransaction.rows[0].n).toBe(0);

    await expect(sendStepLetter(database.db, mail, stepRequest(invoiceNo))).rejects.toMatchObject({ type: BEING_SENT });
    release();
    // The balance the letter was written with comes back, so the step need not read it again.
    expect(await sending).toEqual({ outcome: 'sent', balanceMinor: 50_000 });
    expect(await sendStepLetter(database.db, mail, stepRequest(invoiceNo))).toEqual({ outcome: 'already_sent' });
    const box = await database.db
      .selectFrom('mailbox')
      .select(['message_id', 'deliveries'])
      .where('subject', 'is not', null)
      .execute();
    const letter = await database.db
      .selectFrom('letters')
      .selectAll()
      .where('invoice_no', '=', invoiceNo)
      .executeTakeFirstOrThrow();
    expect(box.filter((m) => m.message_id === letter.message_id)).toEqual([
      { message_id: letter.message_id, deliveries: 1 },
    ]);
    expect(letter).toMatchObject({ status: 'sent', claimed_until: null, attempts: 1 });
  });

  it('keeps the database answering while ten sends wait on SMTP with a pool of five', async () => {
    const invoiceNos = await Promise.all(Array.from({ length: 10 }, () => newInvoice()));
    const release = holdSmtp();
    const sends = invoiceNos.map((no) => sendStepLetter(database.db, mail, stepRequest(no)));
    await until(() => recipientsWaiting >= 10, 'ten SMTP conversations to wait');
    const started = Date.now();
    await database.db.selectFrom('invoices').select('no').limit(1).execute();
    expect(Date.now() - started).toBeLessThan(1000);
    release();
    expect((await Promise.all(sends)).map((sent) => sent.outcome)).toEqual(invoiceNos.map(() => 'sent'));
  });

  it('gives the row back with its error when the server refuses, and sends it once later', async () => {
    const invoiceNo = await newInvoice();
    const refusing = { ...mail, transport: createTransport('smtp://127.0.0.1:1', 2_000) };
    await expect(sendStepLetter(database.db, refusing, stepRequest(invoiceNo))).rejects.toThrow();
    const failed = await database.db
      .selectFrom('letters')
      .selectAll()
      .where('invoice_no', '=', invoiceNo)
      .executeTakeFirstOrThrow();
    expect(failed).toMatchObject({ status: 'pending', claimed_until: null, attempts: 1 });
    expect(failed.last_error).toMatch(/ECONNREFUSED/);
    // Sent from the stored row: the balance is read again before sending, not taken from the first attempt.
    expect(await sendStepLetter(database.db, mail, stepRequest(invoiceNo))).toEqual({ outcome: 'sent' });
    const sent = await database.db
      .selectFrom('letters')
      .selectAll()
      .where('invoice_no', '=', invoiceNo)
      .executeTakeFirstOrThrow();
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
  });
});
