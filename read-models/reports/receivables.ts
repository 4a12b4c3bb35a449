import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/connect';
import { AGING_BUCKETS } from '../../domain/aging';
import { addDays, daysBetween, type LocalDate } from '../../domain/dates';
import { openReceivablesAsOf } from './as-of';
import { column, decimal, money, numberOrNull, type Report } from './table';

export interface Period {
  from: LocalDate;
  to: LocalDate;
  timeZone: string;
}

/** Days past due up to which a balance is current (not yet due): the aging's first bucket. */
const CURRENT_MAX_DAYS = AGING_BUCKETS[0].maxDays!;

/**
 * Credit sales: invoices issued from `from` to `to` (dates inclusive) at the amount issued, i.e. the
 * amount now plus accepted credit notes that lowered it since (a credit note collects, it does not unsell).
 * Rows: issue_date, currency, minor.
 */
function creditSales(from: LocalDate | '-infinity', to: LocalDate): RawBuilder<unknown> {
  return sql`
    select issue_date, currency, amount_minor as minor from invoices where issue_date between ${from}::date and ${to}::date
    union all
    select i.issue_date, i.currency, d.credit_minor from disputes d join invoices i on i.no = d.invoice_no
    where d.status = 'resolved' and d.credit_minor > 0 and i.issue_date between ${from}::date and ${to}::date`;
}

/**
 * Credit sales of one month (issued from `from` to `to`, dates inclusive) in one currency at the amount issued:
 * a range of the invoices_issue_date index, plus the credit notes of its invoices (month_credits).
 */
function monthSales(
  from: RawBuilder<unknown>,
  to: RawBuilder<unknown>,
  currency: RawBuilder<unknown>,
): RawBuilder<unknown> {
  return sql`(
    coalesce((select sum(s.amount_minor) from invoices s where s.issue_date between ${from} and ${to} and s.currency = ${currency}), 0)
    + coalesce((select c.minor from month_credits c where c.month_start = ${from} and c.currency = ${currency}), 0)
  )::bigint`;
}

interface CountbackMonth {
  month_start: string;
  days: number;
  sales_minor: number;
  ar_covered_minor: number;
  days_counted: number;
}

interface DsoRow {
  currency: string;
  ar_minor: number;
  dso_days: number;
  months: CountbackMonth[];
  period_sales_minor: number;
  period_days: number;
  average_dso_days: number | null;
}

/**
 * Countback DSO at `to`: receivables open at the end of `to`, set against credit sales month by month
 * backwards from the month of `to` (counted up to `to`): a month whose sales the receivables still
 * exceed counts all its days, the month where they run out counts days × the share of its sales still
 * unpaid, earlier months nothing. With it, the average method over the period for comparison.
 */
async function dsoRows(db: Db, p: Period): Promise<DsoRow[]> {
  const periodDays = daysBetween(p.from, p.to) + 1;
  const result = await sql<DsoRow>`
    with recursive open_ar as (${openReceivablesAsOf(p.to, p.timeZone)}),
    ar as (select currency, sum(balance_minor)::bigint as ar_minor from open_ar group by currency),
    month_credits as (
      select date_trunc('month', i.issue_date::timestamp)::date as month_start, i.currency, sum(d.credit_minor)::bigint as minor
      from disputes d join invoices i on i.no = d.invoice_no
      where d.status = 'resolved' and d.credit_minor > 0 and i.issue_date <= ${p.to}::date
      group by 1, 2
    ),
    walk as (
      select ar.currency, ar.ar_minor, m.month_start, m.month_end, 0::numeric as covered_before, first.month_start as first_month,
        ${monthSales(sql`m.month_start`, sql`m.month_end`, sql`ar.currency`)} as sales_minor
      from ar
      cross join lateral (
        select date_trunc('month', ${p.to}::date::timestamp)::date as month_start, ${p.to}::date as month_end
      ) m
      cross join lateral (
        select date_trunc('month', min(i.issue_date)::timestamp)::date as month_start from invoices i
        where i.currency = ar.currency and i.issue_date <= ${p.to}::date
      ) first
      union all
      select w.currency, w.ar_minor, prev.month_start, prev.month_end, w.covered_before + w.sales_minor, w.first_month,
        ${monthSales(sql`prev.month_start`, sql`prev.month_end`, sql`w.currency`)}
      from walk w
      cross join lateral (
        select (w.month_start - interval '1 month')::date as month_start, w.month_start - 1 as month_end
      ) prev
      where w.covered_before + w.sales_minor < w.ar_minor and w.month_start > w.first_month
    ),
    counted as (
      select currency, month_start, month_end - month_start + 1 as days, sales_minor,
        least(greatest(ar_minor - covered_before, 0), sales_minor)::bigint as ar_covered_minor,
        case when ar_minor <= covered_before then 0
             when ar_minor >= covered_before + sales_minor then month_end - month_start + 1
             else (month_end - month_start + 1)::numeric * (ar_minor - covered_before) / sales_minor end as days_counted
      from walk
    ),
    countback as (
      select currency, round(sum(days_counted), 1)::float8 as dso_days,
        jsonb_agg(jsonb_build_object('month_start', month_start, 'days', days, 'sales_minor', sales_minor,
          'ar_covered_minor', ar_covered_minor, 'days_counted', round(days_counted, 2)) order by month_start desc) filter (where days_counted > 0) as months
      from counted group by currency
    ),
    period_sales as (select currency, sum(minor)::bigint as sales_minor from (${creditSales(p.from, p.to)}) s group by currency)
    select currency, coalesce(ar.ar_minor, 0) as ar_minor, coalesce(countback.dso_days, 0) as dso_days, coalesce(countback.months, '[]') as months,
      coalesce(period_sales.sales_minor, 0) as period_sales_minor, ${periodDays}::int as period_days,
      case when coalesce(period_sales.sales_minor, 0) = 0 then null
           else round(coalesce(ar.ar_minor, 0)::numeric * ${periodDays} / period_sales.sales_minor, 1)::float8 end as average_dso_days
    from ar full join period_sales using (currency) left join countback using (currency)
    order by currency`.execute(db);
  return result.rows;
}

export const DSO_METHOD =
  'countback: receivables open at the end of the period are matched against credit sales (invoices issued, at the amount issued) ' +
  'month by month backwards from the last month of the period; each fully covered month adds its days, the month where the receivables run out ' +
  'adds days × the uncovered share of its sales. averageMethod = receivables / credit sales of the period × days in the period, for comparison.';

export async function dsoReport(db: Db, p: Period): Promise<Report> {
  const rows = await dsoRows(db, p);
  const byCurrency = rows.map((r) => ({
    currency: r.currency,
    receivables: money(r.ar_minor, r.currency),
    dsoDays: r.dso_days,
    months: r.months.map((m) => ({
      month: m.month_start.slice(0, 7),
      days: m.days,
      creditSales: money(Number(m.sales_minor), r.currency),
      receivablesCovered: money(Number(m.ar_covered_minor), r.currency),
      daysCounted: Number(m.days_counted),
    })),
    averageMethod: {
      creditSales: money(r.period_sales_minor, r.currency),
      periodDays: r.period_days,
      dsoDays: numberOrNull(r.average_dso_days),
    },
  }));
  return {
    fileName: `dso-${p.from}-${p.to}`,
    body: { report: 'dso', from: p.from, to: p.to, timeZone: p.timeZone, method: DSO_METHOD, currencies: byCurrency },
    tables: [
      {
        name: 'dso',
        title: `DSO (countback) at ${p.to} 应收账款周转天数`,
        columns: [
          column('currency', 'Currency 币种'),
          column('receivables', 'Receivables 应收余额', 'money'),
          column('dsoDays', 'DSO countback days 倒推法天数', 'decimal'),
          column('periodSales', 'Credit sales in period 期间赊销', 'money'),
          column('averageDsoDays', 'DSO average method days 平均法天数', 'decimal'),
        ],
        rows: byCurrency.map((c) => ({
          currency: c.currency,
          receivables: c.receivables.value,
          dsoDays: c.dsoDays,
          periodSales: c.averageMethod.creditSales.value,
          averageDsoDays: c.averageMethod.dsoDays,
        })),
      },
      {
        name: 'countback',
        title: 'Countback months 倒推月份',
        columns: [
          column('currency', 'Currency 币种'),
          column('month', 'Month 月份'),
          column('days', 'Days 天数', 'integer'),
          column('sales', 'Credit sales 赊销额', 'money'),
          column('covered', 'Receivables covered 覆盖应收', 'money'),
          column('daysCounted', 'Days counted 计入天数', 'decimal'),
        ],
        rows: byCurrency.flatMap((c) =>
          c.months.map((m) => ({
            currency: c.currency,
            month: m.month,
            days: m.days,
            sales: m.creditSales.value,
            covered: m.receivablesCovered.value,
            daysCounted: m.daysCounted,
          })),
        ),
      },
    ],
  };
}

interface CeiRow {
  currency: string;
  beginning_minor: number;
  sales_minor: number;
  ending_minor: number;
  ending_current_minor: number;
  cei_percent: number | null;
}

export const CEI_METHOD =
  'CEI = (beginning receivables + credit sales − ending receivables) / (beginning receivables + credit sales − ending current receivables) × 100; ' +
  'beginning = open at the end of the day before the period, ending = open at the end of its last day, current = not yet due then.';

/** Collection effectiveness index for a period, per currency. */
export async function ceiReport(db: Db, p: Period): Promise<Report> {
  const result = await sql<CeiRow>`
    with opening as (${openReceivablesAsOf(addDays(p.from, -1), p.timeZone)}),
    closing as (${openReceivablesAsOf(p.to, p.timeZone)}),
    beginning as (select currency, sum(balance_minor)::bigint as minor from opening group by currency),
    ending as (
      select currency, sum(balance_minor)::bigint as minor,
        coalesce(sum(balance_minor) filter (where ${p.to}::date - due_date <= ${CURRENT_MAX_DAYS}), 0)::bigint as current_minor
      from closing group by currency
    ),
    sales as (select currency, sum(minor)::bigint as minor from (${creditSales(p.from, p.to)}) s group by currency),
    figures as (
      select currency, coalesce(beginning.minor, 0) as b, coalesce(sales.minor, 0) as s, coalesce(ending.minor, 0) as e, coalesce(ending.current_minor, 0) as ec
      from beginning full join sales using (currency) full join ending using (currency)
    )
    select currency, b as beginning_minor, s as sales_minor, e as ending_minor, ec as ending_current_minor,
      case when b + s - ec = 0 then null else round(100.0 * (b + s - e) / (b + s - ec), 1)::float8 end as cei_percent
    from figures order by currency`.execute(db);
  const rows = result.rows.map((r) => ({ ...r, cei_percent: numberOrNull(r.cei_percent) }));
  return {
    fileName: `cei-${p.from}-${p.to}`,
    body: {
      report: 'cei',
      from: p.from,
      to: p.to,
      timeZone: p.timeZone,
      method: CEI_METHOD,
      currencies: rows.map((r) => ({
        currency: r.currency,
        beginningReceivables: money(r.beginning_minor, r.currency),
        creditSales: money(r.sales_minor, r.currency),
        endingReceivables: money(r.ending_minor, r.currency),
        endingCurrentReceivables: money(r.ending_current_minor, r.currency),
        ceiPercent: r.cei_percent,
      })),
    },
    tables: [
      {
        name: 'cei',
        title: `Collection effectiveness index ${p.from} – ${p.to} 回款有效性指数`,
        columns: [
          column('currency', 'Currency 币种'),
          column('beginning', 'Beginning receivables 期初应收', 'money'),
          column('sales', 'Credit sales 赊销额', 'money'),
          column('ending', 'Ending receivables 期末应收', 'money'),
          column('endingCurrent', 'Ending current receivables 期末未到期应收', 'money'),
          column('cei', 'CEI % 回款有效性', 'percent'),
        ],
        rows: rows.map((r) => ({
          currency: r.currency,
          beginning: decimal(r.beginning_minor, r.currency),
          sales: decimal(r.sales_minor, r.currency),
          ending: decimal(r.ending_minor, r.currency),
          endingCurrent: decimal(r.ending_current_minor, r.currency),
          cei: r.cei_percent,
        })),
      },
    ],
  };
}

interface OverdueRow {
  currency: string;
  overdue_minor: number;
  total_minor: number;
  overdue_invoices: number;
  invoices: number;
  overdue_percent: number | null;
}

/** Overdue receivables / all receivables open at the end of the as-of day, per currency. */
export async function overdueRatioReport(db: Db, q: { asOf: LocalDate; timeZone: string }): Promise<Report> {
  const result = await sql<OverdueRow>`
    with open_ar as (${openReceivablesAsOf(q.asOf, q.timeZone)})
    select currency,
      coalesce(sum(balance_minor) filter (where ${q.asOf}::date - due_date > ${CURRENT_MAX_DAYS}), 0)::bigint as overdue_minor,
      sum(balance_minor)::bigint as total_minor,
      count(*) filter (where ${q.asOf}::date - due_date > ${CURRENT_MAX_DAYS})::int as overdue_invoices, count(*)::int as invoices,
      round(100.0 * coalesce(sum(balance_minor) filter (where ${q.asOf}::date - due_date > ${CURRENT_MAX_DAYS}), 0) / nullif(sum(balance_minor), 0), 1)::float8 as overdue_percent
    from open_ar group by currency order by currency`.execute(db);
  const rows = result.rows;
  return {
    fileName: `overdue-ratio-${q.asOf}`,
    body: {
      report: 'overdue-ratio',
      asOf: q.asOf,
      timeZone: q.timeZone,
      method: 'overdue receivables (past due on the as-of date) / all receivables open at its end × 100',
      currencies: rows.map((r) => ({
        currency: r.currency,
        overdue: money(r.overdue_minor, r.currency),
        total: money(r.total_minor, r.currency),
        overdueInvoices: r.overdue_invoices,
        invoices: r.invoices,
        overduePercent: numberOrNull(r.overdue_percent),
      })),
    },
    tables: [
      {
        name: 'overdue',
        title: `Overdue ratio as of ${q.asOf} 逾期率`,
        columns: [
          column('currency', 'Currency 币种'),
          column('overdue', 'Overdue 逾期应收', 'money'),
          column('total', 'Receivables 应收余额', 'money'),
          column('overdueInvoices', 'Overdue invoices 逾期发票数', 'integer'),
          column('invoices', 'Open invoices 未结发票数', 'integer'),
          column('overduePercent', 'Overdue % 逾期率', 'percent'),
        ],
        rows: rows.map((r) => ({
          currency: r.currency,
          overdue: decimal(r.overdue_minor, r.currency),
          total: decimal(r.total_minor, r.currency),
          overdueInvoices: r.overdue_invoices,
          invoices: r.invoices,
          overduePercent: numberOrNull(r.overdue_percent),
        })),
      },
    ],
  };
}
