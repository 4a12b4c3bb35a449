import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { appendTimeline } from '../db/timeline';
import { SYSTEM_ACTOR } from '../domain/roles';
import type { LetterStatus } from '../domain/statuses';
import { errorFields, logger } from '../stack/logger';
import type { StepRequest } from './types';
import { CONTACT_MISSING_TASK, type MailSettings, letterKey, sendStepLetter } from './letters';

/** How many waiting letters one run looks at; the next run (or sweep) takes the rest. */
const RELEASE_LIMIT = 500;

const log = logger('blocked-letters');

export interface ReleaseTotals {
  sent: number;
  cancelled: number;
  superseded: number;
  stillBlocked: number;
  /** Letters that failed this run (SMTP refused one, another attempt holds it): left for the next sweep. */
  failed: number;
}

interface WaitingLetter {
  id: number;
  invoice_no: string;
  contract_no: string;
  step: string;
  occurrence: number;
  status: LetterStatus;
  step_request: StepRequest;
  invoice_status: string;
  balance_minor: number;
}

/**
 * Sends the letters that waited for a contact (activities/letters.ts blockLetter) once it exists, exactly once,
 * through the same outbox discipline (the row keeps its Message-ID). Per invoice only the newest waiting letter
 * goes out; older ones, and those a later letter of the invoice already followed, are 'superseded' (no burst of
 * missed letters, as after a pause). A letter whose invoice was paid or written off meanwhile never goes out.
 * Run for one customer after a contact command, and for all customers by the `blocked-letters` schedule,
 * which catches whatever a crash between the contact's commit and that run left behind. One letter's failure
 * (SMTP refused it) is counted, logged and left to the next sweep; it never stops the others, nor the run.
 */
export async function releaseBlockedLetters(
  db: Db,
  mail: MailSettings,
  input: { customerCode?: string },
): Promise<ReleaseTotals> {
  const totals: ReleaseTotals = { sent: 0, cancelled: 0, superseded: 0, stillBlocked: 0, failed: 0 };
  /** Runs one letter's move; 'failed' (counted and logged, left for the next sweep) when it threw. */
  const tried = async (letter: WaitingLetter, move: () => Promise<boolean>): Promise<boolean | 'failed'> => {
    try {
      return await move();
    } catch (error) {
      totals.failed += 1;
      log.warn(
        { ...errorFields(error), invoice: letter.invoice_no, step: letter.step, occurrence: letter.occurrence },
        'a waiting letter did not move; the next sweep tries again',
      );
      return 'failed';
    }
  };
  const waiting = await waitingLetters(db, input.customerCode);
  const byInvoice = new Map<string, WaitingLetter[]>();
  for (const letter of waiting) byInvoice.set(letter.invoice_no, [...(byInvoice.get(letter.invoice_no) ?? []), letter]);
  for (const letters of byInvoice.values()) {
    const [newest, ...older] = letters; // newest first
    const tolerance = newest.step_request.paidToleranceMinor;
    if (newest.invoice_status !== 'open' || newest.balance_minor <= tolerance) {
      const status = newest.invoice_status === 'written_off' ? 'cancelled_closed' : 'cancelled_paid';
      for (const letter of letters)
        if ((await tried(letter, () => endLetter(db, letter, status))) === true) totals.cancelled += 1;
      continue;
    }
    const overtaken = await laterLetterExists(db, newest);
    for (const letter of overtaken ? letters : older) {
      if (letter.status === 'blocked') {
        if ((await tried(letter, () => endLetter(db, letter, 'superseded'))) === true) totals.superseded += 1;
      } else if ((await tried(letter, () => sendReleased(db, mail, letter))) === true) totals.sent += 1;
    }
    if (overtaken) continue;
    const outcome = await tried(newest, () => sendReleased(db, mail, newest));
    if (outcome === true) totals.sent += 1;
    else if (outcome === false) totals.stillBlocked += 1;
  }
  await closeFinishedTasks(db, input.customerCode);
  if (totals.failed > 0)
    log.warn({ ...totals, customer: input.customerCode }, 'waiting letters left for the next sweep');
  return totals;
}

/**
 * Letters that waited for a contact and may move now: released but not yet sent, on an invoice no longer open,
 * or whose customer now has a contact of a missing role (or a payment owner, when the step may fall back).
 */
async function waitingLetters(db: Db, customerCode: string | undefined): Promise<WaitingLetter[]> {
  let query = db
    .selectFrom('letters')
    .innerJoin('invoices', 'invoices.no', 'letters.invoice_no')
    .select([
      'letters.id',
      'letters.invoice_no',
      'letters.contract_no',
      'letters.step',
      'letters.occurrence',
      'letters.status',
      'letters.step_request',
      'invoices.status as invoice_status',
      'invoices.balance_minor',
    ])
    .where('letters.blocked_roles', 'is not', null)
    .where('letters.status', 'in', ['blocked', 'pending', 'sending'])
    .where(
      sql<boolean>`(letters.status <> 'blocked' or invoices.status <> 'open'
        or invoices.balance_minor <= coalesce((letters.step_request->>'paidToleranceMinor')::bigint, 0)
        or exists (select 1 from customer_contacts c where c.customer_code = invoices.customer_code
          and (letters.blocked_roles ? c.role
            or (c.role = 'payment_owner' and coalesce((letters.step_request->'step'->>'blockWithoutRecipient')::boolean, false) = false))))`,
    );
  if (customerCode !== undefined) query = query.where('invoices.customer_code', '=', customerCode);
  const rows = await query.orderBy('letters.invoice_no').orderBy('letters.id', 'desc').limit(RELEASE_LIMIT).execute();
  return rows as WaitingLetter[];
}

/** Whether a letter of the invoice created after this one went out or is on its way. */
async function laterLetterExists(db: Db, letter: WaitingLetter): Promise<boolean> {
  const later = await db
    .selectFrom('letters')
    .select('id')
    .where('invoice_no', '=', letter.invoice_no)
    .where('id', '>', letter.id)
    .where('status', 'in', ['sent', 'pending', 'sending'])
    .limit(1)
    .executeTakeFirst();
  return later !== undefined;
}

/** Renders the waiting letter to the contacts there are now and sends it once; false while nobody can receive it. */
async function sendReleased(db: Db, mail: MailSettings, letter: WaitingLetter): Promise<boolean> {
  const request = { ...letter.step_request, decidedAt: Date.now() };
  const { outcome } = await sendStepLetter(db, mail, request, { release: true });
  return outcome === 'sent' || outcome === 'already_sent';
}

const ENDINGS: Record<'cancelled_paid' | 'cancelled_closed' | 'superseded', { action: string; note: string }> = {
  cancelled_paid: { action: 'letter_cancelled', note: 'the invoice was paid before the contact was added' },
  cancelled_closed: { action: 'letter_cancelled', note: 'the collection ended before the contact was added' },
  superseded: { action: 'letter_superseded', note: 'a later letter of the invoice replaces it' },
};

/**
 * Ends a waiting letter that must not go out, on the timeline, and closes its task; false when it already moved.
 * A letter still blocked, or released ('pending') but not yet sent, is ended; one another attempt has claimed
 * ('sending') never is.
 */
async function endLetter(
  db: Db,
  letter: WaitingLetter,
  status: 'cancelled_paid' | 'cancelled_closed' | 'superseded',
): Promise<boolean> {
  const key = letterKey({ invoiceNo: letter.invoice_no, step: letter.step, occurrence: letter.occurrence });
  const { action, note } = ENDINGS[status];
  return db.transaction().execute(async (trx) => {
    const ended = await trx
      .updateTable('letters')
      .set({ status })
      .where('id', '=', letter.id)
      .where('blocked_roles', 'is not', null)
      .where('status', 'in', ['blocked', 'pending'])
      .returning('id')
      .executeTakeFirst();
    if (!ended) return false;
    const at = new Date();
    await appendTimeline(trx, {
      eventKey: `letter-blocked/${key}/${status}`,
      contractNo: letter.contract_no,
      invoiceNo: letter.invoice_no,
      at,
      actor: SYSTEM_ACTOR,
      action,
      reason: note,
      details: { step: letter.step, occurrence: letter.occurrence, status },
    });
    await trx
      .updateTable('tasks')
      .set({ status: 'skipped', closed_by: SYSTEM_ACTOR.name, closed_at: at, note })
      .where('task_key', '=', `letter-blocked/${key}`)
      .where('status', '=', 'open')
      .execute();
    return true;
  });
}

/** Closes the open "add the contact" tasks whose letter went out (a crash after the send leaves one open). */
async function closeFinishedTasks(db: Db, customerCode: string | undefined): Promise<void> {
  let sent = db
    .selectFrom('letters')
    .innerJoin('invoices', 'invoices.no', 'letters.invoice_no')
    .select(
      sql<string>`'letter-blocked/' || letters.invoice_no || '/' || letters.step || '/' || letters.occurrence`.as(
        'key',
      ),
    )
    .where('letters.blocked_roles', 'is not', null)
    .where('letters.status', '=', 'sent');
  if (customerCode !== undefined) sent = sent.where('invoices.customer_code', '=', customerCode);
  await db
    .updateTable('tasks')
    .set({
      status: 'done',
      closed_by: SYSTEM_ACTOR.name,
      closed_at: new Date(),
      note: 'the letter went out to the contact added',
    })
    .where('kind', '=', CONTACT_MISSING_TASK)
    .where('status', '=', 'open')
    .where('task_key', 'in', sent)
    .execute();
}
