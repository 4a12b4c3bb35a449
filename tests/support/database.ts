import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Insertable } from 'kysely';
import { connect, type Db } from '../../db/connect';
import type { ContractsTable } from '../../db/schema';

export interface TestDatabase {
  db: Db;
  url: string;
  drop(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject('postgresAdminUrl') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database per test file, copied from the template the global setup migrated. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `t_${crypto.randomBytes(6).toString('hex')}`;
  await admin(`create database ${name} template ${inject('templateDatabase')}`);
  const url = inject('postgresAdminUrl').replace(/\/postgres$/, `/${name}`);
  const db = connect(url, 5);
  return {
    db,
    url,
    async drop() {
      await db.destroy();
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}

/** Gives the calling test file a database of its own: made before its tests (then `setUp` runs on it), dropped after. */
export function useTestDatabase(setUp: (db: Db) => Promise<void>): void {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    await setUp(database.db);
  });
  afterAll(async () => {
    await database?.drop();
  });
}

/** Customer C1 (grade A, CNY), whose contracts `insertContract` adds: what tests of contract records start from. */
export async function insertCustomerC1(db: Db): Promise<void> {
  await db
    .insertInto('customers')
    .values({ code: 'C1', name: '一号客户', grade: 'A', credit_limit_minor: 100_000_000, currency: 'CNY' })
    .execute();
}

/** A contract of customer C1, an opportunity unless `values` says otherwise. */
export async function insertContract(
  db: Db,
  no: string,
  values: Partial<Insertable<ContractsTable>> = {},
): Promise<void> {
  await db
    .insertInto('contracts')
    .values({
      no,
      customer_code: 'C1',
      title: no,
      amount_minor: 1_000_000,
      currency: 'CNY',
      payment_terms_type: 'credit_terms',
      stage: 'Opportunity',
      terms: '{}',
      details: '{}',
      created_by: 'sally',
      ...values,
    })
    .execute();
}
