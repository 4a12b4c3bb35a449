/**
 * GET /metrics in the Prometheus text format: this API process's HTTP request durations, the
 * business gauges every API process reads from PostgreSQL at scrape time (the letter outbox, tasks,
 * import rows), and, when WORKER_METRICS_URL names it, the Temporal SDK metrics of the worker.
 */
import type { Express, RequestHandler } from 'express';
import { sql } from 'kysely';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../db/connect';
import { errorFields, logger } from '../stack/logger';
import { routeOf } from './request-log';

const WORKER_SCRAPE_TIMEOUT_MS = 1_000;

export interface Metrics {
  registry: Registry;
  /** Observes each request's duration under its route pattern, method and status. */
  middleware: RequestHandler;
}

export function createMetrics(db: Db): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'huikuan_api_' });
  const requests = new Histogram({
    name: 'huikuan_http_request_duration_seconds',
    help: 'API requests by route pattern, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  businessGauges(registry, db);
  const middleware: RequestHandler = (req, res, next) => {
    const stop = requests.startTimer();
    res.on('finish', () =>
      stop({ method: req.method, route: routeOf(req) ?? 'unmatched', status: String(res.statusCode) }),
    );
    next();
  };
  return { registry, middleware };
}

type Reading = { labels?: Record<string, string>; value: number };

/**
 * A gauge read from PostgreSQL at each scrape. When the database cannot answer, the gauge is left out
 * of that scrape (and a warning logged) instead of failing the whole of /metrics.
 */
function sqlGauge(
  registry: Registry,
  spec: { name: string; help: string; labelNames?: string[] },
  read: () => Promise<Reading[]>,
): void {
  new Gauge({
    ...spec,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const { labels, value } of await read()) {
          if (labels) this.set(labels, value);
          else this.set(value);
        }
      } catch (error) {
        logger('api').warn({ ...errorFields(error), metric: spec.name }, 'metric could not be read');
      }
    },
  });
}

/** Few, indexed or small queries: the outbox by status, its oldest unsent letter, open tasks, import rows. */
function businessGauges(registry: Registry, db: Db): void {
  sqlGauge(
    registry,
    {
      name: 'huikuan_letters',
      help: 'Letters in the outbox by status (pending, sending, sent; blocked: waiting for a contact; cancelled_paid, cancelled_closed, superseded: never sent)',
      labelNames: ['status'],
    },
    async () => {
      const rows = await db
        .selectFrom('letters')
        .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
        .groupBy('status')
        .execute();
      return rows.map((row) => ({ labels: { status: row.status }, value: Number(row.count) }));
    },
  );
  sqlGauge(
    registry,
    {
      name: 'huikuan_letter_oldest_unsent_seconds',
      help: 'How long the oldest letter not yet sent (pending or sending) has been due; 0 when none',
    },
    async () => {
      const row = await db
        .selectFrom('letters')
        .select(sql<string | null>`extract(epoch from now() - min(scheduled_for))`.as('age'))
        .where('status', 'in', ['pending', 'sending'])
        .where('scheduled_for', '<=', sql<Date>`now()`)
        .executeTakeFirst();
      return [{ value: Math.max(Number(row?.age ?? 0), 0) }];
    },
  );
  sqlGauge(
    registry,
    {
      name: 'huikuan_notifications',
      help: 'Internal mails (task mails, digests, the credit review) in the outbox by status (pending, sending, sent, digest, digested, no_recipient, failed)',
      labelNames: ['status'],
    },
    async () => {
      const rows = await db
        .selectFrom('notifications')
        .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
        .groupBy('status')
        .execute();
      return rows.map((row) => ({ labels: { status: row.status }, value: Number(row.count) }));
    },
  );
  sqlGauge(
    registry,
    {
      name: 'huikuan_notification_oldest_unsent_seconds',
      help: 'How long the oldest task mail or digest not yet sent (pending or sending) has waited; 0 when none',
    },
    async () => {
      // The sender's partial index (notifications_task_pending) holds exactly these rows.
      const row = await db
        .selectFrom('notifications')
        .select(sql<string | null>`extract(epoch from now() - min(created_at))`.as('age'))
        .where('status', 'in', ['pending', 'sending'])
        .where('kind', 'in', ['task', 'task_escalated', 'digest'])
        .executeTakeFirst();
      return [{ value: Math.max(Number(row?.age ?? 0), 0) }];
    },
  );
  sqlGauge(
    registry,
    {
      name: 'huikuan_tasks_open',
      help: 'Open tasks by owner role, split by whether they are past their due time',
      labelNames: ['owner_role', 'overdue'],
    },
    async () => {
      const rows = await db
        .selectFrom('tasks')
        .select([
          'owner_role',
          sql<boolean>`due_at < now()`.as('overdue'),
          (eb) => eb.fn.countAll<string>().as('count'),
        ])
        .where('status', '=', 'open')
        .groupBy(['owner_role', sql`due_at < now()`])
        .execute();
      return rows.map((row) => ({
        labels: { owner_role: row.owner_role, overdue: String(row.overdue) },
        value: Number(row.count),
      }));
    },
  );
  sqlGauge(
    registry,
    {
      name: 'huikuan_import_rows',
      help: 'Rows read by imports so far, by kind and outcome',
      labelNames: ['kind', 'outcome'],
    },
    async () =>
      (await importRowCounts(db)).map((row) => ({ labels: { kind: row.kind, outcome: row.outcome }, value: row.rows })),
  );
}

/** Sums the counts every stored import report carries: a bank statement's lines, a go-live file's rows of each kind. */
async function importRowCounts(db: Db): Promise<{ kind: string; outcome: string; rows: number }[]> {
  const result = await sql<{ kind: string; outcome: string; rows: string }>`
    select kind, outcome, sum(value)::bigint as rows from (
      select 'bank_statement' as kind, o.outcome, coalesce((i.report ->> o.outcome)::bigint, 0) as value
        from imports i cross join unnest(array['rowsRead', 'imported', 'unmatched', 'duplicates', 'rejected']) as o(outcome)
        where i.kind = 'bank_statement'
      union all
      select 'historical_' || e.entity, o.outcome, coalesce((i.report -> e.entity ->> o.outcome)::bigint, 0)
        from imports i cross join unnest(array['customers', 'contracts', 'invoices', 'settlements']) as e(entity)
        cross join unnest(array['read', 'imported', 'duplicates', 'rejected']) as o(outcome)
        where i.kind = 'historical'
    ) counts group by kind, outcome order by kind, outcome`.execute(db);
  return result.rows.map((r) => ({ kind: r.kind, outcome: r.outcome, rows: Number(r.rows) }));
}

/** The worker's own Prometheus text (the Temporal SDK's metrics), or nothing when it cannot be read quickly. */
async function workerMetrics(url: string | undefined): Promise<string> {
  if (!url) return '';
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(WORKER_SCRAPE_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return await response.text();
  } catch (error) {
    logger('api').warn({ ...errorFields(error), url }, 'worker metrics could not be read');
    return `# worker metrics unavailable from ${url}\n`;
  }
}

export function mountMetrics(app: Express, metrics: Metrics, workerMetricsUrl: string | undefined): void {
  app.get('/metrics', (_req, res, next) => {
    Promise.all([metrics.registry.metrics(), workerMetrics(workerMetricsUrl)]).then(([own, worker]) => {
      res.type(metrics.registry.contentType).send(worker ? `${own}\n${worker}` : own);
    }, next);
  });
}
