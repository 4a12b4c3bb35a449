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

async function stageRows(db: Db): Promise<StageRow[]> {
  const result = await sql<StageRow>`
    with stages as (select * from unnest(${[...STAGES]}::text[]) with ordinality as s(stage, ord)),
    stays as (
      select from_stage, at - lag(at) over (partition by contract_no order by at, id) as spent
      from timeline where to_stage is not null and contract_no is not null
    ),
    completed as (
      select from_stage as stage, count(*)::int as visits,
        round((avg(${days(sql`spent`)}))::numeric, 1)::float8 as avg_days,
        round((percentile_cont(0.5) within group (order by ${days(sql`spent`)}))::numeric, 1)::float8 as median_days
      from stays where from_stage is not null and spent is not null group by from_stage
    ),
    current_stage as (
      select stage, count(*)::int as contracts, count(*) filter (where escalation_level > 0)::int as escalated,
        round((avg(${days(sql`now() - stage_changed_at`)}))::numeric, 1)::float8 as avg_age,
        round((percentile_cont(0.5) within group (order by ${days(sql`now() - stage_changed_at`)}))::numeric, 1)::float8 as median_age,
        round((max(${days(sql`now() - stage_changed_at`)}))::numeric, 1)::float8 as max_age
      from contracts group by stage
    ),
    stage_value as (
      select stage, jsonb_agg(jsonb_build_object('currency', currency, 'minor', minor) order by currency) as value_by_currency
      from (select stage, currency, sum(amount_minor)::bigint as minor from contracts group by stage, currency) v group by stage
    )
    select s.stage, coalesce(cs.contracts, 0) as contracts, coalesce(cs.escalated, 0) as escalated, coalesce(sv.value_by_currency, '[]'::jsonb) as value_by_currency,
      coalesce(cp.visits, 0) as completed_visits, cp.avg_days as avg_days_in_stage, cp.median_days as median_days_in_stage,
      case when s.stage = any(${[...FINAL_STAGES]}::text[]) then null else cs.avg_age end as avg_age_days,
      case when s.stage = any(${[...FINAL_STAGES]}::text[]) then null else cs.median_age end as median_age_days,
      case when s.stage = any(${[...FINAL_STAGES]}::text[]) then null else cs.max_age end as max_age_days
    from stages s
    left join current_stage cs on cs.stage = s.stage
    left join stage_value sv on sv.stage = s.stage
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
