import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// The stage funnel (read-models/reports/funnel.ts, issue 12) computed the time spent in each stage from
// every stage transition of the timeline at each request: a window over 1.43 million rows and a sort for
// the medians, 1.5-1.8 s at 200,000 contracts. Each completed stay is now a row of its own, written by
// triggers on the timeline in the transaction that writes the transition, whatever writes it (the
// contract workflow's record activity, registration and its undo, the historical import, tests and
// benches that insert timeline rows directly), and back-filled here from the timeline.
//
// A stay is defined exactly as the report defined it: for a contract's timeline entries that change its
// stage, in (at, id) order, an entry with a from_stage ends a stay in that stage that began at the
// entry before it. Entries written out of order (an import with earlier dates, a deleted registration)
// are handled by recomputing the contract's stays from the first entry the statement touched.

/** A stay's length in days, the expression the report always used. */
const DAYS = `date_part('epoch', left_at - entered_at) / 86400`;

/**
 * Buckets of stay length, in order of length: 6 hours wide under 64 days, 4 days wide under 1,024 days,
 * 64 days wide beyond (multiplications by powers of two and one subtraction: monotonic in float8).
 */
const BUCKET = `case when ${DAYS} < 64 then floor((${DAYS}) * 4)::integer
  when ${DAYS} < 1024 then 256 + floor(((${DAYS}) - 64) / 4)::integer
  else 496 + least(floor(((${DAYS}) - 1024) / 64), 1000000)::integer end`;

const CHANGED = `select no, min(since) as since from unnest(changed_nos, changed_since) c(no, since) group by no`;

/**
 * Each bucket's count is spread over SHARDS rows (by the id of the entry that ended the stay), so that two
 * transitions committing at the same moment rarely wait for the same row.
 */
const SHARDS = 8;

/** Adds (or, with -1, takes away) the stays a statement returned to their buckets' counts, in key order. */
const countInto = (rows: string, sign: 1 | -1) => `
  insert into stage_stay_counts (stage, bucket, shard, stays, micros)
    select stage, bucket, (timeline_id % ${SHARDS})::smallint, ${sign} * count(*), ${sign} * sum(micros) from ${rows}
    group by 1, 2, 3 order by 1, 2, 3
  on conflict (stage, bucket, shard) do update
    set stays = stage_stay_counts.stays + excluded.stays, micros = stage_stay_counts.micros + excluded.micros`;

/** The stays of the given contracts ending at or after each one's `since`, recomputed from the timeline. */
const REFRESH = `
  create function stage_stays_refresh(changed_nos text[], changed_since timestamptz[]) returns void
  language plpgsql as $$
  begin
    with gone as (
      delete from stage_stays s using (${CHANGED}) c where s.contract_no = c.no and s.left_at >= c.since
      returning s.stage, s.bucket, s.timeline_id, s.micros)
    ${countInto('gone', -1)};
    with changed as (${CHANGED}),
    added as (
      insert into stage_stays (timeline_id, contract_no, stage, entered_at, left_at)
        select w.id, w.contract_no, w.from_stage, w.entered_at, w.at
        from (
          select t.id, t.contract_no, t.from_stage, t.at,
            lag(t.at) over (partition by t.contract_no order by t.at, t.id) as entered_at
          from timeline t join changed c on c.no = t.contract_no
          where t.to_stage is not null
        ) w join changed c on c.no = w.contract_no
        where w.at >= c.since and w.from_stage is not null and w.entered_at is not null
      returning stage, bucket, timeline_id, micros)
    ${countInto('added', 1)};
  end $$`;

/** One function per kind of statement: each sees its own transition tables. */
const TRIGGER_FUNCTIONS: Record<string, string> = {
  stage_stays_after_insert: `
    declare nos text[]; sinces timestamptz[];
    begin
      select array_agg(contract_no), array_agg(at) into nos, sinces
        from added where contract_no is not null and to_stage is not null;
      if nos is not null then perform stage_stays_refresh(nos, sinces); end if;
      return null;
    end`,
  stage_stays_after_update: `
    declare nos text[]; sinces timestamptz[];
    begin
      select array_agg(contract_no), array_agg(at) into nos, sinces from (
        select contract_no, at from removed where contract_no is not null and to_stage is not null
        union all
        select contract_no, at from added where contract_no is not null and to_stage is not null) c;
      if nos is not null then perform stage_stays_refresh(nos, sinces); end if;
      return null;
    end`,
  stage_stays_after_delete: `
    declare nos text[]; sinces timestamptz[];
    begin
      select array_agg(contract_no), array_agg(at) into nos, sinces
        from removed where contract_no is not null and to_stage is not null;
      if nos is not null then perform stage_stays_refresh(nos, sinces); end if;
      return null;
    end`,
};

const TRIGGERS: Record<string, string> = {
  timeline_stage_stays_insert: `after insert on timeline referencing new table as added
    for each statement execute function stage_stays_after_insert()`,
  timeline_stage_stays_update: `after update on timeline referencing old table as removed new table as added
    for each statement execute function stage_stays_after_update()`,
  timeline_stage_stays_delete: `after delete on timeline referencing old table as removed
    for each statement execute function stage_stays_after_delete()`,
};

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table stage_stays (
      timeline_id bigint not null,
      contract_no text not null,
      stage text not null,
      entered_at timestamptz not null,
      left_at timestamptz not null,
      -- the report's own measure of a stay (its medians), exact microseconds (its sums) and the bucket
      days float8 generated always as (${sql.raw(DAYS)}) stored,
      micros bigint generated always as ((extract(epoch from left_at - entered_at) * 1000000)::bigint) stored,
      bucket integer generated always as (${sql.raw(BUCKET)}) stored,
      primary key (contract_no, timeline_id)
    )`.execute(db);
  // The value at a rank inside a bucket, read from the index alone.
  await sql`create index stage_stays_stage_bucket on stage_stays (stage, bucket, days)`.execute(db);
  // How many stays, and how long in all, per stage and bucket: the count, average and the bucket that
  // holds the median without reading the stays. Kept in the same statements as stage_stays.
  await sql`
    create table stage_stay_counts (
      stage text not null,
      bucket integer not null,
      shard smallint not null,
      stays bigint not null,
      micros numeric not null,
      primary key (stage, bucket, shard)
    )`.execute(db);

  await sql`
    insert into stage_stays (timeline_id, contract_no, stage, entered_at, left_at)
    select id, contract_no, from_stage, entered_at, at from (
      select id, contract_no, from_stage, at, lag(at) over (partition by contract_no order by at, id) as entered_at
      from timeline where to_stage is not null and contract_no is not null
    ) w where from_stage is not null and entered_at is not null`.execute(db);

  await sql`
    insert into stage_stay_counts (stage, bucket, shard, stays, micros)
    select stage, bucket, (timeline_id % ${sql.raw(String(SHARDS))})::smallint, count(*), sum(micros) from stage_stays group by 1, 2, 3`.execute(
    db,
  );

  // Time stuck per current stage (count, value per currency, past the deadline, age and its median) read
  // from the index alone, in stage order and age order; it replaces 0001's contracts_stage, its key.
  await sql`create index contracts_funnel on contracts (stage, stage_changed_at) include (currency, amount_minor, escalation_level)`.execute(
    db,
  );
  await sql`drop index contracts_stage`.execute(db);

  await sql.raw(REFRESH).execute(db);
  for (const [name, body] of Object.entries(TRIGGER_FUNCTIONS))
    await sql.raw(`create function ${name}() returns trigger language plpgsql as $$ ${body} $$`).execute(db);
  for (const [name, definition] of Object.entries(TRIGGERS))
    await sql.raw(`create trigger ${name} ${definition}`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of Object.keys(TRIGGERS)) await sql.raw(`drop trigger ${name} on timeline`).execute(db);
  for (const name of Object.keys(TRIGGER_FUNCTIONS)) await sql.raw(`drop function ${name}()`).execute(db);
  await sql`drop function stage_stays_refresh(text[], timestamptz[])`.execute(db);
  await sql`create index contracts_stage on contracts (stage, stage_changed_at)`.execute(db);
  await sql`drop index contracts_funnel`.execute(db);
  await sql`drop table stage_stay_counts`.execute(db);
  await sql`drop table stage_stays`.execute(db);
}
