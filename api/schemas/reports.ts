import { z } from 'zod';
import { MAX_TREND_MONTHS } from '../../read-models/reports/trend';

/**
 * The query of GET /api/v1/reports/trend: DSO and CEI of each month from `from` to `to` (YYYY-MM, both
 * included), at most MAX_TREND_MONTHS months; by default the last six months up to the current one. An
 * empty parameter is the same as none; a repeated one is refused.
 */

export const DEFAULT_TREND_MONTHS = 6;

const emptyIsAbsent = (text: string | undefined) => (text === undefined || text === '' ? undefined : text);

const Month = z
  .string({ error: 'must be given once, as a month YYYY-MM' })
  .optional()
  .transform(emptyIsAbsent)
  .pipe(
    z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/, { message: 'must be a month YYYY-MM', abort: true })
      .refine((month) => month >= '1900-01' && month <= '2999-12', 'must be between 1900-01 and 2999-12')
      .optional(),
  );

/** Months counted from year 0: the distance between two months is a subtraction. */
export const monthIndex = (month: string) => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;
export const monthOfIndex = (index: number) =>
  `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;

/** The schema with today's month (in the report's time zone) for the defaults. */
export function trendQuerySchema(currentMonth: string) {
  return z
    .object({ from: Month, to: Month })
    .transform(({ from, to }) => {
      const last = to ?? currentMonth;
      return { from: from ?? monthOfIndex(monthIndex(last) - (DEFAULT_TREND_MONTHS - 1)), to: last };
    })
    .superRefine(({ from, to }, ctx) => {
      if (from > to) ctx.addIssue({ code: 'custom', path: ['from'], message: `must not be after to (${to})` });
      else if (monthIndex(to) - monthIndex(from) + 1 > MAX_TREND_MONTHS)
        ctx.addIssue({
          code: 'custom',
          path: ['from'],
          message: `at most ${MAX_TREND_MONTHS} months from … to (${to}); from may be ${monthOfIndex(monthIndex(to) - MAX_TREND_MONTHS + 1)} at the earliest`,
        });
    });
}

/** What the route table and the OpenAPI document say about each parameter. */
export const TREND_QUERY_DOC: Record<'from' | 'to', string> = {
  from: `first month YYYY-MM, default ${DEFAULT_TREND_MONTHS - 1} months before \`to\`; at most ${MAX_TREND_MONTHS} months in all`,
  to: 'last month YYYY-MM, default the current month (up to today); months that begin after today are left out',
};
