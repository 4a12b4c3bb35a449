import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// The local mailbox keeps one copy per Message-ID, as receiving mail systems do, and counts redeliveries.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('mailbox')
    .addColumn('deliveries', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .createIndex('mailbox_message_id')
    .unique()
    .on('mailbox')
    .column('message_id')
    .where(sql.ref('message_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('mailbox_message_id').execute();
  await db.schema.alterTable('mailbox').dropColumn('deliveries').execute();
}
