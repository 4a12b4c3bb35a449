import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// Two queues of the console's Finance page that had no index to read (issue 10):
// - late interest to settle: paid invoices whose interest is still open, oldest payment first
//   (GET /api/v1/late-interest); without it PostgreSQL walked every paid invoice;
// - a customer's payments, newest first (GET /api/v1/payments?customerCode=), which scanned payments
//   backwards by id until it had found a page of that customer's.

const INDEXES: Record<string, string> = {
  invoices_interest_open: `on invoices (paid_on, no) where status = 'paid' and interest_status = 'open'`,
  payments_customer_newest: `on payments (customer_code, id desc)`,
};

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, definition] of Object.entries(INDEXES)) {
    await sql.raw(`create index ${name} ${definition}`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of Object.keys(INDEXES)) await db.schema.dropIndex(name).execute();
}
