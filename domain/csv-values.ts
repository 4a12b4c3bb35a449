/**
 * Reading values from the CSV files people export from banks and old systems: amounts with thousands
 * separators, currency signs and full-width digits, dates in the usual Chinese and ISO spellings,
 * yes/no flags, and header names compared loosely. Pure functions: no I/O, no clock.
 */
import { isLocalDate, type LocalDate } from './dates';
import { SUPPORTED_CURRENCIES, parseDecimal } from './money';

export type Parsed<T> = { value: T } | { error: string };

/** Full-width ASCII forms (０-９, ，, ．, －, Ａ-Ｚ), the full-width yen sign and the ideographic space become their narrow forms. */
export function toHalfWidth(text: string): string {
  return text
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .replace(/\uFFE5/g, '¥');
}

/** A header compared without a BOM, case, spaces, underscores or hyphens: "Credit limit" = "credit_limit" = "creditLimit". */
export function headerKey(header: string): string {
  return toHalfWidth(header.replace(/^\uFEFF/, ''))
    .toLowerCase()
    .replace(/[\s_\-]+/g, '');
}

/** Spellings of currencies seen in statements, mapped to ISO codes. */
const CURRENCY_ALIASES: Record<string, string> = {
  '¥': 'CNY',
  '￥': 'CNY',
  RMB: 'CNY',
  人民币: 'CNY',
  元: 'CNY',
  CNY: 'CNY',
  $: 'USD',
  US$: 'USD',
  美元: 'USD',
  '€': 'EUR',
  欧元: 'EUR',
  '£': 'GBP',
  英镑: 'GBP',
  HK$: 'HKD',
  港币: 'HKD',
  港元: 'HKD',
  S$: 'SGD',
  日元: 'JPY',
  韩元: 'KRW',
};

/** An ISO currency code from a statement's currency cell ("人民币", "rmb", "CNY"); an error names the accepted ones. */
export function parseCurrency(text: string): Parsed<string> {
  const cleaned = toHalfWidth(text).trim();
  const code = CURRENCY_ALIASES[cleaned] ?? CURRENCY_ALIASES[cleaned.toUpperCase()] ?? cleaned.toUpperCase();
  if (SUPPORTED_CURRENCIES.includes(code)) return { value: code };
  return { error: `"${text}" is not a supported currency (${SUPPORTED_CURRENCIES.join(', ')}, or 人民币/RMB/¥)` };
}

const SIGN_PATTERN =
  /^(US\$|HK\$|S\$|[¥$€£]|RMB|CNY|USD|EUR|GBP|HKD|SGD|JPY|KRW|人民币|美元|欧元|英镑|港币|港元|日元|韩元)/i;
const TRAILING_PATTERN = /(RMB|CNY|USD|EUR|GBP|HKD|SGD|JPY|KRW|元|人民币|美元|欧元|英镑|港币|港元|日元|韩元)$/i;

export interface ParsedAmount {
  minor: number;
  /** The currency the cell itself named ("¥1,234.56", "CNY 100"), when it named one. */
  currency?: string;
}

/**
 * An amount cell in minor units of `currency`: "1,234.56", "¥1,234.56 ", "CNY 100", "１２３", "-50.00",
 * "(50.00)" and "50.00-" (negative). Thousands separators must group by three. An amount naming another
 * currency than the one it is read in is an error, so is a fraction finer than the currency's minor unit.
 */
export function parseAmount(text: string, currency: string): Parsed<ParsedAmount> {
  let rest = toHalfWidth(text).replace(/[\s\u00A0]+/g, '');
  if (!rest) return { error: 'is empty' };
  let negative = false;
  if (/^\(.*\)$/.test(rest)) {
    negative = true;
    rest = rest.slice(1, -1);
  }
  if (rest.startsWith('-')) {
    negative = true;
    rest = rest.slice(1);
  } else if (rest.startsWith('+')) rest = rest.slice(1);
  let named: string | undefined;
  const lead = SIGN_PATTERN.exec(rest);
  if (lead) {
    named = lead[1];
    rest = rest.slice(lead[1].length);
  }
  const trail = TRAILING_PATTERN.exec(rest);
  if (trail) {
    named ??= trail[1];
    rest = rest.slice(0, -trail[1].length);
  }
  if (rest.startsWith('-')) {
    negative = true;
    rest = rest.slice(1);
  }
  if (rest.endsWith('-')) {
    negative = true;
    rest = rest.slice(0, -1);
  }
  if (rest.includes(',')) {
    if (!/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(rest))
      return { error: `"${text.trim()}" has misplaced thousands separators` };
    rest = rest.replace(/,/g, '');
  }
  let namedCode: string | undefined;
  if (named) {
    const code = parseCurrency(named);
    if ('error' in code) return code;
    namedCode = code.value;
    if (namedCode !== currency) return { error: `"${text.trim()}" is in ${namedCode}, not ${currency}` };
  }
  if (!/^\d+(\.\d+)?$/.test(rest) && !/^\.\d+$/.test(rest))
    return { error: `"${text.trim()}" is not an amount such as 1,234.56` };
  const parsed = parseDecimal(rest.startsWith('.') ? `0${rest}` : rest, currency);
  if ('error' in parsed) return { error: `"${text.trim()}" ${parsed.error}` };
  return {
    value: {
      minor: negative && parsed.minor !== 0 ? -parsed.minor : parsed.minor,
      ...(namedCode ? { currency: namedCode } : {}),
    },
  };
}

/** The currency an amount cell names by itself ("¥1,234.56" → CNY), if any. */
export function currencyInAmount(text: string): string | undefined {
  const rest = toHalfWidth(text).replace(/[\s\u00A0()+\-]+/g, '');
  const named = SIGN_PATTERN.exec(rest)?.[1] ?? TRAILING_PATTERN.exec(rest)?.[1];
  if (!named) return undefined;
  const code = parseCurrency(named);
  return 'value' in code ? code.value : undefined;
}

/**
 * A date cell as YYYY-MM-DD: 2026-11-03, 2026/11/3, 2026.11.03, 20261103, 2026年11月3日, each optionally
 * followed by a time of day (dropped: a statement's booking date is the day). Day-first or month-first
 * spellings (03/11/2026) are refused because they are ambiguous.
 */
export function parseDate(text: string): Parsed<LocalDate> {
  const cleaned = toHalfWidth(text).trim();
  if (!cleaned) return { error: 'is empty' };
  const match =
    /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(
      cleaned,
    ) ??
    /^(\d{4})年\s*(\d{1,2})月\s*(\d{1,2})日(?:\s*\d{1,2}[:时]\d{2}.*)?$/.exec(cleaned) ??
    /^(\d{4})(\d{2})(\d{2})(?:\s*\d{2}:?\d{2}:?\d{2})?$/.exec(cleaned);
  if (!match) return { error: `"${cleaned}" is not a date such as 2026-11-03, 2026/11/03, 20261103 or 2026年11月3日` };
  const date = `${match[1]}-${match[2].padStart(2, '0')}-${match[3].padStart(2, '0')}`;
  if (!isLocalDate(date)) return { error: `"${cleaned}" is not a day of the calendar` };
  return { value: date };
}

/** A yes/no cell: true/false, yes/no, y/n, 1/0, 是/否, 有/无; blank is false. */
export function parseFlag(text: string): Parsed<boolean> {
  const cleaned = toHalfWidth(text).trim().toLowerCase();
  if (['', 'false', 'no', 'n', '0', '否', '无', 'f'].includes(cleaned)) return { value: false };
  if (['true', 'yes', 'y', '1', '是', '有', 't'].includes(cleaned)) return { value: true };
  return { error: `"${text.trim()}" is not yes or no (true/false, yes/no, 1/0, 是/否)` };
}

/** Trimmed text with full-width ASCII made half-width; undefined when blank. */
export function cleanText(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const cleaned = text.replace(/[\s\u00A0\u3000]+/g, ' ').trim();
  return cleaned === '' ? undefined : cleaned;
}

/** A bank account number compared without spaces or dashes, full-width digits made ASCII. */
export function cleanAccount(text: string | undefined): string | undefined {
  const cleaned = cleanText(text === undefined ? undefined : toHalfWidth(text).replace(/[\s\-]+/g, ''));
  return cleaned;
}
