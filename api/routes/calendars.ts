import crypto from 'node:crypto';
import { appendTimeline } from '../../db/timeline';
import { CHINA_MAINLAND_CALENDAR, DEFAULT_CALENDAR_ID, validateCalendar } from '../../domain/calendar';
import type { ApiDeps } from '../deps';
import { notFound, refuse } from '../../domain/refusal';
import type { ApiRoutes } from '../route';
import { BusinessCalendarSchema } from '../schemas/admin';

export function calendarRoutes(routes: ApiRoutes, { db }: ApiDeps): void {
  routes.add({
    method: 'get',
    path: '/api/v1/calendars/:id',
    summary: `A business calendar (the built-in mainland China one for ${DEFAULT_CALENDAR_ID} until an admin saves it)`,
    roles: 'any',
    responses: { 200: 'the calendar', 404: 'no such calendar' },
    async handle({ params }) {
      const row = await db.selectFrom('calendars').select('definition').where('id', '=', params.id).executeTakeFirst();
      if (row) return { body: row.definition };
      if (params.id === DEFAULT_CALENDAR_ID) return { body: CHINA_MAINLAND_CALENDAR };
      throw notFound(`calendar ${params.id}`);
    },
  });

  routes.add({
    method: 'put',
    path: '/api/v1/calendars/:id',
    summary: `Replace a business calendar: weekend days, public holidays and make-up working days. ${DEFAULT_CALENDAR_ID} is the one letters follow, from the next decision on`,
    roles: ['admin'],
    body: BusinessCalendarSchema,
    responses: { 200: 'the stored calendar', 400: 'invalid calendar, with every problem', 403: 'not an admin' },
    async handle({ params, body, actor }) {
      const { calendar, refusals } = validateCalendar(body);
      const problems = [...refusals];
      if (typeof body.id === 'string' && body.id.trim() !== params.id) {
        problems.unshift({
          code: 'id_mismatch',
          field: 'id',
          message: `must equal the calendar id in the path, ${params.id}`,
        });
      }
      if (problems.length > 0 || !calendar) throw refuse('invalid', 'invalid calendar', problems);

      await db.transaction().execute(async (trx) => {
        const now = new Date();
        await trx
          .insertInto('calendars')
          .values({ id: calendar.id, definition: JSON.stringify(calendar), updated_by: actor.name, updated_at: now })
          .onConflict((oc) =>
            oc
              .column('id')
              .doUpdateSet({ definition: JSON.stringify(calendar), updated_by: actor.name, updated_at: now }),
          )
          .execute();
        await appendTimeline(trx, {
          eventKey: `calendar/${calendar.id}/${crypto.randomUUID()}`,
          at: now,
          actor,
          action: 'calendar_updated',
          details: {
            calendarId: calendar.id,
            holidays: calendar.holidays.length,
            makeUpWorkdays: calendar.makeUpWorkdays.length,
          },
        });
      });
      return { body: calendar };
    },
  });
}
