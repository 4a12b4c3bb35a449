import crypto from 'node:crypto';
import type { Db } from '../db/connect';
import type { Locale } from '../domain/locales';
import {
  DEFAULT_SESSION_IDLE_MINUTES,
  LAST_SEEN_RESOLUTION_MS,
  LOCK_MINUTES,
  MAX_FAILED_SIGN_INS,
  MAX_PASSWORD_LENGTH,
  SESSION_MAX_HOURS,
  passwordProblem,
  sessionOver,
} from '../domain/passwords';
import { invalidInput, notFound, refuse } from '../domain/refusal';
import type { Role } from '../domain/roles';

/**
 * Passwords and console sessions (issue 10). A password is stored only as its scrypt hash; a session
 * is a random secret in an HttpOnly cookie, stored only as its SHA-256 like an API token.
 */

const SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 64;
/** scrypt needs 128·N·r bytes; the headroom lets stored hashes with a larger N still verify. */
const SCRYPT_MAXMEM = 256 * 1024 * 1024;

/** The async scrypt runs on libuv's thread pool: hashing never blocks the event loop. */
function scrypt(password: string, salt: Buffer, params: { N: number; r: number; p: number }, keylen: number) {
  return new Promise<Buffer>((resolve, reject) =>
    crypto.scrypt(password, salt, keylen, { ...params, maxmem: SCRYPT_MAXMEM }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, SCRYPT, KEY_BYTES);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether the password matches the stored hash; a hash in an unknown format matches nothing. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return false;
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (expected.length === 0) return false;
  const key = await scrypt(password, salt, { N, r, p }, expected.length);
  return crypto.timingSafeEqual(key, expected);
}

/** Verified against when no person (or no password) matches, so an unknown name takes as long as a wrong password. */
let dummyHash: Promise<string> | undefined;
const dummy = () => (dummyHash ??= hashPassword(crypto.randomBytes(16).toString('hex')));

export function hashSessionSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

const newSecret = (prefix: string) => `${prefix}${crypto.randomBytes(32).toString('base64url')}`;

/** Sets (or resets) a person's password; their sessions end, but for the one given to keep. Unlocks them. */
export async function setPassword(
  db: Db,
  personId: number,
  password: string,
  options: { keepSessionHash?: string; now?: Date } = {},
): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw invalidInput('password', problem, 'weak_password');
  const hash = await hashPassword(password);
  await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('people')
      .set({
        password_hash: hash,
        password_changed_at: options.now ?? new Date(),
        failed_sign_ins: 0,
        locked_until: null,
      })
      .where('id', '=', personId)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) throw notFound(`person ${personId}`);
    let ended = trx.deleteFrom('sessions').where('person_id', '=', personId);
    if (options.keepSessionHash) ended = ended.where('id_hash', '!=', options.keepSessionHash);
    await ended.execute();
  });
}

/** Gives a person a password only if they have none yet (the admin's first password at start-up). */
export async function setFirstPassword(db: Db, name: string, password: string): Promise<void> {
  const person = await db
    .selectFrom('people')
    .select(['id', 'password_hash'])
    .where('name', '=', name)
    .executeTakeFirst();
  if (!person) throw notFound(`person ${name}`);
  if (person.password_hash === null) await setPassword(db, person.id, password);
}

export interface SignedInPerson {
  id: number;
  name: string;
  role: Role;
  locale: Locale;
}

export interface SignedIn {
  sessionSecret: string;
  csrfToken: string;
  expiresAt: Date;
  person: SignedInPerson;
}

/** One answer for an unknown name, a wrong password, no password set and a deactivated person. */
export const SIGN_IN_FAILED = 'sign_in_failed';
const signInFailed = () =>
  refuse('forbidden', 'name or password is wrong', [
    { code: SIGN_IN_FAILED, field: 'password', message: 'the name and password do not match a person who may sign in' },
  ]);
const locked = (until: Date) =>
  refuse('conflict', 'too many failed sign-ins', [
    {
      code: 'locked',
      field: 'name',
      message: `signing in is locked until ${until.toISOString()} after ${MAX_FAILED_SIGN_INS} failed attempts; try again later or ask an admin to reset the password`,
    },
  ]);

/**
 * Signs a person in: a new session whose secret goes into the cookie (never stored). After
 * MAX_FAILED_SIGN_INS consecutive failures the person is locked for LOCK_MINUTES; a success resets the count.
 */
export async function signIn(db: Db, name: string, password: string, now = new Date()): Promise<SignedIn> {
  const person = await db
    .selectFrom('people')
    .select(['id', 'name', 'role', 'locale', 'password_hash', 'active', 'locked_until'])
    .where('name', '=', name)
    .executeTakeFirst();
  if (person?.locked_until && person.locked_until > now) throw locked(person.locked_until);
  const usable = person?.active === true && person.password_hash !== null && password.length <= MAX_PASSWORD_LENGTH;
  const matches = await verifyPassword(
    password.slice(0, MAX_PASSWORD_LENGTH),
    usable ? person.password_hash! : await dummy(),
  );
  if (!person || !usable || !matches) {
    if (person?.active && person.password_hash !== null) {
      // One statement, so concurrent failures all count; the lock starts the count again.
      const failed = await db
        .updateTable('people')
        .set((eb) => ({
          failed_sign_ins: eb
            .case()
            .when('failed_sign_ins', '>=', MAX_FAILED_SIGN_INS - 1)
            .then(0)
            .else(eb('failed_sign_ins', '+', 1))
            .end(),
          locked_until: eb
            .case()
            .when('failed_sign_ins', '>=', MAX_FAILED_SIGN_INS - 1)
            .then(new Date(now.getTime() + LOCK_MINUTES * 60_000))
            .else(eb.ref('locked_until'))
            .end(),
        }))
        .where('id', '=', person.id)
        .returning('locked_until')
        .executeTakeFirst();
      if (failed?.locked_until && failed.locked_until > now) throw locked(failed.locked_until);
    }
    throw signInFailed();
  }
  const sessionSecret = newSecret('hks_');
  const csrfToken = crypto.randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_MAX_HOURS * 3_600_000);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('people')
      .set({ failed_sign_ins: 0, locked_until: null })
      .where('id', '=', person.id)
      .execute();
    // Sessions past their absolute end are cleaned here (indexed), so the table does not grow forever.
    await trx.deleteFrom('sessions').where('expires_at', '<=', now).execute();
    await trx
      .insertInto('sessions')
      .values({
        id_hash: hashSessionSecret(sessionSecret),
        person_id: person.id,
        csrf_token: csrfToken,
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt,
      })
      .execute();
  });
  return {
    sessionSecret,
    csrfToken,
    expiresAt,
    person: { id: person.id, name: person.name, role: person.role, locale: person.locale },
  };
}

export interface SessionActor extends SignedInPerson {
  csrfToken: string;
  /** The SHA-256 of the cookie's secret: the session's key. */
  sessionHash: string;
}

/**
 * The person a session cookie stands for, or undefined when the session is unknown, over (idle for
 * `idleMinutes` or past its absolute end) or the person deactivated. Activity slides the idle end,
 * noted at most once a minute.
 */
export async function sessionActor(
  db: Db,
  secret: string,
  now = new Date(),
  idleMinutes = DEFAULT_SESSION_IDLE_MINUTES,
): Promise<SessionActor | undefined> {
  const sessionHash = hashSessionSecret(secret);
  const session = await db
    .selectFrom('sessions')
    .innerJoin('people', 'people.id', 'sessions.person_id')
    .select([
      'sessions.csrf_token',
      'sessions.last_seen_at',
      'sessions.expires_at',
      'people.id',
      'people.name',
      'people.role',
      'people.locale',
      'people.active',
    ])
    .where('sessions.id_hash', '=', sessionHash)
    .executeTakeFirst();
  if (!session || !session.active) return undefined;
  if (sessionOver(session, now, idleMinutes)) {
    await db.deleteFrom('sessions').where('id_hash', '=', sessionHash).execute();
    return undefined;
  }
  if (now.getTime() - session.last_seen_at.getTime() >= LAST_SEEN_RESOLUTION_MS)
    await db
      .updateTable('sessions')
      .set({ last_seen_at: now })
      .where('id_hash', '=', sessionHash)
      .where('last_seen_at', '<', now)
      .execute();
  return {
    id: session.id,
    name: session.name,
    role: session.role,
    locale: session.locale,
    csrfToken: session.csrf_token,
    sessionHash,
  };
}

/** Ends the session the secret opens; true when there was one. */
export async function signOut(db: Db, secret: string): Promise<boolean> {
  const ended = await db.deleteFrom('sessions').where('id_hash', '=', hashSessionSecret(secret)).executeTakeFirst();
  return ended.numDeletedRows > 0n;
}

/** Ends every session of a person (deactivation, password reset by an admin). */
export async function endSessions(db: Db, personId: number): Promise<number> {
  const ended = await db.deleteFrom('sessions').where('person_id', '=', personId).executeTakeFirst();
  return Number(ended.numDeletedRows);
}
