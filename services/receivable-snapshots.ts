import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { addDays, firstOfMonth, type LocalDate, localDateOf } from '../domain/dates';
import { endOfDay } from '../read-models/reports/as-of';
import {
  type DayEndReceivables,
  type MonthSales,
  creditSalesOfMonths,
  receivablesAtDayEnds,
} from '../read-models/reports/month-end-figures';
import { REPORT_WORK_MEM } from '../read-models/reports/session';

/** Month-ends kept back from today: a twelve-month trend three years back starts from the 37th. */
export const KEPT_MONTH_ENDS = 37;
/**
 * A month-end is kept only once it ended this many days ago: writes dated in the last two days forget nothing
 * (migration 0026), so none of them can be under way while a day they would change is computed.
 */
export const SETTLE_DAYS = 3;
/** Month-ends computed in one pass: bounds the work of the first run over years of books. */
const MONTH_ENDS_PER_PASS = 12;

export interface SnapshotRun {
  /** Month-ends wanted that were not kept yet. */
  missing: number;
  /** Of those, stored now. */
  stored: number;
}

/** The last KEPT_MONTH_ENDS month-ends in `timeZone` that ended SETTLE_DAYS days or more before `now`, oldest first. */
export function monthEndsToKeep(now: number, timeZone: string): LocalDate[] {
  const settled = localDateOf(now - SETTLE_DAYS * 86_400_000, timeZone);
  const monthEnds: LocalDate[] = [];
  let monthEnd = addDays(firstOfMonth(localDateOf(now, timeZone)), -1);
  while (monthEnds.length < KEPT_MONTH_ENDS) {
    if (monthEnd < settled) monthEnds.unshift(monthEnd);
    monthEnd = addDays(firstOfMonth(monthEnd), -1);
  }
  return monthEnds;
}

/**
 * Computes the month-ends not kept yet (receivables open at their end, credit sales of their month) and keeps
 * them, a pass of up to twelve at a time: each computed in one
 * read-only snapshot of the books, stored only if no write has forgotten kept days since that snapshot (the
 * state's generation is unchanged), else left to the next run.
 */
export async function keepReceivableSnapshots(db: Db, input: { timeZone: string; now?: number }): Promise<SnapshotRun> {
  const wanted = monthEndsToKeep(input.now ?? Date.now(), input.timeZone);
  const kept = await db
    .selectFrom('receivable_snapshots')
    .select('as_of')
    .where('time_zone', '=', input.timeZone)
    .where('as_of', 'in', wanted)
    .execute();
  const missing = wanted.filter((day) => !kept.some((k) => k.as_of === day));
  let stored = 0;
  for (let start = 0; start < missing.length; start += MONTH_ENDS_PER_PASS) {
    const days = missing.slice(start, start + MONTH_ENDS_PER_PASS);
    const computed = await computeSnapshots(db, days, input.timeZone);
    if (await storeSnapshots(db, computed)) stored += days.length;
  }
  return { missing: missing.length, stored };
}

export interface ComputedSnapshots {
  timeZone: string;
  days: LocalDate[];
  /** The state's generation in the snapshot of the books the figures come from. */
  generation: number;
  receivables: DayEndReceivables[];
  /** The credit sales of the month each day ends. */
  sales: MonthSales[];
}

export async function computeSnapshots(db: Db, days: LocalDate[], timeZone: string): Promise<ComputedSnapshots> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      // The first statement fixes the snapshot: the generation read here is the one the figures go with.
      const state = await trx.selectFrom('receivable_snapshot_state').select('generation').executeTakeFirstOrThrow();
      await sql`select set_config('work_mem', ${REPORT_WORK_MEM}, true)`.execute(trx);
      const receivables = await receivablesAtDayEnds(trx, days, timeZone);
      const sales = await creditSalesOfMonths(
        trx,
        days.map((day) => ({ from: firstOfMonth(day), to: day })),
      );
      return { timeZone, days, generation: Number(state.generation), receivables, sales };
    });
}

/** Stores computed month-ends unless a write forgot kept days since they were computed; true when stored. */
export async function storeSnapshots(db: Db, computed: ComputedSnapshots): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    // Locked: a write forgetting days now waits for this commit, and then forgets what it changes of these too.
    const state = await trx
      .selectFrom('receivable_snapshot_state')
      .select('generation')
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (Number(state.generation) !== computed.generation) return false;
    await trx
      .insertInto('receivable_snapshots')
      .values(
        computed.days.map((day, index) => {
          const open = computed.receivables.filter((row) => row.k === index + 1);
          const sales = computed.sales.filter((row) => row.monthStart === firstOfMonth(day));
          return {
            time_zone: computed.timeZone,
            as_of: day,
            day_end: endOfDay(day, computed.timeZone),
            currencies: open.map((row) => row.currency),
            ar_minor: open.map((row) => row.minor),
            current_minor: open.map((row) => row.currentMinor),
            sales_currencies: sales.map((row) => row.currency),
            sales_minor: sales.map((row) => row.minor),
          };
        }),
      )
      .onConflict((conflict) => conflict.columns(['time_zone', 'as_of']).doNothing())
      .execute();
    return true;
  });
}
