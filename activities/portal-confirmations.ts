import type { Db } from '../db/connect';
import type { Locale } from '../domain/locales';
import type { MailSettings } from './letters';
import { type NotificationOutcome, renderNotification, sendNotification, storeNotification } from './notifications';
import { type TaskDraft, openTask } from './tasks';

/**
 * What follows a promise or dispute given on the customer's page, run by one durable workflow so neither is
 * lost: the account owner's task (openTask, idempotent by key), then the mail that confirms to a customer contact what they gave on the customer's page (a promise to pay or
 * a dispute), in the customer's language, through the notifications outbox: rendered and stored once per
 * key (`portal/promise/<id>`, `portal/dispute/<id>`), then sent once however often this is retried.
 */
export interface PortalConfirmation {
  key: string;
  kind: 'promise' | 'dispute';
  locale: Locale;
  recipient: string;
  /** The words the template states, already formatted for the locale (contact, invoice, date, amount …). */
  context: Record<string, string>;
  /** The task that tells the account owner what the customer did. */
  ownerTask: TaskDraft;
}

export async function sendPortalConfirmation(
  db: Db,
  mail: MailSettings,
  confirmation: PortalConfirmation,
): Promise<NotificationOutcome> {
  await openTask(db, confirmation.ownerTask);
  const stored = await db
    .selectFrom('notifications')
    .select('status')
    .where('notification_key', '=', confirmation.key)
    .executeTakeFirst();
  if (!stored) {
    const rendered = renderNotification('portal-mail', confirmation.locale, confirmation.kind, {
      ...confirmation.context,
      companyName: mail.companyName,
    });
    await storeNotification(db, mail, {
      key: confirmation.key,
      kind: `portal_${confirmation.kind}`,
      locale: confirmation.locale,
      recipients: [confirmation.recipient],
      ...rendered,
    });
  }
  return sendNotification(db, mail, confirmation.key);
}
