/**
 * The blocked-letters sweep when things go wrong, against the real API, PostgreSQL, Temporal dev server, worker,
 * SMTP catcher and a real SMTP server that refuses some mail: one letter SMTP refuses is counted and left for the
 * next sweep while the others go out (the run never fails for it), and a letter released but not yet sent whose
 * invoice was written off or paid meanwhile is ended, never sent and never swept again; one another attempt holds
 * ('sending') is left alone.
 */
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBlockedLetters } from '../../activities/blocked-letters';
import type { MailSettings } from '../../activities/letters';
import { createTransport } from '../../activities/mailer';
import { eventually } from '../support/api-harness';
import { MAIL_FROM } from '../support/workers';
import { blockedLetterScenario } from '../support/blocked-letters';
import { apiSuiteWithPeople, daysAgo } from '../support/scenario';

const suite = apiSuiteWithPeople();
const db = () => suite.harness.database.db;

/** A real SMTP server that refuses for good (550, after DATA) any mail to an address starting with "bounce". */
let relay: SMTPServer;
let refusing: MailSettings;
let good: MailSettings;
const accepted: string[] = [];

beforeAll(async () => {
  relay = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 1_000,
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        if (to.some((a) => a.startsWith('bounce')))
          return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
        accepted.push(...to);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()));
  const port = (relay.server.address() as { port: number }).port;
  refusing = {
    transport: createTransport(`smtp://127.0.0.1:${port}`, 5_000, 2),
    from: MAIL_FROM,
    companyName: 'Huikuan Test Co.',
  };
});

afterAll(async () => {
  refusing?.transport.close();
  good?.transport.close();
  if (relay) await new Promise<void>((resolve) => relay.close(() => resolve()));
});

function goodMail(): MailSettings {
  good ??= {
    transport: createTransport(suite.harness.smtp.url, 5_000, 10),
    from: MAIL_FROM,
    companyName: 'Huikuan Test Co.',
  };
  return good;
}

const { importSeventyDaysOverdue, lettersOf, mailboxFor, timelineActions, contactTask, strictPolicyForGradeD } =
  blockedLetterScenario(suite, 'BS');

/** A customer whose catch-up executive letter waits ('blocked') for a decision maker. */
async function blockedCustomer() {
  await strictPolicyForGradeD();
  const imported = await importSeventyDaysOverdue('D');
  const blocked = await eventually(
    async () => (await lettersOf(imported.invoice)).find((l) => l.status === 'blocked'),
    60_000,
    'the blocked letter',
  );
  return { ...imported, blocked };
}

/** The decision maker arrives without the release starting (as after a crash): only a sweep moves the letter. */
async function addDecisionMaker(customer: string, email: string) {
  await db()
    .insertInto('customer_contacts')
    .values({ customer_code: customer, role: 'decision_maker', name: 'Dana Director', email })
    .execute();
}

describe('the blocked-letters sweep', () => {
  it('leaves a letter SMTP refuses for the next sweep, counted, and still sends the others', async () => {
    const [refused, fine] = await Promise.all([blockedCustomer(), blockedCustomer()]);
    await addDecisionMaker(refused.customer, `bounce@${refused.customer.toLowerCase()}.test`);
    await addDecisionMaker(fine.customer, `dm@${fine.customer.toLowerCase()}.test`);

    // The run ends (it does not fail and retry for ever), the refusal counted.
    const totals = await releaseBlockedLetters(db(), refusing, {});
    expect(totals).toMatchObject({ sent: 1, failed: 1 });
    expect(accepted).toContain(`dm@${fine.customer.toLowerCase()}.test`);
    expect((await lettersOf(fine.invoice))[0].status).toBe('sent');
    const [waiting] = await lettersOf(refused.invoice);
    expect(waiting).toMatchObject({ id: refused.blocked.id, status: 'pending' });
    expect(waiting.last_error).toContain('mailbox unavailable');
    expect((await contactTask(refused.invoice))?.status).toBe('open');

    // The next sweep (the relay takes it now) sends it, once.
    const next = await releaseBlockedLetters(db(), goodMail(), {});
    expect(next).toMatchObject({ sent: 1, failed: 0 });
    expect((await lettersOf(refused.invoice))[0]).toMatchObject({
      status: 'sent',
      message_id: refused.blocked.message_id,
    });
    expect(await mailboxFor(refused.invoice)).toMatchObject([{ deliveries: 1 }]);
    expect((await contactTask(refused.invoice))?.status).toBe('done');
  });

  it('ends a released letter not yet sent whose invoice was written off or paid, and never one being sent', async () => {
    const [closed, paid, held] = await Promise.all([blockedCustomer(), blockedCustomer(), blockedCustomer()]);
    // Released to the decision maker, but SMTP refused it: 'pending', waiting for the next sweep.
    for (const c of [closed, paid, held]) {
      await addDecisionMaker(c.customer, `bounce@${c.customer.toLowerCase()}.test`);
      await releaseBlockedLetters(db(), refusing, { customerCode: c.customer }).catch(() => undefined);
      expect((await lettersOf(c.invoice))[0]).toMatchObject({ status: 'pending', blocked_roles: ['decision_maker'] });
    }
    // Another attempt holds this one ('sending', its claim alive).
    await db()
      .updateTable('letters')
      .set({ status: 'sending', claimed_until: new Date(Date.now() + 10 * 60_000) })
      .where('id', '=', held.blocked.id)
      .execute();
    // As the write-off activity leaves it (activities/collection-facts.ts recordWriteOff), and as a full payment does.
    await db()
      .updateTable('invoices')
      .set({ status: 'written_off', written_off_at: new Date(), write_off_reason: 'test' })
      .where('no', 'in', [closed.invoice, held.invoice])
      .execute();
    await db()
      .updateTable('invoices')
      .set({ status: 'paid', balance_minor: 0, paid_on: daysAgo(0) })
      .where('no', '=', paid.invoice)
      .execute();

    const totals = await releaseBlockedLetters(db(), goodMail(), {});
    expect(totals).toMatchObject({ cancelled: 2, failed: 0 });
    expect((await lettersOf(closed.invoice))[0].status).toBe('cancelled_closed');
    expect((await lettersOf(paid.invoice))[0].status).toBe('cancelled_paid');
    expect((await lettersOf(held.invoice))[0].status).toBe('sending');
    for (const c of [closed, paid, held]) expect(await mailboxFor(c.invoice)).toEqual([]);
    for (const c of [closed, paid]) {
      expect(await timelineActions(c.invoice)).toContain('letter_cancelled');
      expect((await contactTask(c.invoice))?.status).toBe('skipped');
    }
    // They do not come back in the next sweep.
    expect(await releaseBlockedLetters(db(), goodMail(), {})).toMatchObject({ sent: 0, cancelled: 0 });
  });
});
