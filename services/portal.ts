import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Db } from '../db/connect';
import { DAY_MS, formatDate } from '../domain/dates';
import type { DisputeReason } from '../domain/disputes';
import type { Locale } from '../domain/locales';
import { formatMoney } from '../domain/money';
import { ruleRefusal } from '../domain/refusal';
import { customerActor } from '../domain/roles';
import type { TaskDraft } from '../activities/tasks';
import type { TaskWording } from '../domain/task-wording';
import type { PortalConfirmation } from '../activities/portal-confirmations';
import { type CollectionStatus, openDisputeUpdate, recordPromiseUpdate } from '../workflows/collection-messages';
import { portalConfirmationWorkflow } from '../workflows/portal-confirmation';
import type { OpenedLink } from './portal-links';
import { collectionStatus, updateCollection } from './workflow-client';

/**
 * What a customer contact gives on the customer's page (docs/customer-page.md): a promise to pay or a
 * dispute. Each is the same Update on the invoice's collection workflow that the staff routes send, with
 * the contact as a 'customer' actor (its validators accept that actor for these two commands only); then
 * one durable workflow gives the account owner a task and the contact a confirmation mail, each once.
 */

export interface PortalServiceDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

/** The most a dispute's attachment may weigh. */
export const ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024;
export const ATTACHMENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'image/webp'] as const;

export interface Attachment {
  fileName: string;
  contentType: string;
  content: Buffer;
}

/** The invoice, when it is one of the link's customer's: anything else is refused as if it did not exist. */
async function customersInvoice(db: Db, link: OpenedLink, invoiceNo: string) {
  const invoice = await db
    .selectFrom('invoices')
    .innerJoin('contracts', 'contracts.no', 'invoices.contract_no')
    .select([
      'invoices.no',
      'invoices.contract_no',
      'invoices.currency',
      'invoices.customer_code',
      'contracts.owners',
      'contracts.created_by',
    ])
    .where('invoices.no', '=', invoiceNo)
    .where('invoices.customer_code', '=', link.customerCode)
    .executeTakeFirst();
  if (!invoice) throw ruleRefusal('invalid', 'invalid_invoice', 'choose one of your open invoices', 'invoiceNo');
  return invoice;
}

/** The account owner's task: the customer acted on the page, someone should look (opened by the confirmation's activity). */
function ownerTask(
  invoice: Awaited<ReturnType<typeof customersInvoice>>,
  key: string,
  wording: TaskWording,
  now: number,
): TaskDraft {
  const owners = (invoice.owners ?? {}) as { account?: string };
  return {
    key,
    invoiceNo: invoice.no,
    contractNo: invoice.contract_no,
    kind: 'customer_page',
    ownerRole: 'sales',
    ownerName: owners.account ?? invoice.created_by,
    wording,
    dueAt: now + DAY_MS,
  };
}

async function confirm(deps: PortalServiceDeps, confirmation: PortalConfirmation): Promise<void> {
  try {
    await deps.temporal.workflow.start(portalConfirmationWorkflow, {
      workflowId: `portal-confirmation/${confirmation.key}`,
      // A retry's start is a no-op while it runs or once it succeeded; only a failed one runs again.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      taskQueue: deps.taskQueue,
      args: [confirmation],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

const localeOf = (link: OpenedLink): Locale => (link.customer.locale === 'en' ? 'en' : 'zh-CN');

/**
 * The id of the promise or dispute the collection holds open. A command refused because the invoice holds
 * one that this same customer actor gave is a retry of a try whose update went through but whose follow-up
 * (attachment, task, mail) did not (the process died, the database blinked): the retry is still refused,
 * but first it finishes that follow-up, each step idempotent, so nothing the customer gave is lost.
 */
async function openId(deps: PortalServiceDeps, invoiceNo: string, kind: 'promise' | 'dispute') {
  const status = await collectionStatus(deps.temporal, invoiceNo);
  return kind === 'promise' ? status.promiseId : status.disputeId;
}

async function confirmPromise(
  deps: PortalServiceDeps,
  link: OpenedLink,
  invoice: Awaited<ReturnType<typeof customersInvoice>>,
  promise: { id: string; promisedDate: string; amountMinor: number },
  now: number,
): Promise<void> {
  const locale = localeOf(link);
  await confirm(deps, {
    ownerTask: ownerTask(
      invoice,
      `portal/promise/${promise.id}`,
      {
        key: 'portalPromise',
        invoiceNo: invoice.no,
        contact: link.contact.name,
        amountMinor: promise.amountMinor,
        currency: invoice.currency,
        promisedDate: promise.promisedDate,
      },
      now,
    ),
    key: `portal/promise/${promise.id}`,
    kind: 'promise',
    locale,
    recipient: link.contact.email,
    context: {
      contactName: link.contact.name,
      invoiceNo: invoice.no,
      promisedDate: formatDate(promise.promisedDate, locale),
      amount: formatMoney(promise.amountMinor, invoice.currency, locale),
    },
  });
}

export async function promiseFromPortal(
  deps: PortalServiceDeps,
  link: OpenedLink,
  input: { invoiceNo: string; promisedDate: string; amountMinor: number },
  now = Date.now(),
): Promise<CollectionStatus> {
  const invoice = await customersInvoice(deps.db, link, input.invoiceNo);
  const actor = customerActor(link.contact.name, link.customerCode);
  let status: CollectionStatus;
  try {
    status = await updateCollection(deps.temporal, invoice.no, recordPromiseUpdate, {
      actor,
      promisedDate: input.promisedDate,
      amountMinor: input.amountMinor,
      contact: link.contact.name,
    });
  } catch (error) {
    if (!(error instanceof WorkflowUpdateFailedError)) throw error;
    const openPromise = await openId(deps, invoice.no, 'promise');
    const given =
      openPromise &&
      (await deps.db
        .selectFrom('promises')
        .select(['promised_date', 'amount_minor'])
        .where('id', '=', openPromise)
        .where('invoice_no', '=', invoice.no)
        .where('recorded_by', '=', actor.name)
        .executeTakeFirst());
    if (openPromise && given)
      await confirmPromise(
        deps,
        link,
        invoice,
        { id: openPromise, promisedDate: given.promised_date, amountMinor: given.amount_minor },
        now,
      );
    throw error;
  }
  await confirmPromise(
    deps,
    link,
    invoice,
    { id: status.promiseId!, promisedDate: input.promisedDate, amountMinor: input.amountMinor },
    now,
  );
  return status;
}

/** Stores the dispute's file (once: a retry's file finds the first one kept), then starts its confirmation. */
async function finishDispute(
  deps: PortalServiceDeps,
  link: OpenedLink,
  invoice: Awaited<ReturnType<typeof customersInvoice>>,
  dispute: { id: string; reason: DisputeReason; note: string },
  input: { reasonWord: (reason: DisputeReason) => string; attachment?: Attachment },
  now: number,
): Promise<void> {
  const actor = customerActor(link.contact.name, link.customerCode);
  if (input.attachment)
    await deps.db
      .insertInto('dispute_attachments')
      .values({
        dispute_id: dispute.id,
        file_name: input.attachment.fileName,
        content_type: input.attachment.contentType,
        size_bytes: input.attachment.content.length,
        content: input.attachment.content,
        uploaded_by: actor.name,
      })
      .onConflict((oc) => oc.column('dispute_id').doNothing())
      .execute();
  const stored = await deps.db
    .selectFrom('dispute_attachments')
    .select('file_name')
    .where('dispute_id', '=', dispute.id)
    .executeTakeFirst();
  const locale = localeOf(link);
  await confirm(deps, {
    ownerTask: ownerTask(
      invoice,
      `portal/dispute/${dispute.id}`,
      { key: 'portalDispute', invoiceNo: invoice.no, contact: link.contact.name, reason: dispute.reason },
      now,
    ),
    key: `portal/dispute/${dispute.id}`,
    kind: 'dispute',
    locale,
    recipient: link.contact.email,
    context: {
      contactName: link.contact.name,
      invoiceNo: invoice.no,
      reason: input.reasonWord(dispute.reason),
      note: dispute.note,
      attachment: stored?.file_name ?? (locale === 'en' ? 'none' : '无'),
    },
  });
}

export async function disputeFromPortal(
  deps: PortalServiceDeps,
  link: OpenedLink,
  input: {
    invoiceNo: string;
    reason: DisputeReason;
    /** The reason worded for the customer, in the page's language. */
    reasonWord: (reason: DisputeReason) => string;
    note: string;
    attachment?: Attachment;
  },
  now = Date.now(),
): Promise<CollectionStatus> {
  const invoice = await customersInvoice(deps.db, link, input.invoiceNo);
  const actor = customerActor(link.contact.name, link.customerCode);
  let status: CollectionStatus;
  try {
    status = await updateCollection(deps.temporal, invoice.no, openDisputeUpdate, {
      actor,
      reason: input.reason,
      note: input.note,
    });
  } catch (error) {
    if (!(error instanceof WorkflowUpdateFailedError)) throw error;
    const openDispute = await openId(deps, invoice.no, 'dispute');
    const given =
      openDispute &&
      (await deps.db
        .selectFrom('disputes')
        .select(['reason', 'note'])
        .where('id', '=', openDispute)
        .where('invoice_no', '=', invoice.no)
        .where('opened_by', '=', actor.name)
        .executeTakeFirst());
    if (openDispute && given)
      await finishDispute(
        deps,
        link,
        invoice,
        { id: openDispute, reason: given.reason as DisputeReason, note: given.note ?? '' },
        input,
        now,
      );
    throw error;
  }
  await finishDispute(
    deps,
    link,
    invoice,
    { id: status.disputeId!, reason: input.reason, note: input.note },
    input,
    now,
  );
  return status;
}

/** A dispute's attachment for staff (GET /api/v1/disputes/:id/attachment). */
export async function disputeAttachment(db: Db, disputeId: string) {
  return db
    .selectFrom('dispute_attachments')
    .select(['file_name', 'content_type', 'size_bytes', 'content'])
    .where('dispute_id', '=', disputeId)
    .executeTakeFirst();
}
