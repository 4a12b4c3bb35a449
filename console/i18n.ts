import fs from 'node:fs';
import path from 'node:path';
import { formatDate } from '../domain/dates';
import { type Locale, LOCALES } from '../domain/locales';
import { formatMoney, parseDecimal } from '../domain/money';

export const DEFAULT_LOCALE: Locale = 'zh-CN';

type Messages = Record<string, string>;

/**
 * The console's words, one JSON file per area in console/locales ({"zh-CN": {...}, "en": {...}}),
 * keys prefixed by the area. Loaded once; a unit test checks both languages have every key the
 * templates and pages use.
 */
export const LOCALES_DIR = path.join(__dirname, 'locales');

let catalog: Record<Locale, Messages> | undefined;

export function messages(): Record<Locale, Messages> {
  if (catalog) return catalog;
  const loaded: Record<Locale, Messages> = { 'zh-CN': {}, en: {} };
  for (const file of fs
    .readdirSync(LOCALES_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const content = JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, file), 'utf8')) as Record<string, Messages>;
    for (const locale of LOCALES) Object.assign(loaded[locale], content[locale] ?? {});
  }
  return (catalog = loaded);
}

export function isLocale(value: unknown): value is Locale {
  return LOCALES.some((locale) => locale === value);
}

/** The text of a key in a language, with {name} placeholders filled; the key itself when it is missing. */
export function translate(locale: Locale, key: string, values: Record<string, unknown> = {}): string {
  const text = messages()[locale][key] ?? messages()[DEFAULT_LOCALE][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/** An API amount ({value, currency}) for people: "¥1,234,567.00". */
export function formatAmount(money: { value: string; currency: string } | undefined | null, locale: Locale): string {
  if (!money) return '';
  const parsed = parseDecimal(money.value, money.currency);
  return 'error' in parsed ? `${money.value} ${money.currency}` : formatMoney(parsed.minor, money.currency, locale);
}

/** A calendar date ("2026-11-26") for people: "2026年11月26日" / "November 26, 2026". */
export function formatLocalDate(date: string | undefined | null, locale: Locale): string {
  if (!date) return '';
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? formatDate(date, locale) : date;
}

const instantFormatters = new Map<string, Intl.DateTimeFormat>();

/** An instant (ISO timestamp) as a date and time in the company's time zone. */
export function formatInstant(instant: string | Date | undefined | null, locale: Locale, timeZone: string): string {
  if (!instant) return '';
  const key = `${locale}/${timeZone}`;
  let formatter = instantFormatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, { timeZone, dateStyle: 'medium', timeStyle: 'short' });
    instantFormatters.set(key, formatter);
  }
  const date = instant instanceof Date ? instant : new Date(instant);
  return Number.isNaN(date.getTime()) ? String(instant) : formatter.format(date);
}
