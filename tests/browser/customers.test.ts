/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../domain/dates';
import { type ApiClient, type ApiHarness, startApiHarness } from '../support/api-harness';
import { insertInvoice } from '../support/fixtures';
import { LOW_RISK, act, cny, createCustomer, registerContract, todayInShanghai } from '../support/scenario';
import {
  launchBrowser,
  overflowingText,
  personWithPassword,
  screenshot,
  signIn,
  switchLanguage,
} from '../support/browser';

const HOSTILE = '<script>window.__xss = 1</script>';
const LATE = 'LATE-1';

/** Posts a form from inside the signed-in page with the page's CSRF token, as a person without the form could. */
async function postForm(page: Page, action: string, fields: Record<string, string>) {
  return page.evaluate(
    async ({ action, fields }) => {
      const csrf = document.querySelector<HTMLInputElement>('input[name=_csrf]')?.value ?? '';
      const response = await fetch(action, {
        method: 'POST',
        body: new URLSearchParams({ ...fields, _csrf: csrf }),
        redirect: 'manual',
      });
      return { status: response.status, text: await response.text() };
    },
    { action, fields },
  );
}

const rowCount = (page: Page) => page.locator('#results tbody tr').count();

describe('console: customers', () => {
  let harness: ApiHarness;
  let browser: Browser;
  let baseUrl: string;
  let finance: ApiClient;
  let alpha: string;
  const today = todayInShanghai();

  beforeAll(async () => {
    harness = await startApiHarness();
    baseUrl = harness.admin.baseUrl;
    browser = await launchBrowser();
    const sales = await personWithPassword(harness, '销售小张', 'sales');
    finance = await personWithPassword(harness, '财务小王', 'finance');
    await personWithPassword(harness, '高管老李', 'executive');
    alpha = await createCustomer(sales, {
      name: '阿尔法科技有限公司',
      grade: 'B',
      creditLimit: cny('300000.00'),
    });
    await createCustomer(sales, { name: HOSTILE, grade: 'C' });
    // Approved and not invoiced: ¥120,000 of exposure.
    const contractNo = await registerContract(sales, alpha, { amount: cny('120000.00') });
    await act(finance, contractNo, 'approve', LOW_RISK);
    // ¥80,000 open for 120 days, at a customer finance has put on hold.
    await insertInvoice(harness.database.db, {
      customerCode: LATE,
      contractNo: 'HT-LATE-1',
      invoiceNo: 'INV-LATE-1',
      amountMinor: 8_000_000,
      issueDate: addDays(today, -150),
      dueDate: addDays(today, -120),
    });
    const hold = await finance.put(`/api/v1/customers/${LATE}/credit-hold`, {
      creditHold: true,
      reason: '逾期四个月未回款',
    });
    expect(hold.status).toBe(200);
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  it('lists customers with grade, exposure and hold; searches, filters and sorts; hostile names stay text', async () => {
    const page = await signIn(browser, baseUrl, '财务小王');
    await page.click('header nav a[href="/customers"]');
    await page.waitForURL((url) => url.pathname === '/customers');
    await expect(page.textContent('h1')).resolves.toBe('客户');
    expect(await rowCount(page)).toBe(3);
    const alphaRow = page.locator('#results tbody tr', { hasText: '阿尔法科技有限公司' });
    await expect(alphaRow.textContent()).resolves.toContain('¥120,000.00');
    const lateRow = page.locator('#results tbody tr', { hasText: LATE });
    await expect(lateRow.textContent()).resolves.toMatch(/¥80,000\.00[\s\S]*手动停止发货/);
    expect(await page.textContent('main')).toContain(HOSTILE);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    // Largest exposure first.
    await expect(page.locator('#results tbody tr').first().textContent()).resolves.toContain('阿尔法');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'customers.zh-CN');

    await page.fill('input[name=q]', '阿尔法');
    await page.press('input[name=q]', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#results tbody tr').length === 1);
    expect(new URL(page.url()).searchParams.get('q')).toBe('阿尔法');
    await page.fill('input[name=q]', '');
    await page.selectOption('select[name=hold]', 'on');
    // The list before the swap also has one row (阿尔法): wait for the held customer's.
    await page.locator('#results tbody tr', { hasText: LATE }).waitFor();
    expect(await page.locator('#results tbody tr').count()).toBe(1);

    await page.goto('/customers');
    await page.click('#results th a:has-text("客户")');
    await page.waitForURL((url) => url.searchParams.get('sort') === 'name');
    const names = await page.locator('#results tbody td:first-child a').allTextContents();
    expect(names).toEqual([...names].sort());

    await switchLanguage(page, 'en');
    await page.goto('/customers');
    await expect(page.textContent('h1')).resolves.toBe('Customers');
    await expect(page.textContent('#results thead')).resolves.toContain('Exposure');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'customers.en');
    await switchLanguage(page, 'zh-CN');
    await page.context().close();
  });

  it('lists the customers of one aging bucket, as the dashboard links to it', async () => {
    const page = await signIn(browser, baseUrl, '财务小王');
    await page.goto('/customers?bucket=over90');
    expect(await rowCount(page)).toBe(1);
    const row = await page.locator('#results tbody tr').textContent();
    expect(row).toContain(LATE);
    await expect(page.textContent('#results .aging-filter')).resolves.toContain('逾期90天以上');
    await page.click('text=显示全部客户');
    await page.waitForURL((url) => !url.searchParams.has('bucket'));
    expect(await rowCount(page)).toBe(3);
    await page.context().close();
  });

  it("shows a customer's credit, and refuses finance's grade override with every reason beside its field, keeping what was typed", async () => {
    const page = await signIn(browser, baseUrl, '财务小王');
    await page.goto('/customers');
    await page.click(`#results a[href="/customers/${alpha}"]`);
    await page.waitForURL((url) => url.pathname === `/customers/${alpha}`);
    await expect(page.textContent('h1')).resolves.toContain('阿尔法科技有限公司');
    const credit = await page.textContent('#credit');
    expect(credit).toContain('¥300,000.00');
    expect(credit).toMatch(/信用敞口\s*¥120,000\.00/);
    await expect(page.textContent('#contacts')).resolves.toContain('付款负责人');
    for (const form of ['#grade-override', '#limit-override', '#credit-hold', '#evaluate'])
      expect(await page.locator(form).count(), form).toBe(1);
    expect(await page.locator('#hold-release').count()).toBe(0);

    await page.selectOption('#grade-override select[name=grade]', 'A');
    await page.fill('#grade-override input[name=until]', addDays(today, -1));
    await page.fill('#grade-override input[name=reason]', '战略客户，付款一向准时');
    await page.click('#grade-override button[type=submit]');
    await page.waitForSelector('#grade-override .refused');
    await expect(page.textContent('#grade-override label:has(input[name=until]) .field-error')).resolves.toContain(
      today,
    );
    expect(await page.inputValue('#grade-override input[name=reason]')).toBe('战略客户，付款一向准时');
    expect(await page.inputValue('#grade-override select[name=grade]')).toBe('A');
    expect(await page.locator('#limit-override .refused').count()).toBe(0);

    await page.fill('#grade-override input[name=until]', addDays(today, 30));
    await Promise.all([
      page.waitForURL((url) => url.pathname === `/customers/${alpha}`),
      page.click('#grade-override button[type=submit]'),
    ]);
    await expect(page.textContent('#credit')).resolves.toContain('战略客户，付款一向准时');
    await expect(page.textContent('.badges')).resolves.toContain('信用评级 A');
    await expect(page.textContent('#events')).resolves.toContain('调整评级');

    await page.fill('#credit-hold input[name=reason]', '等待对账');
    await Promise.all([page.waitForLoadState('load'), page.click('#credit-hold button[type=submit]')]);
    await expect(page.textContent('#hold')).resolves.toContain('手动停止发货');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'customer.zh-CN');
    await switchLanguage(page, 'en');
    await expect(page.textContent('#hold')).resolves.toContain('Manual hold');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'customer.en');
    await switchLanguage(page, 'zh-CN');
    await page.context().close();
  });

  it('gives an executive the release from hold and not the finance forms; a post anyway is refused with 403', async () => {
    const page = await signIn(browser, baseUrl, '高管老李');
    await page.goto(`/customers/${LATE}`);
    for (const form of ['#grade-override', '#limit-override', '#credit-hold'])
      expect(await page.locator(form).count(), form).toBe(0);
    expect(await page.locator('#hold-release').count()).toBe(1);
    const refused = await postForm(page, `/customers/${LATE}/grade-override`, {
      grade: 'A',
      until: addDays(today, 10),
      reason: 'not mine to give',
    });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('无权操作');
    expect((await finance.get(`/api/v1/customers/${LATE}/credit`)).body.gradeOverride).toBeNull();

    await page.fill('#hold-release input[name=until]', addDays(today, 14));
    await page.fill('#hold-release input[name=reason]', '客户承诺月底前结清');
    await Promise.all([page.waitForLoadState('load'), page.click('#hold-release button[type=submit]')]);
    await expect(page.textContent('#hold')).resolves.toContain('客户承诺月底前结清');
    await page.context().close();
  });

  it('shows sales the list and the customer, with no credit forms', async () => {
    const page = await signIn(browser, baseUrl, '销售小张');
    await page.goto('/customers');
    expect(await rowCount(page)).toBe(3);
    await page.goto(`/customers/${alpha}`);
    await expect(page.textContent('#credit')).resolves.toContain('¥120,000.00');
    expect(await page.locator('#actions').count()).toBe(0);
    await page.context().close();
  });
});
