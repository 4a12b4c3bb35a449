/**
 * The customer's page (issue 11) against the real stack: a real letter carries a link that opens the
 * customer's statement (and nothing of another customer's); tampered, expired and revoked links are
 * refused politely; a promise and a dispute given on the page land in the collection workflow and the
 * database once, with a task for the account owner and a confirmation mail caught by the SMTP catcher.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { disputeFromPortal, promiseFromPortal } from '../../services/portal';
import { openLink } from '../../services/portal-links';
import { collectionStatus } from '../../services/workflow-client';
import { eventually } from '../support/api-harness';
import { DAY_MS, addDays } from '../../domain/dates';
import {
  apiSuiteWithPeople,
  createCustomer,
  daysAgo,
  driveToDelivery,
  registerContract,
  todayInShanghai,
} from '../support/scenario';

const suite = apiSuiteWithPeople();

/** An advance invoice of 40,000.00 issued 45 days ago on 30-day terms, once its formal reminder went out. */
async function overdueInvoice(customer: string): Promise<string> {
  const { people } = suite;
  const no = await registerContract(people.sales, customer);
  await driveToDelivery(people, no, daysAgo(60));
  const invoiceNo = `${no}-A`;
  const issued = await people.finance.post('/api/v1/invoices', {
    contractNo: no,
    milestoneSeq: 1,
    invoiceNo,
    issueDate: daysAgo(45),
  });
  expect(issued.status, JSON.stringify(issued.body)).toBe(201);
  return invoiceNo;
}

async function sentLetter(invoiceNo: string) {
  return eventually(
    () =>
      suite.harness.database.db
        .selectFrom('letters')
        .selectAll()
        .where('invoice_no', '=', invoiceNo)
        .where('status', '=', 'sent')
        .executeTakeFirst(),
    60_000,
    `the letter of ${invoiceNo}`,
  );
}

/** The page's path in a letter's text, on this test server (the letter's base is PUBLIC_URL). */
function portalPath(text: string): string {
  const match = /https?:\/\/[^/\s]+(\/portal\/[A-Za-z0-9_.-]+)/.exec(text);
  if (!match) throw new Error(`no customer's page link in:\n${text}`);
  return match[1];
}

const base = () => suite.harness.admin.baseUrl;
const open = (path: string, init?: RequestInit) => fetch(`${base()}${path}`, { redirect: 'manual', ...init });
const formTokenOf = (html: string) => /name="_form" value="([^"]+)"/.exec(html)![1];

async function mailsTo(address: string) {
  return suite.harness.database.db
    .selectFrom('mailbox')
    .selectAll()
    .where(sql<boolean>`envelope_to @> ${JSON.stringify([address])}::jsonb`)
    .execute();
}

describe("the customer's page", () => {
  let customerA: string;
  let customerB: string;
  let invoiceA: string;
  let invoiceB: string;
  let pagePath: string;

  it('a real letter carries a working link to its contact’s statement, with nothing of another customer', async () => {
    customerA = await createCustomer(suite.people.sales);
    customerB = await createCustomer(suite.people.sales, { name: 'Other Customer Zeta Ltd' });
    [invoiceA, invoiceB] = await Promise.all([overdueInvoice(customerA), overdueInvoice(customerB)]);
    const letter = await sentLetter(invoiceA);
    await sentLetter(invoiceB);
    pagePath = portalPath(letter.body_text);
    expect(letter.body_html).toContain(`${pagePath}">`);
    expect(letter.portal_link_id).toBeTruthy();
    // The link is the addressed contact's (the payment owner, the letter's first recipient).
    const link = await suite.harness.database.db
      .selectFrom('portal_links')
      .innerJoin('customer_contacts', 'customer_contacts.id', 'portal_links.contact_id')
      .select(['customer_contacts.email', 'portal_links.customer_code', 'portal_links.expires_at'])
      .where('portal_links.id', '=', letter.portal_link_id!)
      .executeTakeFirstOrThrow();
    expect(link).toMatchObject({ email: `payer@${customerA.toLowerCase()}.test`, customer_code: customerA });
    expect(Math.round((link.expires_at.getTime() - Date.now()) / DAY_MS)).toBe(60);

    const page = await open(pagePath);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain(invoiceA);
    expect(html).toContain('未结发票');
    expect(html).toContain('¥40,000.00');
    // Late interest at 18.25 % a year on 40,000.00 for the 15 days past due: 300.00 (domain/interest.ts).
    expect(html).toContain('逾期利息');
    expect(html).toContain('¥300.00');
    expect(html).toContain(letter.subject);
    for (const other of [customerB, invoiceB, 'Other Customer Zeta Ltd', `payer@${customerB.toLowerCase()}.test`])
      expect(html).not.toContain(other);

    // The letter's body, through the page; another customer's letter is not reachable by its id.
    const letterPage = await open(`${pagePath}/letters/${letter.id}`);
    expect(letterPage.status).toBe(200);
    expect(await letterPage.text()).toContain(invoiceA);
    const letterOfB = await sentLetter(invoiceB);
    const foreign = await open(`${pagePath}/letters/${letterOfB.id}`);
    expect(foreign.status).toBe(404);
    expect(await foreign.text()).not.toContain(invoiceB);

    // The English page on request, the same facts.
    const english = await (await open(`${pagePath}?lang=en`)).text();
    expect(english).toContain('Open invoices');
  });

  it('a second letter to the same contact reuses the live link', async () => {
    const secondInvoice = await overdueInvoice(customerA);
    const letter = await sentLetter(secondInvoice);
    expect(portalPath(letter.body_text)).toBe(pagePath);
  });

  it('refuses a tampered, expired or revoked link politely in both languages (403/410), never a stack trace', async () => {
    const token = pagePath.split('/')[2];
    const [id, signature] = token.split('.');
    const flipped = `${id}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [
      flipped,
      `${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}.${signature}`,
      'nonsense',
      `${token}x`,
    ]) {
      const response = await open(`/portal/${bad}`);
      expect(response.status, bad).toBe(403);
      const html = await response.text();
      expect(html).toContain('此链接无法打开');
      expect(html).toContain('This link cannot be opened');
      expect(html).not.toMatch(/at \w+ \(|Error:|node_modules/);
    }
    const forged = await open(`/portal/${token}/promise`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'x=1',
    });
    expect(forged.status).toBe(400);

    // Expired: a link row whose time is up (the same signature, so only the row decides).
    const db = suite.harness.database.db;
    const { portal_link_id: linkId } = await sentLetter(invoiceA);
    await db
      .updateTable('portal_links')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', linkId!)
      .execute();
    const expired = await open(pagePath);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('This link has expired');
    await db
      .updateTable('portal_links')
      .set({ expires_at: new Date(Date.now() + 30 * DAY_MS) })
      .where('id', '=', linkId!)
      .execute();
    expect((await open(pagePath)).status).toBe(200);
  });

  it('a promise to pay lands in the workflow and the database once, with a task and one confirmation mail', async () => {
    const payer = `payer@${customerA.toLowerCase()}.test`;
    const html = await (await open(pagePath)).text();
    const promisedDate = addDays(todayInShanghai(), 10);
    const post = (body: Record<string, string>) =>
      open(`${pagePath}/promise`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body).toString(),
      });
    // Refused politely in Chinese: an amount over the balance (the workflow's validator says so).
    const tooMuch = await post({ _form: formTokenOf(html), invoiceNo: invoiceA, promisedDate, amount: '99999.00' });
    expect(tooMuch.status).toBe(409);
    expect(await tooMuch.text()).toContain('承诺金额必须大于零且不超过未付余额');
    // Someone else's invoice is not this customer's to promise.
    const foreign = await post({ _form: formTokenOf(html), invoiceNo: invoiceB, promisedDate, amount: '100.00' });
    expect(foreign.status).toBe(400);
    // A wrong form token (CSRF) is refused before anything happens.
    const forged = await post({ _form: 'forged', invoiceNo: invoiceA, promisedDate, amount: '100.00' });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('表单已失效');

    const accepted = await post({ _form: formTokenOf(html), invoiceNo: invoiceA, promisedDate, amount: '20,000.00' });
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toContain(`我们已记录您对发票 ${invoiceA} 的付款承诺`);
    const again = await post({ _form: formTokenOf(html), invoiceNo: invoiceA, promisedDate, amount: '20000.00' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('该发票已有一项未到期的付款承诺');

    const status = await collectionStatus(suite.harness.client, invoiceA);
    expect(status.pausedBy).toBe('promise');
    const db = suite.harness.database.db;
    const promises = await db.selectFrom('promises').selectAll().where('invoice_no', '=', invoiceA).execute();
    expect(promises).toHaveLength(1);
    expect(promises[0]).toMatchObject({ amount_minor: 2_000_000, contact: '王芳', recorded_by: `王芳 (${customerA})` });
    const mail = await eventually(
      async () => {
        const mails = (await mailsTo(payer)).filter((m) => m.subject?.includes('付款承诺'));
        return mails.length > 0 ? mails : undefined;
      },
      30_000,
      'the promise confirmation',
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await mailsTo(payer)).filter((m) => m.subject?.includes('付款承诺'))).toHaveLength(1);
    expect(mail[0].body_text).toContain('¥20,000.00');
    // The account owner's task, opened by the same durable step before the mail, once.
    const tasks = await db
      .selectFrom('tasks')
      .selectAll()
      .where('task_key', '=', `portal/promise/${promises[0].id}`)
      .execute();
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ owner_name: 'Sally Sales', kind: 'customer_page', status: 'open' });
  });

  it('a dispute with an attachment lands in the workflow, the database and the staff API, confirmed by mail', async () => {
    const payer = `payer@${customerA.toLowerCase()}.test`;
    const html = await (await open(pagePath)).text();
    const secondInvoice = (
      await suite.harness.database.db
        .selectFrom('invoices')
        .select('no')
        .where('customer_code', '=', customerA)
        .where('no', '!=', invoiceA)
        .executeTakeFirstOrThrow()
    ).no;
    const pdf = Buffer.from('%PDF-1.4\n% a delivery report\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
    const form = (file: Blob, name: string) => {
      const body = new FormData();
      body.set('_form', formTokenOf(html));
      body.set('invoiceNo', secondInvoice);
      body.set('reason', 'delivery_defect');
      body.set('note', '第二批设备有两台无法开机');
      body.set('attachment', file, name);
      return open(`${pagePath}/dispute`, { method: 'POST', body });
    };
    const notPdf = await form(new Blob(['<script>alert(1)</script>'], { type: 'application/pdf' }), 'x.pdf');
    expect(notPdf.status).toBe(400);
    expect(await notPdf.text()).toContain('附件只能是 PDF');

    const accepted = await form(new Blob([pdf], { type: 'application/pdf' }), '验收报告.pdf');
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toContain(`我们已记录您对发票 ${secondInvoice} 提出的异议`);

    const status = await collectionStatus(suite.harness.client, secondInvoice);
    expect(status.pausedBy).toBe('dispute');
    const disputes = await suite.people.finance.get(`/api/v1/invoices/${secondInvoice}/disputes`);
    expect(disputes.body).toHaveLength(1);
    expect(disputes.body[0]).toMatchObject({
      reason: 'delivery_defect',
      note: '第二批设备有两台无法开机',
      routedTo: 'delivery',
      openedBy: `王芳 (${customerA})`,
      attachment: { fileName: '验收报告.pdf', contentType: 'application/pdf', sizeBytes: pdf.length },
    });
    const download = await fetch(`${base()}${disputes.body[0].attachment.href}`, {
      headers: { Authorization: `Bearer ${suite.people.finance.token}` },
    });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    const anonymous = await fetch(`${base()}${disputes.body[0].attachment.href}`);
    expect(anonymous.status).toBe(401);

    const db = suite.harness.database.db;
    const mail = await eventually(
      async () => {
        const mails = (await mailsTo(payer)).filter((m) => m.subject?.includes('异议'));
        return mails.length > 0 ? mails : undefined;
      },
      30_000,
      'the dispute confirmation',
    );
    expect(mail).toHaveLength(1);
    expect(mail[0].body_text).toContain('交付缺陷');
    const tasks = await db
      .selectFrom('tasks')
      .selectAll()
      .where('task_key', '=', `portal/dispute/${disputes.body[0].id}`)
      .execute();
    expect(tasks).toHaveLength(1);
    expect(mail[0].body_text).toContain('验收报告.pdf');
  });

  it('refuses a repeated field or a malformed upload with the polite page (400), once, recording nothing', async () => {
    const html = await (await open(pagePath)).text();
    const form = formTokenOf(html);
    const promisedDate = addDays(todayInShanghai(), 5);
    const urlencoded = (path: string, body: string) =>
      open(`${pagePath}/${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body,
      });
    const politeRefusal = async (response: Response) => {
      expect(response.status).toBe(400);
      const text = await response.text();
      expect(text).toContain('暂时无法处理您的提交');
      expect(text).not.toMatch(/at \w+ \(|Error:|node_modules/);
    };
    const db = suite.harness.database.db;
    const disputesOfA = () => db.selectFrom('disputes').select('id').where('invoice_no', '=', invoiceA).execute();
    const q = (fields: [string, string][]) => new URLSearchParams(fields).toString();

    // A repeated amount is not read as nothing (0), nor a repeated note as a crash (500).
    await politeRefusal(
      await urlencoded(
        'promise',
        q([
          ['_form', form],
          ['invoiceNo', invoiceA],
          ['promisedDate', promisedDate],
          ['amount', '100.00'],
          ['amount', '200.00'],
        ]),
      ),
    );
    await politeRefusal(
      await urlencoded(
        'dispute',
        q([
          ['_form', form],
          ['invoiceNo', invoiceA],
          ['reason', 'quality'],
          ['note', 'a'],
          ['note', 'b'],
        ]),
      ),
    );
    const multipart = new FormData();
    for (const [name, value] of [
      ['_form', form],
      ['invoiceNo', invoiceA],
      ['reason', 'quality'],
      ['note', 'a'],
      ['note', 'b'],
    ])
      multipart.append(name, value);
    await politeRefusal(await open(`${pagePath}/dispute`, { method: 'POST', body: multipart }));
    expect(await disputesOfA()).toHaveLength(0);

    // A multipart body cut short in its file: busboy says `error`, then `close`; the form is refused once.
    const boundary = 'huikuan-test-boundary';
    const part = (name: string, value: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const cut =
      part('_form', form) +
      part('invoiceNo', invoiceA) +
      part('reason', 'quality') +
      part('note', 'the file did not arrive whole') +
      `--${boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="a.pdf"\r\n` +
      'Content-Type: application/pdf\r\n\r\n%PDF-1.4 cut short';
    await politeRefusal(
      await open(`${pagePath}/dispute`, {
        method: 'POST',
        headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
        body: Buffer.from(cut),
      }),
    );
    // Nothing runs on after the answer (a second pass of the route would record the dispute without its file).
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await disputesOfA()).toHaveLength(0);
    expect((await open(pagePath)).status).toBe(200);
  });

  it('loses nothing when the process fails after the update: the customer’s retry finishes the task, mail and file', async () => {
    const payer = `payer@${customerA.toLowerCase()}.test`;
    const invoiceNo = await overdueInvoice(customerA);
    await sentLetter(invoiceNo);
    const { client, database, taskQueue } = suite.harness;
    const db = database.db;
    const link = await openLink(db, pagePath.split('/')[2], Date.now());
    if (typeof link === 'string') throw new Error(`the link does not open: ${link}`);
    const died = (): never => {
      throw new Error('the process died here');
    };
    const bound = (target: object, prop: string | symbol) => {
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    };
    // The update goes through; the start of the confirmation fails, or the file's insert does.
    const workflow = new Proxy(client.workflow, {
      get: (target, prop) => (prop === 'start' ? async () => died() : bound(target, prop)),
    });
    const noConfirmation = new Proxy(client, {
      get: (target, prop) => (prop === 'workflow' ? workflow : bound(target, prop)),
    });
    const noAttachments = new Proxy(db, {
      get: (target, prop) =>
        prop === 'insertInto'
          ? (table: string) => (table === 'dispute_attachments' ? died() : target.insertInto(table as 'tasks'))
          : bound(target, prop),
    });
    const html = await (await open(pagePath)).text();
    const promisedDate = addDays(todayInShanghai(), 7);

    await expect(
      promiseFromPortal({ db, temporal: noConfirmation, taskQueue }, link, {
        invoiceNo,
        promisedDate,
        amountMinor: 1_000_000,
      }),
    ).rejects.toThrow('the process died here');
    const promise = await db
      .selectFrom('promises')
      .selectAll()
      .where('invoice_no', '=', invoiceNo)
      .executeTakeFirstOrThrow();
    // The customer tries again: refused (the invoice holds their promise), but the follow-up is done now.
    const retried = await open(`${pagePath}/promise`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _form: formTokenOf(html), invoiceNo, promisedDate, amount: '10000.00' }).toString(),
    });
    expect(retried.status).toBe(409);
    const promiseTask = await eventually(
      () =>
        db.selectFrom('tasks').selectAll().where('task_key', '=', `portal/promise/${promise.id}`).executeTakeFirst(),
      20_000,
      'the promise task after the retry',
    );
    expect(promiseTask).toMatchObject({ kind: 'customer_page', owner_name: 'Sally Sales' });
    const promiseMail = await eventually(
      async () =>
        (await mailsTo(payer)).find((m) => m.subject?.includes('付款承诺') && m.body_text?.includes(invoiceNo)),
      20_000,
      'the promise confirmation after the retry',
    );
    expect(promiseMail.body_text).toContain('¥10,000.00');

    const pdf = Buffer.from('%PDF-1.4\n% the measured values\n%%EOF\n');
    await expect(
      disputeFromPortal({ db: noAttachments, temporal: client, taskQueue }, link, {
        invoiceNo,
        reason: 'quality',
        reasonWord: () => '质量问题',
        note: '测量值不符',
        attachment: { fileName: '测量记录.pdf', contentType: 'application/pdf', content: pdf },
      }),
    ).rejects.toThrow('the process died here');
    const dispute = await db
      .selectFrom('disputes')
      .selectAll()
      .where('invoice_no', '=', invoiceNo)
      .executeTakeFirstOrThrow();
    const body = new FormData();
    body.set('_form', formTokenOf(html));
    body.set('invoiceNo', invoiceNo);
    body.set('reason', 'quality');
    body.set('note', '测量值不符');
    body.set('attachment', new Blob([pdf], { type: 'application/pdf' }), '测量记录.pdf');
    const again = await open(`${pagePath}/dispute`, { method: 'POST', body });
    expect(again.status).toBe(409);
    const stored = await db
      .selectFrom('dispute_attachments')
      .selectAll()
      .where('dispute_id', '=', dispute.id)
      .executeTakeFirst();
    expect(stored?.content.equals(pdf)).toBe(true);
    expect(stored?.uploaded_by).toBe(`王芳 (${customerA})`);
    await eventually(
      () =>
        db.selectFrom('tasks').selectAll().where('task_key', '=', `portal/dispute/${dispute.id}`).executeTakeFirst(),
      20_000,
      'the dispute task after the retry',
    );
    const disputeMail = await eventually(
      async () => (await mailsTo(payer)).find((m) => m.subject?.includes('异议') && m.body_text?.includes(invoiceNo)),
      20_000,
      'the dispute confirmation after the retry',
    );
    expect(disputeMail.body_text).toContain('测量记录.pdf');
    // Each once, however often the customer retries.
    await open(`${pagePath}/dispute`, { method: 'POST', body });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const confirmations = (await mailsTo(payer)).filter(
      (m) => (m.subject?.includes('付款承诺') || m.subject?.includes('异议')) && m.body_text?.includes(invoiceNo),
    );
    expect(confirmations).toHaveLength(2);
  });

  it('staff revoke a customer’s links; the link then shows the refusal and a customer cannot revoke', async () => {
    const listed = await suite.people.sales.get(`/api/v1/customers/${customerA}/portal-links`);
    expect(listed.status).toBe(200);
    expect(listed.body.length).toBeGreaterThan(0);
    expect((await suite.people.delivery.post(`/api/v1/customers/${customerA}/portal-links/revoke`, {})).status).toBe(
      403,
    );
    const revoked = await suite.people.finance.post(`/api/v1/customers/${customerA}/portal-links/revoke`, {});
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked).toBeGreaterThan(0);
    const response = await open(pagePath);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('此链接已停用');
  });

  it('tells an address that tries many bad tokens to wait (429), while a genuine link still opens', async () => {
    const other = await createCustomer(suite.people.sales);
    const letter = await sentLetter(await overdueInvoice(other));
    const genuine = portalPath(letter.body_text);
    const statuses: number[] = [];
    for (let i = 0; i < 32; i += 1) statuses.push((await open(`/portal/guess-${i}`)).status);
    expect(statuses.slice(0, 10).every((status) => status === 403)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect((await open(genuine)).status).toBe(200);
  });
});
