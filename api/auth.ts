import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import type { Actor, Role } from '../domain/roles';
import { HttpError } from './errors';
import { refuse } from '../domain/refusal';

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

/** Resolves the bearer token to a person; every route but /healthz needs one, valid: not revoked, not expired. */
export function authenticate(db: Db): RequestHandler {
  return (req, _res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '');
    if (!match) return next(unauthorized('missing bearer token', 'send "Authorization: Bearer <token>"'));
    (async () => {
      const token = await db
        .selectFrom('api_tokens')
        .innerJoin('people', 'people.id', 'api_tokens.person_id')
        .select([
          'api_tokens.id',
          'api_tokens.expires_at',
          'api_tokens.revoked_at',
          'api_tokens.last_used_at',
          'people.name',
          'people.role',
        ])
        .where('api_tokens.token_hash', '=', hashToken(match[1]))
        .executeTakeFirst();
      if (!token) throw unauthorized('unknown token', 'no person holds this token');
      if (token.revoked_at)
        throw unauthorized(
          'token revoked',
          `this token was revoked at ${token.revoked_at.toISOString()}; ask an admin for a new one`,
        );
      const now = new Date();
      if (token.expires_at && token.expires_at <= now)
        throw unauthorized(
          'token expired',
          `this token expired at ${token.expires_at.toISOString()}; ask an admin for a new one`,
        );
      await touchLastUsed(db, token.id, token.last_used_at, now);
      req.actor = { name: token.name, role: token.role as Role };
      req.tokenId = token.id;
    })().then(() => next(), next);
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
