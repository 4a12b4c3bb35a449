import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, upsertPersonToken } from '../../api/auth';
import * as apiTokens from '../../db/migrations/0011_api_tokens';
import { type ApiHarness, ApiClient, startApiHarness } from '../support/api-harness';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness();
});
afterAll(async () => {
  await harness?.stop();
});

const as = (token: string) => new ApiClient(harness.admin.baseUrl, token);
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe('API tokens', () => {
  it('replaces a lost token: an admin issues another, lists both without secrets, revokes the lost one', async () => {
    const created = await harness.admin.post('/api/v1/tokens', { name: 'lena', role: 'finance' });
    expect(created.status).toBe(201);
    const lost = created.body.token as string;
    expect((await as(lost).get('/api/v1/invoice-ready')).status).toBe(200);

    const issued = await harness.admin.post('/api/v1/people/lena/tokens', { label: 'new laptop' });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.body).toMatchObject({
      name: 'lena',
      role: 'finance',
      label: 'new laptop',
      expiresAt: null,
      token: expect.stringMatching(/^hk_/),
    });
    expect((await as(issued.body.token).get('/api/v1/invoice-ready')).status).toBe(200);

    const listed = await harness.admin.get('/api/v1/tokens?person=lena');
    expect(listed.status).toBe(200);
    expect(
      listed.body.map((t: { label: string; status: string; createdBy: string }) => [t.label, t.status, t.createdBy]),
    ).toEqual([
      ['new laptop', 'active', 'admin'],
      ['first token', 'active', 'admin'],
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(lost);
    expect(JSON.stringify(listed.body)).not.toContain(hashToken(lost));
    expect(listed.body[1].lastUsedAt).not.toBeNull();

    const revoked = await harness.admin.post(`/api/v1/tokens/${created.body.tokenId}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revokedBy: 'admin', revokedAt: expect.any(String) });
    const refused = await as(lost).get('/api/v1/invoice-ready');
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('token revoked');
    expect((await harness.admin.post(`/api/v1/tokens/${created.body.tokenId}/revoke`)).status).toBe(409);
    expect(
      (await harness.admin.get('/api/v1/tokens?person=lena&status=revoked')).body.map((t: { id: number }) => t.id),
    ).toEqual([created.body.tokenId]);
    expect((await as(issued.body.token).get('/api/v1/invoice-ready')).status).toBe(200);
  });

  it('refuses bad requests naming the field, and lets only an admin manage tokens', async () => {
    expect((await harness.admin.post('/api/v1/people/nobody-here/tokens', {})).status).toBe(404);
    const past = await harness.admin.post('/api/v1/people/admin/tokens', { expiresAt: '2001-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.details[0].field).toBe('expiresAt');
    const noOffset = await harness.admin.post('/api/v1/people/admin/tokens', { expiresAt: '2099-01-01' });
    expect(noOffset.status).toBe(400);
    expect(noOffset.body.details[0].field).toBe('expiresAt');
    expect((await harness.admin.post('/api/v1/tokens/abc/revoke')).body.details[0].field).toBe('id');
    expect((await harness.admin.put('/api/v1/tokens/999999999/expiry', { expiresAt: null })).status).toBe(404);
    expect((await harness.admin.get('/api/v1/tokens?status=lost')).body.details[0].field).toBe('status');
    expect((await harness.admin.post('/api/v1/tokens', { name: 'admin', role: 'sales' })).status).toBe(409);

    const sam = (await harness.admin.post('/api/v1/tokens', { name: 'sam', role: 'sales' })).body.token as string;
    expect((await as(sam).get('/api/v1/tokens')).status).toBe(403);
    expect((await as(sam).post('/api/v1/people/sam/tokens', {})).status).toBe(403);
  });

  it('stops an expired token with 401 naming why; an expiry can be set, moved and cleared', async () => {
    const created = await harness.admin.post('/api/v1/tokens', { name: 'eddie', role: 'executive' });
    const token = created.body.token as string;
    const set = await harness.admin.put(`/api/v1/tokens/${created.body.tokenId}/expiry`, { expiresAt: inAnHour() });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({ status: 'active', expiresAt: expect.any(String) });
    expect((await as(token).get('/api/v1/invoice-ready')).status).toBe(200);

    await harness.database.db
      .updateTable('api_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', created.body.tokenId)
      .execute();
    const refused = await as(token).get('/api/v1/invoice-ready');
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('token expired');
    expect(refused.body.details[0].message).toContain('expired at');
    expect((await harness.admin.get('/api/v1/tokens?person=eddie&status=expired')).body).toHaveLength(1);

    const cleared = await harness.admin.put(`/api/v1/tokens/${created.body.tokenId}/expiry`, { expiresAt: null });
    expect(cleared.body).toMatchObject({ status: 'active', expiresAt: null });
    expect((await as(token).get('/api/v1/invoice-ready')).status).toBe(200);

    const shortLived = await harness.admin.post('/api/v1/people/eddie/tokens', {
      label: 'contractor',
      expiresAt: inAnHour(),
    });
    expect(shortLived.body.expiresAt).toEqual(expect.any(String));
    expect((await as(shortLived.body.token).get('/api/v1/invoice-ready')).status).toBe(200);
  });

  it('lets a person rotate their own token: the new one works with the same label and expiry, the old one is revoked', async () => {
    const created = await harness.admin.post('/api/v1/tokens', { name: 'dora', role: 'delivery' });
    const old = created.body.token as string;
    const expiresAt = inAnHour();
    await harness.admin.put(`/api/v1/tokens/${created.body.tokenId}/expiry`, { expiresAt });
    const rotated = await as(old).post('/api/v1/tokens/self');
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(201);
    expect(rotated.body).toMatchObject({
      name: 'dora',
      role: 'delivery',
      label: 'first token',
      token: expect.stringMatching(/^hk_/),
    });
    expect(Date.parse(rotated.body.expiresAt)).toBe(Date.parse(expiresAt));
    expect((await as(old).get('/api/v1/tasks')).body.error).toBe('token revoked');
    expect((await as(rotated.body.token).get('/api/v1/tasks')).status).toBe(200);
    const listed = (await harness.admin.get('/api/v1/tokens?person=dora')).body;
    expect(listed.map((t: { status: string; revokedBy: string | null }) => [t.status, t.revokedBy])).toEqual([
      ['active', null],
      ['revoked', 'dora'],
    ]);
  });

  it('writes last use at most once a minute per token', async () => {
    const created = await harness.admin.post('/api/v1/tokens', { name: 'una', role: 'sales' });
    const lastUsed = async () =>
      (
        await harness.database.db
          .selectFrom('api_tokens')
          .select('last_used_at')
          .where('id', '=', created.body.tokenId)
          .executeTakeFirstOrThrow()
      ).last_used_at;
    expect(await lastUsed()).toBeNull();
    await as(created.body.token).get('/api/v1/tasks');
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await as(created.body.token).get('/api/v1/tasks');
    expect(await lastUsed()).toEqual(first);
    const longAgo = new Date(Date.now() - 120_000);
    await harness.database.db
      .updateTable('api_tokens')
      .set({ last_used_at: longAgo })
      .where('id', '=', created.body.tokenId)
      .execute();
    await as(created.body.token).get('/api/v1/tasks');
    expect((await lastUsed())!.getTime()).toBeGreaterThan(longAgo.getTime() + 60_000);
  });

  it('keeps the start-up admin token working: a new one replaces the previous start-up token, API-issued tokens stay', async () => {
    const db = harness.database.db;
    const first = 'hk_admin_first-start-up-token-0001';
    const second = 'hk_admin_second-start-up-token-002';
    await upsertPersonToken(db, { name: 'admin', role: 'admin' }, first);
    // The harness's admin token was the start-up token until now.
    expect((await harness.admin.get('/api/v1/tokens')).body.error).toBe('token revoked');
    const issued = (await as(first).post('/api/v1/people/admin/tokens', { label: 'script' })).body.token as string;
    expect((await as(first).get('/api/v1/tokens')).status).toBe(200);
    await upsertPersonToken(db, { name: 'admin', role: 'admin' }, second);
    expect((await as(second).get('/api/v1/tokens')).status).toBe(200);
    expect((await as(first).get('/api/v1/tokens')).body.error).toBe('token revoked');
    expect((await as(issued).get('/api/v1/tokens')).status).toBe(200);

    // Applying the same token again (every start) keeps it valid, even after it was revoked through the API.
    const row = await db
      .selectFrom('api_tokens')
      .select('id')
      .where('token_hash', '=', hashToken(second))
      .executeTakeFirstOrThrow();
    expect((await as(issued).post(`/api/v1/tokens/${row.id}/revoke`)).status).toBe(200);
    expect((await as(second).get('/api/v1/tokens')).status).toBe(401);
    await upsertPersonToken(db, { name: 'admin', role: 'admin' }, second);
    expect((await as(second).get('/api/v1/tokens')).status).toBe(200);
    await expect(upsertPersonToken(db, { name: 'other-admin', role: 'admin' }, second)).rejects.toThrow(
      /another person/,
    );
    await upsertPersonToken(db, { name: 'admin', role: 'admin' }, harness.admin.token!);
    expect((await harness.admin.get('/api/v1/tokens')).status).toBe(200);
  });
});

describe('migration 0011', () => {
  it("moves each person's token hash to api_tokens (the admin's as the start-up token), and back", async () => {
    const db = harness.database.db;
    const mia = await harness.admin.post('/api/v1/tokens', { name: 'mia', role: 'finance' });
    await apiTokens.down(db);
    const before = (
      await sql<{
        name: string;
        token_hash: string;
      }>`select name, token_hash from people where name in ('admin', 'mia') order by name`.execute(db)
    ).rows;
    expect(before).toEqual([
      { name: 'admin', token_hash: expect.any(String) },
      { name: 'mia', token_hash: hashToken(mia.body.token) },
    ]);
    await apiTokens.up(db);
    const moved = await db
      .selectFrom('api_tokens')
      .innerJoin('people', 'people.id', 'api_tokens.person_id')
      .select(['people.name', 'api_tokens.label', 'api_tokens.token_hash', 'api_tokens.created_by'])
      .where('people.name', 'in', ['admin', 'mia'])
      .orderBy('people.name')
      .execute();
    expect(moved).toEqual([
      { name: 'admin', label: 'start-up', token_hash: before[0].token_hash, created_by: 'migration' },
      { name: 'mia', label: 'first token', token_hash: hashToken(mia.body.token), created_by: 'migration' },
    ]);
    expect((await as(mia.body.token).get('/api/v1/invoice-ready')).status).toBe(200);
  });
});
