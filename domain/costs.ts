/**
 * The four calculations of a contract (SPEC section 3, 概算/预算/核算/决算): the estimate at solution
 * review, the budget finance approves, the actual costs recorded during delivery, and the final account
 * frozen at close. Pure rules and arithmetic in integer minor units; the service and the activity that
 * freezes the final account read the facts and call these.
 */
import type { Refusal } from './refusal';
import type { Role } from './roles';
import type { Stage } from './stages';

/** The categories a finance team books project costs under. */
export const COST_CATEGORIES = ['labour', 'materials', 'equipment', 'subcontract', 'travel', 'other'] as const;
export type CostCategory = (typeof COST_CATEGORIES)[number];

/** Who records and reverses actual costs: the delivery team that incurs them and finance that books them. */
export const COST_ROLES = ['delivery', 'finance'] as const satisfies readonly Role[];

/** Costs are booked from the approved budget (the contract waits for handover) until it closes. */
export const COST_STAGES: readonly Stage[] = ['Handover', 'Delivery', 'Acceptance', 'Collection'];

export const COST_RULE =
  'actual costs are recorded and reversed from the approved budget (stages Handover, Delivery, Acceptance, Collection) until the contract closes';

/** Why costs cannot be recorded or reversed in a stage; undefined when they can. */
export function costStageRefusal(contractNo: string, stage: Stage): Refusal | undefined {
  if (COST_STAGES.includes(stage)) return undefined;
  if (stage === 'Closed')
    return {
      code: 'final_account_frozen',
      message: `contract ${contractNo} is closed: its final account is frozen, so its costs can no longer change`,
    };
  if (stage === 'Cancelled')
    return { code: 'contract_cancelled', message: `contract ${contractNo} is cancelled: it takes no costs` };
  return {
    code: 'budget_not_approved',
    message: `contract ${contractNo} is in stage ${stage}: ${COST_RULE}`,
  };
}

/** Estimate, budget and actuals as they stand, and the variances: actual − planned, positive means over. */
export interface Calculations {
  estimateMinor: number | null;
  budgetMinor: number | null;
  actualsMinor: number;
  actualVsBudgetMinor: number | null;
  actualVsEstimateMinor: number | null;
  /** Actuals as a share of the budget (0.5 = half spent); null without a budget. */
  budgetUsed: number | null;
}

export function calculations(
  estimateMinor: number | null,
  budgetMinor: number | null,
  actualsMinor: number,
): Calculations {
  return {
    estimateMinor,
    budgetMinor,
    actualsMinor,
    actualVsBudgetMinor: budgetMinor === null ? null : actualsMinor - budgetMinor,
    actualVsEstimateMinor: estimateMinor === null ? null : actualsMinor - estimateMinor,
    budgetUsed: budgetMinor === null || budgetMinor === 0 ? null : actualsMinor / budgetMinor,
  };
}

/** What the books say about a contract when it closes. */
export interface FinalAccountFacts {
  contractAmountMinor: number;
  estimateMinor: number | null;
  budgetMinor: number | null;
  /** The invoices' amounts after credit notes. */
  invoicedMinor: number;
  /** Credit notes of accepted disputes (already taken off invoicedMinor). */
  creditedMinor: number;
  /** Allocations of payments to the contract's invoices, reversed ones left out. */
  collectedMinor: number;
  /** What was left on written-off invoices. */
  writtenOffMinor: number;
  /** Late interest finance marked collected. */
  interestCollectedMinor: number;
  /** Cost entries not reversed. */
  costsMinor: number;
}

export interface FinalAccountFigures extends FinalAccountFacts {
  /** Revenue received (collected + interest collected) − costs. */
  marginMinor: number;
  /** Contract amount − estimate: the margin the solution review expected. */
  estimatedMarginMinor: number | null;
  /** Contract amount − budget: the margin the budget allowed. */
  budgetedMarginMinor: number | null;
  /** Margin − the estimated margin (negative: earned less than estimated). */
  marginVsEstimateMinor: number | null;
  /** Margin − the budgeted margin. */
  marginVsBudgetMinor: number | null;
  costVsEstimateMinor: number | null;
  costVsBudgetMinor: number | null;
}

export function marginOf(f: Pick<FinalAccountFacts, 'collectedMinor' | 'interestCollectedMinor' | 'costsMinor'>) {
  return f.collectedMinor + f.interestCollectedMinor - f.costsMinor;
}

/** The final account's derived figures from its facts. */
export function finalAccountFigures(facts: FinalAccountFacts): FinalAccountFigures {
  const marginMinor = marginOf(facts);
  const estimatedMarginMinor = facts.estimateMinor === null ? null : facts.contractAmountMinor - facts.estimateMinor;
  const budgetedMarginMinor = facts.budgetMinor === null ? null : facts.contractAmountMinor - facts.budgetMinor;
  return {
    ...facts,
    marginMinor,
    estimatedMarginMinor,
    budgetedMarginMinor,
    marginVsEstimateMinor: estimatedMarginMinor === null ? null : marginMinor - estimatedMarginMinor,
    marginVsBudgetMinor: budgetedMarginMinor === null ? null : marginMinor - budgetedMarginMinor,
    costVsEstimateMinor: facts.estimateMinor === null ? null : facts.costsMinor - facts.estimateMinor,
    costVsBudgetMinor: facts.budgetMinor === null ? null : facts.costsMinor - facts.budgetMinor,
  };
}

/** A minor-units figure kept in a contract's details (estimatedCostMinor, budgetMinor), or null. */
export function minorDetail(details: Record<string, unknown>, key: string): number | null {
  const value = details[key];
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}
