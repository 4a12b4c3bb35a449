import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOpenApi } from '../../api/openapi';
import {
  ROUTES_DOC,
  ROUTES_END,
  ROUTES_START,
  routeSpecs,
  routesMarkdown,
  withRoutesTable,
} from '../../api/route-table';
import { taskClosers } from '../../api/routes/tasks';
import { ACTIONS, rolesFor } from '../../domain/stages';

const apiDoc = fs.readFileSync(ROUTES_DOC, 'utf8');
const row = (method: string, path: string) =>
  routesMarkdown()
    .split('\n')
    .find((line) => line.startsWith(`| ${method} | ${path} |`));

describe('the route table', () => {
  it('is what docs/api.md shows (run npm run docs:routes when this fails)', () => {
    expect(ROUTES_DOC.endsWith('docs/api.md')).toBe(true);
    expect(apiDoc).toContain(ROUTES_START);
    expect(apiDoc).toContain(ROUTES_END);
    expect(withRoutesTable(apiDoc)).toBe(apiDoc);
  });

  it('notices a stale table', () => {
    const stale = apiDoc.replace(
      '| GET | /api/v1/credit/warnings | sales, finance, executive |',
      '| GET | /api/v1/credit/warnings | sales, finance, executive, admin |',
    );
    expect(stale).not.toBe(apiDoc);
    expect(withRoutesTable(stale)).toBe(apiDoc);
  });

  it('lists every route once, with who may call it', () => {
    const keys = routeSpecs().map((s) => `${s.method} ${s.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(
      expect.arrayContaining([
        'get /healthz',
        'get /api/v1/openapi.json',
        'post /api/v1/tokens/self',
        'get /api/v1/tokens',
      ]),
    );
    expect(row('GET', '/healthz')).toContain('| anyone, no token |');
    expect(row('GET', '/api/v1/tasks')).toContain('| any signed-in person |');
  });

  it('shows the roles of every contract transition from domain/stages.ts', () => {
    for (const action of ACTIONS)
      expect(row('POST', `/api/v1/contracts/:no/${action}`)).toContain(`| ${rolesFor(action).join(', ')}`);
    expect(row('POST', '/api/v1/contracts/:no/deliver')).toContain('| delivery |');
  });

  it('states the rules checked beyond the role list', () => {
    expect(row('POST', '/api/v1/invoices/:no/write-off/decision')).toContain(
      '| executive; not the person who requested the write-off |',
    );
    expect(row('POST', '/api/v1/tasks/:id/done')).toContain(
      "sales, delivery, finance, executive; a person of the task's owner role or of the role it escalated to",
    );
    expect(row('POST', '/api/v1/contracts/:no/approve')).toContain('overriding a failed check needs a reason');
  });

  it('keeps admin to people, tokens, policies and calendars: not credit warnings, reviews or tasks', () => {
    for (const [method, p] of [
      ['GET', '/api/v1/credit/warnings'],
      ['GET', '/api/v1/credit/reviews'],
      ['POST', '/api/v1/credit/reviews'],
      ['POST', '/api/v1/tasks/:id/done'],
    ]) {
      expect(row(method, p)?.split('|')[3], p).not.toContain('admin');
    }
  });
});

describe('the OpenAPI document', () => {
  const doc = buildOpenApi(routeSpecs()) as {
    paths: Record<
      string,
      Record<
        string,
        {
          description: string;
          'x-roles': string[];
          'x-rule'?: string;
          responses: Record<string, unknown>;
          security?: unknown[];
        }
      >
    >;
  };

  it('lists the roles of each operation with its 401 and 403', () => {
    const review = doc.paths['/api/v1/credit/reviews'].post;
    expect(review['x-roles']).toEqual(['finance', 'executive']);
    expect(review.description).toBe('Who may call it: finance, executive.');
    expect(Object.keys(review.responses)).toEqual(expect.arrayContaining(['401', '403']));
    const decide = doc.paths['/api/v1/invoices/{no}/write-off/decision'].post;
    expect(decide['x-rule']).toBe('not the person who requested the write-off');
    const tasks = doc.paths['/api/v1/tasks'].get;
    expect(tasks['x-roles']).toEqual(['admin', 'sales', 'delivery', 'finance', 'executive']);
    expect(Object.keys(tasks.responses)).toContain('401');
    expect(Object.keys(tasks.responses)).not.toContain('403');
  });

  it('gives the public health check no token and no 401', () => {
    const health = doc.paths['/healthz'].get;
    expect(health.security).toEqual([]);
    expect(health['x-roles']).toEqual([]);
    expect(Object.keys(health.responses)).not.toContain('401');
  });
});

describe('who closes a task', () => {
  it('is its owner role or the role it escalated to; sales stands in for the assistant nobody signs in as', () => {
    expect(taskClosers({ owner_role: 'sales', escalated_to: null })).toEqual(['sales']);
    expect(taskClosers({ owner_role: 'sales', escalated_to: 'executive' })).toEqual(['sales', 'executive']);
    expect(taskClosers({ owner_role: 'assistant', escalated_to: null })).toEqual(['assistant', 'sales']);
    expect(taskClosers({ owner_role: 'assistant', escalated_to: 'sales' })).toEqual(['assistant', 'sales']);
    expect(taskClosers({ owner_role: 'finance', escalated_to: null })).not.toContain('executive');
  });
});
