/**
 * The go-live import is all or nothing at scale, now that it writes each table's rows with one COPY (and the
 * timeline with 10,000-row statements): one bad row anywhere (found by the checks, or refused by the database in
 * the middle of a COPY or in its last row, after every other table's) leaves every table as it was, and the
 * connection goes back to the pool; a good import keeps contracts.invoiced_minor equal to the sum of their invoices.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../bench/imports';
import { addDays, localDateOf } from '../../domain/dates';
import { importHistorical } from '../../services/imports/historical';
import { arrayLiteral } from '../../services/imports/historical/batches';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** Enough rows that a COPY is sent in many chunks, and an error in a later table must undo the earlier ones. */
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

/** Contracts whose invoiced_minor is not the sum of their invoices' amounts, and that sum over all contracts. */
async function invoicedOf(contractNos: string[]): Promise<number[]> {
  const { rows } = await sql<{ invoiced_minor: number }>`
    select invoiced_minor from contracts where no in (${sql.join(contractNos)}) order by no`.execute(database.db);
  return rows.map((r) => r.invoiced_minor);
}

async function invoicedMismatches(): Promise<{ wrong: number; total: string }> {
  const { rows } = await sql<{ wrong: number; invoiced: string; total: string }>`
    select count(*) filter (where c.invoiced_minor <> coalesce(i.minor, 0))::int as wrong,
           sum(c.invoiced_minor)::text as invoiced, (select sum(amount_minor) from invoices)::text as total
    from contracts c left join (select contract_no, sum(amount_minor) as minor from invoices group by contract_no) i
      on i.contract_no = c.no`.execute(database.db);
  expect(rows[0].invoiced).toBe(rows[0].total);
  return { wrong: rows[0].wrong, total: rows[0].total };
}

const empty = Object.fromEntries(TABLES.map((t) => [t, 0]));

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

describe('the arrays the import sends', () => {
  it('reach PostgreSQL as they were: quotes, backslashes, braces, commas, NULL, blanks, Chinese, instants', async () => {
    const texts = ['plain', 'a "quoted" name', 'back\\slash\\', '{braces}', 'a, b', null, '', ' ', 'NULL', '上海 回款'];
    const { rows } = await sql<{ v: string | null }>`select unnest(${arrayLiteral(texts)}::text[]) as v`.execute(
      database.db,
    );
    expect(rows.map((r) => r.v)).toEqual(texts);
    const at = new Date('2026-03-01T16:00:00.000Z');
    const { rows: instants } = await sql<{ v: Date; n: number }>`
      select v, n from unnest(${arrayLiteral([at])}::timestamptz[], ${arrayLiteral([-12])}::bigint[]) as t(v, n)`.execute(
      database.db,
    );
    expect(instants).toEqual([{ v: at, n: -12 }]);
  });
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

  it('refused by the database in the middle of the invoices COPY, writes nothing at all', async () => {
    // A row the checks pass but PostgreSQL refuses, half way through the invoices' COPY (after the customers',
    // contracts' and milestones'): the whole transaction goes, and the import's client with it.
    const middle = `B-I${INVOICES / 2}`;
    await sql
      .raw(
        `create function refuse_invoice() returns trigger language plpgsql as $$
         begin raise exception 'invoice refused by the test'; end $$;
         create trigger refuse_invoice before insert on invoices for each row
         when (new.no = '${middle}') execute function refuse_invoice();`,
      )
      .execute(database.db);
    try {
      for (let attempt = 0; attempt < 6; attempt++) {
        // More attempts than the pool has clients (5): each failed import must give its client back.
        await expect(importHistorical(database.db, input(), actor, { today })).rejects.toThrow(
          'invoice refused by the test',
        );
      }
      expect(await counts()).toEqual(empty);
    } finally {
      await sql`drop trigger refuse_invoice on invoices; drop function refuse_invoice()`.execute(database.db);
    }
  });

  it('refused by the database in its last row, writes nothing at all', async () => {
    // A row the checks pass but PostgreSQL refuses: the allocation of the last settled invoice, the last row of
    // the allocations' COPY, after every other table's rows have been written.
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
    expect(await invoicedMismatches()).toEqual({ wrong: 0, total: expect.stringMatching(/^[1-9]\d+$/) });
    // Every open invoice's balance is its amount less its allocations.
    const { rows: balances } = await sql<{ wrong: number }>`
      select count(*)::int as wrong from invoices i
      left join (select invoice_no, sum(amount_minor) as paid from allocations group by invoice_no) a on a.invoice_no = i.no
      where i.balance_minor <> i.amount_minor - coalesce(a.paid, 0)`.execute(database.db);
    expect(balances[0].wrong).toBe(0);
    // Each allocation has its payment's received date, and each invoice the first and last of its allocations'
    // (written with the invoices by the import; the allocations' trigger of migration 0023 had nothing to widen).
    const { rows: received } = await sql<{ allocations: number; invoices: number }>`
      select (select count(*)::int from allocations a join payments p on p.id = a.payment_id
                where a.received_on <> p.received_on) as allocations,
             (select count(*)::int from invoices i
                left join (select invoice_no, min(received_on) as first_on, max(received_on) as last_on
                           from allocations group by invoice_no) a on a.invoice_no = i.no
                where i.first_received_on is distinct from a.first_on
                   or i.last_received_on is distinct from a.last_on) as invoices`.execute(database.db);
    expect(received[0]).toEqual({ allocations: 0, invoices: 0 });
  });

  it('keeps invoiced_minor when a later import adds invoices to contracts already there, and for other writers', async () => {
    const day = addDays(today, -40);
    const more = `invoice_no,contract_no,issue_date,due_date,amount\nB-X1,B-K0,${day},${addDays(day, 30)},1000.00\nB-X2,B-K0,${day},${addDays(day, 30)},234.56\nB-X3,B-K1,${day},${addDays(day, 30)},10.00\n`;
    const before = await invoicedOf(['B-K0', 'B-K1', 'B-K2']);
    const report = await importHistorical(
      database.db,
      { invoices: { fileName: 'more.csv', bytes: Buffer.from(more) } },
      actor,
      { today },
    );
    expect(report.status).toBe('imported');
    expect(report.invoices).toMatchObject({ imported: 3 });
    expect(await invoicedOf(['B-K0', 'B-K1', 'B-K2'])).toEqual([before[0] + 123_456, before[1] + 1_000, before[2]]);
    // Any other writer of invoices: the trigger adds, the import's setting having ended with its transaction.
    await sql`insert into milestones (contract_no, seq, kind, amount_minor, trigger, term_days, status)
      values ('B-K2', 99, 'final', 500, '{}', 30, 'invoiced')`.execute(database.db);
    await sql`insert into invoices (no, contract_no, milestone_seq, customer_code, currency, amount_minor, balance_minor, issue_date, due_date, issued_by)
      select 'B-DIRECT', no, 99, customer_code, 'CNY', 500, 500, ${day}, ${day}, 'test' from contracts where no = 'B-K2'`.execute(
      database.db,
    );
    expect(await invoicedOf(['B-K2'])).toEqual([before[2] + 500]);
    expect((await invoicedMismatches()).wrong).toBe(0);
  });
});
