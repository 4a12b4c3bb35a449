import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/connect';
import { AGING_BUCKETS, type AgingBucket } from '../../domain/aging';
import type { LocalDate } from '../../domain/dates';
import { openReceivablesAsOf } from './as-of';
import { type Cell, column, decimal, money, type Report, type ReportTable } from './table';

export const AGING_GROUPS = ['customer', 'owner', 'contract', 'department'] as const;
export type AgingGroup = (typeof AGING_GROUPS)[number];

export interface AgingQuery {
  asOf: LocalDate;
  timeZone: string;
  groupBy: AgingGroup;
  /** The largest `limit` lines (by total, then key) from `offset`: a top-N or a page. Every line when absent. */
  limit?: number;
  offset?: number;
}

/** Most lines one answer pages through (aging by contract has one per contract with an open invoice). */
export const MAX_AGING_LIMIT = 1000;

type BucketMinor = Record<AgingBucket['key'], number>;

export interface AgingLine extends BucketMinor {
  /** Customer code, owner, contract number or department; null when the contract names none. */
  key: string | null;
  name: string | null;
  currency: string;
  invoices: number;
  total: number;
}

/**
 * How the open receivables (o) are summed and named:
 * - `by`, the group they are summed into (s.group_code), and `source`, what they are joined to for it
 *   (the contract (c) whose owner or department groups them);
 * - `key`/`name` of a line and `join`, the customer (cu) naming its sums;
 * - `pageName`, for the contract grouping, the title read only for the lines of the page (n.key is the
 *   contract number): joined through the primary key after ranking, not for every contract with an
 *   open invoice (invoices.contract_no is a non-null reference to contracts, so no line is lost).
 */
const GROUPINGS: Record<
  AgingGroup,
  {
    by: RawBuilder<unknown>;
    source: RawBuilder<unknown>;
    key: RawBuilder<unknown>;
    name: RawBuilder<unknown>;
    join: RawBuilder<unknown>;
    pageName?: RawBuilder<unknown>;
    header: string;
  }
> = {
  customer: {
    by: sql`o.customer_code`,
    source: sql``,
    key: sql`s.group_code`,
    name: sql`cu.name`,
    join: sql`join customers cu on cu.code = s.group_code`,
    header: 'Customer 客户',
  },
  owner: {
    by: sql`c.account_owner`,
    source: sql`join contracts c on c.no = o.contract_no`,
    key: sql`s.group_code`,
    name: sql`s.group_code`,
    join: sql``,
    header: 'Owner 负责人',
  },
  contract: {
    by: sql`o.contract_no`,
    source: sql``,
    key: sql`s.group_code`,
    name: sql`null::text`,
    join: sql``,
    pageName: sql`(select c.title from contracts c where c.no = n.key collate "default")`,
    header: 'Contract 合同',
  },
  department: {
    by: sql`c.department`,
    source: sql`join contracts c on c.no = o.contract_no`,
    key: sql`s.group_code`,
    name: sql`s.group_code`,
    join: sql``,
    header: 'Department 部门',
  },
};

/** sum(balance) of one bucket, from the bucket's bounds in days past due. */
function bucketSum(bucket: AgingBucket): RawBuilder<unknown> {
  const bounds = [
    ...(bucket.minDays === null ? [] : [sql`days_past_due >= ${bucket.minDays}`]),
    ...(bucket.maxDays === null ? [] : [sql`days_past_due <= ${bucket.maxDays}`]),
  ];
  return sql`coalesce(sum(balance_minor) filter (where ${sql.join(bounds, sql` and `)}), 0)::bigint as ${sql.ref(bucket.key)}`;
}

/**
 * Lines per group and currency, then one total line per currency (is_total), all in one query; with a
 * limit, only that page of lines (the totals always), and how many lines there are in all.
 *
 * The open receivables (~100,000 at a million invoices) are summed per customer, per contract, or, through
 * one hash join with the contracts, straight per owner or department (a few dozen groups: no sums per contract
 * to sort and regroup). Per customer the sums then meet the names; per contract only the page's lines read
 * their title. Sums and counts add up, so the figures are those of grouping the invoices directly. Groups are formed
 * under the "C" collation (byte order: the same groups, sorted without the locale's costly comparisons);
 * the lines are ranked in the database's own collation, as before.
 */
export async function agingLines(
  db: Db,
  q: AgingQuery,
): Promise<{ lines: AgingLine[]; totals: AgingLine[]; lineCount: number }> {
  const grouping = GROUPINGS[q.groupBy];
  const buckets = AGING_BUCKETS.map((b) => sql.ref(b.key));
  const rank = sql`total desc, key collate "default", currency collate "default"`;
  // A page is the top offset + limit lines (a bounded sort), not a ranking of every line.
  const page = q.limit === undefined ? sql`` : sql`order by ${rank} limit ${q.limit} offset ${q.offset ?? 0}`;
  const sums = sql.join([...buckets, sql.ref('total')].map((b) => sql`sum(${b})::bigint as ${b}`));
  // Lines already one per contract and currency are not regrouped (nor copied: read straight from the
  // sums): only their totals per currency are summed.
  const [lines, totals] =
    q.groupBy === 'contract'
      ? [
          sql`select group_code as key, null::text as name, currency, false as is_total, ${sql.join(buckets)}, total, invoices
            from summed`,
          sql`select null as key, null as name, currency, true as is_total, ${sums}, sum(invoices)::int as invoices
            from summed group by currency`,
        ]
      : [sql`select * from grouped where not is_total`, sql`select * from grouped where is_total`];
  const result = await sql<AgingLine & { is_total: boolean; line_count: number }>`
    with open_ar as (${openReceivablesAsOf(q.asOf, q.timeZone)}),
    summed as (
      select ${grouping.by} collate "C" as group_code, o.currency collate "C" as currency,
        ${sql.join(AGING_BUCKETS.map(bucketSum))},
        sum(balance_minor)::bigint as total, count(*)::int as invoices
      from (
        -- Integer balances (whole minor units) sum in machine integers, not numeric.
        select customer_code, contract_no, currency, balance_minor::bigint as balance_minor,
          ${q.asOf}::date - due_date as days_past_due
        from open_ar
      ) o ${grouping.source}
      group by 1, 2
    ),
    named as (
      select ${grouping.key} collate "C" as group_key, ${grouping.name} collate "C" as group_name, s.* from summed s ${grouping.join}
    ),
    grouped as (
      select group_key as key, group_name as name, currency, grouping(group_key) = 1 as is_total,
        ${sums}, sum(invoices)::int as invoices
      from named
      group by grouping sets ((group_key, group_name, currency), (currency))
    ),
    lines as not materialized (${lines}),
    page as (select * from lines ${page})
    select n.key, ${grouping.pageName ?? sql`n.name`} as name, n.currency, n.is_total,
      ${sql.join(buckets.map((b) => sql`n.${b}`))}, n.total, n.invoices,
      (select count(*) from lines)::int as line_count
    from (select * from page union all ${totals}) n
    order by n.is_total, ${rank}`.execute(db);
  return {
    lines: result.rows.filter((r) => !r.is_total).map(withoutFlag),
    totals: result.rows.filter((r) => r.is_total).map(withoutFlag),
    // Every row carries the count, the totals too: a page past the last line still has it (no rows: no lines).
    lineCount: Number(result.rows[0]?.line_count ?? 0),
  };
}

function withoutFlag({
  is_total: _,
  line_count: _count,
  ...line
}: AgingLine & { is_total: boolean; line_count?: number }): AgingLine {
  return line;
}

function lineView(line: AgingLine) {
  return {
    key: line.key,
    name: line.name,
    currency: line.currency,
    invoices: line.invoices,
    ...Object.fromEntries(AGING_BUCKETS.map((b) => [b.key, money(line[b.key], line.currency)])),
    total: money(line.total, line.currency),
  };
}

function agingTable(q: AgingQuery, lines: AgingLine[], totals: AgingLine[]): ReportTable {
  const row = (line: AgingLine, key: Cell, name: Cell): Record<string, Cell> => ({
    key,
    name,
    currency: line.currency,
    invoices: line.invoices,
    ...Object.fromEntries(AGING_BUCKETS.map((b) => [b.key, decimal(line[b.key], line.currency)])),
    total: decimal(line.total, line.currency),
  });
  return {
    name: 'aging',
    title: `AR aging as of ${q.asOf} by ${q.groupBy} 应收账龄`,
    columns: [
      column('key', GROUPINGS[q.groupBy].header),
      column('name', 'Name 名称'),
      column('currency', 'Currency 币种'),
      column('invoices', 'Invoices 发票数', 'integer'),
      ...AGING_BUCKETS.map((b) => column(b.key, `${b.label} ${b.labelZh}`, 'money')),
      column('total', 'Total 合计', 'money'),
    ],
    rows: [...lines.map((l) => row(l, l.key, l.name)), ...totals.map((t) => row(t, 'TOTAL', 'Total 合计'))],
  };
}

/** AR aging as of a date, grouped by customer, owner, contract or department, with totals per currency. */
export async function agingReport(db: Db, q: AgingQuery): Promise<Report> {
  const { lines, totals, lineCount } = await agingLines(db, q);
  return {
    fileName: `aging-${q.groupBy}-${q.asOf}`,
    body: {
      report: 'aging',
      asOf: q.asOf,
      timeZone: q.timeZone,
      groupBy: q.groupBy,
      buckets: AGING_BUCKETS.map((b) => ({
        key: b.key,
        label: b.label,
        minDaysPastDue: b.minDays,
        maxDaysPastDue: b.maxDays,
      })),
      rows: lines.map(lineView),
      totals: totals.map(lineView),
      // Only with a limit: which lines these are, of how many.
      ...(q.limit === undefined ? {} : { page: { offset: q.offset ?? 0, limit: q.limit, lines: lineCount } }),
    },
    tables: [agingTable(q, lines, totals)],
  };
}
