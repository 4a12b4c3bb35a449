/**
 * GET /metrics on the real API (PostgreSQL, Temporal dev server, a real worker): request durations by
 * route pattern, and the outbox, task and import gauges read from the database at each scrape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { insertInvoice } from '../support/fixtures';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness();
});
afterAll(async () => {
  await harness?.stop();
});

async function scrape(): Promise<string> {
  const response = await fetch(`${harness.admin.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

/** The value of one sample (name and exact label set), 0 when the scrape has no such line. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('GET /metrics', () => {
  it('counts requests under their route pattern and status, not their path', async () => {
    await harness.admin.get('/api/v1/customers/NO-SUCH-A');
    await harness.admin.get('/api/v1/customers/NO-SUCH-B');
    const text = await scrape();
    expect(
      sample(
        text,
        'huikuan_http_request_duration_seconds_count{method="GET",route="/api/v1/customers/:code",status="404"}',
      ),
    ).toBe(2);
    expect(text).not.toContain('NO-SUCH-A');
  });

  it('reads the outbox, open tasks and import rows from the database at each scrape', async () => {
    const db = harness.database.db;
    const before = await scrape();
    await insertInvoice(db, {
      customerCode: 'MET-1',
      contractNo: 'MET-C-1',
      invoiceNo: 'MET-INV-1',
      amountMinor: 100_000,
      issueDate: '2026-01-01',
      dueDate: '2026-02-01',
    });
    const dueAnHourAgo = new Date(Date.now() - 3_600_000);
    await db
      .insertInto('letters')
      .values({
        invoice_no: 'MET-INV-1',
        contract_no: 'MET-C-1',
        step: 'overdue_1',
        occurrence: 1,
        locale: 'zh-CN',
        recipients: JSON.stringify(['ap@met.example']),
        cc: JSON.stringify([]),
        subject: 's',
        body_text: 't',
        body_html: 'h',
        message_id: '<met-1@huikuan>',
        sender_name: 'x',
        status: 'pending',
        scheduled_for: dueAnHourAgo,
        decided_at: dueAnHourAgo,
      } as never)
      .execute();
    await db
      .insertInto('tasks')
      .values([
        {
          task_key: 'met/overdue',
          contract_no: 'MET-C-1',
          kind: 'call',
          owner_role: 'finance',
          title: 'call',
          status: 'open',
          due_at: dueAnHourAgo,
        },
        {
          task_key: 'met/later',
          contract_no: 'MET-C-1',
          kind: 'call',
          owner_role: 'finance',
          title: 'call',
          status: 'open',
          due_at: new Date(Date.now() + 86_400_000),
        },
      ] as never)
      .execute();
    await db
      .insertInto('imports')
      .values({
        kind: 'bank_statement',
        file_name: 'met.csv',
        file_sha256: 'met',
        status: 'imported',
        created_by: 'admin',
        report: JSON.stringify({ rowsRead: 7, imported: 5, unmatched: 1, duplicates: 1, rejected: 0 }),
      } as never)
      .execute();
    await db
      .insertInto('notifications')
      .values({
        notification_key: 'task/met/overdue/to/someone',
        kind: 'task',
        locale: 'zh-CN',
        recipients: JSON.stringify(['someone@huikuan.test']),
        subject: '',
        body_text: '',
        body_html: '',
        message_id: '',
        status: 'pending',
        created_at: dueAnHourAgo,
      })
      .execute();

    const after = await scrape();
    expect(
      sample(after, 'huikuan_notifications{status="pending"}') -
        sample(before, 'huikuan_notifications{status="pending"}'),
    ).toBe(1);
    expect(sample(after, 'huikuan_notification_oldest_unsent_seconds')).toBeGreaterThanOrEqual(3_600);
    expect(
      sample(after, 'huikuan_letters{status="pending"}') - sample(before, 'huikuan_letters{status="pending"}'),
    ).toBe(1);
    expect(sample(after, 'huikuan_letter_oldest_unsent_seconds')).toBeGreaterThanOrEqual(3_600);
    expect(
      sample(after, 'huikuan_tasks_open{owner_role="finance",overdue="true"}') -
        sample(before, 'huikuan_tasks_open{owner_role="finance",overdue="true"}'),
    ).toBe(1);
    expect(
      sample(after, 'huikuan_tasks_open{owner_role="finance",overdue="false"}') -
        sample(before, 'huikuan_tasks_open{owner_role="finance",overdue="false"}'),
    ).toBe(1);
    expect(
      sample(after, 'huikuan_import_rows{kind="bank_statement",outcome="rowsRead"}') -
        sample(before, 'huikuan_import_rows{kind="bank_statement",outcome="rowsRead"}'),
    ).toBe(7);
    expect(
      sample(after, 'huikuan_import_rows{kind="bank_statement",outcome="unmatched"}') -
        sample(before, 'huikuan_import_rows{kind="bank_statement",outcome="unmatched"}'),
    ).toBe(1);
  });
});
