/**
 * The import's one transaction on one pg client of its own, so its rows can be written with COPY ... FROM STDIN
 * (the copy protocol, which kysely does not speak) while every other statement of the import — the cross-check's
 * selects, the ON CONFLICT inserts, the updates, the transaction-local settings — runs through kysely on the
 * same client, in the same transaction.
 */
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type Db, poolOf } from '../../../db/connect';
import type { Database } from '../../../db/schema';

/** The import's transaction: kysely for its statements, and the client under it for its COPYs. */
export interface ImportTransaction {
  trx: Db;
  client: pg.PoolClient;
}

/**
 * Runs `work` in one transaction on one client taken from `db`'s pool (BEGIN, then COMMIT, or ROLLBACK if it
 * throws: kysely's transaction, on a Kysely bound to that client alone). The client goes back to the pool after;
 * after a failure it is closed instead (the pool opens another), whatever state a broken COPY left it in.
 */
export async function inOneTransaction<T>(db: Db, work: (tx: ImportTransaction) => Promise<T>): Promise<T> {
  const pool = poolOf(db);
  if (!pool) throw new Error('the historical import needs a Db made by connect() (it takes a client of its pool)');
  const client = await pool.connect();
  // kysely releases what its pool lent after each use; this client stays the import's until the end.
  const lent = {
    query: client.query.bind(client) as PostgresPoolClient['query'],
    release: () => undefined,
  };
  const onePool: PostgresPool = { connect: async () => lent, end: async () => undefined };
  const scoped = new Kysely<Database>({ dialect: new PostgresDialect({ pool: onePool }) });
  let failure: Error | undefined;
  try {
    return await scoped.transaction().execute((trx) => work({ trx, client }));
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(failure);
  }
}

/** Rows per write to the COPY stream; the event loop gets a turn after each. */
const COPY_CHUNK = 1_000;

/**
 * `COPY table (columns) FROM STDIN` (text format) of the rows, each value given by `values(row)` in column order.
 * Written a chunk at a time, waiting for the stream to drain when the server is behind, and giving the event loop a
 * turn after each chunk. Calls `wrote` after each chunk. If the server refuses a row the COPY ends with its error;
 * if this process fails first, the COPY is abandoned (CopyFail): either way the caller's transaction rolls back.
 */
export async function copyRows<R>(
  client: pg.PoolClient,
  table: string,
  columns: string[],
  rows: R[],
  values: (row: R) => unknown[],
  wrote?: (count: number) => void,
): Promise<void> {
  if (rows.length === 0) return;
  const stream = client.query(copyFrom(`copy ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) from stdin`));
  // The server's refusal ends the COPY (it drops whatever data follows). The stream is destroyed at once, in the
  // listener, while it still knows its connection: the chunks it still holds are dropped instead of being sent
  // on a connection it has let go of. Listened to for good: a destroyed stream may emit again.
  let refused: Error | undefined;
  let refusal: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (refusal = reject));
  failed.catch(() => undefined);
  stream.on('error', (error) => {
    if (refused) return;
    refused = error;
    stream.destroy();
    refusal(error);
  });
  const settled = (event: 'drain' | 'finish') =>
    Promise.race([new Promise<void>((resolve) => stream.once(event, () => resolve())), failed]);
  try {
    for (let start = 0; start < rows.length; start += COPY_CHUNK) {
      if (refused) throw refused;
      const end = Math.min(rows.length, start + COPY_CHUNK);
      let text = '';
      for (let i = start; i < end; i++) text += copyLine(values(rows[i]));
      if (!stream.write(text)) await settled('drain');
      wrote?.(end - start);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (refused) throw refused;
    stream.end();
    // 'finish' comes once the server has answered the end of the data: the rows are in (or its error came).
    await settled('finish');
  } catch (error) {
    if (refused) throw refused;
    // Ours, not the server's: tell the server to abandon the COPY (CopyFail), so the connection leaves copy mode.
    stream.destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** One row of COPY's text format: values separated by tabs, NULL as \N, ended by a newline. */
export function copyLine(values: unknown[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    line += copyValue(values[i]);
  }
  return `${line}\n`;
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * A value in COPY's text format: null (or undefined) is \N; an instant is its ISO 8601 text; anything else its
 * text (jsonb: the JSON text) with backslash, tab, newline and carriage return escaped — the characters that
 * would otherwise end the value or the row, or start an escape.
 */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c]) : text;
}
