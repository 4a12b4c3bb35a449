import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../db/connect';
import { policyVersion, selectPolicy } from '../db/policies';
import { appendTimeline } from '../db/timeline';
import { type SendTime, dueDateFor } from '../domain/collection';
import { includedTax, parsePercent } from '../domain/money';
import type { IssueInvoiceRequest, IssuedInvoice } from './types';
import { calendarById } from '../db/calendars';
import { reevaluateCreditHold } from '../services/credit-holds';
import { localDateOf } from '../domain/dates';

function taxOf(amountMinor: number, ratePercent: string | undefined): number {
  const hundredths = ratePercent === undefined ? undefined : parsePercent(ratePercent);
  return hundredths ? includedTax(amountMinor, hundredths) : 0;
}

/** Creates the invoice row for a milestone; calling it again for the same invoice returns the same invoice. */
export async function createInvoice(db: Db, sendTime: SendTime, request: IssueInvoiceRequest): Promise<IssuedInvoice> {
  return db.transaction().execute(async (trx) => {
    const contract = await trx
      .selectFrom('contracts')
      .innerJoin('customers', 'customers.code', 'contracts.customer_code')
      .select([
        'contracts.customer_code',
        'contracts.currency',
        'customers.time_zone',
        'customers.grade',
        'customers.calendar_id',
      ])
      .where('contracts.no', '=', request.contractNo)
      .executeTakeFirstOrThrow();
    const existing = await trx
      .selectFrom('invoices')
      .selectAll()
      .where('no', '=', request.invoiceNo)
      .executeTakeFirst();
    if (existing && (existing.contract_no !== request.contractNo || existing.milestone_seq !== request.milestoneSeq)) {
      throw ApplicationFailure.create({
        type: 'Refused',
        nonRetryable: true,
        message: `invoice number ${request.invoiceNo} is already used`,
        details: [
          [
            {
              code: 'invoice_number_taken',
              field: 'invoiceNo',
              message: `invoice number ${request.invoiceNo} is already used`,
            },
          ],
        ],
      });
    }
    const dueDate = existing?.due_date ?? dueDateFor(request.issueDate, request.termDays);
    const policy = existing?.policy_id
      ? (await policyVersion(trx, existing.policy_id, existing.policy_version ?? undefined))!
      : await selectPolicy(trx, request.contractNo, contract.grade);
    if (!existing) {
      await trx
        .insertInto('invoices')
        .values({
          no: request.invoiceNo,
          contract_no: request.contractNo,
          milestone_seq: request.milestoneSeq,
          customer_code: contract.customer_code,
          currency: contract.currency,
          amount_minor: request.amountMinor,
          tax_rate_percent: request.taxRatePercent ?? null,
          tax_minor: taxOf(request.amountMinor, request.taxRatePercent),
          balance_minor: request.amountMinor,
          issue_date: request.issueDate,
          due_date: dueDate,
          status: 'open',
          issued_by: request.actor.name,
          policy_id: policy.id,
          policy_version: policy.version,
        })
        .execute();
      await trx
        .updateTable('milestones')
        .set({ status: 'invoiced' })
        .where('contract_no', '=', request.contractNo)
        .where('seq', '=', request.milestoneSeq)
        .execute();
      await appendTimeline(trx, {
        eventKey: `contract/${request.contractNo}/${request.eventSeq}`,
        contractNo: request.contractNo,
        invoiceNo: request.invoiceNo,
        at: new Date(request.at),
        actor: request.actor,
        action: 'invoice_issued',
        details: {
          milestone: request.milestoneSeq,
          issueDate: request.issueDate,
          dueDate,
          amountMinor: request.amountMinor,
        },
      });
      await reevaluateCreditHold(
        trx,
        contract.customer_code,
        localDateOf(request.at, contract.time_zone),
        request.actor,
        { at: new Date(request.at), invoiceNo: request.invoiceNo },
      );
    }
    return {
      invoiceNo: request.invoiceNo,
      contractNo: request.contractNo,
      customerCode: contract.customer_code,
      milestoneKind: request.milestoneKind,
      dueDate,
      balanceMinor: existing?.balance_minor ?? request.amountMinor,
      currency: contract.currency,
      timeZone: contract.time_zone,
      sendTime,
      policy,
      calendar: await calendarById(trx, contract.calendar_id),
    };
  });
}
