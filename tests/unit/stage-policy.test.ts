import { describe, expect, it } from 'vitest';
import { CHINA_MAINLAND_CALENDAR, addWorkingDays } from '../../domain/calendar';
import { decideTransition } from '../../domain/contract-transitions';
import {
  DEFAULT_STAGE_POLICY,
  type StageDeadline,
  deadlineDate,
  planLevels,
  stagePolicyRefusals,
} from '../../domain/stage-policy';

const CAL = CHINA_MAINLAND_CALENDAR;
const delivery = DEFAULT_STAGE_POLICY.deadlines.find((d) => d.wait === 'delivery')!;
const approval = DEFAULT_STAGE_POLICY.deadlines.find((d) => d.wait === 'approval')!;

describe('working days', () => {
  it('skips weekends, the National Day holidays and counts make-up working days', () => {
    expect(addWorkingDays(CAL, '2026-12-04', 1)).toBe('2026-12-07'); // Friday + 1 → Monday
    expect(addWorkingDays(CAL, '2026-12-05', 0)).toBe('2026-12-07'); // a Saturday starts on Monday
    expect(addWorkingDays(CAL, '2026-09-30', 1)).toBe('2026-10-08'); // over the Golden Week
    // Counted from the day after a weekend or holiday start, as from a Friday's: day 1 is the first working day.
    expect(addWorkingDays(CAL, '2026-12-05', 1)).toBe('2026-12-07'); // Saturday + 1 → Monday
    expect(addWorkingDays(CAL, '2026-12-05', 3)).toBe('2026-12-09'); // Saturday + 3 → Wednesday, as from Friday
    expect(addWorkingDays(CAL, '2026-10-01', 1)).toBe('2026-10-08'); // National Day + 1 → the first day back
  });
});

describe('stage deadlines', () => {
  it('counts a wait from the day it began, in working days', () => {
    expect(deadlineDate(approval, '2026-12-04', {}, CAL)).toBe('2026-12-09'); // Fri + 3 working days
    expect(deadlineDate(approval, '2026-12-05', {}, CAL)).toBe('2026-12-09'); // registered on Saturday: the same
    expect(planLevels(approval, '2026-12-04', {}, CAL).map((l) => [l.to, l.date])).toEqual([
      ['owner', '2026-12-09'],
      ['manager', '2026-12-11'],
      ['sponsor', '2026-12-16'],
    ]);
  });

  it('makes delivery late on the working day after the planned date, and falls back without one', () => {
    expect(deadlineDate(delivery, '2026-11-02', { plannedDelivery: '2026-12-04' }, CAL)).toBe('2026-12-07');
    // Planned for a Sunday, or the last day of the Golden Week: late on the first working day after it.
    expect(deadlineDate(delivery, '2026-11-02', { plannedDelivery: '2026-12-06' }, CAL)).toBe('2026-12-07');
    expect(deadlineDate(delivery, '2026-09-01', { plannedDelivery: '2026-10-07' }, CAL)).toBe('2026-10-08');
    const twoDaysLate = { ...delivery, workingDays: 2 };
    expect(deadlineDate(twoDaysLate, '2026-11-02', { plannedDelivery: '2026-12-06' }, CAL)).toBe('2026-12-09');
    expect(deadlineDate(delivery, '2026-11-02', {}, CAL)).toBe(addWorkingDays(CAL, '2026-11-02', 40));
  });

  it('accepts the default and refuses a bad policy with every field named', () => {
    expect(stagePolicyRefusals(DEFAULT_STAGE_POLICY)).toEqual([]);
    const bad: StageDeadline = {
      wait: 'delivery',
      owner: 'nobody' as never,
      from: 'planned_delivery',
      workingDays: -1,
      levels: [
        { to: 'manager', afterWorkingDays: 3 },
        { to: 'boss' as never, afterWorkingDays: 1 },
      ],
    };
    const refusals = stagePolicyRefusals({ id: 'x', name: ' ', deadlines: [bad, { ...delivery }] });
    expect(refusals.map((r) => `${r.code}:${r.field}`)).toEqual([
      'invalid_stage_policy:name',
      'invalid_stage_policy:deadlines.0.owner',
      'invalid_stage_policy:deadlines.0.workingDays',
      'invalid_stage_policy:deadlines.0.fallbackWorkingDays',
      'invalid_stage_policy:deadlines.0.levels.1.to',
      'invalid_stage_policy:deadlines.0.levels.1.afterWorkingDays',
      'duplicate_wait:deadlines.1.wait',
    ]);
  });
});

describe('planned dates at handover', () => {
  const facts = {
    stage: 'Handover' as const,
    amountMinor: 100,
    paymentTermsType: 'credit_terms' as const,
    terms: {},
  };
  const owners = { account: 'a', solution: 's', fulfilment: 'f', finance: 'fi', executiveSponsor: 'e' };
  const actor = { name: 'sally', role: 'sales' as const };

  it('refuses an acceptance planned before delivery, and a date that is not one', () => {
    const outcome = decideTransition(
      facts,
      { action: 'handover', actor, owners, plannedDeliveryDate: '2026-12-10', plannedAcceptanceDate: '2026-12-01' },
      '2026-12-02',
    );
    expect(outcome.refusals.map((r) => `${r.code}:${r.field}`)).toEqual(['date_out_of_order:plannedAcceptanceDate']);
    const notADate = decideTransition(
      facts,
      { action: 'handover', actor, owners, plannedDeliveryDate: '10/12/2026' },
      '2026-12-02',
    );
    expect(notADate.refusals.map((r) => `${r.code}:${r.field}`)).toEqual(['invalid_date:plannedDeliveryDate']);
  });
});
