import type { ContactRole, PolicyStep } from './policy';

/** A customer contact as the letters read it. */
export interface RecipientContact {
  role: ContactRole;
  name: string;
  email: string;
}

/**
 * Whom a step's letter goes to:
 * - `to`: the contacts of the step's recipient roles; when none has a contact, the payment owner(s) instead
 *   (`fallbackFor` names the roles that were missing), unless the step says `blockWithoutRecipient`;
 * - `blocked`: nobody to send to (fallback not allowed, or no payment owner either); `missingRoles` says who.
 * `missingRoles` also lists the recipient roles without a contact when others received it.
 */
export type Recipients<C extends RecipientContact> =
  | { blocked: false; to: C[]; missingRoles: ContactRole[]; fallbackFor?: ContactRole[] }
  | { blocked: true; to: []; missingRoles: ContactRole[] };

export function resolveRecipients<C extends RecipientContact>(step: PolicyStep, contacts: readonly C[]): Recipients<C> {
  const missingRoles = step.recipients.filter((role) => !contacts.some((c) => c.role === role));
  const to = contacts.filter((c) => step.recipients.includes(c.role));
  if (to.length > 0) return { blocked: false, to, missingRoles };
  const paymentOwners = contacts.filter((c) => c.role === 'payment_owner');
  if (!step.blockWithoutRecipient && paymentOwners.length > 0)
    return { blocked: false, to: paymentOwners, missingRoles, fallbackFor: missingRoles };
  return { blocked: true, to: [], missingRoles };
}
