import { addDays, daysBetween, type LocalDate } from './dates';

/** "immediate" sends a step as soon as its day begins instead of at the configured local time on a working day. */
export type SendTime = 'immediate' | `${number}:${number}`;

/** Days past due on a date (negative before the due date). */
export function daysOverdue(dueDate: LocalDate, on: LocalDate): number {
  return daysBetween(dueDate, on);
}

export function dueDateFor(issueDate: LocalDate, termDays: number): LocalDate {
  return addDays(issueDate, termDays);
}
