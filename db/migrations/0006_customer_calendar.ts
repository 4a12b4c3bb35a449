import type { Kysely } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// A customer may follow its own business calendar (another country's holidays); null means the default.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('customers').addColumn('calendar_id', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('customers').dropColumn('calendar_id').execute();
}
