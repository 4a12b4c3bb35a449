/**
 * The one place where code outside the workflows (API, CLI, imports, the console) starts, signals,
 * updates or queries them. Workflow IDs come from workflows/ids.ts, which the workflows share.
 */
import {
  type Client,
  ScheduleNotFoundError,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type UpdateDefinition,
} from '@temporalio/client';
import type { TransitionRequest } from '../domain/contract-transitions';
import type { DisputeReason } from '../domain/disputes';
import type { Actor } from '../domain/roles';
import { type CollectionInput, invoiceCollectionWorkflow } from '../workflows/collection';
import {
  type CollectionStatus,
  collectionStatusQuery,
  openDisputeUpdate,
  paymentAppliedSignal,
} from '../workflows/collection-messages';
import { CONTRACT_REVISION, type ContractInput, contractWorkflow } from '../workflows/contract';
import {
  type ContractSummary,
  type IssueInvoiceArgs,
  type IssuedInvoiceSummary,
  TRANSITION_UPDATES,
  issueInvoiceUpdate,
} from '../workflows/contract-messages';
import { blockedLettersWorkflow, blockedLettersWorkflowId } from '../workflows/blocked-letters';
import { CREDIT_REVIEW_SCHEDULE_ID } from '../workflows/credit-review';
import { contractWorkflowId, invoiceWorkflowId } from '../workflows/ids';
import { CONTRACT_STAGE, CUSTOMER_CODE } from '../workflows/search-attributes';

export type TransitionAction = keyof typeof TRANSITION_UPDATES;
type TransitionArgs = Omit<TransitionRequest, 'action'>;

/**
 * Starts a registered contract's workflow at the code's current revision, with its search attributes (the
 * workflow does not set them again); WorkflowExecutionAlreadyStartedError when its number is taken.
 */
export async function startContract(temporal: Client, taskQueue: string, input: ContractInput): Promise<void> {
  await temporal.workflow.start(contractWorkflow, {
    workflowId: contractWorkflowId(input.no),
    taskQueue,
    args: [{ ...input, revision: CONTRACT_REVISION }],
    typedSearchAttributes: [
      { key: CONTRACT_STAGE, value: 'Opportunity' },
      { key: CUSTOMER_CODE, value: input.customerCode },
    ],
  });
}

/** One contract transition, validated and applied by the contract workflow. */
export async function transitionContract(
  temporal: Client,
  contractNo: string,
  action: TransitionAction,
  args: TransitionArgs,
): Promise<ContractSummary> {
  const update = TRANSITION_UPDATES[action] as UpdateDefinition<ContractSummary, [TransitionArgs]>;
  return temporal.workflow.getHandle(contractWorkflowId(contractNo)).executeUpdate(update, { args: [args] });
}

export async function issueInvoice(
  temporal: Client,
  contractNo: string,
  args: IssueInvoiceArgs,
): Promise<IssuedInvoiceSummary> {
  return temporal.workflow
    .getHandle(contractWorkflowId(contractNo))
    .executeUpdate(issueInvoiceUpdate, { args: [args] });
}

/** A command on one invoice's collection (dispute, promise, approval …), validated by its workflow. */
export async function updateCollection<A>(
  temporal: Client,
  invoiceNo: string,
  update: UpdateDefinition<CollectionStatus, [A]>,
  args: A,
): Promise<CollectionStatus> {
  return temporal.workflow.getHandle(invoiceWorkflowId(invoiceNo)).executeUpdate(update, { args: [args] });
}

export async function collectionStatus(temporal: Client, invoiceNo: string): Promise<CollectionStatus> {
  return temporal.workflow.getHandle(invoiceWorkflowId(invoiceNo)).query(collectionStatusQuery);
}

/** Starts `invoice/<no>` unless it is already running; a finished one (paid, then reopened) starts afresh. */
export async function startCollection(
  temporal: Client,
  taskQueue: string,
  input: CollectionInput,
): Promise<'started' | 'already_running'> {
  try {
    await temporal.workflow.start(invoiceCollectionWorkflow, {
      workflowId: invoiceWorkflowId(input.invoiceNo),
      taskQueue,
      args: [input],
    });
    return 'started';
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already_running';
    throw error;
  }
}

/**
 * Starts a collection that begins in dispute (or finds it running) and opens the dispute in one call;
 * 'already_held' when the running collection refused it because it holds that dispute already.
 */
export async function startCollectionInDispute(
  temporal: Client,
  taskQueue: string,
  input: CollectionInput,
  dispute: { actor: Actor; reason: DisputeReason; note?: string },
): Promise<'opened' | 'already_held'> {
  try {
    await temporal.workflow.executeUpdateWithStart(openDisputeUpdate, {
      args: [dispute],
      startWorkflowOperation: new WithStartWorkflowOperation(invoiceCollectionWorkflow, {
        workflowId: invoiceWorkflowId(input.invoiceNo),
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
    return 'opened';
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) return 'already_held';
    throw error;
  }
}

/** Tells a running collection the balance a payment left; a finished or absent one needs nothing. */
export async function signalPaymentApplied(temporal: Client, invoiceNo: string, balanceMinor: number): Promise<void> {
  try {
    await temporal.workflow.getHandle(invoiceWorkflowId(invoiceNo)).signal(paymentAppliedSignal, { balanceMinor });
  } catch (error) {
    // By name: the client reports a missing workflow to a signal as this error type.
    if ((error as Error).name !== WorkflowNotFoundError.name) throw error;
  }
}

/** Tells a running collection its new balance, or starts a finished one afresh with it (after a reversal). */
export async function resumeCollection(
  temporal: Client,
  taskQueue: string,
  input: CollectionInput,
  balanceMinor: number,
): Promise<void> {
  await temporal.workflow.signalWithStart(invoiceCollectionWorkflow, {
    workflowId: invoiceWorkflowId(input.invoiceNo),
    taskQueue,
    args: [input],
    signal: paymentAppliedSignal,
    signalArgs: [{ balanceMinor }],
  });
}

/** Runs the weekly credit review now; false when its schedule does not exist (no worker has created it yet). */
export async function triggerCreditReview(temporal: Client): Promise<boolean> {
  try {
    await temporal.schedule.getHandle(CREDIT_REVIEW_SCHEDULE_ID).trigger();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

/**
 * Sends the letters of a customer that waited for a contact, after a contact command committed: one workflow per
 * customer and contact (a running one for the same contact is enough). Never called inside a transaction.
 */
export async function releaseBlockedLetters(
  temporal: Client,
  taskQueue: string,
  customerCode: string,
  contactId: number,
): Promise<void> {
  try {
    await temporal.workflow.start(blockedLettersWorkflow, {
      workflowId: blockedLettersWorkflowId(customerCode, contactId),
      taskQueue,
      args: [{ customerCode }],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
