/** Working through many rows: SQL in chunks, and a turn for the event loop now and then. */
import { type RawBuilder, sql } from 'kysely';
import { logger } from '../../../stack/logger';
import { copyRows, type ImportTransaction } from './copy';

const log = logger('import');

/** Rows per INSERT ... SELECT FROM unnest(...) (the inserts with ON CONFLICT): one parameter per column whatever the count. */
export const BATCH = 10_000;

/** Row loops give the event loop a turn this often, so /healthz and other requests are answered meanwhile. */
export const YIELD_EVERY = 2_000;
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * Selects rows whose key is in `keys`, a chunk at a time; the query compares with `= anyOf(chunk)`: one array
 * parameter rather than a list of as many parameters as keys (each of which PostgreSQL would parse and bind).
 */
export async function selectIn<R>(keys: string[], query: (chunk: string[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (const chunk of chunks([...new Set(keys)], 50_000)) out.push(...(await query(chunk)));
  return out;
}

/** `any($1::text[])` (or another element type): the right-hand side of `where(column, '=', anyOf(keys))`. */
export const anyOf = <T extends string | number>(keys: T[], type: 'text' | 'bigint' = 'text') =>
  sql<T>`any(${arrayLiteral(keys)}::${sql.raw(type)}[])`;

/** A column an insert writes: its name, its SQL type (an array of it is what is sent), and its value in a row. */
export interface Column<R> {
  name: string;
  type: 'text' | 'bigint' | 'integer' | 'date' | 'timestamptz' | 'jsonb' | 'boolean';
  value: (row: R) => unknown;
}

/**
 * Inserts rows into `table`, in the import's transaction. Without `then`: one `COPY table (columns) FROM STDIN`
 * of them all (copy.ts), PostgreSQL's fastest path (rows batched into pages, one WAL record per batch; triggers
 * fire as for an INSERT). With `then` (an ON CONFLICT clause, which COPY has not):
 * `insert into t (...) select * from unnest($1::text[], $2::bigint[], ...) <then>`, BATCH rows a statement, one
 * array parameter per column; the next chunk's arrays are built while PostgreSQL runs the statement before it.
 * Columns not named get their defaults. Calls `wrote` as rows go.
 */
export async function insertRows<R>(
  tx: ImportTransaction,
  table: string,
  columns: Column<R>[],
  rows: R[],
  { then, wrote }: { then?: RawBuilder<unknown>; wrote?: (count: number) => void } = {},
): Promise<void> {
  const started = performance.now();
  const done = (how: string) =>
    log.debug({ table, rows: rows.length, how, ms: Math.round(performance.now() - started) }, 'rows written');
  if (!then) {
    await copyRows(
      tx.client,
      table,
      columns.map((c) => c.name),
      rows,
      (row) => columns.map((c) => c.value(row)),
      wrote,
    );
    done('copy');
    return;
  }
  let running: { statement: Promise<unknown>; rows: number } | undefined;
  const finish = async () => {
    if (!running) return;
    await running.statement;
    wrote?.(running.rows);
  };
  for (const chunk of chunks(rows, BATCH)) {
    const arrays: RawBuilder<unknown>[] = [];
    for (const c of columns) {
      arrays.push(sql`${arrayLiteral(chunk.map(c.value))}::${sql.raw(c.type)}[]`);
      await yieldToLoop(); // a column of 10,000 values at a time, so requests are answered meanwhile
    }
    await finish();
    const statement = sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c.name)))})
      select * from unnest(${sql.join(arrays)}) ${then}`.execute(tx.trx);
    // Awaited at the next chunk or at the end; until then a failure must not count as unhandled.
    statement.catch(() => undefined);
    running = { statement, rows: chunk.length };
  }
  await finish();
  done('insert ... on conflict');
}

/** A PostgreSQL array literal of the values, each quoted with `"` and `\` escaped, NULL for null; instants in ISO 8601. */
export function arrayLiteral(values: unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    if (v === null || v === undefined) out += 'NULL';
    else {
      const text = v instanceof Date ? v.toISOString() : String(v);
      out += `"${text.replace(/[\\"]/g, '\\$&')}"`;
    }
  }
  return `${out}}`;
}
