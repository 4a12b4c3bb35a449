import { sql } from 'kysely';
import type { Db } from '../../db/connect';
import { toDecimal } from '../../domain/money';
import { invalidInput } from '../../domain/refusal';
import { finalAccountView } from '../costs';
import { endOfDay, startOfDay } from './as-of';
import type { Period } from './receivables';
import { column, type Report } from './table';

/**
 * Final accounts (决算) across contracts: the frozen figures of the contracts closed in a period,
 * newest close first, optionally of one customer or department, a page at a time (keyset on
 * closed_at, contract_no: migration 0020's indexes), with totals per currency over the whole selection.
 * A download (CSV/XLSX) carries every row of the selection, not one page.
 */

export const DEFAULT_FINAL_ACCOUNTS_LIMIT = 50;
export const MAX_FINAL_ACCOUNTS_LIMIT = 500;
/** A download carries the whole selection, up to this many contracts. */
const MAX_EXPORT_ROWS = 50_000;

export interface FinalAccountsQuery extends Period {
  customer?: string;
  department?: string;
  limit: number;
  cursor?: string;
  /** A download: every row, no paging. */
  all: boolean;
}

interface Cursor {
  closedAt: string;
  no: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.closedAt, cursor.no]), 'utf8').toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      !Number.isNaN(Date.parse(value[0]))
    )
      return { closedAt: value[0], no: value[1] };
  } catch {
    // fall through
  }
  throw invalidInput('cursor', 'is not a cursor of this report');
}

interface TotalRow {
  currency: string;
  contracts: number;
  contract_amount: number;
  invoiced: number;
  collected: number;
  written_off: number;
  interest_collected: number;
  costs: number;
  margin: number;
}

export async function finalAccountsReport(db: Db, q: FinalAccountsQuery): Promise<Report> {
  const from = startOfDay(q.from, q.timeZone);
  const to = endOfDay(q.to, q.timeZone);
  let select = db
    .selectFrom('final_accounts as f')
    .innerJoin('customers as cu', 'cu.code', 'f.customer_code')
    .innerJoin('contracts as c', 'c.no', 'f.contract_no')
    .selectAll('f')
    .select(['cu.name as customer_name', 'c.title'])
    .where('f.closed_at', '>=', from)
    .where('f.closed_at', '<', to);
  if (q.customer) select = select.where('f.customer_code', '=', q.customer);
  if (q.department) select = select.where('f.department', '=', q.department);
  let page = select.orderBy('f.closed_at', 'desc').orderBy('f.contract_no', 'desc');
  if (q.cursor && !q.all) {
    const cursor = decodeCursor(q.cursor);
    page = page.where(
      sql<boolean>`(f.closed_at, f.contract_no) < (${new Date(cursor.closedAt)}::timestamptz, ${cursor.no})`,
    );
  }
  const limit = q.all ? MAX_EXPORT_ROWS : q.limit;
  const rows = await page.limit(limit + 1).execute();
  const more = rows.length > limit;
  const shown = rows.slice(0, limit);

  let totalsQuery = db
    .selectFrom('final_accounts as f')
    .select((eb) => [
      'f.currency',
      eb.fn.countAll<number>().as('contracts'),
      eb.fn.sum<number>('f.contract_amount_minor').as('contract_amount'),
      eb.fn.sum<number>('f.invoiced_minor').as('invoiced'),
      eb.fn.sum<number>('f.collected_minor').as('collected'),
      eb.fn.sum<number>('f.written_off_minor').as('written_off'),
      eb.fn.sum<number>('f.interest_collected_minor').as('interest_collected'),
      eb.fn.sum<number>('f.costs_minor').as('costs'),
      eb.fn.sum<number>('f.margin_minor').as('margin'),
    ])
    .where('f.closed_at', '>=', from)
    .where('f.closed_at', '<', to)
    .groupBy('f.currency')
    .orderBy('f.currency');
  if (q.customer) totalsQuery = totalsQuery.where('f.customer_code', '=', q.customer);
  if (q.department) totalsQuery = totalsQuery.where('f.department', '=', q.department);
  const totalRows: TotalRow[] = await totalsQuery.execute();

  const accounts = shown.map((row) => ({
    ...finalAccountView(row),
    customerName: row.customer_name,
    title: row.title,
  }));
  const last = shown[shown.length - 1];
  const next = more && last ? encodeCursor({ closedAt: last.closed_at.toISOString(), no: last.contract_no }) : null;
  const money = (minor: number | string, currency: string) => ({ value: toDecimal(Number(minor), currency), currency });
  const totals = totalRows.map((t) => ({
    currency: t.currency,
    contracts: Number(t.contracts),
    contractAmount: money(t.contract_amount, t.currency),
    invoiced: money(t.invoiced, t.currency),
    collected: money(t.collected, t.currency),
    writtenOff: money(t.written_off, t.currency),
    interestCollected: money(t.interest_collected, t.currency),
    costs: money(t.costs, t.currency),
    margin: money(t.margin, t.currency),
  }));

  const decimal = (m: { value: string } | null) => (m === null ? null : m.value);
  return {
    fileName: `final-accounts-${q.from}-${q.to}`,
    body: {
      report: 'final-accounts',
      from: q.from,
      to: q.to,
      timeZone: q.timeZone,
      customer: q.customer ?? null,
      department: q.department ?? null,
      accounts,
      next,
      totals,
    },
    tables: [
      {
        name: 'final-accounts',
        title: `Final accounts closed ${q.from} – ${q.to} 决算`,
        columns: [
          column('contractNo', 'Contract 合同'),
          column('title', 'Title 名称'),
          column('customerCode', 'Customer 客户'),
          column('customerName', 'Customer name 客户名称'),
          column('department', 'Department 部门'),
          column('closedAt', 'Closed 关闭时间'),
          column('currency', 'Currency 币种'),
          column('contractAmount', 'Contract amount 合同金额', 'money'),
          column('estimate', 'Estimate 概算', 'money'),
          column('budget', 'Budget 预算', 'money'),
          column('invoiced', 'Invoiced 开票', 'money'),
          column('credited', 'Credit notes 红字冲减', 'money'),
          column('collected', 'Collected 回款', 'money'),
          column('writtenOff', 'Written off 核销坏账', 'money'),
          column('interestCollected', 'Interest collected 逾期利息', 'money'),
          column('costs', 'Costs 实际成本', 'money'),
          column('margin', 'Margin 毛利', 'money'),
          column('marginVsEstimate', 'Margin vs estimate 毛利较概算', 'money'),
          column('marginVsBudget', 'Margin vs budget 毛利较预算', 'money'),
        ],
        rows: accounts.map((a) => ({
          contractNo: a.contractNo,
          title: a.title,
          customerCode: a.customerCode,
          customerName: a.customerName,
          department: a.department,
          closedAt: a.closedAt.toISOString(),
          currency: a.contractAmount.currency,
          contractAmount: a.contractAmount.value,
          estimate: decimal(a.estimate),
          budget: decimal(a.budget),
          invoiced: a.invoiced.value,
          credited: a.credited.value,
          collected: a.collected.value,
          writtenOff: a.writtenOff.value,
          interestCollected: a.interestCollected.value,
          costs: a.costs.value,
          margin: a.margin.value,
          marginVsEstimate: decimal(a.marginVsEstimate),
          marginVsBudget: decimal(a.marginVsBudget),
        })),
      },
      {
        name: 'totals',
        title: 'Totals by currency 按币种合计',
        columns: [
          column('currency', 'Currency 币种'),
          column('contracts', 'Contracts 合同数', 'integer'),
          column('contractAmount', 'Contract amount 合同金额', 'money'),
          column('invoiced', 'Invoiced 开票', 'money'),
          column('collected', 'Collected 回款', 'money'),
          column('writtenOff', 'Written off 核销坏账', 'money'),
          column('interestCollected', 'Interest collected 逾期利息', 'money'),
          column('costs', 'Costs 实际成本', 'money'),
          column('margin', 'Margin 毛利', 'money'),
        ],
        rows: totals.map((t) => ({
          currency: t.currency,
          contracts: t.contracts,
          contractAmount: t.contractAmount.value,
          invoiced: t.invoiced.value,
          collected: t.collected.value,
          writtenOff: t.writtenOff.value,
          interestCollected: t.interestCollected.value,
          costs: t.costs.value,
          margin: t.margin.value,
        })),
      },
    ],
  };
}
