import path from 'node:path';
import { z } from 'zod';
import { isTimeZone } from '../domain/dates';
import { LOG_FORMATS, LOG_LEVELS } from '../stack/logger';

const optionalText = z.string().trim().min(1).optional();
const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Every setting the processes read, in one validated schema. Unset service URLs mean "start an embedded one". */
const schema = z.object({
  DATA_DIR: z.string().default('.data'),
  PORT: port(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.url().optional(),
  /** How many days a new customer's page link works (docs/customer-page.md). */
  PORTAL_LINK_DAYS: z.coerce.number().int().min(1).max(3650).default(60),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** A console session ends after this many minutes without a request (and 12 hours after signing in in any case). */
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(720).default(30),

  DATABASE_URL: z
    .url()
    .refine((u) => /^postgres(ql)?:/.test(u), 'must be a postgres:// URL')
    .optional(),
  EMBEDDED_PG_PORT: port(5433),
  /**
   * Reports and their downloads read through a pool of their own on this URL (a read replica, or a
   * read-only role), every transaction read-only; unset, they read through DATABASE_URL's pool.
   */
  REPORTS_DATABASE_URL: z
    .url()
    .refine((u) => /^postgres(ql)?:/.test(u), 'must be a postgres:// URL')
    .optional(),

  TEMPORAL_ADDRESS: optionalText,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('huikuan'),
  TEMPORAL_TLS: flag.default(false),
  TEMPORAL_TLS_CERT_PATH: optionalText,
  TEMPORAL_TLS_KEY_PATH: optionalText,
  TEMPORAL_TLS_CA_PATH: optionalText,
  TEMPORAL_API_KEY: optionalText,
  TEMPORAL_DEV_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  TEMPORAL_CLI_PATH: optionalText,
  TEMPORAL_TEST_SERVER_PATH: optionalText,

  SMTP_URL: z
    .url()
    .refine((u) => /^smtps?:/.test(u), 'must be an smtp:// or smtps:// URL')
    .optional(),
  EMBEDDED_SMTP_PORT: port(2525),
  MAIL_FROM: z.string().default('Huikuan AR <ar@huikuan.local>'),
  COMPANY_NAME: z.string().default('Huikuan'),

  DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  WORKER_MAX_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(20),
  WORKER_MAX_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1000).default(40),
  WORKER_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  SMTP_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(20),
  LETTER_CLAIM_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** Task mails (issue 11): how often the sender runs, its batch, mails in flight, batches per run. */
  TASK_MAIL_EVERY_SECONDS: z.coerce.number().int().min(10).max(3600).default(60),
  TASK_MAIL_BATCH: z.coerce.number().int().min(1).max(1000).default(100),
  TASK_MAIL_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(4),
  TASK_MAIL_MAX_BATCHES: z.coerce.number().int().min(1).max(100).default(10),
  CPU_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  CPU_QUEUE: z.coerce.number().int().min(1).max(10_000).default(16),
  CPU_JOB_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),

  /** A workflow bundle written by `npm run build`; the worker bundles the workflow code at start-up when unset. */
  WORKFLOW_BUNDLE_PATH: optionalText,
  /** The worker serves the Temporal SDK's metrics in the Prometheus format on 127.0.0.1:<this port> (off when unset). */
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Where the API reads those metrics to add them to its GET /metrics; `npm start` sets both. */
  WORKER_METRICS_URL: z.url().optional(),
  // Read by stack/logger.ts in every process; validated here so a typo stops `npm start` with its name.
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_FORMAT: z.enum(LOG_FORMATS).optional(),

  LETTER_SEND_TIME: z
    .string()
    .regex(/^(immediate|([01]\d|2[0-3]):[0-5]\d)$/, 'must be HH:MM or "immediate"')
    .default('09:30'),
  DEFAULT_TIME_ZONE: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai')
    .default('Asia/Shanghai'),
  CREDIT_REVIEW_LOCALES: z
    .string()
    .default('zh-CN,en')
    .transform((v) =>
      v
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
    )
    .refine(
      (ls) => ls.length > 0 && ls.every((l) => l === 'zh-CN' || l === 'en'),
      'must be a comma-separated list of zh-CN and en',
    ),
});

export type Config = z.infer<typeof schema> & { dataDir: string };

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  if (config.TEMPORAL_TLS_CERT_PATH && !config.TEMPORAL_TLS_KEY_PATH) {
    throw new ConfigError(
      'invalid configuration:\n  TEMPORAL_TLS_KEY_PATH: required when TEMPORAL_TLS_CERT_PATH is set',
    );
  }
  return { ...config, dataDir: path.resolve(config.DATA_DIR) };
}
