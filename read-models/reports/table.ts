import { toDecimal } from '../../domain/money';

/** How an export shows a cell: money is a decimal string in the row's currency column. */
export type CellType = 'text' | 'date' | 'integer' | 'decimal' | 'money' | 'percent';
export type Cell = string | number | null;

export interface Column {
  key: string;
  /** "English 中文", so a spreadsheet reads in either language. */
  header: string;
  type: CellType;
}

/** One flat table of a report: a CSV section or an XLSX sheet. */
export interface ReportTable {
  name: string;
  title: string;
  columns: Column[];
  rows: Record<string, Cell>[];
}

/** A report: the JSON answer and the same figures as flat tables for CSV and XLSX. */
export interface Report {
  /** Base of the download's file name, e.g. "aging-2026-03-31". */
  fileName: string;
  body: unknown;
  tables: ReportTable[];
}

export const column = (key: string, header: string, type: CellType = 'text'): Column => ({ key, header, type });

/** The API's money shape. */
export function money(minor: number, currency: string): { value: string; currency: string } {
  return { value: toDecimal(minor, currency), currency };
}

export const decimal = (minor: number, currency: string): string => toDecimal(minor, currency);

/** numeric/float columns come back from pg as strings or numbers; null stays null. */
export function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
