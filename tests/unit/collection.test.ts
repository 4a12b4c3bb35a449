import { describe, it, expect } from 'vitest';
import {
  LETTER_STEPS, PRE_DUE_DAYS, type ScheduledLetter, daysOverdue, decideNextLetter, dueDateFor, letterSchedule,
} from '../../domain/collection';

const at = (iso: string) => Date.parse(iso);
const SHANGHAI = 'Asia/Shanghai';

describe('letterSchedule', () => {
  it('has the three first rungs of the ladder in order', () => {
    expect(LETTER_STEPS).toEqual(['pre_due', 'due', 'overdue_1']);
    expect(PRE_DUE_DAYS).toEqual({ advance: 7, progress: 3, final: 10, retention: 10 });
  });

  it('sends an advance milestone courtesy reminder 7 days before due, at 09:30 Shanghai', () => {
    expect(letterSchedule({ dueDate: '2026-11-23', milestoneKind: 'advance', timeZone: SHANGHAI, sendTime: '09:30' })).toEqual([
      { step: 'pre_due', offsetDays: -7, date: '2026-11-16', at: at('2026-11-16T01:30:00Z') },
      { step: 'due', offsetDays: 0, date: '2026-11-23', at: at('2026-11-23T01:30:00Z') },
      { step: 'overdue_1', offsetDays: 1, date: '2026-11-24', at: at('2026-11-24T01:30:00Z') },
    ]);
  });

  it('reminds 3 days before due for a progress milestone', () => {
    const [preDue] = letterSchedule({ dueDate: '2026-11-23', milestoneKind: 'progress', timeZone: SHANGHAI, sendTime: '09:30' });
    expect(preDue).toEqual({ step: 'pre_due', offsetDays: -3, date: '2026-11-20', at: at('2026-11-20T01:30:00Z') });
  });

  it('reminds 10 days before due for final and retention milestones', () => {
    for (const milestoneKind of ['final', 'retention'] as const) {
      const [preDue] = letterSchedule({ dueDate: '2026-11-23', milestoneKind, timeZone: SHANGHAI, sendTime: '09:30' });
      expect(preDue, milestoneKind).toEqual({ step: 'pre_due', offsetDays: -10, date: '2026-11-13', at: at('2026-11-13T01:30:00Z') });
    }
  });

  it("sends 'immediate' letters at local midnight", () => {
    expect(letterSchedule({ dueDate: '2026-11-23', milestoneKind: 'final', timeZone: SHANGHAI, sendTime: 'immediate' })).toEqual([
      { step: 'pre_due', offsetDays: -10, date: '2026-11-13', at: at('2026-11-12T16:00:00Z') },
      { step: 'due', offsetDays: 0, date: '2026-11-23', at: at('2026-11-22T16:00:00Z') },
      { step: 'overdue_1', offsetDays: 1, date: '2026-11-24', at: at('2026-11-23T16:00:00Z') },
    ]);
  });

  it('crosses month and year ends', () => {
    const schedule = letterSchedule({ dueDate: '2027-01-05', milestoneKind: 'final', timeZone: SHANGHAI, sendTime: '09:30' });
    expect(schedule.map((l) => l.date)).toEqual(['2026-12-26', '2027-01-05', '2027-01-06']);
    const march = letterSchedule({ dueDate: '2026-02-28', milestoneKind: 'progress', timeZone: SHANGHAI, sendTime: '09:30' });
    expect(march.map((l) => l.date)).toEqual(['2026-02-25', '2026-02-28', '2026-03-01']);
  });

  it("uses the customer's zone, honouring daylight saving between the steps", () => {
    // 2026-03-03 is EST (UTC-5); 2026-03-10 and 03-11 are EDT (UTC-4).
    const schedule = letterSchedule({ dueDate: '2026-03-10', milestoneKind: 'advance', timeZone: 'America/New_York', sendTime: '09:30' });
    expect(schedule.map((l) => l.at)).toEqual([
      at('2026-03-03T14:30:00Z'), at('2026-03-10T13:30:00Z'), at('2026-03-11T13:30:00Z'),
    ]);
  });

  it('honours a configured time other than 09:30', () => {
    const schedule = letterSchedule({ dueDate: '2026-11-23', milestoneKind: 'advance', timeZone: SHANGHAI, sendTime: '14:05' });
    expect(schedule[1].at).toBe(at('2026-11-23T06:05:00Z'));
  });
});

describe('decideNextLetter', () => {
  // advance milestone due 2026-11-23: pre_due 11-16, due 11-23, overdue_1 11-24, all at 09:30 Shanghai (01:30Z)
  const schedule: ScheduledLetter[] = letterSchedule({ dueDate: '2026-11-23', milestoneKind: 'advance', timeZone: SHANGHAI, sendTime: '09:30' });
  const [preDue, due, overdue1] = schedule;
  const NONE = -1;

  it('waits for the first letter before anything is due', () => {
    expect(decideNextLetter(schedule, at('2026-11-10T00:00:00Z'), NONE)).toEqual({ kind: 'wait', until: at('2026-11-16T01:30:00Z') });
    expect(decideNextLetter(schedule, at('2026-11-16T01:29:59.999Z'), NONE)).toEqual({ kind: 'wait', until: at('2026-11-16T01:30:00Z') });
  });

  it('sends a letter at its exact time', () => {
    expect(decideNextLetter(schedule, at('2026-11-16T01:30:00Z'), NONE)).toEqual({ kind: 'send', index: 0, letter: preDue, skipped: [] });
  });

  it('sends a letter whose time has passed but was not handled yet', () => {
    expect(decideNextLetter(schedule, at('2026-11-20T08:00:00Z'), NONE)).toEqual({ kind: 'send', index: 0, letter: preDue, skipped: [] });
  });

  it('waits for the next letter between steps', () => {
    expect(decideNextLetter(schedule, at('2026-11-20T08:00:00Z'), 0)).toEqual({ kind: 'wait', until: at('2026-11-23T01:30:00Z') });
    expect(decideNextLetter(schedule, at('2026-11-23T05:00:00Z'), 1)).toEqual({ kind: 'wait', until: at('2026-11-24T01:30:00Z') });
  });

  it('sends the next letter once its time comes', () => {
    expect(decideNextLetter(schedule, at('2026-11-23T01:30:00Z'), 0)).toEqual({ kind: 'send', index: 1, letter: due, skipped: [] });
    expect(decideNextLetter(schedule, at('2026-11-24T02:00:00Z'), 1)).toEqual({ kind: 'send', index: 2, letter: overdue1, skipped: [] });
  });

  it('catches up by sending only the latest letter when several are past', () => {
    // An invoice created 20 days overdue: nothing handled, all three steps past.
    const decision = decideNextLetter(schedule, at('2026-12-13T03:00:00Z'), NONE);
    expect(decision).toEqual({ kind: 'send', index: 2, letter: overdue1, skipped: [preDue, due] });
  });

  it('skips only the unhandled steps when resuming after a pause', () => {
    const decision = decideNextLetter(schedule, at('2026-11-30T03:00:00Z'), 0);
    expect(decision).toEqual({ kind: 'send', index: 2, letter: overdue1, skipped: [due] });
  });

  it('catches up to the due letter when overdue_1 is still ahead', () => {
    const decision = decideNextLetter(schedule, at('2026-11-23T12:00:00Z'), NONE);
    expect(decision).toEqual({ kind: 'send', index: 1, letter: due, skipped: [preDue] });
  });

  it('is idle once every step is handled', () => {
    expect(decideNextLetter(schedule, at('2026-12-13T03:00:00Z'), 2)).toEqual({ kind: 'idle' });
    expect(decideNextLetter(schedule, at('2026-11-01T00:00:00Z'), 2)).toEqual({ kind: 'idle' });
  });

  it('is idle for an empty schedule', () => {
    expect(decideNextLetter([], at('2026-11-23T00:00:00Z'), NONE)).toEqual({ kind: 'idle' });
  });
});

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
