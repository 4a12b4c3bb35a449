import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
// Issue 4: credit grades with overrides and automatic holds, bank-statement payments with matching,
// reversible allocations, imports with their reports, the weekly credit review and its mail outbox.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('customers')
    .addColumn('computed_grade', 'text')
    .addColumn('credit_score_tenths', 'integer')
    .addColumn('grade_factors', 'jsonb')
    .addColumn('grade_computed_at', 'timestamptz')
    .addColumn('grade_override', 'text')
    .addColumn('grade_override_reason', 'text')
    .addColumn('grade_override_until', 'date')
    .addColumn('grade_override_by', 'text')
    .addColumn('limit_override_minor', 'bigint')
    .addColumn('limit_override_reason', 'text')
    .addColumn('limit_override_until', 'date')
    .addColumn('limit_override_by', 'text')
    // 'auto' holds are lifted automatically when cleared; 'manual' ones only by hand.
    .addColumn('hold_source', 'text')
    .addColumn('hold_release_until', 'date')
    .addColumn('hold_release_reason', 'text')
    .addColumn('hold_release_by', 'text')
    .execute();
  await sql`update customers set hold_source = 'manual' where credit_hold`.execute(db);

  await db.schema
    .alterTable('payments')
    .alterColumn('customer_code', (c) => c.dropNotNull())
    .execute();
  await db.schema
    .alterTable('payments')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('api'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('matched'))
    .addColumn('payer_name', 'text')
    .addColumn('payer_account', 'text')
    .addColumn('remittance', 'text')
    .addColumn('dedupe_key', 'text')
    .addColumn('import_id', 'bigint')
    .addColumn('reversed_at', 'timestamptz')
    .addColumn('reversed_by', 'text')
    .addColumn('reversal_reason', 'text')
    .execute();
  await db.schema
    .createIndex('payments_dedupe_key')
    .unique()
    .on('payments')
    .column('dedupe_key')
    .where(sql.ref('dedupe_key'), 'is not', null)
    .execute();
  await db.schema.createIndex('payments_status').on('payments').columns(['status', 'received_on']).execute();
  await db.schema.createIndex('payments_received_on').on('payments').column('received_on').execute();

  await db.schema
    .alterTable('allocations')
    .addColumn('rule', 'text', (c) => c.notNull().defaultTo('oldest_first'))
    .addColumn('allocated_by', 'text')
    .addColumn('reversed_at', 'timestamptz')
    .addColumn('reversed_by', 'text')
    .addColumn('reversal_reason', 'text')
    .execute();

  await db.schema
    .alterTable('invoices')
    .addColumn('paid_on', 'date')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('contract'))
    .execute();
  await sql`update invoices i set paid_on = (select max(p.received_on) from allocations a join payments p on p.id = a.payment_id where a.invoice_no = i.no) where status = 'paid'`.execute(
    db,
  );

  // Aging by owner and department: the account owner (creator until handover names one) and the selling department.
  await db.schema.alterTable('contracts').addColumn('department', 'text').addColumn('account_owner', 'text').execute();
  await sql`update contracts set account_owner = coalesce(owners->>'account', created_by)`.execute(db);

  await db.schema
    .createTable('payer_accounts')
    .addColumn('account', 'text', (c) => c.primaryKey())
    .addColumn('customer_code', 'text', (c) => c.notNull().references('customers.code'))
    .addColumn('learned_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('imports')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('file_sha256', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('report', 'jsonb', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('grade_history')
    .addColumn('customer_code', 'text', (c) => c.notNull().references('customers.code'))
    .addColumn('reviewed_on', 'date', (c) => c.notNull())
    .addColumn('grade', 'text')
    .addColumn('computed_grade', 'text')
    .addColumn('score_tenths', 'integer', (c) => c.notNull())
    .addColumn('factors', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('grade_history_pk', ['customer_code', 'reviewed_on'])
    .execute();

  await db.schema
    .createTable('credit_reviews')
    .addColumn('review_date', 'date', (c) => c.primaryKey())
    .addColumn('summary', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Mail that is not a collection letter (the weekly credit review): same outbox discipline as letters.
  await db.schema
    .createTable('notifications')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('notification_key', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('recipients', 'jsonb', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body_text', 'text', (c) => c.notNull())
    .addColumn('body_html', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('sent_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('term_extension_requests')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('customer_code', 'text', (c) => c.notNull().references('customers.code'))
    .addColumn('contract_no', 'text')
    .addColumn('requested_days', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
    .addColumn('overdue_minor', 'bigint', (c) => c.notNull())
    .addColumn('oldest_days_overdue', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('term_extension_requests_customer')
    .on('term_extension_requests')
    .columns(['customer_code', 'requested_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'term_extension_requests',
    'notifications',
    'credit_reviews',
    'grade_history',
    'imports',
    'payer_accounts',
  ]) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('contracts').dropColumn('department').dropColumn('account_owner').execute();
  await db.schema.alterTable('invoices').dropColumn('paid_on').dropColumn('source').execute();
  await db.schema
    .alterTable('allocations')
    .dropColumn('rule')
    .dropColumn('allocated_by')
    .dropColumn('reversed_at')
    .dropColumn('reversed_by')
    .dropColumn('reversal_reason')
    .execute();
  await db.schema.dropIndex('payments_dedupe_key').execute();
  await db.schema.dropIndex('payments_status').execute();
  await db.schema.dropIndex('payments_received_on').execute();
  await db.schema
    .alterTable('payments')
    .dropColumn('source')
    .dropColumn('status')
    .dropColumn('payer_name')
    .dropColumn('payer_account')
    .dropColumn('remittance')
    .dropColumn('dedupe_key')
    .dropColumn('import_id')
    .dropColumn('reversed_at')
    .dropColumn('reversed_by')
    .dropColumn('reversal_reason')
    .execute();
  await db.schema
    .alterTable('customers')
    .dropColumn('computed_grade')
    .dropColumn('credit_score_tenths')
    .dropColumn('grade_factors')
    .dropColumn('grade_computed_at')
    .dropColumn('grade_override')
    .dropColumn('grade_override_reason')
    .dropColumn('grade_override_until')
    .dropColumn('grade_override_by')
    .dropColumn('limit_override_minor')
    .dropColumn('limit_override_reason')
    .dropColumn('limit_override_until')
    .dropColumn('limit_override_by')
    .dropColumn('hold_source')
    .dropColumn('hold_release_until')
    .dropColumn('hold_release_reason')
    .dropColumn('hold_release_by')
    .execute();
}
