import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSessionSecret } from '../../services/sessions';
import { type ApiHarness, type ApiResponse, ApiClient, startApiHarness } from '../support/api-harness';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness();
});
afterAll(async () => {
  await harness?.stop();
});

interface Answer extends ApiResponse {
  headers: Headers;
}

/** A request as a browser sends it: the cookie, and the CSRF header when given. */
async function send(
  method: string,
  path: string,
  options: { cookie?: string; csrf?: string; body?: unknown; form?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    'content-type': options.form !== undefined ? 'application/x-www-form-urlencoded' : 'application/json',
  };
  if (options.cookie) headers.cookie = `huikuan_session=${options.cookie}`;
  if (options.csrf) headers['x-csrf-token'] = options.csrf;
  const response = await fetch(`${harness.admin.baseUrl}${path}`, {
    method,
    headers,
    body: options.form ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

interface Session {
  secret: string;
  csrf: string;
  setCookie: string;
  body: any;
}

async function signIn(name: string, password: string): Promise<Session> {
  const answer = await send('POST', '/api/v1/sessions', { body: { name, password } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  const setCookie = answer.headers.get('set-cookie') ?? '';
  const secret = /^huikuan_session=([^;]+)/.exec(setCookie)?.[1];
  expect(secret).toBeDefined();
  return { secret: secret!, csrf: answer.body.csrfToken, setCookie, body: answer.body };
}

const signInAttempt = (name: string, password: string) =>
  send('POST', '/api/v1/sessions', { body: { name, password } });

async function personWithPassword(name: string, role: string, password: string): Promise<ApiClient> {
  const client = await harness.person(name, role);
  const set = await harness.admin.put(`/api/v1/people/${name}/password`, { password });
  expect(set.status, JSON.stringify(set.body)).toBe(200);
  expect(set.body).toMatchObject({ name, hasPassword: true, active: true, locale: 'zh-CN' });
  return client;
}

const person = (name: string) =>
  harness.database.db.selectFrom('people').selectAll().where('name', '=', name).executeTakeFirstOrThrow();

describe('signing in', () => {
  it('signs in with a password an admin set: an HttpOnly SameSite cookie that reads, and writes only with the CSRF token', async () => {
    await personWithPassword('mei', 'sales', 'correct horse battery');
    const session = await signIn('mei', 'correct horse battery');
    expect(session.setCookie).toMatch(/HttpOnly/);
    expect(session.setCookie).toMatch(/SameSite=Lax/);
    expect(session.setCookie).toMatch(/Path=\//);
    expect(session.setCookie).not.toMatch(/Secure/);
    expect(session.body.person).toMatchObject({ name: 'mei', role: 'sales', locale: 'zh-CN' });
    expect(session.csrf).toMatch(/^[A-Za-z0-9_-]{40,}$/);

    // Only the secret's hash is stored.
    const rows = await harness.database.db.selectFrom('sessions').selectAll().execute();
    expect(rows.map((r) => r.id_hash)).toContain(hashSessionSecret(session.secret));
    expect(JSON.stringify(rows)).not.toContain(session.secret);

    expect((await send('GET', '/api/v1/tasks', { cookie: session.secret })).status).toBe(200);
    const current = await send('GET', '/api/v1/sessions/current', { cookie: session.secret });
    expect(current.body).toMatchObject({ person: { name: 'mei' }, csrfToken: session.csrf });

    const noCsrf = await send('PATCH', '/api/v1/people/mei', { cookie: session.secret, body: { locale: 'en' } });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.details[0].field).toBe('X-CSRF-Token');
    const wrongCsrf = await send('PATCH', '/api/v1/people/mei', {
      cookie: session.secret,
      csrf: 'not-the-token',
      body: { locale: 'en' },
    });
    expect(wrongCsrf.status).toBe(403);
    expect((await person('mei')).locale).toBe('zh-CN');
    const withCsrf = await send('PATCH', '/api/v1/people/mei', {
      cookie: session.secret,
      csrf: session.csrf,
      body: { locale: 'en' },
    });
    expect(withCsrf.status, JSON.stringify(withCsrf.body)).toBe(200);
    expect(withCsrf.body).toMatchObject({ name: 'mei', locale: 'en' });

    // The role check applies to a session as to a token: a sales person may not create people.
    const notAdmin = await send('POST', '/api/v1/tokens', {
      cookie: session.secret,
      csrf: session.csrf,
      body: { name: 'x', role: 'sales' },
    });
    expect(notAdmin.status).toBe(403);
    // Nor change their own role.
    const ownRole = await send('PATCH', '/api/v1/people/mei', {
      cookie: session.secret,
      csrf: session.csrf,
      body: { role: 'admin' },
    });
    expect(ownRole.status).toBe(403);
  });

  it('lets an admin signed in with the cookie write with the CSRF token (POST)', async () => {
    await harness.admin.put('/api/v1/people/admin/password', { password: 'admin password 1' });
    const session = await signIn('admin', 'admin password 1');
    const without = await send('POST', '/api/v1/tokens', {
      cookie: session.secret,
      body: { name: 'by-cookie', role: 'finance' },
    });
    expect(without.status).toBe(403);
    expect(without.body.details[0].field).toBe('X-CSRF-Token');
    expect(await harness.database.db.selectFrom('people').where('name', '=', 'by-cookie').execute()).toEqual([]);
    const created = await send('POST', '/api/v1/tokens', {
      cookie: session.secret,
      csrf: session.csrf,
      body: { name: 'by-cookie', role: 'finance' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // A urlencoded form may carry the token as _csrf instead of the header.
    const form = await send('DELETE', '/api/v1/sessions/current', {
      cookie: session.secret,
      form: `_csrf=${encodeURIComponent(session.csrf)}`,
    });
    expect(form.status, JSON.stringify(form.body)).toBe(200);
  });

  it('gives the same answer for a wrong password, an unknown name, no password and a deactivated person', async () => {
    await personWithPassword('ana', 'finance', 'ana password 123');
    await harness.person('nopass', 'finance');
    await personWithPassword('gone', 'finance', 'gone password 1');
    expect((await harness.admin.request('PATCH', '/api/v1/people/gone', { active: false })).status).toBe(200);
    const answers = [
      await signInAttempt('ana', 'wrong password 1'),
      await signInAttempt('nobody-by-this-name', 'ana password 123'),
      await signInAttempt('nopass', 'ana password 123'),
      await signInAttempt('gone', 'gone password 1'),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.headers.get('set-cookie')).toBeNull();
    }
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
  });

  it('locks a person after 5 failures, even against the right password, until locked_until passes', async () => {
    await personWithPassword('lu', 'finance', 'lu password 1234');
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      expect((await signInAttempt('lu', `wrong ${attempt} password`)).status).toBe(401);
    }
    expect((await person('lu')).failed_sign_ins).toBe(4);
    const fifth = await signInAttempt('lu', 'wrong 5 password');
    expect(fifth.status).toBe(409);
    expect(fifth.body.details[0].code).toBe('locked');
    const lockedUntil = (await person('lu')).locked_until!;
    expect(lockedUntil.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(lockedUntil.getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    const right = await signInAttempt('lu', 'lu password 1234');
    expect(right.status).toBe(409);
    expect(right.body.details[0].code).toBe('locked');
    expect(right.headers.get('set-cookie')).toBeNull();

    await harness.database.db
      .updateTable('people')
      .set({ locked_until: new Date(Date.now() - 1000) })
      .where('name', '=', 'lu')
      .execute();
    await signIn('lu', 'lu password 1234');
    expect(await person('lu')).toMatchObject({ failed_sign_ins: 0, locked_until: null });

    // A success resets the count: four more failures do not lock.
    for (let attempt = 1; attempt <= 4; attempt += 1)
      expect((await signInAttempt('lu', `wrong ${attempt} again`)).status).toBe(401);
    await signIn('lu', 'lu password 1234');
    expect((await person('lu')).failed_sign_ins).toBe(0);
  });

  it('ends a session after 30 idle minutes, and notes activity at most once a minute', async () => {
    await personWithPassword('ida', 'executive', 'ida password 12');
    const session = await signIn('ida', 'ida password 12');
    const row = () =>
      harness.database.db
        .selectFrom('sessions')
        .selectAll()
        .where('id_hash', '=', hashSessionSecret(session.secret))
        .executeTakeFirst();
    const seen = (await row())!.last_seen_at;
    expect((await send('GET', '/api/v1/tasks', { cookie: session.secret })).status).toBe(200);
    expect((await row())!.last_seen_at).toEqual(seen);

    // 29 minutes idle: still valid, and the request slides the idle end.
    await harness.database.db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(Date.now() - 29 * 60_000) })
      .where('id_hash', '=', hashSessionSecret(session.secret))
      .execute();
    expect((await send('GET', '/api/v1/tasks', { cookie: session.secret })).status).toBe(200);
    expect(Date.now() - (await row())!.last_seen_at.getTime()).toBeLessThan(60_000);

    await harness.database.db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(Date.now() - 31 * 60_000) })
      .where('id_hash', '=', hashSessionSecret(session.secret))
      .execute();
    const idle = await send('GET', '/api/v1/tasks', { cookie: session.secret });
    expect(idle.status).toBe(401);
    expect(idle.body.error).toBe('session ended');
    expect(await row()).toBeUndefined();
  });

  it('signs out: the session ends and the cookie is cleared', async () => {
    await personWithPassword('otto', 'delivery', 'otto password 1');
    const session = await signIn('otto', 'otto password 1');
    const noCsrf = await send('DELETE', '/api/v1/sessions/current', { cookie: session.secret });
    expect(noCsrf.status).toBe(403);
    const out = await send('DELETE', '/api/v1/sessions/current', { cookie: session.secret, csrf: session.csrf });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^huikuan_session=;.*Max-Age=0/);
    const after = await send('GET', '/api/v1/tasks', { cookie: session.secret });
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('session ended');
  });

  it('ends every session of a person an admin deactivates, and their tokens stop working', async () => {
    const token = await personWithPassword('dee', 'finance', 'dee password 12');
    const first = await signIn('dee', 'dee password 12');
    const second = await signIn('dee', 'dee password 12');
    expect((await send('GET', '/api/v1/tasks', { cookie: first.secret })).status).toBe(200);
    const deactivated = await harness.admin.request('PATCH', '/api/v1/people/dee', { active: false });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.active).toBe(false);
    const { count } = await harness.database.db
      .selectFrom('sessions')
      .innerJoin('people', 'people.id', 'sessions.person_id')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('people.name', '=', 'dee')
      .executeTakeFirstOrThrow();
    expect(Number(count)).toBe(0);
    for (const s of [first, second])
      expect((await send('GET', '/api/v1/tasks', { cookie: s.secret })).status).toBe(401);
    const refused = await token.get('/api/v1/tasks');
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('person deactivated');

    expect((await harness.admin.request('PATCH', '/api/v1/people/dee', { active: true })).status).toBe(200);
    expect((await token.get('/api/v1/tasks')).status).toBe(200);
    await signIn('dee', 'dee password 12');
    // An admin cannot deactivate themself.
    expect((await harness.admin.request('PATCH', '/api/v1/people/admin', { active: false })).status).toBe(409);
  });

  it('stores only a salted scrypt hash: not the password, and different for two people with the same one', async () => {
    await personWithPassword('twin-a', 'sales', 'same password 42');
    await personWithPassword('twin-b', 'sales', 'same password 42');
    const a = (await person('twin-a')).password_hash!;
    const b = (await person('twin-b')).password_hash!;
    expect(a).not.toContain('same password 42');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(Buffer.from(a.split('$')[4], 'base64')).toHaveLength(16);
    expect(Buffer.from(a.split('$')[5], 'base64')).toHaveLength(64);
    expect(a).not.toBe(b);
    const listed = await harness.admin.request('PATCH', '/api/v1/people/twin-a', {});
    expect(JSON.stringify(listed.body)).not.toContain(a);
  });

  it('refuses weak passwords naming the field, and lets a person change only their own with the current one', async () => {
    const sol = await harness.person('sol', 'sales');
    for (const weak of ['short1', 'aaaaaaaaaaaa']) {
      const refused = await harness.admin.put('/api/v1/people/sol/password', { password: weak });
      expect(refused.status).toBe(400);
      expect(refused.body.details[0].field).toBe('password');
    }
    expect((await harness.admin.put('/api/v1/people/nobody-here/password', { password: 'long enough 1' })).status).toBe(
      404,
    );
    await harness.admin.put('/api/v1/people/sol/password', { password: 'sol password 1' });
    const other = await sol.put('/api/v1/people/admin/password', { password: 'hijacked pass 1' });
    expect(other.status).toBe(403);
    const wrong = await sol.put('/api/v1/people/sol/password', { password: 'sol password 2', currentPassword: 'nope' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.details[0].field).toBe('currentPassword');

    const kept = await signIn('sol', 'sol password 1');
    const other1 = await signIn('sol', 'sol password 1');
    const changed = await send('PUT', '/api/v1/people/sol/password', {
      cookie: kept.secret,
      csrf: kept.csrf,
      body: { password: 'sol password 2', currentPassword: 'sol password 1' },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect((await send('GET', '/api/v1/tasks', { cookie: kept.secret })).status).toBe(200);
    expect((await send('GET', '/api/v1/tasks', { cookie: other1.secret })).status).toBe(401);
    expect((await signInAttempt('sol', 'sol password 1')).status).toBe(401);
    await signIn('sol', 'sol password 2');
  });

  it('keeps bearer tokens working as before, with no CSRF token, and sign-out needs a session', async () => {
    const fay = await personWithPassword('fay', 'finance', 'fay password 12');
    expect((await fay.get('/api/v1/invoice-ready')).status).toBe(200);
    const patched = await fay.request('PATCH', '/api/v1/people/fay', { locale: 'en' });
    expect(patched.status).toBe(200);
    expect((await fay.request('DELETE', '/api/v1/sessions/current')).status).toBe(409);
    expect((await harness.anonymous.get('/api/v1/tasks')).status).toBe(401);
    expect((await harness.anonymous.get('/api/v1/tasks')).body.error).toBe('missing bearer token');
    expect((await send('GET', '/api/v1/tasks', { cookie: 'hks_never-issued' })).status).toBe(401);
    // A session cannot rotate a token it does not have.
    const session = await signIn('fay', 'fay password 12');
    const rotate = await send('POST', '/api/v1/tokens/self', { cookie: session.secret, csrf: session.csrf });
    expect(rotate.status).toBe(409);
  });
});
