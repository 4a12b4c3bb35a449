import { ApplicationFailure } from '@temporalio/activity';
import { sql } from 'kysely';
import type { Db } from '../db/connect';

/**
 * The discipline both outboxes (letters, notifications) follow so that no transaction or row lock
 * is held while talking to SMTP, and a message still goes out once:
 *   1. claim: one short statement moves the row from 'pending' to 'sending' until a lease ends;
 *   2. send, with no transaction open, the row's deterministic Message-ID on the message;
 *   3. mark: a second short transaction records 'sent' (retried a few times if the database blinks).
 * A second attempt that finds the row 'sending' under a live lease waits (a retryable failure).
 * A send that fails before the server accepted the message gives the row back ('pending', error kept).
 * Only a process killed between the server's acceptance and the mark leaves the row 'sending'; once
 * the lease ends a retry hands the same Message-ID over again (the documented redelivery window).
 */
export type OutboxTable = 'letters' | 'notifications';

/** Long enough for any SMTP conversation bounded by the transport's timeouts; configurable. */
export const DEFAULT_CLAIM_MS = 60_000;

export const BEING_SENT = 'OutboxRowBeingSent';

export type ClaimOutcome = 'claimed' | 'sent' | 'other';

/** Claims a pending row (or one whose earlier claim has lapsed); says why not otherwise. */
export async function claimRow(db: Db, table: OutboxTable, id: number, claimMs: number): Promise<ClaimOutcome> {
  const claimed = await sql<{ id: number }>`
    update ${sql.table(table)} set status = 'sending', claimed_until = now() + make_interval(secs => ${claimMs / 1000}), attempts = attempts + 1
    where id = ${id} and (status = 'pending' or (status = 'sending' and claimed_until < now()))
    returning id`.execute(db);
  if (claimed.rows.length > 0) return 'claimed';
  const row = await sql<{
    status: string;
    claimed_until: Date | null;
  }>`select status, claimed_until from ${sql.table(table)} where id = ${id}`.execute(db);
  const current = row.rows[0];
  if (current?.status === 'sent') return 'sent';
  if (current?.status === 'sending') {
    throw ApplicationFailure.retryable(
      `${table} row ${id} is being sent by another attempt until ${current.claimed_until?.toISOString()}`,
      BEING_SENT,
    );
  }
  return 'other';
}

/** Gives a claimed row back after a send the server did not accept, keeping the error for people to see. */
export async function releaseClaim(db: Db, table: OutboxTable, id: number, error: unknown): Promise<void> {
  const message = String((error as Error)?.message ?? error).slice(0, 2000);
  await sql`update ${sql.table(table)} set status = 'pending', claimed_until = null, last_error = ${message}
    where id = ${id} and status = 'sending'`.execute(db);
}

const MARK_ATTEMPTS = 5;

/** Runs the mark step, retrying briefly: the message is already out, so giving up would widen the redelivery window. */
export async function markWithRetries(mark: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await mark();
      return;
    } catch (error) {
      if (attempt >= MARK_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
  }
}
