import type { Selectable } from 'kysely';
import type { Db } from '../db/connect';
import type { FinalAccountsTable } from '../db/schema';
import {
  COST_CATEGORIES,
  COST_STAGES,
  COST_RULE,
  calculations,
  finalAccountFigures,
  minorDetail,
} from '../domain/costs';
import { fromMinor } from '../domain/money';
import { notFound } from '../domain/refusal';
import type { CostEntryRow } from '../services/costs';

/** The four calculations of one contract (GET /api/v1/contracts/:no/costs), from indexed SQL. */

export function costEntryView(entry: CostEntryRow) {
  return {
    id: entry.id,
    entryDate: entry.entry_date,
    category: entry.category,
    amount: fromMinor(entry.amount_minor, entry.currency),
    reference: entry.reference,
    note: entry.note,
    recordedBy: entry.recorded_by,
    recordedAt: entry.recorded_at,
    reversed: entry.reversed_at
      ? { at: entry.reversed_at, by: entry.reversed_by, reason: entry.reversal_reason }
      : null,
  };
}

export function finalAccountView(row: Selectable<FinalAccountsTable>) {
  const figures = finalAccountFigures({
    contractAmountMinor: row.contract_amount_minor,
    estimateMinor: row.estimate_minor,
    budgetMinor: row.budget_minor,
    invoicedMinor: row.invoiced_minor,
    creditedMinor: row.credited_minor,
    collectedMinor: row.collected_minor,
    writtenOffMinor: row.written_off_minor,
    interestCollectedMinor: row.interest_collected_minor,
    costsMinor: row.costs_minor,
  });
  const money = (minor: number) => fromMinor(minor, row.currency);
  const maybe = (minor: number | null) => (minor === null ? null : money(minor));
  return {
    contractNo: row.contract_no,
    customerCode: row.customer_code,
    department: row.department,
    closedAt: row.closed_at,
    contractAmount: money(row.contract_amount_minor),
    estimate: maybe(row.estimate_minor),
    budget: maybe(row.budget_minor),
    invoiced: money(row.invoiced_minor),
    credited: money(row.credited_minor),
    collected: money(row.collected_minor),
    writtenOff: money(row.written_off_minor),
    interestCollected: money(row.interest_collected_minor),
    costs: money(row.costs_minor),
    costEntries: row.cost_entries,
    margin: money(row.margin_minor),
    marginRate:
      row.collected_minor + row.interest_collected_minor === 0
        ? null
        : row.margin_minor / (row.collected_minor + row.interest_collected_minor),
    estimatedMargin: maybe(figures.estimatedMarginMinor),
    budgetedMargin: maybe(figures.budgetedMarginMinor),
    marginVsEstimate: maybe(figures.marginVsEstimateMinor),
    marginVsBudget: maybe(figures.marginVsBudgetMinor),
    costVsEstimate: maybe(figures.costVsEstimateMinor),
    costVsBudget: maybe(figures.costVsBudgetMinor),
  };
}

export async function contractCostsView(db: Db, no: string) {
  const [contract, entries, finalAccount] = await Promise.all([
    db.selectFrom('contracts').select(['no', 'stage', 'currency', 'details']).where('no', '=', no).executeTakeFirst(),
    db
      .selectFrom('cost_entries')
      .selectAll()
      .where('contract_no', '=', no)
      .orderBy('entry_date')
      .orderBy('id')
      .execute(),
    db.selectFrom('final_accounts').selectAll().where('contract_no', '=', no).executeTakeFirst(),
  ]);
  if (!contract) throw notFound(`contract ${no}`);
  const live = entries.filter((e) => e.reversed_at === null);
  const actualsMinor = live.reduce((sum, e) => sum + e.amount_minor, 0);
  const calc = calculations(
    minorDetail(contract.details, 'estimatedCostMinor'),
    minorDetail(contract.details, 'budgetMinor'),
    actualsMinor,
  );
  const money = (minor: number) => fromMinor(minor, contract.currency);
  const maybe = (minor: number | null) => (minor === null ? null : money(minor));
  return {
    contractNo: contract.no,
    stage: contract.stage,
    currency: contract.currency,
    recording: { open: COST_STAGES.includes(contract.stage), rule: COST_RULE },
    estimate: maybe(calc.estimateMinor),
    budget: maybe(calc.budgetMinor),
    actuals: money(calc.actualsMinor),
    variances: {
      actualVsBudget: maybe(calc.actualVsBudgetMinor),
      actualVsEstimate: maybe(calc.actualVsEstimateMinor),
      budgetUsed: calc.budgetUsed,
    },
    byCategory: COST_CATEGORIES.map((category) => ({
      category,
      minor: live.filter((e) => e.category === category).reduce((sum, e) => sum + e.amount_minor, 0),
    }))
      .filter(({ minor }) => minor > 0)
      .map(({ category, minor }) => ({ category, amount: money(minor) })),
    entries: entries.map(costEntryView),
    finalAccount: finalAccount ? finalAccountView(finalAccount) : null,
  };
}
