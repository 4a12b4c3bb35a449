import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// The statement trigger that keeps contracts.invoiced_minor (0016) joined its transition table to contracts
// with a plan chosen from contracts' statistics; after a TRUNCATE (or on a table whose statistics are stale)
// the planner could scan contracts once per contract of the statement: bench/imports.ts saw a 100,000-row
// COPY of invoices take 203 s instead of 4-5 s. It now updates each contract by its primary key, a plan that
// cannot go wrong, whatever the statistics say.
// And the historical import (services/imports/historical/write.ts) sets invoiced_minor itself in the
// contracts it writes: it says so for its own invoice statements with the transaction-local setting
// huikuan.invoiced_kept_by_import = 'on', and the trigger then leaves them alone (20,000 contract
// updates fewer for 100,000 invoices). Every other writer, and the import's other statements, fire it as before.

const NAME = 'huikuan.invoiced_kept_by_import';

export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `create or replace function contracts_invoiced_after_insert() returns trigger language plpgsql as $$
    declare
      added record;
    begin
      if current_setting('${NAME}', true) = 'on' then
        return null;
      end if;
      for added in select contract_no, sum(amount_minor) as minor from inserted group by contract_no loop
        update contracts set invoiced_minor = invoiced_minor + added.minor where no = added.contract_no;
      end loop;
      return null;
    end $$`,
    )
    .execute(db);
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
