import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../db/connect';
import { fromMinor } from '../domain/money';
import { invalidInput } from '../domain/refusal';
import type { Stage } from '../domain/stages';

/**
 * The contracts list (GET /api/v1/contracts, the console's contracts page): search, filters, sorts and
 * keyset pagination, all in SQL. Every sort ends with the contract number, so the order is total (ties
 * in amount or time are broken by number) and a page continues strictly after the last row of the one
 * before: no duplicates or gaps however many rows share a sort value. Indexes: migration 0014.
 */

export const CONTRACT_SORT_KEYS = ['no', 'amount', 'stageChangedAt', 'createdAt'] as const;
export type ContractSortKey = (typeof CONTRACT_SORT_KEYS)[number];
/** `key` ascending, `-key` descending. */
export const CONTRACT_SORTS = CONTRACT_SORT_KEYS.flatMap((key) => [key, `-${key}`] as const);
export type ContractSortText = (typeof CONTRACT_SORTS)[number];
/** Most recently moved first: what changed lately on top, long-closed contracts at the end. */
export const DEFAULT_CONTRACT_SORT: ContractSortText = '-stageChangedAt';
export const DEFAULT_CONTRACT_LIMIT = 50;
export const MAX_CONTRACT_LIMIT = 200;

export interface ContractListQuery {
  /** Contract number prefix, or a substring of the title, the customer's code or name; case-insensitive. */
  q?: string;
  /** Any of these stages. */
  stages?: readonly Stage[];
  /** The account owner's name. */
  owner?: string;
  department?: string;
  /** The customer's code. */
  customer?: string;
  sort: ContractSortText;
  limit: number;
  /** The `next` of the previous page, for the same sort. */
  cursor?: string;
}

export interface ContractListItem {
  no: string;
  title: string;
  customer: { code: string; name: string };
  amount: { value: string; currency: string };
  stage: Stage;
  stageChangedAt: Date;
  daysInStage: number;
  accountOwner: string | null;
  department: string | null;
  createdAt: Date;
}

export interface ContractListPage {
  contracts: ContractListItem[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next: string | null;
}

type KeyKind = 'text' | 'integer' | 'instant';

interface SortKeyColumn {
  column: 'c.no' | 'c.currency' | 'c.amount_minor' | 'c.stage_changed_at' | 'c.created_at';
  kind: KeyKind;
}

/**
 * The columns of each sort, in order; the number last. Amounts in different currencies are not
 * comparable (no exchange rates here), so "amount" sorts by currency, then by amount within it.
 */
const SORT_COLUMNS: Record<ContractSortKey, readonly SortKeyColumn[]> = {
  no: [{ column: 'c.no', kind: 'text' }],
  amount: [
    { column: 'c.currency', kind: 'text' },
    { column: 'c.amount_minor', kind: 'integer' },
    { column: 'c.no', kind: 'text' },
  ],
  stageChangedAt: [
    { column: 'c.stage_changed_at', kind: 'instant' },
    { column: 'c.no', kind: 'text' },
  ],
  createdAt: [
    { column: 'c.created_at', kind: 'instant' },
    { column: 'c.no', kind: 'text' },
  ],
};

const DAY_MS = 86_400_000;
/** An instant in a cursor keeps PostgreSQL's microseconds: a JavaScript Date (milliseconds) would skip rows. */
const EXACT_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const MAX_CURSOR_TEXT = 200;

function parseSort(sort: ContractSortText): { key: ContractSortKey; descending: boolean } {
  const descending = sort.startsWith('-');
  return { key: (descending ? sort.slice(1) : sort) as ContractSortKey, descending };
}

/** `like` pattern characters taken literally (PostgreSQL's default escape character is the backslash). */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

type KeyValue = string | number;

function encodeCursor(sort: ContractSortText, values: KeyValue[]): string {
  return Buffer.from(JSON.stringify({ sort, after: values }), 'utf8').toString('base64url');
}

function validKeyValue(value: unknown, kind: KeyKind): value is KeyValue {
  switch (kind) {
    case 'text':
      return typeof value === 'string' && value.length <= MAX_CURSOR_TEXT;
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'instant':
      // A well-formed instant that is also a real one (no 2026-02-30, no hour 25).
      return (
        typeof value === 'string' &&
        EXACT_INSTANT.test(value) &&
        !Number.isNaN(Date.parse(value)) &&
        new Date(value).toISOString().slice(0, 23) === value.slice(0, 23)
      );
  }
}

/** The sort values of the row a page ended with, from a cursor this list returned for the same sort. */
function decodeCursor(cursor: string, sort: ContractSortText): KeyValue[] {
  const refused = (why: string) =>
    invalidInput('cursor', `${why}; pass the "next" of the previous page unchanged, or start again without a cursor`);
  let decoded: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refused('is not a cursor of this list');
  }
  const { sort: cursorSort, after } = (decoded ?? {}) as { sort?: unknown; after?: unknown };
  if (typeof cursorSort !== 'string' || !Array.isArray(after)) throw refused('is not a cursor of this list');
  if (cursorSort !== sort) throw refused(`belongs to sort ${cursorSort}, not ${sort}`);
  const columns = SORT_COLUMNS[parseSort(sort).key];
  if (after.length !== columns.length || !after.every((value, i) => validKeyValue(value, columns[i].kind)))
    throw refused('is not a cursor of this list');
  return after as KeyValue[];
}

/** `(a, b) > (x, y)`: rows after the cursor's row in the sort order; the same direction on every column keeps it indexable. */
function afterCursor(columns: readonly SortKeyColumn[], values: KeyValue[], descending: boolean): RawBuilder<SqlBool> {
  const refs = columns.map(({ column }) => sql.ref(column));
  const params = columns.map(({ kind }, i) =>
    kind === 'instant' ? sql`cast(${values[i]} as timestamptz)` : sql`${values[i]}`,
  );
  return sql<SqlBool>`(${sql.join(refs)}) ${sql.raw(descending ? '<' : '>')} (${sql.join(params)})`;
}

/** An instant column as exact UTC text with microseconds, for the cursor. */
const exactInstant = (column: string) =>
  sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The contracts that match the search and filters and come after the cursor, unsorted. */
function matchingContracts(db: Db, query: ContractListQuery, after: RawBuilder<SqlBool> | undefined) {
  let select = db.selectFrom('contracts as c').selectAll('c');
  if (query.q !== undefined) {
    const text = escapeLike(query.q);
    select = select.where((eb) =>
      eb.or([
        eb('c.no', 'ilike', `${text}%`),
        eb('c.title', 'ilike', `%${text}%`),
        // The customers matching by code or name, read once: a hash lookup per contract.
        eb(
          'c.customer_code',
          'in',
          eb
            .selectFrom('customers as m')
            .select('m.code')
            .where((m) => m.or([m('m.code', 'ilike', `%${text}%`), m('m.name', 'ilike', `%${text}%`)])),
        ),
      ]),
    );
  }
  if (query.stages !== undefined && query.stages.length > 0) select = select.where('c.stage', 'in', query.stages);
  if (query.owner !== undefined) select = select.where('c.account_owner', '=', query.owner);
  if (query.department !== undefined) select = select.where('c.department', '=', query.department);
  if (query.customer !== undefined) select = select.where('c.customer_code', '=', query.customer);
  if (after) select = select.where(after);
  return select;
}

/** One page of contracts; `now` fixes the days in stage. */
export async function contractList(db: Db, query: ContractListQuery, now = new Date()): Promise<ContractListPage> {
  const { key, descending } = parseSort(query.sort);
  const columns = SORT_COLUMNS[key];
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, query.sort);
  const instantColumn = columns.find((c) => c.kind === 'instant')?.column;

  // Without a search, PostgreSQL reads the sort's index from the cursor on and stops after a page. A search's
  // share of rows cannot be estimated (ILIKE '%…%'): walking the index for a rare match would visit every
  // contract one by one, so the matches are collected first (one scan) and only they are sorted (materialized).
  let select = db
    .with(
      (cte) => (query.q === undefined ? cte('matches') : cte('matches').materialized()),
      () => matchingContracts(db, query, after && afterCursor(columns, after, descending)),
    )
    .selectFrom('matches as c')
    .innerJoin('customers as cu', 'cu.code', 'c.customer_code')
    .select([
      'c.no',
      'c.title',
      'c.customer_code',
      'cu.name as customer_name',
      'c.amount_minor',
      'c.currency',
      'c.stage',
      'c.stage_changed_at',
      'c.account_owner',
      'c.department',
      'c.created_at',
      (instantColumn ? exactInstant(instantColumn) : sql<string>`null`).as('sort_instant'),
    ]);
  for (const { column } of columns) select = select.orderBy(column, descending ? 'desc' : 'asc');

  // One row more than the page tells whether another page follows.
  const rows = await select.limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const keyValues = (row: typeof last): KeyValue[] =>
    columns.map(({ column, kind }) => {
      if (kind === 'instant') return row.sort_instant;
      if (column === 'c.currency') return row.currency;
      if (column === 'c.amount_minor') return row.amount_minor;
      return row.no;
    });
  return {
    contracts: page.map((row) => ({
      no: row.no,
      title: row.title,
      customer: { code: row.customer_code, name: row.customer_name },
      amount: fromMinor(row.amount_minor, row.currency),
      stage: row.stage,
      stageChangedAt: row.stage_changed_at,
      daysInStage: Math.max(0, Math.floor((now.getTime() - row.stage_changed_at.getTime()) / DAY_MS)),
      accountOwner: row.account_owner,
      department: row.department,
      createdAt: row.created_at,
    })),
    next: rows.length > query.limit && last ? encodeCursor(query.sort, keyValues(last)) : null,
  };
}

/** Who a contract is with and who sells it: what the contract's page shows beside contractView. */
export interface ContractParties {
  customerName: string;
  accountOwner: string | null;
  department: string | null;
  createdBy: string;
  createdAt: Date;
}

/** The parties of one contract, by its number (primary key); undefined when there is no such contract. */
export async function contractParties(db: Db, no: string): Promise<ContractParties | undefined> {
  const row = await db
    .selectFrom('contracts as c')
    .innerJoin('customers as cu', 'cu.code', 'c.customer_code')
    .select(['cu.name', 'c.account_owner', 'c.department', 'c.created_by', 'c.created_at'])
    .where('c.no', '=', no)
    .executeTakeFirst();
  return (
    row && {
      customerName: row.name,
      accountOwner: row.account_owner,
      department: row.department,
      createdBy: row.created_by,
      createdAt: row.created_at,
    }
  );
}
