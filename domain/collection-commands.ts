/**
 * Whether a command on an invoice's collection may be applied, as pure decisions over a snapshot of the
 * collection (like decideTransition for contracts): each returns every refusal, empty when allowed. The
 * collection workflow's update validators call these; the console can show the same reasons.
 */
import type { Refusal } from './refusal';
import type { LocalDate } from './dates';
import { DISPUTE_REASONS } from './disputes';
import { type Actor, COLLECTOR_ROLES, type Role } from './roles';

/** Who may give each command on a collection: the API's role check and the workflow's validators both read this. */
export const COLLECTION_COMMAND_ROLES = {
  approveStep: ['finance'],
  openDispute: COLLECTOR_ROLES,
  resolveDispute: COLLECTOR_ROLES,
  recordPromise: COLLECTOR_ROLES,
  requestWriteOff: ['finance'],
  decideWriteOff: ['executive'],
  changePolicy: ['finance'],
  settleInterest: ['finance'],
} as const satisfies Record<string, readonly Role[]>;

export type CollectionCommand = keyof typeof COLLECTION_COMMAND_ROLES;

/** What a customer contact may do on the customer's page: promise to pay and dispute, nothing else. */
export const CUSTOMER_COMMANDS: readonly CollectionCommand[] = ['openDispute', 'recordPromise'];

function may(actor: Actor, command: CollectionCommand): boolean {
  if (actor.role === 'customer') return CUSTOMER_COMMANDS.includes(command);
  return (COLLECTION_COMMAND_ROLES[command] as readonly string[]).includes(actor.role);
}

/** What a command is checked against. */
export interface CollectionFacts {
  invoiceNo: string;
  /** Paid (within tolerance) or written off: no longer collected. */
  closed: boolean;
  balanceMinor: number;
  policy: { id: string; version: number };
  awaitingApproval?: string;
  disputeId?: string;
  /** A resolution is being recorded (its credit note written) right now. */
  resolvingDispute: boolean;
  promiseId?: string;
  writeOffRequestedBy?: string;
  /** Late interest is waiting to be settled, or is about to be assessed for the paid principal. */
  interestToSettle: boolean;
  today: LocalDate;
}

const blank = (text: string) => !text.trim();

function refusalsIfClosed(facts: CollectionFacts): Refusal[] {
  return facts.closed
    ? [{ code: 'collection_closed', message: `invoice ${facts.invoiceNo} is no longer collected` }]
    : [];
}

export function stepApprovalRefusals(
  facts: CollectionFacts,
  { actor, step, reason }: { actor: Actor; step: string; reason: string },
): Refusal[] {
  const { awaitingApproval } = facts;
  return [
    ...(may(actor, 'approveStep')
      ? []
      : [{ code: 'not_permitted', message: 'only finance approves or rejects a gated collection step' }]),
    ...(step === awaitingApproval
      ? []
      : [
          {
            code: 'not_awaiting_approval',
            field: 'step',
            message: `step ${step} is not waiting for approval${awaitingApproval ? `; ${awaitingApproval} is` : ''}`,
          },
        ]),
    ...(blank(reason)
      ? [{ code: 'missing_reason', field: 'reason', message: 'an approval decision needs a reason' }]
      : []),
  ];
}

export function openDisputeRefusals(
  facts: CollectionFacts,
  { actor, reason }: { actor: Actor; reason: string },
): Refusal[] {
  return [
    ...refusalsIfClosed(facts),
    ...(may(actor, 'openDispute')
      ? []
      : [{ code: 'not_permitted', message: 'only sales, delivery, finance or an executive records a dispute' }]),
    ...(facts.disputeId ? [{ code: 'dispute_open', message: `dispute ${facts.disputeId} is still open` }] : []),
    ...((DISPUTE_REASONS as string[]).includes(reason)
      ? []
      : [{ code: 'invalid_reason', field: 'reason', message: `reason must be one of ${DISPUTE_REASONS.join(', ')}` }]),
  ];
}

export function resolveDisputeRefusals(
  facts: CollectionFacts,
  {
    actor,
    outcome,
    creditMinor,
    note,
  }: { actor: Actor; outcome: 'accepted' | 'rejected'; creditMinor: number; note: string },
): Refusal[] {
  return [
    ...(facts.disputeId
      ? []
      : [{ code: 'no_open_dispute', message: `invoice ${facts.invoiceNo} has no open dispute` }]),
    ...(facts.resolvingDispute
      ? [{ code: 'dispute_resolving', message: `dispute ${facts.disputeId} is being resolved` }]
      : []),
    ...(may(actor, 'resolveDispute')
      ? []
      : [{ code: 'not_permitted', message: 'only sales, delivery, finance or an executive resolves a dispute' }]),
    ...(outcome === 'rejected' && creditMinor !== 0
      ? [{ code: 'credit_on_rejection', field: 'credit', message: 'a rejected dispute gives no credit note' }]
      : []),
    ...(creditMinor < 0 || creditMinor > facts.balanceMinor
      ? [{ code: 'invalid_credit', field: 'credit', message: 'the credit note must be between zero and the balance' }]
      : []),
    ...(blank(note) ? [{ code: 'missing_note', field: 'note', message: 'resolving a dispute needs a note' }] : []),
  ];
}

export function promiseRefusals(
  facts: CollectionFacts,
  {
    actor,
    promisedDate,
    amountMinor,
    contact,
  }: { actor: Actor; promisedDate: string; amountMinor: number; contact: string },
): Refusal[] {
  return [
    ...refusalsIfClosed(facts),
    ...(may(actor, 'recordPromise')
      ? []
      : [{ code: 'not_permitted', message: 'only a collector records a promise to pay' }]),
    ...(facts.promiseId ? [{ code: 'promise_open', message: `promise ${facts.promiseId} is still open` }] : []),
    ...(promisedDate < facts.today
      ? [
          {
            code: 'date_in_past',
            field: 'promisedDate',
            message: `the promised date ${promisedDate} is before today (${facts.today})`,
          },
        ]
      : []),
    ...(amountMinor <= 0 || amountMinor > facts.balanceMinor
      ? [
          {
            code: 'invalid_amount',
            field: 'amount',
            message: 'the promised amount must be positive and at most the balance',
          },
        ]
      : []),
    ...(blank(contact)
      ? [{ code: 'missing_contact', field: 'contact', message: 'name the customer contact who promised' }]
      : []),
  ];
}

export function writeOffRequestRefusals(
  facts: CollectionFacts,
  { actor, reason }: { actor: Actor; reason: string },
): Refusal[] {
  return [
    ...refusalsIfClosed(facts),
    ...(may(actor, 'requestWriteOff') ? [] : [{ code: 'not_permitted', message: 'only finance requests a write-off' }]),
    ...(facts.writeOffRequestedBy
      ? [{ code: 'write_off_requested', message: `a write-off was already requested by ${facts.writeOffRequestedBy}` }]
      : []),
    ...(blank(reason) ? [{ code: 'missing_reason', field: 'reason', message: 'a write-off needs a reason' }] : []),
  ];
}

export function writeOffDecisionRefusals(
  facts: CollectionFacts,
  { actor, reason }: { actor: Actor; reason: string },
): Refusal[] {
  return [
    ...(facts.writeOffRequestedBy !== undefined
      ? []
      : [{ code: 'no_write_off_request', message: 'no write-off is waiting for approval' }]),
    ...(may(actor, 'decideWriteOff')
      ? []
      : [{ code: 'not_permitted', message: 'only an executive approves a write-off' }]),
    ...(facts.writeOffRequestedBy === actor.name
      ? [{ code: 'same_person', message: 'the write-off must be approved by someone other than who requested it' }]
      : []),
    ...(blank(reason) ? [{ code: 'missing_reason', field: 'reason', message: 'the decision needs a reason' }] : []),
  ];
}

export function policyChangeRefusals(
  facts: CollectionFacts,
  { actor, policy, reason }: { actor: Actor; policy: { id: string; version: number }; reason: string },
): Refusal[] {
  const current = facts.policy;
  return [
    ...refusalsIfClosed(facts),
    ...(may(actor, 'changePolicy')
      ? []
      : [{ code: 'not_permitted', message: 'only finance moves an invoice to another policy' }]),
    ...(policy.id === current.id && policy.version === current.version
      ? [
          {
            code: 'same_policy',
            field: 'policyId',
            message: `the invoice already follows ${current.id} v${current.version}`,
          },
        ]
      : []),
    ...(blank(reason)
      ? [{ code: 'missing_reason', field: 'reason', message: 'moving an invoice to another policy needs a reason' }]
      : []),
  ];
}

export function noOpenInterest(invoiceNo: string): Refusal[] {
  return [{ code: 'no_open_interest', message: `invoice ${invoiceNo} has no late interest waiting to be settled` }];
}

export function interestSettlementRefusals(
  facts: CollectionFacts,
  { actor, reason }: { actor: Actor; reason: string },
): Refusal[] {
  return [
    ...(facts.interestToSettle ? [] : noOpenInterest(facts.invoiceNo)),
    ...(may(actor, 'settleInterest')
      ? []
      : [{ code: 'not_permitted', message: 'only finance collects or waives late interest' }]),
    ...(blank(reason)
      ? [
          {
            code: 'missing_reason',
            field: 'reason',
            message: 'say why the interest is waived, or the receipt it was collected with',
          },
        ]
      : []),
  ];
}

/** A write-off request waits for an executive as an approval task of this step, decided on the write-off route. */
export const WRITE_OFF_STEP = 'write_off';
