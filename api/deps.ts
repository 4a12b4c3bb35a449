import type { Logger } from '../stack/logger';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connect';

export interface HealthCheck {
  name: 'postgres' | 'temporal' | 'smtp' | 'worker';
  check(): Promise<void>;
}

export interface ApiDeps {
  db: Db;
  /** REPORTS_DATABASE_URL's read-only pool, which every report reads through; `db` when absent. */
  reportsDb?: Db;
  temporal: Client;
  taskQueue: string;
  defaultTimeZone: string;
  /** LETTER_SEND_TIME, the default for simulations. */
  letterSendTime: string;
  /** Present when the embedded SMTP catcher receives the mail, so GET /mailbox can show it. */
  mailboxEnabled: boolean;
  health: HealthCheck[];
  /** Every route's Temporal calls must be answered within this (default 15 s); see ApiRoutes. */
  temporalDeadlineMs?: number;
  /** The worker's Prometheus endpoint, whose Temporal SDK metrics GET /metrics adds to its own. */
  workerMetricsUrl?: string;
  /** SESSION_IDLE_MINUTES: a console session ends after this much inactivity (default 30). */
  sessionIdleMinutes?: number;
  /** PUBLIC_URL is https: the session cookie is Secure even when the request reached us over http (a TLS proxy). */
  secureCookies?: boolean;
  /** COMPANY_NAME, which the customer's page is signed with. */
  companyName?: string;
  /** Where the request lines go; the process's `api` logger when absent. */
  requestLogger?: Logger;
}

export const DEFAULT_TEMPORAL_DEADLINE_MS = 15_000;
