import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// The receivables open at the end of past month-ends, per time zone and currency, and the credit sales of the months
// they end, kept so that the DSO/CEI trend of twelve months computes only what nobody kept (today and the current
// month, a month-end too recent or forgotten).
// A kept day is right as long as no fact dated on or before it arrives later: an invoice issued, an allocation
// received, a credit note, reversal or write-off recorded with an instant before its end. Such writes forget the
// days they change (in their own transaction), and bump `generation`, so that a snapshot computed while they were
// under way is not stored (services/receivable-snapshots.ts). Writes dated within the last two days (nearly all of
// them) forget nothing and take no lock: only month-ends that ended three days ago or more are ever kept.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table receivable_snapshots (
      time_zone text not null,
      as_of date not null,
      day_end timestamptz not null,
      currencies text[] not null,
      ar_minor bigint[] not null,
      current_minor bigint[] not null,
      sales_currencies text[] not null,
      sales_minor bigint[] not null,
      computed_at timestamptz not null default now(),
      primary key (time_zone, as_of)
    )`.execute(db);
  await sql`
    create table receivable_snapshot_state (
      id boolean primary key default true check (id),
      generation bigint not null default 0
    )`.execute(db);
  await sql`insert into receivable_snapshot_state default values`.execute(db);

  // from_day: facts dated that day change it and every later day; from_instant: facts of that instant change
  // every day that ends after it.
  await sql`
    create function forget_receivable_snapshots(from_day date, from_instant timestamptz) returns void
    language plpgsql as $$
    begin
      if (from_day is null or from_day > (clock_timestamp() at time zone 'UTC')::date - 2)
         and (from_instant is null or from_instant > clock_timestamp() - interval '2 days') then
        return;
      end if;
      update receivable_snapshot_state set generation = generation + 1;
      delete from receivable_snapshots where as_of >= from_day or day_end > from_instant;
    end $$`.execute(db);

  await sql`
    create function receivable_snapshots_forget_all() returns trigger language plpgsql as $$
    begin
      perform forget_receivable_snapshots('-infinity'::date, '-infinity'::timestamptz);
      return null;
    end $$`.execute(db);
  await sql`
    create function receivable_snapshots_invoices_inserted() returns trigger language plpgsql as $$
    begin
      perform forget_receivable_snapshots((select min(issue_date) from inserted), null);
      return null;
    end $$`.execute(db);
  await sql`
    create function receivable_snapshots_invoice_changed() returns trigger language plpgsql as $$
    begin
      perform forget_receivable_snapshots(
        case when (old.issue_date, old.due_date, old.currency) is distinct from (new.issue_date, new.due_date, new.currency)
             then least(old.issue_date, new.issue_date) end,
        case when old.written_off_at is distinct from new.written_off_at
             then least(old.written_off_at, new.written_off_at) end);
      return null;
    end $$`.execute(db);
  await sql`
    create function receivable_snapshots_allocations_inserted() returns trigger language plpgsql as $$
    begin
      perform forget_receivable_snapshots((select min(received_on) from inserted), null);
      return null;
    end $$`.execute(db);
  await sql`
    create function receivable_snapshots_allocation_changed() returns trigger language plpgsql as $$
    begin
      perform forget_receivable_snapshots(
        case when (old.received_on, old.amount_minor, old.invoice_no, old.payment_id)
                  is distinct from (new.received_on, new.amount_minor, new.invoice_no, new.payment_id)
             then least(old.received_on, new.received_on) end,
        case when old.reversed_at is distinct from new.reversed_at then least(old.reversed_at, new.reversed_at) end);
      return null;
    end $$`.execute(db);
  await sql`
    create function receivable_snapshots_payment_reversed() returns trigger language plpgsql as $$
    begin
      perform forget_receivable_snapshots(null, least(old.reversed_at, new.reversed_at));
      return null;
    end $$`.execute(db);
  await sql`
    create function receivable_snapshots_credit_notes_inserted() returns trigger language plpgsql as $$
    begin
      perform forget_receivable_snapshots(
        null, (select min(resolved_at) from inserted where status = 'resolved' and credit_minor > 0));
      return null;
    end $$`.execute(db);
  await sql`
    create function receivable_snapshots_credit_note_changed() returns trigger language plpgsql as $$
    begin
      perform forget_receivable_snapshots(null, least(
        case when old.status = 'resolved' and old.credit_minor > 0 then old.resolved_at end,
        case when new.status = 'resolved' and new.credit_minor > 0 then new.resolved_at end));
      return null;
    end $$`.execute(db);

  await sql`
    create trigger receivable_snapshots_invoices_inserted after insert on invoices
    referencing new table as inserted for each statement execute function receivable_snapshots_invoices_inserted()`.execute(
    db,
  );
  await sql`
    create trigger receivable_snapshots_invoice_changed after update on invoices for each row
    when ((old.issue_date, old.due_date, old.currency, old.written_off_at)
          is distinct from (new.issue_date, new.due_date, new.currency, new.written_off_at))
    execute function receivable_snapshots_invoice_changed()`.execute(db);
  await sql`
    create trigger receivable_snapshots_allocations_inserted after insert on allocations
    referencing new table as inserted for each statement execute function receivable_snapshots_allocations_inserted()`.execute(
    db,
  );
  await sql`
    create trigger receivable_snapshots_allocation_changed after update on allocations for each row
    when ((old.received_on, old.amount_minor, old.invoice_no, old.payment_id, old.reversed_at)
          is distinct from (new.received_on, new.amount_minor, new.invoice_no, new.payment_id, new.reversed_at))
    execute function receivable_snapshots_allocation_changed()`.execute(db);
  await sql`
    create trigger receivable_snapshots_payment_reversed after update on payments for each row
    when (old.reversed_at is distinct from new.reversed_at)
    execute function receivable_snapshots_payment_reversed()`.execute(db);
  await sql`
    create trigger receivable_snapshots_credit_notes_inserted after insert on disputes
    referencing new table as inserted for each statement execute function receivable_snapshots_credit_notes_inserted()`.execute(
    db,
  );
  await sql`
    create trigger receivable_snapshots_credit_note_changed after update on disputes for each row
    when ((old.status, old.credit_minor, old.resolved_at) is distinct from (new.status, new.credit_minor, new.resolved_at))
    execute function receivable_snapshots_credit_note_changed()`.execute(db);
  for (const table of ['invoices', 'allocations', 'payments', 'disputes']) {
    await sql`
      create trigger ${sql.raw(`receivable_snapshots_${table}_deleted`)} after delete on ${sql.table(table)}
      for each statement execute function receivable_snapshots_forget_all()`.execute(db);
    await sql`
      create trigger ${sql.raw(`receivable_snapshots_${table}_truncated`)} after truncate on ${sql.table(table)}
      for each statement execute function receivable_snapshots_forget_all()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['invoices', 'allocations', 'payments', 'disputes']) {
    await sql`drop trigger ${sql.raw(`receivable_snapshots_${table}_deleted`)} on ${sql.table(table)}`.execute(db);
    await sql`drop trigger ${sql.raw(`receivable_snapshots_${table}_truncated`)} on ${sql.table(table)}`.execute(db);
  }
  await sql`drop trigger receivable_snapshots_invoices_inserted on invoices`.execute(db);
  await sql`drop trigger receivable_snapshots_invoice_changed on invoices`.execute(db);
  await sql`drop trigger receivable_snapshots_allocations_inserted on allocations`.execute(db);
  await sql`drop trigger receivable_snapshots_allocation_changed on allocations`.execute(db);
  await sql`drop trigger receivable_snapshots_payment_reversed on payments`.execute(db);
  await sql`drop trigger receivable_snapshots_credit_notes_inserted on disputes`.execute(db);
  await sql`drop trigger receivable_snapshots_credit_note_changed on disputes`.execute(db);
  for (const fn of [
    'receivable_snapshots_forget_all',
    'receivable_snapshots_invoices_inserted',
    'receivable_snapshots_invoice_changed',
    'receivable_snapshots_allocations_inserted',
    'receivable_snapshots_allocation_changed',
    'receivable_snapshots_payment_reversed',
    'receivable_snapshots_credit_notes_inserted',
    'receivable_snapshots_credit_note_changed',
  ])
    await sql`drop function ${sql.raw(fn)}()`.execute(db);
  await sql`drop function forget_receivable_snapshots(date, timestamptz)`.execute(db);
  await sql`drop table receivable_snapshot_state`.execute(db);
  await sql`drop table receivable_snapshots`.execute(db);
}
