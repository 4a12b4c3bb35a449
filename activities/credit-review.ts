import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import type { CustomerRow } from '../db/schema';
import { appendTimeline } from '../db/timeline';
import {
  GRADE_PERIOD_MONTHS, type PaymentTotals, assessCreditTotals, effectiveGrade, effectiveLimit, monthsBefore, overrideActive, wholeMonthsBetween,
} from '../domain/credit';
import type { Grade } from '../domain/contract-rules';
import { addDays, daysBetween, localDateOf, zonedInstant } from '../domain/dates';
import {
  type EarlyWarning, MIN_HISTORY_ORDERS, ORDER_HISTORY_PERIODS, ORDER_WINDOW_DAYS, TERM_EXTENSION_LOOKBACK_DAYS, TREND_SLOPE_INVOICES,
  orderVolumeWarning, paymentDelayWarning, termExtensionWarning,
} from '../domain/early-warnings';
import { type Actor, SYSTEM_ACTOR } from '../domain/roles';
import { applyHoldDecision, creditPositions } from './credit-holds';

/**
 * Credit grades from payment history (domain/credit.ts) computed with set-based SQL for a batch of
 * customers, the weekly review's batches and summary, and the SQL inputs of the early warnings.
 */

export interface GradeOutcome {
  code: string;
  from: string | null;
  to: Grade | null;
  computed: Grade | null;
  scoreTenths: number;
  changed: boolean;
}

interface GradeOptions {
  actor: Actor;
  /** Writes grade_history for this review date. */
  historyDate?: string;
  /** Timeline key of an event about a customer; the review's keys are per review date, one-off evaluations' are unique. */
  eventKey: (code: string, what: string) => string;
  at?: Date;
}

function num(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

/**
 * Recomputes the grades of customers whose rows the caller has locked, as of `today`: the 12 months up
 * to `today` of paid invoices (amount, days late = paid_on − due_date), the overdue balance now, disputes
 * opened and promises broken in the period, tenure since the first invoice. Expired overrides are cleared.
 */
export async function computeGrades(trx: Db, customers: CustomerRow[], today: string, options: GradeOptions): Promise<GradeOutcome[]> {
  if (customers.length === 0) return [];
  const codes = customers.map((c) => c.code);
  const periodFrom = monthsBefore(today, GRADE_PERIOD_MONTHS);
  const periodStart = new Date(`${periodFrom}T00:00:00Z`);
  const paidInPeriod = sql`i.paid_on > ${periodFrom}::date and i.paid_on <= ${today}::date`;
  const [invoiceRows, disputeRows, promiseRows] = await Promise.all([
    trx.selectFrom('invoices as i').innerJoin('customers as c', (j) => j.onRef('c.code', '=', 'i.customer_code').onRef('c.currency', '=', 'i.currency'))
      .select([
        'i.customer_code',
        sql<string>`count(*) filter (where ${paidInPeriod})`.as('paid_count'),
        sql<string>`count(*) filter (where ${paidInPeriod} and i.paid_on <= i.due_date)`.as('on_time'),
        sql<string>`coalesce(sum(i.amount_minor) filter (where ${paidInPeriod}), 0)`.as('paid_amount'),
        sql<string>`coalesce(sum(i.amount_minor::numeric * greatest(i.paid_on - i.due_date, 0)) filter (where ${paidInPeriod}), 0)`.as('late_amount_days'),
        sql<string>`coalesce(sum(i.balance_minor) filter (where i.status = 'open' and i.due_date < ${today}::date), 0)`.as('overdue'),
        sql<string | null>`min(i.issue_date)::text`.as('first_issue'),
      ])
      .where('i.customer_code', 'in', codes).groupBy('i.customer_code').execute(),
    trx.selectFrom('disputes as d').innerJoin('invoices as i', 'i.no', 'd.invoice_no')
      .select(['i.customer_code', (eb) => eb.fn.countAll<string>().as('n')])
      .where('i.customer_code', 'in', codes).where('d.opened_at', '>=', periodStart).groupBy('i.customer_code').execute(),
    trx.selectFrom('promises').select(['customer_code', (eb) => eb.fn.countAll<string>().as('n')])
      .where('customer_code', 'in', codes).where('status', '=', 'broken').where('closed_at', '>=', periodStart).groupBy('customer_code').execute(),
  ]);
  const invoicesBy = new Map(invoiceRows.map((r) => [r.customer_code, r]));
  const disputesBy = new Map(disputeRows.map((r) => [r.customer_code, num(r.n)]));
  const promisesBy = new Map(promiseRows.map((r) => [r.customer_code, num(r.n)]));

  const outcomes: GradeOutcome[] = [];
  const updates: { code: string; grade: string | null; computed: string | null; score: number; factors: string; clearGrade: boolean; clearLimit: boolean }[] = [];
  const history: { customer_code: string; reviewed_on: string; grade: string | null; computed_grade: string | null; score_tenths: number; factors: string }[] = [];
  const events: Parameters<typeof appendTimeline>[1][] = [];
  const at = options.at ?? new Date();
  for (const c of customers) {
    const agg = invoicesBy.get(c.code);
    const limitMinor = effectiveLimit({ limitMinor: c.credit_limit_minor, overrideMinor: c.limit_override_minor, overrideUntil: c.limit_override_until, today });
    const totals: PaymentTotals = {
      paidCount: num(agg?.paid_count), onTimeCount: num(agg?.on_time), paidAmountMinor: num(agg?.paid_amount), lateAmountDays: num(agg?.late_amount_days),
      overdueBalanceMinor: num(agg?.overdue), creditLimitMinor: limitMinor, disputes: disputesBy.get(c.code) ?? 0, brokenPromises: promisesBy.get(c.code) ?? 0,
      tenureMonths: agg?.first_issue ? wholeMonthsBetween(agg.first_issue, today) : 0,
    };
    const assessment = assessCreditTotals(totals);
    const previous = (c.grade_factors ?? null) as { baseGrade?: Grade | null } | null;
    // The grade without an override: the formula's once it has enough history, else the one before (at first, the grade given at creation or import).
    const previousBase = previous ? (previous.baseGrade ?? null) : (c.grade as Grade | null);
    const baseGrade = assessment.grade ?? previousBase;
    const gradeOverrideExpired = c.grade_override !== null && !overrideActive(c.grade_override_until, today);
    const limitOverrideExpired = c.limit_override_minor !== null && !overrideActive(c.limit_override_until, today);
    const grade = effectiveGrade({ override: gradeOverrideExpired ? null : c.grade_override, overrideUntil: c.grade_override_until, computed: assessment.grade, assigned: previousBase, today });
    const factors = {
      points: assessment.factors, scoreTenths: assessment.scoreTenths, onTimeRatePercent: assessment.onTimeRatePercent, weightedDaysLate: assessment.weightedDaysLate,
      paidInvoices: totals.paidCount, onTimeInvoices: totals.onTimeCount, paidAmountMinor: totals.paidAmountMinor, overdueMinor: totals.overdueBalanceMinor,
      limitMinor, disputes: totals.disputes, brokenPromises: totals.brokenPromises, tenureMonths: totals.tenureMonths,
      periodFrom, periodTo: today, baseGrade, currency: c.currency,
    };
    const changed = grade !== c.grade;
    updates.push({ code: c.code, grade, computed: assessment.grade, score: assessment.scoreTenths, factors: JSON.stringify(factors), clearGrade: gradeOverrideExpired, clearLimit: limitOverrideExpired });
    outcomes.push({ code: c.code, from: c.grade, to: grade, computed: assessment.grade, scoreTenths: assessment.scoreTenths, changed });
    if (options.historyDate) {
      history.push({ customer_code: c.code, reviewed_on: options.historyDate, grade, computed_grade: assessment.grade, score_tenths: assessment.scoreTenths, factors: JSON.stringify(factors) });
    }
    if (gradeOverrideExpired) {
      events.push({ eventKey: options.eventKey(c.code, 'grade-override-expired'), customerCode: c.code, at, actor: SYSTEM_ACTOR, action: 'grade_override_expired', details: { grade: c.grade_override, until: c.grade_override_until, reason: c.grade_override_reason, by: c.grade_override_by } });
    }
    if (limitOverrideExpired) {
      events.push({ eventKey: options.eventKey(c.code, 'limit-override-expired'), customerCode: c.code, at, actor: SYSTEM_ACTOR, action: 'limit_override_expired', details: { limitMinor: c.limit_override_minor, until: c.limit_override_until, reason: c.limit_override_reason, by: c.limit_override_by } });
    }
    if (changed) {
      events.push({
        eventKey: options.eventKey(c.code, 'grade'), customerCode: c.code, at, actor: options.actor, action: 'grade_changed',
        reason: grade !== null && grade === c.grade_override && !gradeOverrideExpired ? `override by ${c.grade_override_by}: ${c.grade_override_reason}` : 'computed from payment history',
        details: { from: c.grade, to: grade, computed: assessment.grade, scoreTenths: assessment.scoreTenths, factors: assessment.factors },
      });
    }
  }
  // One statement per batch for the customer rows.
  await sql`
    update customers as c set
      grade = v.grade, computed_grade = v.computed, credit_score_tenths = v.score::int, grade_factors = v.factors::jsonb, grade_computed_at = now(),
      grade_override = case when v.clear_grade::boolean then null else c.grade_override end,
      grade_override_reason = case when v.clear_grade::boolean then null else c.grade_override_reason end,
      grade_override_until = case when v.clear_grade::boolean then null else c.grade_override_until end,
      grade_override_by = case when v.clear_grade::boolean then null else c.grade_override_by end,
      limit_override_minor = case when v.clear_limit::boolean then null else c.limit_override_minor end,
      limit_override_reason = case when v.clear_limit::boolean then null else c.limit_override_reason end,
      limit_override_until = case when v.clear_limit::boolean then null else c.limit_override_until end,
      limit_override_by = case when v.clear_limit::boolean then null else c.limit_override_by end,
      updated_at = case when c.grade is distinct from v.grade or v.clear_grade::boolean or v.clear_limit::boolean then now() else c.updated_at end
    from (values ${sql.join(updates.map((u) => sql`(${u.code}, ${u.grade}, ${u.computed}, ${String(u.score)}, ${u.factors}, ${String(u.clearGrade)}, ${String(u.clearLimit)})`))})
      as v(code, grade, computed, score, factors, clear_grade, clear_limit)
    where c.code = v.code`.execute(trx);
  if (history.length > 0) {
    await trx.insertInto('grade_history').values(history)
      .onConflict((oc) => oc.columns(['customer_code', 'reviewed_on']).doUpdateSet((eb) => ({
        grade: eb.ref('excluded.grade'), computed_grade: eb.ref('excluded.computed_grade'), score_tenths: eb.ref('excluded.score_tenths'), factors: eb.ref('excluded.factors'),
      }))).execute();
  }
  if (events.length > 0) {
    await trx.insertInto('timeline').values(events.map((e) => ({
      event_key: e.eventKey, contract_no: null, customer_code: e.customerCode ?? null, invoice_no: null, at: e.at, actor_name: e.actor.name, actor_role: e.actor.role,
      action: e.action, from_stage: null, to_stage: null, reason: e.reason ?? null, details: JSON.stringify(e.details ?? {}),
    }))).onConflict((oc) => oc.column('event_key').doNothing()).execute();
  }
  return outcomes;
}

async function lockFull(trx: Db, codes: string[]): Promise<CustomerRow[]> {
  if (codes.length === 0) return [];
  return trx.selectFrom('customers').selectAll().where('code', 'in', codes).orderBy('code').forUpdate().execute();
}

export interface CustomerEvaluation {
  grade: GradeOutcome;
  hold: Awaited<ReturnType<typeof applyHoldDecision>>;
}

/**
 * Re-evaluates one customer now (after an override, a release, or on request): grade and hold, in the
 * caller's transaction. Off-cycle evaluations write no grade_history (that is the review's record).
 */
export async function evaluateCustomerCredit(trx: Db, code: string, today: string, actor: Actor): Promise<CustomerEvaluation> {
  const [customer] = await lockFull(trx, [code]);
  const run = crypto.randomUUID();
  const [grade] = await computeGrades(trx, [customer], today, { actor, eventKey: (c, what) => `customer/${c}/${what}/${run}` });
  const [fresh] = await trx.selectFrom('customers').selectAll().where('code', '=', code).execute();
  const position = (await creditPositions(trx, [fresh], () => today)).get(code)!;
  return { grade, hold: await applyHoldDecision(trx, position, actor) };
}

// ---------------------------------------------------------------------------------------------
// The weekly review

export const DEFAULT_REVIEW_BATCH = 1000;
/** How many entries of each list a review summary keeps (the counts are always complete). */
export const SUMMARY_LIST_LIMIT = 200;

export interface ReviewStart {
  reviewDate: string;
  /** A summary for this date already exists: a re-run reuses it and only makes sure the mail went out. */
  existing: boolean;
  /** Changes since this instant (the previous review, or seven days before this one) are reported. */
  sinceMs: number;
}

export async function beginCreditReview(db: Db, input: { reviewDate: string; timeZone: string }): Promise<ReviewStart> {
  const existing = await db.selectFrom('credit_reviews').select('review_date').where('review_date', '=', input.reviewDate).executeTakeFirst();
  const previous = await db.selectFrom('credit_reviews').select('created_at').where('review_date', '<', input.reviewDate)
    .orderBy('review_date', 'desc').limit(1).executeTakeFirst();
  const sinceMs = previous ? previous.created_at.getTime() : zonedInstant(addDays(input.reviewDate, -7), '00:00', input.timeZone);
  return { reviewDate: input.reviewDate, existing: Boolean(existing), sinceMs };
}

export interface BatchResult {
  /** The last customer code of this batch, or null when it was the last batch. */
  lastCode: string | null;
  customers: number;
  gradeChanges: number;
  holdsSet: number;
  holdsLifted: number;
}

/**
 * One batch of the review: the next `limit` customers by code, locked in code order; grades from
 * set-based aggregates with one update statement, grade_history for the review date, then holds
 * from the batch's credit positions. One transaction, so a retried batch repeats cleanly.
 */
export async function reviewCreditBatch(db: Db, input: { reviewDate: string; afterCode: string | null; limit: number }): Promise<BatchResult> {
  return db.transaction().execute(async (trx) => {
    let next = trx.selectFrom('customers').select('code').orderBy('code').limit(input.limit);
    if (input.afterCode !== null) next = next.where('code', '>', input.afterCode);
    const codes = (await next.execute()).map((r) => r.code);
    if (codes.length === 0) return { lastCode: null, customers: 0, gradeChanges: 0, holdsSet: 0, holdsLifted: 0 };
    const customers = await lockFull(trx, codes);
    const grades = await computeGrades(trx, customers, input.reviewDate, {
      actor: SYSTEM_ACTOR, historyDate: input.reviewDate, eventKey: (code, what) => `credit-review/${input.reviewDate}/${code}/${what}`,
    });
    const fresh = await trx.selectFrom('customers').selectAll().where('code', 'in', codes).execute();
    const positions = await creditPositions(trx, fresh, () => input.reviewDate);
    let holdsSet = 0;
    let holdsLifted = 0;
    for (const position of positions.values()) {
      const result = await applyHoldDecision(trx, position, SYSTEM_ACTOR);
      if (result.changed && result.hold) holdsSet += 1;
      if (result.changed && !result.hold) holdsLifted += 1;
    }
    return {
      lastCode: codes.length < input.limit ? null : codes[codes.length - 1], customers: codes.length,
      gradeChanges: grades.filter((g) => g.changed).length, holdsSet, holdsLifted,
    };
  });
}

export interface ReviewTotals {
  customers: number;
  gradeChanges: number;
  holdsSet: number;
  holdsLifted: number;
}

async function customerEvents(db: Db, action: string, sinceMs: number) {
  const since = new Date(sinceMs);
  const [rows, count] = await Promise.all([
    db.selectFrom('timeline as t').innerJoin('customers as c', 'c.code', 't.customer_code')
      .select(['t.customer_code', 'c.name', 't.at', 't.actor_name', 't.actor_role', 't.reason', 't.details', 'c.grade', 'c.credit_hold'])
      .where('t.action', '=', action).where('t.at', '>=', since).orderBy('t.at').orderBy('t.id').limit(SUMMARY_LIST_LIMIT).execute(),
    db.selectFrom('timeline').select((eb) => eb.fn.countAll<string>().as('n')).where('action', '=', action).where('at', '>=', since).executeTakeFirstOrThrow(),
  ]);
  return { count: num(count.n), items: rows };
}

/** Stores the review's summary once per review date (a re-run the same day gets the stored one back). */
export async function storeCreditReview(db: Db, input: { reviewDate: string; sinceMs: number; totals: ReviewTotals }): Promise<Record<string, unknown>> {
  const stored = await db.selectFrom('credit_reviews').select('summary').where('review_date', '=', input.reviewDate).executeTakeFirst();
  if (stored) return stored.summary;
  const [gradeChanges, holdsSet, holdsLifted, gradeCounts, onHold, topOverdue, warnings] = await Promise.all([
    customerEvents(db, 'grade_changed', input.sinceMs),
    customerEvents(db, 'credit_hold_set', input.sinceMs),
    customerEvents(db, 'credit_hold_lifted', input.sinceMs),
    db.selectFrom('customers').select(['grade', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('grade').execute(),
    db.selectFrom('customers').select((eb) => eb.fn.countAll<string>().as('n')).where('credit_hold', '=', true).executeTakeFirstOrThrow(),
    topOverdueCustomers(db, input.reviewDate, 10),
    creditWarnings(db, { today: input.reviewDate }),
  ]);
  const summary = {
    reviewDate: input.reviewDate, generatedAt: new Date().toISOString(), since: new Date(input.sinceMs).toISOString(),
    gradePeriod: { from: monthsBefore(input.reviewDate, GRADE_PERIOD_MONTHS), to: input.reviewDate },
    customersReviewed: input.totals.customers, totals: input.totals,
    gradeCounts: Object.fromEntries(gradeCounts.map((g) => [g.grade ?? 'new', num(g.n)])), onHoldCount: num(onHold.n),
    gradeChanges: {
      count: gradeChanges.count,
      items: gradeChanges.items.map((e) => {
        const d = e.details as { from?: string | null; to?: string | null; computed?: string | null; scoreTenths?: number };
        return { customerCode: e.customer_code, name: e.name, from: d.from ?? null, to: d.to ?? null, computed: d.computed ?? null, scoreTenths: d.scoreTenths ?? null, reason: e.reason, at: e.at.toISOString() };
      }),
    },
    holdsSet: { count: holdsSet.count, items: holdsSet.items.map((e) => holdItem(e)) },
    holdsLifted: { count: holdsLifted.count, items: holdsLifted.items.map((e) => holdItem(e)) },
    topOverdue,
    warnings: { count: warnings.length, items: warnings.slice(0, SUMMARY_LIST_LIMIT) },
  };
  await db.insertInto('credit_reviews').values({ review_date: input.reviewDate, summary: JSON.stringify(summary) })
    .onConflict((oc) => oc.column('review_date').doNothing()).execute();
  return (await db.selectFrom('credit_reviews').select('summary').where('review_date', '=', input.reviewDate).executeTakeFirstOrThrow()).summary;
}

function holdItem(e: { customer_code: string | null; name: string; at: Date; actor_name: string; actor_role: string; reason: string | null; details: Record<string, unknown>; credit_hold: boolean }) {
  const source = (e.details as { source?: string }).source ?? (e.actor_role === 'system' ? 'auto' : 'manual');
  return { customerCode: e.customer_code, name: e.name, source, by: e.actor_name, reason: e.reason, at: e.at.toISOString(), onHoldNow: e.credit_hold };
}

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
  const rows = await db.selectFrom('invoices as i').innerJoin('customers as c', 'c.code', 'i.customer_code')
    .select([
      'i.customer_code', 'c.name', 'i.currency', 'c.grade', 'c.credit_hold',
      (eb) => eb.fn.sum<string>('i.balance_minor').as('overdue'), sql<string>`min(i.due_date)::text`.as('oldest'),
    ])
    .where('i.status', '=', 'open').where('i.balance_minor', '>', 0).where('i.due_date', '<', today)
    .groupBy(['i.customer_code', 'c.name', 'i.currency', 'c.grade', 'c.credit_hold'])
    .orderBy(sql`sum(i.balance_minor)`, 'desc').orderBy('i.customer_code').limit(limit).execute();
  return rows.map((r) => ({
    customerCode: r.customer_code, name: r.name, currency: r.currency, overdueMinor: num(r.overdue), oldestDueDate: r.oldest,
    daysOverdue: daysBetween(r.oldest, today), grade: r.grade, creditHold: r.credit_hold,
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
    db.selectFrom('contracts as k').innerJoin('customers as c', (j) => j.onRef('c.code', '=', 'k.customer_code').onRef('c.currency', '=', 'k.currency'))
      .select([
        'k.customer_code', 'c.name',
        sql<string>`coalesce(sum(k.amount_minor) filter (where k.created_at >= ${localStart(recentFrom)}), 0)`.as('recent_minor'),
        sql<string>`count(*) filter (where k.created_at >= ${localStart(recentFrom)})`.as('recent_count'),
        sql<string>`coalesce(sum(k.amount_minor) filter (where k.created_at < ${localStart(recentFrom)}), 0)`.as('history_minor'),
        sql<string>`count(*) filter (where k.created_at < ${localStart(recentFrom)})`.as('history_count'),
      ])
      .$if(code !== undefined, (qb) => qb.where('k.customer_code', '=', code!))
      .where('k.stage', 'not in', ['Opportunity', 'Cancelled'])
      .where(sql<boolean>`k.created_at >= ${localStart(historyFrom)} and k.created_at < ${localStart(addDays(input.today, 1))}`)
      .groupBy(['k.customer_code', 'c.name'])
      .having(sql<number>`count(*) filter (where k.created_at < ${localStart(recentFrom)})`, '>=', MIN_HISTORY_ORDERS).execute(),
    db.selectFrom((eb) => eb.selectFrom('invoices as i').select([
      'i.customer_code', sql<number>`(i.paid_on - i.due_date)`.as('days_late'),
      sql<number>`row_number() over (partition by i.customer_code order by i.paid_on desc, i.no desc)`.as('rn'),
    ]).where('i.paid_on', 'is not', null).where('i.paid_on', '>', paidFrom).where('i.paid_on', '<=', input.today)
      .$if(code !== undefined, (qb) => qb.where('i.customer_code', '=', code!)).as('p'))
      .innerJoin('customers as c', 'c.code', 'p.customer_code')
      .select(['p.customer_code', 'c.name', 'p.days_late', 'p.rn']).where('p.rn', '<=', TREND_SLOPE_INVOICES)
      .orderBy('p.customer_code').orderBy('p.rn', 'desc').execute(),
    db.selectFrom('term_extension_requests as r').innerJoin('customers as c', 'c.code', 'r.customer_code')
      .select(['r.id', 'r.customer_code', 'c.name', 'r.contract_no', 'r.requested_days', 'r.reason', 'r.requested_by', 'r.requested_at', 'r.overdue_minor', 'r.oldest_days_overdue', 'c.currency'])
      .$if(code !== undefined, (qb) => qb.where('r.customer_code', '=', code!))
      .where(sql<boolean>`r.requested_at >= ${localStart(requestFrom)}`).where('r.overdue_minor', '>', 0)
      .orderBy('r.requested_at', 'desc').execute(),
  ]);
  const warnings: WarningRow[] = [];
  for (const o of orders) {
    const w = orderVolumeWarning(o.customer_code, { recentMinor: num(o.recent_minor), recentCount: num(o.recent_count), historyMinor: num(o.history_minor), historyCount: num(o.history_count) });
    if (w) warnings.push({ ...w, customerName: o.name });
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
      id: Number(r.id), contractNo: r.contract_no, requestedDays: r.requested_days, reason: r.reason, requestedBy: r.requested_by,
      requestedAt: r.requested_at.toISOString(), overdueMinor: r.overdue_minor, oldestDaysOverdue: r.oldest_days_overdue,
    });
    if (w) warnings.push({ ...w, customerName: r.name, figures: { ...w.figures, currency: r.currency } });
  }
  return warnings.sort((a, b) => (a.customerCode < b.customerCode ? -1 : a.customerCode > b.customerCode ? 1 : a.kind < b.kind ? -1 : 1));
}

/** The overdue figures of a customer at a moment: what a term-extension request records. */
export async function overdueFigures(db: Db, code: string, today: string): Promise<{ overdueMinor: number; oldestDaysOverdue: number }> {
  const row = await db.selectFrom('invoices')
    .select([(eb) => eb.fn.coalesce(eb.fn.sum<string>('balance_minor'), eb.lit(0)).as('overdue'), sql<string | null>`min(due_date)::text`.as('oldest')])
    .where('customer_code', '=', code).where('status', '=', 'open').where('balance_minor', '>', 0).where('due_date', '<', today).executeTakeFirstOrThrow();
  return { overdueMinor: num(row.overdue), oldestDaysOverdue: row.oldest ? daysBetween(row.oldest, today) : 0 };
}

export function todayFor(timeZone: string, at = Date.now()): string {
  return localDateOf(at, timeZone);
}
