import { describe, it, expect } from 'vitest';
import {
  SUPPORTED_CURRENCIES,
  formatMoney,
  includedTax,
  minorDigits,
  mulDivHalfUp,
  parseDecimal,
  parsePercent,
  percentOf,
  toDecimal,
} from '../../domain/money';

describe('minorDigits', () => {
  it('knows two-digit and zero-digit currencies', () => {
    expect(minorDigits('CNY')).toBe(2);
    expect(minorDigits('USD')).toBe(2);
    expect(minorDigits('EUR')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('KRW')).toBe(0);
  });

  it('throws for an unsupported currency', () => {
    expect(() => minorDigits('XYZ')).toThrow('unsupported currency XYZ');
  });

  it('lists the supported currencies', () => {
    expect([...SUPPORTED_CURRENCIES].sort()).toEqual(['CNY', 'EUR', 'GBP', 'HKD', 'JPY', 'KRW', 'SGD', 'USD']);
  });
});

describe('parseDecimal', () => {
  it('parses a value with two decimals into minor units', () => {
    expect(parseDecimal('1234.50', 'CNY')).toEqual({ minor: 123450 });
    expect(parseDecimal('300000.00', 'CNY')).toEqual({ minor: 30000000 });
  });

  it('pads a value with fewer decimals than the currency has', () => {
    expect(parseDecimal('1234.5', 'CNY')).toEqual({ minor: 123450 });
    expect(parseDecimal('1234', 'USD')).toEqual({ minor: 123400 });
    expect(parseDecimal('0.05', 'CNY')).toEqual({ minor: 5 });
    expect(parseDecimal('0', 'CNY')).toEqual({ minor: 0 });
  });

  it('ignores surrounding white space', () => {
    expect(parseDecimal('  12.34 ', 'EUR')).toEqual({ minor: 1234 });
  });

  it('refuses more decimal places than the currency has', () => {
    expect(parseDecimal('12.345', 'CNY')).toEqual({ error: 'has more than 2 decimal places for CNY' });
    expect(parseDecimal('0.001', 'USD')).toEqual({ error: 'has more than 2 decimal places for USD' });
  });

  it('reads JPY as whole yen with no decimals', () => {
    expect(parseDecimal('1500', 'JPY')).toEqual({ minor: 1500 });
    expect(parseDecimal('1500.5', 'JPY')).toEqual({ error: 'has more than 0 decimal places for JPY' });
    expect(parseDecimal('1500.0', 'JPY')).toEqual({ error: 'has more than 0 decimal places for JPY' });
    expect(parseDecimal('75000', 'KRW')).toEqual({ minor: 75000 });
  });

  it('parses a negative amount', () => {
    expect(parseDecimal('-12.34', 'CNY')).toEqual({ minor: -1234 });
    expect(parseDecimal('-7', 'JPY')).toEqual({ minor: -7 });
  });

  it('refuses text that is not a plain decimal', () => {
    const error = 'must be a decimal string such as "1234.50"';
    for (const text of ['', 'abc', '1,234.50', '12.', '.5', '+12', '1e5', '12.3.4', '¥12', '12 34', '--1']) {
      expect(parseDecimal(text, 'CNY'), text).toEqual({ error });
    }
  });

  it('refuses an unsupported currency before looking at the text', () => {
    expect(parseDecimal('12.34', 'XYZ')).toEqual({
      error: 'currency must be one of CNY, USD, EUR, GBP, HKD, SGD, JPY, KRW',
    });
    expect(parseDecimal('garbage', 'cny')).toEqual({
      error: 'currency must be one of CNY, USD, EUR, GBP, HKD, SGD, JPY, KRW',
    });
  });

  it('refuses amounts beyond safe integers', () => {
    // 2^53 - 1 = 9007199254740991 is the largest safe integer.
    expect(parseDecimal('90071992547409.91', 'CNY')).toEqual({ minor: 9007199254740991 });
    expect(parseDecimal('90071992547409.92', 'CNY')).toEqual({ error: 'is too large' });
    expect(parseDecimal('9007199254740992', 'JPY')).toEqual({ error: 'is too large' });
  });
});

describe('toDecimal', () => {
  it('writes minor units as a decimal string', () => {
    expect(toDecimal(123450, 'CNY')).toBe('1234.50');
    expect(toDecimal(30000000, 'CNY')).toBe('300000.00');
    expect(toDecimal(5, 'CNY')).toBe('0.05');
    expect(toDecimal(50, 'USD')).toBe('0.50');
    expect(toDecimal(0, 'CNY')).toBe('0.00');
    expect(toDecimal(-5, 'CNY')).toBe('-0.05');
    expect(toDecimal(-123456, 'EUR')).toBe('-1234.56');
  });

  it('writes zero-digit currencies without a decimal point', () => {
    expect(toDecimal(1500, 'JPY')).toBe('1500');
    expect(toDecimal(0, 'JPY')).toBe('0');
    expect(toDecimal(-7, 'KRW')).toBe('-7');
  });

  it('throws for an unsupported currency', () => {
    expect(() => toDecimal(100, 'XYZ')).toThrow('unsupported currency XYZ');
  });

  it('round-trips with parseDecimal', () => {
    const cases: [number, string][] = [
      [0, 'CNY'],
      [1, 'CNY'],
      [9, 'CNY'],
      [10, 'CNY'],
      [99, 'CNY'],
      [100, 'CNY'],
      [123450, 'CNY'],
      [-1, 'USD'],
      [-100, 'USD'],
      [9007199254740991, 'CNY'],
      [0, 'JPY'],
      [1500, 'JPY'],
      [-42, 'KRW'],
    ];
    for (const [minor, currency] of cases) {
      expect(parseDecimal(toDecimal(minor, currency), currency), `${minor} ${currency}`).toEqual({ minor });
    }
    for (const [text, currency] of [
      ['1234.50', 'CNY'],
      ['0.07', 'USD'],
      ['-3.10', 'EUR'],
      ['98765', 'JPY'],
    ]) {
      const parsed = parseDecimal(text, currency) as { minor: number };
      expect(toDecimal(parsed.minor, currency)).toBe(text);
    }
  });
});

describe('formatMoney', () => {
  it('formats for zh-CN readers', () => {
    expect(formatMoney(123450, 'CNY', 'zh-CN')).toBe('¥1,234.50');
    expect(formatMoney(30000000, 'CNY', 'zh-CN')).toBe('¥300,000.00');
    expect(formatMoney(5, 'CNY', 'zh-CN')).toBe('¥0.05');
    expect(formatMoney(123450, 'USD', 'zh-CN')).toBe('US$1,234.50');
    expect(formatMoney(1235, 'JPY', 'zh-CN')).toBe('JP¥1,235');
  });

  it('formats for English readers', () => {
    expect(formatMoney(123450, 'USD', 'en')).toBe('$1,234.50');
    expect(formatMoney(123450, 'CNY', 'en')).toBe('CN¥1,234.50');
    expect(formatMoney(100000000, 'EUR', 'en')).toBe('€1,000,000.00');
    expect(formatMoney(1235, 'JPY', 'en')).toBe('¥1,235');
  });

  it('keeps the sign of a negative amount', () => {
    expect(formatMoney(-123450, 'USD', 'en')).toBe('-$1,234.50');
    expect(formatMoney(-123450, 'CNY', 'zh-CN')).toBe('-¥1,234.50');
  });
});

describe('mulDivHalfUp', () => {
  it('stays exact where the product passes 2^53', () => {
    // 1,234,567,890,123,457 minor units at 33.33% = 411,481,477,778,148.2 minor; the product is about 4.1e18.
    expect(percentOf(1_234_567_890_123_457, 3333)).toBe(411_481_477_778_148);
  });

  it('rounds to the nearest integer with halves going up', () => {
    expect(mulDivHalfUp(10, 1, 5)).toBe(2);
    expect(mulDivHalfUp(7, 1, 2)).toBe(4); // 3.5
    expect(mulDivHalfUp(5, 1, 2)).toBe(3); // 2.5
    expect(mulDivHalfUp(14, 1, 10)).toBe(1); // 1.4
    expect(mulDivHalfUp(15, 1, 10)).toBe(2); // 1.5
    expect(mulDivHalfUp(16, 1, 10)).toBe(2); // 1.6
    expect(mulDivHalfUp(0, 1, 7)).toBe(0);
    expect(mulDivHalfUp(1, 1, 3)).toBe(0); // 0.333
    expect(mulDivHalfUp(2, 1, 3)).toBe(1); // 0.667
  });
});

describe('percentOf', () => {
  it('takes a percentage given in hundredths of a percent', () => {
    expect(percentOf(100000000, 3000)).toBe(30000000); // 30% of 1,000,000.00
    expect(percentOf(10000, 3333)).toBe(3333); // 33.33% of 100.00
    expect(percentOf(10000, 10000)).toBe(10000); // 100%
    expect(percentOf(10000, 0)).toBe(0);
    expect(percentOf(12345, 1250)).toBe(1543); // 12.5% of 123.45 = 15.43125
  });

  it('rounds half up', () => {
    expect(percentOf(5, 5000)).toBe(3); // 2.5
    expect(percentOf(3, 5000)).toBe(2); // 1.5
    expect(percentOf(1, 5000)).toBe(1); // 0.5
    expect(percentOf(1, 4999)).toBe(0); // 0.4999
    expect(percentOf(101, 5000)).toBe(51); // 50.5
    expect(percentOf(12345679, 3000)).toBe(3703704); // 3703703.7
    expect(percentOf(12345678, 3000)).toBe(3703703); // 3703703.4
  });
});

describe('includedTax', () => {
  it('extracts 13% VAT from a tax-inclusive amount', () => {
    // 30,000,000 × 1300 / 11300 = 3,451,327.43 → 3,451,327
    expect(includedTax(30000000, 1300)).toBe(3451327);
    // 113.00 at 13% contains exactly 13.00
    expect(includedTax(11300, 1300)).toBe(1300);
    // 1.00 at 13%: 100 × 1300 / 11300 = 11.504 → 12
    expect(includedTax(100, 1300)).toBe(12);
  });

  it('extracts 6% VAT', () => {
    // 10600 × 600 / 10600 = 600
    expect(includedTax(10600, 600)).toBe(600);
    // 10000 × 600 / 10600 = 566.04 → 566
    expect(includedTax(10000, 600)).toBe(566);
  });

  it('rounds an exact half up', () => {
    // 63 × 80 / 10080 = 0.5 exactly
    expect(includedTax(63, 80)).toBe(1);
    // 189 × 80 / 10080 = 1.5 exactly
    expect(includedTax(189, 80)).toBe(2);
  });

  it('is zero at a zero rate', () => {
    expect(includedTax(30000000, 0)).toBe(0);
  });
});

describe('parsePercent', () => {
  it('parses whole and fractional percentages into hundredths', () => {
    expect(parsePercent('30')).toBe(3000);
    expect(parsePercent('12.5')).toBe(1250);
    expect(parsePercent('12.50')).toBe(1250);
    expect(parsePercent('33.33')).toBe(3333);
    expect(parsePercent('0.01')).toBe(1);
    expect(parsePercent('0')).toBe(0);
    expect(parsePercent('100')).toBe(10000);
    expect(parsePercent('100.00')).toBe(10000);
    expect(parsePercent(' 13 ')).toBe(1300);
  });

  it('refuses more than 100%', () => {
    expect(parsePercent('100.01')).toBeUndefined();
    expect(parsePercent('101')).toBeUndefined();
    expect(parsePercent('999.99')).toBeUndefined();
  });

  it('refuses malformed text', () => {
    for (const text of ['', 'abc', '-5', '12.345', '1000', '12.', '.5', '30%', '1e2', '12,5']) {
      expect(parsePercent(text), text).toBeUndefined();
    }
  });
});
