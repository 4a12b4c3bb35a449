/**
 * The four calculations in real Chromium against the real stack, in Chinese: delivery records a cost on
 * the contract page and sees the actuals and the variances change, a repeated reference with other
 * figures is refused in words, the entry is reversed with a reason; sales sees the figures but no form;
 * finance reads the final accounts across contracts beside the dashboard.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHarness } from '../support/api-harness';
import { startApiHarness } from '../support/api-harness';
import {
  launchBrowser,
  overflowingText,
  personWithPassword,
  screenshot,
  signIn,
  switchLanguage,
} from '../support/browser';
import { insertInvoice } from '../support/fixtures';
import { createCustomer, daysAgo, driveToDelivery, registerContract, uniqueCode } from '../support/scenario';

async function submit(page: Page, selector: string): Promise<number | undefined> {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response?.status();
}

const text = (page: Page, selector: string) => page.locator(selector).innerText();

describe('console: the four calculations', () => {
  let harness: ApiHarness;
  let browser: Browser;
  let no: string;
  let delivery: Page;

  beforeAll(async () => {
    harness = await startApiHarness();
    browser = await launchBrowser();
    const people = {
      sales: await personWithPassword(harness, '王销售', 'sales'),
      finance: await personWithPassword(harness, '赵财务', 'finance'),
      delivery: await personWithPassword(harness, '李交付', 'delivery'),
      executive: await personWithPassword(harness, '周总', 'executive'),
    };
    const customer = await createCustomer(people.sales, { name: '华东仓储有限公司' });
    no = await registerContract(people.sales, customer);
    // Estimate ¥60,000.00, budget ¥65,000.00; the contract is in delivery.
    await driveToDelivery(people, no, daysAgo(20));
    delivery = await signIn(browser, harness.admin.baseUrl, '李交付');
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  it('delivery records a cost and sees the actuals and the variances change, then reverses it', async () => {
    await delivery.goto(`/contracts/${no}`);
    await expect(text(delivery, '#calc-estimate')).resolves.toContain('¥60,000.00');
    await expect(text(delivery, '#calc-budget')).resolves.toContain('¥65,000.00');
    await expect(text(delivery, '#calc-actuals [data-actuals]')).resolves.toBe('¥0.00');
    await expect(text(delivery, '#calc-actuals [data-variance-budget]')).resolves.toBe('-¥65,000.00');
    await expect(text(delivery, '#calc-final')).resolves.toContain('合同关闭时计算并冻结');
    await expect(text(delivery, '#costs')).resolves.toContain('尚无成本记录');

    await delivery.fill('#record-cost input[name=entryDate]', daysAgo(2));
    await delivery.selectOption('#record-cost select[name=category]', 'labour');
    await delivery.fill('#record-cost input[name="amount.value"]', '12000.00');
    await delivery.fill('#record-cost input[name=reference]', 'GS-2026-11');
    await delivery.fill('#record-cost input[name=note]', '两名工程师第一周');
    expect(await submit(delivery, '#record-cost button[type=submit]')).toBe(200);

    await expect(text(delivery, '#calc-actuals [data-actuals]')).resolves.toBe('¥12,000.00');
    await expect(text(delivery, '#calc-actuals [data-variance-budget]')).resolves.toBe('-¥53,000.00');
    await expect(text(delivery, '#calc-actuals [data-variance-estimate]')).resolves.toBe('-¥48,000.00');
    await expect(text(delivery, '#calc-actuals')).resolves.toContain('人工');
    const row = await text(delivery, '#costs tr[data-cost="GS-2026-11"]');
    expect(row).toContain('人工');
    expect(row).toContain('¥12,000.00');
    expect(row).toContain('两名工程师第一周');
    expect(row).toContain('李交付');
    await expect(text(delivery, '#timeline')).resolves.toContain('记录成本');

    // The same reference with another amount: refused in Chinese beside the field, what was typed kept.
    await delivery.selectOption('#record-cost select[name=category]', 'materials');
    await delivery.fill('#record-cost input[name="amount.value"]', '900.00');
    await delivery.fill('#record-cost input[name=reference]', 'GS-2026-11');
    expect(await submit(delivery, '#record-cost button[type=submit]')).toBe(409);
    await expect(text(delivery, '#record-cost .refused')).resolves.toContain('这个凭证号已记录过另一笔成本');
    expect(await delivery.inputValue('#record-cost input[name="amount.value"]')).toBe('900.00');
    await expect(text(delivery, '#calc-actuals [data-actuals]')).resolves.toBe('¥12,000.00');

    // A second cost takes the actuals over the estimate: the variance turns into an overrun.
    await delivery.fill('#record-cost input[name="amount.value"]', '50000.00');
    await delivery.fill('#record-cost input[name=reference]', 'CG-0042');
    expect(await submit(delivery, '#record-cost button[type=submit]')).toBe(200);
    await expect(text(delivery, '#calc-actuals [data-actuals]')).resolves.toBe('¥62,000.00');
    await expect(text(delivery, '#calc-actuals [data-variance-estimate]')).resolves.toBe('¥2,000.00');
    expect(
      await delivery
        .locator('#calc-actuals [data-variance-estimate]')
        .evaluate((el) => el.classList.contains('danger')),
    ).toBe(true);
    expect(await overflowingText(delivery)).toEqual([]);
    await screenshot(delivery, 'contract-costs.zh-CN');

    await delivery.click('#costs tr[data-cost="CG-0042"] details.reverse summary');
    await delivery.fill('#costs tr[data-cost="CG-0042"] input[name=reason]', '记错合同');
    expect(await submit(delivery, '#costs tr[data-cost="CG-0042"] button[type=submit]')).toBe(200);
    await expect(text(delivery, '#calc-actuals [data-actuals]')).resolves.toBe('¥12,000.00');
    const reversed = await text(delivery, '#costs tr[data-cost="CG-0042"]');
    expect(reversed).toContain('已冲销');
    expect(reversed).toContain('记错合同');
    expect(await delivery.locator('#costs tr[data-cost="CG-0042"] details.reverse').count()).toBe(0);
    await expect(text(delivery, '#timeline')).resolves.toContain('冲销成本');

    // The same section in English: every word of it translated (the people's own text aside).
    await switchLanguage(delivery, 'en');
    await expect(text(delivery, '#calc-actuals')).resolves.toContain('Against budget');
    for (const selector of [
      '#calculations h2',
      '#calculations h3',
      '#calculations dt',
      '#costs th',
      '#record-cost label',
    ])
      for (const label of await delivery.locator(selector).allInnerTexts())
        expect(label).not.toMatch(/\p{Script=Han}/u);
    expect(await overflowingText(delivery)).toEqual([]);
    await switchLanguage(delivery, 'zh-CN');
  });

  it('sales sees the calculations but no cost form', async () => {
    const sales = await signIn(browser, harness.admin.baseUrl, '王销售');
    await sales.goto(`/contracts/${no}`);
    await expect(text(sales, '#calc-actuals [data-actuals]')).resolves.toBe('¥12,000.00');
    expect(await sales.locator('#record-cost').count()).toBe(0);
    expect(await sales.locator('details.reverse').count()).toBe(0);
    await sales.context().close();
  });

  it('finance reads the final accounts across contracts beside the dashboard', async () => {
    const db = harness.database.db;
    const code = uniqueCode('JS');
    const closed = `${code}-K1`;
    await insertInvoice(db, {
      customerCode: code,
      contractNo: closed,
      invoiceNo: `${closed}-I`,
      amountMinor: 10_000_000,
      issueDate: '2026-01-05',
      dueDate: '2026-02-04',
    });
    await db.updateTable('contracts').set({ stage: 'Closed', department: '华东' }).where('no', '=', closed).execute();
    await db
      .insertInto('final_accounts')
      .values({
        contract_no: closed,
        customer_code: code,
        department: '华东',
        currency: 'CNY',
        closed_at: new Date(Date.now() - 3_600_000),
        contract_amount_minor: 10_000_000,
        estimate_minor: 6_000_000,
        budget_minor: 6_500_000,
        invoiced_minor: 10_000_000,
        credited_minor: 0,
        collected_minor: 9_000_000,
        written_off_minor: 1_000_000,
        interest_collected_minor: 28_000,
        costs_minor: 6_000_000,
        cost_entries: 3,
        margin_minor: 3_028_000,
      })
      .execute();
    const finance = await signIn(browser, harness.admin.baseUrl, '赵财务');
    await finance.goto('/dashboard');
    await Promise.all([finance.waitForURL('**/dashboard/final-accounts'), finance.click('#final-accounts-link')]);
    await expect(text(finance, 'h1')).resolves.toBe('决算报表');
    const line = await text(finance, `tr[data-contract="${closed}"]`);
    expect(line).toContain('¥90,000.00');
    expect(line).toContain('¥30,280.00');
    expect(line).toContain('-¥9,720.00');
    expect(line).toContain('-¥4,720.00');
    await Promise.all([finance.waitForURL(`**/contracts/${closed}`), finance.click(`tr[data-contract="${closed}"] a`)]);
    await expect(text(finance, '#calc-final [data-final-margin]')).resolves.toContain('¥30,280.00');
    await expect(text(finance, '#calc-final')).resolves.toContain('¥10,000.00');
    expect(await finance.locator('#record-cost').count()).toBe(0);
    await expect(text(finance, '#costs')).resolves.toContain('关闭后决算冻结');
    await finance.goBack();
    await finance.fill('input[name=department]', '华北');
    expect(await submit(finance, '#final-accounts button[type=submit]')).toBe(200);
    await expect(text(finance, '#final-accounts')).resolves.toContain('这段时间没有关闭的合同');
    expect(await overflowingText(finance)).toEqual([]);
    await finance.context().close();
  });
});
