import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeFile, readCsv } from '../../services/imports/csv';
import { lineDedupeKey } from '../../services/imports/bank-statement';
import { currencyInAmount, headerKey, parseAmount, parseCurrency, parseDate, parseFlag } from '../../domain/csv-values';
import { Refused, type RefusalReason } from '../../domain/refusal';

/** The reason a refused call gives (an unreadable file is refused as invalid input naming its field). */
function refusalOf(call: () => unknown): RefusalReason | undefined {
  try {
    call();
  } catch (error) {
    if (error instanceof Refused && error.kind === 'invalid') return error.reasons[0];
    throw error;
  }
  return undefined;
}

const minor = (text: string, currency = 'CNY') => {
  const parsed = parseAmount(text, currency);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.value.minor;
};
const amountError = (text: string, currency = 'CNY') => {
  const parsed = parseAmount(text, currency);
  return 'error' in parsed ? parsed.error : undefined;
};

describe('amounts', () => {
  it('reads thousands separators, currency signs and codes, full-width digits and spaces', () => {
    expect(minor('1,234.56')).toBe(123456);
    expect(minor(' ¥1,234.56 ')).toBe(123456);
    expect(minor('￥12')).toBe(1200);
    expect(minor('CNY 100.5')).toBe(10050);
    expect(minor('100.00 元')).toBe(10000);
    expect(minor('RMB1,000,000')).toBe(100000000);
    expect(minor('１２３')).toBe(12300);
    expect(minor('１，２３４．５０')).toBe(123450);
    expect(minor('0.07')).toBe(7);
    expect(minor('.5')).toBe(50);
    expect(minor('12', 'JPY')).toBe(12);
  });

  it('reads negative amounts in the usual spellings', () => {
    expect(minor('-50.00')).toBe(-5000);
    expect(minor('(1,000.00)')).toBe(-100000);
    expect(minor('50.00-')).toBe(-5000);
    expect(minor('¥-5')).toBe(-500);
  });

  it('refuses what it cannot read exactly', () => {
    expect(amountError('12.345')).toContain('decimal places');
    expect(amountError('1,23.45')).toContain('thousands separators');
    expect(amountError('12,34')).toContain('thousands separators');
    expect(amountError('abc')).toContain('not an amount');
    expect(amountError('')).toBe('is empty');
    expect(amountError('$100')).toContain('USD, not CNY');
    expect(amountError('1.5', 'JPY')).toContain('decimal places');
    expect(amountError('1e5')).toBeDefined();
  });

  it('finds the currency a cell names', () => {
    expect(currencyInAmount('¥1,234.56')).toBe('CNY');
    expect(currencyInAmount('USD 10')).toBe('USD');
    expect(currencyInAmount('1,234.56')).toBeUndefined();
    expect(parseCurrency('人民币')).toEqual({ value: 'CNY' });
    expect(parseCurrency('rmb')).toEqual({ value: 'CNY' });
    expect(parseCurrency('usd')).toEqual({ value: 'USD' });
    expect(parseCurrency('XYZ')).toHaveProperty('error');
  });
});

describe('dates', () => {
  it.each([
    ['2026-11-03', '2026-11-03'],
    ['2026/11/03', '2026-11-03'],
    ['2026/11/3', '2026-11-03'],
    ['2026.11.03', '2026-11-03'],
    ['20261103', '2026-11-03'],
    ['2026年11月3日', '2026-11-03'],
    ['2026年1月3日', '2026-01-03'],
    [' 2026-11-03 ', '2026-11-03'],
    ['2026-11-03 14:22:05', '2026-11-03'],
    ['2026/11/03 9:05', '2026-11-03'],
    ['２０２６－１１－０３', '2026-11-03'],
  ])('reads %s', (text, expected) => {
    expect(parseDate(text)).toEqual({ value: expected });
  });

  it.each(['03/11/2026', '2026-02-30', '2026-13-01', '20261332', 'yesterday', '', '2026-11'])('refuses %s', (text) => {
    expect(parseDate(text)).toHaveProperty('error');
  });
});

describe('flags and headers', () => {
  it('reads yes and no in English and Chinese', () => {
    for (const yes of ['true', 'Yes', 'Y', '1', '是', '有']) expect(parseFlag(yes)).toEqual({ value: true });
    for (const no of ['false', 'no', 'N', '0', '否', '无', '']) expect(parseFlag(no)).toEqual({ value: false });
    expect(parseFlag('maybe')).toHaveProperty('error');
  });

  it('compares headers without BOM, case, spaces or underscores', () => {
    expect(headerKey('\uFEFFCredit Limit')).toBe(headerKey('credit_limit'));
    expect(headerKey('creditLimit')).toBe(headerKey('credit-limit'));
    expect(headerKey(' 交易日期 ')).toBe('交易日期');
  });
});

describe('files', () => {
  const text =
    '账号: 6222 0000\n交易日期,贷方金额,摘要\n2026-11-03,"1,234.56","payment ""A"""\n\n2026-11-04,5.00,"two\nlines"\n2026-11-05,6.00,x\n';

  it('detects UTF-8 with or without a BOM, and GBK', () => {
    expect(decodeFile(Buffer.from(text, 'utf8')).encoding).toBe('utf-8');
    const bom = decodeFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]));
    expect(bom.encoding).toBe('utf-8');
    expect(bom.text.startsWith('账号')).toBe(true);
    const gbk = decodeFile(iconv.encode(text, 'gbk'));
    expect(gbk.encoding).toBe('gb18030');
    expect(gbk.text).toBe(text);
    expect(decodeFile(iconv.encode(text, 'gbk'), 'gbk').text).toBe(text);
    expect(refusalOf(() => decodeFile(iconv.encode(text, 'gbk'), 'utf-8'))).toMatchObject({
      field: 'encoding',
      message: expect.stringMatching(/not valid UTF-8/),
    });
  });

  it('finds the header row below a preamble and numbers rows as lines of the file', () => {
    const table = readCsv(text, 'file', [['交易日期'], ['贷方金额']]);
    expect(table.headers).toEqual(['交易日期', '贷方金额', '摘要']);
    expect(table.headerLine).toBe(2);
    expect(table.rows.map((r) => [r.line, r.cells[1]])).toEqual([
      [3, '1,234.56'],
      [5, '5.00'],
      [7, '6.00'],
    ]);
    expect(table.rows[0].cells[2]).toBe('payment "A"');
    expect(refusalOf(() => readCsv(text, 'file', [['Date']]))).toMatchObject({
      field: 'file',
      message: expect.stringMatching(/no header row names "Date"/),
    });
  });

  it('reads tab-separated files', () => {
    const table = readCsv('Date\tAmount\n2026-11-03\t1,234.56\n', 'file');
    expect(table.rows[0].cells).toEqual(['2026-11-03', '1,234.56']);
  });

  it('numbers identical lines so each keeps its own identity', () => {
    const line = { receivedOn: '2026-11-03', amountMinor: 100, currency: 'CNY', payerAccount: '1', remittance: 'x' };
    expect(lineDedupeKey(line, 1)).not.toBe(lineDedupeKey(line, 2));
    expect(lineDedupeKey(line, 1)).toBe(lineDedupeKey({ ...line }, 1));
  });
});
