import crypto from 'node:crypto';
import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// The customer's page (issue 11): a personal link per customer contact (signed with a server secret kept
// here so that every API and worker process shares it and it survives restarts), the letter that carried
// it, and the one attachment a customer may give with a dispute.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('app_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db
    .insertInto('app_secrets')
    .values({ name: 'portal_link', value: crypto.randomBytes(32).toString('base64url') })
    .execute();

  await db.schema
    .createTable('portal_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'integer', (c) => c.notNull().references('customer_contacts.id').onDelete('cascade'))
    .addColumn('customer_code', 'text', (c) => c.notNull().references('customers.code'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'text')
    .execute();
  await sql`create index portal_links_contact_live on portal_links (contact_id, expires_at desc) where revoked_at is null`.execute(
    db,
  );
  await db.schema.createIndex('portal_links_customer').on('portal_links').column('customer_code').execute();

  await db.schema
    .alterTable('letters')
    .addColumn('portal_link_id', 'text', (c) => c.references('portal_links.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('letters_portal_link').on('letters').column('portal_link_id').execute();

  await db.schema
    .createTable('dispute_attachments')
    .addColumn('dispute_id', 'text', (c) => c.primaryKey().references('disputes.id'))
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('content', 'bytea', (c) => c.notNull())
    .addColumn('uploaded_by', 'text', (c) => c.notNull())
    .addColumn('uploaded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('dispute_attachments').execute();
  await db.schema.alterTable('letters').dropColumn('portal_link_id').execute();
  await db.schema.dropTable('portal_links').execute();
  await db.schema.dropTable('app_secrets').execute();
}
