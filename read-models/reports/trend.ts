import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/connect';
import { addDays, firstOfMonth, type LocalDate } from '../../domain/dates';
import {
  type DayEndReceivables,
  type KeptMonthEnd,
  creditSalesOfMonths,
  keptMonthEnds,
  receivablesAtDayEnds,
} from './month-end-figures';
import { CEI_METHOD, DSO_METHOD } from './receivables';
import { type Cell, column, money, numberOrNull, type Report } from './table';

/** Most months one trend answers (the dashboard's trend chart and its form). */
export const MAX_TREND_MONTHS = 12;

export interface TrendQuery {
  /** First and last month, YYYY-MM, both included; months that begin after `today` are left out. */
  from: string;
  to: string;
  timeZone: string;
  today: LocalDate;
}

/** One month of the trend: the period the single-month DSO and CEI reports would be asked for. */
export interface TrendMonth {
  month: string;
  from: LocalDate;
  to: LocalDate;
}

function nextMonth(month: string): string {
  const [year, mon] = month.split('-').map(Number);
  return mon === 12 ? `${year + 1}-01` : `${year}-${String(mon + 1).padStart(2, '0')}`;
}

/** The months from … to, both included, as periods: the first day to the last, or to today in the current month. */
export function trendMonths(q: Pick<TrendQuery, 'from' | 'to' | 'today'>): TrendMonth[] {
  const months: TrendMonth[] = [];
  for (let month = q.from; month <= q.to && `${month}-01` <= q.today; month = nextMonth(month)) {
    const end = addDays(`${nextMonth(month)}-01`, -1);
    months.push({ month, from: `${month}-01`, to: end < q.today ? end : q.today });
  }
  return months;
}

interface TrendRow {
  k: number;
  currency: string;
  ar_minor: number | null;
  ar_current_minor: number | null;
  beginning_minor: number | null;
  sales_minor: number | null;
  dso_days: number | null;
  average_dso_days: number | null;
  cei_percent: number | null;
}

/**
 * DSO and CEI of every month of a range, with the figures of the single-month reports (receivables.ts:
 * dsoReport, ceiReport, each asked for the month's period). Both need the receivables open at the end of a few
 * days (the day before the first month, and the last day of every month, today for the current one) and the
 * credit sales of the months: kept month-ends where there are (services/receivable-snapshots.ts), the others
 * computed (month-end-figures.ts). DSO's countback walks back past the first month only as far as the largest
 * receivables of the trend need, one month at a time.
 */
async function trendRows(db: Db, months: TrendMonth[], timeZone: string): Promise<TrendRow[]> {
  // Day 1 is the day before the first month (CEI's beginning), day k + 1 the end of month k.
  const days = [addDays(months[0].from, -1), ...months.map((m) => m.to)];
  const lastDay = days[days.length - 1];
  const kept = await keptMonthEnds(db, timeZone);
  const dayEnds = await receivablesOnDays(db, days, timeZone, kept);
  const sales = await salesOfMonths(db, months, kept);
  const keptBefore = [...kept.values()].filter((k) => k.asOf < months[0].from);
  const keptPrior = keptBefore.flatMap((k) => k.sales);
  // The credit sales of an earlier month the countback walks through: kept, or summed from the invoices issued in it.
  const priorSales = (
    month: RawBuilder<LocalDate>,
    monthEnd: RawBuilder<LocalDate>,
    currency: RawBuilder<string>,
  ) => sql`
        select (case when ${month} = any(${keptBefore.map((k) => firstOfMonth(k.asOf))}::date[])
          then coalesce((select k.minor from kept_prior k where k.month_start = ${month} and k.currency = ${currency}), 0)
          else coalesce((select sum(i.amount_minor) from invoices i
                         where i.issue_date between ${month} and ${monthEnd} and i.currency = ${currency}), 0)
            + coalesce((select c.minor from credits c where c.month_start = ${month} and c.currency = ${currency}), 0)
          end)::bigint as minor`;
  const result = await sql<TrendRow>`
    with recursive
    months as (
      select (k + 1)::int as k, f::date as from_d, t::date as to_d
      from unnest(${months.map((m) => m.from)}::date[], ${months.map((m) => m.to)}::date[]) with ordinality m(f, t, k)
    ),
    ar as (
      select k, currency, minor, current_minor
      from unnest(${dayEnds.map((d) => d.k)}::int[], ${dayEnds.map((d) => d.currency)}::text[],
        ${dayEnds.map((d) => d.minor)}::bigint[], ${dayEnds.map((d) => d.currentMinor)}::bigint[]) a(k, currency, minor, current_minor)
    ),
    sales as (
      select k, currency, minor
      from unnest(${sales.map((s) => s.k)}::int[], ${sales.map((s) => s.currency)}::text[], ${sales.map((s) => s.minor)}::bigint[]) s(k, currency, minor)
    ),
    kept_prior as (
      select month_start, currency, minor
      from unnest(${keptPrior.map((s) => s.monthStart)}::date[], ${keptPrior.map((s) => s.currency)}::text[],
        ${keptPrior.map((s) => s.minor)}::bigint[]) s(month_start, currency, minor)
    ),
    -- Credit notes per month of issue, for the months walked through that are not kept (read only then).
    credits as (
      select date_trunc('month', i.issue_date::timestamp)::date as month_start, i.currency, sum(d.credit_minor)::bigint as minor
      from disputes d join invoices i on i.no = d.invoice_no
      where d.status = 'resolved' and d.credit_minor > 0 and i.issue_date <= ${lastDay}::date
      group by 1, 2
    ),
    first_issue as (
      select c.currency, (
        select date_trunc('month', min(i.issue_date)::timestamp)::date from invoices i
        where i.currency = c.currency and i.issue_date <= ${lastDay}::date
      ) as first_month
      from (select distinct currency from ar) c
    ),
    trend_sales as (
      select f.currency, m.from_d as month_start, m.to_d as month_end, coalesce(s.minor, 0)::bigint as minor
      from first_issue f cross join months m left join sales s on s.k = m.k and s.currency = f.currency
    ),
    need as (
      select a.currency, max(a.minor - (
        select coalesce(sum(t.minor), 0) from trend_sales t
        where t.currency = a.currency and t.month_start <= (select from_d from months m where m.k = a.k)
      )) as minor
      from ar a where a.k >= 2 group by a.currency
    ),
    prior as (
      select n.currency, p.month_start, p.month_end, s.minor, s.minor::numeric as cum
      from need n join first_issue f using (currency)
      cross join lateral (
        select (${months[0].from}::date - interval '1 month')::date as month_start, ${months[0].from}::date - 1 as month_end
      ) p
      cross join lateral (${priorSales(sql`p.month_start`, sql`p.month_end`, sql`n.currency`)}) s
      where n.minor > 0 and p.month_start >= f.first_month
      union all
      select w.currency, p.month_start, p.month_end, s.minor, w.cum + s.minor
      from prior w join need n using (currency) join first_issue f using (currency)
      cross join lateral (
        select (w.month_start - interval '1 month')::date as month_start, w.month_start - 1 as month_end
      ) p
      cross join lateral (${priorSales(sql`p.month_start`, sql`p.month_end`, sql`w.currency`)}) s
      where w.cum < n.minor and p.month_start >= f.first_month
    ),
    walk_months as (
      select currency, month_start, month_end, minor from trend_sales
      union all
      select currency, month_start, month_end, minor from prior
    ),
    countback as (
      select a.k, a.currency,
        round(sum(case when a.minor <= cb.covered_before then 0
                       when a.minor >= cb.covered_before + j.minor then j.month_end - j.month_start + 1
                       else (j.month_end - j.month_start + 1)::numeric * (a.minor - cb.covered_before) / j.minor end), 1)::float8 as dso_days
      from ar a
      join months m on m.k = a.k
      join first_issue f on f.currency = a.currency
      join walk_months j on j.currency = a.currency and j.month_start <= m.from_d and j.month_start >= f.first_month
      cross join lateral (
        select coalesce(sum(x.minor), 0) as covered_before from walk_months x
        where x.currency = a.currency and x.month_start > j.month_start and x.month_start <= m.from_d
      ) cb
      where j.month_start = m.from_d or cb.covered_before < a.minor
      group by a.k, a.currency
    ),
    keys as (
      select k, currency from ar where k >= 2
      union select k + 1, currency from ar where k < ${days.length}::int
      union select k, currency from sales
    )
    select keys.k, keys.currency, ar.minor as ar_minor, ar.current_minor as ar_current_minor,
      b.minor as beginning_minor, s.minor as sales_minor, cb.dso_days,
      case when coalesce(s.minor, 0) = 0 then null
           else round(coalesce(ar.minor, 0)::numeric * (m.to_d - m.from_d + 1) / s.minor, 1)::float8 end as average_dso_days,
      case when coalesce(b.minor, 0) + coalesce(s.minor, 0) - coalesce(ar.current_minor, 0) = 0 then null
           else round(100.0 * (coalesce(b.minor, 0) + coalesce(s.minor, 0) - coalesce(ar.minor, 0))
                      / (coalesce(b.minor, 0) + coalesce(s.minor, 0) - coalesce(ar.current_minor, 0)), 1)::float8 end as cei_percent
    from keys
    join months m on m.k = keys.k
    left join ar on ar.k = keys.k and ar.currency = keys.currency
    left join ar b on b.k = keys.k - 1 and b.currency = keys.currency
    left join sales s on s.k = keys.k and s.currency = keys.currency
    left join countback cb on cb.k = keys.k and cb.currency = keys.currency
    order by keys.k, keys.currency`.execute(db);
  return result.rows;
}

/** The receivables at the end of each day: kept where a month-end is, the other days computed in one pass. */
async function receivablesOnDays(
  db: Db,
  days: LocalDate[],
  timeZone: string,
  kept: Map<LocalDate, KeptMonthEnd>,
): Promise<DayEndReceivables[]> {
  const fromKept = days.flatMap((day, index) =>
    (kept.get(day)?.receivables ?? []).map((r) => ({ ...r, k: index + 1 })),
  );
  const missing = days.map((day, index) => ({ day, k: index + 1 })).filter(({ day }) => !kept.has(day));
  if (missing.length === 0) return fromKept;
  const computed = await receivablesAtDayEnds(
    db,
    missing.map((m) => m.day),
    timeZone,
  );
  return [...fromKept, ...computed.map((row) => ({ ...row, k: missing[row.k - 1].k }))];
}

/** Each month's credit sales (k = its position + 2, as in trendRows): kept for a kept month-end, else computed. */
async function salesOfMonths(
  db: Db,
  months: TrendMonth[],
  kept: Map<LocalDate, KeptMonthEnd>,
): Promise<{ k: number; currency: string; minor: string }[]> {
  const fromKept = months.flatMap((m, index) => (kept.get(m.to)?.sales ?? []).map((s) => ({ ...s, k: index + 2 })));
  const missing = months.map((m, index) => ({ ...m, k: index + 2 })).filter((m) => !kept.has(m.to));
  const computed = await creditSalesOfMonths(db, missing);
  const kOf = new Map(missing.map((m) => [m.from, m.k]));
  return [...fromKept, ...computed.map((s) => ({ ...s, k: kOf.get(s.monthStart)! }))];
}

/**
 * DSO (countback, with the average method) and CEI of each month from `from` to `to`: per month the
 * currencies and figures the DSO and CEI reports give for the month's period (its first day to its last,
 * or to today), the countback's month list left out.
 */
export async function trendReport(db: Db, q: TrendQuery): Promise<Report> {
  const months = trendMonths(q);
  const rows = months.length === 0 ? [] : await trendRows(db, months, q.timeZone);
  const body = months.map((m, index) => {
    const ofMonth = rows.filter((r) => r.k === index + 2);
    return {
      month: m.month,
      from: m.from,
      to: m.to,
      dso: ofMonth
        .filter((r) => r.ar_minor !== null || r.sales_minor !== null)
        .map((r) => ({
          currency: r.currency,
          receivables: money(Number(r.ar_minor ?? 0), r.currency),
          dsoDays: Number(r.dso_days ?? 0),
          averageMethod: {
            creditSales: money(Number(r.sales_minor ?? 0), r.currency),
            periodDays: dayCount(m),
            dsoDays: numberOrNull(r.average_dso_days),
          },
        })),
      cei: ofMonth.map((r) => ({
        currency: r.currency,
        beginningReceivables: money(Number(r.beginning_minor ?? 0), r.currency),
        creditSales: money(Number(r.sales_minor ?? 0), r.currency),
        endingReceivables: money(Number(r.ar_minor ?? 0), r.currency),
        endingCurrentReceivables: money(Number(r.ar_current_minor ?? 0), r.currency),
        ceiPercent: numberOrNull(r.cei_percent),
      })),
    };
  });
  const tableRows: Record<string, Cell>[] = body.flatMap((m) =>
    m.cei.map((c) => {
      const dso = m.dso.find((d) => d.currency === c.currency);
      return {
        month: m.month,
        currency: c.currency,
        receivables: c.endingReceivables.value,
        dsoDays: dso?.dsoDays ?? null,
        averageDsoDays: dso?.averageMethod.dsoDays ?? null,
        beginning: c.beginningReceivables.value,
        sales: c.creditSales.value,
        endingCurrent: c.endingCurrentReceivables.value,
        cei: c.ceiPercent,
      };
    }),
  );
  return {
    fileName: `trend-${q.from}-${q.to}`,
    body: {
      report: 'trend',
      from: q.from,
      to: q.to,
      timeZone: q.timeZone,
      dsoMethod: DSO_METHOD,
      ceiMethod: CEI_METHOD,
      months: body,
    },
    tables: [
      {
        name: 'trend',
        title: `DSO and CEI by month ${q.from} – ${q.to} 月度周转天数与回款有效性`,
        columns: [
          column('month', 'Month 月份'),
          column('currency', 'Currency 币种'),
          column('receivables', 'Receivables at month end 月末应收', 'money'),
          column('dsoDays', 'DSO countback days 倒推法天数', 'decimal'),
          column('averageDsoDays', 'DSO average method days 平均法天数', 'decimal'),
          column('beginning', 'Beginning receivables 期初应收', 'money'),
          column('sales', 'Credit sales 赊销额', 'money'),
          column('endingCurrent', 'Ending current receivables 期末未到期应收', 'money'),
          column('cei', 'CEI % 回款有效性', 'percent'),
        ],
        rows: tableRows,
      },
    ],
  };
}

const dayCount = (m: TrendMonth) => Number(m.to.slice(8)) - Number(m.from.slice(8)) + 1;
