import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import type { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_CALENDAR_ID } from '../../domain/calendar';
import { addDays, localDateOf, zonedInstant } from '../../domain/dates';
import { DEFAULT_POLICY } from '../../domain/policy';
import { startSmtpCatcher, type SmtpCatcher } from '../../stack/smtp-catcher';
import { type CollectionInput, invoiceCollectionWorkflow } from '../../workflows/collection';
import { createTestDatabase, type TestDatabase } from './database';
import { insertInvoice } from './fixtures';

export const TZ = 'Asia/Shanghai';
export const DAY = 86_400_000;

/** A week without weekends or holidays, so a test's step dates do not depend on the day it runs. */
export const EVERY_DAY_CALENDAR: BusinessCalendar = {
  id: DEFAULT_CALENDAR_ID,
  name: 'every day',
  weekendDays: [],
  holidays: [],
  makeUpWorkdays: [],
};

/**
 * A time-skipping Temporal environment, its own database and the SMTP catcher for one test file;
 * collections a test leaves running are terminated, since without a worker they would hold the virtual clock.
 */
export function collectionSuite(options: { calendar?: BusinessCalendar } = {}) {
  const suite = {} as { env: TestWorkflowEnvironment; database: TestDatabase; smtp: SmtpCatcher };
  const started: string[] = [];
  let counter = 0;

  beforeAll(async () => {
    suite.env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: inject('testServerPath') } },
    });
    suite.database = await createTestDatabase();
    suite.smtp = await startSmtpCatcher(suite.database.db, 0);
    if (options.calendar) {
      await suite.database.db
        .insertInto('calendars')
        .values({ id: options.calendar.id, definition: JSON.stringify(options.calendar), updated_by: 'test' })
        .execute();
    }
  });

  afterEach(async () => {
    for (const id of started.splice(0))
      await suite.env.client.workflow
        .getHandle(id)
        .terminate('test finished')
        .catch(() => undefined);
  });

  afterAll(async () => {
    await suite.smtp?.stop();
    await suite.database?.drop();
    await suite.env?.teardown();
  });

  const db = () => suite.database.db;
  return {
    get env() {
      return suite.env;
    },
    get db() {
      return db();
    },
    get smtpUrl() {
      return suite.smtp.url;
    },
    get customerCode() {
      return `CUST${counter}`;
    },
    today: async () => localDateOf(await suite.env.currentTimeMs(), TZ),
    /** Skips the test clock to the next local noon, so a test's day arithmetic never straddles midnight. */
    async skipToNoon() {
      const now = await suite.env.currentTimeMs();
      const noonToday = zonedInstant(localDateOf(now, TZ), '12:00', TZ);
      const noon = noonToday > now ? noonToday : zonedInstant(addDays(localDateOf(now, TZ), 1), '12:00', TZ);
      await suite.env.sleep(noon - now);
    },
    async newInvoice(dueDate: string, amountMinor = 1_000_000) {
      counter += 1;
      const invoiceNo = `INV-${counter}-${Date.now()}`;
      await insertInvoice(db(), {
        customerCode: `CUST${counter}`,
        contractNo: `C-${invoiceNo}`,
        invoiceNo,
        amountMinor,
        issueDate: addDays(dueDate, -30),
        dueDate,
      });
      const input: CollectionInput = {
        invoiceNo,
        contractNo: `C-${invoiceNo}`,
        dueDate,
        milestoneKind: 'progress',
        timeZone: TZ,
        sendTime: '09:30',
        balanceMinor: amountMinor,
        policy: DEFAULT_POLICY,
      };
      return { invoiceNo, dueDate, input };
    },
    async start(input: CollectionInput, taskQueue: string) {
      const handle = await suite.env.client.workflow.start(invoiceCollectionWorkflow, {
        workflowId: `invoice/${input.invoiceNo}`,
        taskQueue,
        args: [input],
      });
      started.push(handle.workflowId);
      return handle;
    },
    /** With RECORD_HISTORIES=1, keeps the workflow's history for the replay test (tests/histories). */
    async recordHistory(workflowId: string, name: string) {
      if (!process.env.RECORD_HISTORIES) return;
      const history = await suite.env.client.workflow.getHandle(workflowId).fetchHistory();
      // A suffix keeps the histories of workflows started before a patch beside the new ones.
      fs.writeFileSync(
        path.resolve(__dirname, '..', 'histories', `${name}${process.env.RECORD_HISTORIES_SUFFIX ?? ''}.json`),
        historyToJSON(history),
      );
    },
    letters: (invoiceNo: string) =>
      db().selectFrom('letters').selectAll().where('invoice_no', '=', invoiceNo).orderBy('id').execute(),
    tasks: (invoiceNo: string) =>
      db().selectFrom('tasks').selectAll().where('invoice_no', '=', invoiceNo).orderBy('id').execute(),
    async mail(invoiceNo: string) {
      const all = await db().selectFrom('mailbox').selectAll().orderBy('id').execute();
      return all.filter((m) => String(m.message_id).includes(`.${invoiceNo}.`));
    },
  };
}
