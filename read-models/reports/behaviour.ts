import { sql } from 'kysely';
import type { Db } from '../../db/connect';
import { endOfDay, startOfDay } from './as-of';
import type { Period } from './receivables';
import { column, numberOrNull, type Report } from './table';

interface OnTimeRow {
  customer_code: string | null;
  name: string | null;
  is_total: boolean;
  paid_invoices: number;
  on_time: number;
  on_time_percent: number | null;
  avg_days_late: number | null;
  weighted_days_late: number | null;
}

const NO_PAID_INVOICES: OnTimeRow = {
  customer_code: null,
  name: null,
  is_total: true,
  paid_invoices: 0,
  on_time: 0,
  on_time_percent: null,
  avg_days_late: null,
  weighted_days_late: null,
};

export const ON_TIME_METHOD =
  'invoices paid in full in the period (paid_on = received date of the clearing payment); on time when paid_on <= due_date; ' +
  'days late = paid_on − due_date, 0 when paid early; averaged plainly and weighted by invoice amount.';

/** Per customer and for all: on-time payment rate and days late over invoices paid in full in the period. */
export async function onTimeReport(db: Db, p: Period): Promise<Report> {
  // Summed per customer first (counts and integer sums, ~300,000 invoices paid in a year, grouped under the
  // "C" collation: the same groups without the locale's costly comparisons), then named; the total row adds
  // those sums up and always exists, so every ratio divides by nullif(…, 0). avg(x) is sum(x) / count, the same
  // numeric division; amount × days late is exact in bigint (an invoice of 10^14 minor units 90,000 days late).
  const result = await sql<OnTimeRow>`
    with per_customer as (
      select customer_code collate "C" as customer_code, count(*) as paid, count(*) filter (where paid_on <= due_date) as on_time,
        sum(greatest(paid_on - due_date, 0)) as days_late, sum(amount_minor) as amount,
        sum(amount_minor * greatest(paid_on - due_date, 0)) as weighted
      from invoices
      where status = 'paid' and paid_on between ${p.from}::date and ${p.to}::date
      group by 1
    ),
    lines as (
      select customer_code, false as is_total, paid, on_time, days_late, amount, weighted from per_customer
      union all
      select null, true, coalesce(sum(paid), 0), coalesce(sum(on_time), 0), sum(days_late), sum(amount), sum(weighted) from per_customer
    )
    select l.customer_code, cu.name, l.is_total, l.paid::int as paid_invoices, l.on_time::int as on_time,
      round(100.0 * l.on_time / nullif(l.paid, 0), 1)::float8 as on_time_percent,
      round(l.days_late::numeric / nullif(l.paid, 0), 1)::float8 as avg_days_late,
      round(l.weighted / nullif(l.amount, 0), 1)::float8 as weighted_days_late
    from lines l left join customers cu on cu.code = l.customer_code
    order by l.is_total, l.customer_code collate "default"`.execute(db);
  const view = (r: OnTimeRow) => ({
    customerCode: r.customer_code,
    name: r.name,
    paidInvoices: r.paid_invoices,
    onTimeInvoices: r.on_time,
    onTimePercent: numberOrNull(r.on_time_percent),
    averageDaysLate: numberOrNull(r.avg_days_late),
    amountWeightedDaysLate: numberOrNull(r.weighted_days_late),
  });
  const customers = result.rows.filter((r) => !r.is_total).map(view);
  const { customerCode: _code, name: _name, ...total } = view(result.rows.find((r) => r.is_total) ?? NO_PAID_INVOICES);
  return {
    fileName: `on-time-${p.from}-${p.to}`,
    body: { report: 'on-time', from: p.from, to: p.to, timeZone: p.timeZone, method: ON_TIME_METHOD, customers, total },
    tables: [
      {
        name: 'on-time',
        title: `On-time payment ${p.from} – ${p.to} 按时回款`,
        columns: [
          column('customerCode', 'Customer 客户'),
          column('name', 'Name 名称'),
          column('paidInvoices', 'Paid invoices 已付发票', 'integer'),
          column('onTimeInvoices', 'On time 按时', 'integer'),
          column('onTimePercent', 'On-time % 按时率', 'percent'),
          column('averageDaysLate', 'Average days late 平均逾期天数', 'decimal'),
          column('amountWeightedDaysLate', 'Amount-weighted days late 金额加权逾期天数', 'decimal'),
        ],
        rows: [...customers, { ...total, customerCode: 'TOTAL', name: 'Total 合计' }],
      },
    ],
  };
}

interface PromiseRow {
  customer_code: string | null;
  name: string | null;
  is_total: boolean;
  kept: number;
  broken: number;
  kept_percent: number | null;
}

/** Promises to pay closed in the period (kept when the money came, broken when the promised date + grace passed without it). */
export async function promisesReport(db: Db, p: Period): Promise<Report> {
  const result = await sql<PromiseRow>`
    select pr.customer_code, cu.name, grouping(pr.customer_code) = 1 as is_total,
      count(*) filter (where pr.status = 'kept')::int as kept, count(*) filter (where pr.status = 'broken')::int as broken,
      round(100.0 * count(*) filter (where pr.status = 'kept') / nullif(count(*), 0), 1)::float8 as kept_percent
    from promises pr join customers cu on cu.code = pr.customer_code
    where pr.status in ('kept', 'broken') and pr.closed_at >= ${startOfDay(p.from, p.timeZone)} and pr.closed_at < ${endOfDay(p.to, p.timeZone)}
    group by grouping sets ((pr.customer_code, cu.name), ())
    order by is_total, pr.customer_code`.execute(db);
  const view = (r: PromiseRow) => ({
    customerCode: r.customer_code,
    name: r.name,
    kept: r.kept,
    broken: r.broken,
    keptPercent: numberOrNull(r.kept_percent),
  });
  const customers = result.rows.filter((r) => !r.is_total).map(view);
  const all = result.rows.find((r) => r.is_total);
  const total = { kept: all?.kept ?? 0, broken: all?.broken ?? 0, keptPercent: numberOrNull(all?.kept_percent) };
  return {
    fileName: `promises-${p.from}-${p.to}`,
    body: {
      report: 'promises',
      from: p.from,
      to: p.to,
      timeZone: p.timeZone,
      method: 'kept / (kept + broken) × 100 over promises closed in the period',
      customers,
      total,
    },
    tables: [
      {
        name: 'promises',
        title: `Promises to pay ${p.from} – ${p.to} 付款承诺兑现`,
        columns: [
          column('customerCode', 'Customer 客户'),
          column('name', 'Name 名称'),
          column('kept', 'Kept 兑现', 'integer'),
          column('broken', 'Broken 违约', 'integer'),
          column('keptPercent', 'Kept % 兑现率', 'percent'),
        ],
        rows: [...customers, { customerCode: 'TOTAL', name: 'Total 合计', ...total }],
      },
    ],
  };
}

interface DisputeRow {
  reason: string | null;
  is_total: boolean;
  opened: number;
  resolved: number;
  closed_with_invoice: number;
  avg_days_to_resolve: number | null;
}

/**
 * Disputes by reason: opened in the period, resolved in it (accepted or rejected by a person) with the
 * average days from opening to resolution, and closed in it because the invoice was paid or written off.
 */
export async function disputesReport(db: Db, p: Period): Promise<Report> {
  const start = startOfDay(p.from, p.timeZone);
  const end = endOfDay(p.to, p.timeZone);
  const resolvedInPeriod = sql`status = 'resolved' and resolved_at >= ${start} and resolved_at < ${end}`;
  const result = await sql<DisputeRow>`
    select reason, grouping(reason) = 1 as is_total,
      count(*) filter (where opened_at >= ${start} and opened_at < ${end})::int as opened,
      count(*) filter (where ${resolvedInPeriod})::int as resolved,
      count(*) filter (where status = 'closed' and resolved_at >= ${start} and resolved_at < ${end})::int as closed_with_invoice,
      round((avg(date_part('epoch', resolved_at - opened_at)) filter (where ${resolvedInPeriod}) / 86400)::numeric, 1)::float8 as avg_days_to_resolve
    from disputes
    where (opened_at >= ${start} and opened_at < ${end}) or (resolved_at >= ${start} and resolved_at < ${end})
    group by grouping sets ((reason), ())
    order by is_total, reason`.execute(db);
  const view = (r: DisputeRow) => ({
    reason: r.reason,
    opened: r.opened,
    resolved: r.resolved,
    closedWithInvoice: r.closed_with_invoice,
    averageDaysToResolve: numberOrNull(r.avg_days_to_resolve),
  });
  const reasons = result.rows.filter((r) => !r.is_total).map(view);
  const all = result.rows.find((r) => r.is_total);
  const { reason: _reason, ...total } = all
    ? view(all)
    : { reason: null, opened: 0, resolved: 0, closedWithInvoice: 0, averageDaysToResolve: null };
  return {
    fileName: `disputes-${p.from}-${p.to}`,
    body: { report: 'disputes', from: p.from, to: p.to, timeZone: p.timeZone, reasons, total },
    tables: [
      {
        name: 'disputes',
        title: `Disputes by reason ${p.from} – ${p.to} 争议原因`,
        columns: [
          column('reason', 'Reason 原因'),
          column('opened', 'Opened 新增', 'integer'),
          column('resolved', 'Resolved 已解决', 'integer'),
          column('closedWithInvoice', 'Closed with invoice 随发票关闭', 'integer'),
          column('averageDaysToResolve', 'Average days to resolve 平均解决天数', 'decimal'),
        ],
        rows: [...reasons, { ...total, reason: 'TOTAL 合计' }],
      },
    ],
  };
}
