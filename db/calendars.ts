import type { Db } from './connect';
import { type BusinessCalendar, CHINA_MAINLAND_CALENDAR, DEFAULT_CALENDAR_ID } from '../domain/calendar';

/**
 * The business calendar an invoice's letters follow: its customer's own calendar when one is chosen,
 * else the default; as saved by an admin, else the built-in China calendar.
 */
export async function loadCalendar(db: Db, invoiceNo?: string): Promise<BusinessCalendar> {
  const customer =
    invoiceNo === undefined
      ? undefined
      : await db
          .selectFrom('invoices')
          .innerJoin('customers', 'customers.code', 'invoices.customer_code')
          .select('customers.calendar_id')
          .where('invoices.no', '=', invoiceNo)
          .executeTakeFirst();
  return calendarById(db, customer?.calendar_id);
}

/** A customer's calendar, else the stored default, else the built-in one. */
export async function calendarById(db: Db, calendarId: string | null | undefined): Promise<BusinessCalendar> {
  const { calendars, calendarOf } = await calendarsByIds(db, [calendarId]);
  return calendars[calendarOf(calendarId)];
}

/**
 * Many customers' calendars in one read, under calendarById's rule: `calendarOf(id)` names the calendar an id
 * falls back to (its own when stored, else the default), and `calendars` holds each of them by that name.
 */
export async function calendarsByIds(
  db: Db,
  calendarIds: (string | null | undefined)[],
): Promise<{ calendars: Record<string, BusinessCalendar>; calendarOf(id: string | null | undefined): string }> {
  const ids = [...new Set([DEFAULT_CALENDAR_ID, ...calendarIds.filter((id): id is string => !!id)])];
  const rows = await db.selectFrom('calendars').select(['id', 'definition']).where('id', 'in', ids).execute();
  const calendars: Record<string, BusinessCalendar> = Object.fromEntries(rows.map((r) => [r.id, r.definition]));
  calendars[DEFAULT_CALENDAR_ID] ??= CHINA_MAINLAND_CALENDAR;
  return { calendars, calendarOf: (id) => (id && calendars[id] ? id : DEFAULT_CALENDAR_ID) };
}
