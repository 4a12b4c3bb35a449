// Interface fixed first so payments and imports can call it; the implementation follows (issue 4).
import type { Db } from '../db/connect';
import type { Actor } from '../domain/roles';

export interface HoldEvaluation {
  hold: boolean;
  /** True when this evaluation set or lifted the hold. */
  changed: boolean;
  /** Why the customer is (or would be) on hold, e.g. the invoice past the threshold or exposure over the limit. */
  reasons: string[];
}

/** Sets or lifts a customer's automatic credit hold from its facts as of `today` (YYYY-MM-DD); runs in the caller's transaction. */
export async function reevaluateCreditHold(trx: Db, customerCode: string, today: string, actor: Actor): Promise<HoldEvaluation> {
  void actor;
  const customer = await trx.selectFrom('customers').select('credit_hold').where('code', '=', customerCode).executeTakeFirstOrThrow();
  void today;
  return { hold: customer.credit_hold, changed: false, reasons: [] };
}
