import { z } from 'zod';
import { type Stage, STAGES } from '../../domain/stages';
import {
  CONTRACT_SORTS,
  DEFAULT_CONTRACT_LIMIT,
  DEFAULT_CONTRACT_SORT,
  MAX_CONTRACT_LIMIT,
} from '../../read-models/contracts';

/**
 * The query of GET /api/v1/contracts. Every parameter is one text (the API refuses a repeated one), so
 * several stages are one comma-separated value. An empty parameter is the same as none.
 */

const MAX_FILTER_LENGTH = 200;

const emptyIsAbsent = (text: string | undefined) => (text === undefined || text === '' ? undefined : text);

const Filter = z
  .string()
  .trim()
  .max(MAX_FILTER_LENGTH, `must be at most ${MAX_FILTER_LENGTH} characters`)
  .optional()
  .transform(emptyIsAbsent);

const StageList = z
  .string()
  .optional()
  .transform((text, ctx): Stage[] | undefined => {
    const names = (text ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    if (names.length === 0) return undefined;
    const unknown = names.filter((name) => !(STAGES as readonly string[]).includes(name));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown stage ${unknown.map((name) => `"${name}"`).join(', ')}: give one or more of ${STAGES.join(', ')}, separated by commas`,
      });
      return z.NEVER;
    }
    return [...new Set(names)] as Stage[];
  });

const Limit = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text === '') return DEFAULT_CONTRACT_LIMIT;
    const limit = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
    if (!(limit >= 1 && limit <= MAX_CONTRACT_LIMIT)) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number from 1 to ${MAX_CONTRACT_LIMIT}` });
      return z.NEVER;
    }
    return limit;
  });

export const ContractListQuerySchema = z.object({
  q: Filter,
  stage: StageList,
  owner: Filter,
  department: Filter,
  customer: Filter,
  sort: z
    .string()
    .optional()
    .transform(emptyIsAbsent)
    .pipe(
      z.enum(CONTRACT_SORTS, { error: `must be one of ${CONTRACT_SORTS.join(', ')}` }).default(DEFAULT_CONTRACT_SORT),
    ),
  limit: Limit,
  cursor: z.string().max(1000, 'is not a cursor of this list').optional().transform(emptyIsAbsent),
});

/** What the route table and the OpenAPI document say about each parameter. */
export const CONTRACT_LIST_QUERY_DOC: Record<keyof z.input<typeof ContractListQuerySchema>, string> = {
  q: 'search: contract number prefix, or part of the title, customer code or customer name; any case',
  stage: `one or more of ${STAGES.join(', ')}, comma-separated`,
  owner: 'account owner (name)',
  department: 'department',
  customer: 'customer code',
  sort: `${CONTRACT_SORTS.join(' | ')} ("-" = descending; amount sorts by currency, then amount); default ${DEFAULT_CONTRACT_SORT}`,
  limit: `1–${MAX_CONTRACT_LIMIT}, default ${DEFAULT_CONTRACT_LIMIT}`,
  cursor: 'the "next" of the previous page (same sort); absent for the first page',
};
