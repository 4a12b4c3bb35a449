/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
/**
 * Finance in the console (issue 10), in real Chromium against the real stack: finance issues the invoice of a
 * ready milestone (after a refused first try that keeps what was typed), uploads a GBK bank statement, reads
 * its import report and assigns the unmatched line; an executive reads the page without forms; sales may not.
 */
import iconv from 'iconv-lite';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import {
  launchBrowser,
  overflowingText,
  personWithPassword,
  screenshot,
  signIn,
  switchLanguage,
} from '../support/browser';
import {
  type People,
  createCustomer,
  daysAgo,
  driveToDelivery,
  registerContract,
  todayInShanghai,
  uniqueCode,
} from '../support/scenario';
import { addDays } from '../../domain/dates';

const CUSTOMER_NAME = '华东物流有限公司';
const XSS_NAME = '<script>window.__xss = 1</script>';

/** Clicks what submits a form and waits for the page it leads to (the same path again, or a refusal). */
async function submitAndWait(page: Page, submit: Locator): Promise<void> {
  const navigated = page.waitForEvent('framenavigated', (frame) => frame === page.mainFrame());
  await submit.click();
  await navigated;
  await page.waitForLoadState('load');
}

describe('console: Finance', () => {
  let harness: ApiHarness;
  let browser: Browser;
  let baseUrl: string;
  let people: People;
  let customer: string;
  let contractNo: string;
  let xssContractNo: string;
  const invoiceNo = uniqueCode('FP');

  beforeAll(async () => {
    harness = await startApiHarness();
    baseUrl = harness.admin.baseUrl;
    browser = await launchBrowser();
    people = {
      sales: await personWithPassword(harness, '王销售', 'sales'),
      finance: await personWithPassword(harness, '方财务', 'finance'),
      delivery: await harness.person('dave', 'delivery'),
      executive: await personWithPassword(harness, '高总', 'executive'),
    };
    customer = await createCustomer(people.sales, { name: CUSTOMER_NAME });
    contractNo = await registerContract(people.sales, customer, { title: '仓储管理系统' });
    await driveToDelivery(people, contractNo, daysAgo(60));
    const xssCustomer = await createCustomer(people.sales, { name: XSS_NAME });
    xssContractNo = await registerContract(people.sales, xssCustomer);
    await driveToDelivery(people, xssContractNo, daysAgo(30));
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  const readyRow = (page: Page, no: string) => page.locator('#ready tr', { hasText: no });

  it('shows the invoice-ready queue, escapes what people typed, and refuses an invoice with every reason kept beside its field', async () => {
    const page = await signIn(browser, baseUrl, '方财务');
    await page.goto('/finance');
    await expect(page.textContent('h1')).resolves.toBe('财务');
    await expect(readyRow(page, contractNo).textContent()).resolves.toContain(CUSTOMER_NAME);
    await expect(readyRow(page, xssContractNo).textContent()).resolves.toContain(XSS_NAME);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

    const row = readyRow(page, contractNo);
    await row.locator('input[name=invoiceNo]').fill(invoiceNo);
    await row.locator('input[name=issueDate]').fill(daysAgo(20));
    await row.locator('input[name=taxRatePercent]').fill('13%');
    await submitAndWait(page, row.locator('button[type=submit]'));
    const refused = readyRow(page, contractNo);
    await expect(refused.locator('.refused').textContent()).resolves.toContain('未能完成');
    await expect(
      refused.locator('label', { hasText: '税率' }).locator('.field-error').textContent(),
    ).resolves.toContain('percentage');
    expect(await refused.locator('input[name=invoiceNo]').inputValue()).toBe(invoiceNo);
    expect(await refused.locator('input[name=issueDate]').inputValue()).toBe(daysAgo(20));
    expect(await refused.locator('input[name=taxRatePercent]').inputValue()).toBe('13%');
    // Only the refused row says so.
    expect(await readyRow(page, xssContractNo).locator('.refused').count()).toBe(0);

    await refused.locator('input[name=taxRatePercent]').fill('13');
    await Promise.all([
      page.waitForURL((url) => url.pathname === `/invoices/${invoiceNo}`),
      refused.locator('button[type=submit]').click(),
    ]);
    await expect(page.textContent('h1')).resolves.toContain(invoiceNo);
    await expect(page.textContent('.counts')).resolves.toContain('¥40,000.00');
    await page.goto('/finance');
    expect(await readyRow(page, contractNo).count()).toBe(0);
    await page.context().close();
  });

  it('imports a GBK bank statement uploaded as a file, shows its report, and assigns the unmatched line', async () => {
    const page = await signIn(browser, baseUrl, '方财务');
    await page.goto('/finance');
    const statement = iconv.encode(
      [
        '账号：6222 0000 1111 2222,户名：回款科技有限公司,,,,,,',
        '交易日期,借方金额,贷方金额,币种,对方户名,对方账号,摘要,交易流水号',
        `${daysAgo(2)},,"10,000.00",人民币,${CUSTOMER_NAME},6217 0000 1111,付${invoiceNo}货款,${uniqueCode('ICBC')}`,
        `${daysAgo(2)},500.00,,人民币,北京某某物业,6222 9999,房租,${uniqueCode('ICBC')}`,
        `${daysAgo(1)},,"8,888.88",人民币,某某不认识的公司,6200 1234,货款,${uniqueCode('ICBC')}`,
      ].join('\r\n'),
      'gbk',
    );
    await page.setInputFiles('#statement input[type=file]', {
      name: 'empty.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(' \r\n'),
    });
    await page.click('#statement button[type=submit]');
    await expect(page.locator('#statement .refused').textContent()).resolves.toContain('未能完成');
    await expect(
      page.locator('#statement label', { hasText: '文件' }).locator('.field-error').textContent(),
    ).resolves.toContain('empty');
    await page.reload();
    await expect(page.textContent('h1')).resolves.toBe('财务');

    await page.setInputFiles('#statement input[type=file]', {
      name: '工商银行对账单.csv',
      mimeType: 'text/csv',
      buffer: statement,
    });
    await page.selectOption('#statement select[name=mapping]', 'zh');
    await Promise.all([
      page.waitForURL((url) => /^\/finance\/imports\/\d+$/.test(url.pathname)),
      page.click('#statement button[type=submit]'),
    ]);
    await page.reload();
    await expect(page.textContent('#summary')).resolves.toContain('工商银行对账单.csv');
    await expect(page.textContent('#summary')).resolves.toContain('GB18030');
    const counts = await page.locator('#summary .counts li').allTextContents();
    expect(counts.map((text) => text.replace(/\s+/g, ' ').trim())).toEqual([
      '3 读取行数',
      '1 已匹配',
      '1 待认领',
      '0 重复',
      '1 跳过',
      '0 被拒',
    ]);
    await expect(page.locator('#lines tr', { hasText: invoiceNo }).textContent()).resolves.toContain('¥10,000.00');
    await expect(page.textContent('#skipped')).resolves.toContain('500.00');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'import-report.zh-CN');
    await switchLanguage(page, 'en');
    await expect(page.textContent('h1')).resolves.toMatch(/^Import report #\d+$/);
    await expect(page.textContent('#lines')).resolves.toContain('CN¥8,888.88');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'import-report.en');
    await switchLanguage(page, 'zh-CN');

    await page.goto('/finance');
    const unmatched = page.locator('#unmatched tr', { hasText: '某某不认识的公司' });
    await expect(unmatched.textContent()).resolves.toContain('¥8,888.88');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'finance.zh-CN');
    await switchLanguage(page, 'en');
    await expect(page.textContent('h1')).resolves.toBe('Finance');
    const labels = `${await page.textContent('nav')} ${await page.locator('main th, main label, main h2').allTextContents()}`;
    expect(labels.replace(XSS_NAME, '')).not.toMatch(/\p{Script=Han}/u);
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'finance.en');
    await switchLanguage(page, 'zh-CN');

    await unmatched.locator('input[name=customerCode]').fill(customer);
    await unmatched.locator('input[name="invoiceNos.0"]').fill(invoiceNo);
    await unmatched.locator('input[name=rememberPayerAccount][type=checkbox]').check();
    await Promise.all([
      page.waitForURL((url) => /^\/finance\/payments\/\d+$/.test(url.pathname)),
      unmatched.locator('button[type=submit]').click(),
    ]);
    await expect(page.textContent('h1')).resolves.toContain('已匹配');
    await expect(page.locator('#allocations tr', { hasText: invoiceNo }).textContent()).resolves.toContain('¥8,888.88');
    await page.goto(`/invoices/${invoiceNo}`);
    await expect(page.textContent('.counts')).resolves.toContain('¥21,111.12');
    await page.context().close();
  });

  it('imports a statement with JavaScript off: the multipart form carries its CSRF field', async () => {
    const page = await signIn(browser, baseUrl, '方财务', undefined, { javaScriptEnabled: false });
    await page.goto('/finance');
    const statement = iconv.encode(
      [
        '交易日期,借方金额,贷方金额,币种,对方户名,对方账号,摘要,交易流水号',
        `${daysAgo(1)},,"1,234.00",人民币,无脚本贸易公司,6200 5678,货款,${uniqueCode('NOJS')}`,
      ].join('\r\n'),
      'gbk',
    );
    await page.setInputFiles('#statement input[type=file]', {
      name: 'nojs.csv',
      mimeType: 'text/csv',
      buffer: statement,
    });
    await page.selectOption('#statement select[name=mapping]', 'zh');
    await Promise.all([
      page.waitForURL((url) => /^\/finance\/imports\/\d+$/.test(url.pathname)),
      page.click('#statement button[type=submit]'),
    ]);
    await expect(page.textContent('#summary')).resolves.toContain('nojs.csv');
    await page.context().close();
  });

  it('reverses an allocation with a reason, and refuses one without', async () => {
    const page = await signIn(browser, baseUrl, '方财务');
    await page.goto('/finance');
    await Promise.all([
      page.waitForURL((url) => /^\/finance\/payments\/\d+$/.test(url.pathname)),
      page.locator('#payments tr', { hasText: '¥10,000.00' }).locator('a[href^="/finance/payments/"]').click(),
    ]);
    const allocation = page.locator('#allocations tr', { hasText: invoiceNo });
    await allocation.locator('input[name=reason]').fill('   ');
    await submitAndWait(page, allocation.locator('button[type=submit]'));
    await expect(page.locator('#allocations .field-error').textContent()).resolves.toContain('must not be empty');
    await page.locator('#allocations tr', { hasText: invoiceNo }).locator('input[name=reason]').fill('付款人汇错发票');
    await Promise.all([
      page.waitForURL((url) => /^\/finance\/payments\/\d+$/.test(url.pathname)),
      page.locator('#allocations tr', { hasText: invoiceNo }).locator('button[type=submit]').click(),
    ]);
    await expect(page.locator('#allocations tr', { hasText: invoiceNo }).textContent()).resolves.toContain(
      '付款人汇错发票',
    );
    await expect(page.textContent('#facts')).resolves.toContain('¥10,000.00');
    await screenshot(page, 'payment.zh-CN');
    await page.context().close();
  });

  it('records a payment by hand: a date after today is refused beside its field, then it is matched', async () => {
    const page = await signIn(browser, baseUrl, '方财务');
    await page.goto('/finance');
    const form = page.locator('#record-payment form');
    await form.locator('input[name="amount.value"]').fill('5000.00');
    await form.locator('input[name=receivedOn]').fill(addDays(todayInShanghai(), 1));
    await form.locator('input[name=reference]').fill('BANK-HAND-1');
    await form.locator('input[name=customerCode]').fill(customer);
    await form.locator('input[name=invoiceNo]').fill(invoiceNo);
    await submitAndWait(page, form.locator('button[type=submit]'));
    const refused = page.locator('#record-payment form');
    await expect(
      refused.locator('label', { hasText: '到账日期' }).locator('.field-error').textContent(),
    ).resolves.toContain('after today');
    expect(await refused.locator('input[name="amount.value"]').inputValue()).toBe('5000.00');
    expect(await refused.locator('input[name=reference]').inputValue()).toBe('BANK-HAND-1');
    expect(await refused.locator('input[name=invoiceNo]').inputValue()).toBe(invoiceNo);

    await refused.locator('input[name=receivedOn]').fill(todayInShanghai());
    await Promise.all([
      page.waitForURL((url) => /^\/finance\/payments\/\d+$/.test(url.pathname)),
      refused.locator('button[type=submit]').click(),
    ]);
    await expect(page.textContent('h1')).resolves.toContain('已匹配');
    await expect(page.locator('#allocations tr', { hasText: invoiceNo }).textContent()).resolves.toContain('指定发票');
    await page.context().close();
  });

  it('shows an executive the queues without a form, and refuses their post; sales may not open Finance', async () => {
    const page = await signIn(browser, baseUrl, '高总');
    await page.goto('/finance');
    await expect(page.textContent('#ready')).resolves.toContain(xssContractNo);
    expect(await page.locator('main form[method=post]').count()).toBe(0);
    const status = await page.evaluate(async (no) => {
      const csrf = document.querySelector<HTMLInputElement>('header input[name=_csrf]')!.value;
      const response = await fetch('/finance/invoices', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          _csrf: csrf,
          contractNo: no,
          milestoneSeq: '1',
          invoiceNo: 'X-1',
          issueDate: '2026-01-01',
        }),
      });
      return response.status;
    }, xssContractNo);
    expect(status).toBe(403);
    await page.context().close();

    const sales = await signIn(browser, baseUrl, '王销售');
    const response = await sales.goto('/finance');
    expect(response?.status()).toBe(403);
    await expect(sales.textContent('header nav')).resolves.not.toContain('财务');
    await sales.context().close();
  });
});
