import { describe, expect, it } from 'vitest';
import {
  type CollectionFacts,
  interestSettlementRefusals,
  openDisputeRefusals,
  policyChangeRefusals,
  promiseRefusals,
  resolveDisputeRefusals,
  stepApprovalRefusals,
  writeOffDecisionRefusals,
  writeOffRequestRefusals,
} from '../../domain/collection-commands';
import type { Actor } from '../../domain/roles';

const facts = (over: Partial<CollectionFacts> = {}): CollectionFacts => ({
  invoiceNo: 'INV-1',
  closed: false,
  balanceMinor: 500_000,
  policy: { id: 'standard', version: 1 },
  resolvingDispute: false,
  interestToSettle: false,
  today: '2026-11-27',
  ...over,
});
const sales: Actor = { name: 'sally', role: 'sales' };
const finance: Actor = { name: 'fiona', role: 'finance' };
const exec: Actor = { name: 'eve', role: 'executive' };
const admin: Actor = { name: 'root', role: 'admin' };
const codes = (refusals: { code: string }[]) => refusals.map((r) => r.code);

describe('collection commands', () => {
  it('lets finance decide only the step that waits for approval, with a reason', () => {
    expect(
      stepApprovalRefusals(facts({ awaitingApproval: 'legal_notice' }), {
        actor: finance,
        step: 'legal_notice',
        reason: 'ok',
      }),
    ).toEqual([]);
    const refused = stepApprovalRefusals(facts({ awaitingApproval: 'legal_notice' }), {
      actor: sales,
      step: 'overdue_1',
      reason: ' ',
    });
    expect(codes(refused)).toEqual(['not_permitted', 'not_awaiting_approval', 'missing_reason']);
    expect(refused[1].message).toBe('step overdue_1 is not waiting for approval; legal_notice is');
  });

  it('opens one dispute at a time, by a collector, for a known reason, on a collection still running', () => {
    expect(openDisputeRefusals(facts(), { actor: sales, reason: 'quality' })).toEqual([]);
    expect(
      codes(openDisputeRefusals(facts({ closed: true, disputeId: 'INV-1/D1' }), { actor: admin, reason: 'weather' })),
    ).toEqual(['collection_closed', 'not_permitted', 'dispute_open', 'invalid_reason']);
  });

  it('resolves an open dispute once, with a credit note between zero and the balance, none on a rejection', () => {
    const open = facts({ disputeId: 'INV-1/D1' });
    expect(
      resolveDisputeRefusals(open, { actor: sales, outcome: 'accepted', creditMinor: 500_000, note: 'credit note' }),
    ).toEqual([]);
    expect(
      codes(resolveDisputeRefusals(open, { actor: sales, outcome: 'accepted', creditMinor: 500_001, note: 'x' })),
    ).toEqual(['invalid_credit']);
    expect(
      codes(resolveDisputeRefusals(open, { actor: sales, outcome: 'rejected', creditMinor: 1, note: '' })),
    ).toEqual(['credit_on_rejection', 'missing_note']);
    expect(
      codes(
        resolveDisputeRefusals(facts({ disputeId: 'INV-1/D1', resolvingDispute: true }), {
          actor: sales,
          outcome: 'accepted',
          creditMinor: 0,
          note: 'x',
        }),
      ),
    ).toEqual(['dispute_resolving']);
    expect(
      codes(resolveDisputeRefusals(facts(), { actor: admin, outcome: 'accepted', creditMinor: 0, note: 'x' })),
    ).toEqual(['no_open_dispute', 'not_permitted']);
  });

  it('records a promise from today on, for at most the balance, naming who promised', () => {
    expect(
      promiseRefusals(facts(), { actor: finance, promisedDate: '2026-11-27', amountMinor: 500_000, contact: 'Pat' }),
    ).toEqual([]);
    const refused = promiseRefusals(facts({ promiseId: 'INV-1/P1' }), {
      actor: finance,
      promisedDate: '2026-11-26',
      amountMinor: 0,
      contact: '',
    });
    expect(codes(refused)).toEqual(['promise_open', 'date_in_past', 'invalid_amount', 'missing_contact']);
    expect(refused[1].message).toBe('the promised date 2026-11-26 is before today (2026-11-27)');
  });

  it('needs finance to request a write-off and another person, an executive, to decide it', () => {
    expect(writeOffRequestRefusals(facts(), { actor: finance, reason: 'insolvent' })).toEqual([]);
    expect(
      codes(writeOffRequestRefusals(facts({ writeOffRequestedBy: 'fiona' }), { actor: sales, reason: '' })),
    ).toEqual(['not_permitted', 'write_off_requested', 'missing_reason']);
    expect(
      writeOffDecisionRefusals(facts({ writeOffRequestedBy: 'fiona' }), { actor: exec, reason: 'agreed' }),
    ).toEqual([]);
    expect(
      codes(writeOffDecisionRefusals(facts({ writeOffRequestedBy: 'eve' }), { actor: exec, reason: 'agreed' })),
    ).toEqual(['same_person']);
    expect(codes(writeOffDecisionRefusals(facts(), { actor: finance, reason: '' }))).toEqual([
      'no_write_off_request',
      'not_permitted',
      'missing_reason',
    ]);
  });

  it('moves an invoice to another policy version only, by finance, with a reason', () => {
    expect(
      policyChangeRefusals(facts(), { actor: finance, policy: { id: 'standard', version: 2 }, reason: 'new terms' }),
    ).toEqual([]);
    expect(
      codes(policyChangeRefusals(facts(), { actor: sales, policy: { id: 'standard', version: 1 }, reason: '' })),
    ).toEqual(['not_permitted', 'same_policy', 'missing_reason']);
  });

  it('settles late interest only when there is some, by finance, with a reason', () => {
    expect(
      interestSettlementRefusals(facts({ interestToSettle: true }), { actor: finance, reason: 'receipt R-1' }),
    ).toEqual([]);
    expect(codes(interestSettlementRefusals(facts(), { actor: exec, reason: '' }))).toEqual([
      'no_open_interest',
      'not_permitted',
      'missing_reason',
    ]);
  });
});
