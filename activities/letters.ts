import { sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { Transporter } from 'nodemailer';
import type { Db } from '../db/connect';
import type { LetterRow } from '../db/schema';
import { appendTimeline, changeWithTimeline } from '../db/timeline';
import { DAY_MS, addDays, daysBetween, formatDate, localDateOf } from '../domain/dates';
import { accruedInterest, parseAnnualRatePercent } from '../domain/interest';
import { DEFAULT_LOCALE, LOCALES, type Locale } from '../domain/locales';
import { formatMoney } from '../domain/money';
import type { ContactRole, InternalRole, PolicyStep } from '../domain/policy';
import { resolveRecipients } from '../domain/recipients';
import { SYSTEM_ACTOR } from '../domain/roles';
import { DEFAULT_CLAIM_MS, claimRow, markWithRetries, releaseClaim } from './outbox';
import { renderLetter } from './render';
import { linkForContact, linkSecret, portalUrl } from '../services/portal-links';
import { openTask } from './tasks';
import type { StepRequest } from './types';

export interface MailSettings {
  transport: Transporter;
  /** "Name <address>" of the mailbox letters are sent from. */
  from: string;
  companyName: string;
  /** How long a claimed row is reserved for the attempt sending it (default DEFAULT_CLAIM_MS). */
  claimMs?: number;
  /** PUBLIC_URL: the base of the customer's page link every letter carries (default http://localhost:3000). */
  publicUrl?: string;
  /** PORTAL_LINK_DAYS: how long a new customer's page link works (default 60). */
  portalLinkDays?: number;
}

export const DEFAULT_PUBLIC_URL = 'http://localhost:3000';

/** Which handover owner acts for each internal role (the iron triangle plus finance and the executive sponsor). */
export const OWNER_FOR_ROLE: Record<InternalRole, 'account' | 'fulfilment' | 'finance' | 'executiveSponsor'> = {
  sales: 'account',
  assistant: 'account',
  delivery: 'fulfilment',
  finance: 'finance',
  executive: 'executiveSponsor',
};

const TITLES: Record<Locale, Record<InternalRole, string>> = {
  'zh-CN': { sales: '客户经理', assistant: '销售助理', delivery: '交付经理', finance: '财务经理', executive: '总经理' },
  en: {
    sales: 'Account Manager',
    assistant: 'Sales Assistant',
    delivery: 'Delivery Manager',
    finance: 'Finance Manager',
    executive: 'Managing Director',
  },
};

/** Days a final demand gives the customer before remedies are pursued. */
const FINAL_DEMAND_DAYS = 7;

export interface Owners {
  account?: string;
  fulfilment?: string;
  finance?: string;
  executiveSponsor?: string;
  emails?: Record<string, string>;
}

export function ownerName(owners: Owners, role: InternalRole, fallback: string): string {
  return owners[OWNER_FOR_ROLE[role]] ?? fallback;
}

function messageId(request: StepRequest, from: string): string {
  const domain = /@([^>\s]+)/.exec(from)?.[1] ?? 'huikuan.local';
  const safeInvoice = request.invoiceNo.replace(/[^A-Za-z0-9._-]/g, '_');
  return `<letter.${safeInvoice}.${request.step.key}.${request.occurrence}@${domain}>`;
}

function senderFrom(from: string, senderName: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return `"${senderName.replace(/"/g, '')}" <${address}>`;
}

async function findLetter(db: Db, request: StepRequest): Promise<LetterRow | undefined> {
  return db
    .selectFrom('letters')
    .selectAll()
    .where('invoice_no', '=', request.invoiceNo)
    .where('step', '=', request.step.key)
    .where('occurrence', '=', request.occurrence)
    .executeTakeFirst();
}

/** The invoice with its contract and customer, its live payments and the customer's contacts, in one round trip. */
async function letterFacts(db: Db, invoiceNo: string) {
  const { payments, contacts, ...invoice } = await db
    .selectFrom('invoices')
    .innerJoin('contracts', 'contracts.no', 'invoices.contract_no')
    .innerJoin('customers', 'customers.code', 'invoices.customer_code')
    .select((eb) => [
      'invoices.no',
      'invoices.contract_no',
      'invoices.amount_minor',
      'invoices.balance_minor',
      'invoices.currency',
      'invoices.due_date',
      'invoices.customer_code',
      'contracts.title',
      'contracts.terms',
      'contracts.owners',
      'contracts.created_by',
      'customers.name as customer_name',
      'customers.locale',
      'customers.time_zone',
      jsonArrayFrom(
        eb
          .selectFrom('allocations')
          .innerJoin('payments', 'payments.id', 'allocations.payment_id')
          .select(['payments.received_on as date', 'allocations.amount_minor as amountMinor'])
          .whereRef('allocations.invoice_no', '=', 'invoices.no')
          .where('allocations.reversed_at', 'is', null),
      ).as('payments'),
      jsonArrayFrom(
        eb
          .selectFrom('customer_contacts')
          .select(['id', 'customer_code', 'role', 'name', 'email', 'phone'])
          .whereRef('customer_contacts.customer_code', '=', 'invoices.customer_code')
          .orderBy('id'),
      ).as('contacts'),
    ])
    .where('invoices.no', '=', invoiceNo)
    .executeTakeFirstOrThrow();
  // The first contact of a role is the one addressed; json_agg does not promise its subquery's order.
  contacts.sort((a, b) => a.id - b.id);
  return { invoice, payments, contacts };
}

/** Everything a letter states: balance, due date, days overdue, interest and how to pay, in the customer's language. */
function letterContext(
  facts: Awaited<ReturnType<typeof letterFacts>>,
  step: PolicyStep,
  request: StepRequest,
  locale: Locale,
  contactName: string,
  companyName: string,
) {
  const { invoice, payments } = facts;
  const terms = invoice.terms as { paymentMethod?: string; lateInterestRatePercent?: string; penaltyClause?: string };
  const owners = (invoice.owners ?? {}) as Owners;
  const today = localDateOf(request.decidedAt, invoice.time_zone);
  const overdue = daysBetween(invoice.due_date, today);
  const rate = parseAnnualRatePercent(terms.lateInterestRatePercent ?? '') ?? 0;
  const interest = accruedInterest({
    principalMinor: invoice.amount_minor,
    dueDate: invoice.due_date,
    asOf: today,
    annualRate: rate,
    payments,
  });
  const money = (minor: number) => formatMoney(minor, invoice.currency, locale);
  return {
    contactName,
    customerName: invoice.customer_name,
    contractNo: invoice.contract_no,
    contractTitle: invoice.title,
    invoiceNo: invoice.no,
    amount: money(invoice.amount_minor),
    paidSoFar: money(invoice.amount_minor - invoice.balance_minor),
    balance: money(invoice.balance_minor),
    dueDate: formatDate(invoice.due_date, locale),
    daysOverdue: Math.max(overdue, 0),
    daysUntilDue: Math.max(-overdue, 0),
    paymentMethod: terms.paymentMethod ?? '',
    penaltyClause: terms.penaltyClause ?? '',
    senderName: ownerName(owners, step.owner, invoice.created_by),
    senderTitle: TITLES[locale][step.owner],
    companyName,
    occurrence: request.occurrence,
    repeated: request.occurrence > 1,
    accruedInterest: interest > 0 ? money(interest) : '',
    interestRatePercent: terms.lateInterestRatePercent ?? '',
    totalDue: money(invoice.balance_minor + interest),
    statementDate: formatDate(today, locale),
    finalDeadline: formatDate(addDays(today, FINAL_DEMAND_DAYS), locale),
  };
}

const LOST_RACE = new Error('another attempt stored this letter first');

/**
 * Renders the letter of a step and stores it in the outbox once; returns the stored row, or why there is none.
 * `balanceMinor`: the balance this call read just before writing the row, so the sender need not read it again.
 */
async function prepareLetter(
  db: Db,
  mail: MailSettings,
  request: StepRequest,
  release: boolean,
): Promise<{ letter: LetterRow; balanceMinor?: number } | 'invoice_paid'> {
  const stored = await findLetter(db, request);
  // A blocked letter is only looked at again to release it (activities/blocked-letters.ts).
  if (stored && !(release && stored.status === 'blocked')) return { letter: stored };
  const facts = await letterFacts(db, request.invoiceNo);
  if (facts.invoice.balance_minor <= request.paidToleranceMinor) return 'invoice_paid';
  const { step } = request;
  const recipients = resolveRecipients(step, facts.contacts);
  if (recipients.blocked)
    return { letter: stored ?? (await blockLetter(db, mail, request, facts, recipients.missingRoles)) };
  const to = recipients.to;
  const ccContacts = facts.contacts.filter(
    (c) => (step.cc.contacts as string[]).includes(c.role) && !to.some((t) => t.email === c.email),
  );
  const owners = (facts.invoice.owners ?? {}) as Owners;
  const ccInternal = step.cc.internal
    .map((role) => owners.emails?.[OWNER_FOR_ROLE[role]])
    .filter((email): email is string => Boolean(email));
  const locale = letterLocale(facts);
  // Letters say a colleague is copied only when the copy really goes to them.
  const context = {
    ...letterContext(facts, step, request, locale, to[0].name, mail.companyName),
    deliveryCopied: step.cc.internal.includes('delivery') && Boolean(owners.emails?.fulfilment),
  };
  const secret = await linkSecret(db);
  // The addressed contact's page link and the letter are stored together: a letter that loses the race
  // to another attempt rolls its new link back, and the stored letter (with its link) is the one sent.
  const prepared = await db
    .transaction()
    .execute(async (trx) => {
      const link = await linkForContact(
        trx,
        { id: to[0].id, customerCode: facts.invoice.customer_code },
        Date.now(),
        mail.portalLinkDays,
      );
      const letter = renderLetter(locale, step.template!, {
        ...context,
        portalUrl: portalUrl(mail.publicUrl ?? DEFAULT_PUBLIC_URL, secret, link.id),
      });
      const addressed = {
        locale,
        recipients: JSON.stringify([...new Set(to.map((c) => c.email))]),
        cc: JSON.stringify([...new Set([...ccContacts.map((c) => c.email), ...ccInternal])]),
        subject: letter.subject,
        body_text: letter.text,
        body_html: letter.html,
        sender_name: context.senderName,
        decided_at: new Date(request.decidedAt),
        portal_link_id: link.id,
      };
      const written = stored
        ? // Released: the same row (same Message-ID) now addressed to the contact that was missing.
          await trx
            .updateTable('letters')
            .set({ ...addressed, status: 'pending' })
            .where('id', '=', stored.id)
            .where('status', '=', 'blocked')
            .returningAll()
            .executeTakeFirst()
        : await trx
            .insertInto('letters')
            .values({
              ...addressed,
              invoice_no: facts.invoice.no,
              contract_no: facts.invoice.contract_no,
              step: step.key,
              occurrence: request.occurrence,
              message_id: messageId(request, mail.from),
              status: 'pending',
              scheduled_for: new Date(request.scheduledFor),
            })
            .onConflict((oc) => oc.columns(['invoice_no', 'step', 'occurrence']).doNothing())
            .returningAll()
            .executeTakeFirst();
      if (!written) throw LOST_RACE;
      if (recipients.fallbackFor?.length) await recordFallback(trx, request, facts, recipients.fallbackFor);
      return written;
    })
    .catch((error: unknown) => {
      if (error !== LOST_RACE) throw error;
      return undefined;
    });
  if (!prepared) return { letter: (await findLetter(db, request))! };
  return { letter: prepared, balanceMinor: facts.invoice.balance_minor };
}

function letterLocale(facts: Awaited<ReturnType<typeof letterFacts>>): Locale {
  return (LOCALES as readonly string[]).includes(facts.invoice.locale)
    ? (facts.invoice.locale as Locale)
    : DEFAULT_LOCALE;
}

/** The key of a letter occurrence in the timeline and tasks: invoice, step, occurrence. */
export function letterKey(letter: { invoiceNo: string; step: string; occurrence: number }): string {
  return `${letter.invoiceNo}/${letter.step}/${letter.occurrence}`;
}

/** Says on the timeline that the letter went to the payment owner because its own recipient roles have no contact. */
async function recordFallback(
  db: Db,
  request: StepRequest,
  facts: Awaited<ReturnType<typeof letterFacts>>,
  missingRoles: ContactRole[],
): Promise<void> {
  await appendTimeline(db, {
    eventKey: `letter-fallback/${letterKey({ ...request, step: request.step.key })}`,
    contractNo: facts.invoice.contract_no,
    invoiceNo: facts.invoice.no,
    at: new Date(request.decidedAt),
    actor: SYSTEM_ACTOR,
    action: 'letter_recipient_fallback',
    details: { step: request.step.key, occurrence: request.occurrence, missingRoles, sentTo: 'payment_owner' },
  });
}

/**
 * Keeps a letter nobody can receive as a 'blocked' outbox row (rendered, addressed to nobody, with the roles it
 * misses and its step request), with a timeline entry and a task for the account owner to add the contact,
 * all in one transaction. It goes out once the contact exists (activities/blocked-letters.ts).
 */
async function blockLetter(
  db: Db,
  mail: MailSettings,
  request: StepRequest,
  facts: Awaited<ReturnType<typeof letterFacts>>,
  missingRoles: ContactRole[],
): Promise<LetterRow> {
  const { step } = request;
  const locale = letterLocale(facts);
  // Addressed to nobody yet: no contact, so no page link; it is rendered again when the contact exists.
  const context = {
    ...letterContext(facts, step, request, locale, '', mail.companyName),
    deliveryCopied: false,
    portalUrl: '',
  };
  const letter = renderLetter(locale, step.template!, context);
  const key = letterKey({ ...request, step: step.key });
  const owners = (facts.invoice.owners ?? {}) as Owners;
  await db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('letters')
      .values({
        invoice_no: facts.invoice.no,
        contract_no: facts.invoice.contract_no,
        step: step.key,
        occurrence: request.occurrence,
        locale,
        recipients: JSON.stringify([]),
        cc: JSON.stringify([]),
        subject: letter.subject,
        body_text: letter.text,
        body_html: letter.html,
        message_id: messageId(request, mail.from),
        sender_name: context.senderName,
        status: 'blocked',
        scheduled_for: new Date(request.scheduledFor),
        decided_at: new Date(request.decidedAt),
        blocked_roles: JSON.stringify(missingRoles),
        // What sending it needs later; the calendar the step was decided with is not that.
        step_request: JSON.stringify({ ...request, calendar: undefined }),
      })
      .onConflict((oc) => oc.columns(['invoice_no', 'step', 'occurrence']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return;
    await appendTimeline(trx, {
      eventKey: `letter-blocked/${key}`,
      contractNo: facts.invoice.contract_no,
      invoiceNo: facts.invoice.no,
      at: new Date(request.decidedAt),
      actor: SYSTEM_ACTOR,
      action: 'letter_blocked',
      reason: `no contact for ${missingRoles.join(', ')}`,
      details: {
        step: step.key,
        occurrence: request.occurrence,
        missingRoles,
        customerCode: facts.invoice.customer_code,
      },
    });
    await openTask(trx, {
      key: `letter-blocked/${key}`,
      invoiceNo: facts.invoice.no,
      contractNo: facts.invoice.contract_no,
      kind: CONTACT_MISSING_TASK,
      step: step.key,
      occurrence: request.occurrence,
      ownerRole: 'sales',
      ownerName: ownerName(owners, 'sales', facts.invoice.created_by),
      wording: {
        key: 'contactMissing',
        invoiceNo: facts.invoice.no,
        step: step.key,
        roles: missingRoles,
        customerName: facts.invoice.customer_name,
        customerCode: facts.invoice.customer_code,
      },
      dueAt: request.decidedAt + request.taskDueDays * DAY_MS,
    });
  });
  return (await findLetter(db, request))!;
}

/** The kind of the task that asks the account owner to add a missing contact. */
export const CONTACT_MISSING_TASK = 'contact_missing';

/** 'blocked': nobody to send it to yet; the letter waits in the outbox (see blockLetter). */
export type LetterOutcome = 'sent' | 'already_sent' | 'invoice_paid' | 'blocked';

/** What became of a step's letter; with the invoice's balance when the letter was written in this very call. */
export interface LetterResult {
  outcome: LetterOutcome;
  balanceMinor?: number;
}

/** A letter is not sent for an invoice paid in the meantime; its row says so. */
async function cancelIfPaid(db: Db, letter: LetterRow, paidToleranceMinor: number): Promise<boolean> {
  const { balance_minor: balanceMinor } = await db
    .selectFrom('invoices')
    .select('balance_minor')
    .where('no', '=', letter.invoice_no)
    .executeTakeFirstOrThrow();
  if (balanceMinor > paidToleranceMinor) return false;
  await db
    .updateTable('letters')
    .set({ status: 'cancelled_paid' })
    .where('id', '=', letter.id)
    .where('status', '=', 'pending')
    .execute();
  return true;
}

async function markLetterSent(db: Db, letter: LetterRow, request: StepRequest): Promise<void> {
  const sentAt = new Date();
  await changeWithTimeline(
    db,
    sql`update letters set status = 'sent', sent_at = ${sentAt}, claimed_until = null, last_error = null
      where id = ${letter.id} returning id`,
    {
      eventKey: `letter/${letter.invoice_no}/${letter.step}/${letter.occurrence}`,
      contractNo: letter.contract_no,
      invoiceNo: letter.invoice_no,
      at: sentAt,
      actor: SYSTEM_ACTOR,
      action: 'letter_sent',
      details: {
        step: letter.step,
        occurrence: letter.occurrence,
        tone: request.step.tone,
        recipients: letter.recipients,
        cc: letter.cc,
        subject: letter.subject,
        skippedSteps: request.skippedSteps,
      },
    },
  );
}

/**
 * Sends the letter of one occurrence of a step exactly once, with no transaction open during the SMTP
 * conversation: stored, claimed, sent, marked (see activities/outbox.ts for the discipline and its one window).
 */
export async function sendStepLetter(
  db: Db,
  mail: MailSettings,
  request: StepRequest,
  options: { release?: boolean } = {},
): Promise<LetterResult> {
  const prepared = await prepareLetter(db, mail, request, options.release ?? false);
  if (prepared === 'invoice_paid') return { outcome: prepared };
  const { letter, balanceMinor } = prepared;
  if (letter.status === 'sent') return { outcome: 'already_sent' };
  if (letter.status === 'blocked' || letter.status === 'superseded') return { outcome: 'blocked' };
  if (letter.status === 'cancelled_closed' || letter.status === 'cancelled_paid') return { outcome: 'invoice_paid' };
  if (balanceMinor === undefined && (await cancelIfPaid(db, letter, request.paidToleranceMinor)))
    return { outcome: 'invoice_paid' };
  const claim = await claimRow(db, 'letters', letter.id, mail.claimMs ?? DEFAULT_CLAIM_MS);
  if (claim === 'sent') return { outcome: 'already_sent' };
  if (claim === 'other') return { outcome: 'invoice_paid' };
  try {
    await mail.transport.sendMail({
      from: senderFrom(mail.from, letter.sender_name),
      to: letter.recipients,
      cc: letter.cc,
      subject: letter.subject,
      text: letter.body_text,
      html: letter.body_html,
      messageId: letter.message_id,
      headers: { 'X-Huikuan-Letter': `${letter.invoice_no}/${letter.step}/${letter.occurrence}` },
    });
  } catch (error) {
    await releaseClaim(db, 'letters', letter.id, error);
    throw error;
  }
  await markWithRetries(() => markLetterSent(db, letter, request));
  return { outcome: 'sent', balanceMinor };
}
