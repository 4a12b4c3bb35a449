import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/connect';
import { AGING_BUCKETS } from '../../domain/aging';
import { addDays, daysBetween, firstOfMonth, type LocalDate } from '../../domain/dates';
import { endOfDay } from './as-of';

/** Days past due up to which a balance is current (not yet due): the aging's first bucket, as in CEI. */
const CURRENT_MAX_DAYS = AGING_BUCKETS[0].maxDays!;

/** The receivables open at the end of the k-th day (1-based) in one currency, in minor units (exact, as text). */
export interface DayEndReceivables {
  k: number;
  currency: string;
  minor: string;
  /** Of those, the ones at most CURRENT_MAX_DAYS past due. */
  currentMinor: string;
}

interface DayEndRow {
  k: number;
  currency: string;
  minor: string | number;
  current_minor: string | number;
}

/**
 * The receivables open at the end of each of a few days (sorted, in `timeZone`), per currency: what the as-of
 * computation (as-of.ts) gives for each day, in one pass instead of one per day. Currencies with nothing open
 * on a day are left out. The trend (trend.ts) and the month-end snapshots (services/receivable-snapshots.ts) use it.
 *
 * How:
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
 */
export async function receivablesAtDayEnds(db: Db, days: LocalDate[], timeZone: string): Promise<DayEndReceivables[]> {
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
  const result = await sql<DayEndRow>`
    with
    grid as (
      select ${days}::date[] as ds,
        array(select (d + 1)::timestamp at time zone ${timeZone} from unnest(${days}::date[]) d order by d) as ends,
        ${days.length}::int as n
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
    )
    select k, currency, minor, current_minor from ar`.execute(db);
  return result.rows.map((r) => ({
    k: r.k,
    currency: r.currency,
    minor: String(r.minor),
    currentMinor: String(r.current_minor),
  }));
}

/** Credit sales of a month in one currency: invoices issued in it, at the amount issued (credit notes added back). */
export interface MonthSales {
  monthStart: LocalDate;
  currency: string;
  minor: string;
}

/**
 * The credit sales of each period (a month, or the current one up to a day): the invoices issued in it at their
 * amount now plus every credit note resolved on them, i.e. the amount issued. A range of invoices_issue_date each.
 */
export async function creditSalesOfMonths(db: Db, months: { from: LocalDate; to: LocalDate }[]): Promise<MonthSales[]> {
  if (months.length === 0) return [];
  const result = await sql<{ month_start: LocalDate; currency: string; minor: string | number }>`
    with m as (
      select f::date as from_d, t::date as to_d
      from unnest(${months.map((m) => m.from)}::date[], ${months.map((m) => m.to)}::date[]) m(f, t)
    ),
    issued as (
      select m.from_d as month_start, i.currency, sum(i.amount_minor) as minor
      from m join invoices i on i.issue_date between m.from_d and m.to_d
      group by 1, 2
    ),
    credits as (
      select m.from_d as month_start, i.currency, sum(d.credit_minor) as minor
      from disputes d join invoices i on i.no = d.invoice_no join m on i.issue_date between m.from_d and m.to_d
      where d.status = 'resolved' and d.credit_minor > 0
      group by 1, 2
    )
    select s.month_start, s.currency, (s.minor + coalesce(c.minor, 0))::bigint as minor
    from issued s left join credits c using (month_start, currency)`.execute(db);
  return result.rows.map((r) => ({ monthStart: r.month_start, currency: r.currency, minor: String(r.minor) }));
}

/** A kept month-end (services/receivable-snapshots.ts): its receivables and its month's credit sales. */
export interface KeptMonthEnd {
  asOf: LocalDate;
  receivables: Omit<DayEndReceivables, 'k'>[];
  sales: MonthSales[];
}

/** The month-ends kept in a time zone, by day: no later write has forgotten them (read in the report's snapshot). */
export async function keptMonthEnds(db: Db, timeZone: string): Promise<Map<LocalDate, KeptMonthEnd>> {
  const rows = await db
    .selectFrom('receivable_snapshots')
    .select(['as_of', 'currencies', 'ar_minor', 'current_minor', 'sales_currencies', 'sales_minor'])
    .where('time_zone', '=', timeZone)
    .execute();
  return new Map(
    rows.map((row) => [
      row.as_of,
      {
        asOf: row.as_of,
        receivables: row.currencies.map((currency, c) => ({
          currency,
          minor: String(row.ar_minor[c]),
          currentMinor: String(row.current_minor[c]),
        })),
        sales: row.sales_currencies.map((currency, c) => ({
          monthStart: firstOfMonth(row.as_of),
          currency,
          minor: String(row.sales_minor[c]),
        })),
      },
    ]),
  );
}
