import type { Kysely } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('disputes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('invoice_no', 'text', (c) => c.notNull().references('invoices.no'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('routed_to', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sla_due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('escalated_at', 'timestamptz')
    .addColumn('outcome', 'text')
    .addColumn('credit_minor', 'bigint')
    .addColumn('resolved_by', 'text')
    .addColumn('resolved_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('disputes_invoice').on('disputes').columns(['invoice_no', 'status']).execute();

  await db.schema
    .createTable('promises')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('invoice_no', 'text', (c) => c.notNull().references('invoices.no'))
    .addColumn('customer_code', 'text', (c) => c.notNull())
    .addColumn('contact', 'text', (c) => c.notNull())
    .addColumn('promised_date', 'date', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .addColumn('closed_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('promises_customer').on('promises').columns(['customer_code', 'status']).execute();

  await db.schema
    .alterTable('customers')
    .addColumn('broken_promises', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('invoices')
    .addColumn('written_off_at', 'timestamptz')
    .addColumn('write_off_reason', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('invoices').dropColumn('written_off_at').dropColumn('write_off_reason').execute();
  await db.schema.alterTable('customers').dropColumn('broken_promises').execute();
  await db.schema.dropTable('promises').ifExists().execute();
  await db.schema.dropTable('disputes').ifExists().execute();
}
