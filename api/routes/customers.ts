import crypto from 'node:crypto';
import type { ApiDeps } from '../deps';
import { DEFAULT_CALENDAR_ID } from '../../domain/calendar';
import { conflict, invalidInput, notFound } from '../../domain/refusal';
import { toMinor } from '../money';
import type { ApiRoutes } from '../route';
import { CreateCustomerSchema, CreditHoldSchema } from '../schemas/common';
import {
  AddContactSchema,
  ChangeContactSchema,
  CUSTOMER_LIST_QUERY_DOC,
  CustomerListQuerySchema,
} from '../schemas/customers';
import { addContact, changeContact, contactChanges, listContacts, removeContact } from '../../services/contacts';
import { customerList } from '../../read-models/customers';
import { customerView } from '../../read-models/views';
import { appendTimeline } from '../../db/timeline';
import { localDateOf } from '../../domain/dates';

/** Who may add, change and remove a customer's contacts: those who may create the customer. */
const CONTACT_WRITERS = ['sales', 'finance'] as const;

function contactId(params: Record<string, string>): number {
  if (!/^\d{1,15}$/.test(params.id ?? '')) throw notFound(`contact ${params.id} of customer ${params.code}`);
  return Number(params.id);
}

export function customerRoutes(routes: ApiRoutes, deps: ApiDeps): void {
  const { db, defaultTimeZone } = deps;
  routes.add({
    method: 'post',
    path: '/api/v1/customers',
    summary: 'Create a customer with grade, credit limit, locale, time zone and contacts',
    roles: ['sales', 'finance'],
    body: CreateCustomerSchema,
    responses: { 201: 'created', 400: 'invalid input', 409: 'code taken' },
    async handle({ body }) {
      const limit = toMinor(body.creditLimit, 'creditLimit');
      await db.transaction().execute(async (trx) => {
        const taken = await trx.selectFrom('customers').select('code').where('code', '=', body.code).executeTakeFirst();
        if (
          body.calendarId &&
          body.calendarId !== DEFAULT_CALENDAR_ID &&
          !(await trx.selectFrom('calendars').select('id').where('id', '=', body.calendarId).executeTakeFirst())
        ) {
          throw invalidInput(
            'calendarId',
            `no calendar ${body.calendarId}; save it first with PUT /api/v1/calendars/${body.calendarId}`,
          );
        }
        if (taken)
          throw conflict(`customer ${body.code} already exists`, [{ field: 'code', message: 'must be unique' }]);
        await trx
          .insertInto('customers')
          .values({
            code: body.code,
            name: body.name,
            grade: body.grade,
            credit_limit_minor: limit.minor,
            currency: limit.currency,
            credit_hold: body.creditHold,
            credit_hold_reason: body.creditHold ? (body.creditHoldReason ?? null) : null,
            hold_source: body.creditHold ? 'manual' : null,
            locale: body.locale,
            time_zone: body.timeZone ?? defaultTimeZone,
            calendar_id: body.calendarId ?? null,
          })
          .execute();
        await trx
          .insertInto('customer_contacts')
          .values(
            body.contacts.map((c) => ({
              customer_code: body.code,
              role: c.role,
              name: c.name,
              email: c.email,
              phone: c.phone ?? null,
            })),
          )
          .execute();
      });
      return {
        status: 201,
        body: await customerView(db, body.code),
        headers: { Location: `/api/v1/customers/${body.code}` },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/customers',
    summary:
      'List customers with grade, credit limit, exposure and hold: search by code or name, filter by grade, hold or aging bucket, sorted, a page at a time',
    roles: 'any',
    query: CUSTOMER_LIST_QUERY_DOC,
    responses: {
      200: 'a page of customers, the total and the offset of the next page (null on the last)',
      400: 'invalid query',
    },
    async handle({ query }) {
      const { q, grade, hold, bucket, asOf, sort, limit, offset } = CustomerListQuerySchema.parse(query);
      const aging = bucket && {
        bucket,
        asOf: asOf ?? localDateOf(Date.now(), defaultTimeZone),
        timeZone: defaultTimeZone,
      };
      return { body: await customerList(db, { q, grades: grade, hold, aging, sort, limit, offset }) };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/customers/:code',
    summary: 'Read a customer with credit status and contacts',
    roles: 'any',
    responses: { 200: 'the customer', 404: 'no such customer' },
    async handle({ params }) {
      return { body: await customerView(db, params.code) };
    },
  });

  routes.add({
    method: 'put',
    path: '/api/v1/customers/:code/credit-hold',
    summary: 'Set or lift a credit hold by hand (finance), with a reason',
    roles: ['finance'],
    body: CreditHoldSchema,
    responses: { 200: 'the customer', 400: 'invalid input', 404: 'no such customer' },
    async handle({ params, body, actor }) {
      await customerView(db, params.code);
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('customers')
          .set({
            credit_hold: body.creditHold,
            credit_hold_reason: body.creditHold ? body.reason : null,
            hold_source: body.creditHold ? 'manual' : null,
            updated_at: new Date(),
          })
          .where('code', '=', params.code)
          .execute();
        await appendTimeline(trx, {
          eventKey: `customer/${params.code}/hold/${crypto.randomUUID()}`,
          customerCode: params.code,
          at: new Date(),
          actor,
          action: body.creditHold ? 'credit_hold_set' : 'credit_hold_lifted',
          reason: body.reason,
          details: { customerCode: params.code },
        });
      });
      return { body: await customerView(db, params.code) };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/customers/:code/contacts',
    summary: "A customer's contacts by role, and who changed them when (newest first)",
    roles: 'any',
    responses: { 200: '{ contacts, changes }', 404: 'no such customer' },
    async handle({ params }) {
      await customerView(db, params.code);
      return {
        body: { contacts: await listContacts(db, params.code), changes: await contactChanges(db, params.code) },
      };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/customers/:code/contacts',
    summary:
      'Add a contact (decision maker, acceptance owner, payment owner, customer finance); letters waiting for its role go out',
    roles: CONTACT_WRITERS,
    body: AddContactSchema,
    responses: {
      201: 'the contact',
      400: 'invalid input, naming the field',
      404: 'no such customer',
      409: 'the same address already holds this role',
    },
    async handle({ params, body, actor }) {
      const contact = await addContact(deps, params.code, body, actor);
      return {
        status: 201,
        body: contact,
        headers: { Location: `/api/v1/customers/${params.code}/contacts/${contact.id}` },
      };
    },
  });

  routes.add({
    method: 'put',
    path: '/api/v1/customers/:code/contacts/:id',
    summary: "Change a contact's role, name, email or phone; letters waiting for its new role go out",
    roles: CONTACT_WRITERS,
    body: ChangeContactSchema,
    responses: {
      200: 'the contact',
      400: 'invalid input, naming the field',
      404: 'no such customer or contact',
      409: 'the same address already holds this role, or it is the last payment owner',
    },
    async handle({ params, body, actor }) {
      return { body: await changeContact(deps, params.code, contactId(params), body, actor) };
    },
  });

  routes.add({
    method: 'delete',
    path: '/api/v1/customers/:code/contacts/:id',
    summary: 'Remove a contact (not the last payment owner)',
    roles: CONTACT_WRITERS,
    responses: {
      200: "the customer's contacts left",
      404: 'no such customer or contact',
      409: 'it is the last payment owner',
    },
    async handle({ params, actor }) {
      await removeContact(deps, params.code, contactId(params), actor);
      return { body: { contacts: await listContacts(db, params.code) } };
    },
  });
}
