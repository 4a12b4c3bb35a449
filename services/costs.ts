import { type Selectable, sql } from 'kysely';
import type { Db } from '../db/connect';
import type { CostEntriesTable } from '../db/schema';
import { appendTimeline } from '../db/timeline';
import {
  type CostCategory,
  type FinalAccountFacts,
  costStageRefusal,
  finalAccountFigures,
  minorDetail,
} from '../domain/costs';
import { conflict, notFound } from '../domain/refusal';
import { type Actor, SYSTEM_ACTOR } from '../domain/roles';
import type { Stage } from '../domain/stages';

/**
 * Actual costs (核算) and the final account (决算). One transaction per command; the contract's row is
 * locked first, so a cost and the close that freezes the final account never pass each other: a cost
 * committed before the close is in the final account, one after it is refused.
 */

export type CostEntryRow = Selectable<CostEntriesTable>;

export interface NewCost {
  contractNo: string;
  entryDate: string;
  category: CostCategory;
  amountMinor: number;
  currency: string;
  reference: string;
  note?: string;
}

export interface RecordedCost {
  entry: CostEntryRow;
  /** False when this reference was already recorded with the same figures: the earlier entry. */
  created: boolean;
}

async function lockContract(trx: Db, contractNo: string) {
  const contract = await trx
    .selectFrom('contracts')
    .select(['no', 'stage', 'currency'])
    .where('no', '=', contractNo)
    .forUpdate()
    .executeTakeFirst();
  if (!contract) throw notFound(`contract ${contractNo}`);
  return contract;
}

function refuseOutsideStages(contractNo: string, stage: Stage): void {
  const refusal = costStageRefusal(contractNo, stage);
  if (refusal) throw conflict(refusal.message, [refusal]);
}

/** Records a cost entry; the same reference again with the same figures is the earlier entry (a retry). */
export async function recordCost(db: Db, cost: NewCost, actor: Actor): Promise<RecordedCost> {
  return db.transaction().execute(async (trx) => {
    const contract = await lockContract(trx, cost.contractNo);
    const earlier = await trx
      .selectFrom('cost_entries')
      .selectAll()
      .where('contract_no', '=', cost.contractNo)
      .where('reference', '=', cost.reference)
      .executeTakeFirst();
    if (earlier?.reversed_at)
      throw conflict(`reference ${cost.reference} was recorded and reversed on contract ${cost.contractNo}`, [
        {
          code: 'reference_reversed',
          field: 'reference',
          message: `entry ${earlier.id} with reference ${cost.reference} was reversed; record the corrected cost under a new reference`,
        },
      ]);
    if (earlier) {
      const same =
        earlier.entry_date === cost.entryDate &&
        earlier.category === cost.category &&
        earlier.amount_minor === cost.amountMinor &&
        earlier.currency === cost.currency;
      if (same) return { entry: earlier, created: false };
      throw conflict(`reference ${cost.reference} is already recorded on contract ${cost.contractNo}`, [
        {
          code: 'reference_taken',
          field: 'reference',
          message: `reference ${cost.reference} is already recorded on contract ${cost.contractNo} (entry ${earlier.id}) with other figures`,
        },
      ]);
    }
    refuseOutsideStages(cost.contractNo, contract.stage);
    const entry = await trx
      .insertInto('cost_entries')
      .values({
        contract_no: cost.contractNo,
        entry_date: cost.entryDate,
        category: cost.category,
        amount_minor: cost.amountMinor,
        currency: cost.currency,
        reference: cost.reference,
        note: cost.note ?? null,
        recorded_by: actor.name,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendTimeline(trx, {
      eventKey: `cost/${entry.id}/recorded`,
      contractNo: cost.contractNo,
      at: entry.recorded_at,
      actor,
      action: 'cost_recorded',
      reason: cost.note,
      details: {
        costId: entry.id,
        entryDate: cost.entryDate,
        category: cost.category,
        amountMinor: cost.amountMinor,
        currency: cost.currency,
        reference: cost.reference,
      },
    });
    return { entry, created: true };
  });
}

/** Reverses a cost entry with a reason; it stays listed, reversed. A second reversal is refused. */
export async function reverseCost(
  db: Db,
  contractNo: string,
  costId: number,
  reason: string,
  actor: Actor,
): Promise<CostEntryRow> {
  return db.transaction().execute(async (trx) => {
    const contract = await lockContract(trx, contractNo);
    const entry = await trx
      .selectFrom('cost_entries')
      .selectAll()
      .where('id', '=', costId)
      .where('contract_no', '=', contractNo)
      .forUpdate()
      .executeTakeFirst();
    if (!entry) throw notFound(`cost entry ${costId} of contract ${contractNo}`);
    if (entry.reversed_at)
      throw conflict(`cost entry ${costId} is already reversed`, [
        {
          code: 'already_reversed',
          message: `cost entry ${costId} was reversed by ${entry.reversed_by ?? ''}: ${entry.reversal_reason ?? ''}`,
        },
      ]);
    refuseOutsideStages(contractNo, contract.stage);
    const reversed = await trx
      .updateTable('cost_entries')
      .set({ reversed_at: sql<Date>`now()`, reversed_by: actor.name, reversal_reason: reason })
      .where('id', '=', costId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendTimeline(trx, {
      eventKey: `cost/${costId}/reversed`,
      contractNo,
      at: reversed.reversed_at!,
      actor,
      action: 'cost_reversed',
      reason,
      details: {
        costId,
        category: entry.category,
        amountMinor: entry.amount_minor,
        currency: entry.currency,
        reference: entry.reference,
      },
    });
    return reversed;
  });
}

/** Sum of a contract's cost entries not reversed, and how many there are. */
export async function actualCosts(db: Db, contractNo: string): Promise<{ minor: number; entries: number }> {
  const row = await db
    .selectFrom('cost_entries')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('amount_minor'), eb.lit(0)).as('minor'),
      eb.fn.countAll<number>().as('entries'),
    ])
    .where('contract_no', '=', contractNo)
    .where('reversed_at', 'is', null)
    .executeTakeFirstOrThrow();
  return { minor: Number(row.minor), entries: Number(row.entries) };
}

/** What the books say about a contract now: its invoices, what was collected, written off and charged. */
async function finalAccountFacts(trx: Db, contractNo: string) {
  const contract = await trx
    .selectFrom('contracts')
    .select(['customer_code', 'department', 'currency', 'amount_minor', 'details'])
    .where('no', '=', contractNo)
    .executeTakeFirstOrThrow();
  const { rows } = await sql<{
    invoiced: number;
    written_off: number;
    interest_collected: number;
    collected: number;
    credited: number;
  }>`
    select
      coalesce(sum(i.amount_minor), 0)::bigint as invoiced,
      coalesce(sum(i.balance_minor) filter (where i.status = 'written_off'), 0)::bigint as written_off,
      coalesce(sum(i.interest_minor) filter (where i.interest_status = 'collected'), 0)::bigint as interest_collected,
      (select coalesce(sum(a.amount_minor), 0) from allocations a join invoices ai on ai.no = a.invoice_no
        where ai.contract_no = ${contractNo} and a.reversed_at is null)::bigint as collected,
      (select coalesce(sum(d.credit_minor), 0) from disputes d join invoices di on di.no = d.invoice_no
        where di.contract_no = ${contractNo} and d.status = 'resolved' and d.outcome = 'accepted')::bigint as credited
    from invoices i where i.contract_no = ${contractNo}`.execute(trx);
  const money = rows[0];
  const costs = await actualCosts(trx, contractNo);
  const facts: FinalAccountFacts = {
    contractAmountMinor: contract.amount_minor,
    estimateMinor: minorDetail(contract.details, 'estimatedCostMinor'),
    budgetMinor: minorDetail(contract.details, 'budgetMinor'),
    invoicedMinor: Number(money.invoiced),
    creditedMinor: Number(money.credited),
    collectedMinor: Number(money.collected),
    writtenOffMinor: Number(money.written_off),
    interestCollectedMinor: Number(money.interest_collected),
    costsMinor: costs.minor,
  };
  return { contract, facts, costEntries: costs.entries };
}

/**
 * Computes the final account and freezes it, inside the transaction that records the contract's close
 * (after the stage is written, so no cost can be recorded after it). A retry finds it frozen and adds
 * nothing. The timeline entry comes just before the close's own.
 */
export async function freezeFinalAccount(trx: Db, contractNo: string, at: Date, eventKey: string): Promise<void> {
  const { contract, facts, costEntries } = await finalAccountFacts(trx, contractNo);
  const figures = finalAccountFigures(facts);
  const inserted = await trx
    .insertInto('final_accounts')
    .values({
      contract_no: contractNo,
      customer_code: contract.customer_code,
      department: contract.department,
      currency: contract.currency,
      closed_at: at,
      contract_amount_minor: facts.contractAmountMinor,
      estimate_minor: facts.estimateMinor,
      budget_minor: facts.budgetMinor,
      invoiced_minor: facts.invoicedMinor,
      credited_minor: facts.creditedMinor,
      collected_minor: facts.collectedMinor,
      written_off_minor: facts.writtenOffMinor,
      interest_collected_minor: facts.interestCollectedMinor,
      costs_minor: facts.costsMinor,
      cost_entries: costEntries,
      margin_minor: figures.marginMinor,
    })
    .onConflict((oc) => oc.column('contract_no').doNothing())
    .returning('contract_no')
    .executeTakeFirst();
  if (!inserted) return;
  await appendTimeline(trx, {
    eventKey,
    contractNo,
    at,
    actor: SYSTEM_ACTOR,
    action: 'final_account',
    details: { currency: contract.currency, ...figures },
  });
}
