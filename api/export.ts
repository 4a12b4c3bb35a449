import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Cell, Column, Report, ReportTable } from '../read-models/reports/table';
import { cpuPool } from '../stack/threads';
import { cpuFailureAsHttp } from './cpu-errors';

export const EXPORT_FORMATS = ['json', 'csv', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportFile {
  contentType: string;
  fileName: string;
  content: Buffer;
}

/** Excel reads a CSV as UTF-8 (Chinese names intact) only when it starts with a byte order mark. */
const UTF8_BOM = '\uFEFF';

/** A text cell starting like a formula would run in a spreadsheet; a leading apostrophe keeps it text. */
function neutralized(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function csvField(value: Cell, type: Column['type']): string {
  if (value === null || value === undefined) return '';
  const text = type === 'text' ? neutralized(String(value)) : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLines(table: ReportTable): string[] {
  return [
    table.columns.map((c) => csvField(c.header, 'text')).join(','),
    ...table.rows.map((row) => table.columns.map((c) => csvField(row[c.key], c.type)).join(',')),
  ];
}

/** CSV with a BOM and CRLF lines; a report of several tables gives one section each, its title first, a blank line between. */
export function renderCsv(report: Report): Buffer {
  const several = report.tables.length > 1;
  const sections = report.tables.map((table) =>
    [...(several ? [csvField(table.title, 'text')] : []), ...csvLines(table)].join('\r\n'),
  );
  return Buffer.from(UTF8_BOM + sections.join('\r\n\r\n') + '\r\n', 'utf8');
}

const NUMBER_FORMATS: Partial<Record<Column['type'], string>> = {
  money: '#,##0.00',
  integer: '0',
  decimal: '0.0#',
  percent: '0.0"%"',
};

function xlsxValue(value: Cell, type: Column['type']): ExcelJS.CellValue {
  if (value === null || value === undefined) return null;
  return type in NUMBER_FORMATS ? Number(value) : String(value);
}

function addSheet(workbook: ExcelJS.Workbook, table: ReportTable): void {
  const sheet = workbook.addWorksheet(table.name.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = table.columns.map((c) => ({
    header: c.header,
    key: c.key,
    width: Math.max(12, Math.min(40, c.header.length + 2)),
    style: { numFmt: NUMBER_FORMATS[c.type] },
  }));
  sheet.getRow(1).font = { bold: true };
  for (const row of table.rows) {
    sheet.addRow(Object.fromEntries(table.columns.map((c) => [c.key, xlsxValue(row[c.key], c.type)])));
  }
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: table.columns.length } };
}

/** An Excel workbook with one sheet per table: header row first, amounts and counts as numbers. */
export async function renderXlsx(report: Report): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Huikuan';
  workbook.title = report.tables.map((t) => t.title).join('; ');
  for (const table of report.tables) addSheet(workbook, table);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** The file's bytes, built on a CPU thread: a big workbook takes long enough to hold up every other request. */
export async function renderContent(tables: ReportTable[], format: Exclude<ExportFormat, 'json'>): Promise<Uint8Array> {
  const report = { fileName: '', body: null, tables };
  return format === 'csv' ? renderCsv(report) : renderXlsx(report);
}

const EXPORT_MODULE = path.join(__dirname, 'export.ts');

export async function exportFile(report: Report, format: Exclude<ExportFormat, 'json'>): Promise<ExportFile> {
  const bytes = await cpuPool()
    .run<typeof renderContent>(EXPORT_MODULE, 'renderContent', [report.tables, format])
    .catch((error: unknown) => {
      throw cpuFailureAsHttp(error, `the ${format} file`);
    });
  const content = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (format === 'csv') return { contentType: 'text/csv; charset=utf-8', fileName: `${report.fileName}.csv`, content };
  return {
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    fileName: `${report.fileName}.xlsx`,
    content,
  };
}
