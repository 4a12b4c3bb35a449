import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { errorFields, logger } from '../stack/logger';
import type { Database } from './schema';
import * as initial from './migrations/0001_initial';
import * as collectionEngine from './migrations/0002_collection_engine';
import * as disputesPromises from './migrations/0003_disputes_promises';
import * as mailboxDedupe from './migrations/0004_mailbox_dedupe';
import * as interestSettlement from './migrations/0005_interest_settlement';
import * as customerCalendar from './migrations/0006_customer_calendar';
import * as creditMoneyIn from './migrations/0007_credit_money_in';
import * as reportIndexes from './migrations/0008_report_indexes';
import * as timelineAction from './migrations/0009_timeline_action';
import * as paymentSafety from './migrations/0010_payment_safety';
import * as apiTokens from './migrations/0011_api_tokens';
import * as workerHeartbeats from './migrations/0012_worker_heartbeats';
import * as outboxClaims from './migrations/0013_outbox_claims';
import * as contractListIndexes from './migrations/0014_contract_list_indexes';
import * as signIn from './migrations/0015_sign_in';
import * as customerExposure from './migrations/0016_customer_exposure';
import * as consoleQueueIndexes from './migrations/0017_console_queue_indexes';
import * as peopleTold from './migrations/0018_people_told';
import * as blockedLetters from './migrations/0019_blocked_letters';
import * as contractCosts from './migrations/0020_contract_costs';
import * as customerPortal from './migrations/0021_customer_portal';
import * as stageDeadlines from './migrations/0022_stage_deadlines';
import * as receivablesAsOf from './migrations/0023_receivables_as_of';
import * as stageStays from './migrations/0024_stage_stays';
import * as invoicedTrigger from './migrations/0025_invoiced_trigger';
import * as receivableSnapshots from './migrations/0026_receivable_snapshots';
import * as taskWording from './migrations/0027_task_wording';
import * as defaultStepTaskWording from './migrations/0028_default_step_task_wording';

// bigint columns hold minor units far below 2^53, so read them as numbers; dates stay 'YYYY-MM-DD'.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type Db = Kysely<Database>;

/** The pool under each Db made by connect(): for the rare command that needs one client of its own (poolOf). */
const pools = new WeakMap<Db, pg.Pool>();

/** The pg pool a Db made by connect() queries through (the go-live import COPYs on one of its clients). */
export function poolOf(db: Db): pg.Pool | undefined {
  return pools.get(db);
}

/**
 * A pool and its query builder. `readOnly`: every session starts with default_transaction_read_only on
 * (the reports' pool, REPORTS_DATABASE_URL), so a write through it is refused by PostgreSQL itself.
 */
export function connect(databaseUrl: string, maxConnections = 10, options: { readOnly?: boolean } = {}): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: maxConnections,
    connectionTimeoutMillis: 10_000,
    ...(options.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // An idle connection closed by the server (restart, shutdown) must not crash the process; the pool reconnects.
  pool.on('error', (error) => logger('postgres').warn(errorFields(error), 'idle connection closed'));
  // Nor may one that is checked out (a backend ended by pg_terminate_backend): the query fails, the process lives.
  pool.on('connect', (client) =>
    client.on('error', (error) => logger('postgres').warn(errorFields(error), 'connection lost')),
  );
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return db;
}

/** Migrations are listed statically so they load the same under tsx, vitest and a bundle. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_collection_engine': collectionEngine,
  '0003_disputes_promises': disputesPromises,
  '0004_mailbox_dedupe': mailboxDedupe,
  '0005_interest_settlement': interestSettlement,
  '0006_customer_calendar': customerCalendar,
  '0007_credit_money_in': creditMoneyIn,
  '0008_report_indexes': reportIndexes,
  '0009_timeline_action': timelineAction,
  '0010_payment_safety': paymentSafety,
  '0011_api_tokens': apiTokens,
  '0012_worker_heartbeats': workerHeartbeats,
  '0013_outbox_claims': outboxClaims,
  '0014_contract_list_indexes': contractListIndexes,
  '0015_sign_in': signIn,
  '0016_customer_exposure': customerExposure,
  '0017_console_queue_indexes': consoleQueueIndexes,
  '0018_people_told': peopleTold,
  '0019_blocked_letters': blockedLetters,
  '0020_contract_costs': contractCosts,
  '0021_customer_portal': customerPortal,
  '0022_stage_deadlines': stageDeadlines,
  '0023_receivables_as_of': receivablesAsOf,
  '0024_stage_stays': stageStays,
  '0025_invoiced_trigger': invoicedTrigger,
  '0026_receivable_snapshots': receivableSnapshots,
  '0027_task_wording': taskWording,
  '0028_default_step_task_wording': defaultStepTaskWording,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

// kysely's Migrator takes Kysely<any>: migrations run against whatever schema the database has, not today's type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
