/**
 * Rules for passwords and sign-in that need no I/O: what a password must be, when repeated failures
 * lock a person and how long sessions live. services/sessions.ts applies them.
 */

export const MIN_PASSWORD_LENGTH = 10;
/** Longer than this is no password but a way to make scrypt hash megabytes. */
export const MAX_PASSWORD_LENGTH = 1024;
/** Consecutive failed sign-ins that lock a person... */
export const MAX_FAILED_SIGN_INS = 5;
/** ...for this long; a success before that resets the count. */
export const LOCK_MINUTES = 15;
/** A session ends this long after it began, however active it is. */
export const SESSION_MAX_HOURS = 12;
/** Sessions end after this much inactivity unless SESSION_IDLE_MINUTES says otherwise. */
export const DEFAULT_SESSION_IDLE_MINUTES = 30;
/** last_seen_at is written at most this often per session, so reads do not each become a write. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

/** What is wrong with a new password, or undefined when it may be used. */
export function passwordProblem(password: string): string | undefined {
  const characters = [...password];
  if (characters.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters long`;
  if (characters.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters long`;
  if (new Set(characters).size === 1) return 'must not be one character repeated';
  return undefined;
}

/** A session is over when its absolute end has come or it was idle for longer than allowed. */
export function sessionOver(
  session: { expires_at: Date; last_seen_at: Date },
  now: Date,
  idleMinutes: number,
): boolean {
  return session.expires_at <= now || now.getTime() - session.last_seen_at.getTime() >= idleMinutes * 60_000;
}
