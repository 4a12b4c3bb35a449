import { describe, expect, it } from 'vitest';
import { KEPT_MONTH_ENDS, SETTLE_DAYS, monthEndsToKeep } from '../../services/receivable-snapshots';

const instant = (local: string) => Date.parse(`${local}+08:00`);

describe('month-ends to keep', () => {
  it(`are the last ${KEPT_MONTH_ENDS} month-ends that ended ${SETTLE_DAYS} days or more ago, oldest first`, () => {
    const days = monthEndsToKeep(instant('2026-12-04T00:00:00'), 'Asia/Shanghai');
    expect(days).toHaveLength(KEPT_MONTH_ENDS);
    expect(days.at(-1)).toBe('2026-11-30');
    expect(days.slice(0, 3)).toEqual(['2023-11-30', '2023-12-31', '2024-01-31']);
    expect(days).toContain('2024-02-29');
  });

  it('leave out the month-end that ended less than three days ago', () => {
    const days = monthEndsToKeep(instant('2026-12-03T23:59:59'), 'Asia/Shanghai');
    expect(days.at(-1)).toBe('2026-10-31');
    expect(days[0]).toBe('2023-10-31');
    expect(days).toHaveLength(KEPT_MONTH_ENDS);
  });

  it('are the month-ends of the time zone asked for', () => {
    // 2026-12-04 06:00 in Shanghai is 12-03 17:00 in New York: November's end is settled in Shanghai only
    expect(monthEndsToKeep(instant('2026-12-04T06:00:00'), 'America/New_York').at(-1)).toBe('2026-10-31');
    expect(monthEndsToKeep(instant('2026-12-04T06:00:00'), 'Asia/Shanghai').at(-1)).toBe('2026-11-30');
  });
});
