/**
 * A 1,000-invoice simulation runs on a CPU thread: /healthz keeps answering within a second meanwhile,
 * the figures are those of a direct simulateInvoice call, and requests past the bounds are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCalendar } from '../../activities/collection-steps';
import { HttpError } from '../../api/errors';
import { SimulationRequestSchema } from '../../api/schemas/simulation';
import { runSimulation } from '../../api/simulation';
import { addDays, zonedInstant } from '../../domain/dates';
import { DEFAULT_POLICY } from '../../domain/policy';
import { simulateInvoice } from '../../domain/simulate';
import { type ApiClient, type ApiHarness, startApiHarness } from '../support/api-harness';

const TZ = 'Asia/Shanghai';
const DAY = 86_400_000;
let harness: ApiHarness;
let finance: ApiClient;

beforeAll(async () => {
  harness = await startApiHarness();
  finance = await harness.person('fiona', 'finance');
});

afterAll(async () => {
  await harness?.stop();
});

/** Invoice i: due on one of 400 days, some paid late, some disputed, some promised. */
function requestInvoice(i: number) {
  const dueDate = addDays('2026-01-05', i % 400);
  const due = zonedInstant(dueDate, '10:00', TZ);
  const iso = (at: number) => new Date(at).toISOString();
  const events = [];
  if (i % 3 === 0)
    events.push({
      kind: 'payment',
      at: iso(due + (20 + (i % 70)) * DAY),
      amount: { value: '100000.00', currency: 'CNY' },
    });
  if (i % 5 === 1)
    events.push(
      { kind: 'dispute_opened', at: iso(due + 5 * DAY) },
      { kind: 'dispute_resolved', at: iso(due + 15 * DAY) },
    );
  if (i % 7 === 2)
    events.push({
      kind: 'promise',
      at: iso(due + 12 * DAY),
      promisedDate: addDays(dueDate, 25),
      amount: { value: '40000.00', currency: 'CNY' },
    });
  return {
    invoiceNo: `LOAD-${i}`,
    dueDate,
    milestoneKind: i % 2 === 0 ? 'progress' : 'final',
    amount: { value: '100000.00', currency: 'CNY' },
    startAt: iso(due - 30 * DAY),
    events,
  };
}

/** Polls /healthz every 100 ms while `work` runs and returns the slowest answer's time. */
async function slowestHealthDuring<T>(work: Promise<T>): Promise<{ result: T; slowestMs: number; polls: number }> {
  let done = false;
  const latencies: number[] = [];
  const poller = (async () => {
    while (!done) {
      const started = performance.now();
      const response = await harness.anonymous.get('/healthz');
      latencies.push(performance.now() - started);
      expect(response.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const result = await work.finally(() => {
    done = true;
  });
  await poller;
  return { result, slowestMs: Math.max(...latencies), polls: latencies.length };
}

describe('a 1,000-invoice simulation', () => {
  it('leaves /healthz answering within a second and gives the figures of a direct simulation', async () => {
    const invoices = Array.from({ length: 1_000 }, (_, i) => requestInvoice(i));
    const started = performance.now();
    const {
      result: response,
      slowestMs,
      polls,
    } = await slowestHealthDuring(finance.post('/api/v1/policies/default/simulate', { sendTime: '09:30', invoices }));
    console.log(
      `1,000-invoice simulation: ${Math.round(performance.now() - started)} ms, ${polls} /healthz polls, slowest ${Math.round(slowestMs)} ms`,
    );
    expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(200);
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(slowestMs).toBeLessThan(1_000);
    expect(response.body.summary.invoices).toBe(1_000);

    const calendar = await loadCalendar(harness.database.db);
    for (const i of [0, 1, 2, 501, 999]) {
      const invoice = requestInvoice(i);
      const direct = simulateInvoice(
        {
          invoiceNo: invoice.invoiceNo,
          dueDate: invoice.dueDate,
          milestoneKind: invoice.milestoneKind as 'progress' | 'final',
          amountMinor: 10_000_000,
          timeZone: TZ,
          startAt: Date.parse(invoice.startAt),
          events: invoice.events.map((e) => {
            const at = Date.parse(e.at);
            if (e.kind === 'payment') return { at, kind: 'payment', amountMinor: 10_000_000 };
            if (e.kind === 'promise')
              return { at, kind: 'promise', promisedDate: e.promisedDate!, amountMinor: 4_000_000 };
            return {
              at,
              kind: e.kind as 'dispute_opened' | 'dispute_resolved',
              creditMinor: e.kind === 'dispute_resolved' ? 0 : undefined,
            };
          }),
        },
        {
          policy: DEFAULT_POLICY,
          calendar,
          sendTime: '09:30',
          until: zonedInstant(invoice.dueDate, '00:00', TZ) + 366 * DAY,
          approveGatedSteps: true,
        },
      );
      const simulated = response.body.invoices[i];
      expect(simulated.invoiceNo).toBe(invoice.invoiceNo);
      expect(direct.filter((a) => a.kind === 'letter').length).toBeGreaterThan(0);
      expect(simulated.actions).toEqual(
        direct.map((a) => ({ at: new Date(a.at).toISOString(), kind: a.kind, step: a.step, occurrence: a.occurrence })),
      );
    }
  });
});

describe('simulation bounds', () => {
  const one = requestInvoice(0);

  it('refuses more than 1,000 invoices, given or from the database, naming the field', async () => {
    const tooMany = await finance.post('/api/v1/policies/default/simulate', {
      invoices: Array.from({ length: 1_001 }, () => one),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.details[0]).toMatchObject({
      field: 'invoices',
      message: expect.stringContaining('at most 1,000 invoices'),
    });
    const together = await finance.post('/api/v1/policies/default/simulate', {
      invoices: Array.from({ length: 600 }, () => one),
      invoiceNos: Array.from({ length: 401 }, (_, i) => `NO-${i}`),
    });
    expect(together.status).toBe(400);
    expect(together.body.details[0]).toMatchObject({
      field: 'invoices',
      message: expect.stringContaining('(1001 given)'),
    });
  });

  it('refuses more than 200 events on one invoice', async () => {
    const events = Array.from({ length: 201 }, () => ({ kind: 'dispute_opened', at: one.startAt }));
    const response = await finance.post('/api/v1/policies/default/simulate', { invoices: [{ ...one, events }] });
    expect(response.status).toBe(400);
    expect(response.body.details[0]).toMatchObject({
      field: 'invoices.0.events',
      message: 'at most 200 events per invoice',
    });
  });

  it('refuses an until more than 3 years after the latest due date or before the earliest start', async () => {
    const later = requestInvoice(399);
    const tooFar = await finance.post('/api/v1/policies/default/simulate', {
      invoices: [one, later],
      until: `${addDays(later.dueDate, 1_100)}T00:00:00+08:00`,
    });
    expect(tooFar.status).toBe(400);
    expect(tooFar.body.details[0]).toMatchObject({
      field: 'until',
      message: `must be at most 3 years after the latest due date (${later.dueDate})`,
    });
    const within = await finance.post('/api/v1/policies/default/simulate', {
      invoices: [one, later],
      until: `${addDays(later.dueDate, 1_090)}T00:00:00+08:00`,
    });
    expect(within.status).toBe(200);
    const before = await finance.post('/api/v1/policies/default/simulate', {
      invoices: [one],
      until: '2025-01-01T00:00:00+08:00',
    });
    expect(before.status).toBe(400);
    expect(before.body.details[0].field).toBe('until');
  });

  it('answers 422 with a clear message when the simulation passes its time limit', async () => {
    const invoices = Array.from({ length: 300 }, (_, i) => requestInvoice(i));
    const request = SimulationRequestSchema.parse({ invoices, sendTime: '09:30' });
    const error = await runSimulation(harness.database.db, 'default', request, '09:30', { timeoutMs: 5 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({
      status: 422,
      details: [
        { code: 'simulation_timeout', message: expect.stringContaining('simulate fewer invoices or a shorter period') },
      ],
    });
  });
});
