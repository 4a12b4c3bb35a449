import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../db/connect';
import { AGING_BUCKETS, type AgingBucket } from '../domain/aging';
import { GRADES, type Grade } from '../domain/contract-rules';
import type { LocalDate } from '../domain/dates';
import { fromMinor } from '../domain/money';
import { UNBILLED_EXCLUDED_STAGES } from '../services/credit-holds';
import { openReceivablesAsOf } from './reports/as-of';

/**
 * The customers list (GET /api/v1/customers, the console's Customers page): search, filters, sorts and
 * offset pagination in SQL, each row with its grade, limit, exposure and hold. Exposure is what the credit
 * rule compares with the limit (services/credit-holds.ts, creditPositions): open receivables in the
 * customer's currency + the approved contracts' value not yet invoiced, the latter from the invoiced sum
 * each contract keeps (migration 0016). Sorted by name, code or grade, only the page's customers are
 * summed; sorted by exposure, every matching customer is (two index-only scans, about 0.1 s at 5,000
 * customers, 200,000 contracts and a million invoices).
 */

export const CUSTOMER_SORT_KEYS = ['name', 'code', 'grade', 'exposure', 'agingBalance'] as const;
export type CustomerSortKey = (typeof CUSTOMER_SORT_KEYS)[number];
/** `key` ascending, `-key` descending. */
export const CUSTOMER_SORTS = CUSTOMER_SORT_KEYS.flatMap((key) => [key, `-${key}`] as const);
export type CustomerSortText = (typeof CUSTOMER_SORTS)[number];
/** The largest exposure first: where the credit risk is. */
export const DEFAULT_CUSTOMER_SORT: CustomerSortText = '-exposure';
export const DEFAULT_CUSTOMER_LIMIT = 50;
export const MAX_CUSTOMER_LIMIT = 200;
export const MAX_CUSTOMER_OFFSET = 1_000_000;

/** A grade, or "none": a customer without one yet (new). */
export const GRADE_FILTERS = [...GRADES, 'none'] as const;
export type GradeFilter = (typeof GRADE_FILTERS)[number];
/** On hold (either source), not on hold, on automatic hold, on manual hold. */
export const HOLD_FILTERS = ['on', 'off', 'auto', 'manual'] as const;
export type HoldFilter = (typeof HOLD_FILTERS)[number];

export type AgingBucketKey = AgingBucket['key'];
export const AGING_BUCKET_KEYS = AGING_BUCKETS.map((b) => b.key);

export interface CustomerListQuery {
  /** Part of the code or the name, any case. */
  q?: string;
  grades?: readonly GradeFilter[];
  hold?: HoldFilter;
  /** Only customers with receivables in this aging bucket as of the date (the dashboard's aging drill-down). */
  aging?: { bucket: AgingBucketKey; asOf: LocalDate; timeZone: string };
  sort: CustomerSortText;
  limit: number;
  offset: number;
}

type Money = { value: string; currency: string };

export interface CustomerListItem {
  code: string;
  name: string;
  /** The grade in force (an active override, else the computed grade, else the one given); null: new. */
  grade: Grade | null;
  creditLimit: Money;
  /** The limit in force today: an active limit override, else the credit limit. */
  effectiveCreditLimit: Money;
  exposure: { openReceivables: Money; approvedUnbilled: Money; total: Money; overLimit: boolean };
  creditHold: boolean;
  creditHoldSource: 'auto' | 'manual' | null;
  creditHoldReason: string | null;
  /** With the aging filter: the customer's receivables in the bucket on the date. */
  agingBalance?: Money;
}

export interface CustomerListPage {
  customers: CustomerListItem[];
  total: number;
  offset: number;
  limit: number;
  /** The offset of the next page; null on the last one. */
  next: number | null;
  aging: { bucket: AgingBucketKey; asOf: LocalDate; timeZone: string } | null;
}

interface ListRow {
  code: string;
  name: string;
  grade: Grade | null;
  currency: string;
  credit_limit_minor: number;
  effective_limit_minor: number;
  open_minor: number;
  unbilled_minor: number;
  exposure_minor: number;
  credit_hold: boolean;
  hold_source: string | null;
  credit_hold_reason: string | null;
  aging_minor: number | null;
  total: number;
}

/** `like` pattern characters taken literally (PostgreSQL's default escape character is the backslash). */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function parseSort(sort: CustomerSortText): { key: CustomerSortKey; descending: boolean } {
  const descending = sort.startsWith('-');
  return { key: (descending ? sort.slice(1) : sort) as CustomerSortKey, descending };
}

/** The order of each sort; every one ends with the code, so pages neither repeat nor skip a customer. */
function orderBy(key: CustomerSortKey, descending: boolean): RawBuilder<unknown> {
  const dir = sql.raw(descending ? 'desc' : 'asc');
  switch (key) {
    case 'name':
      return sql`name ${dir}, code ${dir}`;
    case 'code':
      return sql`code ${dir}`;
    case 'grade':
      return sql`grade ${dir} nulls last, name, code`;
    // Amounts in different currencies are not comparable: by currency first, as the contracts list does.
    case 'exposure':
      return sql`currency, exposure_minor ${dir}, code`;
    case 'agingBalance':
      return sql`aging_minor ${dir}, code`;
  }
}

// Literals, not parameters: the planner matches them with the partial index customers_list_unbilled.
const NOT_APPROVED = sql.join(UNBILLED_EXCLUDED_STAGES.map((stage) => sql.lit(stage)));

/** Whether the sort needs the figures of every matching customer, not only the page's. */
const sortsByFigures = (key: CustomerSortKey) => key === 'exposure' || key === 'agingBalance';

function matchingCustomers(query: CustomerListQuery): RawBuilder<unknown> {
  const conditions: RawBuilder<unknown>[] = [sql`true`];
  if (query.q !== undefined) {
    const pattern = `%${escapeLike(query.q)}%`;
    conditions.push(sql`(c.code ilike ${pattern} or c.name ilike ${pattern})`);
  }
  if (query.grades !== undefined && query.grades.length > 0) {
    const grades = query.grades.filter((g) => g !== 'none');
    const none = query.grades.includes('none') ? sql`c.grade is null` : sql`false`;
    conditions.push(grades.length > 0 ? sql`(c.grade = any(${grades}::text[]) or ${none})` : none);
  }
  if (query.hold === 'on') conditions.push(sql`c.credit_hold`);
  if (query.hold === 'off') conditions.push(sql`not c.credit_hold`);
  if (query.hold === 'auto') conditions.push(sql`c.credit_hold and c.hold_source = 'auto'`);
  if (query.hold === 'manual') conditions.push(sql`c.credit_hold and coalesce(c.hold_source, 'manual') = 'manual'`);
  return sql`
    select c.code, c.name, c.grade, c.currency, c.credit_limit_minor, c.credit_hold, c.hold_source, c.credit_hold_reason,
      case when c.limit_override_minor is not null and c.limit_override_until >= (now() at time zone c.time_zone)::date
           then c.limit_override_minor else c.credit_limit_minor end as effective_limit_minor
    from customers c where ${sql.join(conditions, sql` and `)}`;
}

/** The customer's receivables in one aging bucket as of a date, as the aging report computes them. */
function agedBalances(aging: NonNullable<CustomerListQuery['aging']>): RawBuilder<unknown> {
  const bucket = AGING_BUCKETS.find((b) => b.key === aging.bucket)!;
  const pastDue = sql`${aging.asOf}::date - o.due_date`;
  const bounds = [
    ...(bucket.minDays === null ? [] : [sql`${pastDue} >= ${bucket.minDays}`]),
    ...(bucket.maxDays === null ? [] : [sql`${pastDue} <= ${bucket.maxDays}`]),
  ];
  return sql`
    select o.customer_code, sum(o.balance_minor)::bigint as minor
    from (${openReceivablesAsOf(aging.asOf, aging.timeZone)}) o
    join matching m on m.code = o.customer_code and m.currency = o.currency
    where ${sql.join(bounds, sql` and `)}
    group by o.customer_code`;
}

/** One page of customers with their exposure. */
export async function customerList(db: Db, query: CustomerListQuery): Promise<CustomerListPage> {
  const { key, descending } = parseSort(query.sort);
  const order = orderBy(key, descending);
  const aging = query.aging;
  const candidates = aging
    ? sql`select m.*, a.minor as aging_minor from matching m join aged a on a.customer_code = m.code`
    : sql`select m.*, null::bigint as aging_minor from matching m`;
  // Sorted by name, code or grade, the page is chosen first and only its customers are summed.
  const scope = sortsByFigures(key)
    ? sql`select * from candidates`
    : sql`select *, count(*) over () as total from candidates order by ${order} limit ${query.limit} offset ${query.offset}`;
  const ranked = sortsByFigures(key)
    ? sql`select *, count(*) over () as total from listed order by ${order} limit ${query.limit} offset ${query.offset}`
    : sql`select * from listed order by ${order}`;
  const result = await sql<ListRow>`
    with matching as (${matchingCustomers(query)}),
    aged as (${aging ? agedBalances(aging) : sql`select null::text as customer_code, 0::bigint as minor where false`}),
    candidates as (${candidates}),
    scope as materialized (${scope}),
    open_ar as (
      select i.customer_code, i.currency, sum(i.balance_minor)::bigint as minor from invoices i
      where i.status = 'open' and i.customer_code in (select code from scope) group by i.customer_code, i.currency
    ),
    unbilled as (
      select k.customer_code, k.currency, sum(greatest(0, k.amount_minor - k.invoiced_minor))::bigint as minor from contracts k
      where k.stage not in (${NOT_APPROVED}) and k.customer_code in (select code from scope) group by k.customer_code, k.currency
    ),
    listed as (
      select s.*, coalesce(o.minor, 0)::bigint as open_minor, coalesce(u.minor, 0)::bigint as unbilled_minor,
        (coalesce(o.minor, 0) + coalesce(u.minor, 0))::bigint as exposure_minor
      from scope s
      left join open_ar o on o.customer_code = s.code and o.currency = s.currency
      left join unbilled u on u.customer_code = s.code and u.currency = s.currency
    )
    ${ranked}`.execute(db);
  const rows = result.rows;
  const total = rows.length > 0 ? Number(rows[0].total) : await countBeyondLastPage(db, query);
  const next = query.offset + rows.length < total ? query.offset + rows.length : null;
  return {
    customers: rows.map(listItem),
    total,
    offset: query.offset,
    limit: query.limit,
    next,
    aging: aging ?? null,
  };
}

/** An offset past the end returns no rows, so no row carries the count: counted on its own then. */
async function countBeyondLastPage(db: Db, query: CustomerListQuery): Promise<number> {
  if (query.offset === 0) return 0;
  const result = await sql<{ total: number }>`
    with matching as (${matchingCustomers(query)}),
    aged as (${query.aging ? agedBalances(query.aging) : sql`select null::text as customer_code where false`})
    select count(*)::int as total from matching m
    ${query.aging ? sql`join aged a on a.customer_code = m.code` : sql``}`.execute(db);
  return result.rows[0].total;
}

function listItem(row: ListRow): CustomerListItem {
  const money = (minor: number) => fromMinor(Number(minor), row.currency);
  return {
    code: row.code,
    name: row.name,
    grade: row.grade,
    creditLimit: money(row.credit_limit_minor),
    effectiveCreditLimit: money(row.effective_limit_minor),
    exposure: {
      openReceivables: money(row.open_minor),
      approvedUnbilled: money(row.unbilled_minor),
      total: money(row.exposure_minor),
      overLimit: Number(row.exposure_minor) > Number(row.effective_limit_minor),
    },
    creditHold: row.credit_hold,
    creditHoldSource: row.credit_hold ? (row.hold_source === 'auto' ? 'auto' : 'manual') : null,
    creditHoldReason: row.credit_hold_reason,
    ...(row.aging_minor === null ? {} : { agingBalance: money(row.aging_minor) }),
  };
}
