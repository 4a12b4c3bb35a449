import { sql } from 'kysely';
import type { Db } from '../../db/connect';
import { addDays, type LocalDate } from '../../domain/dates';
import {
  BEHAVIOUR_WINDOW_DAYS,
  behaviourWeight,
  bucketRange,
  expectedDelayDays,
  FORECAST_WEEKS,
  type ForecastBucket,
  forecastBuckets,
  type PaymentBehaviour,
  SHRINKAGE_PRIOR_INVOICES,
} from '../../domain/forecast';
import { endOfDay, openReceivablesAsOf } from './as-of';
import { column, decimal, money, numberOrNull, type Report } from './table';

export interface ForecastQuery {
  asOf: LocalDate;
  timeZone: string;
}

interface BehaviourRow {
  customer_code: string | null;
  paid_invoices: number;
  weighted_days_late: number | null;
}

interface CustomerBehaviour extends PaymentBehaviour {
  customerCode: string;
  expectedDelayDays: number;
}

/**
 * Amount-weighted days late per customer (and, in the row without a customer, the portfolio) over invoices paid in the
 * window; amount × days late is exact in bigint, the sums are numeric as before.
 */
async function paymentBehaviour(
  db: Db,
  q: ForecastQuery,
): Promise<{ customers: CustomerBehaviour[]; portfolioDaysLate: number | null; defaultDelayDays: number }> {
  const result = await sql<BehaviourRow>`
    select customer_code collate "C" as customer_code, count(*)::int as paid_invoices,
      (sum(amount_minor * greatest(paid_on - due_date, 0)) / nullif(sum(amount_minor), 0))::float8 as weighted_days_late
    from invoices
    where status = 'paid' and paid_on between ${addDays(q.asOf, 1 - BEHAVIOUR_WINDOW_DAYS)}::date and ${q.asOf}::date
    group by grouping sets ((customer_code collate "C"), ())`.execute(db);
  const portfolio = result.rows.find((r) => r.customer_code === null);
  const portfolioDaysLate = numberOrNull(portfolio?.weighted_days_late);
  const customers = result.rows
    .filter((r) => r.customer_code !== null)
    .map((r) => {
      const behaviour = { paidInvoices: r.paid_invoices, weightedDaysLate: numberOrNull(r.weighted_days_late) };
      return {
        customerCode: r.customer_code!,
        ...behaviour,
        expectedDelayDays: expectedDelayDays(behaviour, portfolioDaysLate),
      };
    });
  return {
    customers,
    portfolioDaysLate,
    defaultDelayDays: expectedDelayDays({ paidInvoices: 0, weightedDaysLate: null }, portfolioDaysLate),
  };
}

interface BucketRow {
  customer_code: string | null;
  name: string | null;
  bucket: string | null;
  currency: string;
  amount_minor: number;
  invoices: number;
}

/**
 * Each open receivable's expected payment date (due date + its customer's expected delay) put in the
 * bucket whose range holds it; open disputes go to "disputed". One pass gives the sums per bucket, per
 * customer and per currency, grouped under the "C" collation (the same groups, without the locale's costly
 * comparisons over ~100,000 invoices) and listed in the database's collation.
 */
async function bucketSums(
  db: Db,
  q: ForecastQuery,
  buckets: ForecastBucket[],
  delays: { customers: CustomerBehaviour[]; defaultDelayDays: number },
): Promise<BucketRow[]> {
  const dayEnd = endOfDay(q.asOf, q.timeZone);
  const ranges = buckets.map(bucketRange);
  // The buckets follow one another without gap (the first takes everything earlier, the last everything
  // later): the bucket of a date is the number of bucket starts after the first that it reaches.
  ranges.forEach((range, k) => {
    if (k > 0 && range.from !== addDays(ranges[k - 1].to, 1)) throw new Error('forecast buckets must be contiguous');
  });
  const result = await sql<BucketRow>`
    with open_ar as (${openReceivablesAsOf(q.asOf, q.timeZone)}),
    delays as (
      select customer_code collate "C" as customer_code, delay_days
      from unnest(${delays.customers.map((c) => c.customerCode)}::text[], ${delays.customers.map((c) => c.expectedDelayDays)}::int[]) as d(customer_code, delay_days)
    ),
    disputed as (select distinct invoice_no from disputes where opened_at < ${dayEnd} and (resolved_at is null or resolved_at >= ${dayEnd})),
    -- Each customer with its expected delay (5,000 rows): hashed once and met by every open invoice, where
    -- joining the delays list to the ~100,000 invoices alone sorted both to merge them.
    named as (
      select cu.code collate "C" as code, cu.name collate "C" as name, d.delay_days
      from customers cu left join delays d on d.customer_code = cu.code collate "C"
    ),
    expected as (
      select o.customer_code collate "C" as customer_code, n.name, o.currency collate "C" as currency, o.balance_minor,
        case when o.invoice_no in (select invoice_no from disputed) then 'disputed'
             else (${buckets.map((b) => b.key)}::text[])[
               width_bucket(o.due_date + coalesce(n.delay_days, ${delays.defaultDelayDays}), ${ranges.slice(1).map((r) => r.from)}::date[]) + 1]
        end collate "C" as bucket
      from open_ar o
      join named n on n.code = o.customer_code collate "C"
    )
    select * from (
      select e.customer_code, e.name, e.bucket, e.currency,
        sum(e.balance_minor)::bigint as amount_minor, count(*)::int as invoices
      from expected e
      group by grouping sets ((e.bucket, e.currency), (e.customer_code, e.name, e.currency), (e.currency))
    ) sums
    order by currency collate "default", customer_code collate "default"`.execute(db);
  return result.rows;
}

export const FORECAST_METHOD =
  `expected payment date = due date + the customer's expected delay; expected delay = w × the customer's amount-weighted average days late ` +
  `+ (1 − w) × the portfolio's, w = n / (n + ${SHRINKAGE_PRIOR_INVOICES}), n = the customer's invoices paid in the ${BEHAVIOUR_WINDOW_DAYS} days up to the as-of date; ` +
  `rounded to whole days. Week k = as-of date + 7(k−1) … + 7k − 1; an expected date already past falls in week 1; after week ${FORECAST_WEEKS}: later. ` +
  'Invoices in an open dispute on the as-of date are reported apart, in no week.';

function bucketLines(rows: BucketRow[], buckets: ForecastBucket[], currencies: string[]) {
  const amountOf = (key: string, currency: string) =>
    rows.find((r) => r.customer_code === null && r.bucket === key && r.currency === currency);
  return currencies.flatMap((currency) => [
    ...buckets.map((b) => ({
      key: b.key,
      week: b.week,
      start: b.start,
      end: b.end,
      currency,
      minor: amountOf(b.key, currency)?.amount_minor ?? 0,
      invoices: amountOf(b.key, currency)?.invoices ?? 0,
    })),
    {
      key: 'disputed',
      week: null,
      start: null,
      end: null,
      currency,
      minor: amountOf('disputed', currency)?.amount_minor ?? 0,
      invoices: amountOf('disputed', currency)?.invoices ?? 0,
    },
  ]);
}

/** The 13-week cash-collection forecast from receivables open on the as-of date. */
export async function forecastReport(db: Db, q: ForecastQuery): Promise<Report> {
  const buckets = forecastBuckets(q.asOf);
  const behaviour = await paymentBehaviour(db, q);
  const rows = await bucketSums(db, q, buckets, behaviour);
  const totals = rows.filter((r) => r.customer_code === null && r.bucket === null);
  const lines = bucketLines(
    rows,
    buckets,
    totals.map((t) => t.currency),
  );
  const behaviourOf = new Map(behaviour.customers.map((c) => [c.customerCode, c]));
  const customers = rows
    .filter((r) => r.customer_code !== null)
    .map((r) => {
      const b = behaviourOf.get(r.customer_code!);
      return {
        customerCode: r.customer_code!,
        name: r.name,
        currency: r.currency,
        open: money(r.amount_minor, r.currency),
        openInvoices: r.invoices,
        paidInvoices: b?.paidInvoices ?? 0,
        weightedDaysLate: b?.weightedDaysLate ?? null,
        weight: behaviourWeight(b?.paidInvoices ?? 0),
        expectedDelayDays: b?.expectedDelayDays ?? behaviour.defaultDelayDays,
      };
    });
  return {
    fileName: `forecast-${q.asOf}`,
    body: {
      report: 'forecast',
      asOf: q.asOf,
      timeZone: q.timeZone,
      method: FORECAST_METHOD,
      portfolioDaysLate: behaviour.portfolioDaysLate,
      defaultDelayDays: behaviour.defaultDelayDays,
      buckets: lines.map((l) => ({
        key: l.key,
        week: l.week,
        start: l.start,
        end: l.end,
        currency: l.currency,
        expected: money(l.minor, l.currency),
        invoices: l.invoices,
      })),
      totals: totals.map((t) => ({
        currency: t.currency,
        open: money(t.amount_minor, t.currency),
        invoices: t.invoices,
      })),
      customers,
    },
    tables: [
      {
        name: 'forecast',
        title: `13-week collection forecast from ${q.asOf} 13周回款预测`,
        columns: [
          column('key', 'Bucket 区间'),
          column('start', 'From 起', 'date'),
          column('end', 'To 止', 'date'),
          column('currency', 'Currency 币种'),
          column('expected', 'Expected 预计回款', 'money'),
          column('invoices', 'Invoices 发票数', 'integer'),
        ],
        rows: lines.map((l) => ({
          key: l.key,
          start: l.start,
          end: l.end,
          currency: l.currency,
          expected: decimal(l.minor, l.currency),
          invoices: l.invoices,
        })),
      },
      {
        name: 'customers',
        title: 'Customer payment behaviour 客户付款习惯',
        columns: [
          column('customerCode', 'Customer 客户'),
          column('name', 'Name 名称'),
          column('currency', 'Currency 币种'),
          column('open', 'Open 未收', 'money'),
          column('paidInvoices', 'Paid invoices (window) 已付发票', 'integer'),
          column('weightedDaysLate', 'Weighted days late 加权逾期天数', 'decimal'),
          column('weight', 'Own-history weight 自身权重', 'decimal'),
          column('expectedDelayDays', 'Expected delay days 预计延迟天数', 'integer'),
        ],
        rows: customers.map((c) => ({ ...c, open: c.open.value })),
      },
    ],
  };
}
