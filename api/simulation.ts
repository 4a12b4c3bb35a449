import { z } from 'zod';
import type { Db } from '../db/connect';
import { policyVersion } from '../db/policies';
import { loadCalendar } from '../activities/collection-steps';
import type { SendTime } from '../domain/collection';
import { MILESTONE_KINDS, type MilestoneKind } from '../domain/contract-rules';
import { isTimeZone, zonedInstant } from '../domain/dates';
import { type SimulatedInvoice, type SimulationEvent, simulateInvoice, summarize } from '../domain/simulate';
import { badRequest, notFound } from './errors';
import { toMinor } from './money';
import { DateSchema, MoneySchema } from './schemas';

const Instant = z.iso.datetime({ offset: true }).describe('an ISO 8601 instant with offset, e.g. 2026-11-23T09:30:00+08:00');

const EventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('payment'), at: Instant, amount: MoneySchema }),
  z.object({ kind: z.literal('dispute_opened'), at: Instant }),
  z.object({ kind: z.literal('dispute_resolved'), at: Instant, credit: MoneySchema.optional() }),
  z.object({ kind: z.literal('promise'), at: Instant, promisedDate: DateSchema, amount: MoneySchema }),
]);

export const SimulationRequestSchema = z.object({
  version: z.number().int().min(1).optional().describe('policy version; the latest when absent'),
  sendTime: z.string().regex(/^(immediate|([01]\d|2[0-3]):[0-5]\d)$/).optional().describe('defaults to the configured LETTER_SEND_TIME'),
  until: Instant.optional().describe('simulate up to this instant; default: until every invoice is paid or a year after its due date'),
  approveGatedSteps: z.boolean().default(true),
  invoices: z.array(z.object({
    invoiceNo: z.string().min(1),
    dueDate: DateSchema,
    milestoneKind: z.enum(MILESTONE_KINDS).default('progress'),
    amount: MoneySchema,
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone').default('Asia/Shanghai'),
    startAt: Instant.describe('when collection starts: the issue date, or go-live for an imported invoice'),
    events: z.array(EventSchema).default([]),
  })).max(10_000).default([]),
  invoiceNos: z.array(z.string()).max(10_000).default([]).describe('invoices from the database, with their real payments, disputes and promises'),
}).refine((r) => r.invoices.length + r.invoiceNos.length > 0, 'give invoices or invoiceNos').meta({ id: 'SimulationRequest' });

export type SimulationRequest = z.output<typeof SimulationRequestSchema>;

async function invoicesFromDatabase(db: Db, invoiceNos: string[]): Promise<SimulatedInvoice[]> {
  if (invoiceNos.length === 0) return [];
  const rows = await db.selectFrom('invoices').innerJoin('milestones', (join) => join.onRef('milestones.contract_no', '=', 'invoices.contract_no').onRef('milestones.seq', '=', 'invoices.milestone_seq'))
    .innerJoin('customers', 'customers.code', 'invoices.customer_code')
    .select(['invoices.no', 'invoices.due_date', 'invoices.amount_minor', 'invoices.created_at', 'milestones.kind', 'customers.time_zone'])
    .where('invoices.no', 'in', invoiceNos).execute();
  const missing = invoiceNos.filter((no) => !rows.some((r) => r.no === no));
  if (missing.length > 0) throw badRequest('invoiceNos', `unknown invoices: ${missing.slice(0, 10).join(', ')}`);
  const [payments, disputes, promises] = await Promise.all([
    db.selectFrom('allocations').select(['invoice_no', 'amount_minor', 'created_at']).where('invoice_no', 'in', invoiceNos).where('reversed_at', 'is', null).execute(),
    db.selectFrom('disputes').select(['invoice_no', 'opened_at', 'resolved_at', 'credit_minor']).where('invoice_no', 'in', invoiceNos).execute(),
    db.selectFrom('promises').select(['invoice_no', 'recorded_at', 'promised_date', 'amount_minor']).where('invoice_no', 'in', invoiceNos).execute(),
  ]);
  return rows.map((row) => {
    const events: SimulationEvent[] = [
      ...payments.filter((p) => p.invoice_no === row.no).map((p): SimulationEvent => ({ at: p.created_at.getTime(), kind: 'payment', amountMinor: p.amount_minor })),
      ...disputes.filter((d) => d.invoice_no === row.no).flatMap((d): SimulationEvent[] => [
        { at: d.opened_at.getTime(), kind: 'dispute_opened' },
        ...(d.resolved_at ? [{ at: d.resolved_at.getTime(), kind: 'dispute_resolved' as const, creditMinor: d.credit_minor ?? 0 }] : []),
      ]),
      ...promises.filter((p) => p.invoice_no === row.no).map((p): SimulationEvent => ({ at: p.recorded_at.getTime(), kind: 'promise', promisedDate: p.promised_date, amountMinor: p.amount_minor })),
    ];
    return { invoiceNo: row.no, dueDate: row.due_date, milestoneKind: row.kind as MilestoneKind, amountMinor: row.amount_minor, timeZone: row.time_zone, startAt: row.created_at.getTime(), events };
  });
}

function invoicesFromRequest(request: SimulationRequest): SimulatedInvoice[] {
  return request.invoices.map((invoice, index) => {
    const currency = invoice.amount.currency;
    const minor = (money: { value: string; currency: string }, field: string) => toMinor(money, `invoices.${index}.${field}`, currency).minor;
    return {
      invoiceNo: invoice.invoiceNo, dueDate: invoice.dueDate, milestoneKind: invoice.milestoneKind, timeZone: invoice.timeZone,
      amountMinor: minor(invoice.amount, 'amount'), startAt: Date.parse(invoice.startAt),
      events: invoice.events.map((event, e): SimulationEvent => {
        const at = Date.parse(event.at);
        switch (event.kind) {
          case 'payment': return { at, kind: 'payment', amountMinor: minor(event.amount, `events.${e}.amount`) };
          case 'dispute_opened': return { at, kind: 'dispute_opened' };
          case 'dispute_resolved': return { at, kind: 'dispute_resolved', creditMinor: event.credit ? minor(event.credit, `events.${e}.credit`) : 0 };
          case 'promise': return { at, kind: 'promise', promisedDate: event.promisedDate, amountMinor: minor(event.amount, `events.${e}.amount`) };
        }
      }),
    };
  });
}

/** Runs a policy over invoices (given, or from the database with their real facts) with the workflow's own decision code. */
export async function runSimulation(db: Db, policyId: string, request: SimulationRequest, defaultSendTime: SendTime) {
  const policy = await policyVersion(db, policyId, request.version);
  if (!policy) throw notFound(`policy ${policyId}${request.version ? ` version ${request.version}` : ''}`);
  const defaultCalendar = await loadCalendar(db);
  const stored = await invoicesFromDatabase(db, request.invoiceNos);
  // Stored invoices follow their customer's calendar, as their workflows do.
  const calendars = new Map(await Promise.all(stored.map(async (i) => [i.invoiceNo, await loadCalendar(db, i.invoiceNo)] as const)));
  const invoices = [...invoicesFromRequest(request), ...stored];
  const results = invoices.map((invoice) => {
    const calendar = calendars.get(invoice.invoiceNo) ?? defaultCalendar;
    const until = request.until ? Date.parse(request.until) : zonedInstant(invoice.dueDate, '00:00', invoice.timeZone) + 366 * 86_400_000;
    const actions = simulateInvoice(invoice, { policy, calendar, sendTime: (request.sendTime as SendTime | undefined) ?? defaultSendTime, until, approveGatedSteps: request.approveGatedSteps });
    return { invoice, actions };
  });
  return {
    policy: { id: policy.id, version: policy.version },
    summary: summarize(results),
    invoices: results.map(({ invoice, actions }) => ({
      invoiceNo: invoice.invoiceNo,
      lettersBeforeEachPayment: invoice.events.filter((e) => e.kind === 'payment').map((payment) => ({
        paymentAt: new Date(payment.at).toISOString(),
        letters: actions.filter((a) => a.kind === 'letter' && a.at < payment.at).length,
      })),
      actions: actions.map((a) => ({ at: new Date(a.at).toISOString(), kind: a.kind, step: a.step, occurrence: a.occurrence })),
    })),
  };
}
