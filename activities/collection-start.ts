import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Db } from '../db/connect';
import { policyVersion, selectPolicy } from '../db/policies';
import type { SendTime } from '../domain/collection';
import type { MilestoneKind } from '../domain/contract-rules';
import { type CollectionInput, invoiceCollectionWorkflow } from '../workflows/collection';

/**
 * The input of an invoice's collection workflow, read from the database. Used where a collection
 * starts outside a contract workflow: invoices imported at go-live, and invoices reopened by a reversal.
 */
export async function collectionInputFor(db: Db, invoiceNo: string, sendTime: SendTime): Promise<CollectionInput> {
  const invoice = await db.selectFrom('invoices')
    .innerJoin('customers', 'customers.code', 'invoices.customer_code')
    .leftJoin('milestones', (join) => join.onRef('milestones.contract_no', '=', 'invoices.contract_no').onRef('milestones.seq', '=', 'invoices.milestone_seq'))
    .select(['invoices.no', 'invoices.contract_no', 'invoices.due_date', 'invoices.balance_minor', 'invoices.policy_id', 'invoices.policy_version',
      'customers.time_zone', 'customers.grade', 'milestones.kind'])
    .where('invoices.no', '=', invoiceNo).executeTakeFirstOrThrow();
  const policy = (invoice.policy_id ? await policyVersion(db, invoice.policy_id, invoice.policy_version ?? undefined) : undefined)
    ?? await selectPolicy(db, invoice.contract_no, invoice.grade);
  return {
    invoiceNo: invoice.no, contractNo: invoice.contract_no, dueDate: invoice.due_date,
    milestoneKind: (invoice.kind ?? 'final') as MilestoneKind, timeZone: invoice.time_zone, sendTime,
    balanceMinor: invoice.balance_minor, policy,
  };
}

/** Starts `invoice/<no>` unless it is already running; a finished one (paid, then reopened) starts afresh. */
export async function startCollection(temporal: Client, taskQueue: string, input: CollectionInput): Promise<'started' | 'already_running'> {
  try {
    await temporal.workflow.start(invoiceCollectionWorkflow, { workflowId: `invoice/${input.invoiceNo}`, taskQueue, args: [input] });
    return 'started';
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already_running';
    throw error;
  }
}
