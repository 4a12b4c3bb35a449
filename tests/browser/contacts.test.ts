/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../domain/dates';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { insertInvoice } from '../support/fixtures';
import { createCustomer, todayInShanghai } from '../support/scenario';
import {
  launchBrowser,
  overflowingText,
  personWithPassword,
  screenshot,
  signIn,
  switchLanguage,
} from '../support/browser';

/** The customer page's contacts: add, change and remove by role, refusals beside their field; a waiting letter on the invoice page. */
describe('console: customer contacts', () => {
  let harness: ApiHarness;
  let browser: Browser;
  let baseUrl: string;
  let code: string;

  beforeAll(async () => {
    harness = await startApiHarness();
    baseUrl = harness.admin.baseUrl;
    browser = await launchBrowser();
    const sales = await personWithPassword(harness, '销售小张', 'sales');
    await personWithPassword(harness, '交付小李', 'delivery');
    code = await createCustomer(sales, {
      name: '贝塔制造有限公司',
      contacts: [{ role: 'payment_owner', name: '王芳', email: 'wangfang@beta.example.cn' }],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  it('adds, changes and removes a contact, with the refusals beside their field and the changes listed', async () => {
    const page = await signIn(browser, baseUrl, '销售小张');
    await page.goto(`/customers/${code}`);
    await expect(page.textContent('#contacts')).resolves.toContain('王芳');

    // A bad address is refused beside its field, keeping what was typed.
    await page.selectOption('#contact-add select[name=role]', 'decision_maker');
    await page.fill('#contact-add input[name=name]', '李总');
    await page.fill('#contact-add input[name=email]', 'li at beta');
    await page.click('#contact-add button[type=submit]');
    await page.waitForSelector('#contact-add .refused');
    await expect(page.textContent('#contact-add label:has(input[name=email]) .field-error')).resolves.toBeTruthy();
    expect(await page.inputValue('#contact-add input[name=name]')).toBe('李总');
    expect(await page.inputValue('#contact-add select[name=role]')).toBe('decision_maker');

    await page.fill('#contact-add input[name=email]', 'li@beta.example.cn');
    await Promise.all([
      page.waitForURL((url) => url.pathname === `/customers/${code}`),
      page.click('#contact-add button[type=submit]'),
    ]);
    const row = page.locator('#contacts tbody tr', { hasText: 'li@beta.example.cn' });
    await expect(row.textContent()).resolves.toContain('决策人');

    // A duplicate address in the same role is refused (409) in the add form.
    await page.selectOption('#contact-add select[name=role]', 'payment_owner');
    await page.fill('#contact-add input[name=name]', '王芳');
    await page.fill('#contact-add input[name=email]', 'WANGFANG@beta.example.cn');
    await page.click('#contact-add button[type=submit]');
    await page.waitForSelector('#contact-add .refused');
    await expect(page.textContent('#contact-add .refused')).resolves.toContain('email');

    // Change the decision maker's name and phone.
    await page.goto(`/customers/${code}`);
    const decisionMaker = page.locator('#contacts tbody tr', { hasText: 'li@beta.example.cn' });
    await decisionMaker.locator('summary').click();
    await decisionMaker.locator('input[name=name]').fill('李建国');
    await decisionMaker.locator('input[name=phone]').fill('+86 10 5555 0199');
    await Promise.all([page.waitForLoadState('load'), decisionMaker.locator('.contact-change button').click()]);
    await expect(page.locator('#contacts tbody tr', { hasText: 'li@beta.example.cn' }).textContent()).resolves.toMatch(
      /李建国[\s\S]*\+86 10 5555 0199/,
    );

    // The last payment owner cannot be removed: refused in its own row.
    const payer = page.locator('#contacts tbody tr', { hasText: 'wangfang@beta.example.cn' });
    await payer.locator('.contact-remove button').click();
    await page.waitForSelector('#contacts .contact-remove .refused');
    await expect(page.textContent('#contacts .contact-remove .refused')).resolves.toContain('payment_owner');

    await page.goto(`/customers/${code}`);
    await Promise.all([
      page.waitForLoadState('load'),
      page.locator('#contacts tbody tr', { hasText: 'li@beta.example.cn' }).locator('.contact-remove button').click(),
    ]);
    expect(await page.locator('#contacts tbody tr', { hasText: 'li@beta.example.cn' }).count()).toBe(0);
    const changes = await page.textContent('#contacts .contact-changes');
    expect(changes).toMatch(/销售小张[\s\S]*删除 决策人[\s\S]*修改 决策人[\s\S]*姓名、电话[\s\S]*添加 决策人/);
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'customer-contacts.zh-CN');

    await switchLanguage(page, 'en');
    await expect(page.textContent('#contacts')).resolves.toContain('Add a contact');
    await expect(page.textContent('#contacts .contact-changes')).resolves.toContain('Removed Decision maker');
    expect(await overflowingText(page)).toEqual([]);
    await switchLanguage(page, 'zh-CN');
    await page.context().close();
  });

  it('shows delivery the contacts without their forms', async () => {
    const page = await signIn(browser, baseUrl, '交付小李');
    await page.goto(`/customers/${code}`);
    await expect(page.textContent('#contacts')).resolves.toContain('王芳');
    for (const form of ['#contact-add', '.contact-change', '.contact-remove'])
      expect(await page.locator(form).count(), form).toBe(0);
    await page.context().close();
  });

  it('shows a letter waiting for a contact on the invoice page, in both languages', async () => {
    const today = todayInShanghai();
    await insertInvoice(harness.database.db, {
      customerCode: 'WAIT-1',
      contractNo: 'HT-WAIT-1',
      invoiceNo: 'INV-WAIT-1',
      amountMinor: 1_000_000,
      issueDate: addDays(today, -100),
      dueDate: addDays(today, -70),
    });
    await harness.database.db
      .insertInto('letters')
      .values({
        invoice_no: 'INV-WAIT-1',
        contract_no: 'HT-WAIT-1',
        step: 'executive_60',
        occurrence: 1,
        locale: 'zh-CN',
        recipients: '[]',
        cc: '[]',
        subject: '关于发票 INV-WAIT-1 的函',
        body_text: '',
        body_html: '<p></p>',
        message_id: '<letter.INV-WAIT-1.executive_60.1@huikuan.test>',
        sender_name: 'Eve',
        status: 'blocked',
        scheduled_for: new Date(),
        decided_at: new Date(),
        blocked_roles: JSON.stringify(['decision_maker']),
        step_request: null,
      })
      .execute();
    const page = await signIn(browser, baseUrl, '销售小张');
    await page.goto('/invoices/INV-WAIT-1');
    const letters = await page.textContent('#letters');
    expect(letters).toContain('待补联系人，未发送');
    expect(letters).toMatch(/等待联系人：[\s\S]*决策人/);
    expect(await page.locator('#letters a[href="/customers/WAIT-1#contacts"]').count()).toBe(1);
    await switchLanguage(page, 'en');
    await expect(page.textContent('#letters')).resolves.toMatch(/Waiting for a contact[\s\S]*Decision maker/);
    await switchLanguage(page, 'zh-CN');
    await page.context().close();
  });
});
