/** Money is kept as integer minor units (fen, cents) with an ISO 4217 currency code. */
export interface Money {
  minor: number;
  currency: string;
}

const MINOR_DIGITS: Record<string, number> = {
  CNY: 2,
  USD: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  SGD: 2,
  JPY: 0,
  KRW: 0,
};

export const SUPPORTED_CURRENCIES = Object.keys(MINOR_DIGITS);

export function minorDigits(currency: string): number {
  const digits = MINOR_DIGITS[currency];
  if (digits === undefined) throw new Error(`unsupported currency ${currency}`);
  return digits;
}

/** Parses a decimal string such as "1234.50" into minor units; returns an error text instead of throwing. */
export function parseDecimal(text: string, currency: string): { minor: number } | { error: string } {
  if (!(currency in MINOR_DIGITS)) return { error: `currency must be one of ${SUPPORTED_CURRENCIES.join(', ')}` };
  const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return { error: 'must be a decimal string such as "1234.50"' };
  const [, sign, whole, fraction = ''] = match;
  const digits = minorDigits(currency);
  if (fraction.length > digits) return { error: `has more than ${digits} decimal places for ${currency}` };
  const minor = Number(whole + fraction.padEnd(digits, '0'));
  if (!Number.isSafeInteger(minor)) return { error: 'is too large' };
  return { minor: sign && minor !== 0 ? -minor : minor };
}

/** Formats minor units as a plain decimal string ("1234.50"), the API's wire format. */
export function toDecimal(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  if (digits === 0) return sign + text;
  return `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** An amount as the API and the read models return it: a decimal string and its currency ("1234.50", "CNY"). */
export interface DecimalMoney {
  value: string;
  currency: string;
}

/** Minor units as a decimal amount with its currency. */
export function fromMinor(minor: number, currency: string): DecimalMoney {
  return { value: toDecimal(minor, currency), currency };
}

/** Formats an amount for people to read in a letter or page ("¥1,234.50"). */
export function formatMoney(minor: number, currency: string, locale: string): string {
  return moneyFormatter(locale, currency).format(Number(toDecimal(minor, currency)));
}

const moneyFormatters = new Map<string, Intl.NumberFormat>();

/** Building an Intl.NumberFormat costs far more than using one: one per locale and currency is kept. */
function moneyFormatter(locale: string, currency: string): Intl.NumberFormat {
  const key = `${locale}/${currency}`;
  let formatter = moneyFormatters.get(key);
  if (!formatter) {
    const digits = minorDigits(currency);
    formatter = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    moneyFormatters.set(key, formatter);
  }
  return formatter;
}

/** minor × factor / divisor for non-negative integers, rounded half-up; BigInt keeps the product exact. */
export function mulDivHalfUp(minor: number, factor: number, divisor: number): number {
  const product = BigInt(minor) * BigInt(factor);
  const d = BigInt(divisor);
  const quotient = product / d;
  return Number((product - quotient * d) * 2n >= d ? quotient + 1n : quotient);
}

/** A percentage of an amount, the percent given in hundredths (1 = 0.01%), rounded half-up. */
export function percentOf(minor: number, percentHundredths: number): number {
  return mulDivHalfUp(minor, percentHundredths, 10_000);
}

/** The tax contained in a tax-inclusive amount: amount × rate / (100% + rate), rounded half-up. */
export function includedTax(minor: number, ratePercentHundredths: number): number {
  return mulDivHalfUp(minor, ratePercentHundredths, 10_000 + ratePercentHundredths);
}

/** Parses a percentage string ("30", "12.5") into hundredths of a percent. */
export function parsePercent(text: string): number | undefined {
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return value <= 10_000 ? value : undefined;
}
