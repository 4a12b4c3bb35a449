import type { Kysely } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// The weekly credit review reads the week's grade and hold events by action and time.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('timeline_action_at').on('timeline').columns(['action', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('timeline_action_at').execute();
}
