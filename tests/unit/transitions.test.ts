import { describe, it, expect } from 'vitest';
import type { ContractTerms } from '../../domain/contract-rules';
import {
  type ContractFacts,
  type Owners,
  type TransitionRequest,
  decideTransition,
} from '../../domain/contract-transitions';
import type { Stage } from '../../domain/stages';

const sales = { name: 'Li Na', role: 'sales' } as const;
const finance = { name: 'Wang Fang', role: 'finance' } as const;
const delivery = { name: 'Sun Qiang', role: 'delivery' } as const;

const TODAY = '2026-06-30';

const TERMS: ContractTerms = {
  deliverables: ['ERP rollout'],
  acceptanceOwner: 'Chen Jie',
  acceptanceCriteria: 'UAT sign-off',
  invoicingDetails: 'VAT special invoice, 13%',
  paymentSchedule: '30/60/10',
  paymentOwner: 'Liu Min',
  paymentMethod: 'bank transfer',
  lateInterestRatePercent: '18.25',
  penaltyClause: '0.05% per day',
};

const OWNERS: Owners = {
  account: 'Li Na',
  solution: 'Zhou Yu',
  fulfilment: 'Sun Qiang',
  finance: 'Wang Fang',
  executiveSponsor: 'Zhao Lei',
};

function facts(stage: Stage, extra: Partial<ContractFacts> = {}): ContractFacts {
  return { stage, amountMinor: 100_000_000, paymentTermsType: 'credit_terms', terms: {}, ...extra };
}

const codes = (refusals: { code: string }[]) => refusals.map((r) => r.code);

const REQUESTS: Record<string, TransitionRequest> = {
  approve: {
    action: 'approve',
    actor: finance,
    customer: { grade: 'A', creditHold: false, creditLimitMinor: 200_000_000 },
    risk: { customerRisk: 2, projectRisk: 2, requirementRisk: 2 },
  },
  review: { action: 'review', actor: sales, estimatedCostMinor: 60_000_000, notes: 'margin 40%' },
  sign: { action: 'sign', actor: sales, signedOn: '2026-05-10', terms: TERMS },
  split: {
    action: 'split',
    actor: finance,
    milestones: [
      { kind: 'advance', percent: '30', trigger: { type: 'on_signing' }, termDays: 0 },
      { kind: 'final', percent: '60', trigger: { type: 'on_acceptance' }, termDays: 30 },
      { kind: 'retention', percent: '10', trigger: { type: 'after_acceptance', days: 365 }, termDays: 30 },
    ],
  },
  budget: { action: 'budget', actor: finance, budgetMinor: 70_000_000 },
  handover: { action: 'handover', actor: sales, owners: OWNERS },
  deliver: { action: 'deliver', actor: delivery, deliveredOn: '2026-06-01' },
  accept: {
    action: 'accept',
    actor: delivery,
    acceptedOn: '2026-06-15',
    acceptor: 'Chen Jie',
    documentRef: 'UAT-2026-017',
  },
};

describe('decideTransition: the happy path', () => {
  it('walks every stage from Opportunity to Collection', () => {
    const path: [keyof typeof REQUESTS, Stage, Stage][] = [
      ['approve', 'Opportunity', 'SolutionReview'],
      ['review', 'SolutionReview', 'ContractReview'],
      ['sign', 'ContractReview', 'Split'],
      ['split', 'Split', 'Budget'],
      ['budget', 'Budget', 'Handover'],
      ['handover', 'Handover', 'Delivery'],
      ['deliver', 'Delivery', 'Acceptance'],
      ['accept', 'Acceptance', 'Collection'],
    ];
    let current = facts('Opportunity');
    for (const [action, from, to] of path) {
      expect(current.stage).toBe(from);
      const outcome = decideTransition(current, REQUESTS[action], TODAY);
      expect(outcome.refusals, action).toEqual([]);
      expect(outcome.to, action).toBe(to);
      current = { ...current, stage: outcome.to };
      if (action === 'sign') current = { ...current, signedOn: '2026-05-10', terms: outcome.terms! };
      if (action === 'deliver') current = { ...current, deliveredOn: '2026-06-01' };
    }
    expect(current.stage).toBe('Collection');
  });

  it('returns the merged terms when signing', () => {
    const outcome = decideTransition(
      facts('ContractReview', { terms: { ...TERMS, penaltyClause: undefined, paymentMethod: 'cheque' } }),
      {
        action: 'sign',
        actor: sales,
        signedOn: '2026-05-10',
        terms: { penaltyClause: '1% per week', paymentMethod: 'bank transfer' },
      },
      TODAY,
    );
    expect(outcome.refusals).toEqual([]);
    expect(outcome.terms).toEqual({ ...TERMS, penaltyClause: '1% per week', paymentMethod: 'bank transfer' });
  });

  it('signs with terms already on the contract and none in the request', () => {
    const outcome = decideTransition(
      facts('ContractReview', { terms: TERMS }),
      { action: 'sign', actor: sales, signedOn: TODAY },
      TODAY,
    );
    expect(outcome.refusals).toEqual([]);
    expect(outcome.to).toBe('Split');
  });

  it('returns the milestones when splitting', () => {
    const outcome = decideTransition(facts('Split'), REQUESTS.split, TODAY);
    expect(outcome.milestones?.map((m) => [m.seq, m.kind, m.amountMinor])).toEqual([
      [1, 'advance', 30_000_000],
      [2, 'final', 60_000_000],
      [3, 'retention', 10_000_000],
    ]);
  });

  it('passes overridden approval checks through', () => {
    const outcome = decideTransition(
      facts('Opportunity'),
      {
        action: 'approve',
        actor: finance,
        customer: { grade: 'A', creditHold: true, creditLimitMinor: 0 },
        risk: { customerRisk: 1, projectRisk: 1, requirementRisk: 1 },
        override: { reason: 'paid yesterday, hold not yet lifted' },
      },
      TODAY,
    );
    expect(outcome.refusals).toEqual([]);
    expect(outcome.to).toBe('SolutionReview');
    expect(codes(outcome.overridden)).toEqual(['credit_hold']);
  });

  it('uses the contract amount and terms type for the approval checks', () => {
    const request = {
      ...REQUESTS.approve,
      customer: { grade: null, creditHold: false, creditLimitMinor: 50_000_000 },
    } as TransitionRequest;
    expect(codes(decideTransition(facts('Opportunity'), request, TODAY).refusals)).toEqual(['new_customer_credit_cap']);
    expect(decideTransition(facts('Opportunity', { amountMinor: 50_000_000 }), request, TODAY).refusals).toEqual([]);
    expect(decideTransition(facts('Opportunity', { paymentTermsType: 'prepayment' }), request, TODAY).refusals).toEqual(
      [],
    );
  });
});

describe('decideTransition: stage order', () => {
  it('refuses an action out of order, naming the current stage', () => {
    const outcome = decideTransition(facts('Opportunity'), REQUESTS.deliver, TODAY);
    expect(outcome.refusals).toEqual([
      {
        code: 'wrong_stage',
        message: 'cannot deliver a contract in stage Opportunity; deliver applies in stage Delivery',
      },
    ]);
  });

  it('refuses repeating an action already done', () => {
    const outcome = decideTransition(facts('ContractReview'), REQUESTS.approve, TODAY);
    expect(codes(outcome.refusals)).toEqual(['wrong_stage']);
    expect(outcome.refusals[0].message).toContain('stage ContractReview');
  });

  it('refuses every action in a closed contract', () => {
    for (const [action, request] of Object.entries(REQUESTS)) {
      for (const stage of ['Closed', 'Cancelled'] as const) {
        const outcome = decideTransition(
          facts(stage, { signedOn: '2026-05-10', deliveredOn: '2026-06-01', terms: TERMS }),
          request,
          TODAY,
        );
        expect(codes(outcome.refusals), `${action} in ${stage}`).toEqual(['wrong_stage']);
        expect(outcome.refusals[0].message).toContain(`stage ${stage}`);
      }
    }
  });

  it('refuses skipping a stage', () => {
    const outcome = decideTransition(facts('Split'), REQUESTS.budget, TODAY);
    expect(outcome.refusals).toEqual([
      {
        code: 'wrong_stage',
        message: 'cannot budget a contract in stage Split; budget applies in stage Budget',
      },
    ]);
  });
});

describe('decideTransition: cancel', () => {
  const cancel: TransitionRequest = {
    action: 'cancel',
    actor: sales,
    outcome: 'lost',
    reason: 'customer chose a competitor',
  };

  it('cancels before signing', () => {
    for (const stage of ['Opportunity', 'SolutionReview', 'ContractReview'] as const) {
      const outcome = decideTransition(facts(stage), cancel, TODAY);
      expect(outcome.refusals, stage).toEqual([]);
      expect(outcome.to).toBe('Cancelled');
    }
  });

  it('refuses to cancel after signing', () => {
    for (const stage of ['Split', 'Budget', 'Handover', 'Delivery', 'Acceptance', 'Collection'] as const) {
      const outcome = decideTransition(facts(stage), cancel, TODAY);
      expect(outcome.refusals, stage).toEqual([
        {
          code: 'wrong_stage',
          message: `cannot cancel a contract in stage ${stage}; cancel applies in stage Opportunity or SolutionReview or ContractReview`,
        },
      ]);
    }
  });

  it('needs a reason', () => {
    const outcome = decideTransition(
      facts('Opportunity'),
      { action: 'cancel', actor: sales, outcome: 'cancelled', reason: '  ' },
      TODAY,
    );
    expect(outcome.refusals).toEqual([
      { code: 'missing_reason', field: 'reason', message: 'cancelling or losing a contract needs a reason' },
    ]);
  });
});

describe('decideTransition: dates', () => {
  it('refuses a delivery dated before the signing', () => {
    const outcome = decideTransition(
      facts('Delivery', { signedOn: '2026-05-10' }),
      { action: 'deliver', actor: delivery, deliveredOn: '2026-05-09' },
      TODAY,
    );
    expect(outcome.refusals).toEqual([
      {
        code: 'date_out_of_order',
        field: 'deliveredOn',
        message: 'deliveredOn 2026-05-09 is before the signing date 2026-05-10',
      },
    ]);
  });

  it('accepts a delivery on the signing day and today', () => {
    const signed = facts('Delivery', { signedOn: '2026-05-10' });
    expect(
      decideTransition(signed, { action: 'deliver', actor: delivery, deliveredOn: '2026-05-10' }, TODAY).refusals,
    ).toEqual([]);
    expect(
      decideTransition(signed, { action: 'deliver', actor: delivery, deliveredOn: TODAY }, TODAY).refusals,
    ).toEqual([]);
  });

  it('refuses an acceptance dated in the future', () => {
    const outcome = decideTransition(
      facts('Acceptance', { signedOn: '2026-05-10', deliveredOn: '2026-06-01' }),
      { ...REQUESTS.accept, acceptedOn: '2026-07-01' } as TransitionRequest,
      TODAY,
    );
    expect(outcome.refusals).toEqual([
      {
        code: 'date_in_future',
        field: 'acceptedOn',
        message: 'acceptedOn 2026-07-01 is after today (2026-06-30)',
      },
    ]);
  });

  it('refuses an acceptance dated before the delivery', () => {
    const outcome = decideTransition(
      facts('Acceptance', { signedOn: '2026-05-10', deliveredOn: '2026-06-01' }),
      { ...REQUESTS.accept, acceptedOn: '2026-05-31' } as TransitionRequest,
      TODAY,
    );
    expect(outcome.refusals).toEqual([
      {
        code: 'date_out_of_order',
        field: 'acceptedOn',
        message: 'acceptedOn 2026-05-31 is before the delivery date 2026-06-01',
      },
    ]);
  });

  it('refuses a signing dated in the future', () => {
    const outcome = decideTransition(
      facts('ContractReview', { terms: TERMS }),
      { action: 'sign', actor: sales, signedOn: '2026-07-01' },
      TODAY,
    );
    expect(codes(outcome.refusals)).toEqual(['date_in_future']);
  });

  it('refuses a date that does not exist', () => {
    const outcome = decideTransition(
      facts('Delivery', { signedOn: '2026-01-10' }),
      { action: 'deliver', actor: delivery, deliveredOn: '2026-02-29' },
      TODAY,
    );
    expect(outcome.refusals).toEqual([
      { code: 'invalid_date', field: 'deliveredOn', message: 'deliveredOn must be a date YYYY-MM-DD' },
    ]);
  });

  it('reports a date both in the future and before its predecessor', () => {
    const outcome = decideTransition(
      facts('Acceptance', { deliveredOn: '2026-08-01' }),
      { ...REQUESTS.accept, acceptedOn: '2026-07-15' } as TransitionRequest,
      TODAY,
    );
    expect(codes(outcome.refusals)).toEqual(['date_in_future', 'date_out_of_order']);
  });
});

describe('decideTransition: action checks', () => {
  it('needs the acceptor and the acceptance document', () => {
    const outcome = decideTransition(
      facts('Acceptance', { deliveredOn: '2026-06-01' }),
      { action: 'accept', actor: delivery, acceptedOn: '2026-06-15', acceptor: ' ', documentRef: '' },
      TODAY,
    );
    expect(outcome.refusals).toEqual([
      { code: 'missing_acceptor', field: 'acceptor', message: 'acceptance needs the name of the acceptor' },
      { code: 'missing_document', field: 'documentRef', message: 'acceptance needs the acceptance document reference' },
    ]);
  });

  it('lists every missing signing term', () => {
    const outcome = decideTransition(
      facts('ContractReview'),
      { action: 'sign', actor: sales, signedOn: '2026-05-10' },
      TODAY,
    );
    expect(outcome.refusals).toHaveLength(9);
    expect(new Set(codes(outcome.refusals))).toEqual(new Set(['missing_term']));
  });

  it('refuses a negative estimated cost but accepts zero', () => {
    const negative = decideTransition(
      facts('SolutionReview'),
      { action: 'review', actor: sales, estimatedCostMinor: -1 },
      TODAY,
    );
    expect(negative.refusals).toEqual([
      { code: 'invalid_amount', field: 'estimatedCost', message: 'estimated cost cannot be negative' },
    ]);
    expect(
      decideTransition(facts('SolutionReview'), { action: 'review', actor: sales, estimatedCostMinor: 0 }, TODAY)
        .refusals,
    ).toEqual([]);
  });

  it('refuses a budget that is not positive', () => {
    for (const budgetMinor of [0, -100]) {
      expect(
        decideTransition(facts('Budget'), { action: 'budget', actor: finance, budgetMinor }, TODAY).refusals,
      ).toEqual([{ code: 'invalid_amount', field: 'budget', message: 'the budget must be positive' }]);
    }
  });

  it('needs all five handover owners', () => {
    const outcome = decideTransition(
      facts('Handover'),
      { action: 'handover', actor: sales, owners: { ...OWNERS, solution: '', executiveSponsor: '  ' } },
      TODAY,
    );
    expect(outcome.refusals).toEqual([
      { code: 'missing_owner', field: 'owners.solution', message: 'the handover must name the solution owner' },
      {
        code: 'missing_owner',
        field: 'owners.executiveSponsor',
        message: 'the handover must name the executiveSponsor owner',
      },
    ]);
  });

  it('refuses a split whose milestones do not sum', () => {
    const outcome = decideTransition(
      facts('Split'),
      {
        action: 'split',
        actor: finance,
        milestones: [{ kind: 'final', amountMinor: 99_999_999, trigger: { type: 'on_acceptance' }, termDays: 30 }],
      },
      TODAY,
    );
    expect(codes(outcome.refusals)).toEqual(['milestones_do_not_sum']);
  });

  it('reports refusals from the stage and from the action together, stage first', () => {
    const outcome = decideTransition(
      facts('Delivery', { deliveredOn: '2026-06-01' }),
      { action: 'accept', actor: delivery, acceptedOn: '2026-07-02', acceptor: '', documentRef: 'UAT-1' },
      TODAY,
    );
    expect(codes(outcome.refusals)).toEqual(['wrong_stage', 'date_in_future', 'missing_acceptor']);
    expect(outcome.refusals[0].message).toBe(
      'cannot accept a contract in stage Delivery; accept applies in stage Acceptance',
    );
  });

  it('reports approval failures together with a wrong stage', () => {
    const outcome = decideTransition(
      facts('SolutionReview'),
      {
        ...REQUESTS.approve,
        customer: { grade: 'A', creditHold: true, creditLimitMinor: 0 },
      } as TransitionRequest,
      TODAY,
    );
    expect(codes(outcome.refusals)).toEqual(['wrong_stage', 'credit_hold']);
  });
});
