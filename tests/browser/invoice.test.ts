/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
/**
 * The Invoice page (issue 10), in real Chromium against the real stack: a collector finds the task on My work,
 * reads the ladder and the letter as the customer received it, records a promise (after a refusal that names
 * both wrong fields and keeps what was typed) and a dispute; an executive approves a write-off finance asked for.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, formatDate } from '../../domain/dates';
import { type ApiHarness, eventually, startApiHarness } from '../support/api-harness';
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
} from '../support/scenario';

/** Clicks what submits a form and waits for the page it leads to (the same path again, or a refusal). */
async function submitAndWait(page: Page, submit: Locator): Promise<void> {
  const navigated = page.waitForEvent('framenavigated', (frame) => frame === page.mainFrame());
  await submit.click();
  await navigated;
  await page.waitForLoadState('load');
}

describe('console: the Invoice page', () => {
  let harness: ApiHarness;
  let browser: Browser;
  let baseUrl: string;
  let people: People;

  /** An advance invoice of 40,000.00 issued 45 days ago on 30-day terms, once its formal reminder went out. */
  async function overdueInvoice(customerName: string): Promise<string> {
    const customer = await createCustomer(people.sales, { name: customerName });
    const no = await registerContract(people.sales, customer);
    // The account owner named at handover owns the collection's tasks.
    await driveToDelivery(people, no, daysAgo(60));
    const invoiceNo = `${no}-A`;
    const issued = await people.finance.post('/api/v1/invoices', {
      contractNo: no,
      milestoneSeq: 1,
      invoiceNo,
      issueDate: daysAgo(45),
    });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    await eventually(
      async () => {
        const state = await people.finance.get(`/api/v1/invoices/${invoiceNo}/collection`);
        return state.status === 200 && state.body.handled.formal_reminder === 1 ? true : undefined;
      },
      30_000,
      'the formal reminder',
    );
    return invoiceNo;
  }

  beforeAll(async () => {
    harness = await startApiHarness();
    baseUrl = harness.admin.baseUrl;
    browser = await launchBrowser();
    people = {
      sales: await personWithPassword(harness, 'Sally Sales', 'sales'),
      finance: await personWithPassword(harness, 'Fiona Finance', 'finance'),
      delivery: await harness.person('dave', 'delivery'),
      executive: await personWithPassword(harness, 'Eve Exec', 'executive'),
    };
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  it('takes a collector from the task to the ladder and the letter, and records a promise and a dispute', async () => {
    const invoiceNo = await overdueInvoice('华南电子有限公司');
    const page = await signIn(browser, baseUrl, 'Sally Sales');
    // Skipping a task without saying why is refused in place (htmx), the task still open.
    // The default policy's step task is worded in the reader's language (its English is the policy's text).
    const task = page.locator('#tasks tr', { hasText: '致电客户跟进逾期款项' }).filter({ hasText: invoiceNo });
    await task.locator('button[formaction$="/skip"]').click();
    await expect(page.locator('#tasks .refused').textContent()).resolves.toContain('未能完成');
    expect(new URL(page.url()).pathname).toBe('/');
    await Promise.all([
      page.waitForURL((url) => url.pathname === `/invoices/${invoiceNo}`),
      page
        .locator('#tasks tr', { hasText: '致电客户跟进逾期款项' })
        .locator(`a[href="/invoices/${invoiceNo}"]`)
        .click(),
    ]);
    await expect(page.textContent('h1')).resolves.toContain(`发票 ${invoiceNo}`);
    await expect(page.textContent('.counts')).resolves.toContain('¥40,000.00');
    expect(await page.locator('#ladder li.done', { hasText: '正式催款函' }).count()).toBe(1);
    await expect(page.locator('#ladder li.skipped').first().textContent()).resolves.toContain('到期前提醒');
    expect(await page.locator('#ladder li.next').count()).toBe(1);
    await expect(page.textContent('#tasks')).resolves.toContain('致电客户跟进逾期款项');

    // The letter as the customer received it, in a sandbox where no script runs; its Chinese is drawn, not boxes.
    const letter = page.locator('#letters details').first();
    await letter.locator('summary').click();
    expect(await letter.locator('iframe').getAttribute('sandbox')).toBe('allow-same-origin');
    const body = page.frameLocator('#letters iframe').locator('body');
    await expect(body.textContent()).resolves.toContain(invoiceNo);
    const fontReady = await body.evaluate(
      async () => (await document.fonts.load('16px "Noto Sans SC"', '您好')).length > 0,
    );
    expect(fontReady).toBe(true);
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'invoice.zh-CN');
    await switchLanguage(page, 'en');
    await expect(page.textContent('h1')).resolves.toContain(`Invoice ${invoiceNo}`);
    expect(await page.locator('#ladder li.done', { hasText: 'Formal reminder' }).count()).toBe(1);
    await expect(page.textContent('#tasks')).resolves.toContain('Call the customer about the overdue payment');
    const labels = `${await page.locator('main th, main label, main h2, main dt, #ladder').allTextContents()}`;
    expect(labels).not.toMatch(/\p{Script=Han}/u);
    await page.locator('#letters summary').first().click();
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'invoice.en');
    await switchLanguage(page, 'zh-CN');

    const promise = page.locator('#promises form');
    await promise.locator('input[name=promisedDate]').fill(daysAgo(1));
    await promise.locator('input[name="amount.value"]').fill('99999.00');
    await promise.locator('input[name=contact]').fill('王芳');
    await submitAndWait(page, promise.locator('button[type=submit]'));
    const refused = page.locator('#promises form');
    await expect(page.locator('#promises .refused').textContent()).resolves.toContain('未能完成');
    await expect(
      refused.locator('label', { hasText: '承诺付款日' }).locator('.field-error').textContent(),
    ).resolves.toContain('before today');
    await expect(
      refused.locator('label', { hasText: '金额' }).locator('.field-error').textContent(),
    ).resolves.toContain('at most the balance');
    expect(await refused.locator('input[name=promisedDate]').inputValue()).toBe(daysAgo(1));
    expect(await refused.locator('input[name="amount.value"]').inputValue()).toBe('99999.00');
    expect(await refused.locator('input[name=contact]').inputValue()).toBe('王芳');

    await refused.locator('input[name=promisedDate]').fill(addDays(todayInShanghai(), 7));
    await refused.locator('input[name="amount.value"]').fill('40000.00');
    await submitAndWait(page, refused.locator('button[type=submit]'));
    expect(new URL(page.url()).pathname).toBe(`/invoices/${invoiceNo}`);
    await expect(page.locator('#promises tr', { hasText: '王芳' }).textContent()).resolves.toContain('等待中');
    await expect(page.textContent('h1')).resolves.toContain('已承诺付款，催收暂停');
    expect(await page.locator('#ladder li.paused').count()).toBe(1);

    await page.selectOption('#disputes select[name=reason]', 'price');
    await page.fill('#disputes input[name=note]', '客户认为<b>单价</b>偏高');
    await submitAndWait(page, page.locator('#disputes button[type=submit]'));
    const dispute = page.locator('#disputes tr', { hasText: '价格异议' });
    await expect(dispute.textContent()).resolves.toContain('客户认为<b>单价</b>偏高');
    await expect(dispute.textContent()).resolves.toContain('处理中');
    await expect(page.textContent('h1')).resolves.toContain('争议中，催收暂停');
    expect(await page.locator('#disputes form[action$="/disputes/resolve"]').count()).toBe(1);
    // The dispute's task, opened by the collection, is worded in the reader's language.
    await eventually(
      async () => {
        await page.reload();
        return (
          (await page.textContent('#tasks'))?.includes(`处理客户对发票 ${invoiceNo} 的争议（价格异议）`) || undefined
        );
      },
      15_000,
      "the dispute's task in Chinese",
    );
    await page.context().close();
  });

  it('lets an executive approve the write-off finance requested; no one else gets the forms', async () => {
    const invoiceNo = await overdueInvoice('西北重工有限公司');
    const finance = await signIn(browser, baseUrl, 'Fiona Finance');
    await finance.goto(`/invoices/${invoiceNo}`);
    await finance.fill('#write-off input[name=reason]', '客户破产清算');
    await submitAndWait(finance, finance.locator('#write-off button[type=submit]'));
    await expect(finance.textContent('#write-off-decision')).resolves.toContain('Fiona Finance 申请核销坏账');
    expect(await finance.locator('#write-off-decision form').count()).toBe(0);
    await finance.context().close();

    const sales = await signIn(browser, baseUrl, 'Sally Sales');
    await sales.goto(`/invoices/${invoiceNo}`);
    expect(await sales.locator('#write-off-decision form, #write-off form, #policy form').count()).toBe(0);
    const status = await sales.evaluate(async (no) => {
      const csrf = document.querySelector<HTMLInputElement>('header input[name=_csrf]')!.value;
      const response = await fetch(`/invoices/${no}/write-off/decision`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, approved: 'true', reason: 'not mine to decide' }),
      });
      return response.status;
    }, invoiceNo);
    expect(status).toBe(403);
    await sales.context().close();

    // The request waits on the executive's My work as an approval; they approve it there.
    const executive = await signIn(browser, baseUrl, 'Eve Exec');
    const approval = executive.locator('#approvals tr', { hasText: invoiceNo });
    await expect(approval.textContent()).resolves.toContain(
      `批准或驳回发票 ${invoiceNo} 的核销（Fiona Finance 申请：客户破产清算）`,
    );
    await screenshot(executive, 'my-work-approval.zh-CN');
    await approval.locator('input[name=reason]').fill('信用委员会批准');
    await submitAndWait(executive, approval.locator('button[value=true]'));
    expect(new URL(executive.url()).pathname).toBe(`/invoices/${invoiceNo}`);
    await eventually(
      async () => {
        await executive.reload();
        return (await executive.textContent('h1'))?.includes('已核销坏账') ? true : undefined;
      },
      15_000,
      'the write-off',
    );
    expect(await executive.locator('#write-off-decision').count()).toBe(0);
    // The ended collection says how and when it ended, in both languages.
    const ladderText = await executive.textContent('#ladder');
    expect(ladderText).toContain(`催收已于${formatDate(todayInShanghai(), 'zh-CN')}结束：核销坏账`);
    expect(ladderText).toContain('客户破产清算');
    await switchLanguage(executive, 'en');
    const english = await executive.textContent('#ladder');
    expect(english).toContain(`The collection ended on ${formatDate(todayInShanghai(), 'en')}: written off`);
    expect(english).toContain('客户破产清算');
    await switchLanguage(executive, 'zh-CN');
    await executive.goto('/');
    expect(await executive.locator('#approvals tr', { hasText: invoiceNo }).count()).toBe(0);
    await executive.context().close();
  });
});
