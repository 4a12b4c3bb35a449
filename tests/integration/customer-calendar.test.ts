/** A customer can follow its own business calendar; letters of its invoices are then timed by it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCalendar } from '../../activities/collection-steps';
import { CHINA_MAINLAND_CALENDAR } from '../../domain/calendar';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { insertInvoice } from '../support/fixtures';
import { cny, createCustomer } from '../support/scenario';

let harness: ApiHarness;

beforeAll(async () => {
  harness = await startApiHarness();
});

afterAll(async () => {
  await harness?.stop();
});

const GERMANY = {
  id: 'de',
  name: 'Germany',
  weekendDays: [0, 6],
  holidays: [{ date: '2026-12-25', name: 'Weihnachten' }],
  makeUpWorkdays: [],
};

describe('calendar per customer', () => {
  it('refuses an unknown calendar, and times an invoice by the customer calendar once chosen', async () => {
    const sales = await harness.person('sally', 'sales');
    const unknown = await sales.post('/api/v1/customers', {
      code: 'DE-1',
      name: 'Berlin GmbH',
      creditLimit: cny('1.00'),
      calendarId: 'de',
      timeZone: 'Europe/Berlin',
      locale: 'en',
      contacts: [{ role: 'payment_owner', name: 'P', email: 'p@de.test' }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details[0].field).toBe('calendarId');

    expect((await harness.admin.put('/api/v1/calendars/de', GERMANY)).status).toBe(200);
    const code = await createCustomer(sales, { calendarId: 'de', timeZone: 'Europe/Berlin', locale: 'en' });
    expect((await sales.get(`/api/v1/customers/${code}`)).body.calendarId).toBe('de');
    await harness.database.db
      .insertInto('contracts')
      .values({
        no: 'C-DE',
        customer_code: code,
        title: 't',
        amount_minor: 100,
        currency: 'CNY',
        payment_terms_type: 'credit_terms',
        stage: 'Collection',
        terms: '{}',
        details: '{}',
        owners: null,
        created_by: 'sally',
      })
      .execute();
    await harness.database.db
      .insertInto('invoices')
      .values({
        no: 'INV-DE',
        contract_no: 'C-DE',
        milestone_seq: 1,
        customer_code: code,
        currency: 'CNY',
        amount_minor: 100,
        tax_minor: 0,
        balance_minor: 100,
        issue_date: '2026-11-01',
        due_date: '2026-12-01',
        status: 'open',
        issued_by: 'x',
      })
      .execute();
    await insertInvoice(harness.database.db, {
      customerCode: 'CN-1',
      contractNo: 'C-CN',
      invoiceNo: 'INV-CN',
      amountMinor: 100,
      issueDate: '2026-11-01',
      dueDate: '2026-12-01',
    });

    expect((await loadCalendar(harness.database.db, 'INV-DE')).id).toBe('de');
    expect((await loadCalendar(harness.database.db, 'INV-CN')).id).toBe(CHINA_MAINLAND_CALENDAR.id);
  });
});
