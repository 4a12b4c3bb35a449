/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
import fs from 'node:fs';
import path from 'node:path';
import chromium from '@sparticuz/chromium';
import { type Browser, type Page, chromium as playwright } from 'playwright-core';
import type { ApiClient, ApiHarness } from './api-harness';

/**
 * Real headless Chromium for the console's tests: @sparticuz/chromium ships the browser inside its npm
 * package (unpacked to /tmp on first use), so `npm install` provisions it with no download at run time.
 */
export async function launchBrowser(): Promise<Browser> {
  // Its arguments are made for AWS Lambda; in --single-process mode closing one context ends the whole browser.
  const args = chromium.args.filter((arg) => arg !== '--single-process');
  return playwright.launch({ executablePath: await chromium.executablePath(), args, headless: true });
}

export const PASSWORD = 'correct-horse-battery-9';

/** A person with a role and a password, created through the API as an admin would; returns their API client. */
export async function personWithPassword(harness: ApiHarness, name: string, role: string): Promise<ApiClient> {
  const client = await harness.person(name, role);
  const set = await harness.admin.put(`/api/v1/people/${encodeURIComponent(name)}/password`, { password: PASSWORD });
  if (set.status !== 200) throw new Error(`could not set ${name}'s password: ${JSON.stringify(set.body)}`);
  return client;
}

/** A new browser context signed in as the person through the sign-in page; the page is on My work. */
export async function signIn(
  browser: Browser,
  baseUrl: string,
  name: string,
  password = PASSWORD,
  options: { javaScriptEnabled?: boolean } = {},
): Promise<Page> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1366, height: 900 }, ...options });
  const page = await context.newPage();
  await page.goto('/sign-in');
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL((url) => url.pathname !== '/sign-in'), page.click('button[type=submit]')]);
  return page;
}

/** Switches the signed-in person's language with the switch in the header. */
export async function switchLanguage(page: Page, to: 'en' | 'zh-CN'): Promise<void> {
  await Promise.all([page.waitForLoadState('load'), page.click(`header form[action="/locale"] button[value="${to}"]`)]);
  await page.waitForFunction((lang) => document.documentElement.lang === lang, to);
}

const SCREENSHOT_DIR = process.env.UPDATE_SCREENSHOTS
  ? path.resolve(__dirname, '..', '..', 'docs', 'screenshots')
  : path.resolve(__dirname, '..', '..', '.data', 'screenshots');

/** A full-page screenshot; `UPDATE_SCREENSHOTS=1 npm test` writes them into docs/screenshots for the README. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Text overflowing its box (cut off or spilling into a neighbour): the selectors of the offending elements. */
export async function overflowingText(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('main td, main th, main button, main a, main label, header a, header button'))
      .filter(
        (element) => element.scrollWidth > element.clientWidth + 1 && getComputedStyle(element).overflow !== 'visible',
      )
      .map((element) => `${element.tagName.toLowerCase()}: ${element.textContent?.trim().slice(0, 40)}`),
  );
}
