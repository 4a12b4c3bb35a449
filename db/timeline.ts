import type { Kysely } from 'kysely';
import type { Actor } from '../domain/roles';
import type { Database } from './schema';
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

export async function appendTimeline(db: Kysely<Database>, entry: TimelineEntry): Promise<void> {
  await db
    .insertInto('timeline')
    .values({
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
    })
    .onConflict((oc) => oc.column('event_key').doNothing())
    .execute();
}
