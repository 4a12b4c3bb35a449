/**
 * Turning an uploaded file into rows: the encoding (UTF-8 with or without BOM, GBK/GB18030, UTF-16 with
 * BOM), the delimiter (comma, tab or semicolon) and the header row, with each row's line number in the file.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { headerKey } from '../../domain/csv-values';
import { textProblem } from '../../domain/text';
import { ThreadJobFailed, cpuPool } from '../../stack/threads';
import { invalidInput, refuse, type RefusalKind, type RefusalReason } from '../../domain/refusal';

export const ENCODINGS = ['auto', 'utf-8', 'gbk', 'gb18030', 'utf-16le'] as const;
export type EncodingOption = (typeof ENCODINGS)[number];

export interface DecodedFile {
  text: string;
  /** The encoding the bytes were read in. */
  encoding: Exclude<EncodingOption, 'auto'>;
  sha256: string;
}

/**
 * Decodes a file: an explicit encoding wins; otherwise a UTF-16 or UTF-8 BOM, then valid UTF-8, else GB18030
 * (the superset of GBK that Chinese banks and Excel on a Chinese Windows write).
 */
export function decodeFile(bytes: Buffer, encoding: EncodingOption = 'auto', field = 'encoding'): DecodedFile {
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  const chosen = encoding === 'auto' ? detectEncoding(bytes) : encoding;
  let text: string;
  if (chosen === 'utf-8') {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw invalidInput(field, 'the file is not valid UTF-8; name its encoding (gbk) or leave it to be detected');
    }
  } else {
    text = iconv.decode(bytes, chosen === 'gbk' ? 'gbk' : chosen === 'gb18030' ? 'gb18030' : 'utf-16le');
  }
  const problem = textProblem(text);
  if (problem) throw invalidInput(field, `the decoded file ${problem}`);
  return { text: text.replace(/^\uFEFF/, ''), encoding: chosen, sha256 };
}

function detectEncoding(bytes: Buffer): Exclude<EncodingOption, 'auto'> {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return 'utf-8';
  } catch {
    return 'gb18030';
  }
}

export interface CsvRow {
  /** The line the row starts on in the file (1 = the first line), as a spreadsheet shows it. */
  line: number;
  cells: string[];
}

export interface CsvTable {
  headers: string[];
  headerLine: number;
  rows: CsvRow[];
}

const DELIMITERS = [',', '\t', ';'] as const;
const LINE_BREAK = /\r\n|\r|\n/g;

function countOutsideQuotes(line: string, delimiter: string): number {
  let count = 0;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (c === delimiter && !quoted) count += 1;
  }
  return count;
}

/** How many of the first lines split into the same (most common, non-zero) number of fields with this delimiter. */
function consistency(lines: string[], delimiter: string): { lines: number; columns: number } {
  const frequency = new Map<number, number>();
  for (const line of lines) {
    const n = countOutsideQuotes(line, delimiter);
    if (n > 0) frequency.set(n, (frequency.get(n) ?? 0) + 1);
  }
  let best = { lines: 0, columns: 0 };
  for (const [columns, count] of frequency)
    if (count > best.lines || (count === best.lines && columns > best.columns)) best = { lines: count, columns };
  return best;
}

/**
 * Parses CSV text. The header row is the first row naming every one of `requiredHeaders` (so a bank's
 * preamble lines above it are skipped), or the first row when none are given. Blank rows are dropped.
 */
export function readCsv(text: string, field: string, requiredHeaders: string[][] = []): CsvTable {
  const firstLines = text.split(/\r?\n/, 40).filter((l) => l.trim() !== '');
  if (firstLines.length === 0) throw invalidInput(field, 'the file is empty');
  const delimiter = [...DELIMITERS]
    .map((d) => ({ d, ...consistency(firstLines, d) }))
    .sort((a, b) => b.lines - a.lines || b.columns - a.columns)[0].d;
  // Every record, blank ones included (skipped below), so that each row's line can be counted here: csv-parse's
  // `info` would build two objects per record (a third of the parse of a go-live file, and its garbage).
  let records: string[][];
  try {
    records = parse(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      bom: true,
    }) as never;
  } catch (error) {
    throw invalidInput(field, `not a readable CSV file: ${(error as Error).message}`);
  }
  // A record starts on the line after the previous one ended, and spans one line more per line break in its cells.
  let line = 1;
  const rows: CsvRow[] = [];
  for (const record of records) {
    const start = line;
    let blank = true;
    for (const cell of record) {
      if (cell.includes('\n') || cell.includes('\r')) line += cell.match(LINE_BREAK)?.length ?? 0;
      if (blank && cell.trim() !== '') blank = false;
    }
    line += 1;
    if (blank) continue;
    rows.push({ line: start, cells: record });
  }
  if (rows.length === 0) throw invalidInput(field, 'the file has no rows');
  let headerIndex = 0;
  if (requiredHeaders.length > 0) {
    headerIndex = rows.slice(0, 30).findIndex((row) => {
      const keys = new Set(row.cells.map(headerKey));
      return requiredHeaders.every((alternatives) => alternatives.some((h) => keys.has(headerKey(h))));
    });
    if (headerIndex < 0) {
      const missing = requiredHeaders.filter(
        (alternatives) => !alternatives.some((h) => new Set(rows[0].cells.map(headerKey)).has(headerKey(h))),
      );
      throw invalidInput(
        field,
        `no header row names ${missing.map((a) => a.map((h) => `"${h}"`).join(' or ')).join(', ')} (first row: ${rows[0].cells.map((c) => `"${c.trim()}"`).join(', ')})`,
      );
    }
  }
  return {
    headers: rows[headerIndex].cells.map((h) => h.trim()),
    headerLine: rows[headerIndex].line,
    rows: rows.slice(headerIndex + 1),
  };
}

/** The column index of the first header among `alternatives` present in `headers`, compared loosely. */
export function columnOf(headers: string[], alternatives: string[]): number | undefined {
  const keys = headers.map(headerKey);
  for (const name of alternatives) {
    const index = keys.indexOf(headerKey(name));
    if (index >= 0) return index;
  }
  return undefined;
}

export interface ReadFile extends CsvTable {
  encoding: DecodedFile['encoding'];
  sha256: string;
}

/** Decodes and parses a whole file: the CPU-heavy part of an import, run on a CPU thread by readCsvFileOffLoop. */
export function readCsvFile(
  bytes: Uint8Array,
  encoding: EncodingOption,
  encodingField: string,
  field: string,
  requiredHeaders: string[][] = [],
): ReadFile {
  const decoded = decodeFile(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), encoding, encodingField);
  return { ...readCsv(decoded.text, field, requiredHeaders), encoding: decoded.encoding, sha256: decoded.sha256 };
}

const CSV_MODULE = path.join(__dirname, 'csv.ts');

/** readCsvFile on a CPU thread, so a big file does not stop the event loop; its refusal comes back as one. */
export async function readCsvFileOffLoop(...args: Parameters<typeof readCsvFile>): Promise<ReadFile> {
  try {
    return await cpuPool().run<typeof readCsvFile>(CSV_MODULE, 'readCsvFile', args, { timeoutMs: 120_000 });
  } catch (error) {
    if (error instanceof ThreadJobFailed && error.jobErrorName === 'Refused') {
      throw refuse(error.data.kind as RefusalKind, error.message, error.data.reasons as RefusalReason[]);
    }
    throw error;
  }
}
