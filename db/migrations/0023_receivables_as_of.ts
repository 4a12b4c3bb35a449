import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// Issue 12, receivables as of any date in ≤ 300 ms at a million invoices (bench/reports.ts, bench/README.md):
//
// - allocations.received_on: the received date of the allocation's payment (a payment's received date
//   never changes). The as-of balance of an invoice sums its allocations received by the date from one
//   covering index, without visiting payments. The payment commands and the historical import write it;
//   a row inserted without it (tests and benches that write rows directly) gets its payment's.
// - invoices.first_received_on / last_received_on: the earliest and the latest received date of any allocation
//   the invoice ever had (reversed or not). An invoice paid now was open on an earlier date only if a later
//   fact separates the two states: mostly a payment received after that date. Those are the paid invoices
//   issued by the date whose last_received_on is after it, found day of issue by day of issue in one index;
//   the rarer later facts (reversals, credit notes) keep their own small indexes. Nothing was received by the
//   date when first_received_on is after it: the balance then was the amount (plus credit notes given since),
//   with no allocation to read. An invoice not paid now with nothing received after the date (and no later
//   reversal or credit note) had then the balance it has now. Kept by a trigger on allocations, so whatever
//   inserts an allocation (commands, imports, direct inserts) keeps them; they only ever widen.
const INDEXES: Record<string, string> = {
  // An invoice's allocations with everything its as-of balance needs, read from the index alone.
  allocations_as_of: 'on allocations (invoice_no) include (received_on, amount_minor, reversed_at, payment_id)',
  // The invoices not paid now (the receivables of today, and most of any date's), with their balance.
  invoices_not_paid_as_of: `on invoices (issue_date) include (no, customer_code, contract_no, currency, due_date, amount_minor, balance_minor, written_off_at, first_received_on, last_received_on) where status <> 'paid'`,
  // Paid invoices by day of issue and last payment: those open on a date are a range per day of issue.
  invoices_paid_as_of: `on invoices (issue_date, last_received_on) include (no, customer_code, contract_no, currency, due_date, amount_minor, written_off_at, first_received_on) where status = 'paid'`,
  // Allocations reversed after a date that counted on it (received by then), from the index alone.
  allocations_reversed_as_of:
    'on allocations (reversed_at) include (invoice_no, received_on) where reversed_at is not null',
};

/** 0008's indexes that the ones above replace (same keys, fewer columns). */
const REPLACED: Record<string, string> = {
  invoices_not_paid: `on invoices (issue_date) include (no, customer_code, contract_no, currency, due_date, amount_minor, written_off_at) where status <> 'paid'`,
  allocations_invoice_amount: 'on allocations (invoice_no) include (payment_id, amount_minor, reversed_at)',
  allocations_reversed_at: 'on allocations (reversed_at) where reversed_at is not null',
};

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table allocations add column received_on date`.execute(db);
  await sql`update allocations a set received_on = p.received_on from payments p where p.id = a.payment_id`.execute(db);
  await sql`alter table allocations alter column received_on set not null`.execute(db);

  await sql`alter table invoices add column first_received_on date, add column last_received_on date`.execute(db);
  await sql`
    update invoices i set first_received_on = a.first_on, last_received_on = a.last_on
    from (select invoice_no, min(received_on) as first_on, max(received_on) as last_on from allocations group by invoice_no) a
    where a.invoice_no = i.no`.execute(db);

  // A row inserted without its received date (the commands and the import give it) gets its payment's.
  await sql`
    create function allocations_received_on_of_payment() returns trigger language plpgsql as $$
    begin
      select received_on into new.received_on from payments where id = new.payment_id;
      return new;
    end $$`.execute(db);
  await sql`
    create trigger allocations_received_on before insert on allocations for each row
    when (new.received_on is null) execute function allocations_received_on_of_payment()`.execute(db);

  // Once per statement: a bulk import updates each invoice once. Only ever widened, never recomputed.
  await sql`
    create function invoices_received_after_insert() returns trigger language plpgsql as $$
    begin
      update invoices i
      set first_received_on = least(i.first_received_on, n.first_on), last_received_on = greatest(i.last_received_on, n.last_on)
      from (select invoice_no, min(received_on) as first_on, max(received_on) as last_on from inserted group by invoice_no) n
      where n.invoice_no = i.no
        and (i.first_received_on is null or i.first_received_on > n.first_on or i.last_received_on < n.last_on);
      return null;
    end $$`.execute(db);
  await sql`
    create trigger allocations_received_range after insert on allocations
    referencing new table as inserted for each statement execute function invoices_received_after_insert()`.execute(db);

  // No command changes a payment's received date; should one ever, its allocations and invoices follow.
  await sql`
    create function allocations_received_on_follow_payment() returns trigger language plpgsql as $$
    begin
      update allocations set received_on = new.received_on where payment_id = new.id;
      update invoices i
      set first_received_on = least(i.first_received_on, new.received_on), last_received_on = greatest(i.last_received_on, new.received_on)
      from allocations a
      where a.payment_id = new.id and i.no = a.invoice_no;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger payments_received_on after update of received_on on payments for each row
    when (old.received_on is distinct from new.received_on) execute function allocations_received_on_follow_payment()`.execute(
    db,
  );

  for (const [name, definition] of Object.entries(INDEXES))
    await sql.raw(`create index ${name} ${definition}`).execute(db);
  for (const name of Object.keys(REPLACED)) await db.schema.dropIndex(name).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [name, definition] of Object.entries(REPLACED))
    await sql.raw(`create index ${name} ${definition}`).execute(db);
  for (const name of Object.keys(INDEXES)) await db.schema.dropIndex(name).execute();
  await sql`drop trigger payments_received_on on payments`.execute(db);
  await sql`drop function allocations_received_on_follow_payment()`.execute(db);
  await sql`drop trigger allocations_received_range on allocations`.execute(db);
  await sql`drop function invoices_received_after_insert()`.execute(db);
  await sql`drop trigger allocations_received_on on allocations`.execute(db);
  await sql`drop function allocations_received_on_of_payment()`.execute(db);
  await sql`alter table invoices drop column first_received_on, drop column last_received_on`.execute(db);
  await sql`alter table allocations drop column received_on`.execute(db);
}
