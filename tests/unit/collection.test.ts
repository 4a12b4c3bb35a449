import { describe, expect, it } from 'vitest';
import { daysOverdue, dueDateFor } from '../../domain/collection';

describe('dueDateFor and daysOverdue', () => {
  it('adds the term days to the invoice date', () => {
    expect(dueDateFor('2026-10-24', 30)).toBe('2026-11-23');
    expect(dueDateFor('2026-12-15', 30)).toBe('2027-01-14');
    expect(dueDateFor('2026-01-31', 28)).toBe('2026-02-28');
    expect(dueDateFor('2028-01-31', 29)).toBe('2028-02-29');
    expect(dueDateFor('2026-11-23', 0)).toBe('2026-11-23');
  });

  it('counts days past due, negative before', () => {
    expect(daysOverdue('2026-11-23', '2026-12-13')).toBe(20);
    expect(daysOverdue('2026-11-23', '2026-11-23')).toBe(0);
    expect(daysOverdue('2026-11-23', '2026-11-16')).toBe(-7);
    expect(daysOverdue('2026-12-20', '2027-01-04')).toBe(15);
  });
});
