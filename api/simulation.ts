import path from 'node:path';
import type { Db } from '../db/connect';
import { policyVersion } from '../db/policies';
import { calendarsByIds } from '../db/calendars';
import type { SendTime } from '../domain/collection';
import type { MilestoneKind } from '../domain/contract-rules';
import { DEFAULT_CALENDAR_ID } from '../domain/calendar';
import { DAY_MS, zonedInstant } from '../domain/dates';
import type { SimulatedInvoice, SimulationEvent, SimulationJob, simulateJob } from '../domain/simulate';
import { type JobOptions, ThreadJobTimeout, ThreadPoolBusy, cpuPool } from '../stack/threads';
import { HttpError } from './errors';
import { invalidInput, notFound } from '../domain/refusal';
import { toMinor } from './money';
import { SIMULATION_LIMITS, type SimulationRequest } from './schemas/simulation';

const SIMULATE_MODULE = path.join(__dirname, '..', 'domain', 'simulate.ts');

interface StoredInvoice {
  invoice: SimulatedInvoice;
  /** The customer's calendar, which its workflow follows. */
  calendarId: string | null;
}

async function invoicesFromDatabase(db: Db, invoiceNos: string[]): Promise<StoredInvoice[]> {
  if (invoiceNos.length === 0) return [];
  const rows = await db
    .selectFrom('invoices')
    .innerJoin('milestones', (join) =>
      join
        .onRef('milestones.contract_no', '=', 'invoices.contract_no')
        .onRef('milestones.seq', '=', 'invoices.milestone_seq'),
    )
    .innerJoin('customers', 'customers.code', 'invoices.customer_code')
    .select([
      'invoices.no',
      'invoices.due_date',
      'invoices.amount_minor',
      'invoices.created_at',
      'milestones.kind',
      'customers.time_zone',
      'customers.calendar_id',
    ])
    .where('invoices.no', 'in', invoiceNos)
    .execute();
  const found = new Set(rows.map((r) => r.no));
  const missing = invoiceNos.filter((no) => !found.has(no));
  if (missing.length > 0) throw invalidInput('invoiceNos', `unknown invoices: ${missing.slice(0, 10).join(', ')}`);
  const [payments, disputes, promises] = await Promise.all([
    db
      .selectFrom('allocations')
      .select(['invoice_no', 'amount_minor', 'created_at'])
      .where('invoice_no', 'in', invoiceNos)
      .where('reversed_at', 'is', null)
      .execute(),
    db
      .selectFrom('disputes')
      .select(['invoice_no', 'opened_at', 'resolved_at', 'credit_minor'])
      .where('invoice_no', 'in', invoiceNos)
      .execute(),
    db
      .selectFrom('promises')
      .select(['invoice_no', 'recorded_at', 'promised_date', 'amount_minor'])
      .where('invoice_no', 'in', invoiceNos)
      .execute(),
  ]);
  const events = new Map<string, SimulationEvent[]>(rows.map((r) => [r.no, []]));
  for (const p of payments)
    events.get(p.invoice_no)!.push({ at: p.created_at.getTime(), kind: 'payment', amountMinor: p.amount_minor });
  for (const d of disputes) {
    events.get(d.invoice_no)!.push({ at: d.opened_at.getTime(), kind: 'dispute_opened' });
    if (d.resolved_at)
      events
        .get(d.invoice_no)!
        .push({ at: d.resolved_at.getTime(), kind: 'dispute_resolved', creditMinor: d.credit_minor ?? 0 });
  }
  for (const p of promises)
    events.get(p.invoice_no)!.push({
      at: p.recorded_at.getTime(),
      kind: 'promise',
      promisedDate: p.promised_date,
      amountMinor: p.amount_minor,
    });
  return rows.map((row) => ({
    calendarId: row.calendar_id,
    invoice: {
      invoiceNo: row.no,
      dueDate: row.due_date,
      milestoneKind: row.kind as MilestoneKind,
      amountMinor: row.amount_minor,
      timeZone: row.time_zone,
      startAt: row.created_at.getTime(),
      events: events.get(row.no)!,
    },
  }));
}

function invoicesFromRequest(request: SimulationRequest): SimulatedInvoice[] {
  return request.invoices.map((invoice, index) => {
    const currency = invoice.amount.currency;
    const minor = (money: { value: string; currency: string }, field: string) =>
      toMinor(money, `invoices.${index}.${field}`, currency).minor;
    return {
      invoiceNo: invoice.invoiceNo,
      dueDate: invoice.dueDate,
      milestoneKind: invoice.milestoneKind,
      timeZone: invoice.timeZone,
      amountMinor: minor(invoice.amount, 'amount'),
      startAt: Date.parse(invoice.startAt),
      events: invoice.events.map((event, e): SimulationEvent => {
        const at = Date.parse(event.at);
        switch (event.kind) {
          case 'payment':
            return { at, kind: 'payment', amountMinor: minor(event.amount, `events.${e}.amount`) };
          case 'dispute_opened':
            return { at, kind: 'dispute_opened' };
          case 'dispute_resolved':
            return {
              at,
              kind: 'dispute_resolved',
              creditMinor: event.credit ? minor(event.credit, `events.${e}.credit`) : 0,
            };
          case 'promise':
            return {
              at,
              kind: 'promise',
              promisedDate: event.promisedDate,
              amountMinor: minor(event.amount, `events.${e}.amount`),
            };
        }
      }),
    };
  });
}

const YEAR_MS = 365.25 * DAY_MS;

/** `until` must leave something to simulate and must not stretch the ladder's repeats without end. */
function checkUntil(until: number, invoices: SimulatedInvoice[]): void {
  const earliestStart = Math.min(...invoices.map((i) => i.startAt));
  const latestDue = invoices.map((i) => i.dueDate).reduce((a, b) => (a > b ? a : b));
  if (until < earliestStart)
    throw invalidInput('until', `must not be before the earliest startAt (${new Date(earliestStart).toISOString()})`);
  const limit = Date.parse(`${latestDue}T00:00:00Z`) + SIMULATION_LIMITS.yearsAfterLatestDue * YEAR_MS;
  if (until > limit)
    throw invalidInput(
      'until',
      `must be at most ${SIMULATION_LIMITS.yearsAfterLatestDue} years after the latest due date (${latestDue})`,
    );
}

/** What the CPU thread's failures mean to the client: too heavy for the time limit, or too many at once. */
function simulationFailure(error: unknown): unknown {
  if (error instanceof ThreadJobTimeout) {
    return new HttpError(422, 'the simulation took too long', [
      { code: 'simulation_timeout', message: `${error.message}: simulate fewer invoices or a shorter period` },
    ]);
  }
  if (error instanceof ThreadPoolBusy)
    return new HttpError(503, 'too many simulations and exports at once', [{ code: 'busy', message: error.message }]);
  return error;
}

/**
 * Runs a policy over invoices (given, or from the database with their real facts) with the workflow's own
 * decision code. The database is read here; the simulation itself runs on a CPU thread.
 */
export async function runSimulation(
  db: Db,
  policyId: string,
  request: SimulationRequest,
  defaultSendTime: SendTime,
  options: JobOptions = {},
) {
  const policy = await policyVersion(db, policyId, request.version);
  if (!policy) throw notFound(`policy ${policyId}${request.version ? ` version ${request.version}` : ''}`);
  const stored = await invoicesFromDatabase(db, request.invoiceNos);
  const { calendars, calendarOf } = await calendarsByIds(
    db,
    stored.map((s) => s.calendarId),
  );
  const invoices = [
    ...invoicesFromRequest(request).map((invoice) => ({ invoice, calendarId: DEFAULT_CALENDAR_ID })),
    ...stored.map(({ invoice, calendarId }) => ({ invoice, calendarId: calendarOf(calendarId) })),
  ];
  const until = request.until ? Date.parse(request.until) : undefined;
  if (until !== undefined)
    checkUntil(
      until,
      invoices.map((i) => i.invoice),
    );
  const job: SimulationJob = {
    policy,
    calendars,
    sendTime: (request.sendTime as SendTime | undefined) ?? defaultSendTime,
    approveGatedSteps: request.approveGatedSteps,
    invoices: invoices.map(({ invoice, calendarId }) => ({
      invoice,
      calendarId,
      until: until ?? zonedInstant(invoice.dueDate, '00:00', invoice.timeZone) + 366 * DAY_MS,
    })),
  };
  const report = await cpuPool()
    .run<typeof simulateJob>(SIMULATE_MODULE, 'simulateJob', [job], options)
    .catch((error: unknown) => {
      throw simulationFailure(error);
    });
  return { policy: { id: policy.id, version: policy.version }, ...report };
}
