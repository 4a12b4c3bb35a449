/**
 * A whole contract on the time-skipping test server: every transition as an Update, the invoice's
 * child collection workflow, letters at their virtual dates, payment and close. Real activities,
 * PostgreSQL and SMTP. With RECORD_HISTORIES=1 it also refreshes the histories the replay test uses.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { CHINA_MAINLAND_CALENDAR, addWorkingDays, letterInstant } from '../../domain/calendar';
import { planWait, saveStagePolicyVersion, upsertStagePolicySelection } from '../../db/stage-policies';
import { addDays, daysBetween, localDateOf } from '../../domain/dates';
import type { Actor } from '../../domain/roles';
import { startSmtpCatcher, type SmtpCatcher } from '../../stack/smtp-catcher';
import { collectionStatusQuery, paymentAppliedSignal, settleInterestUpdate } from '../../workflows/collection-messages';
import { CONTRACT_REVISION, type ContractInput, contractWorkflow } from '../../workflows/contract';
import { TRANSITION_UPDATES, contractSummaryQuery, issueInvoiceUpdate } from '../../workflows/contract-messages';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { setBalance } from '../support/fixtures';
import { FULL_TERMS } from '../support/scenario';
import { localActivityTypes } from '../support/history';
import { testWorker } from '../support/workers';
import { ordinaryDueDate } from '../support/due-dates';

const TZ = 'Asia/Shanghai';
const DAY = 86_400_000;
/**
 * After a time skip, rows written by an activity may still be on their way: the sleep can return first, and
 * the rest runs in real time on a machine the whole suite shares (a workflow task timed out and retried is 10 s).
 */
const POLL = { timeout: 30_000, interval: 100 };
const HISTORY_DIR = path.resolve(__dirname, '..', 'histories');

let env: TestWorkflowEnvironment;
let database: TestDatabase;
let smtp: SmtpCatcher;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('testServerPath') } },
  });
  const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: { ContractStage: keyword, CustomerCode: keyword },
  });
  database = await createTestDatabase();
  smtp = await startSmtpCatcher(database.db, 0);
});

afterAll(async () => {
  await smtp?.stop();
  await database?.drop();
  await env?.teardown();
});

const sales: Actor = { name: 'sally', role: 'sales' };
const finance: Actor = { name: 'fiona', role: 'finance' };
const delivery: Actor = { name: 'dave', role: 'delivery' };

async function seedCustomerAndContract(no: string, amountMinor: number): Promise<void> {
  await database.db
    .insertInto('customers')
    .values({
      code: 'ACME',
      name: 'Acme Ltd',
      grade: 'A',
      credit_limit_minor: 100_000_000,
      currency: 'CNY',
      credit_hold_reason: null,
      locale: 'en',
      time_zone: TZ,
    })
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
  await database.db
    .insertInto('customer_contacts')
    .values({ customer_code: 'ACME', role: 'payment_owner', name: 'Pat', email: 'pat@acme.test', phone: null })
    .execute();
  await database.db
    .insertInto('contracts')
    .values({
      no,
      customer_code: 'ACME',
      title: 'Warehouse system',
      amount_minor: amountMinor,
      currency: 'CNY',
      payment_terms_type: 'credit_terms',
      stage: 'Opportunity',
      terms: JSON.stringify(FULL_TERMS),
      details: JSON.stringify({}),
      owners: null,
      created_by: 'sally',
    })
    .execute();
}

/**
 * Runs a test's steps and terminates its workflows' runs after them, passed or failed: a run left
 * with timers and no worker stops the server skipping time, which would hang every test after it.
 */
async function thenTerminate<T>(workflowIds: string[], steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } finally {
    for (const id of workflowIds)
      await env.client.workflow
        .getHandle(id)
        .terminate('test done')
        .catch(() => undefined);
  }
}

/** Each transition as the API sends it: one Update named for its action. */
function transitionsOf(handle: WorkflowHandle) {
  return <A extends keyof typeof TRANSITION_UPDATES>(action: A, args: object) =>
    handle.executeUpdate(TRANSITION_UPDATES[action] as never, { args: [args] as never });
}

/** Approved for grade-A ACME, its solution reviewed at `estimatedCostMinor`, signed on `signedOn`: next, the split. */
async function approveReviewSign(
  update: ReturnType<typeof transitionsOf>,
  signedOn: string,
  estimatedCostMinor = 500_000,
): Promise<void> {
  await update('approve', {
    actor: finance,
    customer: { grade: 'A', creditHold: false, creditLimitMinor: 100_000_000 },
    risk: { customerRisk: 1, projectRisk: 1, requirementRisk: 1 },
  });
  await update('review', { actor: sales, estimatedCostMinor });
  await update('sign', { actor: sales, signedOn });
}

/** Starts a contract's workflow for ACME at the code's current revision, as the API's registration does. */
function startContract(no: string, amountMinor: number, taskQueue: string, extra: Partial<ContractInput> = {}) {
  return env.client.workflow.start(contractWorkflow, {
    workflowId: `contract/${no}`,
    taskQueue,
    args: [
      {
        no,
        customerCode: 'ACME',
        timeZone: TZ,
        amountMinor,
        currency: 'CNY',
        paymentTermsType: 'credit_terms',
        terms: FULL_TERMS,
        revision: CONTRACT_REVISION,
        ...extra,
      },
    ],
  });
}

describe('contract workflow on the time-skipping server', () => {
  it('runs from opportunity to closed; letters fire at their virtual dates and none after payment', async () => {
    const no = 'HT-2026-001';
    const amountMinor = 5_000_000;
    await seedCustomerAndContract(no, amountMinor);
    const worker = await testWorker(env.nativeConnection, database.db, smtp.url, 'contracts', '09:30');
    const today = localDateOf(await env.currentTimeMs(), TZ);
    const invoiceNo = 'INV-2026-001';
    // Due on a Wednesday at least 10 days out, so the three letters fall on three different working days.
    const dueDate = ordinaryDueDate(addDays(today, 10), 3);
    const termDays = daysBetween(today, dueDate);
    const sendAt = (date: string) => letterInstant(CHINA_MAINLAND_CALENDAR, date, '09:30', TZ);

    const summary = await worker.runUntil(async () => {
      const handle = await startContract(no, amountMinor, 'contracts');
      return await thenTerminate([`contract/${no}`, `invoice/${invoiceNo}`], async () => {
        const update = transitionsOf(handle);
        await approveReviewSign(update, today, 3_000_000);
        await update('split', {
          actor: finance,
          milestones: [{ kind: 'progress', amountMinor, trigger: { type: 'on_signing' }, termDays }],
        });
        await update('budget', { actor: finance, budgetMinor: 3_200_000 });
        await update('handover', {
          actor: sales,
          owners: {
            account: 'Sally Sales',
            solution: 'Sam',
            fulfilment: 'Dave',
            finance: 'Fiona',
            executiveSponsor: 'Eve',
          },
        });
        await update('deliver', { actor: delivery, deliveredOn: today });
        await update('accept', { actor: delivery, acceptedOn: today, acceptor: 'Li Wei', documentRef: 'UAT-1' });
        expect((await handle.query(contractSummaryQuery)).stage).toBe('Collection');
        await expect(
          update('accept', { actor: delivery, acceptedOn: today, acceptor: 'Li Wei', documentRef: 'UAT-1' }),
        ).rejects.toMatchObject({ cause: { message: expect.stringContaining('stage Collection') } });

        const issued = await handle.executeUpdate(issueInvoiceUpdate, {
          args: [{ actor: finance, milestoneSeq: 1, invoiceNo, issueDate: today }],
        });
        expect(issued).toEqual({ invoiceNo, dueDate });

        await env.sleep(sendAt(addDays(dueDate, 1)) - (await env.currentTimeMs()) + 3_600_000);
        const collection = env.client.workflow.getHandle(`invoice/${invoiceNo}`);
        // Started with the customer's calendar by the invoice's activity: its timer wakes read none of their own.
        const wakes = localActivityTypes(await collection.fetchHistory());
        expect(wakes.length).toBeGreaterThan(0);
        expect(wakes.filter((type) => type !== 'performStep')).toEqual([]);
        await setBalance(database.db, invoiceNo, 0);
        await collection.signal(paymentAppliedSignal, { balanceMinor: 0 });
        // Paid a day late: 50,000.00 at 18.25% a year is 25.00 a day of late interest, kept open until finance settles it.
        let interestOpen: number | undefined;
        for (let i = 0; i < 30 && !interestOpen; i++) {
          interestOpen = (await collection.query(collectionStatusQuery)).interestOpenMinor;
          if (!interestOpen) await env.sleep(1_000);
        }
        expect(interestOpen).toBe(2_500);
        await collection.executeUpdate(settleInterestUpdate, {
          args: [{ actor: finance, outcome: 'waived', reason: 'first late payment, goodwill' }],
        });
        const result = await handle.result();
        await env.sleep(30 * DAY);
        if (process.env.RECORD_HISTORIES) {
          fs.mkdirSync(HISTORY_DIR, { recursive: true });
          for (const id of [`contract/${no}`, `invoice/${invoiceNo}`]) {
            const history = await env.client.workflow.getHandle(id).fetchHistory();
            fs.writeFileSync(
              path.join(HISTORY_DIR, `${id.replace('/', '-')}${process.env.RECORD_HISTORIES_SUFFIX ?? ''}.json`),
              historyToJSON(history),
            );
          }
        }
        return result;
      });
    });

    expect(summary.stage).toBe('Closed');
    const letters = await database.db
      .selectFrom('letters')
      .selectAll()
      .where('invoice_no', '=', invoiceNo)
      .orderBy('id')
      .execute();
    expect(letters.map((l) => l.step)).toEqual(['pre_due', 'due', 'overdue_1']);
    const expected = [addDays(dueDate, -3), dueDate, addDays(dueDate, 1)].map(sendAt);
    letters.forEach((letter, i) => expect(Math.abs(letter.decided_at.getTime() - expected[i])).toBeLessThan(60_000));
    const contract = await database.db
      .selectFrom('contracts')
      .selectAll()
      .where('no', '=', no)
      .executeTakeFirstOrThrow();
    expect(contract.stage).toBe('Closed');
    const timeline = await database.db
      .selectFrom('timeline')
      .select('action')
      .where('contract_no', '=', no)
      .orderBy('at')
      .orderBy('id')
      .execute();
    expect(timeline.map((t) => t.action)).toEqual([
      'approve',
      'review',
      'sign',
      'split',
      'invoice_ready',
      'budget',
      'handover',
      'deliver',
      'accept',
      'invoice_issued',
      'letter_sent',
      'letter_sent',
      'letter_sent',
      'interest_assessed',
      'interest_waived',
      'milestone_paid',
      'final_account',
      'close',
    ]);
  });

  it('makes date-triggered milestones invoiceable on their day: on a date, and N days after acceptance', async () => {
    const no = 'HT-2026-002';
    await seedCustomerAndContract(no, 1_000_000);
    const worker = await testWorker(env.nativeConnection, database.db, smtp.url, 'contracts-2', '09:30');
    const today = localDateOf(await env.currentTimeMs(), TZ);
    const statuses = async () =>
      (
        await database.db
          .selectFrom('milestones')
          .select(['seq', 'status', 'ready_on'])
          .where('contract_no', '=', no)
          .orderBy('seq')
          .execute()
      ).map((m) => `${m.seq}:${m.status}:${m.ready_on ?? '-'}`);
    await worker.runUntil(async () => {
      const handle = await startContract(no, 1_000_000, 'contracts-2');
      return await thenTerminate([`contract/${no}`], async () => {
        const update = transitionsOf(handle);
        await approveReviewSign(update, today);
        await update('split', {
          actor: finance,
          milestones: [
            {
              kind: 'progress',
              amountMinor: 600_000,
              trigger: { type: 'on_date', date: addDays(today, 3) },
              termDays: 30,
            },
            { kind: 'retention', amountMinor: 400_000, trigger: { type: 'after_acceptance', days: 5 }, termDays: 30 },
          ],
        });
        expect(await statuses()).toEqual(['1:pending:-', '2:pending:-']);
        await env.sleep(3 * DAY + 60_000);
        await expect.poll(statuses, POLL).toEqual([`1:ready:${addDays(today, 3)}`, '2:pending:-']);
        await update('budget', { actor: finance, budgetMinor: 500_000 });
        await update('handover', {
          actor: sales,
          owners: { account: 'Sally', solution: 'Sam', fulfilment: 'Dave', finance: 'Fiona', executiveSponsor: 'Eve' },
        });
        const day3 = addDays(today, 3);
        await update('deliver', { actor: delivery, deliveredOn: day3 });
        await update('accept', { actor: delivery, acceptedOn: day3, acceptor: 'Li Wei', documentRef: 'UAT-2' });
        await env.sleep(4 * DAY);
        expect(await statuses()).toEqual([`1:ready:${day3}`, '2:pending:-']);
        await env.sleep(DAY + 60_000);
        await expect.poll(statuses, POLL).toEqual([`1:ready:${day3}`, `2:ready:${addDays(day3, 5)}`]);
      });
    });
  });

  it('escalates a contract stuck past its planned delivery level by level, stops when it moves on, and chases a ready invoice', async () => {
    const no = 'HT-2026-003';
    await seedCustomerAndContract(no, 1_000_000);
    const owner = (afterWorkingDays: number, to: 'owner' | 'manager' | 'sponsor' = 'owner') => ({
      to,
      afterWorkingDays,
    });
    await saveStagePolicyVersion(
      database.db,
      {
        id: 'fast',
        name: 'Fast deadlines',
        deadlines: [
          {
            wait: 'delivery',
            owner: 'fulfilment',
            from: 'planned_delivery',
            workingDays: 0,
            fallbackWorkingDays: 5,
            levels: [owner(0), owner(1, 'manager'), owner(2, 'sponsor')],
          },
          { wait: 'invoicing', owner: 'finance', from: 'wait_began', workingDays: 1, levels: [owner(0)] },
        ],
      },
      'admin',
    );
    await upsertStagePolicySelection(database.db, { scope: 'contract', key: no, policyId: 'fast' });
    const worker = await testWorker(env.nativeConnection, database.db, smtp.url, 'contracts-3', '09:30');
    const today = localDateOf(await env.currentTimeMs(), TZ);
    const at = (date: string) => letterInstant(CHINA_MAINLAND_CALENDAR, date, '09:30', TZ);
    const stageTasks = async () =>
      (
        await database.db
          .selectFrom('tasks')
          .select(['step', 'occurrence', 'owner_role', 'owner_name'])
          .where('contract_no', '=', no)
          .where('kind', '=', 'stage_deadline')
          .orderBy('id')
          .execute()
      ).map((t) => `${t.step}:${t.occurrence}:${t.owner_role}:${t.owner_name ?? '-'}`);
    const escalation = async () =>
      await database.db
        .selectFrom('contracts')
        .select(['stage', 'escalation_level'])
        .where('no', '=', no)
        .executeTakeFirstOrThrow();

    await worker.runUntil(async () => {
      const handle = await startContract(no, 1_000_000, 'contracts-3');
      return await thenTerminate([`contract/${no}`], async () => {
        const update = transitionsOf(handle);
        await approveReviewSign(update, today);
        await update('split', {
          actor: finance,
          milestones: [{ kind: 'progress', amountMinor: 1_000_000, trigger: { type: 'on_delivery' }, termDays: 30 }],
        });
        await update('budget', { actor: finance, budgetMinor: 500_000 });
        await update('handover', {
          actor: sales,
          owners: { account: 'Sally', solution: 'Sam', fulfilment: 'Dave', finance: 'Fiona', executiveSponsor: 'Eve' },
          plannedDeliveryDate: today,
        });
        // Planned for today: late from the next working day; the manager a working day later, the sponsor one more.
        const late = addWorkingDays(CHINA_MAINLAND_CALENDAR, addDays(today, 1), 0);
        const managerDay = addWorkingDays(CHINA_MAINLAND_CALENDAR, late, 1);
        await env.sleep(at(late) - (await env.currentTimeMs()) - 3_600_000);
        expect(await stageTasks()).toEqual([]);
        await env.sleep(2 * 3_600_000);
        await expect.poll(stageTasks, POLL).toEqual(['delivery:1:delivery:Dave']);
        await expect.poll(escalation, POLL).toEqual({ stage: 'Delivery', escalation_level: 1 });
        await env.sleep(at(managerDay) - (await env.currentTimeMs()) + 3_600_000);
        await expect.poll(stageTasks, POLL).toEqual(['delivery:1:delivery:Dave', 'delivery:2:executive:-']);
        await expect.poll(escalation, POLL).toEqual({ stage: 'Delivery', escalation_level: 2 });

        const deliveredOn = localDateOf(await env.currentTimeMs(), TZ);
        await update('deliver', { actor: delivery, deliveredOn });
        const invoicingDue = addWorkingDays(CHINA_MAINLAND_CALENDAR, deliveredOn, 1);
        await env.sleep(at(invoicingDue) - (await env.currentTimeMs()) + 3_600_000);
        // Delivered before the sponsor's turn: no third level; the ready milestone's invoice is chased instead.
        await expect
          .poll(stageTasks, POLL)
          .toEqual(['delivery:1:delivery:Dave', 'delivery:2:executive:-', 'invoicing:1:finance:Fiona']);
        await expect.poll(escalation, POLL).toEqual({ stage: 'Acceptance', escalation_level: 0 });
        const escalations = await database.db
          .selectFrom('timeline')
          .select(['details'])
          .where('contract_no', '=', no)
          .where('action', '=', 'stage_escalated')
          .orderBy('id')
          .execute();
        expect(escalations.map((e) => (e.details as { to: string }).to)).toEqual(['owner', 'manager', 'owner']);
        if (process.env.RECORD_HISTORIES) {
          const history = await handle.fetchHistory();
          fs.writeFileSync(
            path.join(HISTORY_DIR, `contract-${no}-stage-deadlines${process.env.RECORD_HISTORIES_SUFFIX ?? ''}.json`),
            historyToJSON(history),
          );
        }
      });
    });
  });

  it('adopts the approval plan made at registration: no planning in its first task, and the approval escalates on it', async () => {
    const no = 'HT-2026-005';
    await seedCustomerAndContract(no, 1_000_000);
    await saveStagePolicyVersion(
      database.db,
      {
        id: 'fast-approval',
        name: 'Fast approval',
        deadlines: [
          {
            wait: 'approval',
            owner: 'account',
            from: 'wait_began',
            workingDays: 1,
            levels: [{ to: 'owner', afterWorkingDays: 0 }],
          },
        ],
      },
      'admin',
    );
    await upsertStagePolicySelection(database.db, { scope: 'contract', key: no, policyId: 'fast-approval' });
    const today = localDateOf(await env.currentTimeMs(), TZ);
    const approvalPlan = await planWait(
      database.db,
      '09:30',
      { grade: 'A', time_zone: TZ, calendar_id: null },
      { contractNo: no, wait: 'approval', began: today, planned: {} },
    );
    const due = addWorkingDays(CHINA_MAINLAND_CALENDAR, today, 1);
    expect(approvalPlan.levels.map(({ date }) => date)).toEqual([due]);
    const worker = await testWorker(env.nativeConnection, database.db, smtp.url, 'contracts-5', '09:30');
    await worker.runUntil(async () => {
      const handle = await startContract(no, 1_000_000, 'contracts-5', { approvalPlan });
      return await thenTerminate([`contract/${no}`], async () => {
        const at = letterInstant(CHINA_MAINLAND_CALENDAR, due, '09:30', TZ);
        await env.sleep(at - (await env.currentTimeMs()) + 3_600_000);
        const approvalTasks = async () =>
          (
            await database.db
              .selectFrom('tasks')
              .select(['step', 'occurrence', 'owner_name'])
              .where('contract_no', '=', no)
              .where('kind', '=', 'stage_deadline')
              .execute()
          ).map((t) => `${t.step}:${t.occurrence}:${t.owner_name}`);
        await expect.poll(approvalTasks, POLL).toEqual(['approval:1:sally']);
        // The first task's commands: no patch marker, no search attributes set again, no local activity; the timer only.
        const { events } = await handle.fetchHistory();
        const types = events!.map((e) => e.eventType);
        const { EVENT_TYPE_WORKFLOW_TASK_COMPLETED: completed, EVENT_TYPE_TIMER_FIRED: fired } =
          temporal.api.enums.v1.EventType;
        const firstTask = types.slice(types.indexOf(completed) + 1, types.indexOf(fired));
        expect(firstTask).toEqual([temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED]);
        if (process.env.RECORD_HISTORIES) {
          fs.writeFileSync(
            path.join(HISTORY_DIR, `contract-${no}-approval-plan${process.env.RECORD_HISTORIES_SUFFIX ?? ''}.json`),
            historyToJSON(await handle.fetchHistory()),
          );
        }
      });
    });
  });

  it('answers a transition that arrives with the contract before its first workflow task ran', async () => {
    const no = 'HT-2026-004';
    await seedCustomerAndContract(no, 2_000_000);
    const handle = await startContract(no, 2_000_000, 'contracts-4');
    // No worker polls yet: the update waits on the server and comes in the same first task as the start.
    const approved = handle.executeUpdate(TRANSITION_UPDATES.approve, {
      args: [
        {
          actor: finance,
          customer: { grade: 'A', creditHold: false, creditLimitMinor: 100_000_000 },
          risk: { customerRisk: 1, projectRisk: 1, requirementRisk: 1 },
        },
      ],
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const worker = await testWorker(env.nativeConnection, database.db, smtp.url, 'contracts-4', '09:30');
    await worker.runUntil(async () => {
      await thenTerminate([`contract/${no}`], async () => {
        expect((await approved).stage).toBe('SolutionReview');
        const timeline = await database.db
          .selectFrom('timeline')
          .select(['action', 'to_stage'])
          .where('contract_no', '=', no)
          .orderBy('id')
          .execute();
        expect(timeline).toEqual([{ action: 'approve', to_stage: 'SolutionReview' }]);
      });
    });
  });
});
