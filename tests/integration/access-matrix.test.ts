import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouteSpec, PUBLIC_PATHS, rolesOf } from '../../api/route';
import { routeSpecs } from '../../api/route-table';
import { ROLES, type Role } from '../../domain/roles';
import { type ApiHarness, startApiHarness } from '../support/api-harness';

/**
 * Every route × every role × no token, a bad, an expired and a revoked token, against the real API:
 * 401 without a valid token, 403 for a role not in the route's list, never 401/403 for a listed role.
 * Allowed calls send an empty body to made-up ids, so 400/404/409 are expected and fine.
 */

const PARAMS: Record<string, string> = {
  id: '999999999',
  no: 'MATRIX-NO',
  code: 'MATRIX-C',
  name: 'matrix-nobody',
  date: '2001-01-01',
  version: '1',
};

interface Call {
  method: string;
  path: string;
  spec: RouteSpec;
}

function calls(): Call[] {
  return routeSpecs().flatMap((spec) => {
    const path = spec.path.replace(/:([A-Za-z]+)/g, (_, name: string) => PARAMS[name] ?? 'x');
    const call = { method: spec.method.toUpperCase(), path, spec };
    // Reports also answer ?format=csv through their own export handler, checked the same way.
    return spec.query && 'format' in spec.query ? [call, { ...call, path: `${path}?format=csv` }] : [call];
  });
}

let harness: ApiHarness;
let baseUrl: string;
const tokens = {} as Record<Role | 'expired' | 'revoked' | 'bad', string>;

async function send(call: Call, token: string | undefined): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${baseUrl}${call.path}`, {
    method: call.method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: call.method === 'GET' ? undefined : '{}',
  });
  const text = await response.text();
  let error: string | undefined;
  try {
    error = JSON.parse(text).error;
  } catch {
    error = undefined;
  }
  return { status: response.status, error };
}

async function issue(name: string, body: Record<string, unknown> = {}): Promise<{ id: number; token: string }> {
  const issued = await harness.admin.post(`/api/v1/people/${encodeURIComponent(name)}/tokens`, body);
  expect(issued.status, JSON.stringify(issued.body)).toBe(201);
  return issued.body;
}

/** Runs the checks a few at a time, so the whole matrix takes seconds, not minutes. */
async function inParallel<T>(items: T[], run: (item: T) => Promise<void>, width = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await run(items[next++]);
    }),
  );
}

beforeAll(async () => {
  harness = await startApiHarness();
  baseUrl = harness.admin.baseUrl;
  tokens.admin = harness.admin.token!;
  for (const role of ROLES.filter((r) => r !== 'admin')) {
    const created = await harness.admin.post('/api/v1/tokens', { name: `matrix-${role}`, role });
    expect(created.status).toBe(201);
    tokens[role] = created.body.token;
  }
  const expired = await issue('admin', { label: 'expires' });
  await harness.database.db
    .updateTable('api_tokens')
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where('id', '=', expired.id)
    .execute();
  tokens.expired = expired.token;
  const revoked = await issue('admin', { label: 'revoked' });
  expect((await harness.admin.post(`/api/v1/tokens/${revoked.id}/revoke`)).status).toBe(200);
  tokens.revoked = revoked.token;
  tokens.bad = 'hk_this-token-was-never-issued';
});

afterAll(async () => {
  await harness?.stop();
});

describe('the access matrix', () => {
  it('answers 401 without a valid token, 403 outside the role list and never 401/403 inside it, on every route', async () => {
    const all = calls();
    expect(all.length).toBeGreaterThan(80);
    const failures: string[] = [];
    const check = (call: Call, who: string, got: { status: number; error?: string }, ok: boolean, want: string) => {
      if (!ok)
        failures.push(`${call.method} ${call.path} as ${who}: got ${got.status} ${got.error ?? ''}, want ${want}`);
    };
    let allowedCalls = 0;
    await inParallel(all, async (call) => {
      if (PUBLIC_PATHS.includes(call.spec.path)) {
        const got = await send(call, undefined);
        check(call, 'no token', got, got.status !== 401 && got.status !== 403, 'no 401/403 (public)');
        return;
      }
      const none = await send(call, undefined);
      check(
        call,
        'no token',
        none,
        none.status === 401 && none.error === 'missing bearer token',
        '401 missing bearer token',
      );
      for (const [kind, error] of [
        ['bad', 'unknown token'],
        ['expired', 'token expired'],
        ['revoked', 'token revoked'],
      ] as const) {
        const got = await send(call, tokens[kind]);
        check(call, `a ${kind} token`, got, got.status === 401 && got.error === error, `401 ${error}`);
      }
      for (const role of ROLES) {
        // Rotating one's own token revokes the token used: each role rotates a throwaway one.
        const token =
          call.spec.path === '/api/v1/tokens/self'
            ? (await issue(role === 'admin' ? 'admin' : `matrix-${role}`)).token
            : tokens[role];
        const got = await send(call, token);
        if (rolesOf(call.spec).includes(role)) {
          allowedCalls += 1;
          check(call, role, got, got.status !== 401 && got.status !== 403, 'neither 401 nor 403');
        } else {
          check(call, role, got, got.status === 403, '403');
        }
      }
    });
    expect(failures).toEqual([]);
    expect(allowedCalls).toBeGreaterThan(100);
  });

  it('still knows every role afterwards: the matrix revoked nothing it should not have', async () => {
    for (const role of ROLES) {
      const got = await send({ method: 'GET', path: '/api/v1/tasks', spec: routeSpecs()[0] }, tokens[role]);
      expect(got.status, role).toBe(200);
    }
  });
});
