import path from 'node:path';
import zlib from 'node:zlib';
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

/**
 * The workbook is written here, not by ExcelJS's workbook model: its cell objects, styles and shared-string
 * table took ~300 ms for the 5,001 lines of the aging by customer (bench/README.md, "Trend and export"). The
 * parts of an .xlsx (Office Open XML, SpreadsheetML) are a few XML files in a zip: one sheet per table, its
 * header in bold and frozen with an autofilter, text as inline strings, amounts and counts as numbers with
 * the number format of their column.
 */
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PACKAGE_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
/** Number format ids from 164 are the workbook's own (lower ones are Excel's built-in formats). */
const FORMAT_TYPES = Object.keys(NUMBER_FORMATS) as Column['type'][];
/** Cell style index: 0 plain, 1 bold header, 2 + i the number format of FORMAT_TYPES[i]. */
const styleOf = (type: Column['type']) => (type in NUMBER_FORMATS ? 2 + FORMAT_TYPES.indexOf(type) : 0);

/** Characters XML 1.0 does not allow (control characters) are left out; markup characters escaped. */
function xmlText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

function stringCell(ref: string, text: string, style: number): string {
  const escaped = xmlText(text);
  const space = /^\s|\s$/.test(escaped) ? ' xml:space="preserve"' : '';
  return `<c r="${ref}"${style ? ` s="${style}"` : ''} t="inlineStr"><is><t${space}>${escaped}</t></is></c>`;
}

function sheetXml(table: ReportTable): string {
  const names = table.columns.map((_, i) => columnName(i));
  const last = names[names.length - 1] ?? 'A';
  const parts: string[] = [
    `${XML_HEAD}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">`,
    `<dimension ref="A1:${last}${table.rows.length + 1}"/>`,
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>',
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
    '<sheetFormatPr defaultRowHeight="15"/><cols>',
    ...table.columns.map(
      (c, i) =>
        `<col min="${i + 1}" max="${i + 1}" width="${Math.max(12, Math.min(40, c.header.length + 2))}" customWidth="1"${
          styleOf(c.type) ? ` style="${styleOf(c.type)}"` : ''
        }/>`,
    ),
    '</cols><sheetData>',
    `<row r="1">${table.columns.map((c, i) => stringCell(`${names[i]}1`, c.header, 1)).join('')}</row>`,
  ];
  const styles = table.columns.map((c) => styleOf(c.type));
  table.rows.forEach((row, index) => {
    const r = index + 2;
    let cells = '';
    table.columns.forEach((c, i) => {
      const value = row[c.key];
      if (value === null || value === undefined) return;
      if (c.type in NUMBER_FORMATS) {
        const number = Number(value);
        cells += Number.isFinite(number)
          ? `<c r="${names[i]}${r}" s="${styles[i]}"><v>${number}</v></c>`
          : stringCell(`${names[i]}${r}`, String(value), styles[i]);
      } else cells += stringCell(`${names[i]}${r}`, String(value), styles[i]);
    });
    parts.push(`<row r="${r}">${cells}</row>`);
  });
  parts.push('</sheetData>');
  if (table.columns.length > 0) parts.push(`<autoFilter ref="A1:${last}1"/>`);
  parts.push('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>');
  return parts.join('');
}

const STYLES_XML =
  `${XML_HEAD}<styleSheet xmlns="${MAIN_NS}">` +
  `<numFmts count="${FORMAT_TYPES.length}">${FORMAT_TYPES.map(
    (type, i) => `<numFmt numFmtId="${164 + i}" formatCode="${xmlText(NUMBER_FORMATS[type]!)}"/>`,
  ).join('')}</numFmts>` +
  '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>' +
  '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  `<cellXfs count="${2 + FORMAT_TYPES.length}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
  '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>' +
  FORMAT_TYPES.map(
    (_, i) => `<xf numFmtId="${164 + i}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`,
  ).join('') +
  '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>';

function workbookParts(report: Report): [string, string][] {
  const sheets = report.tables.map((table, i) => ({ name: table.name.slice(0, 31), file: `sheet${i + 1}.xml`, table }));
  const contentTypes =
    `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
    sheets
      .map(
        (s) =>
          `<Override PartName="/xl/worksheets/${s.file}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
      )
      .join('') +
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>' +
    '</Types>';
  const rootRels =
    `${XML_HEAD}<Relationships xmlns="${PACKAGE_REL_NS}">` +
    `<Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/>` +
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>' +
    '</Relationships>';
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const core =
    `${XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" ' +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<dc:title>${xmlText(report.tables.map((t) => t.title).join('; '))}</dc:title><dc:creator>Huikuan</dc:creator>` +
    `<dcterms:created xsi:type="dcterms:W3CDTF">${now}</dcterms:created>` +
    `<dcterms:modified xsi:type="dcterms:W3CDTF">${now}</dcterms:modified></cp:coreProperties>`;
  const workbook =
    `${XML_HEAD}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><bookViews><workbookView/></bookViews><sheets>` +
    sheets.map((s, i) => `<sheet name="${xmlText(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
    '</sheets><definedNames>' +
    sheets
      .filter((s) => s.table.columns.length > 0)
      .map(
        (s) =>
          `<definedName name="_xlnm._FilterDatabase" localSheetId="${sheets.indexOf(s)}" hidden="1">'${xmlText(
            s.name.replace(/'/g, "''"),
          )}'!$A$1:$${columnName(s.table.columns.length - 1)}$1</definedName>`,
      )
      .join('') +
    '</definedNames></workbook>';
  const workbookRels =
    `${XML_HEAD}<Relationships xmlns="${PACKAGE_REL_NS}">` +
    sheets
      .map((s, i) => `<Relationship Id="rId${i + 1}" Type="${REL_NS}/worksheet" Target="worksheets/${s.file}"/>`)
      .join('') +
    `<Relationship Id="rId${sheets.length + 1}" Type="${REL_NS}/styles" Target="styles.xml"/></Relationships>`;
  return [
    ['[Content_Types].xml', contentTypes],
    ['_rels/.rels', rootRels],
    ['docProps/core.xml', core],
    ['xl/workbook.xml', workbook.replace('<definedNames></definedNames>', '')],
    ['xl/_rels/workbook.xml.rels', workbookRels],
    ['xl/styles.xml', STYLES_XML],
    ...sheets.map((s): [string, string] => [`xl/worksheets/${s.file}`, sheetXml(s.table)]),
  ];
}

/** DOS date and time of a zip entry (local fields; any fixed instant will do for a download). */
const ZIP_TIME = 0;
const ZIP_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1;

/** A zip archive of deflated entries (PKWARE APPNOTE: local headers, central directory, end record). */
function zip(entries: [string, string][], level: number): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of entries) {
    const data = Buffer.from(text, 'utf8');
    const packed = zlib.deflateRawSync(data, { level });
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // names in UTF-8
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(ZIP_TIME, 10);
    local.writeUInt16LE(ZIP_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(ZIP_TIME, 12);
    central.writeUInt16LE(ZIP_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Deflate level of the workbook's parts: 3 is about as fast as 1 here and packs within 10 % of 6 (zlib's default). */
const XLSX_DEFLATE_LEVEL = 3;

/** An Excel workbook with one sheet per table: header row first, amounts and counts as numbers. */
export function renderXlsx(report: Report): Buffer {
  return zip(workbookParts(report), XLSX_DEFLATE_LEVEL);
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
