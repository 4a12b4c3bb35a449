import { type Kysely, sql } from 'kysely';

// Frozen in time: later schema changes go into new migrations, never edits here.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('people')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('customers')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('grade', 'text')
    .addColumn('credit_limit_minor', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('credit_hold', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('credit_hold_reason', 'text')
    .addColumn('locale', 'text', (c) => c.notNull().defaultTo('zh-CN'))
    .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('Asia/Shanghai'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('customer_contacts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('customer_code', 'text', (c) => c.notNull().references('customers.code').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('phone', 'text')
    .execute();
  await db.schema
    .createIndex('customer_contacts_customer')
    .on('customer_contacts')
    .columns(['customer_code', 'role'])
    .execute();

  await db.schema
    .createTable('contracts')
    .addColumn('no', 'text', (c) => c.primaryKey())
    .addColumn('customer_code', 'text', (c) => c.notNull().references('customers.code'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('payment_terms_type', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('terms', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('owners', 'jsonb')
    .addColumn('close_reason', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('stage_changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('contracts_stage').on('contracts').columns(['stage', 'stage_changed_at']).execute();
  await db.schema.createIndex('contracts_customer').on('contracts').column('customer_code').execute();

  await db.schema
    .createTable('milestones')
    .addColumn('contract_no', 'text', (c) => c.notNull().references('contracts.no'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('trigger', 'jsonb', (c) => c.notNull())
    .addColumn('term_days', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('ready_on', 'date')
    .addPrimaryKeyConstraint('milestones_pk', ['contract_no', 'seq'])
    .execute();
  await db.schema.createIndex('milestones_status').on('milestones').column('status').execute();

  await db.schema
    .createTable('invoices')
    .addColumn('no', 'text', (c) => c.primaryKey())
    .addColumn('contract_no', 'text', (c) => c.notNull().references('contracts.no'))
    .addColumn('milestone_seq', 'integer', (c) => c.notNull())
    .addColumn('customer_code', 'text', (c) => c.notNull().references('customers.code'))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('tax_rate_percent', 'text')
    .addColumn('tax_minor', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('balance_minor', 'bigint', (c) => c.notNull())
    .addColumn('issue_date', 'date', (c) => c.notNull())
    .addColumn('due_date', 'date', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('paid_at', 'timestamptz')
    .addColumn('issued_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('invoices_one_per_milestone', ['contract_no', 'milestone_seq'])
    .execute();
  await db.schema
    .createIndex('invoices_customer_open')
    .on('invoices')
    .columns(['customer_code', 'status', 'due_date'])
    .execute();

  await db.schema
    .createTable('payments')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('customer_code', 'text', (c) => c.notNull().references('customers.code'))
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('received_on', 'date', (c) => c.notNull())
    .addColumn('unallocated_minor', 'bigint', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('payments_reference_per_customer', ['customer_code', 'reference'])
    .execute();

  await db.schema
    .createTable('allocations')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('payment_id', 'bigint', (c) => c.notNull().references('payments.id'))
    .addColumn('invoice_no', 'text', (c) => c.notNull().references('invoices.no'))
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('allocations_invoice').on('allocations').column('invoice_no').execute();
  await db.schema.createIndex('allocations_payment').on('allocations').column('payment_id').execute();

  await db.schema
    .createTable('letters')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('invoice_no', 'text', (c) => c.notNull().references('invoices.no'))
    .addColumn('contract_no', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('occurrence', 'integer', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('recipients', 'jsonb', (c) => c.notNull())
    .addColumn('cc', 'jsonb', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body_text', 'text', (c) => c.notNull())
    .addColumn('body_html', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('sender_name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('scheduled_for', 'timestamptz', (c) => c.notNull())
    .addColumn('decided_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('letters_once', ['invoice_no', 'step', 'occurrence'])
    .execute();
  await db.schema.createIndex('letters_status').on('letters').columns(['status', 'scheduled_for']).execute();

  await db.schema
    .createTable('timeline')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('event_key', 'text', (c) => c.notNull().unique())
    .addColumn('contract_no', 'text')
    .addColumn('customer_code', 'text')
    .addColumn('invoice_no', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('actor_name', 'text', (c) => c.notNull())
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('from_stage', 'text')
    .addColumn('to_stage', 'text')
    .addColumn('reason', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('timeline_contract').on('timeline').columns(['contract_no', 'at']).execute();
  await db.schema.createIndex('timeline_customer').on('timeline').columns(['customer_code', 'at']).execute();

  await db.schema
    .createTable('mailbox')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('message_id', 'text')
    .addColumn('envelope_from', 'text')
    .addColumn('envelope_to', 'jsonb', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('body_text', 'text')
    .addColumn('body_html', 'text')
    .addColumn('headers', 'jsonb', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('mailbox_received').on('mailbox').column('received_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'mailbox',
    'timeline',
    'letters',
    'allocations',
    'payments',
    'invoices',
    'milestones',
    'contracts',
    'customer_contacts',
    'customers',
    'people',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
