import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { GRADE_PERIOD_MONTHS, monthsBefore } from '../domain/credit';
import { addDays, daysBetween } from '../domain/dates';
import {
  type EarlyWarning,
  MIN_HISTORY_ORDERS,
  ORDER_HISTORY_PERIODS,
  ORDER_WINDOW_DAYS,
  TERM_EXTENSION_LOOKBACK_DAYS,
  TREND_SLOPE_INVOICES,
  orderVolumeWarning,
  paymentDelayWarning,
  termExtensionWarning,
} from '../domain/early-warnings';
import { num } from '../db/numbers';

/** The SQL inputs of the early warnings (domain/early-warnings.ts) and the overdue figures a credit view shows. */

export interface TopOverdue {
  customerCode: string;
  name: string;
  currency: string;
  overdueMinor: number;
  oldestDueDate: string;
  daysOverdue: number;
  grade: string | null;
  creditHold: boolean;
}

/** The customers with the largest overdue balance (open invoices past due) on `today`. */
export async function topOverdueCustomers(db: Db, today: string, limit: number): Promise<TopOverdue[]> {
  const rows = await db
    .selectFrom('invoices as i')
    .innerJoin('customers as c', 'c.code', 'i.customer_code')
    .select([
      'i.customer_code',
      'c.name',
      'i.currency',
      'c.grade',
      'c.credit_hold',
      (eb) => eb.fn.sum<string>('i.balance_minor').as('overdue'),
      sql<string>`min(i.due_date)::text`.as('oldest'),
    ])
    .where('i.status', '=', 'open')
    .where('i.balance_minor', '>', 0)
    .where('i.due_date', '<', today)
    .groupBy(['i.customer_code', 'c.name', 'i.currency', 'c.grade', 'c.credit_hold'])
    .orderBy(sql`sum(i.balance_minor)`, 'desc')
    .orderBy('i.customer_code')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    customerCode: r.customer_code,
    name: r.name,
    currency: r.currency,
    overdueMinor: num(r.overdue),
    oldestDueDate: r.oldest,
    daysOverdue: daysBetween(r.oldest, today),
    grade: r.grade,
    creditHold: r.credit_hold,
  }));
}

// ---------------------------------------------------------------------------------------------
// Early warnings: SQL inputs for domain/early-warnings.ts

export interface WarningRow extends EarlyWarning {
  customerName: string;
}

/** Every early warning on `today`, for all customers or one; each with the figures that raised it. */
export async function creditWarnings(db: Db, input: { today: string; customerCode?: string }): Promise<WarningRow[]> {
  const recentFrom = addDays(input.today, -ORDER_WINDOW_DAYS);
  const historyFrom = addDays(recentFrom, -ORDER_WINDOW_DAYS * ORDER_HISTORY_PERIODS);
  const paidFrom = monthsBefore(input.today, GRADE_PERIOD_MONTHS);
  const requestFrom = addDays(input.today, -TERM_EXTENSION_LOOKBACK_DAYS);
  const code = input.customerCode;
  const localStart = (date: string) => sql`(${date}::date::timestamp at time zone c.time_zone)`;
  const [orders, delays, requests] = await Promise.all([
    db
      .selectFrom('contracts as k')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.code', '=', 'k.customer_code').onRef('c.currency', '=', 'k.currency'),
      )
      .select([
        'k.customer_code',
        'c.name',
        'c.currency',
        sql<string>`coalesce(sum(k.amount_minor) filter (where k.created_at >= ${localStart(recentFrom)}), 0)`.as(
          'recent_minor',
        ),
        sql<string>`count(*) filter (where k.created_at >= ${localStart(recentFrom)})`.as('recent_count'),
        sql<string>`coalesce(sum(k.amount_minor) filter (where k.created_at < ${localStart(recentFrom)}), 0)`.as(
          'history_minor',
        ),
        sql<string>`count(*) filter (where k.created_at < ${localStart(recentFrom)})`.as('history_count'),
      ])
      .$if(code !== undefined, (qb) => qb.where('k.customer_code', '=', code!))
      .where('k.stage', 'not in', ['Opportunity', 'Cancelled'])
      .where(
        sql<boolean>`k.created_at >= ${localStart(historyFrom)} and k.created_at < ${localStart(addDays(input.today, 1))}`,
      )
      .groupBy(['k.customer_code', 'c.name', 'c.currency'])
      .having(sql<number>`count(*) filter (where k.created_at < ${localStart(recentFrom)})`, '>=', MIN_HISTORY_ORDERS)
      .execute(),
    db
      .selectFrom((eb) =>
        eb
          .selectFrom('invoices as i')
          .select([
            'i.customer_code',
            sql<number>`(i.paid_on - i.due_date)`.as('days_late'),
            sql<number>`row_number() over (partition by i.customer_code order by i.paid_on desc, i.no desc)`.as('rn'),
          ])
          .where('i.paid_on', 'is not', null)
          .where('i.paid_on', '>', paidFrom)
          .where('i.paid_on', '<=', input.today)
          .$if(code !== undefined, (qb) => qb.where('i.customer_code', '=', code!))
          .as('p'),
      )
      .innerJoin('customers as c', 'c.code', 'p.customer_code')
      .select(['p.customer_code', 'c.name', 'p.days_late', 'p.rn'])
      .where('p.rn', '<=', TREND_SLOPE_INVOICES)
      .orderBy('p.customer_code')
      .orderBy('p.rn', 'desc')
      .execute(),
    db
      .selectFrom('term_extension_requests as r')
      .innerJoin('customers as c', 'c.code', 'r.customer_code')
      .select([
        'r.id',
        'r.customer_code',
        'c.name',
        'r.contract_no',
        'r.requested_days',
        'r.reason',
        'r.requested_by',
        'r.requested_at',
        'r.overdue_minor',
        'r.oldest_days_overdue',
        'c.currency',
      ])
      .$if(code !== undefined, (qb) => qb.where('r.customer_code', '=', code!))
      .where(sql<boolean>`r.requested_at >= ${localStart(requestFrom)}`)
      .where('r.overdue_minor', '>', 0)
      .orderBy('r.requested_at', 'desc')
      .execute(),
  ]);
  const warnings: WarningRow[] = [];
  for (const o of orders) {
    const w = orderVolumeWarning(o.customer_code, {
      recentMinor: num(o.recent_minor),
      recentCount: num(o.recent_count),
      historyMinor: num(o.history_minor),
      historyCount: num(o.history_count),
    });
    // The amounts are of contracts in the customer's currency (the join above): figures say which.
    if (w) warnings.push({ ...w, customerName: o.name, figures: { ...w.figures, currency: o.currency } });
  }
  const byCustomer = new Map<string, { name: string; days: number[] }>();
  for (const d of delays) {
    const entry = byCustomer.get(d.customer_code) ?? { name: d.name, days: [] };
    entry.days.push(Number(d.days_late));
    byCustomer.set(d.customer_code, entry);
  }
  for (const [code, { name, days }] of byCustomer) {
    const w = paymentDelayWarning(code, days);
    if (w) warnings.push({ ...w, customerName: name });
  }
  for (const r of requests) {
    const w = termExtensionWarning(r.customer_code, {
      id: Number(r.id),
      contractNo: r.contract_no,
      requestedDays: r.requested_days,
      reason: r.reason,
      requestedBy: r.requested_by,
      requestedAt: r.requested_at.toISOString(),
      overdueMinor: r.overdue_minor,
      oldestDaysOverdue: r.oldest_days_overdue,
    });
    if (w) warnings.push({ ...w, customerName: r.name, figures: { ...w.figures, currency: r.currency } });
  }
  return warnings.sort((a, b) =>
    a.customerCode < b.customerCode ? -1 : a.customerCode > b.customerCode ? 1 : a.kind < b.kind ? -1 : 1,
  );
}

/** The overdue figures of a customer at a moment: what a term-extension request records. */
export async function overdueFigures(
  db: Db,
  code: string,
  today: string,
): Promise<{ overdueMinor: number; oldestDaysOverdue: number }> {
  const row = await db
    .selectFrom('invoices')
    .select([
      (eb) => eb.fn.coalesce(eb.fn.sum<string>('balance_minor'), eb.lit(0)).as('overdue'),
      sql<string | null>`min(due_date)::text`.as('oldest'),
    ])
    .where('customer_code', '=', code)
    .where('status', '=', 'open')
    .where('balance_minor', '>', 0)
    .where('due_date', '<', today)
    .executeTakeFirstOrThrow();
  return { overdueMinor: num(row.overdue), oldestDaysOverdue: row.oldest ? daysBetween(row.oldest, today) : 0 };
}

/** What a weekly credit review found, stored once per review date (credit_reviews.summary) and mailed. */
export interface CreditReviewSummary {
  reviewDate: string;
  generatedAt: string;
  since: string;
  gradePeriod: { from: string; to: string };
  customersReviewed: number;
  totals: { customers: number; gradeChanges: number; holdsSet: number; holdsLifted: number };
  onHoldCount: number;
  gradeCounts: Record<string, number>;
  gradeChanges: {
    count: number;
    items: {
      customerCode: string | null;
      name: string;
      from: string | null;
      to: string | null;
      scoreTenths: number | null;
      reason: string | null;
    }[];
  };
  holdsSet: {
    count: number;
    items: { customerCode: string | null; name: string; source: string; reason: string | null; onHoldNow: boolean }[];
  };
  holdsLifted: {
    count: number;
    items: { customerCode: string | null; name: string; source: string; reason: string | null }[];
  };
  topOverdue: TopOverdue[];
  warnings: { count: number; items: WarningRow[] };
}
