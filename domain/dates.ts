/**
 * Calendar dates are ISO strings ("2026-11-23") meaning a day in a named time zone;
 * instants are epoch milliseconds. Only Intl is used, so this runs inside workflows too.
 */
export type LocalDate = string;

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
/** A calendar day in milliseconds (for durations; local dates go through addDays and daysBetween). */
export const DAY_MS = 86_400_000;

export function isLocalDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

export function isTimeZone(zone: string): boolean {
  try {
    dateFormatter(zone);
    return true;
  } catch {
    return false;
  }
}

/**
 * Building an Intl.DateTimeFormat costs far more than using one (it dominated the workflow
 * thread's profile), so each kind is built once per time zone or locale and kept.
 */
function cached<T>(build: (key: string) => T): (key: string) => T {
  const byKey = new Map<string, T>();
  return (key) => {
    let value = byKey.get(key);
    if (value === undefined) {
      value = build(key);
      byKey.set(key, value);
    }
    return value;
  };
}

const dateFormatter = cached(
  (timeZone) =>
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }),
);

const wallClockFormatter = cached(
  (timeZone) =>
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    }),
);

const longDateFormatter = cached(
  (locale) => new Intl.DateTimeFormat(locale === 'en' ? 'en-US' : locale, { dateStyle: 'long', timeZone: 'UTC' }),
);

export function addDays(date: LocalDate, days: number): LocalDate {
  const ms = Date.parse(`${date}T00:00:00Z`) + days * DAY_MS;
  return new Date(ms).toISOString().slice(0, 10);
}

/** The first day of the month of a date. */
export function firstOfMonth(date: LocalDate): LocalDate {
  return `${date.slice(0, 7)}-01`;
}

export function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** The calendar date of an instant as seen in a time zone. */
export function localDateOf(instant: number, timeZone: string): LocalDate {
  const parts = dateFormatter(timeZone).formatToParts(new Date(instant));
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** How far the zone's wall clock is ahead of UTC at an instant, in milliseconds. */
function zoneOffset(instant: number, timeZone: string): number {
  const parts = wallClockFormatter(timeZone).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant when the wall clock in a zone shows the given date and time ("09:30"). A time that
 * occurs twice (clocks turned back) gives the earlier instant; a time skipped by clocks turned
 * forward gives the instant just after the jump, as the wall clock would read it moved forward.
 */
export function zonedInstant(date: LocalDate, time: string, timeZone: string): number {
  const [hour, minute] = time.split(':').map(Number);
  const wall = Date.parse(`${date}T00:00:00Z`) + (hour * 60 + minute) * 60_000;
  // Offsets on either side of any clock change near this wall time (changes are months apart).
  const offsetBefore = zoneOffset(wall - 14 * 3_600_000, timeZone);
  const offsetAfter = zoneOffset(wall + 14 * 3_600_000, timeZone);
  const matches = [wall - offsetBefore, wall - offsetAfter].filter(
    (instant) => instant + zoneOffset(instant, timeZone) === wall,
  );
  if (matches.length > 0) return Math.min(...matches);
  return wall - offsetBefore;
}

/** A calendar date written for people: "2026年11月23日" or "November 23, 2026". */
export function formatDate(date: LocalDate, locale: string): string {
  return longDateFormatter(locale).format(new Date(`${date}T00:00:00Z`));
}
