import type { Role } from './roles';

/** Contract stages in lifecycle order (SPEC section 3); a contract is in the stage whose work is pending. */
export const STAGES = [
  'Opportunity',
  'SolutionReview',
  'ContractReview',
  'Split',
  'Budget',
  'Handover',
  'Delivery',
  'Acceptance',
  'Collection',
  'Closed',
  'Cancelled',
] as const;
export type Stage = (typeof STAGES)[number];

export const ACTIONS = [
  'approve',
  'review',
  'sign',
  'split',
  'budget',
  'handover',
  'deliver',
  'accept',
  'cancel',
] as const;
export type Action = (typeof ACTIONS)[number];

interface ActionRule {
  from: readonly Stage[];
  to: Stage;
  roles: readonly Role[];
  /** Who-may rule the transition's validator enforces beyond the role list, in words. */
  rule?: string;
}

export const ACTION_RULES: Record<Action, ActionRule> = {
  approve: {
    from: ['Opportunity'],
    to: 'SolutionReview',
    roles: ['finance', 'executive'],
    rule: 'overriding a failed check needs a reason (finance, executive)',
  },
  review: { from: ['SolutionReview'], to: 'ContractReview', roles: ['sales', 'finance'] },
  sign: { from: ['ContractReview'], to: 'Split', roles: ['sales', 'executive'] },
  split: { from: ['Split'], to: 'Budget', roles: ['finance', 'sales'] },
  budget: { from: ['Budget'], to: 'Handover', roles: ['finance'] },
  handover: { from: ['Handover'], to: 'Delivery', roles: ['sales'] },
  deliver: { from: ['Delivery'], to: 'Acceptance', roles: ['delivery'] },
  accept: { from: ['Acceptance'], to: 'Collection', roles: ['delivery'] },
  cancel: { from: ['Opportunity', 'SolutionReview', 'ContractReview'], to: 'Cancelled', roles: ['sales', 'executive'] },
};

export function rolesFor(action: Action): readonly Role[] {
  return ACTION_RULES[action].roles;
}

export function ruleFor(action: Action): string | undefined {
  return ACTION_RULES[action].rule;
}

/** Refusal text when an action does not apply to the current stage, or undefined when it does. */
export function stageRefusal(action: Action, stage: Stage): string | undefined {
  const rule = ACTION_RULES[action];
  if (rule.from.includes(stage)) return undefined;
  return `cannot ${action} a contract in stage ${stage}; ${action} applies in stage ${rule.from.join(' or ')}`;
}
