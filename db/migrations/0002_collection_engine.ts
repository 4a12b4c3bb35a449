import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('policies')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('definition', 'jsonb', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('policies_pk', ['id', 'version'])
    .execute();

  await db.schema
    .createTable('policy_selections')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('policy_selections_pk', ['scope', 'key'])
    .execute();

  await db.schema
    .createTable('calendars')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('definition', 'jsonb', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .alterTable('invoices')
    .addColumn('policy_id', 'text')
    .addColumn('policy_version', 'integer')
    .execute();

  await db.schema
    .createTable('tasks')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('task_key', 'text', (c) => c.notNull().unique())
    .addColumn('invoice_no', 'text', (c) => c.references('invoices.no'))
    .addColumn('contract_no', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('step', 'text')
    .addColumn('occurrence', 'integer')
    .addColumn('owner_role', 'text', (c) => c.notNull())
    .addColumn('owner_name', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('escalated_to', 'text')
    .addColumn('closed_by', 'text')
    .addColumn('closed_at', 'timestamptz')
    .addColumn('note', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('tasks_open_by_owner').on('tasks').columns(['status', 'owner_role', 'due_at']).execute();
  await db.schema.createIndex('tasks_invoice').on('tasks').column('invoice_no').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tasks').ifExists().execute();
  await db.schema.alterTable('invoices').dropColumn('policy_id').dropColumn('policy_version').execute();
  for (const table of ['calendars', 'policy_selections', 'policies'])
    await db.schema.dropTable(table).ifExists().execute();
}
