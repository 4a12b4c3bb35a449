import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// The built-in default policy's step tasks are worded in the reader's language from now on (their texts are
// ours, not a policy author's); the open and closed tasks opened before with those exact texts get the same
// wording, so a Chinese reader no longer sees them in English. A task retitled by hand or from another policy
// keeps its title alone.

const DEFAULT_STEP_TASKS: [step: string, title: string][] = [
  ['call_weekly', 'Call the customer about the overdue payment'],
  ['formal_reminder', 'Send and follow up the formal written reminder'],
  ['statement_30', 'Send the statement of account with late interest'],
  ['visit_monthly', 'Visit the customer face to face'],
  ['executive_60', 'Executive letter and call to the customer decision maker'],
  ['legal_notice_90', 'Final demand and hand-over to legal'],
];

export async function up(db: Kysely<any>): Promise<void> {
  const pairs = sql.join(DEFAULT_STEP_TASKS.map(([step, title]) => sql`(${step}, ${title})`));
  await sql`
    update tasks set wording = jsonb_build_object('key', 'defaultStepTask', 'step', tasks.step)
    from (values ${pairs}) as default_step(step, title)
    where tasks.kind = 'collection' and tasks.wording is null
      and tasks.step = default_step.step and tasks.title = default_step.title`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`update tasks set wording = null where wording->>'key' = 'defaultStepTask'`.execute(db);
}
