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
 * Invoices whose state on the as-of date a fact recorded later can separate from their state now, other
 * than a payment received after the date (invoices.last_received_on tells those): an allocation counted
 * then (received by the date) that was reversed after it, alone or with its whole payment, and a credit
 * note resolved after it. Few, each found through its own small index.
 */
function changedLater(asOf: LocalDate, dayEnd: RawBuilder<Date>): RawBuilder<unknown> {
  return sql`
    select invoice_no from allocations where reversed_at >= ${dayEnd} and received_on <= ${asOf}::date
    union
    select a.invoice_no from payments p join allocations a on a.payment_id = p.id
    where p.reversed_at >= ${dayEnd} and a.received_on <= ${asOf}::date
    union
    select invoice_no from disputes where status = 'resolved' and credit_minor > 0 and resolved_at >= ${dayEnd}`;
}

const INVOICE_COLUMNS = sql`i.no, i.customer_code, i.contract_no, i.currency, i.issue_date, i.due_date, i.amount_minor, i.first_received_on`;

/**
 * Receivables open at the end of the as-of day, one row per invoice: invoice_no, customer_code,
 * contract_no, currency, issue_date, due_date, balance_minor (> 0).
 *
 * An invoice counts when issued on or before the date and not written off by the end of that day. Its
 * balance then is its amount − allocations of payments received on or before the date and not reversed
 * by the end of that day − credit notes of disputes resolved by then. invoices.amount_minor is already
 * net of every accepted credit note (resolving a dispute lowers it), so credit notes resolved after the
 * date are added back instead.
 *
 * Read without visiting the million invoices and allocations (migration 0023, bench/README.md):
 * - the candidates are the invoices not paid now (a covering partial index), the paid ones issued by the
 *   date with a payment received after it (a range of invoices_paid_as_of per day of issue), and the paid
 *   ones a later reversal or credit note changed (changedLater);
 * - a candidate with nothing received by the date (first_received_on after it) owed its amount then, plus
 *   credit notes given since; one not paid now with nothing received after the date nor changed later owed
 *   its balance now (balance_minor is the amount less the live allocations); the others, few, sum their
 *   allocations counted then from the covering index allocations_as_of.
 */
export function openReceivablesAsOf(asOf: LocalDate, timeZone: string): RawBuilder<unknown> {
  const dayEnd = endOfDay(asOf, timeZone);
  const notWrittenOff = sql`(i.written_off_at is null or i.written_off_at >= ${dayEnd})`;
  return sql`
    with changed_later as (${changedLater(asOf, dayEnd)}),
    candidate as (
      select ${INVOICE_COLUMNS},
        case when i.last_received_on > ${asOf}::date or i.no in (select invoice_no from changed_later) then null
             else i.balance_minor end as balance_now
      from invoices i where i.status <> 'paid' and i.issue_date <= ${asOf}::date and ${notWrittenOff}
      union all
      select ${INVOICE_COLUMNS}, null
      from generate_series((select min(issue_date) from invoices where status = 'paid'), ${asOf}::date, interval '1 day') issued
      cross join lateral (
        select * from invoices i
        where i.status = 'paid' and i.issue_date = issued::date and i.last_received_on > ${asOf}::date
      ) i
      where ${notWrittenOff}
      union all
      select ${INVOICE_COLUMNS}, null
      from invoices i
      where i.status = 'paid' and i.no in (select invoice_no from changed_later) and i.issue_date <= ${asOf}::date
        and not coalesce(i.last_received_on > ${asOf}::date, false) and ${notWrittenOff}
    ),
    later_credit as (
      select invoice_no, sum(credit_minor) as minor from disputes
      where status = 'resolved' and credit_minor > 0 and resolved_at >= ${dayEnd} group by invoice_no
    ),
    balance as (
      select c.no as invoice_no, c.customer_code, c.contract_no, c.currency, c.issue_date, c.due_date,
        case when c.first_received_on is null or c.first_received_on > ${asOf}::date
               then c.amount_minor + coalesce(later_credit.minor, 0)
             when c.balance_now is not null then c.balance_now
             else c.amount_minor + coalesce(later_credit.minor, 0) - coalesce((
               select sum(a.amount_minor) from allocations a
               where a.invoice_no = c.no and a.received_on <= ${asOf}::date
                 and (a.reversed_at is null or a.reversed_at >= ${dayEnd})
                 and a.payment_id not in (select id from payments where reversed_at < ${dayEnd})
             ), 0) end as balance_minor
      from candidate c left join later_credit on later_credit.invoice_no = c.no
    )
    select * from balance where balance_minor > 0`;
}
