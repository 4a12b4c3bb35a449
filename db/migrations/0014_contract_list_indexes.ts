import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// The contracts list (read-models/contracts.ts, issue 10). Every sort ends with the contract number,
// so a page is the next `limit` rows of one of these indexes after the previous page's last row
// (sort by number: the primary key). Measured at 100,000 contracts: docs/api.md, "The contracts list".
const INDEXES: Record<string, string> = {
  contracts_list_stage_changed_at: 'on contracts (stage_changed_at, no)',
  contracts_list_created_at: 'on contracts (created_at, no)',
  contracts_list_amount: 'on contracts (currency, amount_minor, no)',
  // The filters without an index yet (stage: contracts_stage, customer: contracts_customer, from 0001);
  // combined with each other or a stage, PostgreSQL ANDs their bitmaps.
  contracts_list_owner: 'on contracts (account_owner)',
  contracts_list_department: 'on contracts (department)',
};

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, definition] of Object.entries(INDEXES)) {
    await sql.raw(`create index ${name} ${definition}`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of Object.keys(INDEXES)) {
    await db.schema.dropIndex(name).execute();
  }
}
