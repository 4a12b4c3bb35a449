import type { Db } from '../db/connect';
import type { LocalDate } from '../domain/dates';
import { daysBetween } from '../domain/dates';
import { accruedInterest, parseAnnualRatePercent } from '../domain/interest';

/**
 * What the customer's page shows (docs/customer-page.md), always read through the link's customer and
 * contact: nothing here takes an invoice or letter number without also checking that it is theirs.
 */

export interface StatementLine {
  invoiceNo: string;
  contractNo: string;
  contractTitle: string;
  currency: string;
  amountMinor: number;
  balanceMinor: number;
  dueDate: LocalDate;
  daysOverdue: number;
  interestMinor: number;
  ratePercent: string;
}

/** The customer's open invoices with balances and late interest accrued as of `today` (as the letters compute it). */
export async function customerStatement(db: Db, customerCode: string, today: LocalDate): Promise<StatementLine[]> {
  const invoices = await db
    .selectFrom('invoices')
    .innerJoin('contracts', 'contracts.no', 'invoices.contract_no')
    .select([
      'invoices.no',
      'invoices.contract_no',
      'invoices.currency',
      'invoices.amount_minor',
      'invoices.balance_minor',
      'invoices.due_date',
      'contracts.title',
      'contracts.terms',
    ])
    .where('invoices.customer_code', '=', customerCode)
    .where('invoices.status', '=', 'open')
    .where('invoices.balance_minor', '>', 0)
    .orderBy('invoices.due_date')
    .orderBy('invoices.no')
    .limit(500)
    .execute();
  if (invoices.length === 0) return [];
  const payments = await db
    .selectFrom('allocations')
    .innerJoin('payments', 'payments.id', 'allocations.payment_id')
    .select(['allocations.invoice_no', 'payments.received_on as date', 'allocations.amount_minor as amountMinor'])
    .where(
      'allocations.invoice_no',
      'in',
      invoices.map((i) => i.no),
    )
    .where('allocations.reversed_at', 'is', null)
    .execute();
  return invoices.map((invoice) => {
    const terms = invoice.terms as { lateInterestRatePercent?: string };
    const rate = parseAnnualRatePercent(terms.lateInterestRatePercent ?? '') ?? 0;
    return {
      invoiceNo: invoice.no,
      contractNo: invoice.contract_no,
      contractTitle: invoice.title,
      currency: invoice.currency,
      amountMinor: invoice.amount_minor,
      balanceMinor: invoice.balance_minor,
      dueDate: invoice.due_date,
      daysOverdue: Math.max(0, daysBetween(invoice.due_date, today)),
      interestMinor: accruedInterest({
        principalMinor: invoice.amount_minor,
        dueDate: invoice.due_date,
        asOf: today,
        annualRate: rate,
        payments: payments.filter((p) => p.invoice_no === invoice.no),
      }),
      ratePercent: terms.lateInterestRatePercent ?? '',
    };
  });
}

/** The letters that carried this contact's links (so: addressed to this contact), newest first. */
export async function contactLetters(db: Db, customerCode: string, contactId: number) {
  return db
    .selectFrom('letters')
    .innerJoin('portal_links', 'portal_links.id', 'letters.portal_link_id')
    .innerJoin('invoices', 'invoices.no', 'letters.invoice_no')
    .select(['letters.id', 'letters.invoice_no as invoiceNo', 'letters.subject', 'letters.sent_at as sentAt'])
    .where('portal_links.contact_id', '=', contactId)
    .where('portal_links.customer_code', '=', customerCode)
    .where('invoices.customer_code', '=', customerCode)
    .where('letters.status', '=', 'sent')
    .orderBy('letters.sent_at', 'desc')
    .limit(200)
    .execute();
}

/** One of those letters, or undefined when it is not this contact's. */
export async function contactLetter(db: Db, customerCode: string, contactId: number, letterId: number) {
  return db
    .selectFrom('letters')
    .innerJoin('portal_links', 'portal_links.id', 'letters.portal_link_id')
    .innerJoin('invoices', 'invoices.no', 'letters.invoice_no')
    .select([
      'letters.id',
      'letters.invoice_no as invoiceNo',
      'letters.subject',
      'letters.body_text as bodyText',
      'letters.sent_at as sentAt',
    ])
    .where('letters.id', '=', letterId)
    .where('portal_links.contact_id', '=', contactId)
    .where('portal_links.customer_code', '=', customerCode)
    .where('invoices.customer_code', '=', customerCode)
    .where('letters.status', '=', 'sent')
    .executeTakeFirst();
}
