import type { Kysely } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// Late interest assessed when the principal is paid; the invoice stays open for it until collected or waived.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('invoices')
    .addColumn('interest_minor', 'bigint')
    .addColumn('interest_status', 'text')
    .addColumn('interest_note', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('invoices')
    .dropColumn('interest_minor')
    .dropColumn('interest_status')
    .dropColumn('interest_note')
    .execute();
}
