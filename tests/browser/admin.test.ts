/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../activities/mailer';
import { type ApiHarness, ApiClient, startApiHarness } from '../support/api-harness';
import {
  launchBrowser,
  overflowingText,
  personWithPassword,
  screenshot,
  signIn,
  switchLanguage,
} from '../support/browser';

const NEW_PASSWORD = 'plum-blossom-river-42';
const RESET_PASSWORD = 'bamboo-lantern-harbour-7';

describe('console: admin pages (people and tokens, calendars, mailbox)', () => {
  let harness: ApiHarness;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    harness = await startApiHarness();
    baseUrl = harness.admin.baseUrl;
    browser = await launchBrowser();
    await personWithPassword(harness, '赵管理', 'admin');
    await personWithPassword(harness, '孙销售', 'sales');
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  const submit = (page: Page, selector: string) =>
    Promise.all([page.waitForLoadState('load'), page.click(`${selector} button[type=submit]`)]);

  it('creates a person with a password (a weak one refused beside its field), who then signs in', async () => {
    const page = await signIn(browser, baseUrl, '赵管理');
    await Promise.all([page.waitForURL('**/admin/people'), page.click('header nav a[href="/admin/people"]')]);
    await expect(page.textContent('h1')).resolves.toBe('人员');

    await page.fill('#create input[name=name]', '钱新人');
    await page.selectOption('#create select[name=role]', 'finance');
    await page.fill('#create input[name=email]', 'qian@huikuan.test');
    await page.fill('#create input[name=password]', 'short');
    await submit(page, '#create form');
    await expect(page.textContent('#create .refused')).resolves.toContain('password');
    await expect(page.textContent('#create label:has(input[name=password]) .field-error')).resolves.toContain(
      'at least 10 characters',
    );
    expect(await page.inputValue('#create input[name=name]')).toBe('钱新人');
    expect(await page.inputValue('#create select[name=role]')).toBe('finance');
    expect(await page.inputValue('#create input[name=email]')).toBe('qian@huikuan.test');

    await page.fill('#create input[name=password]', NEW_PASSWORD);
    await submit(page, '#create form');
    expect(decodeURIComponent(new URL(page.url()).pathname)).toBe('/admin/people/钱新人');
    await expect(page.textContent('#facts')).resolves.toContain('财务');

    await page.goto('/admin/people');
    await expect(page.textContent('#people-list')).resolves.toContain('钱新人');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'people.zh-CN');
    await switchLanguage(page, 'en');
    await expect(page.textContent('h1')).resolves.toBe('People');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'people.en');
    await switchLanguage(page, 'zh-CN');

    // The search narrows the list in SQL; htmx swaps the list, and the URL keeps the filter.
    await page.fill('#people input[name=q]', '钱');
    await Promise.all([page.waitForURL(/q=/), page.click('#people form.filters button')]);
    await expect(page.locator('#people-list tbody tr').count()).resolves.toBe(1);
    await page.context().close();

    const newcomer = await signIn(browser, baseUrl, '钱新人', NEW_PASSWORD);
    expect(new URL(newcomer.url()).pathname).toBe('/');
    await expect(newcomer.textContent('header .who')).resolves.toContain('钱新人');
    await newcomer.context().close();
  });

  it("sets a person's e-mail, manager and daily digest (an unknown manager refused beside its field), in both languages", async () => {
    const page = await signIn(browser, baseUrl, '赵管理');
    await page.goto(`/admin/people/${encodeURIComponent('孙销售')}`);
    await page.fill('#profile form[action$="/mail"] input[name=email]', 'sun@huikuan.test');
    await page.fill('#profile form[action$="/mail"] input[name=manager]', '没有这个人');
    await page.selectOption('#profile form[action$="/mail"] select[name=notify]', 'digest');
    await page.fill('#profile form[action$="/mail"] input[name=digestHour]', '18');
    await submit(page, '#profile form[action$="/mail"]');
    await expect(page.textContent('#profile label:has(input[name=manager]) .field-error')).resolves.toContain(
      '没有这个人',
    );
    expect(await page.inputValue('#profile form[action$="/mail"] select[name=notify]')).toBe('digest');
    await page.fill('#profile form[action$="/mail"] input[name=manager]', '赵管理');
    await page.fill('#profile form[action$="/mail"] input[name=timeZone]', 'Asia/Tokyo');
    await submit(page, '#profile form[action$="/mail"]');
    const facts = await page.textContent('#facts');
    expect(facts).toContain('sun@huikuan.test');
    expect(facts).toContain('赵管理');
    expect(facts).toMatch(/每日摘要 · 18:00 Asia\/Tokyo/);
    expect(await page.inputValue('#profile form[action$="/mail"] input[name=digestHour]')).toBe('18');
    expect(await overflowingText(page)).toEqual([]);
    await switchLanguage(page, 'en');
    await expect(page.textContent('#facts')).resolves.toMatch(/Daily digest · 18:00 Asia\/Tokyo/);
    await expect(page.textContent('#profile')).resolves.toContain('Mail and manager');
    expect(await overflowingText(page)).toEqual([]);
    await switchLanguage(page, 'zh-CN');
    const stored = await harness.admin.get(`/api/v1/people/${encodeURIComponent('孙销售')}`);
    expect(stored.body).toMatchObject({ manager: '赵管理', notify: 'digest', digestHour: 18, timeZone: 'Asia/Tokyo' });
    await page.context().close();
  });

  it('issues a token shown once, revokes it, resets a password, deactivates and reactivates', async () => {
    const page = await signIn(browser, baseUrl, '赵管理');
    await page.goto(`/admin/people/${encodeURIComponent('钱新人')}`);
    await page.fill('#tokens input[name=label]', '笔记本电脑');
    await submit(page, '#tokens form');
    expect(new URL(page.url()).pathname).toMatch(/\/tokens\/issued$/);
    const secret = (await page.textContent('#secret'))!.trim();
    expect(secret).toMatch(/^hk_/);
    expect(page.url()).not.toContain(secret);
    const client = new ApiClient(baseUrl, secret);
    expect((await client.get('/api/v1/invoice-ready')).status).toBe(200);
    await page.reload();
    await expect(page.locator('#secret').count()).resolves.toBe(0);
    await expect(page.textContent('#issued')).resolves.toContain('显示过一次');

    await page.goto(`/admin/people/${encodeURIComponent('钱新人')}`);
    const row = page.locator('#tokens tbody tr', { hasText: '笔记本电脑' });
    await Promise.all([page.waitForLoadState('load'), row.locator('button[type=submit]').click()]);
    await expect(page.locator('#tokens tbody tr', { hasText: '笔记本电脑' }).textContent()).resolves.toContain(
      '已吊销',
    );
    expect((await client.get('/api/v1/invoice-ready')).status).toBe(401);

    await page.fill('#password input[name=password]', RESET_PASSWORD);
    await submit(page, '#password form');
    await expect(page.textContent('#facts')).resolves.toContain('设置于');
    await page.context().close();
    const refused = await fetch(`${baseUrl}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '钱新人', password: NEW_PASSWORD }),
    });
    expect(refused.status).toBe(401);
    const newcomer = await signIn(browser, baseUrl, '钱新人', RESET_PASSWORD);
    expect(new URL(newcomer.url()).pathname).toBe('/');

    // Deactivating ends the newcomer's session at once; reactivating lets them sign in again.
    const admin = await signIn(browser, baseUrl, '赵管理');
    await admin.goto(`/admin/people/${encodeURIComponent('钱新人')}`);
    await submit(admin, '#profile form[action$="/active"]');
    await expect(admin.textContent('#facts')).resolves.toContain('已停用');
    await newcomer.reload();
    expect(new URL(newcomer.url()).pathname).toBe('/sign-in');
    await submit(admin, '#profile form[action$="/active"]');
    await expect(admin.textContent('#facts')).resolves.toContain('在用');
    await admin.context().close();
    await newcomer.context().close();
  });

  it('gives a non-admin no admin link, and a 403 page when they post to an admin form anyway', async () => {
    const page = await signIn(browser, baseUrl, '孙销售');
    await expect(page.locator('header nav a[href="/admin/people"]').count()).resolves.toBe(0);
    const shown = await page.goto('/admin/people');
    expect(shown?.status()).toBe(403);
    await expect(page.textContent('h1')).resolves.toBe('无权操作');
    const posted = await page.evaluate(async () => {
      const csrf = document.querySelector<HTMLInputElement>('input[name=_csrf]')!.value;
      const response = await fetch('/admin/people', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, name: '冒名者', role: 'admin', password: 'a-long-enough-one-1' }),
      });
      return { status: response.status, text: await response.text() };
    });
    expect(posted.status).toBe(403);
    expect(posted.text).toContain('无权操作');
    expect((await harness.admin.get(`/api/v1/people/${encodeURIComponent('冒名者')}`)).status).toBe(404);
    await page.context().close();
  });

  it('shows a calendar year with holidays and make-up days, and edits it with a refused first attempt', async () => {
    const page = await signIn(browser, baseUrl, '赵管理');
    await page.goto('/admin/calendars');
    await expect(page.textContent('#calendars')).resolves.toContain('cn-mainland');
    await Promise.all([page.waitForLoadState('load'), page.click('#calendars a[href="/admin/calendars/cn-mainland"]')]);
    await page.goto('/admin/calendars/cn-mainland?year=2026');
    await expect(page.getAttribute('[data-date="2026-10-01"]', 'class')).resolves.toBe('day-holiday');
    await expect(page.getAttribute('[data-date="2026-10-10"]', 'class')).resolves.toBe('day-makeup');
    await expect(page.getAttribute('[data-date="2026-10-11"]', 'class')).resolves.toBe('day-weekend');
    await expect(page.getAttribute('[data-date="2026-10-12"]', 'class')).resolves.toBe('day-workday');

    // A company day off, typed without its name: refused beside the row, the date kept.
    const spare = page.locator('#edit fieldset:has(legend:text("节假日")) tbody tr').last();
    await spare.locator('input[type=date]').fill('2026-12-24');
    await submit(page, '#edit form');
    await expect(page.textContent('#edit .refused')).resolves.toMatch(/holidays\.\d+\.name: /);
    const typed = page.locator('#edit tr:has(input[value="2026-12-24"])');
    await expect(typed.locator('.field-error').textContent()).resolves.toMatch(
      /each day needs a name|每一天都需要名称/,
    );
    await typed.locator('input:not([type=date])').fill('公司年会');
    await submit(page, '#edit form');
    expect(new URL(page.url()).search).toBe('?year=2026');
    await expect(page.getAttribute('[data-date="2026-12-24"]', 'class')).resolves.toBe('day-holiday');
    await expect(page.getAttribute('[data-date="2026-12-24"]', 'title')).resolves.toBe('公司年会');
    expect((await harness.admin.get('/api/v1/calendars/cn-mainland')).body.holidays).toContainEqual({
      date: '2026-12-24',
      name: '公司年会',
    });

    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'calendar.zh-CN');
    await switchLanguage(page, 'en');
    await page.goto('/admin/calendars/cn-mainland?year=2026');
    await expect(page.textContent('#year')).resolves.toContain('October');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'calendar.en');
    await switchLanguage(page, 'zh-CN');
    await page.context().close();
  });

  it('shows the mailbox: each mail with its recipients and date, its HTML sandboxed, user text escaped', async () => {
    const transport = createTransport(harness.smtp.url);
    await transport.sendMail({
      from: 'collections@huikuan.test',
      to: ['payer@acme.test', 'finance@acme.test'],
      subject: '付款提醒 <script>window.pwned = 1</script>',
      text: '尊敬的客户：发票 INV-1 已到期。',
      html: '<h1>付款提醒</h1><p>尊敬的客户：发票 <b>INV-1</b> 已到期。</p><script>parent.pwned = 2</script>',
    });
    transport.close();

    const page = await signIn(browser, baseUrl, '赵管理');
    await page.goto('/admin/people');
    await Promise.all([page.waitForURL('**/admin/mailbox'), page.click('nav.tabs a[href="/admin/mailbox"]')]);
    const mail = page.locator('#mails section.mail').first();
    await expect(mail.locator('h2').textContent()).resolves.toBe('付款提醒 <script>window.pwned = 1</script>');
    await expect(mail.textContent()).resolves.toContain('payer@acme.test, finance@acme.test');
    // Same origin only to load the console's Chinese font: no allow-scripts, so the letter's script never runs.
    await expect(mail.locator('iframe').getAttribute('sandbox')).resolves.toBe('allow-same-origin');
    const letter = page.frameLocator('#mails section.mail iframe').first();
    await expect(letter.locator('h1').textContent()).resolves.toBe('付款提醒');
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

    await page.fill('input[name=to]', 'nobody@else.test');
    await Promise.all([page.waitForURL(/to=/), page.click('form.filters button')]);
    await expect(page.locator('#mails section.mail').count()).resolves.toBe(0);
    await page.goto('/admin/mailbox');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'mailbox.zh-CN');
    await switchLanguage(page, 'en');
    await expect(page.textContent('h1')).resolves.toBe('Mailbox');
    await screenshot(page, 'mailbox.en');
    await page.context().close();
  });
});
