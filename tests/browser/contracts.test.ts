/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
/**
 * The Contracts pages in real Chromium against the real stack: sales registers an opportunity and signs
 * it after a refusal naming every missing checklist item; finance approves, splits (after a refused sum)
 * and budgets; delivery records delivery and acceptance and sees the last milestone become invoice-ready;
 * the list searches, filters, sorts and pages; the board marks stuck contracts; user text stays text.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stage } from '../../domain/stages';
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
import { createCustomer, uniqueCode } from '../support/scenario';

const DAY_MS = 86_400_000;

/** Clicks a submit button and waits for the page it leads to; the status of that page (a refusal keeps its 4xx). */
async function submit(page: Page, selector: string): Promise<number | undefined> {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response?.status();
}

const text = (page: Page, selector: string) => page.locator(selector).innerText();
const stageOf = (page: Page) => text(page, '#stage');

describe('console: contracts', () => {
  let harness: ApiHarness;
  let browser: Browser;
  let baseUrl: string;
  let customerCode: string;
  let no: string;
  let sales: Page;
  let finance: Page;
  let delivery: Page;

  beforeAll(async () => {
    harness = await startApiHarness();
    baseUrl = harness.admin.baseUrl;
    browser = await launchBrowser();
    const salesClient = await personWithPassword(harness, '王销售', 'sales');
    await personWithPassword(harness, '赵财务', 'finance');
    await personWithPassword(harness, '李交付', 'delivery');
    customerCode = await createCustomer(salesClient, { name: '华东仓储有限公司' });
    no = uniqueCode('HT');
    sales = await signIn(browser, baseUrl, '王销售');
    finance = await signIn(browser, baseUrl, '赵财务');
    delivery = await signIn(browser, baseUrl, '李交付');
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  it('sales registers an opportunity in the page', async () => {
    await sales.goto('/contracts');
    await Promise.all([sales.waitForURL('**/contracts/new'), sales.click('a[href="/contracts/new"]')]);
    await sales.fill('input[name=no]', no);
    await sales.fill('input[name=customerCode]', customerCode);
    await sales.fill('input[name=title]', '仓储管理系统一期');
    await sales.fill('input[name="amount.value"]', '100000.00');
    await sales.selectOption('select[name=paymentTermsType]', 'credit_terms');
    await sales.fill('input[name=department]', '华东');
    expect(await submit(sales, '#register button[type=submit]')).toBe(200);

    expect(new URL(sales.url()).pathname).toBe(`/contracts/${no}`);
    await expect(text(sales, 'h1')).resolves.toBe(`${no} · 仓储管理系统一期`);
    await expect(text(sales, '#header')).resolves.toContain('华东仓储有限公司');
    await expect(text(sales, '#header')).resolves.toContain('¥100,000.00');
    await expect(stageOf(sales)).resolves.toBe('线索/机会');
    await expect(text(sales, '.progress li.current')).resolves.toBe('线索/机会');
    // Approval is finance's or an executive's: sales gets no approve form, but may cancel.
    expect(await sales.locator('#approve').count()).toBe(0);
    expect(await sales.locator('#cancel').count()).toBe(1);
    await expect(text(sales, '#timeline')).resolves.toContain('登记线索/机会');
  });

  it('finance approves with a risk assessment; a refusal keeps the scores and names the field', async () => {
    await finance.goto(`/contracts/${no}`);
    for (const field of ['customerRisk', 'projectRisk', 'requirementRisk'])
      await finance.selectOption(`select[name="risk.${field}"]`, '5');
    expect(await submit(finance, '#approve button[type=submit]')).toBe(409);
    await expect(text(finance, '#approve .refused')).resolves.toContain('risk score 15 exceeds the maximum of 12');
    await expect(text(finance, '#approve fieldset .field-error')).resolves.toContain('risk score 15');
    expect(await finance.inputValue('select[name="risk.projectRisk"]')).toBe('5');

    await finance.selectOption('select[name="risk.projectRisk"]', '2');
    await finance.selectOption('select[name="risk.requirementRisk"]', '2');
    await finance.fill('textarea[name="risk.notes"]', '老客户，需求清楚');
    expect(await submit(finance, '#approve button[type=submit]')).toBe(200);
    await expect(stageOf(finance)).resolves.toBe('方案评审');
    // The timeline says who approved and why (the assessment's notes).
    await expect(text(finance, '#timeline tbody tr:last-child')).resolves.toContain('赵财务');
    await expect(text(finance, '#timeline tbody tr:last-child')).resolves.toContain('老客户，需求清楚');
  });

  it('sales reviews, then signs: refused first with every missing checklist item beside its field, nothing typed lost', async () => {
    await sales.goto(`/contracts/${no}`);
    await sales.fill('input[name="estimatedCost.value"]', '60000.00');
    expect(await submit(sales, '#review button[type=submit]')).toBe(200);
    await expect(stageOf(sales)).resolves.toBe('合同评审');
    await expect(text(sales, '#calculations')).resolves.toContain('¥60,000.00');
    await expect(text(sales, '#calculations')).resolves.toContain('¥40,000.00 (40.0%)');

    await sales.fill('textarea[name="terms.deliverables"]', '仓储管理系统\n上线培训');
    await sales.fill('input[name="terms.paymentMethod"]', '银行转账 6222 0000 1111 2222');
    expect(await submit(sales, '#sign button[type=submit]')).toBe(409);
    const missing = [
      'acceptanceOwner',
      'acceptanceCriteria',
      'invoicingDetails',
      'paymentSchedule',
      'paymentOwner',
      'lateInterestRatePercent',
      'penaltyClause',
    ];
    const reasons = await sales.locator('#sign .refused li').allInnerTexts();
    expect(reasons).toHaveLength(missing.length);
    for (const field of missing) {
      const label = sales.locator('#sign label', { has: sales.locator(`[name="terms.${field}"]`) });
      await expect(label.locator('.field-error').innerText(), field).resolves.toContain('合同未写明');
    }
    expect(await sales.locator('#sign label:has([name="terms.paymentMethod"]) .field-error').count()).toBe(0);
    expect(await sales.inputValue('textarea[name="terms.deliverables"]')).toBe('仓储管理系统\n上线培训');
    expect(await sales.inputValue('input[name="terms.paymentMethod"]')).toBe('银行转账 6222 0000 1111 2222');
    await screenshot(sales, 'contract-sign-refused.zh-CN');

    await sales.fill('input[name="terms.acceptanceOwner"]', '李伟，运营总监');
    await sales.fill('textarea[name="terms.acceptanceCriteria"]', '验收负责人签署 UAT 报告');
    await sales.fill('textarea[name="terms.invoicingDetails"]', '增值税专用发票，税号 91310000XXXXXXXX');
    await sales.fill('input[name="terms.paymentSchedule"]', '签约付 40%，验收付 60%');
    await sales.fill('input[name="terms.paymentOwner"]', '王芳，财务经理');
    await sales.fill('input[name="terms.lateInterestRatePercent"]', '18.25');
    await sales.fill('textarea[name="terms.penaltyClause"]', '每日按逾期金额的万分之五计付违约金');
    expect(await submit(sales, '#sign button[type=submit]')).toBe(200);
    await expect(stageOf(sales)).resolves.toBe('合同分拆');
    await expect(text(sales, '#terms')).resolves.toContain('上线培训');
    expect(await sales.locator('#terms .badge.warn').count()).toBe(0);
  });

  it('finance splits (a sum short of the amount is refused, the rows and the running sum kept) and budgets', async () => {
    await finance.goto(`/contracts/${no}`);
    const row = (index: number, field: string) => `#split [name="milestones.${index}.${field}"]`;
    await finance.selectOption(row(0, 'kind'), 'advance');
    await finance.fill(row(0, 'percent'), '40');
    await finance.selectOption(row(0, 'trigger.type'), 'on_signing');
    await finance.fill(row(0, 'termDays'), '30');
    await finance.selectOption(row(1, 'kind'), 'final');
    await finance.fill(row(1, 'percent'), '50');
    await finance.selectOption(row(1, 'trigger.type'), 'on_acceptance');
    await finance.fill(row(1, 'termDays'), '30');
    // The inline script sums as the person types.
    await expect(text(finance, '#split-sum [data-sum]')).resolves.toBe('¥90,000.00');
    await expect(text(finance, '#split-sum [data-difference]')).resolves.toBe('¥10,000.00');

    expect(await submit(finance, '#split button[type=submit]')).toBe(409);
    await expect(text(finance, '#split .refused')).resolves.toContain('milestones sum to 9000000 minor units');
    await expect(text(finance, '#split form > .field-error')).resolves.toContain('difference 1000000');
    expect(await finance.inputValue(row(1, 'percent'))).toBe('50');
    expect(await finance.inputValue(row(1, 'trigger.type'))).toBe('on_acceptance');
    expect(await finance.inputValue(row(0, 'kind'))).toBe('advance');
    // Shown again after the refusal (the server sums what was typed; the script recomputes the same).
    await expect(text(finance, '#split-sum [data-sum]')).resolves.toBe('¥90,000.00');
    await screenshot(finance, 'contract-split-refused.zh-CN');

    await finance.fill(row(1, 'percent'), '60');
    await expect(text(finance, '#split-sum [data-difference]')).resolves.toBe('¥0.00');
    expect(await submit(finance, '#split button[type=submit]')).toBe(200);
    await expect(stageOf(finance)).resolves.toBe('预算');
    const milestones = await finance.locator('#milestones tbody tr').allInnerTexts();
    expect(milestones).toHaveLength(2);
    expect(milestones[0]).toContain('¥40,000.00');
    expect(milestones[0]).toContain('可开票');
    expect(milestones[1]).toContain('¥60,000.00');
    expect(milestones[1]).toContain('未到触发条件');

    await finance.fill('input[name="budget.value"]', '65000.00');
    expect(await submit(finance, '#budget button[type=submit]')).toBe(200);
    await expect(stageOf(finance)).resolves.toBe('合同交接');
    await expect(text(finance, '#calculations')).resolves.toContain('¥65,000.00');
  });

  it('sales hands over to delivery, naming the owners', async () => {
    await sales.goto(`/contracts/${no}`);
    expect(await sales.inputValue('input[name="owners.account"]')).toBe('王销售');
    await sales.fill('input[name="owners.solution"]', '孙方案');
    expect(await submit(sales, '#handover button[type=submit]')).toBe(400);
    for (const owner of ['fulfilment', 'finance', 'executiveSponsor'])
      await expect(
        sales.locator(`#handover label:has([name="owners.${owner}"]) .field-error`).innerText(),
      ).resolves.toContain('must not be empty');
    expect(await sales.locator('#handover .refused li').count()).toBe(3);
    expect(await sales.inputValue('input[name="owners.solution"]')).toBe('孙方案');
    await sales.fill('input[name="owners.fulfilment"]', '李交付');
    await sales.fill('input[name="owners.finance"]', '赵财务');
    await sales.fill('input[name="owners.executiveSponsor"]', '钱总');
    expect(await submit(sales, '#handover button[type=submit]')).toBe(200);
    await expect(stageOf(sales)).resolves.toBe('交付');
    await expect(text(sales, '#header')).resolves.toContain('孙方案');
  });

  it('delivery records delivery and acceptance, and sees the last milestone become invoice-ready', async () => {
    await delivery.goto(`/contracts/${no}`);
    expect(await delivery.locator('#handover, #sign, #split').count()).toBe(0);
    expect(await submit(delivery, '#deliver button[type=submit]')).toBe(200);
    await expect(stageOf(delivery)).resolves.toBe('验收');

    expect(await delivery.inputValue('input[name=acceptor]')).toBe('李伟，运营总监');
    expect(await submit(delivery, '#accept button[type=submit]')).toBe(400);
    await expect(delivery.locator('#accept label:has([name=documentRef]) .field-error').innerText()).resolves.toContain(
      'must not be empty',
    );
    expect(await delivery.inputValue('input[name=acceptor]')).toBe('李伟，运营总监');
    await delivery.fill('input[name=documentRef]', 'YS-2026-018');
    expect(await submit(delivery, '#accept button[type=submit]')).toBe(200);
    await expect(stageOf(delivery)).resolves.toBe('回款');
    const last = await delivery.locator('#milestones tbody tr[data-seq="2"]').innerText();
    expect(last).toContain('可开票');
    await expect(text(delivery, '#timeline')).resolves.toContain('节点可开票');
    expect(await delivery.locator('#actions').count()).toBe(0);

    expect(await overflowingText(delivery)).toEqual([]);
    await screenshot(delivery, 'contract.zh-CN');
    await switchLanguage(delivery, 'en');
    await expect(text(delivery, '#milestones tbody tr[data-seq="2"]')).resolves.toContain('Invoice-ready');
    const labels = await text(delivery, '#milestones');
    expect(labels).not.toMatch(/\p{Script=Han}/u);
    expect(await overflowingText(delivery)).toEqual([]);
    await screenshot(delivery, 'contract.en');
    await switchLanguage(delivery, 'zh-CN');
  });

  it('gives a role that may not act no form, and a 403 when it posts anyway', async () => {
    const other = uniqueCode('HT');
    const registered = await (
      await personWithPassword(harness, '周销售', 'sales')
    ).post('/api/v1/contracts', {
      no: other,
      customerCode,
      title: '二期',
      amount: { value: '5000.00', currency: 'CNY' },
      paymentTermsType: 'prepayment',
    });
    expect(registered.status).toBe(201);
    await delivery.goto(`/contracts/${other}`);
    expect(await delivery.locator('#actions').count()).toBe(0);
    const status = await delivery.evaluate(async (path) => {
      const token = (document.querySelector('input[name=_csrf]') as HTMLInputElement).value;
      const response = await fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          _csrf: token,
          'risk.customerRisk': '1',
          'risk.projectRisk': '1',
          'risk.requirementRisk': '1',
        }).toString(),
        redirect: 'manual',
      });
      return response.status;
    }, `/contracts/${other}/approve`);
    expect(status).toBe(403);
    const page = await delivery.goto('/contracts/new');
    expect(page?.status()).toBe(403);
  });

  describe('the list and the board', () => {
    const EVIL = '<script>alert(1)</script>';
    let dialogs = 0;

    beforeAll(async () => {
      const db = harness.database.db;
      await db
        .insertInto('customers')
        .values([
          { code: 'EVIL', name: EVIL, grade: 'B', credit_limit_minor: 0, currency: 'CNY', credit_hold_reason: null },
          {
            code: 'ACME',
            name: '艾克米集团',
            grade: 'A',
            credit_limit_minor: 0,
            currency: 'CNY',
            credit_hold_reason: null,
          },
        ])
        .execute();
      const stages: Stage[] = ['Opportunity', 'SolutionReview', 'Delivery', 'Delivery', 'Acceptance', 'Collection'];
      const now = Date.now();
      await db
        .insertInto('contracts')
        .values(
          Array.from({ length: 60 }, (_, i) => ({
            no: `L-${String(i + 1).padStart(3, '0')}`,
            customer_code: i % 3 === 0 ? 'EVIL' : 'ACME',
            title: i % 3 === 0 ? `<b>${EVIL}</b> 项目 ${i + 1}` : `数据中心扩容 ${i + 1}`,
            amount_minor: (i + 1) * 1_000_000,
            currency: 'CNY',
            payment_terms_type: 'credit_terms' as const,
            stage: stages[i % stages.length],
            terms: '{}',
            details: '{}',
            owners: null,
            close_reason: null,
            department: i % 2 === 0 ? '华东' : '华南',
            account_owner: i % 2 === 0 ? '王销售' : '周销售',
            created_by: '王销售',
            created_at: new Date(now - (200 - i) * DAY_MS),
            // Every fifth waited long enough in its stage to count as stuck.
            stage_changed_at: new Date(now - (i % 5 === 0 ? 150 : 2 + (i % 4)) * DAY_MS),
          })),
        )
        .execute();
      sales.on('dialog', (dialog) => {
        dialogs += 1;
        void dialog.dismiss();
      });
    });

    it('searches, filters by stage (htmx), sorts by a column and pages by cursor; user text stays text', async () => {
      await sales.goto('/contracts');
      await expect(text(sales, 'h1')).resolves.toBe('合同');
      expect(await sales.locator('#results tbody tr').count()).toBe(50);
      await expect(text(sales, '#results')).resolves.toContain(EVIL);
      expect(await sales.locator('#results script, #results b').count()).toBe(0);

      await sales.fill('input[name=q]', '艾克米');
      await Promise.all([sales.waitForURL(/q=/), sales.press('input[name=q]', 'Enter')]);
      await expect.poll(() => sales.locator('#results tbody tr').count()).toBe(40);
      const rows = await sales.locator('#results tbody tr').allInnerTexts();
      for (const row of rows) expect(row).toContain('艾克米集团');

      await Promise.all([sales.waitForURL(/stage=Delivery/), sales.selectOption('select[name=stage]', 'Delivery')]);
      // ACME's contracts in Delivery: i % 6 in {2, 3} and i % 3 != 0.
      const expected = Array.from({ length: 60 }, (_, i) => i).filter((i) => [2, 3].includes(i % 6) && i % 3 !== 0);
      await expect.poll(() => sales.locator('#results tbody tr').count()).toBe(expected.length);
      const delivery = await sales.locator('#results tbody tr').allInnerTexts();
      for (const row of delivery) expect(row).toContain('交付');
      expect(await sales.locator('#results .badge.warn').count()).toBe(
        expected.filter((i) => i % 5 === 0).length, // 150 days > 90 in Delivery
      );

      await sales.goto('/contracts?sort=-amount');
      await expect(text(sales, '#results tbody tr:first-child')).resolves.toContain('L-060');
      await Promise.all([sales.waitForURL(/sort=amount/), sales.click('th a[href*="sort=amount"]')]);
      // The cheapest is the journey's second contract (¥5,000.00), then L-001.
      await expect(text(sales, '#results tbody tr:first-child')).resolves.toContain('¥5,000.00');
      await expect(text(sales, '#results tbody tr:nth-child(2)')).resolves.toContain('L-001');
      await expect(sales.locator('th[aria-sort=ascending]').innerText()).resolves.toContain('↑');
      await Promise.all([sales.waitForURL(/cursor=/), sales.click('a[rel=next]')]);
      const second = await sales.locator('#results tbody tr').allInnerTexts();
      // 60 registered here plus the two of the journeys; the second page starts after 50 rows.
      expect(second).toHaveLength(12);
      expect(await sales.locator('a[rel=next]').count()).toBe(0);
      expect(dialogs).toBe(0);

      await sales.goto('/contracts');
      expect(await overflowingText(sales)).toEqual([]);
      await screenshot(sales, 'contracts.zh-CN');
      await switchLanguage(sales, 'en');
      await expect(text(sales, 'h1')).resolves.toBe('Contracts');
      expect(`${await text(sales, 'thead')} ${await text(sales, 'form.filters')}`).not.toMatch(/\p{Script=Han}/u);
      expect(await overflowingText(sales)).toEqual([]);
      await screenshot(sales, 'contracts.en');
      await switchLanguage(sales, 'zh-CN');
    });

    it('draws a column per stage with stuck cards marked, capped with a link to the filtered list', async () => {
      await sales.goto('/contracts/board');
      await expect(text(sales, 'h1')).resolves.toBe('合同看板');
      const columns = await sales.locator('.board .column h3').allInnerTexts();
      expect(columns).toEqual([
        '线索/机会',
        '方案评审',
        '合同评审',
        '合同分拆',
        '预算',
        '合同交接',
        '交付',
        '验收',
        '回款',
      ]);
      const deliveryColumn = sales.locator('.board .column', { has: sales.locator('#column-Delivery') });
      expect(await deliveryColumn.locator('.card').count()).toBe(8);
      // Oldest change first: the stuck ones (150 days in Delivery) lead the column.
      await expect(deliveryColumn.locator('.card').first().getAttribute('class')).resolves.toContain('stuck');
      await expect(deliveryColumn.locator('.card.stuck .badge.warn').first().innerText()).resolves.toBe('停滞');
      await expect(deliveryColumn.locator('a.more').getAttribute('href')).resolves.toBe(
        '/contracts?stage=Delivery&sort=stageChangedAt',
      );
      // A customer whose name is markup shows it as text on the board too.
      await expect(text(sales, '.board')).resolves.toContain(EVIL);
      expect(dialogs).toBe(0);

      await sales.fill('input[name=owner]', '周销售');
      await Promise.all([sales.waitForURL(/owner=/), sales.press('input[name=owner]', 'Enter')]);
      await expect.poll(() => deliveryColumn.locator('a.more').getAttribute('href')).toContain('owner=');
      await expect(deliveryColumn.locator('a.more').getAttribute('href')).resolves.toContain('owner=');

      await sales.goto('/contracts/board');
      expect(await overflowingText(sales)).toEqual([]);
      await screenshot(sales, 'contracts-board.zh-CN');
      await switchLanguage(sales, 'en');
      await expect(text(sales, 'h1')).resolves.toBe('Contract board');
      expect(await overflowingText(sales)).toEqual([]);
      await screenshot(sales, 'contracts-board.en');
      await switchLanguage(sales, 'zh-CN');
    });
  });
});
