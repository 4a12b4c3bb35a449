export const ROLES = ['admin', 'sales', 'delivery', 'finance', 'executive'] as const;
export type Role = (typeof ROLES)[number];

/** The person behind a request, as the API authenticated them; "system" is Huikuan acting on its own. */
export interface Actor {
  name: string;
  /** 'customer': a customer contact acting on the customer's page (docs/customer-page.md). */
  role: Role | 'system' | 'customer';
}

/** The actor for a customer contact on the customer's page: named by contact and customer, role 'customer'. */
export function customerActor(contactName: string, customerCode: string): Actor {
  return { name: `${contactName} (${customerCode})`, role: 'customer' };
}

export const SYSTEM_ACTOR: Actor = { name: 'huikuan', role: 'system' };

/** Who works a collection: records disputes and promises to pay (finance alone approves, writes off, settles). */
export const COLLECTOR_ROLES = ['sales', 'delivery', 'finance', 'executive'] as const satisfies readonly Role[];
