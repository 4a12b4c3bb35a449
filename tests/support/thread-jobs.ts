/** Jobs for the thread pool's own tests. */
export function add(a: number, b: number): number {
  return a + b;
}

/** Keeps its thread busy for `ms` without yielding, as a heavy computation would. */
export function spin(ms: number): number {
  const end = Date.now() + ms;
  let turns = 0;
  while (Date.now() < end) turns += 1;
  return turns;
}

export async function fail(message: string): Promise<never> {
  throw Object.assign(new RangeError(message), { field: 'amount' });
}
