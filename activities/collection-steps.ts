import type { Db } from '../db/connect';
import { appendTimeline } from '../db/timeline';
import { loadCalendar } from '../db/calendars';
import { sameWorkingDays } from '../domain/calendar';
import { createsTask, sendsLetter } from '../domain/policy';
import { SYSTEM_ACTOR, type Actor } from '../domain/roles';
import { type MailSettings, type Owners, ownerName, sendStepLetter } from './letters';
import { reevaluateCreditHold } from '../services/credit-holds';
import { DAY_MS, localDateOf } from '../domain/dates';
import type { StepRequest, StepResult } from './types';
import { openTask } from './tasks';
import { defaultStepTaskWording } from '../domain/task-wording';

/** An invoice's balance with its contract's owners: whom a step or a recorded fact concerns. */
export async function invoiceOwners(db: Db, invoiceNo: string) {
  return db
    .selectFrom('invoices')
    .innerJoin('contracts', 'contracts.no', 'invoices.contract_no')
    .select([
      'invoices.contract_no',
      'invoices.customer_code',
      'invoices.balance_minor',
      'contracts.owners',
      'contracts.created_by',
    ])
    .where('invoices.no', '=', invoiceNo)
    .executeTakeFirstOrThrow();
}

/** Creates the task of a step occurrence for the owner of its role; a retry creates nothing more. */
async function createStepTask(db: Db, request: StepRequest): Promise<boolean> {
  const invoice = await invoiceOwners(db, request.invoiceNo);
  const owner = ownerName((invoice.owners ?? {}) as Owners, request.step.owner, invoice.created_by);
  const wording = defaultStepTaskWording(request.step);
  return openTask(db, {
    key: `invoice/${request.invoiceNo}/${request.step.key}/${request.occurrence}`,
    invoiceNo: request.invoiceNo,
    contractNo: invoice.contract_no,
    kind: 'collection',
    step: request.step.key,
    occurrence: request.occurrence,
    ownerRole: request.step.owner,
    ownerName: owner,
    ...(wording ? { wording } : { title: request.step.task! }),
    dueAt: request.decidedAt + request.taskDueDays * DAY_MS,
  });
}

/** The step that puts the customer on credit hold re-evaluates the automatic hold rule (domain/credit-hold.ts) as of the step's day. */
async function putOnCreditHold(db: Db, request: StepRequest): Promise<void> {
  const invoice = await invoiceOwners(db, request.invoiceNo);
  const { time_zone: timeZone } = await db
    .selectFrom('customers')
    .select('time_zone')
    .where('code', '=', invoice.customer_code)
    .executeTakeFirstOrThrow();
  await db.transaction().execute((trx) =>
    reevaluateCreditHold(trx, invoice.customer_code, localDateOf(request.decidedAt, timeZone), SYSTEM_ACTOR, {
      at: new Date(request.decidedAt),
      invoiceNo: request.invoiceNo,
    }),
  );
}

/**
 * Carries out one occurrence of a ladder step: its letter, its task and its credit hold, each exactly once.
 * A step decided with a calendar the invoice no longer follows does nothing and returns the current one.
 */
export async function performStep(db: Db, mail: MailSettings, request: StepRequest): Promise<StepResult> {
  if (request.calendar) {
    const current = await loadCalendar(db, request.invoiceNo);
    if (!sameWorkingDays(current, request.calendar)) {
      const { balance_minor: balanceMinor } = await invoiceOwners(db, request.invoiceNo);
      return { calendarChanged: current, balanceMinor };
    }
  }
  const result: Partial<StepResult> = {};
  let balanceMinor: number | undefined;
  if (sendsLetter(request.step)) ({ outcome: result.letter, balanceMinor } = await sendStepLetter(db, mail, request));
  if (result.letter !== 'invoice_paid') {
    if (createsTask(request.step)) result.taskCreated = await createStepTask(db, request);
    if (request.step.creditHold) await putOnCreditHold(db, request);
  }
  // A letter-only step has just read the balance it wrote its letter with; any other reads it now.
  if (balanceMinor === undefined || createsTask(request.step) || request.step.creditHold)
    ({ balance_minor: balanceMinor } = await invoiceOwners(db, request.invoiceNo));
  return { ...result, balanceMinor };
}

export { loadCalendar } from '../db/calendars';

export interface ApprovalRequest {
  invoiceNo: string;
  step: string;
  decidedAt: number;
  taskDueDays: number;
}

/** Asks finance to approve a gated step (the legal notice) with a task of their own. */
export async function requestStepApproval(db: Db, request: ApprovalRequest): Promise<void> {
  const invoice = await invoiceOwners(db, request.invoiceNo);
  await openTask(db, {
    key: `approval/${request.invoiceNo}/${request.step}`,
    invoiceNo: request.invoiceNo,
    contractNo: invoice.contract_no,
    kind: 'approval',
    step: request.step,
    occurrence: 1,
    ownerRole: 'finance',
    ownerName: ownerName((invoice.owners ?? {}) as Owners, 'finance', 'finance'),
    wording: { key: 'stepApproval', invoiceNo: request.invoiceNo, step: request.step },
    dueAt: request.decidedAt + request.taskDueDays * DAY_MS,
  });
}

export interface ApprovalDecisionRecord {
  invoiceNo: string;
  step: string;
  approved: boolean;
  reason: string;
  actor: Actor;
  at: number;
}

export async function recordStepApproval(db: Db, decision: ApprovalDecisionRecord): Promise<void> {
  const invoice = await invoiceOwners(db, decision.invoiceNo);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('tasks')
      .set({ status: 'done', closed_by: decision.actor.name, closed_at: new Date(decision.at), note: decision.reason })
      .where('task_key', '=', `approval/${decision.invoiceNo}/${decision.step}`)
      .where('status', '=', 'open')
      .execute();
    await appendTimeline(trx, {
      eventKey: `approval/${decision.invoiceNo}/${decision.step}`,
      contractNo: invoice.contract_no,
      invoiceNo: decision.invoiceNo,
      at: new Date(decision.at),
      actor: decision.actor,
      action: decision.approved ? 'step_approved' : 'step_rejected',
      reason: decision.reason,
      details: { step: decision.step },
    });
  });
}
