import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// Each worker process beats here every 2 s while it polls; /healthz reads it to tell a live worker
// from a dead or shut-down one.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('worker_heartbeats')
    .addColumn('worker_id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('task_queue', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('beat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('worker_heartbeats_queue_beat')
    .on('worker_heartbeats')
    .columns(['task_queue', 'beat_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('worker_heartbeats').execute();
}
