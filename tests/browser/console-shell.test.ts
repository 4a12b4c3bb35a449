/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { launchBrowser, personWithPassword, screenshot, signIn, switchLanguage } from '../support/browser';

describe('console: signing in, the layout, the language switch and the door checks', () => {
  let harness: ApiHarness;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    harness = await startApiHarness();
    baseUrl = harness.admin.baseUrl;
    browser = await launchBrowser();
    await personWithPassword(harness, '王销售', 'sales');
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  it('sends a person without a session to sign in, and back to the page they wanted', async () => {
    const response = await fetch(`${baseUrl}/contracts?stage=Delivery`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/sign-in?next=%2Fcontracts%3Fstage%3DDelivery');

    const context = await browser.newContext({ baseURL: baseUrl });
    const page = await context.newPage();
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await expect(page.textContent('h1')).resolves.toBe('登录回款');
    await page.fill('input[name=name]', '王销售');
    await page.fill('input[name=password]', 'wrong password');
    await page.click('button[type=submit]');
    await expect(page.textContent('.refused')).resolves.toContain('姓名或密码不正确');
    expect(await page.inputValue('input[name=name]')).toBe('王销售');
    await context.close();
  });

  it('signs in to My work in Chinese, switches every label to English and back, and signs out', async () => {
    const page = await signIn(browser, baseUrl, '王销售');
    expect(new URL(page.url()).pathname).toBe('/');
    await expect(page.textContent('h1')).resolves.toBe('我的工作');
    await expect(page.textContent('header nav')).resolves.toContain('合同');
    const fontsReady = await page.evaluate(async () => {
      await document.fonts.ready;
      return document.fonts.check('16px "Noto Sans SC"', '回款');
    });
    expect(fontsReady).toBe(true);
    await screenshot(page, 'my-work.zh-CN');

    await switchLanguage(page, 'en');
    await expect(page.textContent('h1')).resolves.toBe('My work');
    // Every label is English: what is left in Chinese on the page is data (the person's name) or the switch back.
    const labels = `${await page.textContent('nav')} ${await page.textContent('main')} ${await page.title()}`;
    expect(labels).not.toMatch(/\p{Script=Han}/u);
    await expect(page.textContent('header .who')).resolves.toContain('Sales');
    await screenshot(page, 'my-work.en');

    await switchLanguage(page, 'zh-CN');
    await expect(page.textContent('h1')).resolves.toBe('我的工作');
    await page.click('header form[action="/sign-out"] button');
    await page.waitForURL((url) => url.pathname === '/sign-in');
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await page.context().close();
  });

  it('refuses a form posted without the session CSRF token', async () => {
    const page = await signIn(browser, baseUrl, '王销售');
    const status = await page.evaluate(async () => {
      const response = await fetch('/locale', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'locale=en&back=/',
        redirect: 'manual',
      });
      return response.status;
    });
    expect(status).toBe(403);
    await page.reload();
    await expect(page.textContent('h1')).resolves.toBe('我的工作');
    await page.context().close();
  });
});
