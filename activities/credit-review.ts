import type { Db } from '../db/connect';
import { GRADE_PERIOD_MONTHS, monthsBefore } from '../domain/credit';
import { addDays, zonedInstant } from '../domain/dates';
import { SYSTEM_ACTOR } from '../domain/roles';
import { applyHoldDecision, creditPositions } from '../services/credit-holds';
import { num } from '../db/numbers';
import { creditWarnings, topOverdueCustomers, type CreditReviewSummary } from '../read-models/credit-warnings';
import { computeGrades, lockFull } from '../services/credit-grading';

/** The weekly credit review, in batches the review workflow drives: begin, grade a batch, store the summary. */

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
  const existing = await db
    .selectFrom('credit_reviews')
    .select('review_date')
    .where('review_date', '=', input.reviewDate)
    .executeTakeFirst();
  const previous = await db
    .selectFrom('credit_reviews')
    .select('created_at')
    .where('review_date', '<', input.reviewDate)
    .orderBy('review_date', 'desc')
    .limit(1)
    .executeTakeFirst();
  const sinceMs = previous
    ? previous.created_at.getTime()
    : zonedInstant(addDays(input.reviewDate, -7), '00:00', input.timeZone);
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
export async function reviewCreditBatch(
  db: Db,
  input: { reviewDate: string; afterCode: string | null; limit: number },
): Promise<BatchResult> {
  return db.transaction().execute(async (trx) => {
    let next = trx.selectFrom('customers').select('code').orderBy('code').limit(input.limit);
    if (input.afterCode !== null) next = next.where('code', '>', input.afterCode);
    const codes = (await next.execute()).map((r) => r.code);
    if (codes.length === 0) return { lastCode: null, customers: 0, gradeChanges: 0, holdsSet: 0, holdsLifted: 0 };
    const customers = await lockFull(trx, codes);
    const grades = await computeGrades(trx, customers, input.reviewDate, {
      actor: SYSTEM_ACTOR,
      historyDate: input.reviewDate,
      eventKey: (code, what) => `credit-review/${input.reviewDate}/${code}/${what}`,
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
      lastCode: codes.length < input.limit ? null : codes[codes.length - 1],
      customers: codes.length,
      gradeChanges: grades.filter((g) => g.changed).length,
      holdsSet,
      holdsLifted,
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
    db
      .selectFrom('timeline as t')
      .innerJoin('customers as c', 'c.code', 't.customer_code')
      .select([
        't.customer_code',
        'c.name',
        't.at',
        't.actor_name',
        't.actor_role',
        't.reason',
        't.details',
        'c.grade',
        'c.credit_hold',
      ])
      .where('t.action', '=', action)
      .where('t.at', '>=', since)
      .orderBy('t.at')
      .orderBy('t.id')
      .limit(SUMMARY_LIST_LIMIT)
      .execute(),
    db
      .selectFrom('timeline')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('action', '=', action)
      .where('at', '>=', since)
      .executeTakeFirstOrThrow(),
  ]);
  return { count: num(count.n), items: rows };
}

/** Stores the review's summary once per review date (a re-run the same day gets the stored one back). */
export async function storeCreditReview(
  db: Db,
  input: { reviewDate: string; sinceMs: number; totals: ReviewTotals },
): Promise<CreditReviewSummary> {
  const stored = await db
    .selectFrom('credit_reviews')
    .select('summary')
    .where('review_date', '=', input.reviewDate)
    .executeTakeFirst();
  if (stored) return stored.summary;
  const [gradeChanges, holdsSet, holdsLifted, gradeCounts, onHold, topOverdue, warnings] = await Promise.all([
    customerEvents(db, 'grade_changed', input.sinceMs),
    customerEvents(db, 'credit_hold_set', input.sinceMs),
    customerEvents(db, 'credit_hold_lifted', input.sinceMs),
    db
      .selectFrom('customers')
      .select(['grade', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('grade')
      .execute(),
    db
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('credit_hold', '=', true)
      .executeTakeFirstOrThrow(),
    topOverdueCustomers(db, input.reviewDate, 10),
    creditWarnings(db, { today: input.reviewDate }),
  ]);
  const summary: CreditReviewSummary = {
    reviewDate: input.reviewDate,
    generatedAt: new Date().toISOString(),
    since: new Date(input.sinceMs).toISOString(),
    gradePeriod: { from: monthsBefore(input.reviewDate, GRADE_PERIOD_MONTHS), to: input.reviewDate },
    customersReviewed: input.totals.customers,
    totals: input.totals,
    gradeCounts: Object.fromEntries(gradeCounts.map((g) => [g.grade ?? 'new', num(g.n)])),
    onHoldCount: num(onHold.n),
    gradeChanges: {
      count: gradeChanges.count,
      items: gradeChanges.items.map((e) => {
        const d = e.details as {
          from?: string | null;
          to?: string | null;
          computed?: string | null;
          scoreTenths?: number;
        };
        return {
          customerCode: e.customer_code,
          name: e.name,
          from: d.from ?? null,
          to: d.to ?? null,
          computed: d.computed ?? null,
          scoreTenths: d.scoreTenths ?? null,
          reason: e.reason,
          at: e.at.toISOString(),
        };
      }),
    },
    holdsSet: { count: holdsSet.count, items: holdsSet.items.map((e) => holdItem(e)) },
    holdsLifted: { count: holdsLifted.count, items: holdsLifted.items.map((e) => holdItem(e)) },
    topOverdue,
    warnings: { count: warnings.length, items: warnings.slice(0, SUMMARY_LIST_LIMIT) },
  };
  await db
    .insertInto('credit_reviews')
    .values({ review_date: input.reviewDate, summary: JSON.stringify(summary) })
    .onConflict((oc) => oc.column('review_date').doNothing())
    .execute();
  return (
    await db
      .selectFrom('credit_reviews')
      .select('summary')
      .where('review_date', '=', input.reviewDate)
      .executeTakeFirstOrThrow()
  ).summary;
}

function holdItem(e: {
  customer_code: string | null;
  name: string;
  at: Date;
  actor_name: string;
  actor_role: string;
  reason: string | null;
  details: Record<string, unknown>;
  credit_hold: boolean;
}) {
  const source = (e.details as { source?: string }).source ?? (e.actor_role === 'system' ? 'auto' : 'manual');
  return {
    customerCode: e.customer_code,
    name: e.name,
    source,
    by: e.actor_name,
    reason: e.reason,
    at: e.at.toISOString(),
    onHoldNow: e.credit_hold,
  };
}
