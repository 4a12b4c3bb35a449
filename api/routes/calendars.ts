import crypto from 'node:crypto';
import { sql } from 'kysely';
import { appendTimeline } from '../../db/timeline';
import { CHINA_MAINLAND_CALENDAR, DEFAULT_CALENDAR_ID, validateCalendar } from '../../domain/calendar';
import type { ApiDeps } from '../deps';
import { notFound, refuse } from '../../domain/refusal';
import type { ApiRoutes } from '../route';
import type { Db } from '../../db/connect';
import { BusinessCalendarSchema, OFFSET_PAGE_QUERY_DOC, OffsetPageQuerySchema } from '../schemas/admin';

export function calendarRoutes(routes: ApiRoutes, { db }: ApiDeps): void {
  routes.add({
    method: 'get',
    path: '/api/v1/calendars',
    summary: `The business calendars by id, with their counts of holidays and make-up working days (${DEFAULT_CALENDAR_ID}, built in, until saved)`,
    roles: 'any',
    query: OFFSET_PAGE_QUERY_DOC,
    responses: { 200: 'a page of calendars and the total', 400: 'invalid query' },
    async handle({ query }) {
      return { body: await calendarList(db, OffsetPageQuerySchema.parse(query)) };
    },
  });

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

interface CalendarRow {
  id: string;
  name: string;
  weekend_days: number[];
  holidays: number;
  make_up_workdays: number;
  built_in: boolean;
  updated_by: string | null;
  updated_at: Date | null;
  total: string;
}

/** A page of calendars by id; the built-in default stands in among them, at its id, until it is saved. */
async function calendarList(db: Db, page: { limit: number; offset: number }) {
  const builtIn = JSON.stringify(CHINA_MAINLAND_CALENDAR);
  const { rows } = await sql<CalendarRow>`
    with listed as (
      select id, definition, false as built_in, updated_by, updated_at from calendars
      union all
      select ${DEFAULT_CALENDAR_ID}, ${builtIn}::jsonb, true, null, null
      where not exists (select 1 from calendars where id = ${DEFAULT_CALENDAR_ID})
    )
    select id, definition ->> 'name' as name, definition -> 'weekendDays' as weekend_days,
      jsonb_array_length(definition -> 'holidays') as holidays,
      jsonb_array_length(definition -> 'makeUpWorkdays') as make_up_workdays,
      built_in, updated_by, updated_at, count(*) over () as total
    from listed order by id limit ${page.limit} offset ${page.offset}`.execute(db);
  return {
    calendars: rows.map((row) => ({
      id: row.id,
      name: row.name,
      weekendDays: row.weekend_days,
      holidays: Number(row.holidays),
      makeUpWorkdays: Number(row.make_up_workdays),
      builtIn: row.built_in,
      updatedBy: row.updated_by,
      updatedAt: row.updated_at,
    })),
    total: rows.length > 0 ? Number(rows[0].total) : await calendarCount(db),
    offset: page.offset,
    limit: page.limit,
  };
}

/** How many calendars there are, the built-in one counted until it is saved (a page past the end has no row to say). */
async function calendarCount(db: Db): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select count(*) + (case when exists (select 1 from calendars where id = ${DEFAULT_CALENDAR_ID}) then 0 else 1 end) as n
    from calendars`.execute(db);
  return Number(rows[0].n);
}
