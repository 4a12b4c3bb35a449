import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { localDateOf } from '../domain/dates';
import type { Locale } from '../domain/locales';

const { beginCreditReview, reviewCreditBatch, storeCreditReview } = proxyActivities<
  ReturnType<typeof createActivities>
>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumInterval: '1 minute' },
});
const { sendCreditReviewMail } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '5 minutes' },
});

export const CREDIT_REVIEW_SCHEDULE_ID = 'credit-review';

export interface CreditReviewInput {
  /** The review's date; by default today in `timeZone` at the workflow's start. */
  reviewDate?: string;
  /** DEFAULT_TIME_ZONE; Asia/Shanghai when absent. */
  timeZone?: string;
  /** One mail per language to management; zh-CN and en by default (CREDIT_REVIEW_LOCALES). */
  locales?: Locale[];
  /** Customers per batch activity. */
  batchSize?: number;
}

export interface CreditReviewResult {
  reviewDate: string;
  reused: boolean;
  customers: number;
  gradeChanges: number;
  holdsSet: number;
  holdsLifted: number;
  mail: Record<string, string>;
}

export interface ReviewBatch {
  customers: number;
  gradeChanges: number;
  holdsSet: number;
  holdsLifted: number;
  /** The last customer code of the batch; null when no customer is left. */
  lastCode: string | null;
}

/** Runs review batches in customer-code order until none is left, adding up what they changed. */
export async function reviewAllCustomers(runBatch: (afterCode: string | null) => Promise<ReviewBatch>) {
  const totals = { customers: 0, gradeChanges: 0, holdsSet: 0, holdsLifted: 0 };
  let afterCode: string | null = null;
  do {
    const batch: ReviewBatch = await runBatch(afterCode);
    totals.customers += batch.customers;
    totals.gradeChanges += batch.gradeChanges;
    totals.holdsSet += batch.holdsSet;
    totals.holdsLifted += batch.holdsLifted;
    afterCode = batch.lastCode;
  } while (afterCode !== null);
  return totals;
}

/**
 * The weekly credit review (SPEC section 5), started by the `credit-review` Temporal Schedule every
 * Monday 08:30: recompute every customer's grade in batches, record grade_history, re-evaluate holds,
 * store the summary (once per review date) and mail it to management in each language, exactly once.
 */
export async function creditReviewWorkflow(input: CreditReviewInput = {}): Promise<CreditReviewResult> {
  const timeZone = input.timeZone ?? 'Asia/Shanghai';
  const reviewDate = input.reviewDate ?? localDateOf(Date.now(), timeZone);
  const locales = input.locales && input.locales.length > 0 ? input.locales : (['zh-CN', 'en'] as Locale[]);
  const batchSize = input.batchSize ?? 1000;
  const start = await beginCreditReview({ reviewDate, timeZone });
  const totals = { customers: 0, gradeChanges: 0, holdsSet: 0, holdsLifted: 0 };
  if (!start.existing) {
    Object.assign(
      totals,
      await reviewAllCustomers((afterCode) => reviewCreditBatch({ reviewDate, afterCode, limit: batchSize })),
    );
    await storeCreditReview({ reviewDate, sinceMs: start.sinceMs, totals });
  }
  const mail: Record<string, string> = {};
  for (const locale of locales) mail[locale] = await sendCreditReviewMail({ reviewDate, locale });
  return { reviewDate, reused: start.existing, ...totals, mail };
}
