/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../domain/dates';
import { DEFAULT_POLICY } from '../../domain/policy';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import {
  launchBrowser,
  overflowingText,
  personWithPassword,
  screenshot,
  signIn,
  switchLanguage,
} from '../support/browser';
import { insertInvoice } from '../support/fixtures';
import { todayInShanghai } from '../support/scenario';

describe('console: policies (versions side by side, the step editor, selections, the simulation)', () => {
  let harness: ApiHarness;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    harness = await startApiHarness();
    baseUrl = harness.admin.baseUrl;
    browser = await launchBrowser();
    await personWithPassword(harness, '周财务', 'finance');
    await personWithPassword(harness, '吴销售', 'sales');
    const { version: _version, ...policy } = DEFAULT_POLICY;
    const saved = await harness.admin.post('/api/v1/policies', {
      ...policy,
      id: 'gentle',
      name: '<script>window.pwned = 1</script> 温和',
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  const submit = (page: Page, selector: string) =>
    Promise.all([page.waitForLoadState('load'), page.click(`${selector} button[type=submit]`)]);

  it('lists the policies, escaping their names, and chooses one for a grade after a refused first try', async () => {
    const page = await signIn(browser, baseUrl, '周财务');
    await Promise.all([page.waitForURL('**/policies'), page.click('header nav a[href="/policies"]')]);
    await expect(page.textContent('h1')).resolves.toBe('催收策略');
    await expect(page.textContent('#policies')).resolves.toContain('<script>window.pwned = 1</script> 温和');
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

    await page.selectOption('#selections select[name=scope]', 'grade');
    await page.fill('#selections input[name=key]', 'Z');
    await page.selectOption('#selections select[name=policyId]', 'gentle');
    await submit(page, '#selections form');
    await expect(page.textContent('#selections label:has(input[name=key]) .field-error')).resolves.toContain(
      "a grade selection's key is one of",
    );
    expect(await page.inputValue('#selections input[name=key]')).toBe('Z');
    expect(await page.inputValue('#selections select[name=policyId]')).toBe('gentle');
    await page.fill('#selections input[name=key]', 'B');
    await submit(page, '#selections form');
    await expect(page.locator('#selections tbody tr').textContent()).resolves.toContain('B 级');
    expect((await harness.admin.get('/api/v1/policy-selections')).body).toEqual([
      { scope: 'grade', key: 'B', policyId: 'gentle' },
    ]);

    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'policies.zh-CN');
    await switchLanguage(page, 'en');
    await expect(page.textContent('h1')).resolves.toBe('Collection policies');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'policies.en');
    await switchLanguage(page, 'zh-CN');
    await page.context().close();
  });

  it('saves a new version through the step editor after a refused attempt that shows every reason beside its field', async () => {
    const page = await signIn(browser, baseUrl, '周财务');
    await page.goto('/policies/default');
    await Promise.all([page.waitForURL('**/policies/default/edit'), page.click('#versions a[href$="/edit"]')]);

    await page.fill('#settings input[name=name]', '默认阶梯（含短信提醒）');
    // Remove the monthly visit and add a letter step, forgetting its template, tone and recipients.
    await page.check('fieldset.step:has(input[value="visit_monthly"]) input[name$="._remove"]');
    const spare = page.locator('fieldset.step.spare').first();
    await spare.locator('input[name$=".key"]').fill('sms_nudge');
    await spare.locator('input[name$=".offsetDays"]').fill('5');
    await spare.locator('select[name$=".channel"]').selectOption('letter');
    await spare.locator('select[name$=".owner"]').selectOption('sales');
    await spare.locator('input[name$=".task"]').fill('短信提醒付款负责人');
    await submit(page, '#policy-editor');

    await expect(page.textContent('.refused')).resolves.toContain('invalid policy');
    expect(await page.inputValue('#settings input[name=name]')).toBe('默认阶梯（含短信提醒）');
    await expect(page.locator('input[value="visit_monthly"]').count()).resolves.toBe(0);
    const typed = page.locator('fieldset.step:has(input[value="sms_nudge"])');
    expect(await typed.locator('input[name$=".offsetDays"]').inputValue()).toBe('5');
    expect(await typed.locator('input[name$=".task"]').inputValue()).toBe('短信提醒付款负责人');
    const beside = (field: string) => typed.locator(`:is(label, div):has([name$=".${field}"]) .field-error`).first();
    await expect(beside('template').textContent()).resolves.toContain('must be one of');
    await expect(beside('tone').textContent()).resolves.toContain('must be one of');
    await expect(
      typed.locator('div[role=group]:has([name*=".recipients."]) .field-error').textContent(),
    ).resolves.toContain('a letter needs at least one customer contact role');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'policy-editor.zh-CN');

    await typed.locator('select[name$=".template"]').selectOption('overdue_1');
    await typed.locator('select[name$=".tone"]').selectOption('win_win');
    await typed.locator('input[value="payment_owner"][name*=".recipients."]').check();
    await submit(page, '#policy-editor');

    expect(new URL(page.url()).search).toBe('?right=2');
    await expect(page.textContent('h1')).resolves.toContain('默认阶梯（含短信提醒）');
    await expect(page.getAttribute('#compare tr[data-step="sms_nudge"]', 'class')).resolves.toBe('added');
    await expect(page.getAttribute('#compare tr[data-step="visit_monthly"]', 'class')).resolves.toBe('removed');
    await expect(page.getAttribute('#compare tr[data-step="due"]', 'class')).resolves.toBe('same');
    await expect(page.textContent('#compare tr[data-step="sms_nudge"]')).resolves.toContain('到期后第 5 天');
    const saved = (await harness.admin.get('/api/v1/policies/default')).body;
    expect(saved.version).toBe(2);
    expect(saved.steps.find((step: { key: string }) => step.key === 'sms_nudge')).toEqual({
      key: 'sms_nudge',
      offsetDays: 5,
      channel: 'letter',
      owner: 'sales',
      recipients: ['payment_owner'],
      cc: { contacts: [], internal: [] },
      template: 'overdue_1',
      tone: 'win_win',
      task: '短信提醒付款负责人',
    });
    // The per-kind offsets of the first step came through the number fields unchanged.
    expect(saved.steps[0].offsetDaysByKind).toEqual(DEFAULT_POLICY.steps[0].offsetDaysByKind);

    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'policy-versions.zh-CN');
    await switchLanguage(page, 'en');
    await expect(page.textContent('#compare tr[data-step="sms_nudge"]')).resolves.toContain('Due + 5 d');
    await screenshot(page, 'policy-versions.en');
    await switchLanguage(page, 'zh-CN');
    await page.context().close();
  });

  it('gives a role that may not save no editor, and a 403 page when it posts anyway', async () => {
    const page = await signIn(browser, baseUrl, '吴销售');
    await page.goto('/policies/default');
    await expect(page.locator('#versions a[href$="/edit"]').count()).resolves.toBe(0);
    await expect(page.locator('#selections form').count()).resolves.toBe(0);
    const status = await page.evaluate(async () => {
      const csrf = document.querySelector<HTMLInputElement>('input[name=_csrf]')!.value;
      const response = await fetch('/policies/default/edit', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, id: 'default', name: 'x' }),
      });
      return response.status;
    });
    expect(status).toBe(403);
    await page.context().close();
  });

  it('simulates a policy over chosen invoices and draws the letters and tasks as a timeline', async () => {
    const today = todayInShanghai();
    for (const [no, dueIn] of [
      ['SIM-1', 10],
      ['SIM-2', -20],
    ] as const)
      await insertInvoice(harness.database.db, {
        customerCode: `CUST-${no}`,
        contractNo: `C-${no}`,
        invoiceNo: no,
        amountMinor: 1_250_000,
        issueDate: addDays(today, dueIn - 30),
        dueDate: addDays(today, dueIn),
      });

    const page = await signIn(browser, baseUrl, '周财务');
    await page.goto('/policies/default/simulate');
    await page.fill('textarea[name=invoiceNos]', 'SIM-1, NOPE-9');
    await submit(page, '#simulate-form form');
    await expect(page.textContent('#simulate-form label:has(textarea) .field-error')).resolves.toContain(
      'unknown invoices: NOPE-9',
    );
    expect(await page.inputValue('textarea[name=invoiceNos]')).toBe('SIM-1, NOPE-9');

    await page.fill('textarea[name=invoiceNos]', 'SIM-1\nSIM-2');
    await page.selectOption('select[name=version]', '1');
    await submit(page, '#simulate-form form');
    await expect(page.textContent('#summary h2')).resolves.toContain('default v1');
    const letters = await page.locator('#timeline tbody tr[data-kind="letter"]').count();
    expect(letters).toBeGreaterThan(3);
    await expect(page.locator('#timeline tbody tr[data-kind="task"]').count()).resolves.toBeGreaterThan(0);
    await expect(page.textContent('#timeline tbody')).resolves.toContain('SIM-2');
    await page.waitForSelector('#chart .chart svg');
    const dots = await page.locator('#chart .chart svg path').count();
    expect(dots).toBeGreaterThan(letters);
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'simulation.zh-CN');
    const simulated = page.url();
    await switchLanguage(page, 'en');
    // The language switch goes back to the page's path; the simulation's query is asked again.
    await page.goto(simulated);
    await page.waitForSelector('#chart .chart svg');
    await expect(page.textContent('#chart')).resolves.toContain('Letter');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'simulation.en');
    await page.context().close();
  });
});
