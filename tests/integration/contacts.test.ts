/**
 * Customer contacts through the API (list, add, change, remove; validated; no duplicate address in a role; never
 * the last payment owner; on the timeline), and letters that cannot go out, end to end against the real API,
 * PostgreSQL, Temporal dev server, worker and SMTP catcher: an invoice imported 70 days overdue for a customer
 * with only a payment owner (the go-live catch-up's +60 executive letter is addressed to the decision maker)
 * either goes to the payment owner (the default) or, when its step blocks, waits visibly with a task and goes
 * out once, to the decision maker added later; never for an invoice paid meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { releaseBlockedLetters } from '../../activities/blocked-letters';
import { createTransport } from '../../activities/mailer';
import { linkForContact, linkSecret, signLink } from '../../services/portal-links';
import { eventually } from '../support/api-harness';
import { MAIL_FROM } from '../support/workers';
import { blockedLetterScenario } from '../support/blocked-letters';
import { apiSuiteWithPeople, createCustomer, daysAgo } from '../support/scenario';

const suite = apiSuiteWithPeople();
const db = () => suite.harness.database.db;

describe('customer contacts through the API', () => {
  it('adds, lists, changes and removes contacts by role, each change on the timeline with who and when', async () => {
    const { sales, finance } = suite.people;
    const code = await createCustomer(sales);
    const added = await sales.post(`/api/v1/customers/${code}/contacts`, {
      role: 'acceptance_owner',
      name: '周工',
      email: 'accept@example.cn',
      phone: '+86 21 5555 0101',
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({ role: 'acceptance_owner', name: '周工', email: 'accept@example.cn' });
    const id = added.body.id as number;

    const changed = await finance.put(`/api/v1/customers/${code}/contacts/${id}`, {
      email: 'acceptance@example.cn',
      phone: '',
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ id, email: 'acceptance@example.cn', phone: null, name: '周工' });

    const listed = await sales.get(`/api/v1/customers/${code}/contacts`);
    expect(listed.status).toBe(200);
    expect(listed.body.contacts.map((c: { role: string }) => c.role).sort()).toEqual([
      'acceptance_owner',
      'decision_maker',
      'finance',
      'payment_owner',
    ]);
    // The customer's own view carries the ids the commands take.
    const customer = await sales.get(`/api/v1/customers/${code}`);
    expect(customer.body.contacts.find((c: { id: number }) => c.id === id)).toMatchObject({
      email: 'acceptance@example.cn',
    });

    const removed = await sales.request('DELETE', `/api/v1/customers/${code}/contacts/${id}`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body.contacts.some((c: { id: number }) => c.id === id)).toBe(false);

    const history = await sales.get(`/api/v1/customers/${code}/contacts`);
    expect(
      history.body.changes.map((c: { action: string; actor: { name: string } }) => [c.action, c.actor.name]),
    ).toEqual([
      ['contact_removed', 'sally'],
      ['contact_changed', 'fiona'],
      ['contact_added', 'sally'],
    ]);
    expect(history.body.changes[1].details).toEqual({
      contactId: id,
      role: 'acceptance_owner',
      fields: ['email', 'phone'],
    });
    // The timeline keeps who and when, not the personal data itself.
    expect(JSON.stringify(history.body.changes)).not.toContain('example.cn');
  });

  it("revokes the contact's customer's page links when their address changes, in the same command", async () => {
    const { sales, finance } = suite.people;
    const code = await createCustomer(sales);
    const added = await sales.post(`/api/v1/customers/${code}/contacts`, {
      role: 'finance',
      name: '陈会计',
      email: 'ap@old-mailbox.cn',
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const id = added.body.id as number;
    const other = (await sales.get(`/api/v1/customers/${code}/contacts`)).body.contacts.find(
      (c: { role: string }) => c.role === 'payment_owner',
    ) as { id: number };
    const secret = await linkSecret(db());
    const page = async (contactId: number) => {
      const link = await linkForContact(db(), { id: contactId, customerCode: code }, Date.now());
      return `${suite.harness.admin.baseUrl}/portal/${signLink(secret, link.id)}`;
    };
    const [mine, theirs] = [await page(id), await page(other.id)];
    expect((await fetch(mine)).status).toBe(200);

    // Another field leaves the link working.
    expect((await finance.put(`/api/v1/customers/${code}/contacts/${id}`, { phone: '+86 21 5555 0102' })).status).toBe(
      200,
    );
    expect((await fetch(mine)).status).toBe(200);

    const changed = await finance.put(`/api/v1/customers/${code}/contacts/${id}`, { email: 'ap@new-mailbox.cn' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const refused = await fetch(mine);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('此链接已停用');
    const rows = await db().selectFrom('portal_links').selectAll().where('contact_id', '=', id).execute();
    expect(rows.map((row) => row.revoked_by)).toEqual(['fiona']);
    // Only that contact's links: another contact of the customer keeps theirs.
    expect((await fetch(theirs)).status).toBe(200);
  });

  it('refuses a bad address (400 naming the field), a duplicate in the same role (409) and removing the last payment owner (409)', async () => {
    const { sales, delivery } = suite.people;
    const code = await createCustomer(sales);
    const path = `/api/v1/customers/${code}/contacts`;

    const bad = await sales.post(path, { role: 'decision_maker', name: '张总', email: 'zhang at example' });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field)).toContain('email');
    const badRole = await sales.post(path, { role: 'ceo', name: '张总', email: 'zhang@example.cn' });
    expect(badRole.status).toBe(400);
    expect(badRole.body.details.map((d: { field: string }) => d.field)).toContain('role');

    const payer = `payer@${code.toLowerCase()}.test`;
    const duplicate = await sales.post(path, { role: 'payment_owner', name: '王芳', email: payer.toUpperCase() });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.details[0]).toMatchObject({ field: 'email', code: 'duplicate_contact' });
    // The same address in another role is a different contact.
    expect((await sales.post(path, { role: 'acceptance_owner', name: '王芳', email: payer })).status).toBe(201);

    const contacts = (await sales.get(path)).body.contacts as { id: number; role: string }[];
    const owner = contacts.find((c) => c.role === 'payment_owner')!;
    const last = await sales.request('DELETE', `${path}/${owner.id}`);
    expect(last.status).toBe(409);
    expect(last.body.details[0]).toMatchObject({ code: 'last_payment_owner' });
    const moved = await sales.put(`${path}/${owner.id}`, { role: 'finance' });
    expect(moved.status).toBe(409);
    expect(moved.body.details[0]).toMatchObject({ field: 'role', code: 'last_payment_owner' });

    expect((await sales.put(`${path}/${owner.id}`, {})).status).toBe(400);
    expect((await sales.put(`${path}/999999999`, { name: 'x' })).status).toBe(404);
    expect(
      (await sales.post(`/api/v1/customers/NO-SUCH/contacts`, { role: 'finance', name: 'x', email: 'x@x.cn' })).status,
    ).toBe(404);
    // Delivery does not keep customer master data.
    expect((await delivery.post(path, { role: 'finance', name: '赵', email: 'zhao@example.cn' })).status).toBe(403);
  });
});

const { importSeventyDaysOverdue, lettersOf, mailboxFor, timelineActions, contactTask, strictPolicyForGradeD } =
  blockedLetterScenario(suite, 'BL');

describe('letters whose recipient role has no contact', () => {
  it('sends the catch-up executive letter to the payment owner when the policy allows the fallback (the default)', async () => {
    const imported = await importSeventyDaysOverdue();
    const sent = await eventually(
      async () => (await lettersOf(imported.invoice)).find((l) => l.status === 'sent'),
      60_000,
      'the catch-up letter',
    );
    expect(sent.step).toBe('executive_60');
    expect(sent.recipients).toEqual([imported.payer]);
    expect(sent.blocked_roles).toBeNull();
    const mail = await mailboxFor(imported.invoice);
    expect(mail).toHaveLength(1);
    expect(mail[0].envelope_to).toEqual([imported.payer]);
    // Said on the timeline: it went to the payment owner because there is no decision maker.
    const fallback = await db()
      .selectFrom('timeline')
      .select(['details'])
      .where('invoice_no', '=', imported.invoice)
      .where('action', '=', 'letter_recipient_fallback')
      .executeTakeFirstOrThrow();
    expect(fallback.details).toMatchObject({
      step: 'executive_60',
      missingRoles: ['decision_maker'],
      sentTo: 'payment_owner',
    });
  });

  it('blocks it visibly when the step may not fall back, and sends it once to the decision maker added later', async () => {
    const policy = await strictPolicyForGradeD();
    expect(policy.steps.find((s) => s.key === 'executive_60')?.blockWithoutRecipient).toBe(true);
    const imported = await importSeventyDaysOverdue('D');
    const blocked = await eventually(
      async () => (await lettersOf(imported.invoice)).find((l) => l.status === 'blocked'),
      60_000,
      'the blocked letter',
    );
    expect(blocked).toMatchObject({ step: 'executive_60', recipients: [], blocked_roles: ['decision_maker'] });
    expect(await timelineActions(imported.invoice)).toContain('letter_blocked');
    const task = await eventually(async () => contactTask(imported.invoice), 10_000, 'the task');
    expect(task).toMatchObject({ status: 'open', owner_role: 'sales', owner_name: 'Sally Sales' });
    expect(task.title).toContain('Add a Decision maker contact');
    expect(task.wording).toMatchObject({ key: 'contactMissing', roles: ['decision_maker'], step: 'executive_60' });
    // The API and the console's letters list show it as waiting, with the role it waits for.
    const listed = await suite.people.sales.get(`/api/v1/letters?invoice=${imported.invoice}`);
    expect(listed.body[0]).toMatchObject({ status: 'blocked', blockedRoles: ['decision_maker'] });
    expect(await mailboxFor(imported.invoice)).toEqual([]);

    const added = await suite.people.sales.post(`/api/v1/customers/${imported.customer}/contacts`, {
      role: 'decision_maker',
      name: 'Dana Director',
      email: `director@${imported.customer.toLowerCase()}.test`,
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const sent = await eventually(
      async () => (await lettersOf(imported.invoice)).find((l) => l.status === 'sent'),
      30_000,
      'the released letter',
    );
    expect(sent.id).toBe(blocked.id);
    expect(sent.message_id).toBe(blocked.message_id);
    expect(sent.recipients).toEqual([added.body.email]);
    expect(sent.cc).toContain(imported.payer);
    expect(sent.body_text).toContain('Dana Director');
    const mail = await eventually(async () => {
      const rows = await mailboxFor(imported.invoice);
      return rows.length > 0 ? rows : undefined;
    });
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ message_id: blocked.message_id, deliveries: 1 });
    expect((await contactTask(imported.invoice))?.status).toBe('done');
    expect(await timelineActions(imported.invoice)).toContain('letter_sent');

    // Released again (another contact, the sweep): nothing more goes out.
    await suite.people.sales.post(`/api/v1/customers/${imported.customer}/contacts`, {
      role: 'decision_maker',
      name: 'Second Director',
      email: `second@${imported.customer.toLowerCase()}.test`,
    });
    await releaseBlockedLetters(db(), mailSettings(), {});
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await mailboxFor(imported.invoice)).toMatchObject([{ deliveries: 1 }]);
    expect((await lettersOf(imported.invoice)).filter((l) => l.status === 'sent')).toHaveLength(1);
  });

  it('never sends a blocked letter for an invoice paid before the contact exists; a crash after the contact is caught by the sweep', async () => {
    await strictPolicyForGradeD();
    const imported = await importSeventyDaysOverdue('D');
    await eventually(
      async () => (await lettersOf(imported.invoice)).find((l) => l.status === 'blocked'),
      60_000,
      'the blocked letter',
    );
    const paid = await suite.people.finance.post('/api/v1/payments', {
      customerCode: imported.customer,
      amount: { value: '50000.00', currency: 'CNY' },
      reference: `PAY-${imported.invoice}`,
      receivedOn: daysAgo(0),
      invoiceNo: imported.invoice,
    });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    // The contact arrives as if the API died between its commit and starting the release: only the sweep runs.
    await db()
      .insertInto('customer_contacts')
      .values({ customer_code: imported.customer, role: 'decision_maker', name: 'Late Director', email: 'late@x.test' })
      .execute();
    const totals = await releaseBlockedLetters(db(), mailSettings(), {});
    expect(totals.cancelled).toBeGreaterThanOrEqual(1);
    const [letter] = await lettersOf(imported.invoice);
    expect(letter.status).toBe('cancelled_paid');
    expect(await mailboxFor(imported.invoice)).toEqual([]);
    expect((await contactTask(imported.invoice))?.status).not.toBe('open');
    expect(await timelineActions(imported.invoice)).toContain('letter_cancelled');
  });

  it('never sends one whose invoice was written off meanwhile: cancelled_closed', async () => {
    await strictPolicyForGradeD();
    const imported = await importSeventyDaysOverdue('D');
    await eventually(
      async () => (await lettersOf(imported.invoice)).find((l) => l.status === 'blocked'),
      60_000,
      'the blocked letter',
    );
    // As the write-off activity leaves it (activities/collection-facts.ts recordWriteOff).
    await db()
      .updateTable('invoices')
      .set({ status: 'written_off', written_off_at: new Date(), write_off_reason: 'test' })
      .where('no', '=', imported.invoice)
      .execute();
    const added = await suite.people.sales.post(`/api/v1/customers/${imported.customer}/contacts`, {
      role: 'decision_maker',
      name: 'After Write-off',
      email: `after@${imported.customer.toLowerCase()}.test`,
    });
    expect(added.status).toBe(201);
    const [letter] = await eventually(async () => {
      const rows = await lettersOf(imported.invoice);
      return rows[0]?.status === 'blocked' ? undefined : rows;
    });
    expect(letter.status).toBe('cancelled_closed');
    expect(await mailboxFor(imported.invoice)).toEqual([]);
  });

  it('the sweep alone sends a letter whose contact was added without the release starting', async () => {
    await strictPolicyForGradeD();
    const imported = await importSeventyDaysOverdue('D');
    const blocked = await eventually(
      async () => (await lettersOf(imported.invoice)).find((l) => l.status === 'blocked'),
      60_000,
      'the blocked letter',
    );
    await db()
      .insertInto('customer_contacts')
      .values({
        customer_code: imported.customer,
        role: 'decision_maker',
        name: 'Swept Director',
        email: 'swept@x.test',
      })
      .execute();
    const totals = await releaseBlockedLetters(db(), mailSettings(), { customerCode: imported.customer });
    expect(totals).toMatchObject({ sent: 1, stillBlocked: 0 });
    const [letter] = await lettersOf(imported.invoice);
    expect(letter).toMatchObject({ id: blocked.id, status: 'sent', recipients: ['swept@x.test'] });
    expect(await mailboxFor(imported.invoice)).toMatchObject([{ deliveries: 1 }]);
    expect((await contactTask(imported.invoice))?.status).toBe('done');
  });
});

describe('a waiting letter overtaken by a later one', () => {
  it('is superseded, not sent, when a later letter of the invoice went out meanwhile (no burst of stale letters)', async () => {
    await strictPolicyForGradeD();
    const imported = await importSeventyDaysOverdue('D');
    const blocked = await eventually(
      async () => (await lettersOf(imported.invoice)).find((l) => l.status === 'blocked'),
      60_000,
      'the blocked letter',
    );
    // The +90 rung went to the payment owner in the meantime.
    await db()
      .insertInto('letters')
      .values({
        ...blocked,
        id: undefined,
        step: 'legal_notice_90',
        recipients: JSON.stringify([imported.payer]),
        cc: '[]',
        message_id: `<letter.${imported.invoice}.legal_notice_90.1@huikuan.test>`,
        status: 'sent',
        blocked_roles: null,
        step_request: null,
        created_at: undefined,
      })
      .execute();
    await db()
      .insertInto('customer_contacts')
      .values({ customer_code: imported.customer, role: 'decision_maker', name: 'Too Late', email: 'late2@x.test' })
      .execute();
    const totals = await releaseBlockedLetters(db(), mailSettings(), { customerCode: imported.customer });
    expect(totals).toMatchObject({ sent: 0, superseded: 1 });
    expect((await lettersOf(imported.invoice)).find((l) => l.id === blocked.id)?.status).toBe('superseded');
    expect(await mailboxFor(imported.invoice)).toEqual([]);
    expect((await contactTask(imported.invoice))?.status).toBe('skipped');
    expect(await timelineActions(imported.invoice)).toContain('letter_superseded');
  });
});

function mailSettings() {
  return {
    transport: createTransport(suite.harness.smtp.url, 5_000, 10),
    from: MAIL_FROM,
    companyName: 'Huikuan Test Co.',
  };
}
