import crypto from 'node:crypto';
import type { ApiDeps } from '../deps';
import { DEFAULT_CALENDAR_ID } from '../../domain/calendar';
import { conflict, invalidInput } from '../../domain/refusal';
import { toMinor } from '../money';
import type { ApiRoutes } from '../route';
import { CreateCustomerSchema, CreditHoldSchema } from '../schemas/common';
import { CUSTOMER_LIST_QUERY_DOC, CustomerListQuerySchema } from '../schemas/customers';
import { customerList } from '../../read-models/customers';
import { customerView } from '../../read-models/views';
import { appendTimeline } from '../../db/timeline';
import { localDateOf } from '../../domain/dates';

export function customerRoutes(routes: ApiRoutes, { db, defaultTimeZone }: ApiDeps): void {
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
}
