import { sql } from 'kysely';
import type { Db } from '../../db/connect';
import { type Stage, STAGES } from '../../domain/stages';
import { column, money, numberOrNull, type Report } from './table';

/** Stages a contract does not leave: their age is no "time stuck". */
const FINAL_STAGES: readonly Stage[] = ['Closed', 'Cancelled'];

interface StageRow {
  stage: Stage;
  contracts: number;
  value_by_currency: { currency: string; minor: number }[];
  completed_visits: number;
  avg_days_in_stage: number | null;
  median_days_in_stage: number | null;
  avg_age_days: number | null;
  median_age_days: number | null;
  max_age_days: number | null;
  escalated: number;
}

export const FUNNEL_METHOD =
  'contracts and contract value (amount) per current stage; time in stage = from the timeline entry that entered a stage ' +
  'to the next one that left it, over every completed stay; time stuck = now − the time the contract entered its current stage, for contracts not closed or cancelled; ' +
  'escalated = contracts whose current stage is past its deadline (the stage policy has told someone).';

const days = (interval: ReturnType<typeof sql>) => sql`date_part('epoch', ${interval}) / 86400`;
const age = days(sql`now() - stage_changed_at`);

/**
 * The median as percentile_cont(0.5) computes it (the lower middle value, plus half the way to the upper
 * one when the count is even), from the two middle values fetched by rank.
 */
const median = (lo: ReturnType<typeof sql>, hi: ReturnType<typeof sql>) =>
  sql`round((${lo} + (${hi} - ${lo}) * 0.5::float8)::numeric, 1)::float8`;

/**
 * Completed stays come from stage_stays (migration 0024, kept with every stage change): the count, the
 * total and the bucket holding each middle rank from stage_stay_counts (a few rows per stage), the middle
 * values from the (stage, bucket, days) index. Time stuck reads the contracts_funnel index (stage,
 * stage_changed_at) alone. Same figures as aggregating the whole timeline, in a few milliseconds.
 */
async function stageRows(db: Db): Promise<StageRow[]> {
  const result = await sql<StageRow>`
    with stages as (
      select s.*, s.stage = any(${[...FINAL_STAGES]}::text[]) as final
      from unnest(${[...STAGES]}::text[]) with ordinality as s(stage, ord)
    ),
    buckets as (
      select stage, bucket, stays, sum(stays) over (partition by stage order by bucket) - stays as before, micros
      from (
        select stage, bucket, sum(stays) as stays, sum(micros) as micros from stage_stay_counts group by stage, bucket
      ) c where stays > 0
    ),
    stay_totals as (
      select stage, sum(stays)::bigint as visits, sum(micros) as micros from buckets group by stage
    ),
    ranked as (
      -- the two middle ranks (0-based; the same one when the count is odd) and the buckets holding them
      select t.stage, t.visits, t.micros, r.rank, b.bucket, r.rank - b.before as offset_in_bucket
      from stay_totals t
      cross join lateral (values ((t.visits - 1) / 2, 1), (t.visits / 2, 2)) as r(rank, which)
      join buckets b on b.stage = t.stage and r.rank >= b.before and r.rank < b.before + b.stays
    ),
    middle as (
      select k.stage, k.visits, k.micros, min(v.days) as lo, max(v.days) as hi
      from ranked k
      cross join lateral (
        -- a bucket of one value (durations counted in whole days) needs no walk through it
        select case when first.days = last.days then first.days else (
          select days from stage_stays where stage = k.stage and bucket = k.bucket order by days offset k.offset_in_bucket limit 1
        ) end as days
        from (select days from stage_stays where stage = k.stage and bucket = k.bucket order by days limit 1) first,
             (select days from stage_stays where stage = k.stage and bucket = k.bucket order by days desc limit 1) last
      ) v
      group by k.stage, k.visits, k.micros
    ),
    completed as (
      select stage, visits::int as visits, round(micros / visits / 86400000000.0, 1)::float8 as avg_days,
        ${median(sql`lo`, sql`hi`)} as median_days
      from middle
    ),
    current_stage as (
      select s.stage, x.contracts, x.escalated, x.value_by_currency,
        round((x.age_sum / x.contracts)::numeric, 1)::float8 as avg_age,
        -- the longest wait is the one that began first
        (select round((${days(sql`now() - x.first_entered`)})::numeric, 1)::float8) as max_age,
        -- no time stuck in a final stage: its ages are not computed
        case when not s.final then (select ${median(sql`min(a)`, sql`max(a)`)} from (
          -- the two middle ages: the youngest first, so ranks count from the shortest wait as the median does
          select ${age} as a from contracts c where c.stage = s.stage
          order by c.stage_changed_at desc offset (x.contracts - 1) / 2 limit 2 - x.contracts % 2
        ) m) end as median_age
      from stages s
      cross join lateral (
        -- one pass over the stage's index entries, per currency, summed
        select sum(g.contracts)::int as contracts, sum(g.escalated)::int as escalated, sum(g.age_sum) as age_sum,
          min(g.first_entered) as first_entered,
          jsonb_agg(jsonb_build_object('currency', g.currency, 'minor', g.minor) order by g.currency) as value_by_currency
        from (
          select currency, count(*) as contracts, count(*) filter (where escalation_level > 0) as escalated,
            sum(${age}) filter (where not s.final) as age_sum, min(stage_changed_at) as first_entered, sum(amount_minor)::bigint as minor
          from contracts c where c.stage = s.stage group by currency
        ) g
      ) x
      where x.contracts > 0
    )
    select s.stage, coalesce(cs.contracts, 0) as contracts, coalesce(cs.escalated, 0) as escalated, coalesce(cs.value_by_currency, '[]'::jsonb) as value_by_currency,
      coalesce(cp.visits, 0) as completed_visits, cp.avg_days as avg_days_in_stage, cp.median_days as median_days_in_stage,
      case when s.stage = any(${[...FINAL_STAGES]}::text[]) then null else cs.avg_age end as avg_age_days,
      case when s.stage = any(${[...FINAL_STAGES]}::text[]) then null else cs.median_age end as median_age_days,
      case when s.stage = any(${[...FINAL_STAGES]}::text[]) then null else cs.max_age end as max_age_days
    from stages s
    left join current_stage cs on cs.stage = s.stage
    left join completed cp on cp.stage = s.stage
    order by s.ord`.execute(db);
  return result.rows;
}

/** The contract stage funnel with time spent and time stuck per stage. */
export async function funnelReport(db: Db, q: { timeZone: string; today: string }): Promise<Report> {
  const rows = await stageRows(db);
  const stages = rows.map((r) => ({
    stage: r.stage,
    contracts: r.contracts,
    value: r.value_by_currency.map((v) => money(Number(v.minor), v.currency)),
    timeInStage: {
      completedStays: r.completed_visits,
      averageDays: numberOrNull(r.avg_days_in_stage),
      medianDays: numberOrNull(r.median_days_in_stage),
    },
    timeStuck: {
      averageDays: numberOrNull(r.avg_age_days),
      medianDays: numberOrNull(r.median_age_days),
      maxDays: numberOrNull(r.max_age_days),
      escalated: r.escalated,
    },
  }));
  return {
    fileName: `funnel-${q.today}`,
    body: { report: 'funnel', generatedOn: q.today, timeZone: q.timeZone, method: FUNNEL_METHOD, stages },
    tables: [
      {
        name: 'funnel',
        title: `Contract stage funnel ${q.today} 合同阶段漏斗`,
        columns: [
          column('stage', 'Stage 阶段'),
          column('contracts', 'Contracts 合同数', 'integer'),
          column('currency', 'Currency 币种'),
          column('value', 'Value 合同金额', 'money'),
          column('completedStays', 'Completed stays 已完成停留', 'integer'),
          column('averageDays', 'Average days in stage 平均停留天数', 'decimal'),
          column('medianDays', 'Median days in stage 停留天数中位数', 'decimal'),
          column('stuckAverageDays', 'Time stuck, average days 当前停留均值', 'decimal'),
          column('stuckMaxDays', 'Time stuck, max days 当前停留最长', 'decimal'),
          column('escalated', 'Past the stage deadline 已超期升级', 'integer'),
        ],
        rows: stages.flatMap((s) => {
          const values = s.value.length > 0 ? s.value : [null];
          return values.map((v) => ({
            stage: s.stage,
            contracts: s.contracts,
            currency: v?.currency ?? null,
            value: v?.value ?? null,
            completedStays: s.timeInStage.completedStays,
            averageDays: s.timeInStage.averageDays,
            medianDays: s.timeInStage.medianDays,
            stuckAverageDays: s.timeStuck.averageDays,
            stuckMaxDays: s.timeStuck.maxDays,
            escalated: s.timeStuck.escalated,
          }));
        }),
      },
    ],
  };
}
