import { type Selectable, sql } from 'kysely';
import type { ApiTokensTable, PeopleTable } from '../../db/schema';
import type { Db } from '../../db/connect';
import { issueToken, START_UP_LABEL } from '../auth';
import { conflict, invalidInput, notFound, refuse } from '../../domain/refusal';
import { passwordProblem } from '../../domain/passwords';
import { managerCycle } from '../../domain/notify';
import { endSessions, hashPassword, setPassword, verifyPassword } from '../../services/sessions';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../route';
import { CreateTokenSchema } from '../schemas/common';
import {
  CreatePersonSchema,
  IssueTokenSchema,
  PEOPLE_LIST_QUERY_DOC,
  PeopleListQuerySchema,
  SetPasswordSchema,
  TOKEN_STATUSES,
  TokenExpirySchema,
  UpdatePersonSchema,
} from '../schemas/admin';

type TokenRow = Selectable<ApiTokensTable> & { name: string; role: string };

function tokenStatus(token: TokenRow, now = new Date()): (typeof TOKEN_STATUSES)[number] {
  if (token.revoked_at) return 'revoked';
  return token.expires_at && token.expires_at <= now ? 'expired' : 'active';
}

/** A token as an admin sees it: never the secret (only its hash is stored). */
function tokenView(token: TokenRow) {
  return {
    id: token.id,
    person: token.name,
    role: token.role,
    label: token.label,
    status: tokenStatus(token),
    createdAt: token.created_at,
    createdBy: token.created_by,
    expiresAt: token.expires_at,
    revokedAt: token.revoked_at,
    revokedBy: token.revoked_by,
    lastUsedAt: token.last_used_at,
  };
}

function tokens(db: Db) {
  return db
    .selectFrom('api_tokens')
    .innerJoin('people', 'people.id', 'api_tokens.person_id')
    .selectAll('api_tokens')
    .select(['people.name', 'people.role']);
}

function tokenId(raw: string): number {
  if (!/^[1-9]\d{0,14}$/.test(raw)) throw invalidInput('id', 'a token id is a positive whole number');
  return Number(raw);
}

function futureInstant(value: string | null | undefined): Date | null {
  if (value === undefined || value === null) return null;
  const at = new Date(value);
  if (at.getTime() <= Date.now()) throw invalidInput('expiresAt', 'must be in the future');
  return at;
}

function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidInput(name, 'give this parameter once');
  return value;
}

/** The token for an update, locked; a revoked one cannot change any more. */
async function openToken(db: Db, id: number): Promise<TokenRow> {
  const token = await tokens(db).where('api_tokens.id', '=', id).forUpdate().executeTakeFirst();
  if (!token) throw notFound(`token ${id}`);
  if (token.revoked_at)
    throw conflict(`token ${id} is revoked`, [
      {
        code: 'token_revoked',
        message: `revoked at ${token.revoked_at.toISOString()} by ${token.revoked_by}; issue a new one`,
      },
    ]);
  return token;
}

export function peopleRoutes(routes: ApiRoutes, { db }: ApiDeps): void {
  personRoutes(routes, db);
  routes.add({
    method: 'post',
    path: '/api/v1/tokens',
    summary: 'Create a named person with a role and return their first token (shown once)',
    roles: ['admin'],
    body: CreateTokenSchema,
    responses: { 201: 'the token (shown once)', 400: 'invalid input', 409: 'name taken' },
    async handle({ body, actor }) {
      const issued = await db.transaction().execute(async (trx) => {
        const person = await trx
          .insertInto('people')
          .values({ name: body.name, role: body.role, email: body.email ?? null })
          .onConflict((oc) => oc.column('name').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!person)
          throw conflict(`a person named ${body.name} already exists`, [
            {
              field: 'name',
              message: 'must be unique; give them another token with POST /api/v1/people/{name}/tokens',
            },
          ]);
        return issueToken(trx, person.id, { label: 'first token', createdBy: actor.name });
      });
      return { status: 201, body: { name: body.name, role: body.role, tokenId: issued.id, token: issued.token } };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/tokens',
    summary:
      'API tokens with their person, label, status, expiry, revocation and last use (never the secret), newest first',
    roles: ['admin'],
    query: { person: 'one person by name', status: TOKEN_STATUSES.join(' | ') },
    responses: { 200: 'the tokens (at most 500)', 400: 'invalid filter' },
    async handle({ query }) {
      const person = single(query, 'person');
      const status = single(query, 'status');
      if (status !== undefined && !(TOKEN_STATUSES as readonly string[]).includes(status))
        throw invalidInput('status', `must be one of ${TOKEN_STATUSES.join(', ')}`);
      let select = tokens(db);
      if (person !== undefined) select = select.where('people.name', '=', person);
      if (status === 'revoked') select = select.where('api_tokens.revoked_at', 'is not', null);
      if (status === 'expired')
        select = select.where('api_tokens.revoked_at', 'is', null).where('api_tokens.expires_at', '<=', new Date());
      if (status === 'active') {
        select = select
          .where('api_tokens.revoked_at', 'is', null)
          .where((eb) =>
            eb.or([eb('api_tokens.expires_at', 'is', null), eb('api_tokens.expires_at', '>', new Date())]),
          );
      }
      const rows = await select.orderBy('api_tokens.id', 'desc').limit(500).execute();
      return { body: rows.map(tokenView) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/people/:name/tokens',
    summary: 'Issue another token for an existing person (e.g. one who lost theirs), optionally expiring; shown once',
    roles: ['admin'],
    body: IssueTokenSchema,
    responses: { 201: 'the new token (shown once)', 400: 'invalid input', 404: 'no such person' },
    async handle({ params, body, actor }) {
      const expiresAt = futureInstant(body.expiresAt);
      const person = await db
        .selectFrom('people')
        .select(['id', 'name', 'role'])
        .where('name', '=', params.name)
        .executeTakeFirst();
      if (!person) throw notFound(`person ${params.name}`);
      const label = body.label ?? `issued by ${actor.name}`;
      const issued = await issueToken(db, person.id, { label, createdBy: actor.name, expiresAt });
      return {
        status: 201,
        body: { id: issued.id, name: person.name, role: person.role, label, expiresAt, token: issued.token },
      };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/tokens/:id/revoke',
    summary: 'Revoke a token at once: requests with it get 401 "token revoked"',
    roles: ['admin'],
    responses: { 200: 'the revoked token', 400: 'invalid id', 404: 'no such token', 409: 'already revoked' },
    async handle({ params, actor }) {
      const id = tokenId(params.id);
      const revoked = await db.transaction().execute(async (trx) => {
        await openToken(trx, id);
        await trx
          .updateTable('api_tokens')
          .set({ revoked_at: new Date(), revoked_by: actor.name })
          .where('id', '=', id)
          .execute();
        return tokens(trx).where('api_tokens.id', '=', id).executeTakeFirstOrThrow();
      });
      return { body: tokenView(revoked) };
    },
  });

  routes.add({
    method: 'put',
    path: '/api/v1/tokens/:id/expiry',
    summary: 'Set when a token stops working, or clear its expiry with null',
    roles: ['admin'],
    body: TokenExpirySchema,
    responses: { 200: 'the token', 400: 'invalid input', 404: 'no such token', 409: 'revoked' },
    async handle({ params, body }) {
      const id = tokenId(params.id);
      const expiresAt = futureInstant(body.expiresAt);
      const updated = await db.transaction().execute(async (trx) => {
        await openToken(trx, id);
        await trx.updateTable('api_tokens').set({ expires_at: expiresAt }).where('id', '=', id).execute();
        return tokens(trx).where('api_tokens.id', '=', id).executeTakeFirstOrThrow();
      });
      return { body: tokenView(updated) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/tokens/self',
    summary: 'Rotate your own token: returns a new one (shown once) and revokes the one this request came with',
    roles: 'any',
    rule: 'rotates the token the request came with; the new one keeps its label and expiry',
    responses: { 201: 'the new token (shown once)', 409: 'the token was rotated or revoked meanwhile' },
    async handle({ req, actor }) {
      if (req.tokenId === undefined)
        throw conflict('this request came with no token', [
          { code: 'not_a_token', field: 'Authorization', message: 'a session cookie has no token to rotate' },
        ]);
      const tokenId = req.tokenId;
      const issued = await db.transaction().execute(async (trx) => {
        const old = await openToken(trx, tokenId);
        await trx
          .updateTable('api_tokens')
          .set({ revoked_at: new Date(), revoked_by: actor.name })
          .where('id', '=', old.id)
          .execute();
        // A rotated start-up token is not re-keyed away by the next start-up.
        const label = old.label === START_UP_LABEL ? 'rotated start-up token' : old.label;
        const created = await issueToken(trx, old.person_id, {
          label,
          createdBy: actor.name,
          expiresAt: old.expires_at,
        });
        return { ...created, label, expiresAt: old.expires_at };
      });
      return {
        status: 201,
        body: {
          id: issued.id,
          name: actor.name,
          role: actor.role,
          label: issued.label,
          expiresAt: issued.expiresAt,
          token: issued.token,
        },
      };
    },
  });

  routes.add({
    method: 'put',
    path: '/api/v1/people/:name/password',
    summary: "Set or reset a person's password (stored only as its scrypt hash); unlocks them",
    roles: 'any',
    rule: "an admin sets anyone's and ends their sessions; anyone else only their own, giving currentPassword, and their other sessions end",
    body: SetPasswordSchema,
    responses: {
      200: 'the person',
      400: 'a password too weak',
      403: "someone else's, or currentPassword wrong",
      404: 'no such person',
    },
    async handle({ req, params, body, actor }) {
      const person = await personNamed(db, params.name);
      if (actor.role !== 'admin') {
        if (person.name !== actor.name)
          throw refuse('forbidden', "only an admin sets another person's password", [
            { field: 'name', message: `${actor.name} may set only their own password` },
          ]);
        const current = body.currentPassword ?? '';
        if (!person.password_hash || !(await verifyPassword(current, person.password_hash)))
          throw refuse('forbidden', 'current password is wrong', [
            { code: 'wrong_password', field: 'currentPassword', message: 'give your current password to change it' },
          ]);
      }
      const own = person.name === actor.name;
      await setPassword(db, person.id, body.password, { keepSessionHash: own ? req.session?.sessionHash : undefined });
      return { body: personView(await personNamed(db, person.name)) };
    },
  });

  routes.add({
    method: 'patch',
    path: '/api/v1/people/:name',
    summary:
      'Deactivate or reactivate a person, change their role, language, e-mail, manager or how they are told of tasks',
    roles: 'any',
    rule: 'an admin changes anyone (not their own role or activity); anyone else only their own locale, notify, digestHour and timeZone; deactivating ends their sessions',
    body: UpdatePersonSchema,
    responses: {
      200: 'the person',
      400: 'invalid input (a manager who does not exist, oneself, or a loop of managers)',
      403: 'not allowed to change this',
      404: 'no such person',
      409: 'oneself',
    },
    async handle({ params, body, actor }) {
      const person = await personNamed(db, params.name);
      const own = person.name === actor.name;
      if (actor.role !== 'admin') {
        const fields = Object.entries(body)
          .filter(([key, value]) => value !== undefined && (!SELF_SERVICE.has(key) || !own))
          .map(([key]) => key);
        if (fields.length > 0)
          throw refuse(
            'forbidden',
            'only an admin changes this',
            fields.map((field) => ({
              field,
              message: `${actor.name} may change only their own ${[...SELF_SERVICE].join(', ')}`,
            })),
          );
      }
      if (own && body.active === false)
        throw conflict('an admin cannot deactivate themself', [
          { field: 'active', message: 'ask another admin; no admin could sign in otherwise' },
        ]);
      if (own && body.role !== undefined && body.role !== person.role)
        throw conflict('an admin cannot change their own role', [{ field: 'role', message: 'ask another admin' }]);
      await db.transaction().execute(async (trx) => {
        if (body.manager) await checkManager(trx, person.name, body.manager);
        const changes = {
          active: body.active,
          role: body.role,
          locale: body.locale,
          email: body.email,
          manager_name: body.manager,
          notify: body.notify,
          digest_hour: body.digestHour,
          time_zone: body.timeZone,
        };
        if (Object.values(changes).some((v) => v !== undefined))
          await trx.updateTable('people').set(changes).where('id', '=', person.id).execute();
        if (body.active === false) await endSessions(trx, person.id);
        // Back to one mail per task: the task mails waiting for their digest go out as such.
        if (body.notify === 'each' && person.notify === 'digest')
          await trx
            .updateTable('notifications')
            .set({ status: 'pending' })
            .where('person_name', '=', person.name)
            .where('status', '=', 'digest')
            .execute();
      });
      return { body: personView(await personNamed(db, person.name)) };
    },
  });
}

/** The people an admin manages: list, read one, create one with a password (issue 10's admin pages). */
function personRoutes(routes: ApiRoutes, db: Db): void {
  routes.add({
    method: 'get',
    path: '/api/v1/people',
    summary:
      'People with their role, activity, language, e-mail, manager, task-mail choice, lock and active token count, by name, a page at a time',
    roles: ['admin'],
    query: PEOPLE_LIST_QUERY_DOC,
    responses: { 200: 'a page of people and the "after" of the next one (null on the last)', 400: 'invalid query' },
    async handle({ query }) {
      return { body: await peopleList(db, PeopleListQuerySchema.parse(query)) };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/people/:name',
    summary:
      'One person: role, activity, language, e-mail, manager, task-mail choice (each or a daily digest at an hour), password and lock, active token count',
    roles: ['admin'],
    responses: { 200: 'the person', 404: 'no such person' },
    async handle({ params }) {
      const person = await personRows(db).where('people.name', '=', params.name).executeTakeFirst();
      if (!person) throw notFound(`person ${params.name}`);
      return { body: listedPerson(person) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/people',
    summary:
      'Create a person with a role, optionally an e-mail, a manager, how they are told of tasks, and the password they sign in to the console with (no token)',
    roles: ['admin'],
    body: CreatePersonSchema,
    responses: { 201: 'the person', 400: 'invalid input or a password too weak', 409: 'name taken' },
    async handle({ body }) {
      const problem = body.password === undefined ? undefined : passwordProblem(body.password);
      if (problem) throw invalidInput('password', problem, 'weak_password');
      const passwordHash = body.password === undefined ? null : await hashPassword(body.password);
      const created = await db.transaction().execute(async (trx) => {
        if (body.manager) await checkManager(trx, body.name, body.manager);
        return trx
          .insertInto('people')
          .values({
            name: body.name,
            role: body.role,
            email: body.email ?? null,
            locale: body.locale,
            manager_name: body.manager ?? null,
            notify: body.notify,
            digest_hour: body.digestHour,
            time_zone: body.timeZone ?? null,
            password_hash: passwordHash,
            password_changed_at: passwordHash ? new Date() : null,
          })
          .onConflict((oc) => oc.column('name').doNothing())
          .returning('id')
          .executeTakeFirst();
      });
      if (!created)
        throw conflict(`a person named ${body.name} already exists`, [
          { code: 'name_taken', field: 'name', message: 'must be unique' },
        ]);
      return { status: 201, body: personView(await personNamed(db, body.name)) };
    },
  });
}

/** People with their count of tokens that still work (revoked and expired ones left out). */
function personRows(db: Db) {
  return db
    .selectFrom('people')
    .selectAll('people')
    .select((eb) =>
      eb
        .selectFrom('api_tokens')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('api_tokens.person_id', '=', 'people.id')
        .where('api_tokens.revoked_at', 'is', null)
        .where((inner) =>
          inner.or([inner('api_tokens.expires_at', 'is', null), inner('api_tokens.expires_at', '>', new Date())]),
        )
        .as('active_tokens'),
    );
}

type PersonRow = Selectable<PeopleTable> & { active_tokens: string | null };

function listedPerson(row: PersonRow, now = new Date()) {
  return {
    ...personView(row),
    locked: row.locked_until !== null && row.locked_until > now,
    activeTokens: Number(row.active_tokens ?? 0),
  };
}

/**
 * A page of people sorted by name, after the previous page's last name (the unique name index). The name
 * search is a filter on that walk: people are one organisation's staff, hundreds of rows, not millions.
 */
async function peopleList(
  db: Db,
  query: { q?: string; role?: string; active?: 'true' | 'false'; limit: number; after?: string },
) {
  let select = personRows(db);
  if (query.q) select = select.where(sql<boolean>`strpos(lower(people.name), lower(${query.q})) > 0`);
  if (query.role) select = select.where('people.role', '=', query.role as PeopleTable['role']);
  if (query.active) select = select.where('people.active', '=', query.active === 'true');
  if (query.after) select = select.where('people.name', '>', query.after);
  const rows = await select
    .orderBy('people.name')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  return {
    people: page.map((row) => listedPerson(row)),
    next: rows.length > query.limit ? page[page.length - 1].name : null,
  };
}

async function personNamed(db: Db, name: string) {
  const person = await db.selectFrom('people').selectAll().where('name', '=', name).executeTakeFirst();
  if (!person) throw notFound(`person ${name}`);
  return person;
}

/** A person as the API shows them: never the password hash. */
function personView(person: Selectable<PeopleTable>) {
  return {
    id: person.id,
    name: person.name,
    role: person.role,
    email: person.email,
    active: person.active,
    locale: person.locale,
    manager: person.manager_name,
    notify: person.notify,
    digestHour: person.digest_hour,
    timeZone: person.time_zone,
    hasPassword: person.password_hash !== null,
    passwordChangedAt: person.password_changed_at,
    lockedUntil: person.locked_until,
  };
}

/** What a person who is not an admin may change about themself. */
const SELF_SERVICE = new Set(['locale', 'notify', 'digestHour', 'timeZone']);

/**
 * A manager must be another existing person, and no chain of managers may come back to the person.
 * Manager changes take one lock so two at once cannot close a loop between them.
 */
async function checkManager(trx: Db, person: string, manager: string): Promise<void> {
  if (manager === person) throw invalidInput('manager', 'a person cannot be their own manager', 'own_manager');
  await sql`select pg_advisory_xact_lock(hashtext('people.manager_name'))`.execute(trx);
  const rows = await trx.selectFrom('people').select(['name', 'manager_name']).execute();
  const managers = new Map(rows.map((row) => [row.name, row.manager_name]));
  if (!managers.has(manager)) throw invalidInput('manager', `no person is named ${manager}`, 'no_such_person');
  if (managerCycle(person, manager, (name) => managers.get(name) ?? null))
    throw invalidInput(
      'manager',
      `${manager} is managed, directly or not, by ${person}: that would be a loop`,
      'manager_loop',
    );
}
