/**
 * The invoice collection workflow on the time-skipping test server, with the real activities,
 * a real PostgreSQL and the real local SMTP server.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createActivities } from '../../activities';
import { createTransport } from '../../activities/mailer';
import { addDays, localDateOf, zonedInstant } from '../../domain/dates';
import { startSmtpCatcher, type SmtpCatcher } from '../../stack/smtp-catcher';
import { type CollectionInput, invoiceCollectionWorkflow, paymentAppliedSignal } from '../../workflows/collection';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertInvoice, setBalance } from '../support/fixtures';
import { MAIL_FROM, testWorker } from '../support/workers';

const TZ = 'Asia/Shanghai';
const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
let database: TestDatabase;
let smtp: SmtpCatcher;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: inject('testServerPath') } } });
  database = await createTestDatabase();
  smtp = await startSmtpCatcher(database.db, 0);
});

afterAll(async () => {
  await smtp?.stop();
  await database?.drop();
  await env?.teardown();
});

let counter = 0;
async function newInvoice(dueInDays: number, amountMinor = 1_000_000) {
  counter += 1;
  const today = localDateOf(await env.currentTimeMs(), TZ);
  const invoiceNo = `INV-${counter}-${Date.now()}`;
  const dueDate = addDays(today, dueInDays);
  await insertInvoice(database.db, {
    customerCode: `CUST${counter}`, contractNo: `C-${invoiceNo}`, invoiceNo, amountMinor, issueDate: addDays(dueDate, -30), dueDate,
  });
  const input: CollectionInput = {
    invoiceNo, contractNo: `C-${invoiceNo}`, dueDate, milestoneKind: 'progress', timeZone: TZ, sendTime: '09:30', balanceMinor: amountMinor,
  };
  return { invoiceNo, dueDate, input };
}

function startCollection(input: CollectionInput, taskQueue: string) {
  return env.client.workflow.start(invoiceCollectionWorkflow, { workflowId: `invoice/${input.invoiceNo}`, taskQueue, args: [input] });
}

async function lettersOf(invoiceNo: string) {
  return database.db.selectFrom('letters').selectAll().where('invoice_no', '=', invoiceNo).orderBy('id').execute();
}

async function mailFor(invoiceNo: string) {
  const all = await database.db.selectFrom('mailbox').selectAll().orderBy('id').execute();
  return all.filter((m) => String(m.message_id).includes(`.${invoiceNo}.`));
}

/** How far an instant is from a wall-clock time in Shanghai, in minutes. */
function minutesFrom(instant: Date, date: string, time: string): number {
  return Math.abs(instant.getTime() - zonedInstant(date, time, TZ)) / 60_000;
}

describe('invoice collection on the time-skipping server', () => {
  it('sends the reminder, the due notice and the +1 day letter at 09:30 Shanghai on their dates, and nothing after payment', async () => {
    const worker = await testWorker(env.nativeConnection, database.db, smtp.url, 'collection-1');
    const { invoiceNo, dueDate, input } = await newInvoice(10);
    await worker.runUntil(async () => {
      const handle = await startCollection(input, 'collection-1');
      await env.sleep(12 * DAY);
      const letters = await lettersOf(invoiceNo);
      expect(letters.map((l) => [l.step, l.status])).toEqual([['pre_due', 'sent'], ['due', 'sent'], ['overdue_1', 'sent']]);
      expect(minutesFrom(letters[0].decided_at, addDays(dueDate, -3), '09:30')).toBeLessThan(1);
      expect(minutesFrom(letters[1].decided_at, dueDate, '09:30')).toBeLessThan(1);
      expect(minutesFrom(letters[2].decided_at, addDays(dueDate, 1), '09:30')).toBeLessThan(1);

      await setBalance(database.db, invoiceNo, 0);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 0 });
      const result = await handle.result();
      expect(result.invoiceNo).toBe(invoiceNo);
    });
    expect((await lettersOf(invoiceNo)).length).toBe(3);
    const mail = await mailFor(invoiceNo);
    expect(mail.map((m) => m.subject)).toEqual([
      `【温馨提示】发票 ${invoiceNo} 将于 ${formatZh(dueDate)} 到期`,
      `【到期通知】发票 ${invoiceNo} 今日（${formatZh(dueDate)}）到期`,
      `【付款提醒】发票 ${invoiceNo} 已逾期 1 天`,
    ]);
    expect(mail[2].envelope_to).toEqual([`payer@cust${counter}.test`, `finance@cust${counter}.test`]);
    expect(mail[0].body_text).toContain('¥10,000.00');
  });

  it('shows the reduced balance after a partial payment and stops once paid in full', async () => {
    const worker = await testWorker(env.nativeConnection, database.db, smtp.url, 'collection-2');
    const { invoiceNo, input } = await newInvoice(10, 1_000_000);
    await worker.runUntil(async () => {
      const handle = await startCollection(input, 'collection-2');
      await env.sleep(8 * DAY);
      expect((await lettersOf(invoiceNo)).map((l) => l.step)).toEqual(['pre_due']);
      await setBalance(database.db, invoiceNo, 400_000);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 400_000 });
      await env.sleep(2 * DAY + 3_600_000);
      const due = (await lettersOf(invoiceNo))[1];
      expect(due.step).toBe('due');
      expect(due.body_text).toContain('¥4,000.00');
      await setBalance(database.db, invoiceNo, 0);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 0 });
      await handle.result();
      await env.sleep(30 * DAY);
    });
    expect((await lettersOf(invoiceNo)).map((l) => l.step)).toEqual(['pre_due', 'due']);
    expect((await mailFor(invoiceNo)).length).toBe(2);
  });

  it('starts an invoice entered 20 days overdue at the step that applies and sends one letter, not every missed one', async () => {
    const worker = await testWorker(env.nativeConnection, database.db, smtp.url, 'collection-3');
    const { invoiceNo, input } = await newInvoice(-20);
    const started = await env.currentTimeMs();
    await worker.runUntil(async () => {
      await startCollection(input, 'collection-3');
      await env.sleep(60_000);
    });
    const letters = await lettersOf(invoiceNo);
    expect(letters.map((l) => l.step)).toEqual(['overdue_1']);
    expect(letters[0].decided_at.getTime() - started).toBeLessThan(60_000);
    expect((await mailFor(invoiceNo))[0].subject).toContain('已逾期 20 天');
    const timeline = await database.db.selectFrom('timeline').selectAll().where('invoice_no', '=', invoiceNo).execute();
    expect(timeline.map((t) => t.action)).toEqual(['letter_sent']);
    expect(timeline[0].details).toMatchObject({ skippedSteps: ['pre_due', 'due'] });
  });

  it('sends each letter once across a worker restart and an activity retried after the mail went out', async () => {
    const { invoiceNo, input } = await newInvoice(10);
    const real = createActivities({ db: database.db, sendTime: '09:30', mail: { transport: createTransport(smtp.url), from: MAIL_FROM, companyName: 'Huikuan Test Co.' } });
    // No sticky cache: the test server holds virtual time while a task waits on a stopped worker's sticky queue.
    const workerWith = (activities: typeof real) => Worker.create({
      connection: env.nativeConnection, taskQueue: 'collection-4', workflowBundle: { codePath: inject('workflowBundlePath') },
      activities, maxCachedWorkflows: 0,
    });
    const first = await workerWith(real);
    let workflowId = '';
    await first.runUntil(async () => {
      workflowId = (await startCollection(input, 'collection-4')).workflowId;
      await env.sleep(8 * DAY);
    });
    expect((await lettersOf(invoiceNo)).map((l) => l.step)).toEqual(['pre_due']);

    // The restarted worker loses the acknowledgement of the due-date send once, so Temporal retries it.
    let lostAcks = 0;
    const second = await workerWith({
      ...real,
      sendLetter: async (request) => {
        const result = await real.sendLetter(request);
        if (request.step === 'due' && lostAcks === 0) {
          lostAcks += 1;
          throw new Error('worker crashed before reporting the send');
        }
        return result;
      },
    });
    await second.runUntil(async () => {
      await env.sleep(4 * DAY);
      await setBalance(database.db, invoiceNo, 0);
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentAppliedSignal, { balanceMinor: 0 });
      await handle.result();
    });
    expect(lostAcks).toBe(1);
    const letters = await lettersOf(invoiceNo);
    expect(letters.map((l) => [l.step, l.status, l.attempts])).toEqual([['pre_due', 'sent', 1], ['due', 'sent', 1], ['overdue_1', 'sent', 1]]);
    const mail = await mailFor(invoiceNo);
    expect(mail.map((m) => m.message_id)).toEqual(letters.map((l) => l.message_id));
  });
});

function formatZh(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}

