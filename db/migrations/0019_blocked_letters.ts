import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// Letters that cannot go out (issue 11): a letter whose recipient roles have no contact is kept as a
// 'blocked' outbox row with the roles it misses and the step request it came from, so it can be rendered
// and sent once the contact exists. The partial index finds the letters still waiting (blocked, or
// released and not yet sent) without walking the outbox.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table letters add column blocked_roles jsonb`.execute(db);
  await sql`alter table letters add column step_request jsonb`.execute(db);
  await sql`create index letters_waiting_contact on letters (invoice_no)
    where blocked_roles is not null and status in ('blocked', 'pending', 'sending')`.execute(db);
  // A customer's contacts by address, for the duplicate check of the contact commands.
  await sql`create index customer_contacts_email on customer_contacts (customer_code, lower(email))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('customer_contacts_email').execute();
  await db.schema.dropIndex('letters_waiting_contact').execute();
  await sql`alter table letters drop column step_request`.execute(db);
  await sql`alter table letters drop column blocked_roles`.execute(db);
}
