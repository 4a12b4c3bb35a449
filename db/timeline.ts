import { type Compilable, type Insertable, type Kysely, type RawBuilder, sql } from 'kysely';
import type { Actor } from '../domain/roles';
import type { Database, TimelineTable } from './schema';
import { type Stage } from '../domain/stages';

export interface TimelineEntry {
  /** Unique per fact, so a retried write adds nothing. */
  eventKey: string;
  /** A contract's event, or a customer's (credit hold) when contractNo is absent. */
  contractNo?: string;
  customerCode?: string;
  invoiceNo?: string;
  at: Date;
  actor: Actor;
  action: string;
  fromStage?: Stage;
  toStage?: Stage;
  reason?: string;
  details?: Record<string, unknown>;
}

export function timelineRow(entry: TimelineEntry): Insertable<TimelineTable> {
  return {
    event_key: entry.eventKey,
    contract_no: entry.contractNo ?? null,
    customer_code: entry.customerCode ?? null,
    invoice_no: entry.invoiceNo ?? null,
    at: entry.at,
    actor_name: entry.actor.name,
    actor_role: entry.actor.role,
    action: entry.action,
    from_stage: entry.fromStage ?? null,
    to_stage: entry.toStage ?? null,
    reason: entry.reason ?? null,
    details: JSON.stringify(entry.details ?? {}),
  };
}

export async function appendTimeline(db: Kysely<Database>, entry: TimelineEntry): Promise<void> {
  await db
    .insertInto('timeline')
    .values(timelineRow(entry))
    .onConflict((oc) => oc.column('event_key').doNothing())
    .execute();
}

/**
 * Runs a change (an UPDATE … RETURNING, as SQL) and appends the entry that records it in one statement, so
 * both are written or neither, in one round trip instead of a transaction's four. The entry is appended only
 * when the change returned a row; a retried write adds nothing.
 */
export async function changeWithTimeline(
  db: Kysely<Database>,
  change: ReturnType<typeof sql>,
  entry: TimelineEntry,
): Promise<void> {
  const { columns, values } = timelineInsertParts(entry);
  await sql`with change as (${change})
    insert into timeline (${columns})
    select ${values} from change
    on conflict (event_key) do nothing`.execute(db);
}

/**
 * Appends an entry after other writes, all in one statement (the writes as data-modifying WITH queries),
 * so all of it is written or none; the entry only while `onlyIf` holds, so a retried write adds nothing.
 */
export async function insertTimelineAfter(
  db: Kysely<Database>,
  writes: Compilable[],
  entry: TimelineEntry,
  onlyIf: RawBuilder<boolean>,
): Promise<void> {
  const { columns, values } = timelineInsertParts(entry);
  const withWrites =
    writes.length > 0
      ? sql`with ${sql.join(writes.map((write, index) => sql`${sql.raw(`write_${index}`)} as (${write})`))} `
      : sql``;
  await sql`${withWrites}insert into timeline (${columns})
    select ${values} where ${onlyIf}
    on conflict (event_key) do nothing`.execute(db);
}

/** An entry as the column list and the values of an `insert into timeline (…) select …`. */
function timelineInsertParts(entry: TimelineEntry) {
  const row = timelineRow(entry);
  return {
    columns: sql.join(Object.keys(row).map((column) => sql.ref(column))),
    values: sql.join(Object.values(row).map((value) => sql`${value}`)),
  };
}
