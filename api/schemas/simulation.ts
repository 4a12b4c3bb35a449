/** The request body of a policy simulation, with the bounds that keep one request's CPU cost sane. */
import { z } from 'zod';
import { MILESTONE_KINDS } from '../../domain/contract-rules';
import { DateSchema, MoneySchema, TimeZoneSchema } from './common';

const Instant = z.iso
  .datetime({ offset: true })
  .describe('an ISO 8601 instant with offset, e.g. 2026-11-23T09:30:00+08:00');

const EventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('payment'), at: Instant, amount: MoneySchema }),
  z.object({ kind: z.literal('dispute_opened'), at: Instant }),
  z.object({ kind: z.literal('dispute_resolved'), at: Instant, credit: MoneySchema.optional() }),
  z.object({ kind: z.literal('promise'), at: Instant, promisedDate: DateSchema, amount: MoneySchema }),
]);

/** Bounds that keep one request's CPU cost sane; past them the request is refused with a 400 naming the field. */
export const SIMULATION_LIMITS = { invoices: 1_000, eventsPerInvoice: 200, yearsAfterLatestDue: 3 } as const;

const tooManyInvoices = `at most ${SIMULATION_LIMITS.invoices.toLocaleString('en')} invoices per request, invoices and invoiceNos together`;

export const SimulationRequestSchema = z
  .object({
    version: z.number().int().min(1).optional().describe('policy version; the latest when absent'),
    sendTime: z
      .string()
      .regex(/^(immediate|([01]\d|2[0-3]):[0-5]\d)$/)
      .optional()
      .describe('defaults to the configured LETTER_SEND_TIME'),
    until: Instant.optional().describe(
      `simulate up to this instant, not before the earliest start nor more than ${SIMULATION_LIMITS.yearsAfterLatestDue} years after the latest due date; default: until every invoice is paid or a year after its due date`,
    ),
    approveGatedSteps: z.boolean().default(true),
    invoices: z
      .array(
        z.object({
          invoiceNo: z.string().min(1),
          dueDate: DateSchema,
          milestoneKind: z.enum(MILESTONE_KINDS).default('progress'),
          amount: MoneySchema,
          timeZone: TimeZoneSchema.default('Asia/Shanghai'),
          startAt: Instant.describe('when collection starts: the issue date, or go-live for an imported invoice'),
          events: z
            .array(EventSchema)
            .max(SIMULATION_LIMITS.eventsPerInvoice, `at most ${SIMULATION_LIMITS.eventsPerInvoice} events per invoice`)
            .default([]),
        }),
      )
      .max(SIMULATION_LIMITS.invoices, tooManyInvoices)
      .default([]),
    invoiceNos: z
      .array(z.string().min(1))
      .max(SIMULATION_LIMITS.invoices, tooManyInvoices)
      .default([])
      .describe('invoices from the database, with their real payments, disputes and promises'),
  })
  .superRefine((r, ctx) => {
    const count = r.invoices.length + r.invoiceNos.length;
    if (count === 0) ctx.addIssue({ code: 'custom', message: 'give invoices or invoiceNos' });
    else if (count > SIMULATION_LIMITS.invoices)
      ctx.addIssue({ code: 'custom', path: ['invoices'], message: `${tooManyInvoices} (${count} given)` });
  })
  .meta({ id: 'SimulationRequest' });

export type SimulationRequest = z.output<typeof SimulationRequestSchema>;
