/**
 * The go-live import writes its rows with COPY ... FROM STDIN on the client of its one transaction
 * (services/imports/historical/copy.ts). Against the real server: values come back exactly as sent (COPY's text
 * format escaping), the COPY and kysely's statements share the transaction, and a COPY that fails half way —
 * refused by the server, or abandoned by this process — leaves nothing written and the pool as usable as before.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolOf } from '../../db/connect';
import { copyLine, copyRows, inOneTransaction } from '../../services/imports/historical/copy';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await sql`create table copy_probe (
      n integer primary key check (n >= 0),
      t text,
      j jsonb,
      at timestamptz,
      day date,
      minor bigint
    )`.execute(database.db);
});

afterAll(async () => {
  await database?.drop();
});

interface Probe {
  n: number;
  t: string | null;
  j: string | null;
  at: Date | null;
  day: string | null;
  minor: number | null;
}
const COLUMNS = ['n', 't', 'j', 'at', 'day', 'minor'];
const values = (p: Probe) => [p.n, p.t, p.j, p.at, p.day, p.minor];

const AWKWARD = [
  'plain',
  'a "quoted" name',
  "it's",
  'back\\slash\\',
  '\\N',
  '\\.',
  'tab\there',
  'new\nline',
  'carriage\rreturn\r\n',
  '',
  ' ',
  'NULL',
  '上海 回款 有限公司',
  'emoji 💴🧾',
  '{braces}, [brackets]',
  '\u0001 control',
];

async function probeRows(): Promise<Probe[]> {
  const { rows } =
    await sql<Probe>`select n, t, j::text as j, at, day::text as day, minor from copy_probe order by n`.execute(
      database.db,
    );
  return rows;
}

describe('the COPY text format the import writes', () => {
  it('escapes only what COPY reads specially', () => {
    expect(copyLine(['a\tb', 'c\\d', 'e\nf', 'g\rh', null, undefined, '', 7])).toBe(
      'a\\tb\tc\\\\d\te\\nf\tg\\rh\t\\N\t\\N\t\t7\n',
    );
    expect(copyLine([new Date('2026-03-01T16:00:00.000Z')])).toBe('2026-03-01T16:00:00.000Z\n');
  });

  it('round-trips quotes, backslashes, tabs, newlines, Chinese, emoji, NULL, blanks, jsonb and instants', async () => {
    const rows: Probe[] = AWKWARD.map((t, n) => ({
      n,
      t,
      j: JSON.stringify({ t, list: [t, null, 1.5], 名字: t }),
      at: new Date(Date.UTC(2026, 2, 1, 16, 0, n, n)),
      day: `2026-03-${String(n + 1).padStart(2, '0')}`,
      minor: n % 2 ? -(2 ** 52) + n : n * 1_000_003,
    }));
    rows.push({ n: rows.length, t: null, j: null, at: null, day: null, minor: null });
    rows.push({ n: rows.length, t: '', j: '"a string with \\\\ and \\t"', at: null, day: null, minor: 0 });
    await inOneTransaction(database.db, ({ client }) => copyRows(client, 'copy_probe', COLUMNS, rows, values));
    const back = await probeRows();
    expect(back.map((r) => r.t)).toEqual(rows.map((r) => r.t));
    // jsonb normalises its text (key order, spaces): compare as values.
    expect(back.map((r) => (r.j === null ? null : JSON.parse(r.j)))).toEqual(
      rows.map((r) => (r.j === null ? null : JSON.parse(r.j))),
    );
    expect(back.map((r) => r.at)).toEqual(rows.map((r) => r.at));
    expect(back.map((r) => r.day)).toEqual(rows.map((r) => r.day));
    expect(back.map((r) => r.minor)).toEqual(rows.map((r) => r.minor));
    await sql`truncate copy_probe`.execute(database.db);
  });

  it('shares the transaction with kysely: both see each other, nobody else sees either before the commit', async () => {
    const many = Array.from({ length: 30_000 }, (_, n) => ({
      n: n + 1,
      t: `row ${n}\t${'x'.repeat(n % 200)}`,
      j: null,
      at: null,
      day: null,
      minor: n,
    }));
    const seen = await inOneTransaction(database.db, async ({ trx, client }) => {
      await sql`insert into copy_probe (n, t) values (0, 'by kysely')`.execute(trx);
      await sql`select set_config('huikuan.copy_probe', 'on', true)`.execute(trx);
      await copyRows(client, 'copy_probe', COLUMNS, many, values);
      const inside = await sql<{ n: number; setting: string }>`
        select count(*)::int as n, current_setting('huikuan.copy_probe') as setting from copy_probe`.execute(trx);
      const outside = await sql<{ n: number }>`select count(*)::int as n from copy_probe`.execute(database.db);
      return { inside: inside.rows[0], outside: outside.rows[0].n };
    });
    expect(seen).toEqual({ inside: { n: 30_001, setting: 'on' }, outside: 0 });
    const back = await probeRows();
    expect(back).toHaveLength(30_001);
    expect(back[30_000].t).toBe(many[29_999].t);
    await sql`truncate copy_probe`.execute(database.db);
  });
});

describe('a COPY that fails half way', () => {
  const rows = (count: number, bad?: number) =>
    Array.from({ length: count }, (_, n) => ({
      n: n === bad ? -1 : n + 1,
      t: `row ${n} ${'y'.repeat(100)}`,
      j: null,
      at: null,
      day: null,
      minor: n,
    }));

  async function poolIsUsable(): Promise<void> {
    const pool = poolOf(database.db)!;
    // The pool holds at most 5 clients: had a failed transaction kept its client, the 6th would wait for one.
    for (let i = 0; i < 6; i++) {
      await inOneTransaction(database.db, ({ client }) => copyRows(client, 'copy_probe', COLUMNS, [], values));
    }
    const { rows: one } = await sql<{ one: number }>`select 1 as one`.execute(database.db);
    expect(one).toEqual([{ one: 1 }]);
    expect(pool.waitingCount).toBe(0);
    expect(pool.totalCount).toBeLessThanOrEqual(5);
  }

  it('refused by the server at a row in the middle: nothing written, not even what came before it', async () => {
    // Six times as many failures as the pool has clients: each must give its client back.
    for (let attempt = 0; attempt < 6; attempt++) {
      await expect(
        inOneTransaction(database.db, async ({ trx, client }) => {
          await sql`insert into copy_probe (n, t) values (1000000, 'before the copy')`.execute(trx);
          await copyRows(client, 'copy_probe', COLUMNS, rows(40_000, 20_000), values);
        }),
      ).rejects.toThrow(/copy_probe_n_check/);
    }
    expect(await probeRows()).toEqual([]);
    await poolIsUsable();
    // And the next COPY on the same pool writes.
    await inOneTransaction(database.db, ({ client }) => copyRows(client, 'copy_probe', COLUMNS, rows(3), values));
    expect(await probeRows()).toHaveLength(3);
    await sql`truncate copy_probe`.execute(database.db);
  });

  it('abandoned by this process half way (a value that cannot be made): nothing written, the pool usable', async () => {
    const broken = (p: Probe) => {
      if (p.n === 20_000) throw new Error('cannot make this row');
      return values(p);
    };
    for (let attempt = 0; attempt < 6; attempt++) {
      await expect(
        inOneTransaction(database.db, ({ client }) => copyRows(client, 'copy_probe', COLUMNS, rows(40_000), broken)),
      ).rejects.toThrow('cannot make this row');
    }
    expect(await probeRows()).toEqual([]);
    await poolIsUsable();
  });
});
