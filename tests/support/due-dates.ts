import { CHINA_MAINLAND_CALENDAR, isWorkingDay, nextWorkingDay } from '../../domain/calendar';
import { addDays } from '../../domain/dates';

const CAL = CHINA_MAINLAND_CALENDAR;

/** The first date on or after `from` that falls on `weekday` (0 = Sunday). */
export function weekdayOnOrAfter(from: string, weekday: number): string {
  let date = from;
  while (new Date(`${date}T00:00:00Z`).getUTCDay() !== weekday) date = addDays(date, 1);
  return date;
}

/**
 * A due date for a test that expects the pre-due, due and +1 day letters on days of their own: the first
 * `weekday` (Monday to Thursday) on or after `from` whose three letters each fall on a separate working day of
 * the China calendar, and that passes `also`. The test server's clock starts at the real date, so a due date
 * a fixed number of days out would sometimes land in a holiday week and merge or move those letters.
 */
export function ordinaryDueDate(from: string, weekday: number, also: (due: string) => boolean = () => true): string {
  let due = weekdayOnOrAfter(from, weekday);
  for (let week = 0; week < 52; week += 1, due = addDays(due, 7))
    if (lettersOnDaysOfTheirOwn(due) && also(due)) return due;
  throw new Error(`no ordinary week for a due date on weekday ${weekday} within a year of ${from}`);
}

function lettersOnDaysOfTheirOwn(due: string): boolean {
  return isWorkingDay(CAL, due) && isWorkingDay(CAL, addDays(due, 1)) && nextWorkingDay(CAL, addDays(due, -3)) < due;
}
