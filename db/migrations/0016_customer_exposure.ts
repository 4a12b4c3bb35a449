import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// The customers list (GET /api/v1/customers, issue 10) sorts every customer by exposure: open receivables
// + approved contract value not yet invoiced (services/credit-holds.ts, creditPositions). Summing each
// approved contract's invoices per request read ~700,000 invoice rows at a million invoices (0.7-1.4 s);
// so each contract keeps the sum of its invoices' amounts, kept by triggers whatever writes invoices
// (the API, the workflows' activities, historical imports, tests and benches that insert rows directly).

/** Stages whose contract value is no approved exposure (UNBILLED_EXCLUDED_STAGES in services/credit-holds.ts). */
const NOT_APPROVED = `('Opportunity', 'Cancelled', 'Closed')`;

const INDEXES: Record<string, string> = {
  // Unbilled value per customer: the approved contracts, read from the index alone, already in groups.
  customers_list_unbilled: `on contracts (customer_code, currency) include (amount_minor, invoiced_minor) where stage not in ${NOT_APPROVED}`,
  // Open receivables per customer, read from the index alone, already in groups.
  customers_list_open_invoices: `on invoices (customer_code, currency) include (balance_minor) where status = 'open'`,
};

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table contracts add column invoiced_minor bigint not null default 0`.execute(db);
  await sql`
    update contracts c set invoiced_minor = i.minor
    from (select contract_no, sum(amount_minor) as minor from invoices group by contract_no) i
    where i.contract_no = c.no`.execute(db);

  // Inserts: once per statement, so a bulk import updates each contract once, not once per invoice.
  await sql`
    create function contracts_invoiced_after_insert() returns trigger language plpgsql as $$
    begin
      update contracts c set invoiced_minor = c.invoiced_minor + n.minor
      from (select contract_no, sum(amount_minor) as minor from inserted group by contract_no) n
      where n.contract_no = c.no;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger invoices_invoiced_insert after insert on invoices
    referencing new table as inserted for each statement execute function contracts_invoiced_after_insert()`.execute(
    db,
  );

  // An amount changes (a credit note lowers it) rarely; a balance changes with every payment and fires nothing.
  await sql`
    create function contracts_invoiced_after_change() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') then
        update contracts set invoiced_minor = invoiced_minor - old.amount_minor where no = old.contract_no;
      end if;
      if tg_op = 'UPDATE' then
        update contracts set invoiced_minor = invoiced_minor + new.amount_minor where no = new.contract_no;
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger invoices_invoiced_update after update of amount_minor, contract_no on invoices for each row
    when (old.amount_minor is distinct from new.amount_minor or old.contract_no is distinct from new.contract_no)
    execute function contracts_invoiced_after_change()`.execute(db);
  await sql`
    create trigger invoices_invoiced_delete after delete on invoices for each row
    execute function contracts_invoiced_after_change()`.execute(db);

  for (const [name, definition] of Object.entries(INDEXES)) {
    await sql.raw(`create index ${name} ${definition}`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of Object.keys(INDEXES)) await db.schema.dropIndex(name).execute();
  await sql`drop trigger invoices_invoiced_delete on invoices`.execute(db);
  await sql`drop trigger invoices_invoiced_update on invoices`.execute(db);
  await sql`drop trigger invoices_invoiced_insert on invoices`.execute(db);
  await sql`drop function contracts_invoiced_after_change()`.execute(db);
  await sql`drop function contracts_invoiced_after_insert()`.execute(db);
  await sql`alter table contracts drop column invoiced_minor`.execute(db);
}
