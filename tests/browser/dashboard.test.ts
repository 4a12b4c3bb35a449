/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../domain/dates';
import { type ApiClient, type ApiHarness, startApiHarness } from '../support/api-harness';
import { insertInvoice } from '../support/fixtures';
import { todayInShanghai } from '../support/scenario';
import {
  launchBrowser,
  overflowingText,
  personWithPassword,
  screenshot,
  signIn,
  switchLanguage,
} from '../support/browser';

const today = todayInShanghai();

const CUSTOMERS = [
  { code: 'HUAXIN', name: '北京华信科技有限公司' },
  { code: 'DONGFANG', name: '上海东方制造股份有限公司' },
  { code: 'NANHAI', name: '广州南海物流有限公司' },
  { code: 'XIBU', name: '成都西部数据服务有限公司' },
];

/** Open invoices in every aging bucket: due in `due` days (negative: that many days ago). */
const OPEN = [
  { customer: 'HUAXIN', due: 10, yuan: 120_000 },
  { customer: 'HUAXIN', due: -20, yuan: 80_000 },
  { customer: 'DONGFANG', due: -45, yuan: 60_000 },
  { customer: 'NANHAI', due: -75, yuan: 45_000 },
  { customer: 'XIBU', due: -150, yuan: 90_000 },
  { customer: 'DONGFANG', due: 25, yuan: 30_000 },
];

/** Invoices paid through the API, `late` days after their due date (negative: early), over the last months. */
const PAID = [
  { customer: 'HUAXIN', due: -160, late: -2, yuan: 50_000 },
  { customer: 'HUAXIN', due: -100, late: 0, yuan: 40_000 },
  { customer: 'HUAXIN', due: -40, late: 3, yuan: 30_000 },
  { customer: 'DONGFANG', due: -130, late: 12, yuan: 70_000 },
  { customer: 'DONGFANG', due: -70, late: 25, yuan: 20_000 },
  { customer: 'NANHAI', due: -90, late: -5, yuan: 35_000 },
  { customer: 'NANHAI', due: -25, late: 8, yuan: 15_000 },
  { customer: 'XIBU', due: -60, late: 40, yuan: 55_000 },
];

/** The SVG paths ECharts drew in one chart (bars and lines are paths), once it has drawn. */
async function chartPaths(page: Page, section: string): Promise<number> {
  await page.waitForSelector(`#${section} .chart[data-drawn] svg path`, { state: 'attached' });
  return page.locator(`#${section} .chart svg path`).count();
}

describe('console: dashboard', () => {
  let harness: ApiHarness;
  let browser: Browser;
  let baseUrl: string;
  let finance: ApiClient;

  beforeAll(async () => {
    harness = await startApiHarness();
    baseUrl = harness.admin.baseUrl;
    browser = await launchBrowser();
    finance = await personWithPassword(harness, '财务小王', 'finance');
    await personWithPassword(harness, '高管老李', 'executive');
    await personWithPassword(harness, '销售小张', 'sales');
    const db = harness.database.db;
    let n = 0;
    const invoice = async (customer: string, due: number, yuan: number) => {
      n += 1;
      const no = `INV-${String(n).padStart(3, '0')}`;
      await insertInvoice(db, {
        customerCode: customer,
        contractNo: `HT-${String(n).padStart(3, '0')}`,
        invoiceNo: no,
        amountMinor: yuan * 100,
        issueDate: addDays(today, due - 30),
        dueDate: addDays(today, due),
      });
      return no;
    };
    for (const open of OPEN) await invoice(open.customer, open.due, open.yuan);
    for (const paid of PAID) {
      const no = await invoice(paid.customer, paid.due, paid.yuan);
      const payment = await finance.post('/api/v1/payments', {
        customerCode: paid.customer,
        invoiceNo: no,
        amount: { value: `${paid.yuan}.00`, currency: 'CNY' },
        reference: `BANK-${no}`,
        receivedOn: addDays(today, paid.due + paid.late),
      });
      expect(payment.status, JSON.stringify(payment.body)).toBe(201);
    }
    for (const c of CUSTOMERS)
      await db.updateTable('customers').set({ name: c.name }).where('code', '=', c.code).execute();
    // Contracts in the earlier stages, for the funnel.
    const stages = ['Opportunity', 'Opportunity', 'SolutionReview', 'Delivery', 'Delivery', 'Acceptance'] as const;
    await db
      .insertInto('contracts')
      .values(
        stages.map((stage, i) => ({
          no: `HT-F${i + 1}`,
          customer_code: CUSTOMERS[i % CUSTOMERS.length].code,
          title: `项目 ${i + 1}`,
          amount_minor: (i + 1) * 10_000_000,
          currency: 'CNY',
          payment_terms_type: 'credit_terms' as const,
          stage,
          terms: '{}',
          details: '{}',
          owners: null,
          created_by: 'sally',
          stage_changed_at: new Date(Date.now() - (5 + i * 9) * 86_400_000),
        })),
      )
      .execute();
    const dispute = (id: string, invoiceNo: string, reason: string, daysAgo: number, resolved: boolean) => ({
      id,
      invoice_no: invoiceNo,
      reason,
      routed_to: 'finance',
      status: resolved ? ('resolved' as const) : ('open' as const),
      opened_by: 'sally',
      opened_at: new Date(Date.now() - daysAgo * 86_400_000),
      sla_due_at: new Date(Date.now() - (daysAgo - 10) * 86_400_000),
      outcome: resolved ? 'rejected' : null,
      credit_minor: null,
      resolved_by: resolved ? 'fiona' : null,
      resolved_at: resolved ? new Date(Date.now() - (daysAgo - 6) * 86_400_000) : null,
    });
    await db
      .insertInto('disputes')
      .values([
        dispute('D1', 'INV-003', 'quality', 30, true),
        dispute('D2', 'INV-004', 'price', 20, false),
        dispute('D3', 'INV-005', 'quality', 60, true),
        dispute('D4', 'INV-002', 'invoice_error', 10, false),
      ])
      .execute();
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  it('draws every chart with data, in Chinese and in English', async () => {
    const page = await signIn(browser, baseUrl, '财务小王');
    await page.click('header nav a[href="/dashboard"]');
    await page.waitForURL((url) => url.pathname === '/dashboard');
    await expect(page.textContent('h1')).resolves.toBe('经营看板');
    // Five buckets, stacked by customer: at least one bar each.
    expect(await chartPaths(page, 'aging')).toBeGreaterThanOrEqual(5);
    expect(await chartPaths(page, 'trend')).toBeGreaterThanOrEqual(2);
    expect(await chartPaths(page, 'forecast')).toBeGreaterThanOrEqual(2);
    expect(await chartPaths(page, 'funnel')).toBeGreaterThanOrEqual(4);
    expect(await chartPaths(page, 'on-time')).toBeGreaterThanOrEqual(CUSTOMERS.length);
    expect(await chartPaths(page, 'disputes')).toBeGreaterThanOrEqual(3);
    const series = await page.evaluate(() => {
      const charts = (window as unknown as { echarts: any }).echarts;
      const optionOf = (id: string) => charts.getInstanceByDom(document.querySelector(`#${id} .chart`)).getOption();
      return {
        aging: optionOf('aging').series.map((s: { name: string }) => s.name),
        trend: optionOf('trend').series.map((s: { type: string; data: unknown[] }) => [s.type, s.data.length]),
      };
    });
    expect(series.aging).toEqual(expect.arrayContaining(CUSTOMERS.map((c) => c.name)));
    expect(series.trend).toEqual([
      ['line', 6],
      ['line', 6],
    ]);
    await expect(page.textContent('#aging table')).resolves.toContain('¥425,000.00');
    await expect(page.textContent('#disputes table')).resolves.toContain('质量问题');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'dashboard.zh-CN');

    await switchLanguage(page, 'en');
    await expect(page.textContent('h1')).resolves.toBe('Dashboard');
    expect(await chartPaths(page, 'aging')).toBeGreaterThanOrEqual(5);
    await expect(page.textContent('#disputes table')).resolves.toContain('Quality');
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, 'dashboard.en');
    await switchLanguage(page, 'zh-CN');
    await page.context().close();
  });

  it("goes from an aging bucket's bar to the customers in it", async () => {
    const page = await signIn(browser, baseUrl, '高管老李');
    await page.goto('/dashboard');
    await chartPaths(page, 'aging');
    // The middle of the 90+ bar (the fifth category), in page coordinates.
    const [x, y] = await page.evaluate(() => {
      const element = document.querySelector('#aging .chart')!;
      const chart = (window as unknown as { echarts: any }).echarts.getInstanceByDom(element);
      const series = chart.getOption().series as { data: { value: number }[] }[];
      const index = series.findIndex((s) => s.data[4].value > 0);
      const [px, py] = chart.convertToPixel({ seriesIndex: index }, [4, series[index].data[4].value / 2]);
      const box = element.getBoundingClientRect();
      return [box.left + px, box.top + py];
    });
    await Promise.all([page.waitForURL((url) => url.pathname === '/customers'), page.mouse.click(x, y)]);
    expect(new URL(page.url()).searchParams.get('bucket')).toBe('over90');
    const rows = await page.locator('#results tbody tr').allTextContents();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('成都西部数据服务有限公司');
    expect(rows[0]).toContain('¥90,000.00');
    await page.context().close();
  });

  it("changes one chart's date in place with htmx, and reads and changes it without JavaScript too", async () => {
    const page = await signIn(browser, baseUrl, '财务小王');
    await page.goto('/dashboard');
    await chartPaths(page, 'aging');
    const asOf = addDays(today, -100);
    await page.fill('#aging input[name=agingAsOf]', asOf);
    // The chart drawn before the change is marked, so the wait ends only once htmx swapped in the new one.
    await page.evaluate(() => document.querySelector<HTMLElement>('#aging .chart')!.setAttribute('data-before', ''));
    await page.click('#aging button[type=submit]');
    await page.waitForFunction(
      (date) =>
        document.querySelector<HTMLInputElement>('#aging input[name=agingAsOf]')?.value === date &&
        !!document.querySelector('#aging .chart[data-drawn]:not([data-before])'),
      asOf,
    );
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    // 100 days ago: ¥90,000 of XIBU 50 days overdue; ¥45,000 and ¥35,000 of NANHAI and ¥20,000 of DONGFANG
    // not yet due (the latter two paid since); the rest not yet issued or already paid.
    await expect(page.textContent('#aging table')).resolves.toContain('¥190,000.00');
    await page.context().close();

    const plain = await signIn(browser, baseUrl, '财务小王', undefined, { javaScriptEnabled: false });
    await plain.goto('/dashboard');
    await expect(plain.textContent('#aging table')).resolves.toContain('¥425,000.00');
    await plain.fill('#aging input[name=agingAsOf]', asOf);
    await Promise.all([plain.waitForURL((url) => url.searchParams.has('agingAsOf')), plain.click('#aging button')]);
    await expect(plain.textContent('#aging table')).resolves.toContain('¥190,000.00');
    expect(await plain.inputValue('#on-time input[name=onTimeFrom]')).toBe(addDays(today, -364));
    // The DSO/CEI trend, fetched after the page with JavaScript, is one link away without it.
    await Promise.all([plain.waitForURL((url) => url.searchParams.get('only') === 'trend'), plain.click('#trend a')]);
    await expect(plain.textContent('#trend table')).resolves.toContain(today.slice(0, 7));
    await plain.context().close();
  });

  it('downloads each report as CSV and Excel with the session; without one the link leads to sign in', async () => {
    const page = await signIn(browser, baseUrl, '财务小王');
    await page.goto('/dashboard');
    const links = await page
      .locator('#main a[href^="/dashboard/download/"]')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    expect(links.filter((l) => l.includes('.csv'))).toHaveLength(7);
    const csvLink = (await page.getAttribute('#aging a[href*="aging.csv"]', 'href')) ?? '';
    const csv = await page.request.get(csvLink);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toContain('text/csv');
    expect(csv.headers()['content-disposition']).toContain(`aging-customer-${today}.csv`);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toContain('Customer 客户');
    expect(lines.find((l) => l.startsWith('XIBU'))).toContain('90000.00');
    for (const link of links) {
      const file = await page.request.get(link);
      expect([link, file.status()]).toEqual([link, 200]);
      const type = file.headers()['content-type'];
      if (link.includes('.xlsx')) {
        expect(type).toContain('spreadsheetml');
        expect((await file.body()).subarray(0, 2).toString()).toBe('PK');
      } else expect(type).toContain('text/csv');
    }
    await page.context().close();

    const anonymous = await fetch(`${baseUrl}/dashboard/download/aging.csv?asOf=${today}`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe(
      `/sign-in?next=${encodeURIComponent(`/dashboard/download/aging.csv?asOf=${today}`)}`,
    );
  });

  it('is not for sales: no link, and 403 at the door', async () => {
    const page = await signIn(browser, baseUrl, '销售小张');
    expect(await page.locator('header nav a[href="/dashboard"]').count()).toBe(0);
    const response = await page.goto('/dashboard');
    expect(response?.status()).toBe(403);
    const download = await page.request.get('/dashboard/download/aging.csv', { maxRedirects: 5 });
    expect(download.status()).toBe(403);
    await page.context().close();
  });
});
