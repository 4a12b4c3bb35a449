import { z } from 'zod';
import { GRADES, MILESTONE_KINDS, PAYMENT_TERMS_TYPES } from '../../domain/contract-rules';
import { isLocalDate, isTimeZone } from '../../domain/dates';
import { LOCALES } from '../../domain/locales';
import { SUPPORTED_CURRENCIES } from '../../domain/money';
import { ROLES } from '../../domain/roles';

/** Request and response schemas: the same objects validate requests and generate the OpenAPI document. */

const Currency = z.enum(SUPPORTED_CURRENCIES as [string, ...string[]]);
const Decimal = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/, { message: 'must be a decimal string such as "1234.50"', abort: true })
  .refine((value) => !value.startsWith('-'), { message: 'must not be negative', abort: true });

/** An amount of zero or more: every amount the API takes is; those that must be more than zero use PositiveMoneySchema. */
export const MoneySchema = z
  .object({
    value: Decimal.describe('decimal amount, zero or more'),
    currency: Currency,
  })
  .meta({ id: 'Money' });

export const PositiveMoneySchema = z
  .object({
    value: Decimal.refine((value) => /[1-9]/.test(value), 'must be more than zero').describe(
      'decimal amount, more than zero',
    ),
    currency: Currency,
  })
  .meta({ id: 'PositiveMoney' });

export const TimeZoneSchema = z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai');

/** Calendar arithmetic (letters, ladders, simulations) holds for these years; year 0 or 275760 is no business date. */
export const DateSchema = z
  .string()
  .refine(isLocalDate, { message: 'must be a date YYYY-MM-DD', abort: true })
  .refine((date) => date >= '1900-01-01' && date <= '2999-12-31', 'must be between 1900-01-01 and 2999-12-31')
  .meta({ format: 'date' });
export const Text = z.string().trim().min(1, 'must not be empty');
export const Code = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-", at most 64');

export const CONTACT_ROLES = ['decision_maker', 'acceptance_owner', 'payment_owner', 'finance'] as const;

export const CreateTokenSchema = z
  .object({
    name: Text,
    role: z.enum(ROLES),
    email: z.email().optional(),
  })
  .meta({ id: 'CreateTokenRequest' });

export const ContactSchema = z.object({
  role: z.enum(CONTACT_ROLES),
  name: Text,
  email: z.email(),
  phone: z.string().optional(),
});

export const CreateCustomerSchema = z
  .object({
    code: Code,
    name: Text,
    grade: z.enum(GRADES).nullable().default(null).describe('null for a new customer without a grade'),
    creditLimit: MoneySchema,
    creditHold: z.boolean().default(false),
    creditHoldReason: z.string().optional(),
    locale: z.enum(LOCALES).default('zh-CN'),
    calendarId: z
      .string()
      .min(1)
      .optional()
      .describe('the business calendar its letters follow; the default calendar when absent'),
    timeZone: TimeZoneSchema.optional().describe('defaults to DEFAULT_TIME_ZONE (Asia/Shanghai)'),
    contacts: z
      .array(ContactSchema)
      .min(1)
      .refine(
        (cs) => cs.some((c) => c.role === 'payment_owner'),
        'must include a payment_owner contact, who receives the letters',
      ),
  })
  .meta({ id: 'CreateCustomerRequest' });

export const CreditHoldSchema = z
  .object({
    creditHold: z.boolean(),
    reason: Text,
  })
  .meta({ id: 'CreditHoldRequest' });

export const TermsSchema = z
  .object({
    deliverables: z.array(z.string()).optional(),
    acceptanceOwner: z.string().optional(),
    acceptanceCriteria: z.string().optional(),
    invoicingDetails: z.string().optional(),
    paymentSchedule: z.string().optional(),
    paymentOwner: z.string().optional(),
    paymentMethod: z.string().optional(),
    lateInterestRatePercent: z.string().optional().describe('annual rate in percent, e.g. "18.25"'),
    penaltyClause: z.string().optional(),
  })
  .meta({ id: 'ContractTerms' });

export const CreateContractSchema = z
  .object({
    no: Code,
    customerCode: Code,
    title: Text,
    amount: PositiveMoneySchema,
    paymentTermsType: z.enum(PAYMENT_TERMS_TYPES),
    terms: TermsSchema.default({}),
    department: Text.optional().describe('selling department, for aging by department'),
  })
  .meta({ id: 'CreateContractRequest' });

const RiskScore = z.number().int().min(1).max(5);
const OverrideSchema = z.object({ reason: z.string() });

const TriggerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('on_signing') }),
  z.object({ type: z.literal('on_delivery') }),
  z.object({ type: z.literal('on_acceptance') }),
  z.object({ type: z.literal('on_date'), date: DateSchema }),
  z.object({ type: z.literal('after_acceptance'), days: z.number().int().min(0).max(3650) }),
]);

const MilestoneSchema = z
  .object({
    kind: z.enum(MILESTONE_KINDS),
    amount: PositiveMoneySchema.optional(),
    percent: z.string().optional().describe('percent of the contract amount, e.g. "30"'),
    trigger: TriggerSchema,
    termDays: z.number().int().min(0).max(3650),
  })
  .refine((m) => (m.amount === undefined) !== (m.percent === undefined), 'give either amount or percent');

const OwnersSchema = z.object({
  account: Text,
  solution: Text,
  fulfilment: Text,
  finance: Text,
  executiveSponsor: Text,
  emails: z.record(z.enum(['account', 'solution', 'fulfilment', 'finance', 'executiveSponsor']), z.email()).optional(),
});

/** Dates a split or handover may give; the stage deadlines count late delivery and acceptance from them. */
const PlannedDates = {
  plannedDeliveryDate: DateSchema.optional().describe('planned delivery date; delivery after it escalates'),
  plannedAcceptanceDate: DateSchema.optional().describe('planned acceptance date; acceptance after it escalates'),
};

/** Body of POST /contracts/:no/:action, by action. */
export const ActionSchemas = {
  approve: z
    .object({
      risk: z.object({
        customerRisk: RiskScore,
        projectRisk: RiskScore,
        requirementRisk: RiskScore,
        notes: z.string().optional(),
      }),
      override: OverrideSchema.optional(),
    })
    .meta({ id: 'ApproveRequest' }),
  review: z.object({ estimatedCost: MoneySchema, notes: z.string().optional() }).meta({ id: 'ReviewRequest' }),
  sign: z.object({ signedOn: DateSchema, terms: TermsSchema.optional() }).meta({ id: 'SignRequest' }),
  split: z.object({ milestones: z.array(MilestoneSchema), ...PlannedDates }).meta({ id: 'SplitRequest' }),
  budget: z.object({ budget: PositiveMoneySchema }).meta({ id: 'BudgetRequest' }),
  handover: z.object({ owners: OwnersSchema, ...PlannedDates }).meta({ id: 'HandoverRequest' }),
  deliver: z.object({ deliveredOn: DateSchema, note: z.string().optional() }).meta({ id: 'DeliverRequest' }),
  accept: z.object({ acceptedOn: DateSchema, acceptor: Text, documentRef: Text }).meta({ id: 'AcceptRequest' }),
  cancel: z.object({ outcome: z.enum(['cancelled', 'lost']), reason: Text }).meta({ id: 'CancelRequest' }),
} as const;

export const IssueInvoiceSchema = z
  .object({
    contractNo: Code,
    milestoneSeq: z.number().int().min(1),
    invoiceNo: Code,
    issueDate: DateSchema,
    taxRatePercent: z
      .string()
      .regex(/^\d{1,2}(\.\d{1,2})?$/, 'must be a percentage such as "13"')
      .optional(),
  })
  .meta({ id: 'IssueInvoiceRequest' });

export const RecordPaymentSchema = z
  .object({
    customerCode: Code.optional().describe(
      'who paid; when absent the payer account, invoice numbers in the remittance or the payer name identify the customer, else the payment waits in the unmatched queue',
    ),
    payerName: z.string().trim().max(200).optional(),
    payerAccount: z.string().trim().max(100).optional(),
    remittance: z.string().max(500).optional().describe('remittance text; invoice numbers in it are paid first'),
    amount: PositiveMoneySchema,
    reference: Text.describe('bank reference; the same reference for the same customer is recorded once'),
    receivedOn: DateSchema,
    invoiceNo: Code.optional().describe('allocate to this invoice first; otherwise the oldest open invoice'),
  })
  .meta({ id: 'RecordPaymentRequest' });

export const ErrorSchema = z
  .object({
    error: z.string(),
    details: z.array(z.object({ code: z.string().optional(), field: z.string().optional(), message: z.string() })),
  })
  .meta({ id: 'Error' });
