import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import type { CustomerRow } from '../db/schema';
import { appendTimeline } from '../db/timeline';
import {
  GRADE_PERIOD_MONTHS,
  type PaymentTotals,
  assessCreditTotals,
  effectiveGrade,
  effectiveLimit,
  monthsBefore,
  overrideActive,
  wholeMonthsBetween,
} from '../domain/credit';
import type { Grade } from '../domain/contract-rules';
import { type Actor, SYSTEM_ACTOR } from '../domain/roles';
import { applyHoldDecision, creditPositions } from './credit-holds';
import { num } from '../db/numbers';

/**
 * Credit grades from payment history (domain/credit.ts), computed with set-based SQL for a batch of
 * customers: used by the weekly review and by a one-off evaluation through the API.
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

/**
 * Recomputes the grades of customers whose rows the caller has locked, as of `today`: the 12 months up
 * to `today` of paid invoices (amount, days late = paid_on − due_date), the overdue balance now, disputes
 * opened and promises broken in the period, tenure since the first invoice. Expired overrides are cleared.
 */
export async function computeGrades(
  trx: Db,
  customers: CustomerRow[],
  today: string,
  options: GradeOptions,
): Promise<GradeOutcome[]> {
  if (customers.length === 0) return [];
  const codes = customers.map((c) => c.code);
  const periodFrom = monthsBefore(today, GRADE_PERIOD_MONTHS);
  const periodStart = new Date(`${periodFrom}T00:00:00Z`);
  const paidInPeriod = sql`i.paid_on > ${periodFrom}::date and i.paid_on <= ${today}::date`;
  const [invoiceRows, disputeRows, promiseRows] = await Promise.all([
    trx
      .selectFrom('invoices as i')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.code', '=', 'i.customer_code').onRef('c.currency', '=', 'i.currency'),
      )
      .select([
        'i.customer_code',
        sql<string>`count(*) filter (where ${paidInPeriod})`.as('paid_count'),
        sql<string>`count(*) filter (where ${paidInPeriod} and i.paid_on <= i.due_date)`.as('on_time'),
        sql<string>`coalesce(sum(i.amount_minor) filter (where ${paidInPeriod}), 0)`.as('paid_amount'),
        sql<string>`coalesce(sum(i.amount_minor::numeric * greatest(i.paid_on - i.due_date, 0)) filter (where ${paidInPeriod}), 0)`.as(
          'late_amount_days',
        ),
        sql<string>`coalesce(sum(i.balance_minor) filter (where i.status = 'open' and i.due_date < ${today}::date), 0)`.as(
          'overdue',
        ),
        sql<string | null>`min(i.issue_date)::text`.as('first_issue'),
      ])
      .where('i.customer_code', 'in', codes)
      .groupBy('i.customer_code')
      .execute(),
    trx
      .selectFrom('disputes as d')
      .innerJoin('invoices as i', 'i.no', 'd.invoice_no')
      .select(['i.customer_code', (eb) => eb.fn.countAll<string>().as('n')])
      .where('i.customer_code', 'in', codes)
      .where('d.opened_at', '>=', periodStart)
      .groupBy('i.customer_code')
      .execute(),
    trx
      .selectFrom('promises')
      .select(['customer_code', (eb) => eb.fn.countAll<string>().as('n')])
      .where('customer_code', 'in', codes)
      .where('status', '=', 'broken')
      .where('closed_at', '>=', periodStart)
      .groupBy('customer_code')
      .execute(),
  ]);
  const invoicesBy = new Map(invoiceRows.map((r) => [r.customer_code, r]));
  const disputesBy = new Map(disputeRows.map((r) => [r.customer_code, num(r.n)]));
  const promisesBy = new Map(promiseRows.map((r) => [r.customer_code, num(r.n)]));

  const outcomes: GradeOutcome[] = [];
  const updates: {
    code: string;
    grade: Grade | null;
    computed: Grade | null;
    score: number;
    factors: string;
    clearGrade: boolean;
    clearLimit: boolean;
  }[] = [];
  const history: {
    customer_code: string;
    reviewed_on: string;
    grade: Grade | null;
    computed_grade: Grade | null;
    score_tenths: number;
    factors: string;
  }[] = [];
  const events: Parameters<typeof appendTimeline>[1][] = [];
  const at = options.at ?? new Date();
  for (const c of customers) {
    const agg = invoicesBy.get(c.code);
    const limitMinor = effectiveLimit({
      limitMinor: c.credit_limit_minor,
      overrideMinor: c.limit_override_minor,
      overrideUntil: c.limit_override_until,
      today,
    });
    const totals: PaymentTotals = {
      paidCount: num(agg?.paid_count),
      onTimeCount: num(agg?.on_time),
      paidAmountMinor: num(agg?.paid_amount),
      lateAmountDays: num(agg?.late_amount_days),
      overdueBalanceMinor: num(agg?.overdue),
      creditLimitMinor: limitMinor,
      disputes: disputesBy.get(c.code) ?? 0,
      brokenPromises: promisesBy.get(c.code) ?? 0,
      tenureMonths: agg?.first_issue ? wholeMonthsBetween(agg.first_issue, today) : 0,
    };
    const assessment = assessCreditTotals(totals);
    const previous = (c.grade_factors ?? null) as { baseGrade?: Grade | null } | null;
    // The grade without an override: the formula's once it has enough history, else the one before (at first, the grade given at creation or import).
    const previousBase = previous ? (previous.baseGrade ?? null) : (c.grade as Grade | null);
    const baseGrade = assessment.grade ?? previousBase;
    const gradeOverrideExpired = c.grade_override !== null && !overrideActive(c.grade_override_until, today);
    const limitOverrideExpired = c.limit_override_minor !== null && !overrideActive(c.limit_override_until, today);
    const grade = effectiveGrade({
      override: gradeOverrideExpired ? null : c.grade_override,
      overrideUntil: c.grade_override_until,
      computed: assessment.grade,
      assigned: previousBase,
      today,
    });
    const factors = {
      points: assessment.factors,
      scoreTenths: assessment.scoreTenths,
      onTimeRatePercent: assessment.onTimeRatePercent,
      weightedDaysLate: assessment.weightedDaysLate,
      paidInvoices: totals.paidCount,
      onTimeInvoices: totals.onTimeCount,
      paidAmountMinor: totals.paidAmountMinor,
      overdueMinor: totals.overdueBalanceMinor,
      limitMinor,
      disputes: totals.disputes,
      brokenPromises: totals.brokenPromises,
      tenureMonths: totals.tenureMonths,
      periodFrom,
      periodTo: today,
      baseGrade,
      currency: c.currency,
    };
    const changed = grade !== c.grade;
    updates.push({
      code: c.code,
      grade,
      computed: assessment.grade,
      score: assessment.scoreTenths,
      factors: JSON.stringify(factors),
      clearGrade: gradeOverrideExpired,
      clearLimit: limitOverrideExpired,
    });
    outcomes.push({
      code: c.code,
      from: c.grade,
      to: grade,
      computed: assessment.grade,
      scoreTenths: assessment.scoreTenths,
      changed,
    });
    if (options.historyDate) {
      history.push({
        customer_code: c.code,
        reviewed_on: options.historyDate,
        grade,
        computed_grade: assessment.grade,
        score_tenths: assessment.scoreTenths,
        factors: JSON.stringify(factors),
      });
    }
    if (gradeOverrideExpired) {
      events.push({
        eventKey: options.eventKey(c.code, 'grade-override-expired'),
        customerCode: c.code,
        at,
        actor: SYSTEM_ACTOR,
        action: 'grade_override_expired',
        details: {
          grade: c.grade_override,
          until: c.grade_override_until,
          reason: c.grade_override_reason,
          by: c.grade_override_by,
        },
      });
    }
    if (limitOverrideExpired) {
      events.push({
        eventKey: options.eventKey(c.code, 'limit-override-expired'),
        customerCode: c.code,
        at,
        actor: SYSTEM_ACTOR,
        action: 'limit_override_expired',
        details: {
          limitMinor: c.limit_override_minor,
          until: c.limit_override_until,
          reason: c.limit_override_reason,
          by: c.limit_override_by,
        },
      });
    }
    if (changed) {
      events.push({
        eventKey: options.eventKey(c.code, 'grade'),
        customerCode: c.code,
        at,
        actor: options.actor,
        action: 'grade_changed',
        reason:
          grade !== null && grade === c.grade_override && !gradeOverrideExpired
            ? `override by ${c.grade_override_by}: ${c.grade_override_reason}`
            : 'computed from payment history',
        details: {
          from: c.grade,
          to: grade,
          computed: assessment.grade,
          scoreTenths: assessment.scoreTenths,
          factors: assessment.factors,
        },
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
    await trx
      .insertInto('grade_history')
      .values(history)
      .onConflict((oc) =>
        oc.columns(['customer_code', 'reviewed_on']).doUpdateSet((eb) => ({
          grade: eb.ref('excluded.grade'),
          computed_grade: eb.ref('excluded.computed_grade'),
          score_tenths: eb.ref('excluded.score_tenths'),
          factors: eb.ref('excluded.factors'),
        })),
      )
      .execute();
  }
  if (events.length > 0) {
    await trx
      .insertInto('timeline')
      .values(
        events.map((e) => ({
          event_key: e.eventKey,
          contract_no: null,
          customer_code: e.customerCode ?? null,
          invoice_no: null,
          at: e.at,
          actor_name: e.actor.name,
          actor_role: e.actor.role,
          action: e.action,
          from_stage: null,
          to_stage: null,
          reason: e.reason ?? null,
          details: JSON.stringify(e.details ?? {}),
        })),
      )
      .onConflict((oc) => oc.column('event_key').doNothing())
      .execute();
  }
  return outcomes;
}

/** Locks the customers' rows (in code order, so concurrent reviews cannot deadlock) and reads them whole. */
export async function lockFull(trx: Db, codes: string[]): Promise<CustomerRow[]> {
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
export async function evaluateCustomerCredit(
  trx: Db,
  code: string,
  today: string,
  actor: Actor,
): Promise<CustomerEvaluation> {
  const [customer] = await lockFull(trx, [code]);
  const run = crypto.randomUUID();
  const [grade] = await computeGrades(trx, [customer], today, {
    actor,
    eventKey: (c, what) => `customer/${c}/${what}/${run}`,
  });
  const [fresh] = await trx.selectFrom('customers').selectAll().where('code', '=', code).execute();
  const position = (await creditPositions(trx, [fresh], () => today)).get(code)!;
  return { grade, hold: await applyHoldDecision(trx, position, actor) };
}

// ---------------------------------------------------------------------------------------------
// The weekly review
