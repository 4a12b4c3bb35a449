/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { launchBrowser, personWithPassword, signIn } from '../support/browser';
import { createCustomer, registerContract } from '../support/scenario';

const HOSTILE = `<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">"'&`;

/** Posts a form from inside the signed-in page, with the page's own CSRF token unless told otherwise. */
async function postForm(page: Page, action: string, fields: Record<string, string>, withCsrf = true) {
  return page.evaluate(
    async ({ action, fields, withCsrf }) => {
      const csrf = document.querySelector<HTMLInputElement>('input[name=_csrf]')?.value ?? '';
      const body = new URLSearchParams({ ...fields, ...(withCsrf ? { _csrf: csrf } : {}) });
      const response = await fetch(action, { method: 'POST', body, redirect: 'manual' });
      return { status: response.status, text: await response.text() };
    },
    { action, fields, withCsrf },
  );
}

describe('console security: sessions, roles, CSRF and escaping', () => {
  let harness: ApiHarness;
  let browser: Browser;
  let baseUrl: string;
  let contractNo: string;

  beforeAll(async () => {
    harness = await startApiHarness();
    baseUrl = harness.admin.baseUrl;
    browser = await launchBrowser();
    const sales = await personWithPassword(harness, 'sam', 'sales');
    await personWithPassword(harness, 'dana', 'delivery');
    const customer = await createCustomer(sales, { name: HOSTILE });
    contractNo = await registerContract(sales, customer, { title: HOSTILE });
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  it('redirects pages and downloads without a session to sign-in, and never to another site', async () => {
    for (const path of ['/', '/contracts', `/contracts/${contractNo}`, '/finance', '/dashboard', '/admin/people']) {
      const response = await fetch(`${baseUrl}${path}`, { redirect: 'manual' });
      expect([path, response.status]).toEqual([path, 303]);
      expect(response.headers.get('location')).toMatch(/^\/sign-in/);
    }
    const posted = await fetch(`${baseUrl}/contracts/${contractNo}/approve`, { method: 'POST', redirect: 'manual' });
    expect(posted.status).toBe(303);
    const page = await signIn(browser, baseUrl, 'sam');
    await page.goto('/sign-in?next=//evil.example/');
    await page.fill('input[name=name]', 'sam');
    await page.fill('input[name=password]', 'correct-horse-battery-9');
    await Promise.all([page.waitForURL((url) => url.pathname !== '/sign-in'), page.click('button[type=submit]')]);
    expect(new URL(page.url()).host).toBe(new URL(baseUrl).host);
    await page.context().close();
  });

  it('shows hostile customer text as text on every page that shows it', async () => {
    const page = await signIn(browser, baseUrl, 'sam');
    for (const path of [`/contracts?q=${contractNo}`, `/contracts/${contractNo}`, '/contracts/board']) {
      await page.goto(path);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), path).toBeUndefined();
      expect(await page.textContent('main'), path).toContain('<script>window.__xss = 1</script>');
    }
    await page.context().close();
  });

  it('gives a role no form for an action it may not take, and 403 when it posts anyway', async () => {
    const page = await signIn(browser, baseUrl, 'dana');
    await page.goto(`/contracts/${contractNo}`);
    expect(await page.locator(`form[action="/contracts/${contractNo}/approve"]`).count()).toBe(0);
    const refused = await postForm(page, `/contracts/${contractNo}/approve`, {
      'risk.customerRisk': '1',
      'risk.projectRisk': '1',
      'risk.requirementRisk': '1',
    });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('needs role');
    const contract = await harness.admin.get(`/api/v1/contracts/${contractNo}`);
    expect(contract.body.stage).toBe('Opportunity');
    await page.context().close();
  });

  it('refuses a form without the CSRF token before any command runs', async () => {
    const page = await signIn(browser, baseUrl, 'sam');
    await page.goto(`/contracts/${contractNo}`);
    const refused = await postForm(page, `/contracts/${contractNo}/cancel`, { reason: 'no csrf' }, false);
    expect(refused.status).toBe(403);
    const upload = await page.evaluate(async () => {
      const form = new FormData();
      form.append('file', new Blob(['date,amount\n'], { type: 'text/csv' }), 'statement.csv');
      const response = await fetch('/finance/statements', { method: 'POST', body: form, redirect: 'manual' });
      return { status: response.status, text: await response.text() };
    });
    expect(upload.status).toBe(403);
    expect(upload.text).toContain('CSRF');
    const contract = await harness.admin.get(`/api/v1/contracts/${contractNo}`);
    expect(contract.body.stage).toBe('Opportunity');
    await page.context().close();
  });
});
