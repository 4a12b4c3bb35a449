/**
 * The lists the console's admin and policy pages read (issue 10): people (search, filters, pages by name),
 * one person, creating a person with a password, the calendars and a policy's versions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CALENDAR_ID } from '../../domain/calendar';
import { DEFAULT_POLICY } from '../../domain/policy';
import { type ApiHarness, startApiHarness } from '../support/api-harness';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness();
});
afterAll(async () => {
  await harness?.stop();
});

const PASSWORD = 'a-long-enough-secret-7';

describe('people', () => {
  it('creates a person with a password who signs in, refuses a weak password and a taken name', async () => {
    const created = await harness.admin.post('/api/v1/people', {
      name: '李财务',
      role: 'finance',
      locale: 'en',
      password: PASSWORD,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ name: '李财务', role: 'finance', locale: 'en', hasPassword: true });
    const signedIn = await harness.anonymous.post('/api/v1/sessions', { name: '李财务', password: PASSWORD });
    expect(signedIn.status).toBe(201);

    const weak = await harness.admin.post('/api/v1/people', { name: '弱密码', role: 'sales', password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.details).toEqual([expect.objectContaining({ field: 'password', code: 'weak_password' })]);
    expect((await harness.admin.get('/api/v1/people?q=弱密码')).body.people).toEqual([]);

    const taken = await harness.admin.post('/api/v1/people', { name: '李财务', role: 'sales' });
    expect(taken.status).toBe(409);
    expect(taken.body.details[0].field).toBe('name');

    const bad = await harness.admin.post('/api/v1/people', { name: ' ', role: 'boss' });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['name', 'role']);
  });

  it('lists people by name, a page at a time, searched and filtered in SQL, with their active tokens', async () => {
    for (const name of ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'])
      await harness.person(name, name === 'page-c' ? 'delivery' : 'sales');
    const lost = await harness.admin.get('/api/v1/tokens?person=page-b');
    await harness.admin.post(`/api/v1/tokens/${lost.body[0].id}/revoke`);
    await harness.admin.post('/api/v1/people/page-a/tokens', { label: 'second' });
    await harness.admin.request('PATCH', '/api/v1/people/page-e', { active: false });

    const first = await harness.admin.get('/api/v1/people?q=PAGE-&limit=2');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.people.map((p: { name: string }) => p.name)).toEqual(['page-a', 'page-b']);
    expect(first.body.people.map((p: { activeTokens: number }) => p.activeTokens)).toEqual([2, 0]);
    expect(first.body.next).toBe('page-b');
    const second = await harness.admin.get(`/api/v1/people?q=page-&limit=2&after=${first.body.next}`);
    expect(second.body.people.map((p: { name: string }) => p.name)).toEqual(['page-c', 'page-d']);
    const last = await harness.admin.get(`/api/v1/people?q=page-&limit=2&after=${second.body.next}`);
    expect(last.body).toMatchObject({ people: [{ name: 'page-e', active: false, locked: false }], next: null });
    expect(JSON.stringify(last.body)).not.toContain('password_hash');

    const delivery = await harness.admin.get('/api/v1/people?q=page-&role=delivery');
    expect(delivery.body.people.map((p: { name: string }) => p.name)).toEqual(['page-c']);
    const inactive = await harness.admin.get('/api/v1/people?active=false');
    expect(inactive.body.people.map((p: { name: string }) => p.name)).toEqual(['page-e']);

    const one = await harness.admin.get('/api/v1/people/page-a');
    expect(one.body).toMatchObject({ name: 'page-a', role: 'sales', activeTokens: 2, hasPassword: false });
    expect((await harness.admin.get('/api/v1/people/nobody')).status).toBe(404);
  });

  it('refuses a bad query, naming the parameter, and anyone but an admin', async () => {
    const bad = await harness.admin.get('/api/v1/people?limit=500&role=boss&active=maybe');
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['active', 'limit', 'role']);
    const sales = await harness.person('nosy', 'sales');
    expect((await sales.get('/api/v1/people')).status).toBe(403);
    expect((await sales.get('/api/v1/people/nosy')).status).toBe(403);
    expect((await sales.post('/api/v1/people', { name: 'x', role: 'admin' })).status).toBe(403);
  });
});

describe('calendars', () => {
  it('lists the built-in calendar until it is saved, then the stored ones by id, a page at a time', async () => {
    const before = await harness.admin.get('/api/v1/calendars');
    expect(before.status).toBe(200);
    expect(before.body.total).toBe(1);
    expect(before.body.calendars[0]).toMatchObject({ id: DEFAULT_CALENDAR_ID, builtIn: true, weekendDays: [0, 6] });
    expect(before.body.calendars[0].holidays).toBeGreaterThan(10);

    const put = (id: string, name: string) =>
      harness.admin.put(`/api/v1/calendars/${id}`, {
        id,
        name,
        weekendDays: [5, 6],
        holidays: [{ date: '2026-12-02', name: 'National Day' }],
        makeUpWorkdays: [],
      });
    expect((await put('ae-dubai', 'Dubai')).status).toBe(200);
    expect((await put('zz-test', 'Last')).status).toBe(200);

    const all = await harness.admin.get('/api/v1/calendars');
    expect(all.body.calendars.map((c: { id: string; builtIn: boolean }) => [c.id, c.builtIn])).toEqual([
      ['ae-dubai', false],
      [DEFAULT_CALENDAR_ID, true],
      ['zz-test', false],
    ]);
    expect(all.body.calendars[0]).toMatchObject({ name: 'Dubai', holidays: 1, makeUpWorkdays: 0, updatedBy: 'admin' });
    const page = await harness.admin.get('/api/v1/calendars?limit=1&offset=1');
    expect(page.body).toMatchObject({ total: 3, calendars: [{ id: DEFAULT_CALENDAR_ID }] });
    const past = await harness.admin.get('/api/v1/calendars?offset=10');
    expect(past.body).toMatchObject({ total: 3, calendars: [] });
    expect((await harness.admin.get('/api/v1/calendars?limit=0')).status).toBe(400);
  });
});

describe('policy versions', () => {
  it("lists a policy's versions newest first, the built-in default as version 1", async () => {
    const builtIn = await harness.admin.get('/api/v1/policies/default/versions');
    expect(builtIn.body).toMatchObject({ total: 1, versions: [{ version: 1, builtIn: true }] });

    const { version: _version, ...policy } = DEFAULT_POLICY;
    const saved = await harness.admin.post('/api/v1/policies', { ...policy, name: 'Default, revised' });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    const listed = await harness.admin.get('/api/v1/policies/default/versions');
    expect(
      listed.body.versions.map((v: { version: number; name: string; createdBy: string | null }) => [
        v.version,
        v.name,
        v.createdBy,
      ]),
    ).toEqual([
      [2, 'Default, revised', 'admin'],
      [1, DEFAULT_POLICY.name, null],
    ]);
    expect(listed.body.versions[0].stepCount).toBe(DEFAULT_POLICY.steps.length);
    const second = await harness.admin.get('/api/v1/policies/default/versions?limit=1&offset=1');
    expect(second.body).toMatchObject({ total: 2, versions: [{ version: 1 }] });

    expect((await harness.admin.get('/api/v1/policies/nope/versions')).status).toBe(404);
  });

  it('takes the offsets per milestone kind as an object of optional kinds, refusing an unknown kind', async () => {
    const { version: _version, ...policy } = DEFAULT_POLICY;
    const steps = policy.steps.map((step, index) =>
      index === 0 ? { ...step, offsetDaysByKind: { advance: -5, retention: -12 } } : step,
    );
    const saved = await harness.admin.post('/api/v1/policies', { ...policy, id: 'by-kind', steps });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    expect(saved.body.steps[0].offsetDaysByKind).toEqual({ advance: -5, retention: -12 });
    const unknown = await harness.admin.post('/api/v1/policies', {
      ...policy,
      id: 'by-kind',
      steps: [{ ...steps[0], offsetDaysByKind: { someday: 3 } }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details[0].field).toBe('steps.0.offsetDaysByKind');
  });
});

describe('policy selections', () => {
  it('lists the selections by scope and key, a page after the last one, filtered by scope', async () => {
    for (const key of ['A', 'B', 'C', 'new'])
      expect(
        (await harness.admin.put('/api/v1/policy-selections', { scope: 'grade', key, policyId: 'default' })).status,
      ).toBe(200);
    const first = await harness.admin.get('/api/v1/policy-selections?limit=2');
    expect(first.body.map((s: { key: string }) => s.key)).toEqual(['A', 'B']);
    const next = await harness.admin.get('/api/v1/policy-selections?limit=2&after=grade:B');
    expect(next.body.map((s: { key: string }) => s.key)).toEqual(['C', 'new']);
    expect((await harness.admin.get('/api/v1/policy-selections?scope=contract')).body).toEqual([]);
    expect((await harness.admin.get('/api/v1/policy-selections')).body).toHaveLength(4);
    const bad = await harness.admin.get('/api/v1/policy-selections?scope=customer&after=B&limit=201');
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['after', 'limit', 'scope']);
  });
});
