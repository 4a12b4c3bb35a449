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
}

type BucketMinor = Record<AgingBucket['key'], number>;

export interface AgingLine extends BucketMinor {
  /** Customer code, owner, contract number or department; null when the contract names none. */
  key: string | null;
  name: string | null;
  currency: string;
  invoices: number;
  total: number;
}

const WITH_CUSTOMER = sql`join customers cu on cu.code = o.customer_code`;
const WITH_CONTRACT = sql`join contracts c on c.no = o.contract_no`;

/** Group key, display name and the table that holds them; o = open receivable, c = contract, cu = customer. */
const GROUPINGS: Record<
  AgingGroup,
  { key: RawBuilder<unknown>; name: RawBuilder<unknown>; join: RawBuilder<unknown>; header: string }
> = {
  customer: { key: sql`o.customer_code`, name: sql`cu.name`, join: WITH_CUSTOMER, header: 'Customer 客户' },
  owner: { key: sql`c.account_owner`, name: sql`c.account_owner`, join: WITH_CONTRACT, header: 'Owner 负责人' },
  contract: { key: sql`o.contract_no`, name: sql`c.title`, join: WITH_CONTRACT, header: 'Contract 合同' },
  department: { key: sql`c.department`, name: sql`c.department`, join: WITH_CONTRACT, header: 'Department 部门' },
};

/** sum(balance) of one bucket, from the bucket's bounds in days past due. */
function bucketSum(bucket: AgingBucket): RawBuilder<unknown> {
  const bounds = [
    ...(bucket.minDays === null ? [] : [sql`days_past_due >= ${bucket.minDays}`]),
    ...(bucket.maxDays === null ? [] : [sql`days_past_due <= ${bucket.maxDays}`]),
  ];
  return sql`coalesce(sum(balance_minor) filter (where ${sql.join(bounds, sql` and `)}), 0)::bigint as ${sql.ref(bucket.key)}`;
}

/** Lines per group and currency, then one total line per currency (is_total), all in one grouping-sets query. */
export async function agingLines(db: Db, q: AgingQuery): Promise<{ lines: AgingLine[]; totals: AgingLine[] }> {
  const grouping = GROUPINGS[q.groupBy];
  const result = await sql<AgingLine & { is_total: boolean }>`
    with open_ar as (${openReceivablesAsOf(q.asOf, q.timeZone)}),
    aged as (
      select o.currency, o.balance_minor, ${q.asOf}::date - o.due_date as days_past_due,
        ${grouping.key} as group_key, ${grouping.name} as group_name
      from open_ar o ${grouping.join}
    )
    select group_key as key, group_name as name, currency, grouping(group_key) = 1 as is_total,
      ${sql.join(AGING_BUCKETS.map(bucketSum))},
      sum(balance_minor)::bigint as total, count(*)::int as invoices
    from aged
    group by grouping sets ((group_key, group_name, currency), (currency))
    order by is_total, total desc, key, currency`.execute(db);
  return {
    lines: result.rows.filter((r) => !r.is_total).map(withoutFlag),
    totals: result.rows.filter((r) => r.is_total).map(withoutFlag),
  };
}

function withoutFlag({ is_total: _, ...line }: AgingLine & { is_total: boolean }): AgingLine {
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
  const { lines, totals } = await agingLines(db, q);
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
    },
    tables: [agingTable(q, lines, totals)],
  };
}
