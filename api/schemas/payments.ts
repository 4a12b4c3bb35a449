import { z } from 'zod';
import { Code, PositiveMoneySchema, Text } from './common';

export const AssignPaymentSchema = z
  .object({
    customerCode: Code,
    invoiceNos: z
      .array(Code)
      .max(100)
      .optional()
      .describe('invoices to pay first, in this order; then the usual matching'),
    rememberPayerAccount: z.boolean().default(false).describe('match this payer account to the customer from now on'),
  })
  .meta({ id: 'AssignPaymentRequest' });

export const AllocateCreditSchema = z
  .object({
    invoiceNo: Code,
    amount: PositiveMoneySchema,
  })
  .meta({ id: 'AllocateCreditRequest' });

export const ReversalSchema = z
  .object({
    reason: Text,
  })
  .meta({ id: 'ReversalRequest' });
