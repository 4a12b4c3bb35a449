export interface OpenInvoice {
  invoiceNo: string;
  balanceMinor: number;
  dueDate: string;
  issueDate: string;
}

export interface Allocation {
  invoiceNo: string;
  amountMinor: number;
}

export function oldestFirst(invoices: OpenInvoice[]): OpenInvoice[] {
  return [...invoices].sort((a, b) =>
    a.dueDate.localeCompare(b.dueDate) || a.issueDate.localeCompare(b.issueDate) || a.invoiceNo.localeCompare(b.invoiceNo));
}

/**
 * Spreads a payment over open invoices: the named invoice first, then the oldest open ones.
 * What is left over stays unallocated on the payment as customer credit.
 */
export function allocatePayment(amountMinor: number, open: OpenInvoice[], namedInvoiceNo?: string): { allocations: Allocation[]; unallocatedMinor: number } {
  const ordered = oldestFirst(open);
  const named = ordered.filter((i) => i.invoiceNo === namedInvoiceNo);
  const rest = ordered.filter((i) => i.invoiceNo !== namedInvoiceNo);
  const allocations: Allocation[] = [];
  let left = amountMinor;
  for (const invoice of [...named, ...rest]) {
    if (left <= 0) break;
    const applied = Math.min(left, invoice.balanceMinor);
    if (applied > 0) allocations.push({ invoiceNo: invoice.invoiceNo, amountMinor: applied });
    left -= applied;
  }
  return { allocations, unallocatedMinor: left };
}
