import { describe, it, expect } from 'vitest';
import {
  DEFAULT_TIME_ZONE,
  addDays,
  daysBetween,
  formatDate,
  isLocalDate,
  isTimeZone,
  localDateOf,
  zonedInstant,
} from '../../domain/dates';

const at = (iso: string) => Date.parse(iso);

describe('isLocalDate', () => {
  it('accepts real calendar dates', () => {
    expect(isLocalDate('2026-11-23')).toBe(true);
    expect(isLocalDate('2026-01-01')).toBe(true);
    expect(isLocalDate('2026-12-31')).toBe(true);
    expect(isLocalDate('2026-02-28')).toBe(true);
  });

  it('knows leap years', () => {
    expect(isLocalDate('2026-02-29')).toBe(false);
    expect(isLocalDate('2028-02-29')).toBe(true);
    expect(isLocalDate('2000-02-29')).toBe(true); // divisible by 400
    expect(isLocalDate('2100-02-29')).toBe(false); // divisible by 100, not 400
  });

  it('refuses impossible days and months', () => {
    expect(isLocalDate('2026-04-31')).toBe(false);
    expect(isLocalDate('2026-02-30')).toBe(false);
    expect(isLocalDate('2026-13-01')).toBe(false);
    expect(isLocalDate('2026-00-10')).toBe(false);
    expect(isLocalDate('2026-01-00')).toBe(false);
  });

  it('refuses other formats', () => {
    for (const text of [
      '',
      '2026-1-05',
      '2026-01-5',
      '26-01-05',
      '2026/01/05',
      '2026-01-05T00:00:00Z',
      ' 2026-01-05',
      '20260105',
      'abcd-ef-gh',
    ]) {
      expect(isLocalDate(text), text).toBe(false);
    }
  });
});

describe('isTimeZone', () => {
  it('recognises IANA zones and refuses nonsense', () => {
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(DEFAULT_TIME_ZONE).toBe('Asia/Shanghai');
  });
});

describe('addDays', () => {
  it('adds within a month', () => {
    expect(addDays('2026-11-13', 10)).toBe('2026-11-23');
    expect(addDays('2026-11-23', 0)).toBe('2026-11-23');
  });

  it('crosses month ends', () => {
    expect(addDays('2026-01-31', 1)).toBe('2026-02-01');
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-10-24', 30)).toBe('2026-11-23');
    expect(addDays('2026-04-30', 1)).toBe('2026-05-01');
  });

  it('crosses year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-12-25', 30)).toBe('2027-01-24');
    expect(addDays('2026-12-01', 365)).toBe('2027-12-01');
  });

  it('goes backwards with negative days', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2027-01-03', -7)).toBe('2026-12-27');
    expect(addDays('2026-11-23', -10)).toBe('2026-11-13');
  });

  it('is not disturbed by daylight-saving days', () => {
    // US and EU clock changes in 2026; dates are zone-free so nothing shifts.
    expect(addDays('2026-03-07', 1)).toBe('2026-03-08');
    expect(addDays('2026-03-08', 1)).toBe('2026-03-09');
    expect(addDays('2026-10-25', 1)).toBe('2026-10-26');
    expect(addDays('2026-11-01', 1)).toBe('2026-11-02');
  });
});

describe('daysBetween', () => {
  it('counts calendar days from one date to another', () => {
    expect(daysBetween('2026-11-23', '2026-11-23')).toBe(0);
    expect(daysBetween('2026-11-23', '2026-11-24')).toBe(1);
    expect(daysBetween('2026-11-23', '2026-12-13')).toBe(20);
    expect(daysBetween('2026-01-31', '2026-03-01')).toBe(29);
    expect(daysBetween('2028-01-31', '2028-03-01')).toBe(30);
  });

  it('counts whole years', () => {
    expect(daysBetween('2026-01-01', '2027-01-01')).toBe(365);
    expect(daysBetween('2028-01-01', '2029-01-01')).toBe(366);
  });

  it('is negative when the second date is earlier', () => {
    expect(daysBetween('2026-11-23', '2026-11-16')).toBe(-7);
    expect(daysBetween('2027-01-01', '2026-12-31')).toBe(-1);
  });
});

describe('localDateOf', () => {
  it('gives the Shanghai date across Shanghai midnight (UTC+8)', () => {
    expect(localDateOf(at('2026-11-22T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2026-11-22');
    expect(localDateOf(at('2026-11-22T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-11-23');
    expect(localDateOf(at('2026-11-22T16:30:00Z'), 'Asia/Shanghai')).toBe('2026-11-23');
    expect(localDateOf(at('2026-12-31T16:00:00Z'), 'Asia/Shanghai')).toBe('2027-01-01');
  });

  it('gives different dates in different zones for the same instant', () => {
    const instant = at('2026-11-22T16:30:00Z');
    expect(localDateOf(instant, 'UTC')).toBe('2026-11-22');
    expect(localDateOf(instant, 'America/New_York')).toBe('2026-11-22');
    expect(localDateOf(at('2026-11-23T04:59:00Z'), 'America/New_York')).toBe('2026-11-22'); // 23:59 EST
    expect(localDateOf(at('2026-11-23T05:00:00Z'), 'America/New_York')).toBe('2026-11-23'); // 00:00 EST
  });
});

describe('zonedInstant', () => {
  it('places 09:30 in Shanghai at 01:30 UTC', () => {
    expect(zonedInstant('2026-11-23', '09:30', 'Asia/Shanghai')).toBe(at('2026-11-23T01:30:00Z'));
  });

  it('places Shanghai midnight on the evening before in UTC', () => {
    expect(zonedInstant('2026-11-23', '00:00', 'Asia/Shanghai')).toBe(at('2026-11-22T16:00:00Z'));
    expect(zonedInstant('2027-01-01', '00:00', 'Asia/Shanghai')).toBe(at('2026-12-31T16:00:00Z'));
  });

  it('is the inverse of localDateOf for the date', () => {
    const instant = zonedInstant('2026-11-23', '00:00', 'Asia/Shanghai');
    expect(localDateOf(instant, 'Asia/Shanghai')).toBe('2026-11-23');
    expect(localDateOf(instant - 1, 'Asia/Shanghai')).toBe('2026-11-22');
  });

  it('follows New York across the spring-forward day (2026-03-08, 02:00 EST → 03:00 EDT)', () => {
    const zone = 'America/New_York';
    expect(zonedInstant('2026-03-07', '09:30', zone)).toBe(at('2026-03-07T14:30:00Z')); // EST, UTC-5
    expect(zonedInstant('2026-03-08', '00:00', zone)).toBe(at('2026-03-08T05:00:00Z')); // still EST
    expect(zonedInstant('2026-03-08', '01:30', zone)).toBe(at('2026-03-08T06:30:00Z')); // still EST
    expect(zonedInstant('2026-03-08', '03:30', zone)).toBe(at('2026-03-08T07:30:00Z')); // EDT, UTC-4
    expect(zonedInstant('2026-03-08', '09:30', zone)).toBe(at('2026-03-08T13:30:00Z')); // EDT
    expect(zonedInstant('2026-03-09', '09:30', zone)).toBe(at('2026-03-09T13:30:00Z'));
  });

  it('follows New York across the fall-back day (2026-11-01, 02:00 EDT → 01:00 EST)', () => {
    const zone = 'America/New_York';
    expect(zonedInstant('2026-10-31', '09:30', zone)).toBe(at('2026-10-31T13:30:00Z')); // EDT
    expect(zonedInstant('2026-11-01', '00:00', zone)).toBe(at('2026-11-01T04:00:00Z')); // still EDT
    expect(zonedInstant('2026-11-01', '09:30', zone)).toBe(at('2026-11-01T14:30:00Z')); // EST
    expect(zonedInstant('2026-11-02', '09:30', zone)).toBe(at('2026-11-02T14:30:00Z'));
  });

  it('picks one of the two instants of a repeated New York hour', () => {
    // 01:30 happens twice on 2026-11-01: 05:30Z (EDT) and 06:30Z (EST).
    const instant = zonedInstant('2026-11-01', '01:30', 'America/New_York');
    expect([at('2026-11-01T05:30:00Z'), at('2026-11-01T06:30:00Z')]).toContain(instant);
  });

  it('follows Berlin across both 2026 clock changes (03-29 and 10-25)', () => {
    const zone = 'Europe/Berlin';
    expect(zonedInstant('2026-01-15', '09:30', zone)).toBe(at('2026-01-15T08:30:00Z')); // CET, UTC+1
    expect(zonedInstant('2026-07-15', '09:30', zone)).toBe(at('2026-07-15T07:30:00Z')); // CEST, UTC+2
    expect(zonedInstant('2026-03-29', '00:00', zone)).toBe(at('2026-03-28T23:00:00Z')); // still CET
    expect(zonedInstant('2026-03-29', '01:30', zone)).toBe(at('2026-03-29T00:30:00Z')); // still CET
    expect(zonedInstant('2026-03-29', '03:30', zone)).toBe(at('2026-03-29T01:30:00Z')); // CEST
    expect(zonedInstant('2026-03-29', '09:30', zone)).toBe(at('2026-03-29T07:30:00Z')); // CEST
    expect(zonedInstant('2026-10-25', '00:00', zone)).toBe(at('2026-10-24T22:00:00Z')); // still CEST
    expect(zonedInstant('2026-10-25', '09:30', zone)).toBe(at('2026-10-25T08:30:00Z')); // CET
  });

  it('handles a zone west of UTC and UTC itself', () => {
    expect(zonedInstant('2026-11-23', '09:30', 'UTC')).toBe(at('2026-11-23T09:30:00Z'));
    expect(zonedInstant('2026-11-23', '23:59', 'Asia/Shanghai')).toBe(at('2026-11-23T15:59:00Z'));
  });

  // BUG (domain/dates.ts zonedInstant): when the requested wall time does not exist because the
  // clocks jump forward over it, the result lands *before* the gap instead of after it. In
  // America/Santiago, 2026-09-06 starts at 01:00 -03 (00:00 -04 is skipped), so the start of that
  // day is 2026-09-06T04:00Z. zonedInstant returns 2026-09-06T03:00Z, which is 23:00 on 2026-09-05
  // local time: a letter scheduled 'immediate' for 09-06 would go out on the previous day.
  it('puts a skipped midnight at the first instant of the day (America/Santiago, 2026-09-06)', () => {
    const instant = zonedInstant('2026-09-06', '00:00', 'America/Santiago');
    expect(localDateOf(instant, 'America/Santiago')).toBe('2026-09-06');
    expect(instant).toBe(at('2026-09-06T04:00:00Z'));
  });
});

describe('formatDate', () => {
  it('writes a date for zh-CN readers', () => {
    expect(formatDate('2026-11-23', 'zh-CN')).toBe('2026年11月23日');
    expect(formatDate('2027-01-05', 'zh-CN')).toBe('2027年1月5日');
  });

  it('writes a date for English readers', () => {
    expect(formatDate('2026-11-23', 'en')).toBe('November 23, 2026');
    expect(formatDate('2027-01-05', 'en')).toBe('January 5, 2027');
  });

  it('does not shift the day whatever the machine zone', () => {
    expect(formatDate('2026-01-01', 'en')).toBe('January 1, 2026');
    expect(formatDate('2026-12-31', 'zh-CN')).toBe('2026年12月31日');
  });
});
