import { addDays, daysBetween, type LocalDate, zonedInstant } from './dates';
import type { MilestoneKind } from './contract-rules';

/** The letters of the collection ladder this release sends (SPEC section 4, first rungs). */
export const LETTER_STEPS = ['pre_due', 'due', 'overdue_1'] as const;
export type LetterStep = (typeof LETTER_STEPS)[number];

/** Days before the due date of the courtesy reminder, by milestone kind. */
export const PRE_DUE_DAYS: Record<MilestoneKind, number> = { advance: 7, progress: 3, final: 10, retention: 10 };

/** "immediate" sends a step at the start of its day instead of at the configured local time. */
export type SendTime = 'immediate' | `${number}:${number}`;

export interface LadderInput {
  dueDate: LocalDate;
  milestoneKind: MilestoneKind;
  timeZone: string;
  sendTime: SendTime;
}

export interface ScheduledLetter {
  step: LetterStep;
  offsetDays: number;
  date: LocalDate;
  /** Epoch milliseconds at which the letter is due to go out. */
  at: number;
}

export function letterSchedule(input: LadderInput): ScheduledLetter[] {
  const offsets: [LetterStep, number][] = [
    ['pre_due', -PRE_DUE_DAYS[input.milestoneKind]],
    ['due', 0],
    ['overdue_1', 1],
  ];
  const clock = input.sendTime === 'immediate' ? '00:00' : input.sendTime;
  return offsets.map(([step, offsetDays]) => {
    const date = addDays(input.dueDate, offsetDays);
    return { step, offsetDays, date, at: zonedInstant(date, clock, input.timeZone) };
  });
}

export type LadderDecision =
  | { kind: 'send'; index: number; letter: ScheduledLetter; skipped: ScheduledLetter[] }
  | { kind: 'wait'; until: number }
  | { kind: 'idle' };

/**
 * What the collection should do now. Of the steps not yet handled whose time has come, only the
 * latest is sent: an invoice that starts late, or resumes after a pause, sends the letter that
 * applies now and not every one it missed.
 */
export function decideNextLetter(schedule: ScheduledLetter[], now: number, handledThrough: number): LadderDecision {
  const pending = schedule.map((letter, index) => ({ letter, index })).filter(({ index }) => index > handledThrough);
  const due = pending.filter(({ letter }) => letter.at <= now);
  if (due.length > 0) {
    const latest = due[due.length - 1];
    return { kind: 'send', index: latest.index, letter: latest.letter, skipped: due.slice(0, -1).map((d) => d.letter) };
  }
  if (pending.length > 0) return { kind: 'wait', until: pending[0].letter.at };
  return { kind: 'idle' };
}

/** Days past due on a date (negative before the due date). */
export function daysOverdue(dueDate: LocalDate, on: LocalDate): number {
  return daysBetween(dueDate, on);
}

export function dueDateFor(issueDate: LocalDate, termDays: number): LocalDate {
  return addDays(issueDate, termDays);
}
