import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// Letters and notifications are sent without a transaction open: a row is claimed ('sending' until
// claimed_until), the SMTP conversation happens, then the row is marked sent. The claim keeps a
// second attempt from sending the same row while the first may still be talking to the server.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table letters add column claimed_until timestamptz`.execute(db);
  await sql`alter table notifications add column claimed_until timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table notifications drop column claimed_until`.execute(db);
  await sql`alter table letters drop column claimed_until`.execute(db);
}
