import { sql } from 'kysely';
import type { Express } from 'express';
import type { ApiDeps } from '../deps';
import { notFound } from '../../domain/refusal';
import type { ApiRoutes, RouteSpec } from '../route';

// A part that hangs is reported as down quickly: the whole answer comes within about 1.5 s.
const HEALTH_TIMEOUT_MS = 1500;

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return Promise.race([
    promise,
    new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref()),
  ]);
}

export const HEALTH_SPEC: RouteSpec = {
  method: 'get',
  path: '/healthz',
  summary: 'Health of PostgreSQL, Temporal, SMTP and the worker (no token needed)',
  roles: 'any',
  responses: { 200: 'all reachable', 503: 'names what is not reachable' },
  handle: async () => ({ body: {} }),
};

/** /healthz is the one route without a token, so it is mounted before authentication. */
export function mountHealth(app: Express, { health }: ApiDeps): void {
  app.get('/healthz', (_req, res, next) => {
    Promise.all(
      health.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), HEALTH_TIMEOUT_MS);
          return { name, ok: true };
        } catch (error) {
          return { name, ok: false, error: (error as Error).message };
        }
      }),
    )
      .then((results) => {
        const down = results.filter((r) => !r.ok);
        const checks = Object.fromEntries(results.map((r) => [r.name, r.ok ? 'ok' : r.error]));
        if (down.length === 0) res.json({ status: 'ok', checks });
        else
          res.status(503).json({
            error: `unreachable: ${down.map((d) => d.name).join(', ')}`,
            details: down.map((d) => ({ field: d.name, message: d.error })),
            checks,
          });
      })
      .catch(next); // the checks never reject, but writing the answer can throw: express's error handler answers, not an unhandled rejection
  });
}

export function mailboxRoutes(routes: ApiRoutes, { db, mailboxEnabled }: ApiDeps): void {
  routes.add({
    method: 'get',
    path: '/api/v1/mailbox',
    summary: 'Mail received by the embedded SMTP server (only when it is the embedded one)',
    roles: 'any',
    query: { to: 'only mail to this address' },
    responses: { 200: 'messages, newest first (at most 500)', 404: 'an external SMTP relay is used' },
    async handle({ query }) {
      if (!mailboxEnabled) throw notFound('mailbox (an external SMTP relay is configured)');
      let select = db.selectFrom('mailbox').selectAll();
      if (query.to) select = select.where(sql<boolean>`envelope_to @> ${JSON.stringify([query.to])}::jsonb`);
      const messages = await select.orderBy('id', 'desc').limit(500).execute();
      return {
        body: messages.map((m) => ({
          messageId: m.message_id,
          from: m.envelope_from,
          to: m.envelope_to,
          subject: m.subject,
          text: m.body_text,
          html: m.body_html,
          headers: m.headers,
          receivedAt: m.received_at,
        })),
      };
    },
  });
}
