import crypto from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connect';
import type { CustomerContactRow } from '../db/schema';
import { appendTimeline } from '../db/timeline';
import type { ContactRole } from '../domain/policy';
import { conflict, notFound } from '../domain/refusal';
import type { Actor } from '../domain/roles';
import { logger } from '../stack/logger';
import { releaseBlockedLetters } from './workflow-client';

/**
 * Customer contacts by role (decision maker, acceptance owner, payment owner, customer finance): business
 * contacts only (SPEC §8) — a role, a name, a business email and an optional phone. One transaction per command,
 * with the customer's row locked so two commands cannot both add the same address in the same role; the
 * timeline says who changed which contact and when, without copying the personal data. After the commit, the
 * letters of the customer that waited for a contact are released (activities/blocked-letters.ts).
 */

export interface ContactInput {
  role: ContactRole;
  name: string;
  email: string;
  phone?: string | null;
}

export interface ContactDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

const log = logger('api');

export function contactView(contact: CustomerContactRow) {
  return { id: contact.id, role: contact.role, name: contact.name, email: contact.email, phone: contact.phone };
}

export async function listContacts(db: Db, customerCode: string) {
  const contacts = await db
    .selectFrom('customer_contacts')
    .selectAll()
    .where('customer_code', '=', customerCode)
    .orderBy('id')
    .execute();
  return contacts.map(contactView);
}

/** The contact changes of a customer, newest first: who, when, which contact and role, which fields. */
export async function contactChanges(db: Db, customerCode: string, limit = 20) {
  const rows = await db
    .selectFrom('timeline')
    .select(['at', 'actor_name', 'actor_role', 'action', 'details'])
    .where('customer_code', '=', customerCode)
    .where('action', 'in', ['contact_added', 'contact_changed', 'contact_removed'])
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    at: row.at,
    actor: { name: row.actor_name, role: row.actor_role },
    action: row.action,
    details: row.details,
  }));
}

async function lockCustomer(trx: Db, customerCode: string): Promise<void> {
  const customer = await trx
    .selectFrom('customers')
    .select('code')
    .where('code', '=', customerCode)
    .forUpdate()
    .executeTakeFirst();
  if (!customer) throw notFound(`customer ${customerCode}`);
}

async function refuseDuplicate(trx: Db, customerCode: string, contact: ContactInput, exceptId?: number) {
  let query = trx
    .selectFrom('customer_contacts')
    .select('id')
    .where('customer_code', '=', customerCode)
    .where('role', '=', contact.role)
    .where((eb) => eb(eb.fn('lower', ['email']), '=', contact.email.toLowerCase()));
  if (exceptId !== undefined) query = query.where('id', '<>', exceptId);
  const same = await query.executeTakeFirst();
  if (same)
    throw conflict(`customer ${customerCode} already has ${contact.email} as ${contact.role}`, [
      { code: 'duplicate_contact', field: 'email', message: `is already the ${contact.role} contact (id ${same.id})` },
    ]);
}

/** Letters go to the payment owner by default: the last one cannot be removed or moved to another role. */
async function refuseLastPaymentOwner(trx: Db, customerCode: string, contactId: number, field: string) {
  const others = await trx
    .selectFrom('customer_contacts')
    .select('id')
    .where('customer_code', '=', customerCode)
    .where('role', '=', 'payment_owner')
    .where('id', '<>', contactId)
    .executeTakeFirst();
  if (!others)
    throw conflict(`contact ${contactId} is the only payment owner of customer ${customerCode}`, [
      {
        code: 'last_payment_owner',
        field,
        message: 'a customer keeps at least one payment_owner contact, who receives the letters; add another first',
      },
    ]);
}

async function findContact(trx: Db, customerCode: string, contactId: number): Promise<CustomerContactRow> {
  const contact = await trx
    .selectFrom('customer_contacts')
    .selectAll()
    .where('customer_code', '=', customerCode)
    .where('id', '=', contactId)
    .executeTakeFirst();
  if (!contact) throw notFound(`contact ${contactId} of customer ${customerCode}`);
  return contact;
}

async function recordChange(
  trx: Db,
  customerCode: string,
  actor: Actor,
  action: 'contact_added' | 'contact_changed' | 'contact_removed',
  contact: { id: number; role: ContactRole },
  details: Record<string, unknown> = {},
): Promise<void> {
  const at = new Date();
  await appendTimeline(trx, {
    eventKey: `customer/${customerCode}/contact/${contact.id}/${action}/${at.getTime()}/${crypto.randomUUID()}`,
    customerCode,
    at,
    actor,
    action,
    details: { contactId: contact.id, role: contact.role, ...details },
  });
}

/**
 * Starts the release of the customer's waiting letters, when it has any; a failure is logged, and the
 * `blocked-letters` schedule sends them (as it does a letter blocked just after this check).
 */
async function afterCommit(deps: ContactDeps, customerCode: string, contactId: number): Promise<void> {
  try {
    const waiting = await deps.db
      .selectFrom('letters')
      .innerJoin('invoices', 'invoices.no', 'letters.invoice_no')
      .select('letters.id')
      .where('invoices.customer_code', '=', customerCode)
      .where('letters.blocked_roles', 'is not', null)
      .where('letters.status', 'in', ['blocked', 'pending', 'sending'])
      .limit(1)
      .executeTakeFirst();
    if (!waiting) return;
    await releaseBlockedLetters(deps.temporal, deps.taskQueue, customerCode, contactId);
  } catch (error) {
    log.warn(
      { err: error, customerCode, contactId },
      'could not start the release of waiting letters now; the blocked-letters schedule will',
    );
  }
}

export async function addContact(deps: ContactDeps, customerCode: string, input: ContactInput, actor: Actor) {
  const contact = await deps.db.transaction().execute(async (trx) => {
    await lockCustomer(trx, customerCode);
    await refuseDuplicate(trx, customerCode, input);
    const added = await trx
      .insertInto('customer_contacts')
      .values({
        customer_code: customerCode,
        role: input.role,
        name: input.name,
        email: input.email,
        phone: input.phone ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordChange(trx, customerCode, actor, 'contact_added', added);
    return added;
  });
  await afterCommit(deps, customerCode, contact.id);
  return contactView(contact);
}

export async function changeContact(
  deps: ContactDeps,
  customerCode: string,
  contactId: number,
  input: Partial<ContactInput>,
  actor: Actor,
) {
  const contact = await deps.db.transaction().execute(async (trx) => {
    await lockCustomer(trx, customerCode);
    const current = await findContact(trx, customerCode, contactId);
    const next: ContactInput = {
      role: input.role ?? current.role,
      name: input.name ?? current.name,
      email: input.email ?? current.email,
      phone: input.phone === undefined ? current.phone : input.phone,
    };
    if (current.role === 'payment_owner' && next.role !== 'payment_owner')
      await refuseLastPaymentOwner(trx, customerCode, contactId, 'role');
    await refuseDuplicate(trx, customerCode, next, contactId);
    const changed = (Object.keys(next) as (keyof ContactInput)[]).filter(
      (field) => (next[field] ?? null) !== (current[field] ?? null),
    );
    const updated = await trx
      .updateTable('customer_contacts')
      .set({ role: next.role, name: next.name, email: next.email, phone: next.phone ?? null })
      .where('id', '=', contactId)
      .returningAll()
      .executeTakeFirstOrThrow();
    // The customer's page links were mailed to the old address: whoever holds that mailbox keeps no access.
    // The next letter to the contact carries a new link (docs/customer-page.md).
    if (changed.includes('email'))
      await trx
        .updateTable('portal_links')
        .set({ revoked_at: new Date(), revoked_by: actor.name })
        .where('contact_id', '=', contactId)
        .where('revoked_at', 'is', null)
        .execute();
    if (changed.length > 0)
      await recordChange(trx, customerCode, actor, 'contact_changed', updated, {
        fields: changed,
        ...(changed.includes('role') ? { fromRole: current.role } : {}),
      });
    return updated;
  });
  await afterCommit(deps, customerCode, contact.id);
  return contactView(contact);
}

export async function removeContact(deps: ContactDeps, customerCode: string, contactId: number, actor: Actor) {
  await deps.db.transaction().execute(async (trx) => {
    await lockCustomer(trx, customerCode);
    const current = await findContact(trx, customerCode, contactId);
    if (current.role === 'payment_owner') await refuseLastPaymentOwner(trx, customerCode, contactId, 'id');
    await trx.deleteFrom('customer_contacts').where('id', '=', contactId).execute();
    await recordChange(trx, customerCode, actor, 'contact_removed', current);
  });
}
