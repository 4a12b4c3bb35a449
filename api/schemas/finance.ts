/** The queries of finance's lists: the invoice-ready queue, late interest to settle, letters, an import's lines. */
import { z } from 'zod';

export const MAX_FINANCE_PAGE = 200;

const emptyIsAbsent = (text: string | undefined) => (text === undefined || text === '' ? undefined : text);

/** One customer's code, as a filter; empty is the same as none. */
const CustomerFilter = z.string().trim().max(64, 'is not a customer code').optional().transform(emptyIsAbsent);

/** A whole number from a query text within [min, max]; undefined when absent or empty. */
const optionalWholeNumber = (min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === '') return undefined;
      const value = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
      if (!(value >= min && value <= max)) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return value;
    });

const wholeNumber = (min: number, max: number, fallback: number) =>
  optionalWholeNumber(min, max).transform((value) => value ?? fallback);

const Limit = (fallback: number) => wholeNumber(1, MAX_FINANCE_PAGE, fallback);
const Offset = wholeNumber(0, 1_000_000, 0);

export const InvoiceReadyQuerySchema = z.object({ customer: CustomerFilter, limit: Limit(100), offset: Offset });
export const INVOICE_READY_QUERY_DOC: Record<keyof z.input<typeof InvoiceReadyQuerySchema>, string> = {
  customer: 'one customer (code)',
  limit: `1–${MAX_FINANCE_PAGE}, default 100`,
  offset: 'rows to skip, default 0',
};

export const LateInterestQuerySchema = z.object({ customer: CustomerFilter, limit: Limit(50), offset: Offset });
export const LATE_INTEREST_QUERY_DOC: Record<keyof z.input<typeof LateInterestQuerySchema>, string> = {
  customer: 'one customer (code)',
  limit: `1–${MAX_FINANCE_PAGE}, default 50`,
  offset: 'rows to skip, default 0',
};

export const LettersQuerySchema = z.object({
  invoice: z.string().optional().transform(emptyIsAbsent),
  contract: z.string().optional().transform(emptyIsAbsent),
  body: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((text) => text === 'true'),
  limit: wholeNumber(1, 500, 500),
  before: optionalWholeNumber(1, Number.MAX_SAFE_INTEGER),
});
export const LETTERS_QUERY_DOC: Record<keyof z.input<typeof LettersQuerySchema>, string> = {
  invoice: 'invoice number',
  contract: 'contract number',
  body: 'true: each letter with its rendered text and HTML body, as the customer received it',
  limit: '1–500, default 500',
  before: 'letter id to page from (the last id of the previous page)',
};

export const ImportQuerySchema = z.object({
  rowsOffset: Offset,
  rowsLimit: optionalWholeNumber(1, MAX_FINANCE_PAGE),
});
export const IMPORT_QUERY_DOC: Record<keyof z.input<typeof ImportQuerySchema>, string> = {
  rowsOffset: 'with rowsLimit: the statement lines of the report to skip, default 0',
  rowsLimit: `1–${MAX_FINANCE_PAGE}: only this many of the report's lines (rowsTotal counts them all); all when absent`,
};
