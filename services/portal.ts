import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Db } from '../db/connect';
import { DAY_MS, formatDate } from '../domain/dates';
import type { DisputeReason } from '../domain/disputes';
import type { Locale } from '../domain/locales';
import { formatMoney } from '../domain/money';
import { ruleRefusal } from '../domain/refusal';
import { customerActor } from '../domain/roles';
import type { TaskDraft } from '../activities/tasks';
import type { PortalConfirmation } from '../activities/portal-confirmations';
import { type CollectionStatus, openDisputeUpdate, recordPromiseUpdate } from '../workflows/collection-messages';
import { portalConfirmationWorkflow } from '../workflows/portal-confirmation';
import type { OpenedLink } from './portal-links';
import { updateCollection } from './workflow-client';

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
  title: string,
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
    title,
    dueAt: now + DAY_MS,
  };
}

async function confirm(deps: PortalServiceDeps, confirmation: PortalConfirmation): Promise<void> {
  try {
    await deps.temporal.workflow.start(portalConfirmationWorkflow, {
      workflowId: `portal-confirmation/${confirmation.key}`,
      taskQueue: deps.taskQueue,
      args: [confirmation],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

const localeOf = (link: OpenedLink): Locale => (link.customer.locale === 'en' ? 'en' : 'zh-CN');

export async function promiseFromPortal(
  deps: PortalServiceDeps,
  link: OpenedLink,
  input: { invoiceNo: string; promisedDate: string; amountMinor: number },
  now = Date.now(),
): Promise<CollectionStatus> {
  const invoice = await customersInvoice(deps.db, link, input.invoiceNo);
  const actor = customerActor(link.contact.name, link.customerCode);
  const status = await updateCollection(deps.temporal, invoice.no, recordPromiseUpdate, {
    actor,
    promisedDate: input.promisedDate,
    amountMinor: input.amountMinor,
    contact: link.contact.name,
  });
  const promiseId = status.promiseId!;
  const locale = localeOf(link);
  const amount = formatMoney(input.amountMinor, invoice.currency, locale);
  await confirm(deps, {
    ownerTask: ownerTask(
      invoice,
      `portal/promise/${promiseId}`,
      `${link.contact.name} promised on the customer's page to pay ${formatMoney(input.amountMinor, invoice.currency, 'en')} on ${input.promisedDate} for invoice ${invoice.no}`,
      now,
    ),
    key: `portal/promise/${promiseId}`,
    kind: 'promise',
    locale,
    recipient: link.contact.email,
    context: {
      contactName: link.contact.name,
      invoiceNo: invoice.no,
      promisedDate: formatDate(input.promisedDate, locale),
      amount,
    },
  });
  return status;
}

export async function disputeFromPortal(
  deps: PortalServiceDeps,
  link: OpenedLink,
  input: { invoiceNo: string; reason: DisputeReason; reasonWord: string; note: string; attachment?: Attachment },
  now = Date.now(),
): Promise<CollectionStatus> {
  const invoice = await customersInvoice(deps.db, link, input.invoiceNo);
  const actor = customerActor(link.contact.name, link.customerCode);
  const status = await updateCollection(deps.temporal, invoice.no, openDisputeUpdate, {
    actor,
    reason: input.reason,
    note: input.note,
  });
  const disputeId = status.disputeId!;
  if (input.attachment)
    await deps.db
      .insertInto('dispute_attachments')
      .values({
        dispute_id: disputeId,
        file_name: input.attachment.fileName,
        content_type: input.attachment.contentType,
        size_bytes: input.attachment.content.length,
        content: input.attachment.content,
        uploaded_by: actor.name,
      })
      .onConflict((oc) => oc.column('dispute_id').doNothing())
      .execute();
  const locale = localeOf(link);
  await confirm(deps, {
    ownerTask: ownerTask(
      invoice,
      `portal/dispute/${disputeId}`,
      `${link.contact.name} disputed invoice ${invoice.no} on the customer's page (${input.reason})`,
      now,
    ),
    key: `portal/dispute/${disputeId}`,
    kind: 'dispute',
    locale,
    recipient: link.contact.email,
    context: {
      contactName: link.contact.name,
      invoiceNo: invoice.no,
      reason: input.reasonWord,
      note: input.note,
      attachment: input.attachment?.fileName ?? (locale === 'en' ? 'none' : '无'),
    },
  });
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
