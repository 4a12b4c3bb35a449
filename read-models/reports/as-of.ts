import { type RawBuilder, sql } from 'kysely';
import type { LocalDate } from '../../domain/dates';

/** The instant a local day ends (the next midnight) in a time zone: facts stamped before it happened on or before that day. */
export function endOfDay(date: LocalDate, timeZone: string): RawBuilder<Date> {
  return sql<Date>`((${date}::date + 1)::timestamp at time zone ${timeZone})`;
}

/** The instant a local day begins in a time zone. */
export function startOfDay(date: LocalDate, timeZone: string): RawBuilder<Date> {
  return sql<Date>`(${date}::date::timestamp at time zone ${timeZone})`;
}

/**
 * Invoices paid now that were not paid on the as-of date: a later fact (a payment received after the
 * date, an allocation or payment reversed, a credit note resolved after it) separates their state now
 * from their state then. With the invoices not paid now, these are all that can have been open then,
 * so the report reads this small set however many paid invoices there are.
 */
function changedSince(asOf: LocalDate, dayEnd: RawBuilder<Date>): RawBuilder<unknown> {
  return sql`
    select a.invoice_no from payments p join allocations a on a.payment_id = p.id where p.received_on > ${asOf}::date
    union
    select invoice_no from allocations where reversed_at >= ${dayEnd}
    union
    select a.invoice_no from payments p join allocations a on a.payment_id = p.id where p.reversed_at >= ${dayEnd}
    union
    select invoice_no from disputes where status = 'resolved' and credit_minor > 0 and resolved_at >= ${dayEnd}`;
}

const INVOICE_COLUMNS = sql`i.no, i.customer_code, i.contract_no, i.currency, i.issue_date, i.due_date, i.amount_minor`;

/**
 * Receivables open at the end of the as-of day, one row per invoice: invoice_no, customer_code,
 * contract_no, currency, issue_date, due_date, balance_minor (> 0).
 *
 * An invoice counts when issued on or before the date and not written off by the end of that day. Its
 * balance then is its amount − allocations of payments received on or before the date and not reversed
 * by the end of that day − credit notes of disputes resolved by then. invoices.amount_minor is already
 * net of every accepted credit note (resolving a dispute lowers it), so credit notes resolved after the
 * date are added back instead.
 */
export function openReceivablesAsOf(asOf: LocalDate, timeZone: string): RawBuilder<unknown> {
  const dayEnd = endOfDay(asOf, timeZone);
  const issuedAndNotWrittenOff = sql`i.issue_date <= ${asOf}::date and (i.written_off_at is null or i.written_off_at >= ${dayEnd})`;
  return sql`
    with candidate as (
      select ${INVOICE_COLUMNS} from invoices i where i.status <> 'paid' and ${issuedAndNotWrittenOff}
      union all
      select ${INVOICE_COLUMNS} from invoices i
      where i.status = 'paid' and i.no in (${changedSince(asOf, dayEnd)}) and ${issuedAndNotWrittenOff}
    ),
    later_credit as (
      select invoice_no, sum(credit_minor) as minor from disputes
      where status = 'resolved' and credit_minor > 0 and resolved_at >= ${dayEnd} group by invoice_no
    ),
    balance as (
      select c.no as invoice_no, c.customer_code, c.contract_no, c.currency, c.issue_date, c.due_date,
        c.amount_minor + coalesce(later_credit.minor, 0) - coalesce(paid.minor, 0) as balance_minor
      from candidate c
      left join later_credit on later_credit.invoice_no = c.no
      left join lateral (
        select sum(a.amount_minor) as minor from allocations a join payments p on p.id = a.payment_id
        where a.invoice_no = c.no and p.received_on <= ${asOf}::date
          and (a.reversed_at is null or a.reversed_at >= ${dayEnd}) and (p.reversed_at is null or p.reversed_at >= ${dayEnd})
      ) paid on true
    )
    select * from balance where balance_minor > 0`;
}
