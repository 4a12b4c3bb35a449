import crypto from 'node:crypto';
import type { Db } from '../db/connect';
import { DAY_MS } from '../domain/dates';
import type { Actor } from '../domain/roles';

/**
 * The customer's page links (docs/customer-page.md). A token is `<id>.<signature>`: the id is 16 random
 * bytes, the signature an HMAC-SHA256 of the id under the server secret kept in `app_secrets` (created
 * by migration 0021, shared by every process, unchanged by restarts). A tampered token fails the
 * signature before any row is read; a signed one must still name a live row (not expired, not revoked).
 */

/** How long a new link works, unless the caller says otherwise (PORTAL_LINK_DAYS). */
export const DEFAULT_LINK_DAYS = 60;
/** A letter does not hand out a link that expires sooner than this: it makes a new one. */
const MIN_DAYS_LEFT_TO_REUSE = 14;

const SECRET_NAME = 'portal_link';
const secrets = new WeakMap<Db, Promise<Buffer>>();

/** The signing key, read once per database handle. */
export function linkSecret(db: Db): Promise<Buffer> {
  let secret = secrets.get(db);
  if (!secret) {
    secret = db
      .selectFrom('app_secrets')
      .select('value')
      .where('name', '=', SECRET_NAME)
      .executeTakeFirstOrThrow()
      .then((row) => Buffer.from(row.value, 'base64url'));
    secret.catch(() => secrets.delete(db));
    secrets.set(db, secret);
  }
  return secret;
}

const signature = (secret: Buffer, id: string) =>
  crypto.createHmac('sha256', secret).update(`portal-link:${id}`).digest('base64url');

export function signLink(secret: Buffer, id: string): string {
  return `${id}.${signature(secret, id)}`;
}

const TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** The link id a token names when its signature holds, else undefined (compared in constant time). */
export function verifiedLinkId(secret: Buffer, token: string): string | undefined {
  const match = TOKEN.exec(token);
  if (!match) return undefined;
  const expected = Buffer.from(signature(secret, match[1]));
  const given = Buffer.from(match[2]);
  return expected.length === given.length && crypto.timingSafeEqual(expected, given) ? match[1] : undefined;
}

export interface LiveLink {
  id: string;
  contactId: number;
  customerCode: string;
  expiresAt: Date;
}

type Executor = Pick<Db, 'selectFrom' | 'insertInto'>;

/**
 * The contact's live link, or a new one. Called inside the transaction that writes a letter, so the letter
 * and its link are stored together (a retried letter finds the stored row and never renders again).
 */
export async function linkForContact(
  db: Executor,
  contact: { id: number; customerCode: string },
  now: number,
  validDays = DEFAULT_LINK_DAYS,
): Promise<LiveLink> {
  const live = await db
    .selectFrom('portal_links')
    .select(['id', 'contact_id', 'customer_code', 'expires_at'])
    .where('contact_id', '=', contact.id)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', new Date(now + MIN_DAYS_LEFT_TO_REUSE * DAY_MS))
    .orderBy('expires_at', 'desc')
    .executeTakeFirst();
  if (live)
    return { id: live.id, contactId: live.contact_id, customerCode: live.customer_code, expiresAt: live.expires_at };
  const id = crypto.randomBytes(16).toString('base64url');
  const expiresAt = new Date(now + validDays * DAY_MS);
  await db
    .insertInto('portal_links')
    .values({ id, contact_id: contact.id, customer_code: contact.customerCode, expires_at: expiresAt })
    .execute();
  return { id, contactId: contact.id, customerCode: contact.customerCode, expiresAt };
}

export function portalUrl(publicUrl: string, secret: Buffer, linkId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/portal/${signLink(secret, linkId)}`;
}

export interface OpenedLink {
  id: string;
  token: string;
  customerCode: string;
  contact: { id: number; name: string; email: string; role: string };
  customer: { code: string; name: string; locale: string; timeZone: string };
  expiresAt: Date;
}

export type LinkRefusal = 'tampered' | 'expired' | 'revoked';

/** What a token opens, or why it opens nothing. The contact and customer are read through the link only. */
export async function openLink(db: Db, token: string, now: number): Promise<OpenedLink | LinkRefusal> {
  const id = verifiedLinkId(await linkSecret(db), token);
  if (!id) return 'tampered';
  const row = await db
    .selectFrom('portal_links')
    .innerJoin('customer_contacts', 'customer_contacts.id', 'portal_links.contact_id')
    .innerJoin('customers', 'customers.code', 'portal_links.customer_code')
    .select([
      'portal_links.id',
      'portal_links.expires_at',
      'portal_links.revoked_at',
      'portal_links.customer_code',
      'customer_contacts.id as contact_id',
      'customer_contacts.customer_code as contact_customer',
      'customer_contacts.name as contact_name',
      'customer_contacts.email',
      'customer_contacts.role',
      'customers.name as customer_name',
      'customers.locale',
      'customers.time_zone',
    ])
    .where('portal_links.id', '=', id)
    .executeTakeFirst();
  // A contact removed (its links go with it) or moved to another customer opens nothing.
  if (!row || row.contact_customer !== row.customer_code) return 'revoked';
  if (row.revoked_at) return 'revoked';
  if (row.expires_at.getTime() <= now) return 'expired';
  return {
    id: row.id,
    token,
    customerCode: row.customer_code,
    contact: { id: row.contact_id, name: row.contact_name, email: row.email, role: row.role },
    customer: { code: row.customer_code, name: row.customer_name, locale: row.locale, timeZone: row.time_zone },
    expiresAt: row.expires_at,
  };
}

/** Staff revoke every live link of a customer; its letters' links then show the refusal page. */
export async function revokeCustomerLinks(db: Db, customerCode: string, actor: Actor, now: number): Promise<number> {
  const revoked = await db
    .updateTable('portal_links')
    .set({ revoked_at: new Date(now), revoked_by: actor.name })
    .where('customer_code', '=', customerCode)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(revoked.numUpdatedRows);
}

/** A customer's links, newest first, for staff: which contact, when made, until when, revoked. */
export async function customerLinks(db: Db, customerCode: string) {
  return db
    .selectFrom('portal_links')
    .innerJoin('customer_contacts', 'customer_contacts.id', 'portal_links.contact_id')
    .select([
      'portal_links.id',
      'customer_contacts.name as contactName',
      'customer_contacts.email as contactEmail',
      'portal_links.created_at as createdAt',
      'portal_links.expires_at as expiresAt',
      'portal_links.revoked_at as revokedAt',
      'portal_links.revoked_by as revokedBy',
    ])
    .where('portal_links.customer_code', '=', customerCode)
    .orderBy('portal_links.created_at', 'desc')
    .limit(200)
    .execute();
}

/** A form token bound to one link (CSRF for the page's forms): an HMAC of the link id under the same secret. */
export function formToken(secret: Buffer, linkId: string): string {
  return crypto.createHmac('sha256', secret).update(`portal-form:${linkId}`).digest('base64url');
}

export function formTokenHolds(secret: Buffer, linkId: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const expected = Buffer.from(formToken(secret, linkId));
  const actual = Buffer.from(given);
  return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
}
