/**
 * Matching a payment to a customer's open invoices (SPEC section 6), in this order:
 * 1. the invoice the payer named (a payment recorded by finance for a given invoice);
 * 2. invoice numbers found in the remittance text, in the order they appear;
 * 3. an open invoice whose balance equals exactly what is left of the payment (the oldest such);
 * 4. the oldest open invoices first.
 * Each invoice takes at most its balance; what is left is customer credit (an over-payment).
 */
export interface OpenInvoice {
  invoiceNo: string;
  balanceMinor: number;
  dueDate: string;
  issueDate: string;
}

export type MatchingRule = 'named' | 'invoice_no' | 'exact_amount' | 'oldest_first';

export interface Allocation {
  invoiceNo: string;
  amountMinor: number;
  rule: MatchingRule;
}

export interface PaymentHints {
  /** Invoices the payer or finance named, paid first in this order. */
  namedInvoiceNos?: string[];
  remittance?: string;
}

export function oldestFirst<T extends OpenInvoice>(invoices: T[]): T[] {
  return [...invoices].sort(
    (a, b) =>
      a.dueDate.localeCompare(b.dueDate) ||
      a.issueDate.localeCompare(b.issueDate) ||
      a.invoiceNo.localeCompare(b.invoiceNo),
  );
}

/**
 * Words of a remittance text that could be invoice numbers: runs of letters, digits and - _ / .
 * containing at least one digit ("付INV-2026-007货款" gives INV-2026-007). Full-width forms count as ASCII.
 */
export function invoiceNumberCandidates(remittance: string | undefined): string[] {
  if (!remittance) return [];
  const words = toHalfWidth(remittance).match(/[A-Za-z0-9][A-Za-z0-9\-_/.]*[A-Za-z0-9]|[0-9]/g) ?? [];
  return [...new Set(words.filter((w) => /\d/.test(w)).map((w) => w.toUpperCase()))];
}

/** Characters a payer name is compared without; the SQL lookup removes the same ones with translate(). */
export const PAYER_NAME_NOISE = ' \t()（）.,，。';

/** Payer names compare without spaces, brackets, dots, commas or letter case ("ACME  Co." = "acme co"). */
export function normalizePayerName(name: string): string {
  return [...name.toLowerCase()].filter((c) => !PAYER_NAME_NOISE.includes(c)).join('');
}

function toHalfWidth(text: string): string {
  return text.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');
}

export function matchPayment(
  amountMinor: number,
  open: OpenInvoice[],
  hints: PaymentHints = {},
): { allocations: Allocation[]; unallocatedMinor: number } {
  const balances = new Map(oldestFirst(open).map((i) => [i.invoiceNo.toUpperCase(), { ...i }]));
  const allocations: Allocation[] = [];
  let left = amountMinor;
  const apply = (invoice: OpenInvoice, rule: MatchingRule) => {
    const applied = Math.min(left, invoice.balanceMinor);
    if (applied <= 0) return;
    allocations.push({ invoiceNo: invoice.invoiceNo, amountMinor: applied, rule });
    invoice.balanceMinor -= applied;
    left -= applied;
  };
  for (const name of hints.namedInvoiceNos ?? []) {
    const invoice = balances.get(name.toUpperCase());
    if (invoice && left > 0) apply(invoice, 'named');
  }
  for (const candidate of invoiceNumberCandidates(hints.remittance)) {
    const invoice = balances.get(candidate);
    if (invoice && left > 0) apply(invoice, 'invoice_no');
  }
  const exact = [...balances.values()].find((i) => i.balanceMinor === left && left > 0);
  if (exact) apply(exact, 'exact_amount');
  for (const invoice of balances.values()) {
    if (left <= 0) break;
    apply(invoice, 'oldest_first');
  }
  return { allocations, unallocatedMinor: left };
}
