import { describe, it, expect } from 'vitest';
import {
  CHINA_MAINLAND_CALENDAR as CN,
  DEFAULT_CALENDAR_ID,
  type BusinessCalendar,
  isWorkingDay,
  letterInstant,
  nextWorkingDay,
  sameWorkingDays,
  validateCalendar,
} from '../../domain/calendar';

// Expectations are worked out by hand from the calendar: 2026-01-01 is a Thursday, 2027-01-01 a Friday.
const at = (iso: string) => Date.parse(iso);

const plain: BusinessCalendar = { id: 'plain', name: 'Mon–Fri', weekendDays: [0, 6], holidays: [], makeUpWorkdays: [] };

describe('isWorkingDay', () => {
  it('works Monday to Friday and rests at the weekend on ordinary days', () => {
    expect(isWorkingDay(CN, '2026-03-09')).toBe(true); // Monday
    expect(isWorkingDay(CN, '2026-03-10')).toBe(true); // Tuesday
    expect(isWorkingDay(CN, '2026-03-13')).toBe(true); // Friday
    expect(isWorkingDay(CN, '2026-03-14')).toBe(false); // Saturday
    expect(isWorkingDay(CN, '2026-03-15')).toBe(false); // Sunday
  });

  it('knows the 2026 Spring Festival block (Sun 02-15 … Mon 02-23) and its make-up Saturdays', () => {
    expect(isWorkingDay(CN, '2026-02-13')).toBe(true); // Friday before
    expect(isWorkingDay(CN, '2026-02-14')).toBe(true); // Saturday, make-up working day
    expect(isWorkingDay(CN, '2026-02-15')).toBe(false); // Sunday, first day of the block
    expect(isWorkingDay(CN, '2026-02-16')).toBe(false); // Monday, New Year's Eve
    expect(isWorkingDay(CN, '2026-02-17')).toBe(false); // Tuesday, Spring Festival
    expect(isWorkingDay(CN, '2026-02-20')).toBe(false); // Friday inside the holiday
    expect(isWorkingDay(CN, '2026-02-23')).toBe(false); // Monday, last day
    expect(isWorkingDay(CN, '2026-02-24')).toBe(true); // Tuesday, back to work
    expect(isWorkingDay(CN, '2026-02-28')).toBe(true); // Saturday, make-up working day
    expect(isWorkingDay(CN, '2026-03-01')).toBe(false); // the Sunday after stays a weekend
  });

  it('knows National Day 2026 (Thu 10-01 … Wed 10-07) with make-ups on Sun 09-20 and Sat 10-10', () => {
    expect(isWorkingDay(CN, '2026-09-20')).toBe(true);
    expect(isWorkingDay(CN, '2026-09-25')).toBe(false); // Mid-Autumn Festival, Friday
    expect(isWorkingDay(CN, '2026-09-30')).toBe(true);
    for (const day of ['01', '02', '03', '04', '05', '06', '07'])
      expect(isWorkingDay(CN, `2026-10-${day}`)).toBe(false);
    expect(isWorkingDay(CN, '2026-10-08')).toBe(true);
    expect(isWorkingDay(CN, '2026-10-10')).toBe(true);
    expect(isWorkingDay(CN, '2026-10-11')).toBe(false);
  });

  it('knows the other 2026 holidays and make-up days', () => {
    expect(isWorkingDay(CN, '2026-01-01')).toBe(false);
    expect(isWorkingDay(CN, '2026-01-02')).toBe(false); // Friday bridged to New Year
    expect(isWorkingDay(CN, '2026-01-04')).toBe(true); // Sunday make-up
    expect(isWorkingDay(CN, '2026-04-06')).toBe(false); // Qingming, Monday
    expect(isWorkingDay(CN, '2026-05-05')).toBe(false); // Labour Day, Tuesday
    expect(isWorkingDay(CN, '2026-05-09')).toBe(true); // Saturday make-up
    expect(isWorkingDay(CN, '2026-06-19')).toBe(false); // Dragon Boat, Friday
  });

  it('a make-up day wins over the weekend, a holiday over a weekday', () => {
    const custom: BusinessCalendar = {
      ...plain,
      holidays: [{ date: '2026-03-11', name: 'Founders Day' }],
      makeUpWorkdays: [{ date: '2026-03-14', name: 'Make-up' }],
    };
    expect(isWorkingDay(custom, '2026-03-11')).toBe(false); // Wednesday holiday
    expect(isWorkingDay(custom, '2026-03-14')).toBe(true); // Saturday make-up
    expect(isWorkingDay(custom, '2026-03-15')).toBe(false); // Sunday
  });

  it('refuses something that is not a date', () => {
    expect(() => isWorkingDay(CN, '2026-02-30')).toThrow();
    expect(() => isWorkingDay(CN, '2026/03/01')).toThrow();
  });
});

describe('nextWorkingDay', () => {
  it('keeps a working day, including Friday and a make-up Saturday', () => {
    expect(nextWorkingDay(CN, '2026-03-13')).toBe('2026-03-13'); // Friday
    expect(nextWorkingDay(CN, '2026-02-14')).toBe('2026-02-14'); // make-up Saturday
  });

  it('moves a weekend to Monday', () => {
    expect(nextWorkingDay(CN, '2026-03-14')).toBe('2026-03-16'); // Saturday
    expect(nextWorkingDay(CN, '2026-03-15')).toBe('2026-03-16'); // Sunday
  });

  it('moves a holiday to the first working day after the whole block', () => {
    expect(nextWorkingDay(CN, '2026-02-15')).toBe('2026-02-24');
    expect(nextWorkingDay(CN, '2026-02-17')).toBe('2026-02-24');
    expect(nextWorkingDay(CN, '2026-10-01')).toBe('2026-10-08');
    expect(nextWorkingDay(CN, '2026-10-07')).toBe('2026-10-08');
    expect(nextWorkingDay(CN, '2026-09-26')).toBe('2026-09-28'); // Mid-Autumn Saturday → Monday
    expect(nextWorkingDay(CN, '2026-05-01')).toBe('2026-05-06'); // Labour Day Friday → Wednesday
  });

  it('crosses month ends', () => {
    expect(nextWorkingDay(CN, '2026-01-31')).toBe('2026-02-02'); // Saturday → Monday
    expect(nextWorkingDay(CN, '2026-05-30')).toBe('2026-06-01'); // Saturday → Monday
    expect(nextWorkingDay(plain, '2026-02-28')).toBe('2026-03-02'); // Saturday → Monday (not a make-up here)
  });

  it('crosses the year end', () => {
    expect(nextWorkingDay(CN, '2026-12-31')).toBe('2026-12-31'); // Thursday, working
    expect(nextWorkingDay(CN, '2027-01-01')).toBe('2027-01-04'); // New Year Friday, then the weekend
    const yearEndOff: BusinessCalendar = {
      ...CN,
      holidays: [...CN.holidays, { date: '2026-12-31', name: 'Company year-end' }],
    };
    expect(nextWorkingDay(yearEndOff, '2026-12-31')).toBe('2027-01-04');
    expect(nextWorkingDay(plain, '2027-01-01')).toBe('2027-01-01'); // no holidays: Friday works
    expect(nextWorkingDay(plain, '2027-01-02')).toBe('2027-01-04');
  });

  it('gives up after 366 days when nothing is a working day', () => {
    const never: BusinessCalendar = { ...plain, weekendDays: [0, 1, 2, 3, 4, 5, 6] };
    expect(() => nextWorkingDay(never, '2026-01-01')).toThrow(Error);
    // 2026-01-01 + 366 days = 2027-01-02: still found; one day later is not.
    expect(nextWorkingDay({ ...never, makeUpWorkdays: [{ date: '2027-01-02', name: 'far' }] }, '2026-01-01')).toBe(
      '2027-01-02',
    );
    expect(() =>
      nextWorkingDay({ ...never, makeUpWorkdays: [{ date: '2027-01-03', name: 'too far' }] }, '2026-01-01'),
    ).toThrow(Error);
  });
});

describe('letterInstant', () => {
  it('sends at 09:30 Asia/Shanghai (01:30Z) on the working day', () => {
    expect(letterInstant(CN, '2026-03-13', '09:30', 'Asia/Shanghai')).toBe(at('2026-03-13T01:30:00Z'));
    expect(letterInstant(CN, '2026-03-14', '09:30', 'Asia/Shanghai')).toBe(at('2026-03-16T01:30:00Z'));
    expect(letterInstant(CN, '2026-02-16', '09:30', 'Asia/Shanghai')).toBe(at('2026-02-24T01:30:00Z'));
    expect(letterInstant(CN, '2026-10-03', '09:30', 'Asia/Shanghai')).toBe(at('2026-10-08T01:30:00Z'));
    expect(letterInstant(CN, '2026-02-28', '09:30', 'Asia/Shanghai')).toBe(at('2026-02-28T01:30:00Z'));
  });

  it("'immediate' is local midnight of the step date, not shifted even on a holiday", () => {
    expect(letterInstant(CN, '2026-02-17', 'immediate', 'Asia/Shanghai')).toBe(at('2026-02-16T16:00:00Z'));
    expect(letterInstant(CN, '2026-03-14', 'immediate', 'Asia/Shanghai')).toBe(at('2026-03-13T16:00:00Z'));
  });

  it('follows New York daylight saving for a foreign customer (2026-03-08 and 2026-11-01)', () => {
    const ny = 'America/New_York';
    expect(letterInstant(CN, '2026-03-06', '09:30', ny)).toBe(at('2026-03-06T14:30:00Z')); // Friday, EST
    expect(letterInstant(CN, '2026-03-07', '09:30', ny)).toBe(at('2026-03-09T13:30:00Z')); // Saturday → Monday, EDT
    expect(letterInstant(CN, '2026-03-08', '09:30', ny)).toBe(at('2026-03-09T13:30:00Z'));
    expect(letterInstant(CN, '2026-10-30', '09:30', ny)).toBe(at('2026-10-30T13:30:00Z')); // Friday, EDT
    expect(letterInstant(CN, '2026-10-31', '09:30', ny)).toBe(at('2026-11-02T14:30:00Z')); // Saturday → Monday, EST
    // Midnight on the change days is before the 02:00 switch.
    expect(letterInstant(CN, '2026-03-08', 'immediate', ny)).toBe(at('2026-03-08T05:00:00Z'));
    expect(letterInstant(CN, '2026-11-01', 'immediate', ny)).toBe(at('2026-11-01T04:00:00Z'));
  });

  it('refuses a malformed send time or date', () => {
    expect(() => letterInstant(CN, '2026-03-13', '25:00', 'Asia/Shanghai')).toThrow();
    expect(() => letterInstant(CN, '2026-13-01', '09:30', 'Asia/Shanghai')).toThrow();
  });
});

describe('a Friday/Saturday weekend', () => {
  const gulf: BusinessCalendar = {
    id: 'fri-sat',
    name: 'Friday–Saturday weekend',
    weekendDays: [5, 6],
    holidays: [{ date: '2026-03-22', name: 'Holiday on a Sunday' }],
    makeUpWorkdays: [{ date: '2026-03-27', name: 'Make-up Friday' }],
  };

  it('works Sunday to Thursday', () => {
    expect(isWorkingDay(gulf, '2026-03-12')).toBe(true); // Thursday
    expect(isWorkingDay(gulf, '2026-03-13')).toBe(false); // Friday
    expect(isWorkingDay(gulf, '2026-03-14')).toBe(false); // Saturday
    expect(isWorkingDay(gulf, '2026-03-15')).toBe(true); // Sunday
    expect(nextWorkingDay(gulf, '2026-03-13')).toBe('2026-03-15');
    expect(nextWorkingDay(gulf, '2026-03-20')).toBe('2026-03-23'); // Fri, Sat, then the Sunday holiday
    expect(nextWorkingDay(gulf, '2026-03-27')).toBe('2026-03-27'); // make-up Friday
    expect(letterInstant(gulf, '2026-03-14', '09:30', 'Asia/Dubai')).toBe(at('2026-03-15T05:30:00Z'));
  });
});

describe('validateCalendar', () => {
  it('reports every problem at once with its field path', () => {
    const result = validateCalendar({
      id: '  ',
      weekendDays: [6, 7, 6, 1.5],
      holidays: [
        { date: '2026-02-30', name: 'not a day' },
        { date: '2026-10-01', name: '国庆节 National Day' },
        { date: '2026-10-01', name: 'again' },
        { date: '2026-10-02', name: '' },
      ],
      makeUpWorkdays: [{ date: '2026-10-01', name: 'clash' }, 'oops'],
    });
    expect(result.calendar).toBeUndefined();
    expect(result.refusals.map(({ code, field }) => ({ code, field }))).toEqual([
      { code: 'missing_id', field: 'id' },
      { code: 'missing_name', field: 'name' },
      { code: 'invalid_weekend_day', field: 'weekendDays.1' },
      { code: 'duplicate_weekend_day', field: 'weekendDays.2' },
      { code: 'invalid_weekend_day', field: 'weekendDays.3' },
      { code: 'invalid_date', field: 'holidays.0.date' },
      { code: 'duplicate_date', field: 'holidays.2.date' },
      { code: 'missing_day_name', field: 'holidays.3.name' },
      { code: 'holiday_and_workday', field: 'makeUpWorkdays.0.date' },
      { code: 'invalid_day', field: 'makeUpWorkdays.1' },
    ]);
    for (const refusal of result.refusals) expect(refusal.message.length).toBeGreaterThan(0);
  });

  it('refuses something that is not a calendar, or lists that are not lists', () => {
    expect(validateCalendar(null).refusals.map((r) => r.code)).toEqual(['invalid_calendar']);
    expect(validateCalendar([]).refusals.map((r) => r.code)).toEqual(['invalid_calendar']);
    expect(
      validateCalendar({ id: 'x', name: 'X', weekendDays: '0,6', holidays: {}, makeUpWorkdays: [] }).refusals,
    ).toEqual([
      expect.objectContaining({ code: 'invalid_weekend_days', field: 'weekendDays' }),
      expect.objectContaining({ code: 'invalid_day_list', field: 'holidays' }),
    ]);
  });

  it('accepts a good calendar, trimmed and sorted', () => {
    const result = validateCalendar({
      id: ' acme ',
      name: 'ACME',
      weekendDays: [6, 0],
      holidays: [
        { date: '2026-05-01', name: 'Labour Day ' },
        { date: '2026-01-01', name: 'New Year' },
      ],
      makeUpWorkdays: [],
    });
    expect(result.refusals).toEqual([]);
    expect(result.calendar).toEqual({
      id: 'acme',
      name: 'ACME',
      weekendDays: [0, 6],
      holidays: [
        { date: '2026-01-01', name: 'New Year' },
        { date: '2026-05-01', name: 'Labour Day' },
      ],
      makeUpWorkdays: [],
    });
  });

  it('accepts the built-in mainland China calendar', () => {
    expect(validateCalendar(CN).refusals).toEqual([]);
  });
});

describe('CHINA_MAINLAND_CALENDAR', () => {
  it('is the default calendar, with a Saturday–Sunday weekend', () => {
    expect(DEFAULT_CALENDAR_ID).toBe('cn-mainland');
    expect(CN.id).toBe(DEFAULT_CALENDAR_ID);
    expect([...CN.weekendDays].sort()).toEqual([0, 6]);
    expect(CN.holidays.find((day) => day.date === '2026-02-17')?.name).toBe('春节 Spring Festival');
  });

  it('has 2026 holidays and make-ups as in the State Council notice', () => {
    expect(CN.holidays.filter((day) => day.date.startsWith('2026-')).length).toBe(3 + 9 + 3 + 5 + 3 + 3 + 7);
    expect(CN.makeUpWorkdays.filter((day) => day.date.startsWith('2026-')).map((day) => day.date)).toEqual([
      '2026-01-04',
      '2026-02-14',
      '2026-02-28',
      '2026-05-09',
      '2026-09-20',
      '2026-10-10',
    ]);
  });

  it("covers 2027 (projected: New Year, Spring Festival from New Year's Eve 02-05, National Day)", () => {
    expect(isWorkingDay(CN, '2027-02-05')).toBe(false); // New Year's Eve, Friday
    expect(isWorkingDay(CN, '2027-02-08')).toBe(false); // Monday in the block
    expect(nextWorkingDay(CN, '2027-02-05')).toBe('2027-02-15');
    expect(nextWorkingDay(CN, '2027-10-01')).toBe('2027-10-08');
  });

  it('cannot be changed in place', () => {
    expect(Object.isFrozen(CN)).toBe(true);
    expect(Object.isFrozen(CN.holidays)).toBe(true);
  });
});

describe('sameWorkingDays', () => {
  const base: BusinessCalendar = {
    id: 'x',
    name: 'weekends',
    weekendDays: [0, 6],
    holidays: [{ date: '2026-12-25', name: 'Christmas' }],
    makeUpWorkdays: [],
  };
  it('ignores names, and notices any change of weekend, holiday or make-up working day', () => {
    expect(sameWorkingDays(base, { ...base, name: 'renamed', holidays: [{ date: '2026-12-25', name: 'Xmas' }] })).toBe(
      true,
    );
    expect(sameWorkingDays(base, { ...base, weekendDays: [0] })).toBe(false);
    expect(sameWorkingDays(base, { ...base, holidays: [] })).toBe(false);
    expect(sameWorkingDays(base, { ...base, makeUpWorkdays: [{ date: '2026-12-26', name: 'make-up' }] })).toBe(false);
  });
});
