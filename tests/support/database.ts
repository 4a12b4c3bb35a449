import crypto from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { connect, type Db } from '../../db/connect';

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
