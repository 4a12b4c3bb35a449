import type { Db } from '../db/connect';
import { policyVersion } from '../db/policies';
import { appendTimeline } from '../db/timeline';
import { effectiveLimit, overrideActive } from '../domain/credit';
import {
  type HoldDecision,
  type HoldFacts,
  type OpenInvoiceFact,
  creditHoldDecision,
  describeHoldReason,
  holdChange,
  holdThresholdDays,
} from '../domain/credit-hold';
import { DEFAULT_POLICY, type EscalationPolicy } from '../domain/policy';
import { toDecimal } from '../domain/money';
import type { Actor } from '../domain/roles';

export interface HoldEvaluation {
  hold: boolean;
  /** True when this evaluation set or lifted the hold. */
  changed: boolean;
  /** Why the customer is (or would be) on hold, e.g. the invoice past the threshold or exposure over the limit. */
  reasons: string[];
  /** 'auto' or 'manual' when on hold. */
  source?: string | null;
  decision?: HoldDecision;
}

/** Stages whose contract value counts as approved exposure until invoiced: past approval, not ended. */
export const UNBILLED_EXCLUDED_STAGES = ['Opportunity', 'Cancelled', 'Closed'] as const;

export interface CreditPosition {
  code: string;
  currency: string;
  today: string;
  creditLimitMinor: number;
  effectiveLimitMinor: number;
  openReceivablesMinor: number;
  overdueMinor: number;
  unbilledMinor: number;
  exposureMinor: number;
  openInvoices: OpenInvoiceFact[];
  decision: HoldDecision;
  creditHold: boolean;
  holdSource: string | null;
  holdReason: string | null;
}

// Stored policy versions never change (primary key id + version), so they are read once per process.
const policyCache = new Map<string, Promise<EscalationPolicy | undefined>>();

async function policyThreshold(db: Db, id: string | null, version: number | null): Promise<number | null> {
  if (id === null) {
    // An invoice without a policy (older rows) follows the current default policy.
    return holdThresholdDays((await policyVersion(db, DEFAULT_POLICY.id)) ?? DEFAULT_POLICY);
  }
  const key = `${id}@${version ?? 'latest'}`;
  let cached = policyCache.get(key);
  if (!cached || version === null) {
    cached = policyVersion(db, id, version ?? undefined);
    if (version !== null) policyCache.set(key, cached);
  }
  const policy = await cached.catch((error) => {
    policyCache.delete(key);
    throw error;
  });
  return holdThresholdDays(policy ?? DEFAULT_POLICY);
}

type CustomerCreditRow = {
  code: string;
  currency: string;
  credit_limit_minor: number;
  limit_override_minor: number | null;
  limit_override_until: string | null;
  hold_release_until: string | null;
  credit_hold: boolean;
  hold_source: string | null;
  credit_hold_reason: string | null;
};

const CUSTOMER_CREDIT_COLUMNS = [
  'code',
  'currency',
  'credit_limit_minor',
  'limit_override_minor',
  'limit_override_until',
  'hold_release_until',
  'credit_hold',
  'hold_source',
  'credit_hold_reason',
] as const;

/**
 * Credit positions of many customers with a handful of set-based queries (the weekly review calls it
 * per batch): open invoices from the (customer_code, status, due_date) index, invoiced amounts per
 * contract, approved contracts from the customer index. `today` gives each customer's evaluation date.
 */
export async function creditPositions(
  db: Db,
  customers: CustomerCreditRow[],
  today: (code: string) => string,
): Promise<Map<string, CreditPosition>> {
  const codes = customers.map((c) => c.code);
  const result = new Map<string, CreditPosition>();
  if (codes.length === 0) return result;
  const [open, invoiced, contracts] = await Promise.all([
    db
      .selectFrom('invoices')
      .select(['customer_code', 'no', 'due_date', 'balance_minor', 'currency', 'policy_id', 'policy_version'])
      .where('customer_code', 'in', codes)
      .where('status', '=', 'open')
      .execute(),
    db
      .selectFrom('invoices')
      .select(['customer_code', 'contract_no', (eb) => eb.fn.sum<string>('amount_minor').as('invoiced')])
      .where('customer_code', 'in', codes)
      .groupBy(['customer_code', 'contract_no'])
      .execute(),
    db
      .selectFrom('contracts')
      .select(['customer_code', 'no', 'amount_minor', 'currency'])
      .where('customer_code', 'in', codes)
      .where('stage', 'not in', [...UNBILLED_EXCLUDED_STAGES])
      .execute(),
  ]);
  const invoicedByContract = new Map(invoiced.map((r) => [r.contract_no, Number(r.invoiced)]));
  const group = <T extends { customer_code: string }>(rows: T[]) => {
    const map = new Map<string, T[]>();
    for (const row of rows) {
      const list = map.get(row.customer_code);
      if (list) list.push(row);
      else map.set(row.customer_code, [row]);
    }
    return map;
  };
  const openByCustomer = group(open);
  const contractsByCustomer = group(contracts);
  for (const c of customers) {
    const day = today(c.code);
    // The threshold applies to every open invoice; the sums compare with the limit, so only the customer's currency counts.
    const allOpen = openByCustomer.get(c.code) ?? [];
    const mine = allOpen.filter((i) => i.currency === c.currency);
    const openInvoices: OpenInvoiceFact[] = [];
    for (const i of allOpen) {
      if (i.balance_minor <= 0) continue;
      openInvoices.push({
        invoiceNo: i.no,
        dueDate: i.due_date,
        balanceMinor: i.balance_minor,
        holdAfterDays: await policyThreshold(db, i.policy_id, i.policy_version),
      });
    }
    const openReceivablesMinor = mine.reduce((sum, i) => sum + i.balance_minor, 0);
    const overdueMinor = mine.filter((i) => i.due_date < day).reduce((sum, i) => sum + i.balance_minor, 0);
    const unbilledMinor = (contractsByCustomer.get(c.code) ?? [])
      .filter((k) => k.currency === c.currency)
      .reduce((sum, k) => sum + Math.max(0, k.amount_minor - (invoicedByContract.get(k.no) ?? 0)), 0);
    const limit = effectiveLimit({
      limitMinor: c.credit_limit_minor,
      overrideMinor: c.limit_override_minor,
      overrideUntil: c.limit_override_until,
      today: day,
    });
    const facts: HoldFacts = {
      today: day,
      openInvoices,
      openReceivablesMinor,
      unbilledMinor,
      limitMinor: limit,
      releaseUntil: c.hold_release_until,
    };
    const decision = creditHoldDecision(facts);
    result.set(c.code, {
      code: c.code,
      currency: c.currency,
      today: day,
      creditLimitMinor: c.credit_limit_minor,
      effectiveLimitMinor: limit,
      openReceivablesMinor,
      overdueMinor,
      unbilledMinor,
      exposureMinor: decision.exposureMinor,
      openInvoices,
      decision,
      creditHold: c.credit_hold,
      holdSource: c.credit_hold ? (c.hold_source ?? 'manual') : null,
      holdReason: c.credit_hold_reason,
    });
  }
  return result;
}

/** One customer's exposure, limit and what the hold rule says today (read only). */
export async function creditPosition(db: Db, customerCode: string, today: string): Promise<CreditPosition | undefined> {
  const customer = await db
    .selectFrom('customers')
    .select([...CUSTOMER_CREDIT_COLUMNS])
    .where('code', '=', customerCode)
    .executeTakeFirst();
  if (!customer) return undefined;
  return (await creditPositions(db, [customer], () => today)).get(customerCode);
}

export function holdReasonTexts(position: CreditPosition): string[] {
  const money = (minor: number) => `${toDecimal(minor, position.currency)} ${position.currency}`;
  return position.decision.reasons.map((r) => describeHoldReason(r, money));
}

/**
 * Applies the hold rule's decision to a customer whose row the caller has locked: sets an automatic
 * hold, lifts an automatic one, refreshes the reason of a standing automatic hold, or leaves a
 * manual hold alone. A change is written to the customer's timeline with the figures, in the same transaction.
 */
export async function applyHoldDecision(
  trx: Db,
  position: CreditPosition,
  actor: Actor,
  options: { at?: Date; invoiceNo?: string } = {},
): Promise<HoldEvaluation> {
  const reasons = holdReasonTexts(position);
  const change = holdChange({ creditHold: position.creditHold, source: position.holdSource }, position.decision);
  const reasonText = reasons.join('; ');
  if (change === 'none') {
    if (position.creditHold && position.holdSource === 'auto' && reasonText && reasonText !== position.holdReason) {
      await trx
        .updateTable('customers')
        .set({ credit_hold_reason: reasonText })
        .where('code', '=', position.code)
        .execute();
    }
    return {
      hold: position.creditHold,
      changed: false,
      reasons,
      source: position.holdSource,
      decision: position.decision,
    };
  }
  const hold = change === 'set';
  await trx
    .updateTable('customers')
    .set({
      credit_hold: hold,
      credit_hold_reason: hold ? reasonText : null,
      hold_source: hold ? 'auto' : null,
      updated_at: new Date(),
    })
    .where('code', '=', position.code)
    .execute();
  // Numbered per customer (its row is locked), so the key is deterministic and a retried transaction adds nothing twice.
  const { count } = await trx
    .selectFrom('timeline')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('customer_code', '=', position.code)
    .where('action', 'in', ['credit_hold_set', 'credit_hold_lifted'])
    .executeTakeFirstOrThrow();
  await appendTimeline(trx, {
    eventKey: `customer/${position.code}/credit-hold/${Number(count) + 1}`,
    customerCode: position.code,
    invoiceNo: options.invoiceNo,
    at: options.at ?? new Date(),
    actor,
    action: hold ? 'credit_hold_set' : 'credit_hold_lifted',
    reason: hold ? reasonText : 'cleared: no invoice past its hold threshold and exposure within the limit',
    details: {
      source: 'auto',
      today: position.today,
      currency: position.currency,
      reasons: position.decision.reasons,
      exposureMinor: position.exposureMinor,
      openReceivablesMinor: position.openReceivablesMinor,
      unbilledMinor: position.unbilledMinor,
      overdueMinor: position.overdueMinor,
      limitMinor: position.effectiveLimitMinor,
    },
  });
  return { hold, changed: true, reasons, source: hold ? 'auto' : null, decision: position.decision };
}

/** Sets or lifts a customer's automatic credit hold from its facts as of `today` (YYYY-MM-DD); runs in the caller's transaction. */
export async function reevaluateCreditHold(
  trx: Db,
  customerCode: string,
  today: string,
  actor: Actor,
  options: { at?: Date; invoiceNo?: string } = {},
): Promise<HoldEvaluation> {
  const customer = await trx
    .selectFrom('customers')
    .select([...CUSTOMER_CREDIT_COLUMNS])
    .where('code', '=', customerCode)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const position = (await creditPositions(trx, [customer], () => today)).get(customerCode)!;
  return applyHoldDecision(trx, position, actor, options);
}

/** Locks a batch of customers (in code order, so concurrent batches cannot deadlock) and returns their credit rows. */
export async function lockCustomers(trx: Db, codes: string[]): Promise<CustomerCreditRow[]> {
  if (codes.length === 0) return [];
  return trx
    .selectFrom('customers')
    .select([...CUSTOMER_CREDIT_COLUMNS])
    .where('code', 'in', codes)
    .orderBy('code')
    .forUpdate()
    .execute();
}

/** Whether an executive release is in force today. */
export function releaseActive(until: string | null, today: string): boolean {
  return overrideActive(until, today);
}
