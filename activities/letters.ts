import type { Transporter } from 'nodemailer';
import type { Db } from '../db/connect';
import type { LetterRow } from '../db/schema';
import { appendTimeline } from '../db/timeline';
import { daysOverdue } from '../domain/collection';
import { formatDate, localDateOf } from '../domain/dates';
import { DEFAULT_LOCALE, LOCALES, type Locale } from '../domain/locales';
import { formatMoney } from '../domain/money';
import { SYSTEM_ACTOR } from '../domain/roles';
import { renderLetter } from './render';
import type { SendLetterRequest, SendLetterResult } from './types';

export interface MailSettings {
  transport: Transporter;
  /** "Name <address>" of the mailbox letters are sent from. */
  from: string;
  companyName: string;
}

/** Customer contacts each letter goes to, and who is copied. */
const RECIPIENT_ROLES: Record<string, { to: string[]; cc: string[] }> = {
  pre_due: { to: ['payment_owner'], cc: [] },
  due: { to: ['payment_owner'], cc: ['finance'] },
  overdue_1: { to: ['payment_owner'], cc: ['finance'] },
};

function messageId(request: SendLetterRequest, from: string): string {
  const domain = /@([^>\s]+)/.exec(from)?.[1] ?? 'huikuan.local';
  const safeInvoice = request.invoiceNo.replace(/[^A-Za-z0-9._-]/g, '_');
  return `<letter.${safeInvoice}.${request.step}.${request.occurrence}@${domain}>`;
}

function senderFrom(from: string, senderName: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return `"${senderName.replace(/"/g, '')}" <${address}>`;
}

/** Renders the letter and stores it in the outbox once; returns the stored row, or why there is none. */
async function prepareLetter(db: Db, mail: MailSettings, request: SendLetterRequest): Promise<LetterRow | SendLetterResult> {
  const stored = await db.selectFrom('letters').selectAll()
    .where('invoice_no', '=', request.invoiceNo).where('step', '=', request.step).where('occurrence', '=', request.occurrence)
    .executeTakeFirst();
  if (stored) return stored;

  const invoice = await db.selectFrom('invoices')
    .innerJoin('contracts', 'contracts.no', 'invoices.contract_no')
    .innerJoin('customers', 'customers.code', 'invoices.customer_code')
    .select([
      'invoices.no', 'invoices.contract_no', 'invoices.amount_minor', 'invoices.balance_minor', 'invoices.currency',
      'invoices.due_date', 'invoices.customer_code', 'contracts.title', 'contracts.terms', 'contracts.owners', 'contracts.created_by',
      'customers.name as customer_name', 'customers.locale', 'customers.time_zone',
    ])
    .where('invoices.no', '=', request.invoiceNo).executeTakeFirstOrThrow();
  if (invoice.balance_minor <= 0) return { status: 'invoice_paid', balanceMinor: invoice.balance_minor };

  const contacts = await db.selectFrom('customer_contacts').selectAll().where('customer_code', '=', invoice.customer_code).execute();
  const roles = RECIPIENT_ROLES[request.step];
  const to = contacts.filter((c) => roles.to.includes(c.role));
  const cc = contacts.filter((c) => roles.cc.includes(c.role) && !to.some((t) => t.email === c.email));
  if (to.length === 0) return { status: 'no_recipient', balanceMinor: invoice.balance_minor };

  const locale: Locale = (LOCALES as readonly string[]).includes(invoice.locale) ? (invoice.locale as Locale) : DEFAULT_LOCALE;
  const owners = (invoice.owners ?? {}) as { account?: string };
  const senderName = owners.account ?? invoice.created_by;
  const today = localDateOf(request.decidedAt, invoice.time_zone);
  const overdue = daysOverdue(invoice.due_date, today);
  const terms = invoice.terms as { paymentMethod?: string };
  const letter = renderLetter(locale, request.step, {
    contactName: to[0].name,
    customerName: invoice.customer_name,
    contractNo: invoice.contract_no,
    contractTitle: invoice.title,
    invoiceNo: invoice.no,
    amount: formatMoney(invoice.amount_minor, invoice.currency, locale),
    balance: formatMoney(invoice.balance_minor, invoice.currency, locale),
    dueDate: formatDate(invoice.due_date, locale),
    daysUntilDue: Math.max(-overdue, 0),
    daysOverdue: Math.max(overdue, 0),
    paymentMethod: terms.paymentMethod ?? '',
    senderName,
    companyName: mail.companyName,
  });
  await db.insertInto('letters').values({
    invoice_no: invoice.no, contract_no: invoice.contract_no, step: request.step, occurrence: request.occurrence, locale,
    recipients: JSON.stringify(to.map((c) => c.email)), cc: JSON.stringify(cc.map((c) => c.email)),
    subject: letter.subject, body_text: letter.text, body_html: letter.html,
    message_id: messageId(request, mail.from), sender_name: senderName, status: 'pending',
    scheduled_for: new Date(request.scheduledFor), decided_at: new Date(request.decidedAt),
  }).onConflict((oc) => oc.columns(['invoice_no', 'step', 'occurrence']).doNothing()).execute();
  return prepareLetter(db, mail, request);
}

function isRow(value: LetterRow | SendLetterResult): value is LetterRow {
  return 'message_id' in value;
}

/**
 * Sends one rung of the ladder exactly once. The letter is stored before sending; the send happens
 * while its outbox row is locked and the row is marked sent in the same transaction, so a retry or a
 * second worker finds it sent and sends nothing.
 */
export async function sendLetter(db: Db, mail: MailSettings, request: SendLetterRequest): Promise<SendLetterResult> {
  const prepared = await prepareLetter(db, mail, request);
  if (!isRow(prepared)) return prepared;
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('letters').selectAll().where('id', '=', prepared.id).forUpdate().executeTakeFirstOrThrow();
      const { balance_minor: balanceMinor } = await trx.selectFrom('invoices').select('balance_minor').where('no', '=', row.invoice_no).executeTakeFirstOrThrow();
      if (row.status === 'sent') return { status: 'already_sent' as const, balanceMinor };
      if (balanceMinor <= 0) {
        await trx.updateTable('letters').set({ status: 'cancelled_paid' }).where('id', '=', row.id).execute();
        return { status: 'invoice_paid' as const, balanceMinor };
      }
      await mail.transport.sendMail({
        from: senderFrom(mail.from, row.sender_name), to: row.recipients, cc: row.cc, subject: row.subject, text: row.body_text, html: row.body_html,
        messageId: row.message_id, headers: { 'X-Huikuan-Letter': `${row.invoice_no}/${row.step}/${row.occurrence}` },
      });
      const sentAt = new Date();
      await trx.updateTable('letters')
        .set({ status: 'sent', sent_at: sentAt, attempts: row.attempts + 1, last_error: null })
        .where('id', '=', row.id).execute();
      await appendTimeline(trx, {
        eventKey: `letter/${row.invoice_no}/${row.step}/${row.occurrence}`, contractNo: row.contract_no, invoiceNo: row.invoice_no,
        at: sentAt, actor: SYSTEM_ACTOR, action: 'letter_sent',
        details: { step: row.step, recipients: row.recipients, cc: row.cc, subject: row.subject, skippedSteps: request.skippedSteps },
      });
      return { status: 'sent' as const, balanceMinor };
    });
  } catch (error) {
    await db.updateTable('letters')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: String((error as Error).message ?? error) }))
      .where('id', '=', prepared.id).execute();
    throw error;
  }
}
