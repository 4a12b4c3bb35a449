/**
 * The go-live import is all or nothing at scale, now that it writes 10,000 rows per statement: one bad row
 * anywhere (found by the checks, or refused by the database in the last statement of the write) leaves
 * every table as it was; and a good import keeps contracts.invoiced_minor equal to the sum of their invoices.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../bench/imports';
import { localDateOf } from '../../domain/dates';
import { importHistorical } from '../../services/imports/historical';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** More than one 10,000-row statement per large table, so an error in a later one must undo the earlier ones. */
const INVOICES = 25_000;
const TABLES = [
  'customers',
  'customer_contacts',
  'contracts',
  'timeline',
  'milestones',
  'invoices',
  'payments',
  'allocations',
  'disputes',
  'imports',
] as const;

let database: TestDatabase;
const today = localDateOf(Date.now(), 'Asia/Shanghai');
const actor = { name: 'fiona', role: 'finance' as const };
const files = generate(INVOICES, today);
const input = (invoices = files.invoices) => ({
  customers: { fileName: 'customers.csv', bytes: Buffer.from(files.customers) },
  contracts: { fileName: 'contracts.csv', bytes: Buffer.from(files.contracts) },
  invoices: { fileName: 'invoices.csv', bytes: Buffer.from(invoices) },
  settlements: { fileName: 'settlements.csv', bytes: Buffer.from(files.settlements) },
});

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(database.db);
    out[table] = rows[0].n;
  }
  return out;
}

const empty = Object.fromEntries(TABLES.map((t) => [t, 0]));

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

describe(`a go-live import of ${INVOICES} invoices`, () => {
  it('with one bad row among them, the last, rejects that row and writes nothing', async () => {
    const last = `B-I${INVOICES - 1}`;
    const lines = files.invoices.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(new RegExp(`^${last},`));
    lines[lines.length - 1] = lines.at(-1)!.replace(/,([\d.]+),(yes)?$/, ',12.3.4,$2');
    const report = await importHistorical(database.db, input(`${lines.join('\n')}\n`), actor, { today });
    expect(report.status).toBe('rejected');
    expect(report.errors).toEqual([expect.objectContaining({ file: 'invoices', row: INVOICES + 1, field: 'amount' })]);
    // Only the import's own record, saying it was rejected.
    expect(await counts()).toEqual({ ...empty, imports: 1 });
    await sql`delete from imports`.execute(database.db);
  });

  it('refused by the database in its last statement, writes nothing at all', async () => {
    // A row the checks pass but PostgreSQL refuses: the allocation of the last settled invoice, in the last
    // allocations statement (the 3rd of 10,000 rows), after every other table's statements have run.
    const lastSettled = files.settlements.trimEnd().split('\n').at(-1)!.split(',')[0];
    await sql
      .raw(
        `create function refuse_allocation() returns trigger language plpgsql as $$
         begin raise exception 'refused by the test'; end $$;
         create trigger refuse_allocation before insert on allocations for each row
         when (new.invoice_no = '${lastSettled}') execute function refuse_allocation();`,
      )
      .execute(database.db);
    try {
      await expect(importHistorical(database.db, input(), actor, { today })).rejects.toThrow('refused by the test');
      expect(await counts()).toEqual(empty);
    } finally {
      await sql`drop trigger refuse_allocation on allocations; drop function refuse_allocation()`.execute(database.db);
    }
  });

  it('then imports every row, each contract invoiced for exactly the sum of its invoices', async () => {
    const report = await importHistorical(database.db, input(), actor, { today });
    expect(report.status).toBe('imported');
    expect(report.invoices).toMatchObject({ imported: INVOICES, rejected: 0 });
    expect(report.settlements).toMatchObject({ imported: files.counts.settlements });
    const written = await counts();
    expect(written).toMatchObject({
      customers: files.counts.customers,
      contracts: files.counts.contracts,
      milestones: INVOICES,
      invoices: INVOICES,
      allocations: files.counts.settlements,
    });
    const { rows } = await sql<{ wrong: number; invoiced: string; total: string }>`
      select count(*) filter (where c.invoiced_minor <> coalesce(i.minor, 0))::int as wrong,
             sum(c.invoiced_minor)::text as invoiced, (select sum(amount_minor) from invoices)::text as total
      from contracts c left join (select contract_no, sum(amount_minor) as minor from invoices group by contract_no) i
        on i.contract_no = c.no`.execute(database.db);
    expect(rows[0]).toEqual({ wrong: 0, invoiced: rows[0].total, total: expect.stringMatching(/^\d+$/) });
    // Every open invoice's balance is its amount less its allocations.
    const { rows: balances } = await sql<{ wrong: number }>`
      select count(*)::int as wrong from invoices i
      left join (select invoice_no, sum(amount_minor) as paid from allocations group by invoice_no) a on a.invoice_no = i.no
      where i.balance_minor <> i.amount_minor - coalesce(a.paid, 0)`.execute(database.db);
    expect(balances[0].wrong).toBe(0);
  });
});
