import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// People are told of their tasks (issue 11): each person has a manager (another person, by name), a choice
// of one mail per task or a daily digest at a local hour, and an optional time zone for that hour.
// A task's notification rows name the person and the task; rows of digest people wait ('digest') until
// their digest lists them ('digested'). The task mail is rendered just before it is sent, so the row
// written in the task's transaction may still have an empty subject.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table people
    add column manager_name text references people (name) on update cascade on delete set null,
    add column notify text not null default 'each' check (notify in ('each', 'digest')),
    add column digest_hour smallint not null default 9 check (digest_hour between 0 and 23),
    add column time_zone text,
    add constraint people_not_own_manager check (manager_name is null or manager_name <> name)`.execute(db);
  await sql`alter table notifications
    add column person_name text,
    add column task_id bigint references tasks (id) on delete set null,
    add column digest_key text`.execute(db);
  // The sender's batch: pending task mails and digests, oldest first.
  await sql`create index notifications_task_pending on notifications (id)
    where status in ('pending', 'sending') and kind in ('task', 'task_escalated', 'digest')`.execute(db);
  // A digest person's waiting task rows.
  await sql`create index notifications_digest_waiting on notifications (person_name, id) where status = 'digest'`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index notifications_digest_waiting`.execute(db);
  await sql`drop index notifications_task_pending`.execute(db);
  await sql`alter table notifications drop column digest_key, drop column task_id, drop column person_name`.execute(db);
  await sql`alter table people drop constraint people_not_own_manager, drop column time_zone, drop column digest_hour,
    drop column notify, drop column manager_name`.execute(db);
}
