// Interface fixed first so imports can be written against it; the implementation follows (issue 4).
import type { Db } from '../db/connect';
import type { Actor } from '../domain/roles';

export type MatchRule = 'named' | 'invoice_no' | 'exact_amount' | 'oldest_first' | 'manual' | 'historical';

export interface IncomingPayment {
  source: 'api' | 'bank_import';
  /** Known when finance records it; found by payer account or name when imported. */
  customerCode?: string;
  /** Invoice the payer named (API); allocated first. */
  invoiceNo?: string;
  amountMinor: number;
  currency: string;
  receivedOn: string;
  /** Bank reference; unique per customer. Generated from the line when the statement has none. */
  reference: string;
  payerName?: string;
  payerAccount?: string;
  remittance?: string;
  /** Identity of an imported bank line; a second import of the same line is a repeat. */
  dedupeKey?: string;
  importId?: number;
}

export interface ReceivedPayment {
  id: number;
  /** False when this payment (reference or dedupe key) was already recorded: the earlier result. */
  created: boolean;
  status: 'matched' | 'unmatched' | 'reversed';
  customerCode: string | null;
  allocations: { invoiceNo: string; amountMinor: number; balanceMinor: number; rule: MatchRule }[];
  /** Left on the payment: customer credit when the customer is known, else the whole amount waits in the queue. */
  unallocatedMinor: number;
}

/**
 * Records and matches one payment inside the caller's transaction; the caller signals the collections
 * (notifyCollections) after commit.
 */
export declare function receivePayment(trx: Db, payment: IncomingPayment, actor: Actor, today: string): Promise<ReceivedPayment>;
