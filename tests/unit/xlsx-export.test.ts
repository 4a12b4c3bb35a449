/**
 * The XLSX file written directly by api/export.ts (no ExcelJS workbook model): read back with ExcelJS, it has
 * every sheet, text as text (markup characters, Chinese, spaces and formula-like text kept, control characters
 * dropped), amounts and counts as numbers with their column's format, empty cells empty, the header bold and
 * frozen with an autofilter, and the workbook's title and creator.
 */
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { renderXlsx } from '../../api/export';
import { column, type Report } from '../../read-models/reports/table';

const report: Report = {
  fileName: 'test',
  body: null,
  tables: [
    {
      name: 'aging',
      title: 'AR aging <by customer> & totals 应收账龄',
      columns: [
        column('key', 'Customer 客户'),
        column('name', 'Name 名称'),
        column('invoices', 'Invoices 发票数', 'integer'),
        column('total', 'Total 合计', 'money'),
        column('days', 'Days 天数', 'decimal'),
        column('cei', 'CEI % 回款有效性', 'percent'),
      ],
      rows: [
        { key: 'ALPHA', name: '阿尔法科技', invoices: 4, total: '35000.00', days: 21.17, cei: 13.2 },
        { key: 'B&B <1>', name: ' "quoted" =SUM(A1) ', invoices: 0, total: '-0.50', days: null, cei: null },
        { key: 'C\u0007D', name: null, invoices: 12, total: '1234567.89', days: 0, cei: 100 },
      ],
    },
    {
      name: 'a sheet name longer than thirty-one characters',
      title: 'second',
      columns: [column('month', 'Month 月份')],
      rows: [{ month: '2026-03' }],
    },
  ],
};

/** The file's bytes as the ArrayBuffer ExcelJS reads. */
const arrayBufferOf = (bytes: Buffer) =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

describe('the XLSX export', () => {
  it('reads back with every value, format and sheet', async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(arrayBufferOf(renderXlsx(report)));
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['aging', 'a sheet name longer than thirty']);
    expect(workbook.creator).toBe('Huikuan');
    expect(workbook.title).toBe('AR aging <by customer> & totals 应收账龄; second');
    const sheet = workbook.getWorksheet('aging')!;
    expect(sheet.getRow(1).values).toEqual([
      undefined,
      'Customer 客户',
      'Name 名称',
      'Invoices 发票数',
      'Total 合计',
      'Days 天数',
      'CEI % 回款有效性',
    ]);
    expect(sheet.getCell('A1').font?.bold).toBe(true);
    expect(sheet.getRow(2).values).toEqual([undefined, 'ALPHA', '阿尔法科技', 4, 35000, 21.17, 13.2]);
    // markup, quotes, surrounding spaces and formula-like text stay text; empty cells stay empty
    expect(sheet.getRow(3).values).toEqual([undefined, 'B&B <1>', ' "quoted" =SUM(A1) ', 0, -0.5]);
    expect(sheet.getCell('B3').formula).toBeUndefined();
    // a control character is left out (XML cannot carry it); a null name is an empty cell
    expect(sheet.getCell('A4').value).toBe('CD');
    expect(sheet.getCell('B4').value).toBeNull();
    expect(sheet.getCell('D4').value).toBe(1234567.89);
    expect(['C2', 'D2', 'E2', 'F2'].map((ref) => sheet.getCell(ref).numFmt)).toEqual([
      '0',
      '#,##0.00',
      '0.0#',
      '0.0"%"',
    ]);
    expect(sheet.getCell('A2').numFmt).toBeUndefined();
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1, topLeftCell: 'A2' });
    expect(sheet.autoFilter).toBe('A1:F1');
    expect(sheet.rowCount).toBe(4);
    expect(workbook.worksheets[1].getCell('A2').value).toBe('2026-03');
  });

  it('is a zip whose entries all inflate to their sizes (crc checked by the reader)', async () => {
    const bytes = renderXlsx({ ...report, tables: [{ ...report.tables[0], rows: [] }] });
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(arrayBufferOf(bytes));
    expect(workbook.getWorksheet('aging')!.rowCount).toBe(1);
  });
});
