import { DEFAULT_TIME_ZONE, type LocalDate, localDateOf, zonedInstant } from './dates';

/**
 * Who is told of a task, and when a digest is due (issue 11). Pure rules; the activities read people
 * and write the notification rows (activities/task-notifications.ts).
 */

/** The console page a task mail links to: the invoice's page, else the contract's, else My work. */
export function taskConsolePath(task: { invoice_no: string | null; contract_no: string | null }): string {
  if (task.invoice_no) return `/invoices/${encodeURIComponent(task.invoice_no)}`;
  if (task.contract_no) return `/contracts/${encodeURIComponent(task.contract_no)}`;
  return '/';
}

/** The console's base URL (PUBLIC_URL) joined with a console path. */
export function consoleLink(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

export interface Reachable {
  name: string;
  email: string | null;
  active: boolean;
}

/**
 * Whom a task's mail goes to. The named person when they are active and have an address; otherwise
 * every active person of the owner role who has one. A named person who cannot be reached is still
 * returned (as `unreachable`) so the row saying so is visible.
 */
export function taskAudience(
  named: Reachable | undefined,
  ofRole: Reachable[],
): { told: Reachable[]; unreachable: Reachable[] } {
  if (named && named.active && named.email) return { told: [named], unreachable: [] };
  const told = ofRole.filter((p) => p.active && p.email);
  const unreachable = named ? [named] : [];
  return { told, unreachable };
}

/** The person's local date and whether their digest hour has come on it (the hour in their zone, or the default). */
export function digestDue(
  now: number,
  person: { digest_hour: number; time_zone: string | null },
): { localDate: LocalDate; due: boolean } {
  const zone = person.time_zone ?? DEFAULT_TIME_ZONE;
  const localDate = localDateOf(now, zone);
  const at = zonedInstant(localDate, `${String(person.digest_hour).padStart(2, '0')}:00`, zone);
  return { localDate, due: now >= at };
}

/**
 * Whether making `manager` the manager of `person` would close a loop: walks up from the manager
 * through `managerOf` (each person's current manager) and finds `person` again.
 */
export function managerCycle(person: string, manager: string, managerOf: (name: string) => string | null): boolean {
  const seen = new Set<string>();
  for (let at: string | null = manager; at !== null; at = managerOf(at)) {
    if (at === person) return true;
    if (seen.has(at)) return false;
    seen.add(at);
  }
  return false;
}
