import { z } from 'zod';
import { isLocalDate } from '../../domain/dates';
import { CONTACT_ROLES } from '../../domain/policy';
import {
  AGING_BUCKET_KEYS,
  type AgingBucketKey,
  CUSTOMER_SORTS,
  DEFAULT_CUSTOMER_LIMIT,
  DEFAULT_CUSTOMER_SORT,
  GRADE_FILTERS,
  type GradeFilter,
  HOLD_FILTERS,
  MAX_CUSTOMER_LIMIT,
  MAX_CUSTOMER_OFFSET,
} from '../../read-models/customers';

/**
 * The query of GET /api/v1/customers. Every parameter is one text (the API refuses a repeated one), so
 * several grades are one comma-separated value. An empty parameter is the same as none.
 */

const MAX_FILTER_LENGTH = 200;

const emptyIsAbsent = (text: string | undefined) => (text === undefined || text === '' ? undefined : text);

const Search = z
  .string()
  .trim()
  .max(MAX_FILTER_LENGTH, `must be at most ${MAX_FILTER_LENGTH} characters`)
  .optional()
  .transform(emptyIsAbsent);

const GradeList = z
  .string()
  .optional()
  .transform((text, ctx): GradeFilter[] | undefined => {
    const names = (text ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    if (names.length === 0) return undefined;
    const unknown = names.filter((name) => !(GRADE_FILTERS as readonly string[]).includes(name));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown grade ${unknown.map((name) => `"${name}"`).join(', ')}: give one or more of ${GRADE_FILTERS.join(', ')}, separated by commas`,
      });
      return z.NEVER;
    }
    return [...new Set(names)] as GradeFilter[];
  });

/** A whole number from text, within bounds; `fallback` when absent. */
const wholeNumber = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === '') return fallback;
      const value = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
      if (!(value >= min && value <= max)) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return value;
    });

export const CustomerListQuerySchema = z
  .object({
    q: Search,
    grade: GradeList,
    hold: z
      .string()
      .optional()
      .transform(emptyIsAbsent)
      .pipe(z.enum(HOLD_FILTERS, { error: `must be one of ${HOLD_FILTERS.join(', ')}` }).optional()),
    bucket: z
      .string()
      .optional()
      .transform(emptyIsAbsent)
      .pipe(
        z
          .enum(AGING_BUCKET_KEYS as [AgingBucketKey, ...AgingBucketKey[]], {
            error: `must be one of ${AGING_BUCKET_KEYS.join(', ')}`,
          })
          .optional(),
      ),
    asOf: z
      .string()
      .optional()
      .transform(emptyIsAbsent)
      .pipe(z.string().refine(isLocalDate, 'must be a date YYYY-MM-DD').optional()),
    sort: z
      .string()
      .optional()
      .transform(emptyIsAbsent)
      .pipe(
        z.enum(CUSTOMER_SORTS, { error: `must be one of ${CUSTOMER_SORTS.join(', ')}` }).default(DEFAULT_CUSTOMER_SORT),
      ),
    limit: wholeNumber(1, MAX_CUSTOMER_LIMIT, DEFAULT_CUSTOMER_LIMIT),
    offset: wholeNumber(0, MAX_CUSTOMER_OFFSET, 0),
  })
  .superRefine((query, ctx) => {
    if (query.asOf !== undefined && query.bucket === undefined)
      ctx.addIssue({ code: 'custom', path: ['asOf'], message: 'applies to the aging bucket: give bucket too' });
    if (query.sort.endsWith('agingBalance') && query.bucket === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['sort'],
        message: 'agingBalance sorts by the aging bucket: give bucket too',
      });
  });

/** What the route table and the OpenAPI document say about each parameter. */
export const CUSTOMER_LIST_QUERY_DOC: Record<keyof z.input<typeof CustomerListQuerySchema>, string> = {
  q: 'search: part of the customer code or name; any case',
  grade: `one or more of ${GRADE_FILTERS.join(', ')} (none: no grade yet), comma-separated`,
  hold: `${HOLD_FILTERS.join(' | ')}: on credit hold (any source), not on hold, on automatic hold, on manual hold`,
  bucket: `${AGING_BUCKET_KEYS.join(' | ')}: only customers with receivables in this aging bucket (as the aging report computes them), each with agingBalance`,
  asOf: 'date YYYY-MM-DD of the aging bucket, default today (DEFAULT_TIME_ZONE)',
  sort: `${CUSTOMER_SORTS.join(' | ')} ("-" = descending; exposure sorts by currency, then exposure; agingBalance needs bucket); default ${DEFAULT_CUSTOMER_SORT}`,
  limit: `1–${MAX_CUSTOMER_LIMIT}, default ${DEFAULT_CUSTOMER_LIMIT}`,
  offset: `rows to skip, 0–${MAX_CUSTOMER_OFFSET}, default 0; the answer's "next" is the next page's`,
};

/**
 * A customer contact: business contact data only (SPEC §8) — the role it plays for us, a name, a business
 * email address (letters go there) and an optional phone.
 */
const ContactRole = z.enum(CONTACT_ROLES, { error: `must be one of ${CONTACT_ROLES.join(', ')}` });
const ContactName = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const ContactEmail = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email({ error: 'must be an email address such as name@company.cn' }));
const ContactPhone = z
  .string()
  .trim()
  .max(40, 'must be at most 40 characters')
  .regex(/^[0-9+()\-\s./#]*$/, 'may hold digits, spaces and + ( ) - . / # only')
  .transform((phone) => (phone === '' ? null : phone));

export const AddContactSchema = z
  .strictObject({
    role: ContactRole,
    name: ContactName,
    email: ContactEmail,
    phone: ContactPhone.nullable().optional(),
  })
  .meta({ id: 'AddContactRequest' });

export const ChangeContactSchema = z
  .strictObject({
    role: ContactRole.optional(),
    name: ContactName.optional(),
    email: ContactEmail.optional(),
    phone: ContactPhone.nullable().optional().describe('empty or null removes it'),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    message: 'give at least one of role, name, email, phone',
  })
  .meta({ id: 'ChangeContactRequest' });
