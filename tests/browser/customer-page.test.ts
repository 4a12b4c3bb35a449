/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
/**
 * The customer's page (issue 11) in real Chromium, with JavaScript off as a customer's locked-down browser
 * might have it: the payment owner opens the link from a real letter, reads the statement in Chinese,
 * promises to pay, disputes another invoice with a PDF attached, and a tampered link is refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../domain/dates';
import { type ApiHarness, eventually, startApiHarness } from '../support/api-harness';
import { launchBrowser, overflowingText, personWithPassword, screenshot, signIn } from '../support/browser';
import {
  type People,
  createCustomer,
  createPeople,
  daysAgo,
  driveToDelivery,
  registerContract,
  todayInShanghai,
} from '../support/scenario';

async function submitAndWait(page: Page, submit: Locator): Promise<void> {
  const navigated = page.waitForEvent('framenavigated', (frame) => frame === page.mainFrame());
  await submit.click();
  await navigated;
  await page.waitForLoadState('load');
}

describe("the customer's page in Chromium", () => {
  let harness: ApiHarness;
  let browser: Browser;
  let people: People;

  async function overdueInvoice(customer: string): Promise<string> {
    const no = await registerContract(people.sales, customer, { title: '仓储管理系统实施' });
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

  beforeAll(async () => {
    harness = await startApiHarness();
    browser = await launchBrowser();
    people = {
      ...(await createPeople(harness)),
      finance: await personWithPassword(harness, 'Fiona Finance', 'finance'),
    };
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  it('opens the link of a real letter, reads the statement in Chinese, promises, disputes with a file; a tampered link is refused', async () => {
    const customer = await createCustomer(people.sales, { name: '华东精密制造有限公司' });
    const first = await overdueInvoice(customer);
    const second = await overdueInvoice(customer);
    const letter = await eventually(
      () =>
        harness.database.db
          .selectFrom('letters')
          .select(['body_html'])
          .where('invoice_no', '=', first)
          .where('status', '=', 'sent')
          .executeTakeFirst(),
      60_000,
      'the letter',
    );
    // The link as the customer's mail client shows it; its base is PUBLIC_URL, here the test server.
    const href = /<a href="([^"]+\/portal\/[^"]+)">/.exec(letter.body_html)![1];
    const link = `${harness.admin.baseUrl}${new URL(href).pathname}`;

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
    const page = await context.newPage();
    const opened = await page.goto(link);
    expect(opened!.status()).toBe(200);
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await expect.poll(() => page.locator('#statement h2').innerText()).toContain('未结发票');
    const rows = page.locator('#statement tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const firstRow = await rows.filter({ hasText: first }).innerText();
    expect(firstRow).toContain('¥40,000.00');
    expect(firstRow).toContain('¥300.00'); // 18.25 % a year for 15 days
    expect(await page.locator('#letters tbody tr').count()).toBeGreaterThan(0);
    // The Chinese glyphs come from the font the app serves (Chromium here has no CJK font of its own).
    await page.evaluate(() => document.fonts.ready);
    expect(await page.evaluate(() => document.fonts.check('16px "Noto Sans SC"', '未结发票'))).toBe(true);
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'customer-page');

    // A letter's body, and back.
    await submitAndWait(page, page.locator('#letters tbody tr', { hasText: first }).first().locator('a'));
    expect(await page.locator('#letter pre').innerText()).toContain(first);
    await submitAndWait(page, page.locator('a', { hasText: '返回对账页面' }));

    // Promise to pay.
    const promise = page.locator('#promise form');
    await promise.locator('select[name=invoiceNo]').selectOption(first);
    await promise.locator('input[name=promisedDate]').fill(addDays(todayInShanghai(), 7));
    await promise.locator('input[name=amount]').fill('40000.00');
    await submitAndWait(page, promise.locator('button[type=submit]'));
    expect(await page.locator('#done').innerText()).toContain(`我们已记录您对发票 ${first} 的付款承诺`);

    // Dispute the other invoice with a PDF.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'portal-')), '质量报告.pdf');
    fs.writeFileSync(file, '%PDF-1.4\n% quality report\n%%EOF\n');
    const dispute = page.locator('#dispute form');
    await dispute.locator('select[name=invoiceNo]').selectOption(second);
    await dispute.locator('select[name=reason]').selectOption('quality');
    await dispute.locator('textarea[name=note]').fill('设备运行不稳定，已多次反馈。');
    await dispute.locator('input[name=attachment]').setInputFiles(file);
    await submitAndWait(page, dispute.locator('button[type=submit]'));
    expect(await page.locator('#done').innerText()).toContain(`我们已记录您对发票 ${second} 提出的异议`);
    await screenshot(page, 'customer-page-dispute-confirmed');

    const disputes = await people.finance.get(`/api/v1/invoices/${second}/disputes`);
    expect(disputes.body[0]).toMatchObject({ reason: 'quality', attachment: { fileName: '质量报告.pdf' } });
    const promises = await people.finance.get(`/api/v1/invoices/${first}/promises`);
    expect(promises.body[0]).toMatchObject({ amount: { value: '40000.00' }, status: 'open' });

    // A tampered link: one character of the signature changed.
    const tampered = link.endsWith('A') ? `${link.slice(0, -1)}B` : `${link.slice(0, -1)}A`;
    const refused = await page.goto(tampered);
    expect(refused!.status()).toBe(403);
    expect(await page.locator('#link-refused').innerText()).toContain('此链接无法打开');
    expect(await page.locator('#link-refused').innerText()).toContain('This link cannot be opened');
    await screenshot(page, 'customer-page-refused');
    await context.close();

    // Staff: the dispute's file from the Invoice page, then every link of the customer revoked from its page.
    const staff = await signIn(browser, harness.admin.baseUrl, 'Fiona Finance');
    await staff.goto(`/invoices/${encodeURIComponent(second)}`);
    const download = staff.waitForEvent('download');
    await staff.locator('#disputes a.attachment').click();
    expect((await download).suggestedFilename()).toBe('质量报告.pdf');
    await staff.goto(`/customers/${encodeURIComponent(customer)}`);
    await submitAndWait(staff, staff.locator('#revoke-portal-links button[type=submit]'));
    const revoked = await fetch(link);
    expect(revoked.status).toBe(403);
    expect(await revoked.text()).toContain('此链接已停用');
  });
});
