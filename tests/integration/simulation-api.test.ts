/** Policy simulation through the API and the CLI, against the real database. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { insertInvoice } from '../support/fixtures';
import { cny } from '../support/scenario';

const REPO = path.resolve(__dirname, '..', '..');
const example = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'simulation-request.json'), 'utf8'));
let harness: ApiHarness;

beforeAll(async () => {
  harness = await startApiHarness();
});

afterAll(async () => {
  await harness?.stop();
});

describe('policy simulation', () => {
  it('reports letters and tasks with their times, following the business calendar, and totals per step', async () => {
    const finance = await harness.person('fiona', 'finance');
    const response = await finance.post('/api/v1/policies/default/simulate', example);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const { summary, invoices, policy } = response.body;
    expect(policy).toEqual({ id: 'default', version: 1 });
    const ex1 = invoices.find((i: { invoiceNo: string }) => i.invoiceNo === 'EX-1').actions;
    const letters = ex1.filter((a: { kind: string }) => a.kind === 'letter');
    // due Wed 2026-09-30: the reminder of Sun 27 Sept goes out Mon 28 Sept 09:30; the +1 day letter falls in the
    // National Day holiday (1–7 Oct) and goes out Thu 8 Oct; the +10 reminder on the make-up Saturday 10 Oct.
    expect(letters.slice(0, 4).map((a: { step: string; at: string }) => [a.step, a.at])).toEqual([
      ['pre_due', '2026-09-28T01:30:00.000Z'],
      ['due', '2026-09-30T01:30:00.000Z'],
      ['overdue_1', '2026-10-08T01:30:00.000Z'],
      ['formal_reminder', '2026-10-10T01:30:00.000Z'],
    ]);
    // promised 20 Oct + 3 days' grace: broken at the first send window after 23 Oct, Mon 26 Oct 09:30,
    // climbing from the formal reminder that applies to the statement of account.
    const broken = ex1.find((a: { kind: string }) => a.kind === 'promise_broken');
    expect(broken.at).toBe('2026-10-26T01:30:00.000Z');
    expect(letters.slice(4).map((a: { step: string; at: string }) => [a.step, a.at])).toEqual([
      ['statement_30', '2026-10-26T01:30:00.000Z'],
    ]);
    expect(ex1[ex1.length - 1]).toMatchObject({ kind: 'paid', at: '2026-11-05T03:00:00.000Z' });
    expect(summary.invoices).toBe(2);
    expect(summary.letters).toBe(
      invoices
        .flatMap((i: { actions: { kind: string }[] }) => i.actions)
        .filter((a: { kind: string }) => a.kind === 'letter').length,
    );
    expect(summary.perStep.statement_30.letters).toBeGreaterThanOrEqual(1);
  });

  it('refuses an unknown policy and a request without invoices', async () => {
    const finance = await harness.person('fred', 'finance');
    expect((await finance.post('/api/v1/policies/nope/simulate', example)).status).toBe(404);
    const empty = await finance.post('/api/v1/policies/default/simulate', {});
    expect(empty.status).toBe(400);
    const bad = await finance.post('/api/v1/policies/default/simulate', {
      invoices: [{ ...example.invoices[0], amount: cny('1.001') }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].field).toBe('invoices.0.amount.value');
  });

  it('gives the same figures from the command line', async () => {
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'bin/simulate.ts', 'default', 'examples/simulation-request.json', '--json'],
      {
        cwd: REPO,
        env: { ...process.env, DATABASE_URL: harness.database.url },
      },
    );
    const finance = await harness.person('fay', 'finance');
    const api = (await finance.post('/api/v1/policies/default/simulate', example)).body;
    expect(stdout).toContain(
      `policy default v1: 2 invoices, ${api.summary.letters} letters, ${api.summary.tasks} tasks`,
    );
    const json = JSON.parse(stdout.slice(stdout.indexOf('{\n')));
    expect(json.invoices).toEqual(api.invoices);
  });

  it('simulates invoices from the database with their real payments, disputes and promises', async () => {
    const finance = await harness.person('fern', 'finance');
    const db = harness.database.db;
    await insertInvoice(db, {
      customerCode: 'SIMDB',
      contractNo: 'C-SIMDB',
      invoiceNo: 'SIMDB-1',
      amountMinor: 1_000_000,
      issueDate: '2026-08-31',
      dueDate: '2026-09-30',
    });
    await db
      .updateTable('invoices')
      .set({ created_at: new Date('2026-08-31T02:00:00Z') } as never)
      .where('no', '=', 'SIMDB-1')
      .execute();
    const payment = await db
      .insertInto('payments')
      .values({
        customer_code: 'SIMDB',
        reference: 'B-1',
        amount_minor: 1_000_000,
        currency: 'CNY',
        received_on: '2026-10-16',
        unallocated_minor: 0,
        recorded_by: 'fern',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('allocations')
      .values({
        payment_id: payment.id,
        invoice_no: 'SIMDB-1',
        amount_minor: 1_000_000,
        created_at: new Date('2026-10-16T03:00:00Z'),
      })
      .execute();
    await db
      .insertInto('disputes')
      .values({
        id: 'SIMDB-1/D1',
        invoice_no: 'SIMDB-1',
        reason: 'quality',
        note: null,
        routed_to: 'delivery',
        status: 'resolved',
        opened_by: 'fern',
        opened_at: new Date('2026-10-09T02:00:00Z'),
        sla_due_at: new Date('2026-10-19T02:00:00Z'),
        outcome: 'rejected',
        credit_minor: 0,
        resolved_by: 'fern',
        resolved_at: new Date('2026-10-14T02:00:00Z'),
      })
      .execute();

    const response = await finance.post('/api/v1/policies/default/simulate', {
      invoiceNos: ['SIMDB-1'],
      sendTime: '09:30',
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const [invoice] = response.body.invoices;
    const letters = invoice.actions
      .filter((a: { kind: string }) => a.kind === 'letter')
      .map((a: { step: string; at: string }) => [a.step, a.at]);
    // progress milestone due Wed 30 Sept: reminder Mon 28 Sept, due notice, +1 letter after National Day (Thu 8 Oct);
    // the dispute of 9–14 Oct pauses the +10 reminder (make-up Saturday 10 Oct), which goes out when it is resolved.
    expect(letters).toEqual([
      ['pre_due', '2026-09-28T01:30:00.000Z'],
      ['due', '2026-09-30T01:30:00.000Z'],
      ['overdue_1', '2026-10-08T01:30:00.000Z'],
      ['formal_reminder', '2026-10-14T02:00:00.000Z'],
    ]);
    expect(invoice.lettersBeforeEachPayment).toEqual([{ paymentAt: '2026-10-16T03:00:00.000Z', letters: 4 }]);
    expect(invoice.actions[invoice.actions.length - 1]).toEqual({ kind: 'paid', at: '2026-10-16T03:00:00.000Z' });
    expect(
      (await finance.post('/api/v1/policies/default/simulate', { invoiceNos: ['NOPE'] })).body.details[0].field,
    ).toBe('invoiceNos');
  });
});
