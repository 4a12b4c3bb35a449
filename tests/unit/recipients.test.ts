import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, policyRefusals } from '../../domain/policy';
import { resolveRecipients } from '../../domain/recipients';

const step = (key: string) => DEFAULT_POLICY.steps.find((s) => s.key === key)!;
const payer = { role: 'payment_owner' as const, name: 'Pat', email: 'pat@x.cn' };
const boss = { role: 'decision_maker' as const, name: 'Dana', email: 'dana@x.cn' };

describe('whom a letter goes to', () => {
  it('sends to the contacts of its recipient roles, naming the roles without one', () => {
    expect(resolveRecipients(step('executive_60'), [payer, boss])).toEqual({
      blocked: false,
      to: [boss],
      missingRoles: [],
    });
    expect(resolveRecipients(step('legal_notice_90'), [payer])).toEqual({
      blocked: false,
      to: [payer],
      missingRoles: ['decision_maker'],
    });
  });

  it('falls back to the payment owner by default, and blocks when the step says so or there is none', () => {
    expect(resolveRecipients(step('executive_60'), [payer])).toEqual({
      blocked: false,
      to: [payer],
      missingRoles: ['decision_maker'],
      fallbackFor: ['decision_maker'],
    });
    const strict = { ...step('executive_60'), blockWithoutRecipient: true };
    expect(resolveRecipients(strict, [payer])).toEqual({ blocked: true, to: [], missingRoles: ['decision_maker'] });
    expect(resolveRecipients(step('executive_60'), [])).toEqual({
      blocked: true,
      to: [],
      missingRoles: ['decision_maker'],
    });
  });

  it('validates the flag: a boolean, on letter steps only', () => {
    const withFlag = (key: string, value: unknown) => ({
      ...DEFAULT_POLICY,
      steps: DEFAULT_POLICY.steps.map((s) => (s.key === key ? { ...s, blockWithoutRecipient: value as boolean } : s)),
    });
    const templates = DEFAULT_POLICY.steps.flatMap((s) => (s.template ? [s.template] : []));
    expect(policyRefusals(withFlag('executive_60', true), templates)).toEqual([]);
    expect(policyRefusals(withFlag('executive_60', 'yes'), templates).map((r) => r.field)).toEqual([
      'steps.7.blockWithoutRecipient',
    ]);
    expect(policyRefusals(withFlag('call_weekly', true), templates).map((r) => r.message)).toEqual([
      'applies to letter steps only',
    ]);
  });
});
