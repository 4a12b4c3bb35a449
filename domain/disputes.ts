import type { InternalRole } from './policy';

/** Reasons a customer gives for not paying (SPEC section 4), each routed to the team that can resolve it. */
export const DISPUTE_ROUTES = {
  quality: 'delivery',
  service: 'delivery',
  price: 'sales',
  customer_leadership_unhappy: 'executive',
  customer_finance_unavailable: 'sales',
  customer_process_blocked: 'assistant',
  invoice_error: 'finance',
  delivery_defect: 'delivery',
  payment_not_identifiable: 'finance',
  contract_clause: 'sales',
} as const satisfies Record<string, InternalRole>;

export type DisputeReason = keyof typeof DISPUTE_ROUTES;
export const DISPUTE_REASONS = Object.keys(DISPUTE_ROUTES) as DisputeReason[];

/** Whom an unresolved dispute or an overdue task escalates to. */
export const MANAGER_OF: Record<InternalRole, InternalRole> = {
  assistant: 'sales',
  sales: 'executive',
  delivery: 'executive',
  finance: 'executive',
  executive: 'executive',
};
