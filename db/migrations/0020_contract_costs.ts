import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// The third and fourth of the four calculations (issue 11):
// - cost_entries: actual costs (核算) recorded against a contract during delivery. An entry is never
//   deleted: a mistake is reversed (reversed_at/by/reason), so the sum of entries not reversed is the
//   actuals. The reference is unique per contract: the same entry posted twice is a repeat, not a cost.
// - final_accounts: the final account (决算), computed and frozen once in the transaction that records
//   the contract's close. One row per contract; the report across contracts reads it by period of
//   close, customer and department, newest close first, paged by (closed_at, contract_no).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('cost_entries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('contract_no', 'text', (c) => c.notNull().references('contracts.no'))
    .addColumn('entry_date', 'date', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull().check(sql`amount_minor > 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('reversed_at', 'timestamptz')
    .addColumn('reversed_by', 'text')
    .addColumn('reversal_reason', 'text')
    .addUniqueConstraint('cost_entries_contract_reference', ['contract_no', 'reference'])
    .execute();

  await db.schema
    .createTable('final_accounts')
    .addColumn('contract_no', 'text', (c) => c.primaryKey().references('contracts.no'))
    .addColumn('customer_code', 'text', (c) => c.notNull())
    .addColumn('department', 'text')
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('contract_amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('estimate_minor', 'bigint')
    .addColumn('budget_minor', 'bigint')
    .addColumn('invoiced_minor', 'bigint', (c) => c.notNull())
    .addColumn('credited_minor', 'bigint', (c) => c.notNull())
    .addColumn('collected_minor', 'bigint', (c) => c.notNull())
    .addColumn('written_off_minor', 'bigint', (c) => c.notNull())
    .addColumn('interest_collected_minor', 'bigint', (c) => c.notNull())
    .addColumn('costs_minor', 'bigint', (c) => c.notNull())
    .addColumn('cost_entries', 'integer', (c) => c.notNull())
    .addColumn('margin_minor', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await sql`create index cost_entries_contract on cost_entries (contract_no, entry_date, id)`.execute(db);
  await sql`create index final_accounts_closed on final_accounts (closed_at desc, contract_no desc)`.execute(db);
  await sql`create index final_accounts_customer on final_accounts (customer_code, closed_at desc, contract_no desc)`.execute(
    db,
  );
  await sql`create index final_accounts_department on final_accounts (department, closed_at desc, contract_no desc)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('final_accounts').execute();
  await db.schema.dropTable('cost_entries').execute();
}
