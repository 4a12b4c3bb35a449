import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// contracts.invoiced_minor (0016) is kept by a statement trigger on invoices: each insert statement adds its
// invoices' amounts to their contracts, one UPDATE of every contract concerned. The historical import
// (services/imports/historical/write.ts) now writes invoiced_minor itself with the contracts it inserts (and
// adds to the contracts already there), so that UPDATE would be repeated work: 20,000 contract rows (nine
// indexes each, not a HOT update) rewritten per 100,000 imported invoices. The import says so for its own
// invoice statements with the transaction-local setting huikuan.invoiced_kept_by_import = 'on', and the
// trigger then leaves them alone. Every other writer, and every other statement, fires it as before.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function contracts_invoiced_after_insert() returns trigger language plpgsql as $$
    begin
      if current_setting('huikuan.invoiced_kept_by_import', true) = 'on' then
        return null;
      end if;
      update contracts c set invoiced_minor = c.invoiced_minor + n.minor
      from (select contract_no, sum(amount_minor) as minor from inserted group by contract_no) n
      where n.contract_no = c.no;
      return null;
    end $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function contracts_invoiced_after_insert() returns trigger language plpgsql as $$
    begin
      update contracts c set invoiced_minor = c.invoiced_minor + n.minor
      from (select contract_no, sum(amount_minor) as minor from inserted group by contract_no) n
      where n.contract_no = c.no;
      return null;
    end $$`.execute(db);
}
