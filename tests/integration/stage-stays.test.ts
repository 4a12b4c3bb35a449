/**
 * The stage stays behind the funnel (migration 0024): a completed stay per stage change, kept by triggers
 * on the timeline in the transaction that writes the change, whoever writes it, and always equal to what
 * the funnel used to compute from the whole timeline; the per-bucket counts always equal the stays.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { recordContractEvent } from '../../activities/contract-records';
import type { Db } from '../../db/connect';
import { STAGES, type Stage } from '../../domain/stages';
import { insertContract, insertCustomerC1, useTestDatabase } from '../support/database';

const DAY_MS = 86_400_000;
const T0 = Date.parse('2026-01-05T01:00:00Z');
const sally = { name: 'sally', role: 'sales' as const };

let db: Db;
useTestDatabase(async (created) => {
  db = created;
  await insertCustomerC1(db);
});

const entry = (contractNo: string, key: string, at: number, from: Stage | null, to: Stage | null) => ({
  event_key: `${contractNo}/${key}`,
  contract_no: contractNo,
  at: new Date(at),
  actor_name: 'sally',
  actor_role: 'sales',
  action: to ? 'transition' : 'note',
  from_stage: from,
  to_stage: to,
  details: '{}',
});

/** The stays as the funnel computed them before migration 0024: a window over the whole timeline. */
async function staysFromTimeline(): Promise<unknown[]> {
  const { rows } = await sql`
    select id::int as timeline_id, contract_no, from_stage as stage, entered_at, at as left_at,
      date_part('epoch', at - entered_at) / 86400 as days
    from (select id, contract_no, from_stage, at, lag(at) over (partition by contract_no order by at, id) as entered_at
          from timeline where to_stage is not null and contract_no is not null) w
    where from_stage is not null and entered_at is not null
    order by contract_no, timeline_id`.execute(db);
  return rows;
}

async function stays(): Promise<unknown[]> {
  const { rows } = await sql`
    select timeline_id::int, contract_no, stage, entered_at, left_at, days from stage_stays
    order by contract_no, timeline_id`.execute(db);
  return rows;
}

/** The counts kept beside the stays against the counts of the stays themselves. */
async function expectCountsOfStays(): Promise<void> {
  const kept = await sql`
    select stage, bucket, sum(stays)::int as stays, sum(micros)::text as micros from stage_stay_counts
    group by stage, bucket having sum(stays) <> 0 order by stage, bucket`.execute(db);
  const counted = await sql`
    select stage, bucket, count(*)::int as stays, sum(micros)::text as micros from stage_stays
    group by stage, bucket order by stage, bucket`.execute(db);
  expect(kept.rows).toEqual(counted.rows);
}

describe('stage stays', () => {
  it('are written with each transition the contract workflow records, in its transaction, once', async () => {
    await insertContract(db, 'S1');
    await db
      .insertInto('timeline')
      .values(entry('S1', 'register', T0, null, 'Opportunity'))
      .execute();
    const transition = (seq: number, days: number, from: Stage, to: Stage) =>
      recordContractEvent(db, {
        contractNo: 'S1',
        seq,
        at: T0 + days * DAY_MS,
        actor: sally,
        action: 'transition',
        fromStage: from,
        toStage: to,
        changes: { stage: to },
      });
    await transition(1, 2.5, 'Opportunity', 'SolutionReview');
    await transition(2, 4, 'SolutionReview', 'ContractReview');
    await transition(2, 4, 'SolutionReview', 'ContractReview'); // a replay of the same event
    const written = await db
      .selectFrom('stage_stays')
      .select(['stage', 'days', 'entered_at', 'left_at'])
      .where('contract_no', '=', 'S1')
      .orderBy('left_at')
      .execute();
    expect(written).toEqual([
      { stage: 'Opportunity', days: 2.5, entered_at: new Date(T0), left_at: new Date(T0 + 2.5 * DAY_MS) },
      {
        stage: 'SolutionReview',
        days: 1.5,
        entered_at: new Date(T0 + 2.5 * DAY_MS),
        left_at: new Date(T0 + 4 * DAY_MS),
      },
    ]);

    // A transaction that writes a stage change and fails leaves no stay behind.
    await expect(
      db.transaction().execute(async (trx) => {
        await trx
          .insertInto('timeline')
          .values(entry('S1', 'lost', T0 + 9 * DAY_MS, 'ContractReview', 'Split'))
          .execute();
        throw new Error('the transition fails after its timeline entry');
      }),
    ).rejects.toThrow('the transition fails');
    expect(await stays()).toEqual(await staysFromTimeline());
    expect((await stays()).length).toBe(2);
    await expectCountsOfStays();
  });

  it('stay equal to the timeline when entries come out of order, in bulk, are moved or deleted', async () => {
    await insertContract(db, 'S2');
    // Entered Opportunity on day 0, SolutionReview on day 10; a note in between changes no stage.
    await db
      .insertInto('timeline')
      .values([
        entry('S2', 'a', T0, null, 'Opportunity'),
        entry('S2', 'note', T0 + 3 * DAY_MS, null, null),
        entry('S2', 'c', T0 + 10 * DAY_MS, 'Opportunity', 'SolutionReview'),
      ])
      .execute();
    expect(await stays()).toEqual(await staysFromTimeline());
    // An entry dated between them (an import of older history) splits the Opportunity stay.
    await db
      .insertInto('timeline')
      .values(entry('S2', 'b', T0 + 4 * DAY_MS, 'Opportunity', 'Opportunity'))
      .execute();
    expect(await stays()).toEqual(await staysFromTimeline());
    expect(
      (
        await db.selectFrom('stage_stays').select('days').where('contract_no', '=', 'S2').orderBy('left_at').execute()
      ).map((s) => s.days),
    ).toEqual([4, 6]);
    await expectCountsOfStays();

    // Two entries at the same instant are ordered by id, as the report ordered them.
    await db
      .insertInto('timeline')
      .values(entry('S2', 'd', T0 + 10 * DAY_MS, 'SolutionReview', 'ContractReview'))
      .execute();
    expect(await stays()).toEqual(await staysFromTimeline());

    // Moved and deleted (the registration undone when the workflow cannot start).
    await db
      .updateTable('timeline')
      .set({ at: new Date(T0 + 12 * DAY_MS) })
      .where('event_key', '=', 'S2/d')
      .execute();
    expect(await stays()).toEqual(await staysFromTimeline());
    await db.deleteFrom('timeline').where('event_key', '=', 'S2/b').execute();
    expect(await stays()).toEqual(await staysFromTimeline());
    await db.deleteFrom('timeline').where('event_key', '=', 'S2/a').execute();
    expect(await stays()).toEqual(await staysFromTimeline());
    await expectCountsOfStays();

    // A bulk statement (a historical import, a bench) for many contracts, its rows in no particular order,
    // with stays from minutes to years long.
    const rows = [];
    for (let c = 0; c < 40; c += 1) {
      const no = `B${c}`;
      let at = T0 - 800 * DAY_MS;
      const path = STAGES.slice(0, 2 + (c % 8));
      for (let k = 0; k < path.length; k += 1) {
        rows.push(entry(no, String(k), at, k === 0 ? null : path[k - 1], path[k]));
        at += Math.round((((c * 7919 + k * 104729) % 1000) / 1000) ** 3 * 1500 * DAY_MS) + 60_000;
      }
    }
    rows.sort(
      (a, b) => ((a.event_key.length * 31 + a.at.getTime()) % 7) - ((b.event_key.length * 31 + b.at.getTime()) % 7),
    );
    await db.insertInto('timeline').values(rows).execute();
    const expected = await staysFromTimeline();
    expect(await stays()).toEqual(expected);
    expect(expected.length).toBeGreaterThan(150);
    await expectCountsOfStays();
    // Long stays land in the wider buckets, still in order of length.
    const { rows: order } = await sql<{ misplaced: number }>`
      select count(*)::int as misplaced from stage_stays a join stage_stays b on a.stage = b.stage
      where a.bucket < b.bucket and a.days > b.days`.execute(db);
    expect(order[0].misplaced).toBe(0);
    const { rows: widest } = await sql<{ max: number }>`select max(bucket) from stage_stays`.execute(db);
    expect(widest[0].max).toBeGreaterThan(256);
  });
});
