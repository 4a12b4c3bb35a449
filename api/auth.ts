import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import type { Actor, Role } from '../domain/roles';
import { HttpError } from './errors';
import { refuse } from '../domain/refusal';
import { type SessionActor, sessionActor } from '../services/sessions';

/** Label of the token start-up gives the admin (ADMIN_TOKEN or .data/admin-token); a new one replaces it. */
export const START_UP_LABEL = 'start-up';

/** last_used_at is written at most this often per token, so reads do not each become a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return `hk_${crypto.randomBytes(24).toString('base64url')}`;
}

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
    /** The id of the API token the request came with (for rotating one's own token). */
    tokenId?: number;
    /** The console session the request came with, when it came with the cookie instead of a token. */
    session?: SessionActor;
  }
}

const unauthorized = (message: string, detail: string) =>
  new HttpError(401, message, [{ field: 'Authorization', message: detail }]);

async function touchLastUsed(db: Db, tokenId: number, lastUsedAt: Date | null, now: Date): Promise<void> {
  if (lastUsedAt && now.getTime() - lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: now })
    .where('id', '=', tokenId)
    .where((eb) =>
      eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]),
    )
    .execute();
}

/** The cookie that carries a console session's secret. */
export const SESSION_COOKIE = 'huikuan_session';
/** The header (or, in a urlencoded form, the field `_csrf`) a session's writes must carry. */
export const CSRF_HEADER = 'X-CSRF-Token';
const SAFE_METHODS = new Set(['GET', 'HEAD']);

export interface AuthenticateOptions {
  /** Paths that need no token nor session (the sign-in itself). */
  publicPaths?: readonly string[];
  /** SESSION_IDLE_MINUTES. */
  sessionIdleMinutes?: number;
}

/** The value of one cookie of the request, if it was sent. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index < 0 || part.slice(0, index).trim() !== name) continue;
    const value = part.slice(index + 1).trim();
    return value === '' ? undefined : value;
  }
  return undefined;
}

/** The CSRF token the request carries; a form's `_csrf` field is taken out of the body, which the route validates. */
function csrfTokenOf(req: Request): string | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  let field: unknown;
  const form = req.is('application/x-www-form-urlencoded') || req.is('multipart/form-data');
  if (form && body && typeof body === 'object' && '_csrf' in body) {
    field = body._csrf;
    delete body._csrf;
  }
  const header = req.header(CSRF_HEADER);
  if (header) return header;
  return typeof field === 'string' ? field : undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

async function bearerActor(db: Db, req: Request, token: string): Promise<void> {
  const found = await db
    .selectFrom('api_tokens')
    .innerJoin('people', 'people.id', 'api_tokens.person_id')
    .select([
      'api_tokens.id',
      'api_tokens.expires_at',
      'api_tokens.revoked_at',
      'api_tokens.last_used_at',
      'people.name',
      'people.role',
      'people.active',
    ])
    .where('api_tokens.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!found) throw unauthorized('unknown token', 'no person holds this token');
  if (found.revoked_at)
    throw unauthorized(
      'token revoked',
      `this token was revoked at ${found.revoked_at.toISOString()}; ask an admin for a new one`,
    );
  const now = new Date();
  if (found.expires_at && found.expires_at <= now)
    throw unauthorized(
      'token expired',
      `this token expired at ${found.expires_at.toISOString()}; ask an admin for a new one`,
    );
  if (!found.active) throw unauthorized('person deactivated', `${found.name} was deactivated by an admin`);
  await touchLastUsed(db, found.id, found.last_used_at, now);
  req.actor = { name: found.name, role: found.role as Role };
  req.tokenId = found.id;
}

/** A write signed in with the session cookie must carry the session's CSRF token (header or `_csrf` form field). */
export function checkCsrf(req: Request, session: SessionActor): void {
  if (SAFE_METHODS.has(req.method)) return;
  const given = csrfTokenOf(req);
  if (!given || !sameSecret(given, session.csrfToken))
    throw refuse('forbidden', `missing or wrong ${CSRF_HEADER}`, [
      {
        code: 'csrf',
        field: CSRF_HEADER,
        message: `a request signed in with the session cookie must send the session's CSRF token in the ${CSRF_HEADER} header (or the _csrf form field)`,
      },
    ]);
}

async function cookieActor(db: Db, req: Request, secret: string, idleMinutes: number | undefined): Promise<void> {
  const session = await sessionActor(db, secret, new Date(), idleMinutes);
  if (!session)
    throw new HttpError(401, 'session ended', [
      { field: 'Cookie', message: 'the session expired, was signed out or never existed; sign in again' },
    ]);
  checkCsrf(req, session);
  req.actor = { name: session.name, role: session.role };
  req.session = session;
}

/**
 * Resolves the request to a person: a bearer token (valid: not revoked, not expired, its person active)
 * or else the console's session cookie, whose writes must carry the session's CSRF token.
 * Every route but the public ones needs one or the other.
 */
export function authenticate(db: Db, options: AuthenticateOptions = {}): RequestHandler {
  return (req, _res, next) => {
    if (options.publicPaths?.includes(req.path)) return next();
    const match = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '');
    const cookie = match ? undefined : cookieValue(req.header('cookie'), SESSION_COOKIE);
    if (!match && !cookie)
      return next(
        unauthorized('missing bearer token', 'send "Authorization: Bearer <token>" or sign in (POST /api/v1/sessions)'),
      );
    (match ? bearerActor(db, req, match[1]) : cookieActor(db, req, cookie!, options.sessionIdleMinutes)).then(
      () => next(),
      next,
    );
  };
}

export function requireRole(actor: Actor | undefined, roles: readonly Role[], what: string): Actor {
  if (!actor) throw new HttpError(401, 'missing bearer token');
  if (!(roles as readonly string[]).includes(actor.role)) {
    throw refuse('forbidden', `${what} needs role ${roles.join(' or ')}`, [
      { message: `${actor.name} has role ${actor.role}` },
    ]);
  }
  return actor;
}

export interface IssuedToken {
  id: number;
  token: string;
}

/** Stores a new token for a person and returns its secret, which is never stored and cannot be shown again. */
export async function issueToken(
  db: Db,
  personId: number,
  token: { label: string; createdBy: string; expiresAt?: Date | null },
): Promise<IssuedToken> {
  const secret = newToken();
  const row = await db
    .insertInto('api_tokens')
    .values({
      person_id: personId,
      label: token.label,
      token_hash: hashToken(secret),
      created_by: token.createdBy,
      expires_at: token.expiresAt ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, token: secret };
}

/**
 * Creates or updates a person and makes the given token valid for them; used for the admin at start-up.
 * The token becomes the person's start-up token: a different start-up token given before is revoked,
 * tokens issued through the API stay valid.
 */
export async function upsertPersonToken(
  db: Db,
  person: { name: string; role: Role; email?: string },
  token: string,
): Promise<void> {
  const hash = hashToken(token);
  await db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto('people')
      .values({ name: person.name, role: person.role, email: person.email ?? null })
      .onConflict((oc) => oc.column('name').doUpdateSet({ role: person.role, email: person.email ?? null }))
      .returning('id')
      .executeTakeFirstOrThrow();
    const existing = await trx
      .selectFrom('api_tokens')
      .select(['id', 'person_id'])
      .where('token_hash', '=', hash)
      .forUpdate()
      .executeTakeFirst();
    if (existing && existing.person_id !== id)
      throw new Error(`the token given for ${person.name} already belongs to another person`);
    if (existing) {
      await trx
        .updateTable('api_tokens')
        .set({ label: START_UP_LABEL, expires_at: null, revoked_at: null, revoked_by: null })
        .where('id', '=', existing.id)
        .execute();
    } else {
      await trx
        .insertInto('api_tokens')
        .values({ person_id: id, label: START_UP_LABEL, token_hash: hash, created_by: START_UP_LABEL })
        .execute();
    }
    await trx
      .updateTable('api_tokens')
      .set({ revoked_at: new Date(), revoked_by: START_UP_LABEL })
      .where('person_id', '=', id)
      .where('label', '=', START_UP_LABEL)
      .where('token_hash', '!=', hash)
      .where('revoked_at', 'is', null)
      .execute();
  });
}
