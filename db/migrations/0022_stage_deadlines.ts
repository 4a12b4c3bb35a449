import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// Stage deadlines (issue 11): versioned stage policies chosen per customer grade or per contract, like
// the escalation policies; and how far the contract's current wait has escalated, for the funnel.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('stage_policies')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('definition', 'jsonb', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('stage_policies_pk', ['id', 'version'])
    .execute();
  await db.schema
    .createTable('stage_policy_selections')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('stage_policy_selections_pk', ['scope', 'key'])
    .execute();
  await db.schema
    .alterTable('contracts')
    .addColumn('escalation_level', 'smallint', (c) => c.notNull().defaultTo(0))
    .addColumn('escalated_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('contracts').dropColumn('escalation_level').dropColumn('escalated_at').execute();
  await db.schema.dropTable('stage_policy_selections').execute();
  await db.schema.dropTable('stage_policies').execute();
}
