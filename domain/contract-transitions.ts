import {
  type ApprovalDecision,
  type ContractTerms,
  type CreditSnapshot,
  type Milestone,
  type MilestoneRequest,
  type Override,
  type PaymentTermsType,
  type RiskAssessment,
  decideApproval,
  signingRefusals,
  splitContract,
} from './contract-rules';
import { isLocalDate } from './dates';
import type { Refusal } from './refusal';
import type { Actor } from './roles';
import { type Action, type Stage, ACTION_RULES, stageRefusal } from './stages';

export interface Owners {
  account: string;
  solution: string;
  fulfilment: string;
  finance: string;
  executiveSponsor: string;
  /** Optional e-mail addresses by owner key, for internal copies of letters. */
  emails?: Partial<Record<'account' | 'solution' | 'fulfilment' | 'finance' | 'executiveSponsor', string>>;
}

export type TransitionRequest =
  | { action: 'approve'; actor: Actor; customer: CreditSnapshot; risk: RiskAssessment; override?: Override }
  | { action: 'review'; actor: Actor; estimatedCostMinor: number; notes?: string }
  | { action: 'sign'; actor: Actor; signedOn: string; terms?: ContractTerms }
  | ({ action: 'split'; actor: Actor; milestones: MilestoneRequest[] } & PlannedDateRequest)
  | { action: 'budget'; actor: Actor; budgetMinor: number }
  | ({ action: 'handover'; actor: Actor; owners: Owners } & PlannedDateRequest)
  | { action: 'deliver'; actor: Actor; deliveredOn: string; note?: string }
  | { action: 'accept'; actor: Actor; acceptedOn: string; acceptor: string; documentRef: string }
  | { action: 'cancel'; actor: Actor; outcome: 'cancelled' | 'lost'; reason: string };

/** Dates a split or a handover may give; stage deadlines count delivery and acceptance from them. */
export interface PlannedDateRequest {
  plannedDeliveryDate?: string;
  plannedAcceptanceDate?: string;
}

/** A planned date must be a date; acceptance cannot be planned before delivery. */
function plannedDateRefusals(request: PlannedDateRequest): Refusal[] {
  const refusals: Refusal[] = [];
  for (const field of ['plannedDeliveryDate', 'plannedAcceptanceDate'] as const) {
    const value = request[field];
    if (value !== undefined && !isLocalDate(value))
      refusals.push({ code: 'invalid_date', field, message: `${field} must be a date YYYY-MM-DD` });
  }
  const { plannedDeliveryDate: delivery, plannedAcceptanceDate: acceptance } = request;
  if (delivery && acceptance && isLocalDate(delivery) && isLocalDate(acceptance) && acceptance < delivery)
    refusals.push({
      code: 'date_out_of_order',
      field: 'plannedAcceptanceDate',
      message: `the planned acceptance ${acceptance} is before the planned delivery ${delivery}`,
    });
  return refusals;
}

/** What a contract workflow knows that the transition rules look at. */
export interface ContractFacts {
  stage: Stage;
  amountMinor: number;
  paymentTermsType: PaymentTermsType;
  terms: ContractTerms;
  signedOn?: string;
  deliveredOn?: string;
}

export interface TransitionOutcome {
  to: Stage;
  refusals: Refusal[];
  /** Approval checks waved through by an override. */
  overridden: Refusal[];
  milestones?: Milestone[];
  terms?: ContractTerms;
}

function dateRefusals(
  field: string,
  value: string,
  notBefore: string | undefined,
  notBeforeLabel: string,
  today: string,
): Refusal[] {
  if (!isLocalDate(value)) return [{ code: 'invalid_date', field, message: `${field} must be a date YYYY-MM-DD` }];
  const refusals: Refusal[] = [];
  if (value > today)
    refusals.push({ code: 'date_in_future', field, message: `${field} ${value} is after today (${today})` });
  if (notBefore && value < notBefore)
    refusals.push({
      code: 'date_out_of_order',
      field,
      message: `${field} ${value} is before ${notBeforeLabel} ${notBefore}`,
    });
  return refusals;
}

function actionRefusals(
  facts: ContractFacts,
  request: TransitionRequest,
  today: string,
): Omit<TransitionOutcome, 'to'> {
  const none = { refusals: [] as Refusal[], overridden: [] as Refusal[] };
  switch (request.action) {
    case 'approve': {
      const decision: ApprovalDecision = decideApproval({
        actor: request.actor,
        customer: request.customer,
        paymentTermsType: facts.paymentTermsType,
        amountMinor: facts.amountMinor,
        risk: request.risk,
        override: request.override,
      });
      return decision;
    }
    case 'review':
      return request.estimatedCostMinor < 0
        ? {
            ...none,
            refusals: [
              { code: 'invalid_amount', field: 'estimatedCost', message: 'estimated cost cannot be negative' },
            ],
          }
        : none;
    case 'sign': {
      const terms = { ...facts.terms, ...request.terms };
      return {
        ...none,
        terms,
        refusals: [...signingRefusals(terms), ...dateRefusals('signedOn', request.signedOn, undefined, '', today)],
      };
    }
    case 'split': {
      const { milestones, refusals } = splitContract(facts.amountMinor, request.milestones);
      return { ...none, milestones, refusals: [...refusals, ...plannedDateRefusals(request)] };
    }
    case 'budget':
      return request.budgetMinor <= 0
        ? { ...none, refusals: [{ code: 'invalid_amount', field: 'budget', message: 'the budget must be positive' }] }
        : none;
    case 'handover': {
      const missing = (['account', 'solution', 'fulfilment', 'finance', 'executiveSponsor'] as const)
        .filter((key) => !request.owners[key]?.trim())
        .map((key): Refusal => ({
          code: 'missing_owner',
          field: `owners.${key}`,
          message: `the handover must name the ${key} owner`,
        }));
      return { ...none, refusals: [...missing, ...plannedDateRefusals(request)] };
    }
    case 'deliver':
      return {
        ...none,
        refusals: dateRefusals('deliveredOn', request.deliveredOn, facts.signedOn, 'the signing date', today),
      };
    case 'accept': {
      const refusals = dateRefusals('acceptedOn', request.acceptedOn, facts.deliveredOn, 'the delivery date', today);
      if (!request.acceptor.trim())
        refusals.push({
          code: 'missing_acceptor',
          field: 'acceptor',
          message: 'acceptance needs the name of the acceptor',
        });
      if (!request.documentRef.trim())
        refusals.push({
          code: 'missing_document',
          field: 'documentRef',
          message: 'acceptance needs the acceptance document reference',
        });
      return { ...none, refusals };
    }
    case 'cancel':
      return request.reason.trim()
        ? none
        : {
            ...none,
            refusals: [
              { code: 'missing_reason', field: 'reason', message: 'cancelling or losing a contract needs a reason' },
            ],
          };
  }
}

/** Decides a transition: every reason it is refused at once, or what it changes. `today` is the customer's local date. */
export function decideTransition(facts: ContractFacts, request: TransitionRequest, today: string): TransitionOutcome {
  const rule = ACTION_RULES[request.action as Action];
  const outOfOrder = stageRefusal(request.action, facts.stage);
  const stageProblems: Refusal[] = outOfOrder ? [{ code: 'wrong_stage', message: outOfOrder }] : [];
  const outcome = actionRefusals(facts, request, today);
  const to = request.action === 'cancel' ? 'Cancelled' : rule.to;
  return { ...outcome, to, refusals: [...stageProblems, ...outcome.refusals] };
}
