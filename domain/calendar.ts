/**
 * Business calendar (SPEC section 4): letters go out on working days at a configured local time.
 * Weekends, public holidays and make-up working days (调休) are data an admin can edit.
 * Pure: no clock, no I/O, no randomness; only plain JS and Intl (via ./dates), so it runs in workflows.
 */
import { addDays, isLocalDate, zonedInstant, type LocalDate } from './dates';
import type { SendTime } from './collection';
import type { Refusal } from './refusal';

export interface CalendarDay {
  date: LocalDate;
  name: string;
}

export interface BusinessCalendar {
  id: string;
  name: string;
  /** Days of the week that are not worked: 0 = Sunday … 6 = Saturday. */
  weekendDays: number[];
  /** Days off even when they fall on a weekday. */
  holidays: CalendarDay[];
  /** 调休: days worked even when they fall on a weekend day. */
  makeUpWorkdays: CalendarDay[];
}

export const DEFAULT_CALENDAR_ID = 'cn-mainland';

/** Whether two calendars make the same days working days (their names aside). */
export function sameWorkingDays(a: BusinessCalendar, b: BusinessCalendar): boolean {
  const days = (list: CalendarDay[]) => list.map((day) => day.date).join();
  return (
    a.weekendDays.join() === b.weekendDays.join() &&
    days(a.holidays) === days(b.holidays) &&
    days(a.makeUpWorkdays) === days(b.makeUpWorkdays)
  );
}

/** How far nextWorkingDay looks before deciding the calendar has no working day at all. */
const MAX_SEARCH_DAYS = 366;

function dayOfWeek(date: LocalDate): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

function requireDate(date: LocalDate): void {
  if (typeof date !== 'string' || !isLocalDate(date))
    throw new Error(`not a calendar date (YYYY-MM-DD): ${String(date)}`);
}

interface CalendarIndex {
  makeUp: Set<LocalDate>;
  holidays: Set<LocalDate>;
}

/** The calendar's special days as sets, built once per calendar object (a ladder decision asks hundreds of times). */
const indexes = new WeakMap<BusinessCalendar, CalendarIndex>();

function indexOf(calendar: BusinessCalendar): CalendarIndex {
  let index = indexes.get(calendar);
  if (!index) {
    index = {
      makeUp: new Set(calendar.makeUpWorkdays.map((d) => d.date)),
      holidays: new Set(calendar.holidays.map((d) => d.date)),
    };
    indexes.set(calendar, index);
  }
  return index;
}

function workingDay(calendar: BusinessCalendar, date: LocalDate): boolean {
  const index = indexOf(calendar);
  if (index.makeUp.has(date)) return true;
  if (index.holidays.has(date)) return false;
  return !calendar.weekendDays.includes(dayOfWeek(date));
}

/** A make-up workday is worked even on a weekend; a holiday is off even on a weekday. */
export function isWorkingDay(calendar: BusinessCalendar, date: LocalDate): boolean {
  requireDate(date);
  return workingDay(calendar, date);
}

/** The date itself when it is a working day, else the first working day after it. */
export function nextWorkingDay(calendar: BusinessCalendar, date: LocalDate): LocalDate {
  requireDate(date);
  for (let offset = 0; offset <= MAX_SEARCH_DAYS; offset += 1) {
    const candidate = addDays(date, offset);
    if (workingDay(calendar, candidate)) return candidate;
  }
  throw new Error(`calendar ${calendar.id} has no working day within ${MAX_SEARCH_DAYS} days after ${date}`);
}

/**
 * The date `days` working days after `date` (0: `date` itself when it is a working day, else the next one).
 * Counted from the day after `date`, so a Saturday start is one working day from Monday, as a Friday's is.
 */
export function addWorkingDays(calendar: BusinessCalendar, date: LocalDate, days: number): LocalDate {
  let current = days === 0 ? nextWorkingDay(calendar, date) : date;
  for (let counted = 0; counted < days; counted += 1) current = nextWorkingDay(calendar, addDays(current, 1));
  return current;
}

const CLOCK_TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/**
 * The epoch milliseconds at which a letter whose step date is `date` goes out. 'immediate' (demos and
 * tests) is the start of `date` in `timeZone`, not shifted to a working day; otherwise it is the
 * configured local time ("09:30") on the first working day on or after `date`.
 */
export function letterInstant(
  calendar: BusinessCalendar,
  date: LocalDate,
  sendTime: SendTime,
  timeZone: string,
): number {
  requireDate(date);
  if (sendTime === 'immediate') return zonedInstant(date, '00:00', timeZone);
  if (!CLOCK_TIME.test(sendTime)) throw new Error(`not a send time (HH:MM or 'immediate'): ${sendTime}`);
  return zonedInstant(nextWorkingDay(calendar, date), sendTime, timeZone);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyText(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

/**
 * Checks a calendar sent by an admin and reports every problem at once, each with its field path
 * ("holidays[3].date"). The calendar comes back (trimmed, days sorted by date) only when nothing is wrong.
 */
export function validateCalendar(input: unknown): { calendar?: BusinessCalendar; refusals: Refusal[] } {
  const refusals: Refusal[] = [];
  if (!isRecord(input)) {
    return {
      refusals: [
        {
          code: 'invalid_calendar',
          message: 'a calendar must be an object with id, name, weekendDays, holidays and makeUpWorkdays',
        },
      ],
    };
  }

  if (!nonEmptyText(input.id)) refusals.push({ code: 'missing_id', field: 'id', message: 'the calendar needs an id' });
  if (!nonEmptyText(input.name))
    refusals.push({ code: 'missing_name', field: 'name', message: 'the calendar needs a name' });

  const weekendDays: number[] = [];
  if (!Array.isArray(input.weekendDays)) {
    refusals.push({
      code: 'invalid_weekend_days',
      field: 'weekendDays',
      message: 'weekendDays must be a list of days of the week (0 = Sunday … 6 = Saturday)',
    });
  } else {
    input.weekendDays.forEach((day: unknown, index) => {
      const field = `weekendDays.${index}`;
      if (typeof day !== 'number' || !Number.isInteger(day) || day < 0 || day > 6) {
        refusals.push({
          code: 'invalid_weekend_day',
          field,
          message: `a day of the week is a whole number from 0 (Sunday) to 6 (Saturday), not ${JSON.stringify(day)}`,
        });
      } else if (weekendDays.includes(day)) {
        refusals.push({ code: 'duplicate_weekend_day', field, message: `day ${day} is listed twice in weekendDays` });
      } else {
        weekendDays.push(day);
      }
    });
  }

  // Where each valid date was first seen, across both lists.
  const seen = new Map<LocalDate, string>();
  const readDays = (list: 'holidays' | 'makeUpWorkdays'): CalendarDay[] => {
    const value = input[list];
    const days: CalendarDay[] = [];
    if (!Array.isArray(value)) {
      refusals.push({ code: 'invalid_day_list', field: list, message: `${list} must be a list of { date, name }` });
      return days;
    }
    value.forEach((entry: unknown, index) => {
      const field = `${list}.${index}`;
      if (!isRecord(entry)) {
        refusals.push({
          code: 'invalid_day',
          field,
          message: 'each day must be an object { date: "YYYY-MM-DD", name }',
        });
        return;
      }
      const { date, name } = entry;
      const dateOk = typeof date === 'string' && isLocalDate(date);
      if (!dateOk) {
        refusals.push({
          code: 'invalid_date',
          field: `${field}.date`,
          message: `not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`,
        });
      }
      if (!nonEmptyText(name)) {
        refusals.push({
          code: 'missing_day_name',
          field: `${field}.name`,
          message: 'each day needs a name, e.g. "春节 Spring Festival"',
        });
      }
      if (dateOk) {
        const earlier = seen.get(date);
        if (earlier === undefined) {
          seen.set(date, field);
        } else if (earlier.startsWith(`${list}.`)) {
          refusals.push({
            code: 'duplicate_date',
            field: `${field}.date`,
            message: `${date} is already listed at ${earlier}`,
          });
        } else {
          refusals.push({
            code: 'holiday_and_workday',
            field: `${field}.date`,
            message: `${date} cannot be both a holiday and a make-up workday (see ${earlier})`,
          });
        }
      }
      if (dateOk && nonEmptyText(name)) days.push({ date, name: name.trim() });
    });
    return days.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  };
  const holidays = readDays('holidays');
  const makeUpWorkdays = readDays('makeUpWorkdays');

  if (refusals.length > 0) return { refusals };
  return {
    calendar: {
      id: (input.id as string).trim(),
      name: (input.name as string).trim(),
      weekendDays: [...weekendDays].sort((a, b) => a - b),
      holidays,
      makeUpWorkdays,
    },
    refusals,
  };
}

/** Every date from `first` to `last` inclusive, all with the same name. */
function span(first: LocalDate, last: LocalDate, name: string): CalendarDay[] {
  const days: CalendarDay[] = [];
  for (let date = first; date <= last; date = addDays(date, 1)) days.push({ date, name });
  return days;
}

const NEW_YEAR = "元旦 New Year's Day";
const SPRING_FESTIVAL = '春节 Spring Festival';
const QINGMING = '清明节 Qingming Festival';
const LABOUR_DAY = '劳动节 Labour Day';
const DRAGON_BOAT = '端午节 Dragon Boat Festival';
const MID_AUTUMN = '中秋节 Mid-Autumn Festival';
const NATIONAL_DAY = '国庆节 National Day';
/** "春节 Spring Festival" → "春节调休上班 Spring Festival make-up working day". */
function makeUp(holiday: string): string {
  const [chinese, ...english] = holiday.split(' ');
  return `${chinese}调休上班 ${english.join(' ')} make-up working day`;
}

function deepFreeze<T extends BusinessCalendar>(calendar: T): T {
  for (const day of [...calendar.holidays, ...calendar.makeUpWorkdays]) Object.freeze(day);
  Object.freeze(calendar.weekendDays);
  Object.freeze(calendar.holidays);
  Object.freeze(calendar.makeUpWorkdays);
  return Object.freeze(calendar);
}

/**
 * Public holidays and make-up working days (调休) of mainland China. Frozen: copy it to edit.
 *
 * 2026 — OFFICIAL: 国务院办公厅关于2026年部分节假日安排的通知 (State Council General Office,
 * 4 November 2025).
 *
 * 2027 — PROJECTION, NOT OFFICIAL. The 2027 notice is normally published in November of the year
 * before and was not available when this was written. The dates below apply the statutory days of
 * the 全国年节及纪念日放假办法 as amended in 2024 (in force 1 January 2025: New Year 1 day, Spring
 * Festival 4 days from New Year's Eve, Qingming 1, Labour Day 2, Dragon Boat 1, Mid-Autumn 1,
 * National Day 3) and the bridging principles published with that amendment (Spring Festival 8 days
 * from New Year's Eve, Labour Day 5, National Day 7 from 1 October, the single-day festivals joined
 * with the weekend into 3 days unless they fall on a Wednesday, at most 6 consecutive working days),
 * with make-up days placed as in earlier years with the same weekdays. Lunar dates: Spring Festival
 * 2027-02-06 (New Year's Eve 02-05), Dragon Boat 06-09, Mid-Autumn 09-15; Qingming 04-05.
 * Admins MUST check the 2027 entries against the official notice once published and correct them
 * through the calendar API.
 */
export const CHINA_MAINLAND_CALENDAR: BusinessCalendar = deepFreeze({
  id: DEFAULT_CALENDAR_ID,
  name: '中国大陆 Mainland China',
  weekendDays: [0, 6],
  holidays: [
    // 2026 (official)
    ...span('2026-01-01', '2026-01-03', NEW_YEAR),
    ...span('2026-02-15', '2026-02-23', SPRING_FESTIVAL),
    ...span('2026-04-04', '2026-04-06', QINGMING),
    ...span('2026-05-01', '2026-05-05', LABOUR_DAY),
    ...span('2026-06-19', '2026-06-21', DRAGON_BOAT),
    ...span('2026-09-25', '2026-09-27', MID_AUTUMN),
    ...span('2026-10-01', '2026-10-07', NATIONAL_DAY),
    // 2027 (projection: check against the official notice)
    ...span('2027-01-01', '2027-01-03', NEW_YEAR),
    ...span('2027-02-05', '2027-02-12', SPRING_FESTIVAL), // then the weekend: off 02-05 … 02-14
    ...span('2027-04-03', '2027-04-05', QINGMING),
    ...span('2027-05-01', '2027-05-05', LABOUR_DAY),
    { date: '2027-06-09', name: DRAGON_BOAT },
    { date: '2027-09-15', name: MID_AUTUMN },
    ...span('2027-10-01', '2027-10-07', NATIONAL_DAY),
  ],
  makeUpWorkdays: [
    // 2026 (official)
    { date: '2026-01-04', name: makeUp(NEW_YEAR) },
    { date: '2026-02-14', name: makeUp(SPRING_FESTIVAL) },
    { date: '2026-02-28', name: makeUp(SPRING_FESTIVAL) },
    { date: '2026-05-09', name: makeUp(LABOUR_DAY) },
    { date: '2026-09-20', name: makeUp(NATIONAL_DAY) },
    { date: '2026-10-10', name: makeUp(NATIONAL_DAY) },
    // 2027 (projection: check against the official notice)
    { date: '2027-01-30', name: makeUp(SPRING_FESTIVAL) },
    { date: '2027-02-20', name: makeUp(SPRING_FESTIVAL) },
    { date: '2027-05-08', name: makeUp(LABOUR_DAY) },
    { date: '2027-09-26', name: makeUp(NATIONAL_DAY) },
    { date: '2027-10-09', name: makeUp(NATIONAL_DAY) },
  ],
});
