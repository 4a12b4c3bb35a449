import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// What a task asks, as a message key and its values (domain/task-wording.ts), so the console and the task mails
// word it in the reader's language. `title` keeps the English text for API clients; tasks opened before this
// migration have only that, and a step task's title is the policy author's own words.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table tasks add column wording jsonb`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table tasks drop column wording`.execute(db);
}
