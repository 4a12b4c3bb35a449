import { DEADLINE_BASES, ESCALATION_TARGETS, STAGE_WAITS, WAIT_OWNERS } from '../../domain/stage-policy';
import { z } from 'zod';
import { GRADES, MILESTONE_KINDS } from '../../domain/contract-rules';
import { CHANNELS, CONTACT_ROLES, INTERNAL_ROLES, TONES } from '../../domain/policy';
import { LOCALES } from '../../domain/locales';
import { ROLES } from '../../domain/roles';
import { isTimeZone } from '../../domain/dates';
import { NOTIFY_CHOICES } from '../../domain/statuses';

/**
 * Schemas of the admin API: escalation policies, policy selections, the business calendar and tasks.
 * They check the shape only; the domain checks (policyRefusals, validateCalendar) then report every
 * problem of the content at once, each with its field.
 */

type OffsetsByKind = Record<(typeof MILESTONE_KINDS)[number], z.ZodOptional<z.ZodNumber>>;

const ContactRole = z.enum(CONTACT_ROLES);
const InternalRole = z.enum(INTERNAL_ROLES);
const Code = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-", at most 64');

export const PolicyStepSchema = z
  .strictObject({
    key: z.string().describe('unique within the policy: lower case letters, digits and "_"'),
    offsetDays: z.number().describe('days from the due date; negative is before it'),
    // An object of optional kinds rather than a partial record: the same JSON, and the console's form
    // reads each kind as a number field (a blank one left out).
    offsetDaysByKind: z
      .strictObject(Object.fromEntries(MILESTONE_KINDS.map((kind) => [kind, z.number().optional()])) as OffsetsByKind)
      .optional()
      .describe('offset per milestone kind, overriding offsetDays'),
    channel: z.enum(CHANNELS),
    owner: InternalRole.describe('the internal role that owns the step'),
    recipients: z
      .array(ContactRole)
      .default([])
      .describe('customer contacts the letter goes to; a letter needs at least one'),
    cc: z
      .strictObject({ contacts: z.array(ContactRole).default([]), internal: z.array(InternalRole).default([]) })
      .default({ contacts: [], internal: [] }),
    template: z.string().optional().describe('a letter template that exists in every locale (subject, text and html)'),
    tone: z.enum(TONES).optional(),
    task: z.string().optional().describe("what the owner's task asks them to do; needed for task steps"),
    repeatEveryDays: z
      .number()
      .optional()
      .describe('repeat while the invoice stays overdue (steps after the due date only)'),
    requiresApproval: z.boolean().optional().describe('finance approves before it goes out'),
    creditHold: z.boolean().optional().describe('puts the customer on credit hold when the step fires'),
    blockWithoutRecipient: z
      .boolean()
      .optional()
      .describe(
        'when none of the recipient roles has a contact, the letter waits (blocked, with a task to add the contact) instead of going to the payment owner; default false',
      ),
  })
  .meta({ id: 'PolicyStep' });

export const SavePolicySchema = z
  .strictObject({
    id: Code,
    name: z.string(),
    steps: z.array(PolicyStepSchema),
    paidToleranceMinor: z.number().describe('an invoice whose balance is at most this many minor units counts as paid'),
    promiseGraceDays: z.number().describe('letters stay paused this many days after a promised payment date'),
    disputeSlaDays: z.number().describe('days a dispute may stay open before it escalates'),
    taskDueDays: z.number().describe('days an owner has to complete a task before it escalates'),
  })
  .meta({
    id: 'SavePolicyRequest',
    description: 'An escalation policy without its version: each save stores the next version of the id',
  });

export const POLICY_SELECTION_SCOPES = ['grade', 'contract'] as const;
/** Keys of a grade selection: the customer grades, and "new" for customers without a grade. */
const WorkingDays = z.number().int().min(0).max(365);

export const SaveStagePolicySchema = z
  .strictObject({
    id: Code,
    name: z.string(),
    deadlines: z.array(
      z.strictObject({
        wait: z.enum(STAGE_WAITS).describe('what the contract waits for'),
        owner: z.enum(WAIT_OWNERS).describe('whose wait it is: the account, fulfilment or finance owner'),
        from: z.enum(DEADLINE_BASES).describe('what the deadline counts from'),
        workingDays: WorkingDays.describe('working days after `from`'),
        fallbackWorkingDays: WorkingDays.optional().describe(
          'for a planned date the contract does not carry: working days after the wait began',
        ),
        levels: z.array(
          z.strictObject({
            to: z.enum(ESCALATION_TARGETS),
            afterWorkingDays: WorkingDays.describe('working days after the deadline'),
          }),
        ),
      }),
    ),
  })
  .meta({
    id: 'SaveStagePolicyRequest',
    description: 'A stage policy without its version: each save stores the next version of the id',
  });

export const GRADE_KEYS = [...GRADES, 'new'] as const;

export const PolicySelectionSchema = z
  .strictObject({
    scope: z.enum(POLICY_SELECTION_SCOPES),
    key: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .describe(`a grade (${GRADE_KEYS.join(', ')}) or a contract number`),
    policyId: z.string().trim().min(1, 'must not be empty'),
  })
  .meta({ id: 'PolicySelectionRequest' });

const CalendarDaySchema = z
  .object({
    date: z.string().meta({ format: 'date', description: 'YYYY-MM-DD' }),
    name: z.string(),
  })
  .meta({ id: 'CalendarDay' });

export const BusinessCalendarSchema = z
  .strictObject({
    id: z.string().describe('must equal the id in the path'),
    name: z.string(),
    weekendDays: z.array(z.number()).describe('days of the week not worked: 0 = Sunday … 6 = Saturday'),
    holidays: z.array(CalendarDaySchema).describe('days off even on a weekday'),
    makeUpWorkdays: z.array(CalendarDaySchema).describe('调休: days worked even on a weekend day'),
  })
  .meta({ id: 'BusinessCalendar' });

export const CompleteTaskSchema = z
  .strictObject({
    note: z.string().optional(),
  })
  .meta({ id: 'CompleteTaskRequest' });

export const SkipTaskSchema = z
  .strictObject({
    note: z
      .string({ error: 'a skipped task needs a note saying why' })
      .trim()
      .min(1, 'a skipped task needs a note saying why'),
  })
  .meta({ id: 'SkipTaskRequest' });

export const TOKEN_STATUSES = ['active', 'expired', 'revoked'] as const;

const ExpiresAt = z.iso
  .datetime({ offset: true, error: 'must be a date and time with its offset, e.g. 2027-01-31T18:00:00+08:00' })
  .describe('the instant the token stops working; must be in the future');

export const IssueTokenSchema = z
  .strictObject({
    label: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'at most 100 characters')
      .optional()
      .describe('what the token is for, e.g. "laptop" or "bank import job"'),
    expiresAt: ExpiresAt.optional(),
  })
  .meta({ id: 'IssueTokenRequest' });

export const TokenExpirySchema = z
  .strictObject({
    expiresAt: ExpiresAt.nullable().describe(
      'the instant the token stops working (in the future), or null for no expiry',
    ),
  })
  .meta({ id: 'TokenExpiryRequest' });

export const SignInSchema = z
  .strictObject({
    name: z.string().min(1, 'must not be empty').max(200, 'at most 200 characters'),
    password: z.string().min(1, 'must not be empty').max(1024, 'at most 1024 characters'),
  })
  .meta({ id: 'SignInRequest' });

export const SetPasswordSchema = z
  .strictObject({
    password: z
      .string()
      .describe('the new password: at least 10 characters, not one character repeated (at most 1024)'),
    currentPassword: z
      .string()
      .optional()
      .describe('needed when a person who is not an admin changes their own password'),
  })
  .meta({ id: 'SetPasswordRequest' });

/** How a person is told of their tasks (issue 11): shared by the create and change requests. */
const PersonName = z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters');
const Notify = z
  .enum(NOTIFY_CHOICES, { error: `must be one of ${NOTIFY_CHOICES.join(', ')}` })
  .describe('each: one mail per task; digest: one mail a day at digestHour');
const DigestHour = z
  .number({ error: 'must be a whole hour from 0 to 23' })
  .int('must be a whole hour from 0 to 23')
  .min(0, 'must be a whole hour from 0 to 23')
  .max(23, 'must be a whole hour from 0 to 23')
  .describe("the local hour (0–23) of the daily digest, in the person's time zone");
const TimeZone = z
  .string()
  .refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai')
  .describe('IANA time zone of the digest hour; Asia/Shanghai when absent');

export const UpdatePersonSchema = z
  .strictObject({
    email: z.email().nullable().optional().describe('where task mails go; null removes it (admin only)'),
    manager: PersonName.nullable()
      .optional()
      .describe('the name of the person their overdue tasks escalate to; null removes it (admin only)'),
    notify: Notify.optional().describe('each | digest; a person may set their own'),
    digestHour: DigestHour.optional().describe('0–23; a person may set their own'),
    timeZone: TimeZone.nullable().optional().describe('null: Asia/Shanghai; a person may set their own'),
    active: z
      .boolean()
      .optional()
      .describe('false deactivates: their sessions end, their tokens and sign-ins are refused (admin only)'),
    role: z.enum(ROLES).optional().describe('admin only'),
    locale: z.enum(LOCALES).optional().describe("the console's language; a person may set their own"),
  })
  .meta({ id: 'UpdatePersonRequest' });

const MAX_FILTER_LENGTH = 200;
const emptyIsAbsent = (text: string | undefined) => (text === undefined || text === '' ? undefined : text);
const QueryText = z
  .string()
  .trim()
  .max(MAX_FILTER_LENGTH, `must be at most ${MAX_FILTER_LENGTH} characters`)
  .optional()
  .transform(emptyIsAbsent);

export const MAX_LIST_LIMIT = 200;
export const DEFAULT_LIST_LIMIT = 50;

/** A page size from a query text: 1–200, `fallback` when absent or empty. */
const listLimit = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === '') return fallback;
      const limit = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
      if (!(limit >= 1 && limit <= MAX_LIST_LIMIT)) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from 1 to ${MAX_LIST_LIMIT}` });
        return z.NEVER;
      }
      return limit;
    });
const ListLimit = listLimit(DEFAULT_LIST_LIMIT);

const ListOffset = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text === '') return 0;
    if (!/^\d{1,6}$/.test(text)) {
      ctx.addIssue({ code: 'custom', message: 'must be a whole number, zero or more' });
      return z.NEVER;
    }
    return Number(text);
  });

/** The query of GET /api/v1/people: every parameter one text; an empty one is the same as none. */
export const PeopleListQuerySchema = z.object({
  q: QueryText,
  role: z
    .string()
    .optional()
    .transform(emptyIsAbsent)
    .pipe(z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).optional()),
  active: z
    .string()
    .optional()
    .transform(emptyIsAbsent)
    .pipe(z.enum(['true', 'false'], { error: 'must be true or false' }).optional()),
  limit: ListLimit,
  after: QueryText.describe('the "next" of the previous page'),
});

export const PEOPLE_LIST_QUERY_DOC: Record<keyof z.input<typeof PeopleListQuerySchema>, string> = {
  q: 'part of the name, any case',
  role: ROLES.join(' | '),
  active: 'true | false',
  limit: `1–${MAX_LIST_LIMIT}, default ${DEFAULT_LIST_LIMIT}`,
  after: 'the "next" of the previous page (people are sorted by name); absent for the first page',
};

/** The query of the short admin lists (calendars, a policy's versions): a page by offset. */
export const OffsetPageQuerySchema = z.object({ limit: ListLimit, offset: ListOffset });

export const OFFSET_PAGE_QUERY_DOC: Record<keyof z.input<typeof OffsetPageQuerySchema>, string> = {
  limit: `1–${MAX_LIST_LIMIT}, default ${DEFAULT_LIST_LIMIT}`,
  offset: 'rows to skip, default 0',
};

export const CreatePersonSchema = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters'),
    role: z.enum(ROLES),
    email: z.email().optional().describe('where task mails go'),
    locale: z.enum(LOCALES).default('zh-CN').describe("the console's language, and their mails'"),
    manager: PersonName.optional().describe('the name of an existing person their overdue tasks escalate to'),
    notify: Notify.default('each'),
    digestHour: DigestHour.default(9),
    timeZone: TimeZone.optional(),
    password: z
      .string()
      .optional()
      .describe('the first password (at least 10 characters); without one the person cannot sign in yet'),
  })
  .meta({ id: 'CreatePersonRequest' });

/** The query of GET /api/v1/policy-selections: a scope, and a page after the previous page's last "scope:key". */
export const SelectionListQuerySchema = z.object({
  scope: z
    .string()
    .optional()
    .transform(emptyIsAbsent)
    .pipe(
      z.enum(POLICY_SELECTION_SCOPES, { error: `must be one of ${POLICY_SELECTION_SCOPES.join(', ')}` }).optional(),
    ),
  limit: listLimit(MAX_LIST_LIMIT),
  after: QueryText.transform((text, ctx) => {
    if (text === undefined) return undefined;
    const colon = text.indexOf(':');
    if (colon < 1) {
      ctx.addIssue({ code: 'custom', message: 'is the "scope:key" of the last selection of the previous page' });
      return z.NEVER;
    }
    return { scope: text.slice(0, colon), key: text.slice(colon + 1) };
  }),
});

export const SELECTION_LIST_QUERY_DOC: Record<keyof z.input<typeof SelectionListQuerySchema>, string> = {
  scope: POLICY_SELECTION_SCOPES.join(' | '),
  limit: `1–${MAX_LIST_LIMIT}, default ${MAX_LIST_LIMIT}`,
  after: 'the "scope:key" of the last selection of the previous page; absent for the first page',
};
