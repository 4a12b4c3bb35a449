import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// Issue 4, the numbers: what keeps every report answering in about a second at a million invoices
// (bench/reports.ts, results in bench/README.md).
const INDEXES: Record<string, string> = {
  // Receivables as of a date start from the invoices not paid now, a small share of all of them:
  // everything the reports read of them is in the index.
  invoices_not_paid: `on invoices (issue_date) include (no, customer_code, contract_no, currency, due_date, amount_minor, written_off_at) where status <> 'paid'`,
  // Credit sales per month (DSO, CEI) read issue date, currency and amount from the index alone.
  invoices_issue_date: 'on invoices (issue_date) include (currency, amount_minor)',
  // Invoices paid in a period or a window: on-time rate, days late, the forecast's payment behaviour.
  invoices_paid_on: `on invoices (paid_on) include (customer_code, due_date, amount_minor) where status = 'paid'`,
  // Later facts that make a paid invoice open on an earlier date: reversals.
  allocations_reversed_at: 'on allocations (reversed_at) where reversed_at is not null',
  payments_reversed_at: 'on payments (reversed_at) where reversed_at is not null',
  // An invoice's allocations with what the as-of balance needs, without visiting the table.
  allocations_invoice_amount: 'on allocations (invoice_no) include (payment_id, amount_minor, reversed_at)',
  disputes_opened_at: 'on disputes (opened_at)',
  disputes_resolved_at: 'on disputes (resolved_at) where resolved_at is not null',
  promises_closed_at: 'on promises (closed_at) where closed_at is not null',
  // Stage transitions in order per contract: time spent per stage without sorting the timeline.
  timeline_stage_changes: 'on timeline (contract_no, at, id) include (from_stage) where to_stage is not null',
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
