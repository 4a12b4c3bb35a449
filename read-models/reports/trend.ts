import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/connect';
import { AGING_BUCKETS } from '../../domain/aging';
import { addDays, daysBetween, type LocalDate } from '../../domain/dates';
import { endOfDay } from './as-of';
import { CEI_METHOD, DSO_METHOD } from './receivables';
import { type Cell, column, money, numberOrNull, type Report } from './table';

/** Most months one trend answers (the dashboard's trend chart and its form). */
export const MAX_TREND_MONTHS = 12;

/** Days past due up to which a balance is current (not yet due): the aging's first bucket, as in CEI. */
const CURRENT_MAX_DAYS = AGING_BUCKETS[0].maxDays!;

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
 * DSO and CEI of every month of a range in one query, with the figures of the single-month reports
 * (receivables.ts: dsoReport, ceiReport, each asked for the month's period).
 *
 * Both need the receivables open at the end of a few days: the day before the first month, and the last day
 * of every month (today for the current one). Instead of one as-of computation per day (as-of.ts), one pass:
 * - the candidates are the invoices not paid now and the paid ones open on at least one of the days (a range
 *   of invoices_paid_as_of per day of issue: last_received_on after the first of the days on or after it);
 * - an invoice no later fact changes on any of the days (no allocation or payment reversed after the end of a
 *   day that counted it, no credit note resolved after the end of a day it was issued by; "touched" otherwise)
 *   owes a constant amount over each of three stretches:
 *   its amount from its issue until its first payment, its balance now from its last payment on (if not paid
 *   now), and in between (several payments) what the allocations received by then leave; cut at its write-off.
 *   Each constant stretch is a range of day numbers (width_bucket over the sorted days), summed per
 *   (currency, first day, last day, last day it is current) before being spread over the days. Every candidate
 *   is summed so (a scan without references to CTEs, which PostgreSQL may share among parallel workers), and
 *   the touched ones are summed again apart and taken away;
 * - a touched invoice (few) is computed day by day the plain way: amount, plus credit notes resolved after
 *   the day, less the allocations received by the day and not reversed, nor their payment, by its end.
 * Credit sales are one range of invoices_issue_date for the whole trend; DSO's countback walks back past the
 * first month only as far as the largest receivables of the trend need, one month at a time.
 */
async function trendRows(db: Db, months: TrendMonth[], timeZone: string): Promise<TrendRow[]> {
  // Day 1 is the day before the first month (CEI's beginning), day k + 1 the end of month k.
  const days = [addDays(months[0].from, -1), ...months.map((m) => m.to)];
  const firstDay = days[0];
  const lastDay = days[days.length - 1];
  const firstEnd = endOfDay(firstDay, timeZone);
  const ds = sql`${days}::date[]`;
  const ends = sql`array(select (d + 1)::timestamp at time zone ${timeZone} from unnest(${days}::date[]) d order by d)`;
  // Paid invoices open on one of the days, per day of issue: the first of the days on or after the day of issue
  // has to be before their last payment. In three ranges of days of issue (up to the first day, then the months
  // in two halves), so that parallel workers share them.
  const paidOpen = (from: RawBuilder<unknown>, to: LocalDate) => sql`
      select i.no, i.currency, i.issue_date, i.due_date, i.amount_minor, null, i.written_off_at,
        i.first_received_on, i.last_received_on
      from generate_series(${from}, ${to}::date, interval '1 day') issued
      cross join lateral (
        select * from invoices i
        where i.status = 'paid' and i.issue_date = issued::date
          and i.last_received_on > (${ds})[width_bucket(issued::date - 1, ${ds}) + 1]
      ) i`;
  const middle = addDays(firstDay, Math.ceil(daysBetween(firstDay, lastDay) / 2));
  const paidRanges = [
    { from: sql`(select min(issue_date) from invoices where status = 'paid')`, to: firstDay },
    { from: sql`${addDays(firstDay, 1)}::date`, to: middle },
    { from: sql`${addDays(middle, 1)}::date`, to: lastDay },
  ];
  const placedSums = (from: RawBuilder<unknown>, sign: number) => sql`
      select currency, cu, lo, wo, f, l, case when greatest(lo, f) < least(l, wo) then no end as no,
        case when greatest(lo, f) < least(l, wo) then ${sign}::int end as sign,
        ${sign}::int * sum(amount_minor) filter (where amount_minor > 0) as amount_minor,
        ${sign}::int * sum(balance_minor) filter (where balance_minor > 0) as balance_minor,
        min(amount_minor) as invoice_amount_minor
      from (
        select c.currency, c.amount_minor, c.balance_minor, c.no,
          width_bucket(c.issue_date - 1, ${ds}) as lo,
          coalesce(width_bucket(c.written_off_at, ${ends}), ${days.length}::int) as wo,
          width_bucket(c.due_date + ${CURRENT_MAX_DAYS}::int, ${ds}) as cu,
          coalesce(width_bucket(c.first_received_on - 1, ${ds}), ${days.length}::int) as f,
          coalesce(width_bucket(c.last_received_on - 1, ${ds}), ${days.length}::int) as l
        from ${from} c
      ) placed
      group by 1, 2, 3, 4, 5, 6, 7, 8`;
  const result = await sql<TrendRow>`
    with recursive
    grid as (
      select ${days}::date[] as ds,
        array(select (d + 1)::timestamp at time zone ${timeZone} from unnest(${days}::date[]) d order by d) as ends,
        ${days.length}::int as n
    ),
    months as (
      select (k + 1)::int as k, f::date as from_d, t::date as to_d
      from unnest(${months.map((m) => m.from)}::date[], ${months.map((m) => m.to)}::date[]) with ordinality m(f, t, k)
    ),
    -- Invoices a fact recorded after one of the days changes on that day: an allocation received by a day and
    -- reversed (or its payment) after the day's end, a credit note resolved after the end of a day the invoice
    -- was issued by. (Reversed before the first day's end after its receipt, it never counted on any of them.)
    touched as (
      select a.invoice_no from allocations a cross join grid
      where a.reversed_at >= ${firstEnd} and a.received_on <= ${lastDay}::date
        and grid.ends[width_bucket(a.received_on - 1, grid.ds) + 1] <= a.reversed_at
      union
      select a.invoice_no from payments p join allocations a on a.payment_id = p.id cross join grid
      where p.reversed_at >= ${firstEnd} and a.received_on <= ${lastDay}::date
        and grid.ends[width_bucket(a.received_on - 1, grid.ds) + 1] <= p.reversed_at
      union
      select d.invoice_no from disputes d join invoices i on i.no = d.invoice_no cross join grid
      where d.status = 'resolved' and d.credit_minor > 0 and d.resolved_at >= ${firstEnd} and i.issue_date <= ${lastDay}::date
        and grid.ends[width_bucket(i.issue_date - 1, grid.ds) + 1] <= d.resolved_at
    ),
    -- The invoices not paid now and the paid ones open on at least one of the days; the days, their ends and
    -- their count as constants (no reference to a CTE), so that PostgreSQL may read the branches in parallel.
    candidate as (
      select i.no, i.currency, i.issue_date, i.due_date, i.amount_minor, i.balance_minor, i.written_off_at,
        i.first_received_on, i.last_received_on
      from invoices i
      where i.status <> 'paid' and i.issue_date <= ${lastDay}::date and (i.written_off_at is null or i.written_off_at >= ${firstEnd})
      union all
      ${sql.join(
        paidRanges.map((range) => paidOpen(range.from, range.to)),
        sql`
      union all
`,
      )}
    ),
    -- The touched ones among the candidates, to take away again (sign −1): their figures are the plain ones below.
    touched_candidate as (
      select i.no, i.currency, i.issue_date, i.due_date, i.amount_minor, case when i.status <> 'paid' then i.balance_minor end as balance_minor,
        i.written_off_at, i.first_received_on, i.last_received_on
      from invoices i
      where i.no in (select invoice_no from touched) and i.issue_date <= ${lastDay}::date
        and case when i.status <> 'paid' then i.written_off_at is null or i.written_off_at >= ${firstEnd}
                 else i.last_received_on > (${ds})[width_bucket(i.issue_date - 1, ${ds}) + 1] end
    ),
    -- Each candidate placed among the days (k = 1 … n): issued before day lo + 1, first and last payment before
    -- days f + 1 and l + 1, written off by the end of day wo + 1, current up to day cu (width_bucket over the
    -- sorted days). It owes its amount on days lo + 1 … min(f, wo), its balance now on days max(lo, l) + 1 … wo
    -- (not paid now), and in between (several payments) what its allocations leave: those few are kept by
    -- number, the others summed by placement.
    stretch as (
      ${placedSums(sql`candidate`, 1)}
      union all
      ${placedSums(sql`touched_candidate`, -1)}
    ),
    -- A touched invoice, day by day the plain way: amount + credit notes resolved after the day − allocations
    -- received by the day and not reversed, nor their payment, by its end.
    touched_day as (
      select i.no, i.currency, i.amount_minor, width_bucket(i.due_date + ${CURRENT_MAX_DAYS}::int, grid.ds) as cu,
        d.k::int as k, d.as_of, (d.as_of + 1)::timestamp at time zone ${timeZone} as day_end
      from invoices i cross join grid cross join unnest(grid.ds) with ordinality d(as_of, k)
      where i.no in (select invoice_no from touched) and i.issue_date <= d.as_of
        and (i.written_off_at is null or i.written_off_at >= (d.as_of + 1)::timestamp at time zone ${timeZone})
    ),
    touched_balance as (
      select currency, k, cu, sum(minor) as minor from (
        select no, currency, k, cu, amount_minor as minor from touched_day
        union all
        select t.no, t.currency, t.k, t.cu, x.credit_minor
        from touched_day t join disputes x on x.invoice_no = t.no
        where x.status = 'resolved' and x.credit_minor > 0 and x.resolved_at >= t.day_end
        union all
        select t.no, t.currency, t.k, t.cu, -a.amount_minor
        from touched_day t join allocations a on a.invoice_no = t.no
        left join payments p on p.id = a.payment_id and p.reversed_at is not null
        where a.received_on <= t.as_of and (a.reversed_at is null or a.reversed_at >= t.day_end)
          and (p.reversed_at is null or p.reversed_at >= t.day_end)
      ) parts
      group by no, currency, k, cu having sum(minor) > 0
    ),
    day_balance as (
      select s.currency, k, s.cu, s.amount_minor as minor
      from stretch s cross join generate_series(s.lo + 1, least(s.f, s.wo)) k where s.amount_minor is not null
      union all
      select s.currency, k, s.cu, s.balance_minor
      from stretch s cross join generate_series(greatest(s.lo, s.l) + 1, s.wo) k where s.balance_minor is not null
      union all
      select s.currency, k, s.cu, s.sign * b.minor
      from stretch s cross join grid cross join generate_series(greatest(s.lo, s.f) + 1, least(s.l, s.wo)) k
      cross join lateral (
        select s.invoice_amount_minor - coalesce((
          select sum(a.amount_minor) from allocations a
          where a.invoice_no = s.no and a.received_on <= grid.ds[k] and a.reversed_at is null
            and a.payment_id not in (select id from payments where reversed_at is not null)
        ), 0) as minor
      ) b
      where s.no is not null and b.minor > 0
      union all
      select currency, k, cu, minor from touched_balance
    ),
    ar as (
      select currency, k, sum(minor)::bigint as minor, coalesce(sum(minor) filter (where k <= cu), 0)::bigint as current_minor
      from day_balance group by currency, k
      having sum(minor) > 0
    ),
    credits as (
      select date_trunc('month', i.issue_date::timestamp)::date as month_start, i.currency, sum(d.credit_minor)::bigint as minor
      from disputes d join invoices i on i.no = d.invoice_no
      where d.status = 'resolved' and d.credit_minor > 0 and i.issue_date <= ${lastDay}::date
      group by 1, 2
    ),
    issued as (
      select date_trunc('month', issue_date::timestamp)::date as month_start, currency, sum(amount_minor)::bigint as minor
      from invoices where issue_date between ${months[0].from}::date and ${lastDay}::date
      group by 1, 2
    ),
    sales as (
      select m.k, currency, (coalesce(s.minor, 0) + coalesce(c.minor, 0))::bigint as minor
      from months m join issued s on s.month_start = m.from_d left join credits c using (month_start, currency)
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
      cross join lateral (
        select (coalesce((select sum(i.amount_minor) from invoices i
                          where i.issue_date between p.month_start and p.month_end and i.currency = n.currency), 0)
          + coalesce((select c.minor from credits c where c.month_start = p.month_start and c.currency = n.currency), 0))::bigint as minor
      ) s
      where n.minor > 0 and p.month_start >= f.first_month
      union all
      select w.currency, p.month_start, p.month_end, s.minor, w.cum + s.minor
      from prior w join need n using (currency) join first_issue f using (currency)
      cross join lateral (
        select (w.month_start - interval '1 month')::date as month_start, w.month_start - 1 as month_end
      ) p
      cross join lateral (
        select (coalesce((select sum(i.amount_minor) from invoices i
                          where i.issue_date between p.month_start and p.month_end and i.currency = w.currency), 0)
          + coalesce((select c.minor from credits c where c.month_start = p.month_start and c.currency = w.currency), 0))::bigint as minor
      ) s
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
      union select k + 1, currency from ar where k < (select n from grid)
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
