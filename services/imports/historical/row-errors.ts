import { cleanText } from '../../../domain/csv-values';
import type { RowError } from '../report';
import { HISTORICAL_FILES, type HistoricalFile, type Tables, headerOf } from './files';

/**
 * The row errors of all the files. A row with an error is rejected, and one rejected row rejects the whole
 * import: the later checks skip rejected rows, or stay quiet where the rejected row's own error says why.
 */
export class RowErrors {
  readonly list: RowError[] = [];
  private readonly rejected: Record<HistoricalFile, Set<number>> = {
    customers: new Set(),
    contracts: new Set(),
    invoices: new Set(),
    settlements: new Set(),
  };

  constructor(private readonly tables: Tables) {}

  /** `field` is a key of HISTORICAL_COLUMNS; the error names the column as the file does. */
  fail(file: HistoricalFile, row: number, field: string, message: string): void {
    this.list.push({ file, row, field: headerOf(this.tables[file]!, file, field), message });
    this.rejected[file].add(row);
  }

  isRejected(file: HistoricalFile, row: number): boolean {
    return this.rejected[file].has(row);
  }

  rejectedCount(file: HistoricalFile): number {
    return this.rejected[file].size;
  }

  anyRejected(): boolean {
    return HISTORICAL_FILES.some((file) => this.rejected[file].size > 0);
  }

  /** The keys (the `field` cells, cleaned) of the file's rejected rows so far. */
  rejectedKeys(file: HistoricalFile, field: string): Set<string | undefined> {
    const rows = (this.tables[file]?.rows ?? []).filter((r) => this.isRejected(file, r.row));
    return new Set(rows.map((r) => cleanText(r.cells[field])));
  }

  /** By file, in HISTORICAL_FILES order, then by row; a row's own errors keep the order they were found in. */
  sort(): void {
    const order = (file: string | undefined) => HISTORICAL_FILES.indexOf(file as HistoricalFile);
    this.list.sort((a, b) => order(a.file) - order(b.file) || a.row - b.row);
  }
}
