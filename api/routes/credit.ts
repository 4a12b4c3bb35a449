import crypto from 'node:crypto';
import { creditWarnings, overdueFigures } from '../../read-models/credit-warnings';
import { evaluateCustomerCredit } from '../../services/credit-grading';
import { reevaluateCreditHold } from '../../services/credit-holds';
import { appendTimeline } from '../../db/timeline';
import { isLocalDate, localDateOf } from '../../domain/dates';
import { CREDIT_REVIEW_SCHEDULE_ID } from '../../workflows/credit-review';
import { triggerCreditReview } from '../../services/workflow-client';
import type { ApiDeps } from '../deps';
import { conflict, invalidInput, notFound } from '../../domain/refusal';
import { toMinor } from '../money';
import type { ApiRoutes } from '../route';
import {
  WARNING_KINDS,
  WARNING_THRESHOLDS,
  GradeOverrideSchema,
  HoldReleaseSchema,
  LimitOverrideSchema,
  TermExtensionSchema,
} from '../schemas/credit';
import { creditView, customerRow, termExtensionView, todayOf } from '../../read-models/credit';

/** Credit control: grades and their overrides, limits, exposure, holds and releases, early warnings, the weekly review. */

function futureUntil(until: string | undefined, today: string): string {
  if (until === undefined) throw invalidInput('until', 'required: the last day the override applies');
  if (until < today) throw invalidInput('until', `must be today (${today}) or later`);
  return until;
}

function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidInput(name, 'give this parameter once');
  return value;
}

export function creditRoutes(routes: ApiRoutes, { db, temporal, defaultTimeZone }: ApiDeps): void {
  routes.add({
    method: 'get',
    path: '/api/v1/customers/:code/credit',
    summary:
      'Credit position of a customer: grade and its factors, overrides, limit, exposure, hold, release, warnings, history',
    roles: 'any',
    responses: { 200: 'the credit position', 404: 'no such customer' },
    async handle({ params }) {
      return { body: await creditView(db, params.code) };
    },
  });

  routes.add({
    method: 'put',
    path: '/api/v1/customers/:code/credit/grade-override',
    summary: 'Override the computed grade until a date, with a reason (finance); grade null removes it',
    roles: ['finance'],
    body: GradeOverrideSchema,
    responses: { 200: 'the credit position', 400: 'invalid input', 404: 'no such customer' },
    async handle({ params, body, actor }) {
      await db.transaction().execute(async (trx) => {
        const customer = await customerRow(trx, params.code, true);
        const today = todayOf(customer);
        const until = body.grade === null ? null : futureUntil(body.until, today);
        await trx
          .updateTable('customers')
          .set({
            grade_override: body.grade,
            grade_override_reason: body.grade === null ? null : body.reason,
            grade_override_until: until,
            grade_override_by: body.grade === null ? null : actor.name,
            updated_at: new Date(),
          })
          .where('code', '=', customer.code)
          .execute();
        await appendTimeline(trx, {
          eventKey: `customer/${customer.code}/grade-override/${crypto.randomUUID()}`,
          customerCode: customer.code,
          at: new Date(),
          actor,
          action: body.grade === null ? 'grade_override_cleared' : 'grade_override_set',
          reason: body.reason,
          details: {
            grade: body.grade,
            until,
            previous:
              customer.grade_override === null
                ? null
                : {
                    grade: customer.grade_override,
                    until: customer.grade_override_until,
                    by: customer.grade_override_by,
                  },
          },
        });
        await evaluateCustomerCredit(trx, customer.code, today, actor);
      });
      return { body: await creditView(db, params.code) };
    },
  });

  routes.add({
    method: 'put',
    path: '/api/v1/customers/:code/credit/limit-override',
    summary: 'Override the credit limit until a date, with a reason (finance); limit null removes it',
    roles: ['finance'],
    body: LimitOverrideSchema,
    responses: { 200: 'the credit position', 400: 'invalid input', 404: 'no such customer' },
    async handle({ params, body, actor }) {
      await db.transaction().execute(async (trx) => {
        const customer = await customerRow(trx, params.code, true);
        const today = todayOf(customer);
        let limitMinor: number | null = null;
        if (body.limit !== null) {
          limitMinor = toMinor(body.limit, 'limit', customer.currency).minor;
          if (limitMinor < 0) throw invalidInput('limit.value', 'must not be negative');
        }
        const until = body.limit === null ? null : futureUntil(body.until, today);
        await trx
          .updateTable('customers')
          .set({
            limit_override_minor: limitMinor,
            limit_override_reason: body.limit === null ? null : body.reason,
            limit_override_until: until,
            limit_override_by: body.limit === null ? null : actor.name,
            updated_at: new Date(),
          })
          .where('code', '=', customer.code)
          .execute();
        await appendTimeline(trx, {
          eventKey: `customer/${customer.code}/limit-override/${crypto.randomUUID()}`,
          customerCode: customer.code,
          at: new Date(),
          actor,
          action: body.limit === null ? 'limit_override_cleared' : 'limit_override_set',
          reason: body.reason,
          details: { limitMinor, currency: customer.currency, until, creditLimitMinor: customer.credit_limit_minor },
        });
        await evaluateCustomerCredit(trx, customer.code, today, actor);
      });
      return { body: await creditView(db, params.code) };
    },
  });

  routes.add({
    method: 'put',
    path: '/api/v1/customers/:code/credit/hold-release',
    summary:
      'Keep a customer off automatic credit hold until a date, with a reason (executive); until null ends the release',
    roles: ['executive'],
    body: HoldReleaseSchema,
    responses: { 200: 'the credit position', 400: 'invalid input', 404: 'no such customer' },
    async handle({ params, body, actor }) {
      await db.transaction().execute(async (trx) => {
        const customer = await customerRow(trx, params.code, true);
        const today = todayOf(customer);
        const until = body.until === null ? null : futureUntil(body.until, today);
        await trx
          .updateTable('customers')
          .set({
            hold_release_until: until,
            hold_release_reason: until === null ? null : body.reason,
            hold_release_by: until === null ? null : actor.name,
            updated_at: new Date(),
          })
          .where('code', '=', customer.code)
          .execute();
        await appendTimeline(trx, {
          eventKey: `customer/${customer.code}/hold-release/${crypto.randomUUID()}`,
          customerCode: customer.code,
          at: new Date(),
          actor,
          action: until === null ? 'hold_release_ended' : 'hold_release_granted',
          reason: body.reason,
          details: { until, manualHoldStays: customer.credit_hold && customer.hold_source !== 'auto' },
        });
        await reevaluateCreditHold(trx, customer.code, today, actor);
      });
      return { body: await creditView(db, params.code) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/customers/:code/credit/evaluate',
    summary: 'Recompute the grade and re-evaluate the automatic hold now (finance, executive)',
    roles: ['finance', 'executive'],
    responses: { 200: 'the credit position', 404: 'no such customer' },
    async handle({ params, actor }) {
      await db.transaction().execute(async (trx) => {
        const customer = await customerRow(trx, params.code, true);
        await evaluateCustomerCredit(trx, customer.code, todayOf(customer), actor);
      });
      return { body: await creditView(db, params.code) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/customers/:code/term-extension-requests',
    summary:
      "Record a request to extend payment terms with the customer's overdue figures at that moment (a warning when it is already late)",
    roles: ['sales', 'finance'],
    body: TermExtensionSchema,
    responses: { 201: 'recorded', 400: 'invalid input', 404: 'no such customer' },
    async handle({ params, body, actor }) {
      const created = await db.transaction().execute(async (trx) => {
        const customer = await customerRow(trx, params.code);
        if (body.contractNo !== undefined) {
          const contract = await trx
            .selectFrom('contracts')
            .select('customer_code')
            .where('no', '=', body.contractNo)
            .executeTakeFirst();
          if (!contract) throw invalidInput('contractNo', `no contract ${body.contractNo}`);
          if (contract.customer_code !== customer.code)
            throw invalidInput(
              'contractNo',
              `contract ${body.contractNo} belongs to customer ${contract.customer_code}, not ${customer.code}`,
            );
        }
        const today = todayOf(customer);
        const figures = await overdueFigures(trx, customer.code, today);
        const row = await trx
          .insertInto('term_extension_requests')
          .values({
            customer_code: customer.code,
            contract_no: body.contractNo ?? null,
            requested_days: body.requestedDays,
            reason: body.reason,
            requested_by: actor.name,
            requested_at: new Date(),
            overdue_minor: figures.overdueMinor,
            oldest_days_overdue: figures.oldestDaysOverdue,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await appendTimeline(trx, {
          eventKey: `customer/${customer.code}/term-extension/${row.id}`,
          customerCode: customer.code,
          contractNo: body.contractNo,
          at: row.requested_at,
          actor,
          action: 'term_extension_requested',
          reason: body.reason,
          details: {
            requestId: Number(row.id),
            requestedDays: body.requestedDays,
            overdueMinor: figures.overdueMinor,
            oldestDaysOverdue: figures.oldestDaysOverdue,
            warning: figures.overdueMinor > 0,
          },
        });
        return termExtensionView(row, customer.currency);
      });
      return {
        status: 201,
        body: created,
        headers: { Location: `/api/v1/customers/${params.code}/term-extension-requests` },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/customers/:code/term-extension-requests',
    summary: 'Term-extension requests of a customer, newest first',
    roles: 'any',
    responses: { 200: 'the requests', 404: 'no such customer' },
    async handle({ params }) {
      const customer = await customerRow(db, params.code);
      const rows = await db
        .selectFrom('term_extension_requests')
        .selectAll()
        .where('customer_code', '=', customer.code)
        .orderBy('requested_at', 'desc')
        .limit(200)
        .execute();
      return { body: { requests: rows.map((r) => termExtensionView(r, customer.currency)) } };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/credit/warnings',
    summary: 'Early warnings with the figures that raised them, for every customer or one',
    roles: ['sales', 'finance', 'executive'],
    query: { customer: 'one customer code', kind: WARNING_KINDS.join(' | ') },
    responses: { 200: 'the warnings', 400: 'invalid parameter', 404: 'no such customer' },
    async handle({ query }) {
      const customerCode = single(query, 'customer');
      const kind = single(query, 'kind');
      if (kind !== undefined && !(WARNING_KINDS as readonly string[]).includes(kind))
        throw invalidInput('kind', `must be one of ${WARNING_KINDS.join(', ')}`);
      let today = localDateOf(Date.now(), defaultTimeZone);
      if (customerCode !== undefined) today = todayOf(await customerRow(db, customerCode));
      const warnings = (await creditWarnings(db, { today, customerCode })).filter(
        (w) => kind === undefined || w.kind === kind,
      );
      return { body: { asOf: today, thresholds: WARNING_THRESHOLDS, count: warnings.length, warnings } };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/credit/reviews',
    summary: 'Weekly credit reviews, newest first',
    roles: ['finance', 'executive'],
    responses: { 200: 'the reviews' },
    async handle() {
      const rows = await db
        .selectFrom('credit_reviews')
        .select(['review_date', 'created_at', 'summary'])
        .orderBy('review_date', 'desc')
        .limit(52)
        .execute();
      return {
        body: {
          reviews: rows.map((r) => {
            const s = r.summary as {
              customersReviewed?: number;
              gradeChanges?: { count: number };
              holdsSet?: { count: number };
              holdsLifted?: { count: number };
              warnings?: { count: number };
            };
            return {
              reviewDate: r.review_date,
              createdAt: r.created_at,
              customersReviewed: s.customersReviewed ?? 0,
              gradeChanges: s.gradeChanges?.count ?? 0,
              holdsSet: s.holdsSet?.count ?? 0,
              holdsLifted: s.holdsLifted?.count ?? 0,
              warnings: s.warnings?.count ?? 0,
            };
          }),
        },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/credit/reviews/:date',
    summary: 'One weekly credit review: its summary and the mail sent',
    roles: ['finance', 'executive'],
    responses: { 200: 'the review', 400: 'invalid date', 404: 'no review that day' },
    async handle({ params }) {
      if (!isLocalDate(params.date)) throw invalidInput('date', 'must be a date YYYY-MM-DD');
      const review = await db
        .selectFrom('credit_reviews')
        .selectAll()
        .where('review_date', '=', params.date)
        .executeTakeFirst();
      if (!review) throw notFound(`credit review of ${params.date}`);
      const mail = await db
        .selectFrom('notifications')
        .select([
          'notification_key',
          'locale',
          'recipients',
          'subject',
          'status',
          'sent_at',
          'message_id',
          'attempts',
          'last_error',
        ])
        .where('notification_key', 'like', `credit-review/${params.date}/%`)
        .orderBy('id')
        .execute();
      return {
        body: {
          reviewDate: review.review_date,
          createdAt: review.created_at,
          summary: review.summary,
          mail: mail.map((m) => ({
            locale: m.locale,
            recipients: m.recipients,
            subject: m.subject,
            status: m.status,
            sentAt: m.sent_at,
            messageId: m.message_id,
            attempts: m.attempts,
            lastError: m.last_error,
          })),
        },
      };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/credit/reviews',
    summary:
      'Run the weekly credit review now (triggers the credit-review schedule); a review already stored today is reused',
    roles: ['finance', 'executive'],
    responses: { 202: 'started', 409: 'the schedule does not exist' },
    async handle() {
      if (!(await triggerCreditReview(temporal))) {
        throw conflict(`schedule ${CREDIT_REVIEW_SCHEDULE_ID} does not exist; a worker creates it at start-up`, [
          { code: 'schedule_missing', message: 'start a worker first' },
        ]);
      }
      const today = localDateOf(Date.now(), defaultTimeZone);
      return { status: 202, body: { reviewDate: today }, headers: { Location: `/api/v1/credit/reviews/${today}` } };
    },
  });
}
