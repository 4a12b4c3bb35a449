import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// A balance never goes below zero whatever a bug or a race tries; invoice numbers found in remittance
// text are looked up case-insensitively without reading the whole table.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table invoices add constraint invoices_balance_not_negative check (balance_minor >= 0)`.execute(db);
  await sql`create index invoices_no_upper on invoices (upper(no))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index invoices_no_upper`.execute(db);
  await sql`alter table invoices drop constraint invoices_balance_not_negative`.execute(db);
}
