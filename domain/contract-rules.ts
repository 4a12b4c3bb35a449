import type { Actor } from './roles';
import { addDays, isLocalDate } from './dates';
import { parsePercent, percentOf, toDecimal } from './money';
import type { Refusal } from './refusal';

export const GRADES = ['A', 'B', 'C', 'D'] as const;
export type Grade = (typeof GRADES)[number];

export const PAYMENT_TERMS_TYPES = ['prepayment', 'pay_on_delivery', 'retention', 'credit_terms'] as const;
export type PaymentTermsType = (typeof PAYMENT_TERMS_TYPES)[number];

/** Which payment-terms types each credit grade may be offered; "new" is a customer without a grade yet. */
export const TERMS_ALLOWED_BY_GRADE: Record<Grade | 'new', readonly PaymentTermsType[]> = {
  A: PAYMENT_TERMS_TYPES,
  B: PAYMENT_TERMS_TYPES,
  C: ['prepayment', 'pay_on_delivery'],
  D: ['prepayment'],
  new: ['prepayment', 'pay_on_delivery', 'retention', 'credit_terms'],
};

export const OVERRIDE_ROLES = ['finance', 'executive'] as const;
export const MAX_RISK_SCORE = 12;

export interface CreditSnapshot {
  grade: Grade | null;
  creditHold: boolean;
  /** The credit limit in force (a temporary override included). */
  creditLimitMinor: number;
  /**
   * Open receivables + approved but unbilled contract value, without the contract being approved. Absent
   * (requests recorded before it was gathered): the contract's own amount is not checked against the limit.
   */
  exposureMinor?: number;
  /** The currency of the limit and the exposure; the limit check applies to contracts in it. */
  currency?: string;
  /** Why the customer is on hold, in words (the customer's credit_hold_reason); null: set by hand. */
  holdReason?: string | null;
}

export interface RiskAssessment {
  customerRisk: number;
  projectRisk: number;
  requirementRisk: number;
  notes?: string;
}

export interface Override {
  reason: string;
}

export interface ApprovalInput {
  actor: Actor;
  customer: CreditSnapshot;
  paymentTermsType: PaymentTermsType;
  amountMinor: number;
  risk: RiskAssessment;
  override?: Override;
}

export interface ApprovalDecision {
  /** Reasons that stop the approval. */
  refusals: Refusal[];
  /** Failed checks waved through by a valid override; recorded on the timeline. */
  overridden: Refusal[];
}

/** An amount as refusals state it ("105000.00 CNY"); without a currency, the minor units as they are. */
const moneyOf = (currency: string | undefined) => (minor: number) =>
  currency ? `${toDecimal(minor, currency)} ${currency}` : String(minor);

function creditFigures(customer: CreditSnapshot, amountMinor: number): string {
  const money = moneyOf(customer.currency);
  return [
    `credit limit ${money(customer.creditLimitMinor)}`,
    ...(customer.exposureMinor === undefined ? [] : [`exposure ${money(customer.exposureMinor)}`]),
    `this contract ${money(amountMinor)}`,
  ].join(', ');
}

/**
 * The credit checks of the gate, each with its own code and the figures: the customer on hold (and why:
 * an invoice past its hold threshold, exposure over the limit, or finance's hand), and this contract's own
 * amount taking the exposure over the limit. Both can be overridden like every other check.
 */
function creditChecks(input: ApprovalInput): Refusal[] {
  const { customer, amountMinor } = input;
  const failed: Refusal[] = [];
  if (customer.creditHold) {
    failed.push({
      code: 'credit_hold',
      message: `the customer is on credit hold (${customer.holdReason || 'set by finance'}): ${creditFigures(customer, amountMinor)}`,
    });
  }
  if (customer.exposureMinor !== undefined && customer.exposureMinor + amountMinor > customer.creditLimitMinor) {
    const money = moneyOf(customer.currency);
    failed.push({
      code: 'credit_limit_exceeded',
      field: 'amount',
      message:
        `this contract (${money(amountMinor)}) would take the customer's exposure from ${money(customer.exposureMinor)} ` +
        `to ${money(customer.exposureMinor + amountMinor)}, over its credit limit ${money(customer.creditLimitMinor)}`,
    });
  }
  return failed;
}

function approvalChecks(input: ApprovalInput): Refusal[] {
  const failed: Refusal[] = creditChecks(input);
  const { customer } = input;
  const grade = customer.grade ?? 'new';
  if (!TERMS_ALLOWED_BY_GRADE[grade].includes(input.paymentTermsType)) {
    failed.push({
      code: 'terms_not_allowed_for_grade',
      field: 'paymentTermsType',
      message: `payment terms ${input.paymentTermsType} are not allowed for grade ${grade}; allowed: ${TERMS_ALLOWED_BY_GRADE[grade].join(', ')}`,
    });
  } else if (
    grade === 'new' &&
    input.paymentTermsType === 'credit_terms' &&
    input.amountMinor > customer.creditLimitMinor
  ) {
    failed.push({
      code: 'new_customer_credit_cap',
      field: 'paymentTermsType',
      message: 'a new customer gets credit terms only up to its credit limit, and this contract exceeds it',
    });
  }
  const score = input.risk.customerRisk + input.risk.projectRisk + input.risk.requirementRisk;
  if (score > MAX_RISK_SCORE) {
    failed.push({
      code: 'risk_too_high',
      field: 'risk',
      message: `risk score ${score} exceeds the maximum of ${MAX_RISK_SCORE}`,
    });
  }
  return failed;
}

/** The approval (立项) risk gate: credit hold, credit limit, terms against grade policy, and project risk, with overrides. */
export function decideApproval(input: ApprovalInput): ApprovalDecision {
  const failed = approvalChecks(input);
  if (!input.override) return { refusals: failed, overridden: [] };
  const overrideProblems: Refusal[] = [];
  if (!(OVERRIDE_ROLES as readonly string[]).includes(input.actor.role)) {
    overrideProblems.push({
      code: 'override_not_permitted',
      field: 'override',
      message: 'only finance or an executive may override a failed approval check',
    });
  }
  if (!input.override.reason.trim()) {
    overrideProblems.push({
      code: 'override_reason_missing',
      field: 'override.reason',
      message: 'an override needs a reason',
    });
  }
  if (overrideProblems.length > 0) return { refusals: [...overrideProblems, ...failed], overridden: [] };
  return { refusals: [], overridden: failed };
}

/** The signing checklist: the contract must be deliverable, acceptable, invoiceable and collectible. */
export interface ContractTerms {
  deliverables?: string[];
  acceptanceOwner?: string;
  acceptanceCriteria?: string;
  invoicingDetails?: string;
  paymentSchedule?: string;
  paymentOwner?: string;
  paymentMethod?: string;
  /** Annual late-payment interest rate in percent, as a decimal string ("18.25"). */
  lateInterestRatePercent?: string;
  penaltyClause?: string;
}

const SIGNING_CHECKLIST: { field: keyof ContractTerms; label: string }[] = [
  { field: 'deliverables', label: 'the deliverables' },
  { field: 'acceptanceOwner', label: 'the acceptance owner' },
  { field: 'acceptanceCriteria', label: 'the acceptance criteria' },
  { field: 'invoicingDetails', label: 'the invoicing details' },
  { field: 'paymentSchedule', label: 'the payment schedule' },
  { field: 'paymentOwner', label: "the customer's payment owner" },
  { field: 'paymentMethod', label: 'the payment method' },
  { field: 'lateInterestRatePercent', label: 'the late-payment interest rate' },
  { field: 'penaltyClause', label: 'the penalty clause' },
];

function isPresent(value: unknown): boolean {
  if (Array.isArray(value)) return value.some((item) => typeof item === 'string' && item.trim() !== '');
  return typeof value === 'string' && value.trim() !== '';
}

/** Every missing signing item at once, so sales can fix the contract in one go. */
export function signingRefusals(terms: ContractTerms): Refusal[] {
  const refusals: Refusal[] = SIGNING_CHECKLIST.filter(({ field }) => !isPresent(terms[field])).map(
    ({ field, label }) => ({
      code: 'missing_term',
      field: `terms.${field}`,
      message: `the contract does not name ${label}`,
    }),
  );
  const rate = terms.lateInterestRatePercent;
  if (isPresent(rate) && !/^\d{1,3}(\.\d{1,4})?$/.test(rate!.trim())) {
    refusals.push({
      code: 'invalid_term',
      field: 'terms.lateInterestRatePercent',
      message: 'the late-payment interest rate must be an annual percentage such as "18.25"',
    });
  }
  return refusals;
}

export const MILESTONE_KINDS = ['advance', 'progress', 'final', 'retention'] as const;
export type MilestoneKind = (typeof MILESTONE_KINDS)[number];

export type MilestoneTrigger =
  | { type: 'on_signing' }
  | { type: 'on_delivery' }
  | { type: 'on_acceptance' }
  | { type: 'on_date'; date: string }
  | { type: 'after_acceptance'; days: number };

export interface MilestoneRequest {
  kind: MilestoneKind;
  /** Either an amount in minor units or a percent of the contract amount (e.g. "30"). */
  amountMinor?: number;
  percent?: string;
  trigger: MilestoneTrigger;
  termDays: number;
}

export interface Milestone {
  seq: number;
  kind: MilestoneKind;
  amountMinor: number;
  trigger: MilestoneTrigger;
  termDays: number;
}

/**
 * When percentages cover exactly what the fixed amounts leave, rounding each share may miss the
 * total by a minor unit: the last percentage milestone takes the remainder so the split sums exactly.
 */
function absorbRoundingRemainder(
  contractAmountMinor: number,
  requests: MilestoneRequest[],
  milestones: Milestone[],
): void {
  const percentIndexes = requests.map((r, i) => (r.percent !== undefined ? i : -1)).filter((i) => i >= 0);
  if (percentIndexes.length === 0) return;
  const hundredths = percentIndexes.map((i) => parsePercent(requests[i].percent!));
  if (hundredths.some((h) => h === undefined)) return;
  const fixedMinor = milestones
    .filter((_, i) => !percentIndexes.includes(i))
    .reduce((sum, m) => sum + m.amountMinor, 0);
  const totalHundredths = hundredths.reduce((sum, h) => sum! + h!, 0)!;
  if (totalHundredths * contractAmountMinor !== 10_000 * (contractAmountMinor - fixedMinor)) return;
  const last = percentIndexes[percentIndexes.length - 1];
  const othersMinor = milestones.reduce((sum, m, i) => (i === last ? sum : sum + m.amountMinor), 0);
  milestones[last].amountMinor = contractAmountMinor - othersMinor;
}

/** Turns requested milestones into amounts and checks they sum exactly to the contract amount. */
export function splitContract(
  contractAmountMinor: number,
  requests: MilestoneRequest[],
): { milestones: Milestone[]; refusals: Refusal[] } {
  const refusals: Refusal[] = [];
  if (requests.length === 0)
    refusals.push({
      code: 'no_milestones',
      field: 'milestones',
      message: 'a contract needs at least one payment milestone',
    });
  const milestones = requests.map((request, index): Milestone => {
    let amountMinor = request.amountMinor ?? 0;
    if (request.percent !== undefined) {
      const hundredths = parsePercent(request.percent);
      if (hundredths === undefined)
        refusals.push({
          code: 'invalid_percent',
          field: `milestones.${index}.percent`,
          message: 'percent must be between 0 and 100 with at most two decimals',
        });
      else amountMinor = percentOf(contractAmountMinor, hundredths);
    }
    return { seq: index + 1, kind: request.kind, amountMinor, trigger: request.trigger, termDays: request.termDays };
  });
  absorbRoundingRemainder(contractAmountMinor, requests, milestones);
  milestones.forEach((milestone, index) => {
    const field = `milestones.${index}`;
    if (milestone.amountMinor <= 0)
      refusals.push({
        code: 'non_positive_amount',
        field,
        message: `milestone ${index + 1} must have a positive amount`,
      });
    if (milestone.trigger.type === 'on_date' && !isLocalDate(milestone.trigger.date)) {
      refusals.push({
        code: 'invalid_date',
        field: `${field}.trigger.date`,
        message: 'trigger date must be YYYY-MM-DD',
      });
    }
  });
  const total = milestones.reduce((sum, m) => sum + m.amountMinor, 0);
  if (requests.length > 0 && total !== contractAmountMinor) {
    refusals.push({
      code: 'milestones_do_not_sum',
      field: 'milestones',
      message: `milestones sum to ${total} minor units but the contract amount is ${contractAmountMinor} (difference ${contractAmountMinor - total})`,
    });
  }
  return { milestones, refusals };
}

export type MilestoneEvent = 'signed' | 'delivered' | 'accepted';

/** The date a milestone becomes invoiceable, given what has happened so far; undefined while it is not known yet. */
export function milestoneReadyDate(
  trigger: MilestoneTrigger,
  events: Partial<Record<MilestoneEvent, string>>,
): string | undefined {
  switch (trigger.type) {
    case 'on_signing':
      return events.signed;
    case 'on_delivery':
      return events.delivered;
    case 'on_acceptance':
      return events.accepted;
    case 'on_date':
      return trigger.date;
    case 'after_acceptance':
      return events.accepted && addDays(events.accepted, trigger.days);
  }
}
