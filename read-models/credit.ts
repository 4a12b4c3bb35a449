import { creditWarnings } from './credit-warnings';
import { creditPosition, holdReasonTexts } from '../services/credit-holds';
import type { Db } from '../db/connect';
import type { CustomerRow } from '../db/schema';
import { overrideActive } from '../domain/credit';
import { localDateOf } from '../domain/dates';
import { notFound } from '../domain/refusal';
import { fromMinor } from '../domain/money';

/** A customer's credit as the API and the console show it: grade sources, overrides, exposure, hold, warnings, history. */

/** Today in the customer's time zone. */
export const todayOf = (customer: Pick<CustomerRow, 'time_zone'>) => localDateOf(Date.now(), customer.time_zone);

/** The credit fields every customer view shows: grade sources, overrides, limit, exposure, hold and its source, release. */
export async function customerCreditFields(db: Db, customer: CustomerRow) {
  const today = todayOf(customer);
  const position = (await creditPosition(db, customer.code, today))!;
  const money = (minor: number) => fromMinor(minor, customer.currency);
  return {
    computedGrade: customer.computed_grade,
    creditScore: customer.credit_score_tenths === null ? null : (customer.credit_score_tenths / 10).toFixed(1),
    gradeComputedAt: customer.grade_computed_at,
    gradeOverride:
      customer.grade_override === null
        ? null
        : {
            grade: customer.grade_override,
            reason: customer.grade_override_reason,
            until: customer.grade_override_until,
            by: customer.grade_override_by,
            active: overrideActive(customer.grade_override_until, today),
          },
    limitOverride:
      customer.limit_override_minor === null
        ? null
        : {
            limit: money(customer.limit_override_minor),
            reason: customer.limit_override_reason,
            until: customer.limit_override_until,
            by: customer.limit_override_by,
            active: overrideActive(customer.limit_override_until, today),
          },
    effectiveCreditLimit: money(position.effectiveLimitMinor),
    exposure: {
      openReceivables: money(position.openReceivablesMinor),
      approvedUnbilled: money(position.unbilledMinor),
      total: money(position.exposureMinor),
      overdue: money(position.overdueMinor),
      overLimit: position.exposureMinor > position.effectiveLimitMinor,
    },
    creditHoldSource: customer.credit_hold ? (customer.hold_source ?? 'manual') : null,
    holdRelease:
      customer.hold_release_until === null
        ? null
        : {
            until: customer.hold_release_until,
            reason: customer.hold_release_reason,
            by: customer.hold_release_by,
            active: overrideActive(customer.hold_release_until, today),
          },
    automaticHoldRule: {
      holds: position.decision.reasons.length > 0,
      reasons: holdReasonTexts(position),
      releasedUntil: position.decision.releasedUntil,
    },
  };
}

/** The customer's row, locked for update when a command changes it; 404 when there is none. */
export async function customerRow(db: Db, code: string, lock = false): Promise<CustomerRow> {
  let query = db.selectFrom('customers').selectAll().where('code', '=', code);
  if (lock) query = query.forUpdate();
  const customer = await query.executeTakeFirst();
  if (!customer) throw notFound(`customer ${code}`);
  return customer;
}

export async function creditView(db: Db, code: string) {
  const customer = await customerRow(db, code);
  const today = todayOf(customer);
  const [credit, warnings, history, events, requests] = await Promise.all([
    customerCreditFields(db, customer),
    creditWarnings(db, { today, customerCode: code }),
    db
      .selectFrom('grade_history')
      .select(['reviewed_on', 'grade', 'computed_grade', 'score_tenths'])
      .where('customer_code', '=', code)
      .orderBy('reviewed_on', 'desc')
      .limit(12)
      .execute(),
    db
      .selectFrom('timeline')
      .select(['at', 'actor_name', 'actor_role', 'action', 'reason', 'details', 'invoice_no'])
      .where('customer_code', '=', code)
      .where('action', 'in', [
        'credit_hold_set',
        'credit_hold_lifted',
        'grade_changed',
        'grade_override_set',
        'grade_override_cleared',
        'grade_override_expired',
        'limit_override_set',
        'limit_override_cleared',
        'limit_override_expired',
        'hold_release_granted',
        'hold_release_ended',
        'term_extension_requested',
      ])
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(50)
      .execute(),
    db
      .selectFrom('term_extension_requests')
      .selectAll()
      .where('customer_code', '=', code)
      .orderBy('requested_at', 'desc')
      .limit(20)
      .execute(),
  ]);
  return {
    code: customer.code,
    name: customer.name,
    today,
    grade: customer.grade,
    creditLimit: fromMinor(customer.credit_limit_minor, customer.currency),
    creditHold: customer.credit_hold,
    creditHoldReason: customer.credit_hold_reason,
    ...credit,
    gradeFactors: customer.grade_factors,
    gradeHistory: history.map((h) => ({
      reviewedOn: h.reviewed_on,
      grade: h.grade,
      computedGrade: h.computed_grade,
      score: (h.score_tenths / 10).toFixed(1),
    })),
    warnings,
    termExtensionRequests: requests.map((r) => termExtensionView(r, customer.currency)),
    events: events.map((e) => ({
      at: e.at,
      actor: { name: e.actor_name, role: e.actor_role },
      action: e.action,
      reason: e.reason,
      invoiceNo: e.invoice_no,
      details: e.details,
    })),
  };
}

export function termExtensionView(
  r: {
    id: number;
    customer_code: string;
    contract_no: string | null;
    requested_days: number;
    reason: string;
    requested_by: string;
    requested_at: Date;
    overdue_minor: number;
    oldest_days_overdue: number;
  },
  currency: string,
) {
  return {
    id: Number(r.id),
    customerCode: r.customer_code,
    contractNo: r.contract_no,
    requestedDays: r.requested_days,
    reason: r.reason,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
    overdue: fromMinor(r.overdue_minor, currency),
    oldestDaysOverdue: r.oldest_days_overdue,
    customerLate: r.overdue_minor > 0,
  };
}
