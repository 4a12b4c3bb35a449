/** Working through many rows: SQL in chunks, and a turn for the event loop now and then. */

/** Rows per INSERT. */
export const BATCH = 1000;

/** Row loops give the event loop a turn this often, so /healthz and other requests are answered meanwhile. */
export const YIELD_EVERY = 2_000;
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Selects rows whose key is in `keys`, a chunk at a time (PostgreSQL takes at most 65,535 parameters). */
export async function selectIn<R>(keys: string[], query: (chunk: string[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (const chunk of chunks([...new Set(keys)], 10_000)) out.push(...(await query(chunk)));
  return out;
}
