import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { appendTimeline } from '../db/timeline';
import type { ContractEvent } from './types';

/** Writes a contract's change and its timeline entry in one transaction; replays of the same event are no-ops. */
export async function recordContractEvent(db: Db, event: ContractEvent): Promise<void> {
  const eventKey = `contract/${event.contractNo}/${event.seq}`;
  await db.transaction().execute(async (trx) => {
    const already = await trx.selectFrom('timeline').select('id').where('event_key', '=', eventKey).executeTakeFirst();
    if (already) return;
    const { changes = {} } = event;
    const at = new Date(event.at);
    const update: Record<string, unknown> = {};
    if (changes.stage) Object.assign(update, { stage: changes.stage, stage_changed_at: at });
    if (changes.terms) update.terms = JSON.stringify(changes.terms);
    if (changes.owners) update.owners = JSON.stringify(changes.owners);
    if (changes.closeReason) update.close_reason = changes.closeReason;
    if (changes.details) update.details = sql`details || ${JSON.stringify(changes.details)}::jsonb`;
    if (Object.keys(update).length > 0) {
      await trx.updateTable('contracts').set(update).where('no', '=', event.contractNo).execute();
    }
    if (changes.newMilestones?.length) {
      await trx.insertInto('milestones').values(changes.newMilestones.map((m) => ({
        contract_no: event.contractNo, seq: m.seq, kind: m.kind, amount_minor: m.amountMinor,
        trigger: JSON.stringify(m.trigger), term_days: m.termDays, status: 'pending',
      }))).execute();
    }
    for (const change of changes.milestoneStatus ?? []) {
      await trx.updateTable('milestones')
        .set({ status: change.status, ...(change.readyOn ? { ready_on: change.readyOn } : {}) })
        .where('contract_no', '=', event.contractNo).where('seq', '=', change.seq).execute();
    }
    await appendTimeline(trx, {
      eventKey, contractNo: event.contractNo, at, actor: event.actor, action: event.action,
      fromStage: event.fromStage, toStage: event.toStage, reason: event.reason, details: event.details,
    });
  });
}
