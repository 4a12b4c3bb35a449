import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Db } from '../db/connect';
import type { Actor, Role } from '../domain/roles';
import { HttpError } from './errors';

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return `hk_${crypto.randomBytes(24).toString('base64url')}`;
}

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
  }
}

/** Resolves the bearer token to a person; every route but /healthz needs one. */
export function authenticate(db: Db): RequestHandler {
  return (req, _res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '');
    if (!match) return next(new HttpError(401, 'missing bearer token', [{ field: 'Authorization', message: 'send "Authorization: Bearer <token>"' }]));
    db.selectFrom('people').select(['name', 'role']).where('token_hash', '=', hashToken(match[1])).executeTakeFirst()
      .then((person) => {
        if (!person) return next(new HttpError(401, 'unknown token'));
        req.actor = { name: person.name, role: person.role as Role };
        next();
      })
      .catch(next);
  };
}

export function requireRole(actor: Actor | undefined, roles: readonly Role[], what: string): Actor {
  if (!actor) throw new HttpError(401, 'missing bearer token');
  if (!(roles as readonly string[]).includes(actor.role)) {
    throw new HttpError(403, `${what} needs role ${roles.join(' or ')}`, [{ message: `${actor.name} has role ${actor.role}` }]);
  }
  return actor;
}

/** Creates or re-keys a person with a token; used for the admin at start-up and by POST /tokens. */
export async function upsertPersonToken(db: Db, person: { name: string; role: Role; email?: string }, token: string): Promise<void> {
  await db.insertInto('people')
    .values({ name: person.name, role: person.role, email: person.email ?? null, token_hash: hashToken(token) })
    .onConflict((oc) => oc.column('name').doUpdateSet({ role: person.role, email: person.email ?? null, token_hash: hashToken(token) }))
    .execute();
}
