/** A numeric or bigint aggregate as PostgreSQL returns it (a string, or null over no rows) as a number. */
export function num(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}
