import { z } from 'zod';
import { DISPUTE_REASONS } from '../../domain/disputes';
import { DateSchema, MoneySchema, PositiveMoneySchema } from './common';

const Text = z.string().trim().min(1, 'must not be empty');

export const StepApprovalSchema = z
  .object({
    step: Text.describe('the step waiting for approval, e.g. legal_notice_90'),
    approved: z.boolean(),
    reason: Text,
  })
  .meta({ id: 'StepApprovalRequest' });

export const OpenDisputeSchema = z
  .object({
    reason: z.enum(DISPUTE_REASONS as [string, ...string[]]),
    note: z.string().optional(),
  })
  .meta({ id: 'OpenDisputeRequest' });

export const ResolveDisputeSchema = z
  .object({
    outcome: z.enum(['accepted', 'rejected']),
    credit: MoneySchema.optional().describe(
      'credit note for an accepted dispute; lowers the invoice amount and balance',
    ),
    note: Text,
  })
  .meta({ id: 'ResolveDisputeRequest' });

export const PromiseSchema = z
  .object({
    promisedDate: DateSchema,
    amount: PositiveMoneySchema,
    contact: Text.describe('the customer contact who made the promise'),
  })
  .meta({ id: 'PromiseToPayRequest' });

export const WriteOffRequestSchema = z.object({ reason: Text }).meta({ id: 'WriteOffRequest' });
export const WriteOffDecisionSchema = z
  .object({ approved: z.boolean(), reason: Text })
  .meta({ id: 'WriteOffDecision' });

export const ChangePolicySchema = z
  .object({
    policyId: Text,
    version: z.number().int().min(1).optional().describe('the latest version when absent'),
    reason: Text,
  })
  .meta({ id: 'ChangePolicyRequest' });

export const SettleInterestSchema = z
  .object({
    outcome: z.enum(['collected', 'waived']),
    reason: Text.describe('why it is waived, or the receipt it was collected with'),
  })
  .meta({ id: 'SettleInterestRequest' });
