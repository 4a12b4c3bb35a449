/** The business IDs of the workflows, built here only: one contract, one invoice's collection. */
export function contractWorkflowId(contractNo: string): string {
  return `contract/${contractNo}`;
}

export function invoiceWorkflowId(invoiceNo: string): string {
  return `invoice/${invoiceNo}`;
}
