import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { Db } from '../db/connect';
import { formatDate } from '../domain/dates';
import type { Locale } from '../domain/locales';
import { formatMoney } from '../domain/money';
import type { MailSettings } from './letters';
import { DEFAULT_CLAIM_MS, claimRow, markWithRetries, releaseClaim } from './outbox';
import type { CreditReviewSummary, WarningRow } from '../read-models/credit-warnings';

/**
 * Internal mail that is not a collection letter (the weekly credit review), through the `notifications`
 * outbox with the letters' discipline: the row (unique notification_key, deterministic Message-ID) is
 * written before sending, claimed, sent and marked sent (activities/outbox.ts), so a retry or a second
 * worker finds it sent and sends nothing.
 */

const TEMPLATE_ROOT = path.resolve(__dirname, '..', 'templates');
type Compiled = Handlebars.TemplateDelegate<Record<string, unknown>>;
const cache = new Map<string, Compiled>();

function template(folder: string, locale: Locale, name: string, part: 'subject' | 'text' | 'html'): Compiled {
  const key = `${folder}/${locale}/${name}.${part}`;
  let compiled = cache.get(key);
  if (!compiled) {
    const source = fs.readFileSync(path.join(TEMPLATE_ROOT, folder, locale, `${name}.${part}.hbs`), 'utf8');
    compiled = Handlebars.compile(source.trim(), { noEscape: part !== 'html', strict: true });
    cache.set(key, compiled);
  }
  return compiled;
}

const HTML_FRAME = (lang: string, body: string) =>
  `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"></head><body style="font-family:sans-serif;line-height:1.6">${body}</body></html>`;

/** Renders a notification in one language; a missing value is an error, never a blank. */
export function renderNotification(folder: string, locale: Locale, name: string, context: Record<string, unknown>) {
  return {
    subject: template(folder, locale, name, 'subject')(context),
    text: `${template(folder, locale, name, 'text')(context)}\n`,
    html: HTML_FRAME(locale, template(folder, locale, name, 'html')(context)),
  };
}

export interface NotificationDraft {
  key: string;
  kind: string;
  locale: Locale;
  recipients: string[];
  subject: string;
  text: string;
  html: string;
}

export function notificationMessageId(key: string, from: string): string {
  const domain = /@([^>\s]+)/.exec(from)?.[1] ?? 'huikuan.local';
  return `<notification.${key.replace(/[^A-Za-z0-9._-]/g, '.')}@${domain}>`;
}

/** Stores a notification once per key (a second call returns the stored row, its content unchanged). */
export async function storeNotification(db: Db, mail: MailSettings, draft: NotificationDraft) {
  await db
    .insertInto('notifications')
    .values({
      notification_key: draft.key,
      kind: draft.kind,
      locale: draft.locale,
      recipients: JSON.stringify(draft.recipients),
      subject: draft.subject,
      body_text: draft.text,
      body_html: draft.html,
      message_id: notificationMessageId(draft.key, mail.from),
      status: draft.recipients.length === 0 ? 'no_recipient' : 'pending',
    })
    .onConflict((oc) => oc.column('notification_key').doNothing())
    .execute();
  return db.selectFrom('notifications').selectAll().where('notification_key', '=', draft.key).executeTakeFirstOrThrow();
}

export type NotificationOutcome = 'sent' | 'already_sent' | 'no_recipient';

/** Sends a stored notification exactly once, with no transaction open during the SMTP conversation (activities/outbox.ts). */
export async function sendNotification(db: Db, mail: MailSettings, key: string): Promise<NotificationOutcome> {
  const row = await db
    .selectFrom('notifications')
    .selectAll()
    .where('notification_key', '=', key)
    .executeTakeFirstOrThrow();
  if (row.status === 'sent') return 'already_sent';
  if (row.recipients.length === 0) return 'no_recipient';
  const claim = await claimRow(db, 'notifications', row.id, mail.claimMs ?? DEFAULT_CLAIM_MS);
  if (claim === 'sent') return 'already_sent';
  if (claim === 'other') return 'no_recipient';
  try {
    await mail.transport.sendMail({
      from: mail.from,
      to: row.recipients,
      subject: row.subject,
      text: row.body_text,
      html: row.body_html,
      messageId: row.message_id,
      headers: { 'X-Huikuan-Notification': row.notification_key },
    });
  } catch (error) {
    await releaseClaim(db, 'notifications', row.id, error);
    throw error;
  }
  await markWithRetries(async () => {
    await db
      .updateTable('notifications')
      .set({ status: 'sent', sent_at: new Date(), claimed_until: null, last_error: null })
      .where('id', '=', row.id)
      .execute();
  });
  return 'sent';
}

// ---------------------------------------------------------------------------------------------
// The weekly credit review mail

/** Management: every person with the executive or finance role who has an e-mail address. */
export async function reviewRecipients(db: Db): Promise<string[]> {
  const people = await db
    .selectFrom('people')
    .select('email')
    .where('role', 'in', ['executive', 'finance'])
    .where('email', 'is not', null)
    .orderBy('email')
    .execute();
  return [...new Set(people.map((p) => p.email!))];
}

const LIST_IN_MAIL = 50;

function gradeLabel(grade: string | null, locale: Locale): string {
  return grade ?? (locale === 'en' ? 'new' : '新客户');
}

/** Everything the review mail states, formatted for one language (labels live in the templates). */
export function reviewContext(
  summary: CreditReviewSummary,
  locale: Locale,
  companyName: string,
): Record<string, unknown> {
  const money = (minor: number, currency: string) => formatMoney(minor, currency, locale);
  const more = (count: number, shown: number) => Math.max(0, count - shown);
  const changes = summary.gradeChanges.items.slice(0, LIST_IN_MAIL);
  const set = summary.holdsSet.items.slice(0, LIST_IN_MAIL);
  const lifted = summary.holdsLifted.items.slice(0, LIST_IN_MAIL);
  const warnings = summary.warnings.items.slice(0, LIST_IN_MAIL);
  return {
    companyName,
    reviewDate: formatDate(summary.reviewDate, locale),
    customersReviewed: summary.customersReviewed,
    onHoldCount: summary.onHoldCount,
    gradeCounts: ['A', 'B', 'C', 'D', 'new'].map((g) => ({
      grade: gradeLabel(g === 'new' ? null : g, locale),
      count: summary.gradeCounts[g] ?? 0,
    })),
    gradeChangeCount: summary.gradeChanges.count,
    hasGradeChanges: changes.length > 0,
    moreGradeChanges: more(summary.gradeChanges.count, changes.length),
    gradeChanges: changes.map((c) => ({
      customerCode: c.customerCode,
      name: c.name,
      from: gradeLabel(c.from, locale),
      to: gradeLabel(c.to, locale),
      score: c.scoreTenths === null ? '' : (c.scoreTenths / 10).toFixed(1),
    })),
    holdsSetCount: summary.holdsSet.count,
    hasHoldsSet: set.length > 0,
    moreHoldsSet: more(summary.holdsSet.count, set.length),
    holdsSet: set.map((h) => ({
      customerCode: h.customerCode,
      name: h.name,
      auto: h.source === 'auto',
      reason: h.reason ?? '',
    })),
    holdsLiftedCount: summary.holdsLifted.count,
    hasHoldsLifted: lifted.length > 0,
    moreHoldsLifted: more(summary.holdsLifted.count, lifted.length),
    holdsLifted: lifted.map((h) => ({
      customerCode: h.customerCode,
      name: h.name,
      auto: h.source === 'auto',
      reason: h.reason ?? '',
    })),
    hasTopOverdue: summary.topOverdue.length > 0,
    topOverdue: summary.topOverdue.map((t, i) => ({
      rank: i + 1,
      customerCode: t.customerCode,
      name: t.name,
      overdue: money(t.overdueMinor, t.currency),
      oldestDueDate: formatDate(t.oldestDueDate, locale),
      daysOverdue: t.daysOverdue,
      grade: gradeLabel(t.grade, locale),
      creditHold: t.creditHold,
    })),
    warningCount: summary.warnings.count,
    hasWarnings: warnings.length > 0,
    moreWarnings: more(summary.warnings.count, warnings.length),
    warnings: warnings.map((w) => warningContext(w, locale)),
  };
}

function warningContext(w: WarningRow, locale: Locale) {
  const f = w.figures as Record<string, unknown>;
  const currency = typeof f.currency === 'string' ? f.currency : 'CNY';
  return {
    customerCode: w.customerCode,
    name: w.customerName,
    surge: w.kind === 'order_surge',
    collapse: w.kind === 'order_collapse',
    trend: w.kind === 'payment_delay_trend',
    extension: w.kind === 'term_extension_while_late',
    recentCount: f.recentCount ?? 0,
    historyCount: f.historyCount ?? 0,
    ratioPercent: f.ratioPercent ?? 0,
    daysLate: Array.isArray(f.daysLate) ? f.daysLate.join(', ') : '',
    requestedDays: f.requestedDays ?? 0,
    overdue: typeof f.overdueMinor === 'number' ? formatMoney(f.overdueMinor, currency, locale) : '',
    oldestDaysOverdue: f.oldestDaysOverdue ?? 0,
  };
}

/** Renders, stores and sends the review mail in one language, once per review date and language. */
export async function sendCreditReviewMail(
  db: Db,
  mail: MailSettings,
  input: { reviewDate: string; locale: Locale },
): Promise<NotificationOutcome> {
  const key = `credit-review/${input.reviewDate}/${input.locale}`;
  const stored = await db
    .selectFrom('notifications')
    .select('status')
    .where('notification_key', '=', key)
    .executeTakeFirst();
  if (!stored) {
    const review = await db
      .selectFrom('credit_reviews')
      .select('summary')
      .where('review_date', '=', input.reviewDate)
      .executeTakeFirstOrThrow();
    const rendered = renderNotification(
      'credit-review',
      input.locale,
      'review',
      reviewContext(review.summary, input.locale, mail.companyName),
    );
    await storeNotification(db, mail, {
      key,
      kind: 'credit_review',
      locale: input.locale,
      recipients: await reviewRecipients(db),
      ...rendered,
    });
  }
  return sendNotification(db, mail, key);
}
