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
  const ids = [...new Set([calendarId ?? DEFAULT_CALENDAR_ID, DEFAULT_CALENDAR_ID])];
  const rows = await db.selectFrom('calendars').select(['id', 'definition']).where('id', 'in', ids).execute();
  const stored = rows.find((r) => r.id === ids[0]) ?? rows.find((r) => r.id === DEFAULT_CALENDAR_ID);
  return stored ? stored.definition : CHINA_MAINLAND_CALENDAR;
}
