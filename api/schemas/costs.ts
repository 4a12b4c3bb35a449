import { z } from 'zod';
import { COST_CATEGORIES } from '../../domain/costs';
import { DateSchema, PositiveMoneySchema, Text } from './common';

export const RecordCostSchema = z
  .object({
    entryDate: DateSchema.describe('the day the cost was incurred; not after today'),
    category: z.enum(COST_CATEGORIES),
    amount: PositiveMoneySchema.describe("in the contract's currency"),
    reference: Text.max(100, 'must be at most 100 characters').describe(
      'voucher, supplier invoice or timesheet number; unique per contract — the same reference again with the same figures is a repeat',
    ),
    note: z.string().trim().max(500, 'must be at most 500 characters').optional(),
  })
  .meta({ id: 'RecordCostRequest' });
