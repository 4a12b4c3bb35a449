/**
 * readCsv counts each row's line itself (services/imports/csv.ts): blank lines, whitespace-only lines and line
 * breaks inside quoted cells (\n, \r\n or \r) all advance the count, so an error names the line a spreadsheet shows.
 */
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../services/imports/csv';

const lines = (text: string) => readCsv(text, 'file').rows.map((r) => [r.line, r.cells[0]]);

describe('the line of each row', () => {
  it('counts blank and whitespace-only lines, before the header too', () => {
    expect(lines('\n\na,b\n1,2\n\n   \n3,4\n,\n5,6')).toEqual([
      [4, '1'],
      [7, '3'],
      [9, '5'],
    ]);
  });

  it('counts the line breaks inside quoted cells, whatever the line ending', () => {
    expect(lines('a,b\r\n1,2\r\n\r\n3,"x\r\ny"\r\n4,5\r\n')).toEqual([
      [2, '1'],
      [4, '3'],
      [6, '4'],
    ]);
    expect(lines('a,b\n1,"two\n\nbreaks"\n2,"cr\ronly"\n3,x\n')).toEqual([
      [2, '1'],
      [5, '2'],
      [7, '3'],
    ]);
  });
});
