import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// A person may hold several API tokens, each listed, revocable and optionally expiring; the one hash
// per person on `people` moves here (the admin's as the start-up token, which start-up re-keys).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('person_id', 'bigint', (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'text')
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('api_tokens_person').on('api_tokens').column('person_id').execute();
  await sql`
    insert into api_tokens (person_id, label, token_hash, created_at, created_by)
    select id, case when name = 'admin' and role = 'admin' then 'start-up' else 'first token' end, token_hash, created_at, 'migration'
    from people`.execute(db);
  await db.schema.alterTable('people').dropColumn('token_hash').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('people').addColumn('token_hash', 'text').execute();
  // Back to one token per person: the newest one still valid, else a hash no token can match.
  await sql`
    update people p set token_hash = coalesce(
      (select t.token_hash from api_tokens t where t.person_id = p.id and t.revoked_at is null order by t.id desc limit 1),
      'revoked:' || p.id)`.execute(db);
  await sql`alter table people alter column token_hash set not null`.execute(db);
  await sql`alter table people add constraint people_token_hash_key unique (token_hash)`.execute(db);
  await db.schema.dropTable('api_tokens').execute();
}
