import type { ApiDeps } from '../../api/deps';
import { ActionSchemas } from '../../api/schemas/common';
import { MAX_RISK_SCORE, MILESTONE_KINDS } from '../../domain/contract-rules';
import { localDateOf } from '../../domain/dates';
import { fromMinor, minorDigits, parseDecimal, parsePercent, percentOf } from '../../domain/money';
import { ACTION_RULES, ACTIONS, type Action, type Stage, STAGES } from '../../domain/stages';
import type { ContractParties } from '../../read-models/contracts';
import type { contractView } from '../../read-models/views';
import { type FormFailure, type FormValues, formBody } from '../forms';
import { formatLocalDate } from '../i18n';
import { COST_FORMS, costsSection, registerCostForms } from './costs';
import type { ConsolePages, PageRequest, View } from '../pages';

type Contract = Awaited<ReturnType<typeof contractView>> & ContractParties;
type Translate = PageRequest['t'];

const CONTRACT_API = '/api/v1/contracts/:no';
const actionApi = (action: Action) => `/api/v1/contracts/:no/${action}`;

/** The lifecycle the progress bar draws; a cancelled contract ends where it stopped. */
const LIFECYCLE: readonly Stage[] = STAGES.filter((stage) => stage !== 'Cancelled');

/** The signing checklist by its four questions: deliverable, acceptable, invoiceable, collectible. */
const CHECKLIST = [
  { group: 'deliverable', fields: ['deliverables'] },
  { group: 'acceptable', fields: ['acceptanceOwner', 'acceptanceCriteria'] },
  { group: 'invoiceable', fields: ['invoicingDetails'] },
  {
    group: 'collectible',
    fields: ['paymentSchedule', 'paymentOwner', 'paymentMethod', 'lateInterestRatePercent', 'penaltyClause'],
  },
] as const;
const LONG_TERMS = new Set(['deliverables', 'acceptanceCriteria', 'invoicingDetails', 'penaltyClause']);

const OWNER_KEYS = ['account', 'solution', 'fulfilment', 'finance', 'executiveSponsor'] as const;
const TRIGGER_TYPES = ['on_signing', 'on_delivery', 'on_acceptance', 'on_date', 'after_acceptance'] as const;
const RISK_FIELDS = ['customerRisk', 'projectRisk', 'requirementRisk'] as const;
const RISK_SCORES = ['1', '2', '3', '4', '5'];

/** The milestone editor shows at least this many rows, and always a few spare ones after what was typed. */
const MIN_SPLIT_ROWS = 4;
const SPARE_SPLIT_ROWS = 2;

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

const textOf = (value: unknown) => (Array.isArray(value) ? value.join('\n') : typeof value === 'string' ? value : '');

/** A word from the catalog, or the raw name when the catalog has none (an event added after these words). */
function wordOr(t: Translate, key: string, fallback: string): string {
  const text = t(key);
  return text === key ? fallback : text;
}

const options = (values: readonly string[], selected: string | undefined, label: (value: string) => string) =>
  values.map((value) => ({ value, label: label(value), selected: value === selected }));

/** The reasons of the fields named `name` or under it ("milestones.0" takes "milestones.0.trigger.date"), to word with {{reasonText}}. */
function errorsUnder(failure: FormFailure | undefined, ...names: string[]): FormFailure['reasons'] {
  if (!failure) return [];
  return failure.reasons.filter(
    ({ field }) => field !== undefined && names.some((name) => field === name || field.startsWith(`${name}.`)),
  );
}

// ---- What the contract shows ----

function progress(contract: Contract) {
  if (contract.stage !== 'Cancelled') {
    const at = LIFECYCLE.indexOf(contract.stage);
    return LIFECYCLE.map((stage, i) => ({ stage, state: i < at ? 'done' : i === at ? 'current' : '' }));
  }
  const stoppedIn = contract.timeline.find((event) => event.toStage === 'Cancelled')?.fromStage ?? 'Opportunity';
  const at = LIFECYCLE.indexOf(stoppedIn);
  return [
    ...LIFECYCLE.slice(0, at + 1).map((stage, i) => ({ stage, state: i < at ? 'done' : '' })),
    { stage: 'Cancelled', state: 'current' },
  ];
}

function triggerText(t: Translate, page: PageRequest, trigger: Record<string, unknown>): string {
  if (trigger.type === 'on_date')
    return t('contract.trigger.onDate', { date: formatLocalDate(String(trigger.date), page.locale) });
  if (trigger.type === 'after_acceptance') return t('contract.trigger.afterAcceptance', { days: trigger.days });
  return wordOr(t, `contract.trigger.${String(trigger.type)}`, String(trigger.type));
}

const STATUS_BADGE: Record<string, string> = { ready: 'ok', paid: 'ok', written_off: 'danger', open: 'warn' };

function milestones(page: PageRequest, contract: Contract) {
  return contract.milestones.map((milestone) => ({
    ...milestone,
    triggerText: triggerText(page.t, page, milestone.trigger),
    badge: STATUS_BADGE[milestone.status] ?? '',
  }));
}

function invoices(contract: Contract) {
  return contract.invoices.map((invoice) => ({ ...invoice, badge: STATUS_BADGE[invoice.status] ?? '' }));
}

const minorIn = (details: Record<string, unknown>, key: string) =>
  typeof details[key] === 'number' ? details[key] : undefined;

/** The estimate at review and the budget as the contract records them; actuals and the final account: ./costs.ts. */
function calculations(contract: Contract) {
  const { currency } = contract.amount;
  const details = contract.details;
  const cost = minorIn(details, 'estimatedCostMinor');
  const margin = minorIn(details, 'marginMinor');
  const budget = minorIn(details, 'budgetMinor');
  const amount = parseDecimal(contract.amount.value, currency);
  const amountMinor = 'minor' in amount ? amount.minor : 0;
  return {
    estimate:
      cost === undefined
        ? undefined
        : {
            cost: fromMinor(cost, currency),
            margin: margin === undefined ? undefined : fromMinor(margin, currency),
            marginRate: margin === undefined || amountMinor === 0 ? undefined : margin / amountMinor,
          },
    budget:
      budget === undefined
        ? undefined
        : {
            amount: fromMinor(budget, currency),
            overEstimate: cost !== undefined && budget > cost ? fromMinor(budget - cost, currency) : undefined,
          },
  };
}

/** The owners the handover named; the account owner is in the header already (the handover sets it). */
function owners(t: Translate, contract: Contract) {
  const named = contract.owners ?? {};
  return OWNER_KEYS.filter((key) => key !== 'account' && typeof named[key] === 'string').map((key) => ({
    role: t(`contract.owners.${key}`),
    name: String(named[key]),
  }));
}

function checklist(t: Translate, terms: Record<string, unknown>, failure?: FormFailure) {
  return CHECKLIST.map(({ group, fields }) => ({
    legend: t(`contract.checklist.${group}`),
    fields: fields.map((field) => {
      const name = `terms.${field}`;
      return {
        name,
        label: t(`contract.terms.${field}`),
        value: failure ? (failure.values[name] ?? '') : textOf(terms[field]),
        long: LONG_TERMS.has(field),
        hint: field === 'deliverables' ? t('contract.sign.deliverablesHint') : undefined,
        errors: errorsUnder(failure, name),
      };
    }),
  }));
}

type TimelineEvent = Contract['timeline'][number];

/** Why it happened: the reason given, else the notes the person wrote with the request. */
function whyOf(event: TimelineEvent): string {
  if (event.reason) return event.reason;
  const details = (event.details ?? {}) as {
    request?: { notes?: unknown; note?: unknown; risk?: { notes?: unknown } };
  };
  const request = details.request ?? {};
  const note = request.notes ?? request.note ?? request.risk?.notes;
  return typeof note === 'string' ? note : '';
}

/** The milestones an event is about ("#1, #2"), for the events of the milestones themselves. */
function milestonesOf(event: TimelineEvent): string {
  const details = (event.details ?? {}) as { milestones?: unknown; milestone?: unknown };
  const seqs = Array.isArray(details.milestones) ? details.milestones : details.milestone ? [details.milestone] : [];
  return seqs.map((seq) => `#${String(seq)}`).join(', ');
}

function timeline(t: Translate, contract: Contract) {
  return contract.timeline.map((event) => ({
    ...event,
    what: wordOr(t, `contract.event.${event.action}`, event.action),
    milestones: milestonesOf(event),
    why: whyOf(event),
    moved: event.fromStage !== null && event.toStage !== null && event.fromStage !== event.toStage,
  }));
}

// ---- The action forms ----

/** The milestone editor's rows: what was typed, then spare rows; each cell with the reasons of its field. */
function splitRows(t: Translate, values: FormValues, failure: FormFailure | undefined) {
  const typed = Object.keys(values)
    .map((name) => /^milestones\.(\d+)\./.exec(name))
    .filter((match) => match !== null)
    .map((match) => Number(match[1]));
  const count = Math.max(MIN_SPLIT_ROWS, (typed.length > 0 ? Math.max(...typed) + 1 : 0) + SPARE_SPLIT_ROWS);
  return Array.from({ length: count }, (_, index) => {
    const name = (field: string) => `milestones.${index}.${field}`;
    const value = (field: string) => values[name(field)] ?? '';
    return {
      index,
      seq: index + 1,
      kinds: options(MILESTONE_KINDS, value('kind'), (kind) => t(`contract.kind.${kind}`)),
      amount: value('amount.value'),
      percent: value('percent'),
      triggers: options(TRIGGER_TYPES, value('trigger.type'), (type) => t(`contract.triggerType.${type}`)),
      triggerDate: value('trigger.date'),
      triggerDays: value('trigger.days'),
      termDays: value('termDays'),
      errors: {
        kind: errorsUnder(failure, name('kind')),
        amount: errorsUnder(failure, name('amount')),
        percent: errorsUnder(failure, name('percent')),
        trigger: errorsUnder(failure, name('trigger')),
        termDays: errorsUnder(failure, name('termDays')),
        row: failure?.reasons.filter(({ field }) => field === `milestones.${index}`) ?? [],
      },
    };
  });
}

/** What the typed milestones add up to, against the contract amount (the same arithmetic the inline script does). */
function splitSum(contract: Contract, values: FormValues) {
  const { currency } = contract.amount;
  const parsed = parseDecimal(contract.amount.value, currency);
  const contractMinor = 'minor' in parsed ? parsed.minor : 0;
  let sum = 0;
  for (const [name, text] of Object.entries(values)) {
    if (text.trim() === '') continue;
    if (/^milestones\.\d+\.amount\.value$/.test(name)) {
      const amount = parseDecimal(text, currency);
      if ('minor' in amount) sum += amount.minor;
    } else if (/^milestones\.\d+\.percent$/.test(name)) {
      const hundredths = parsePercent(text);
      if (hundredths !== undefined) sum += percentOf(contractMinor, hundredths);
    }
  }
  return {
    sum: fromMinor(sum, currency),
    difference: fromMinor(contractMinor - sum, currency),
    matches: sum === contractMinor,
    contractMinor,
    digits: minorDigits(currency),
  };
}

interface FormContext {
  t: Translate;
  contract: Contract;
  today: string;
}

/** Each form's values when nothing was typed yet: today's dates, the contract's terms, the owner we know. */
function defaults(action: Action, { contract, today }: FormContext): FormValues {
  switch (action) {
    case 'sign':
      return { signedOn: today };
    case 'handover':
      return { 'owners.account': contract.accountOwner ?? contract.createdBy };
    case 'deliver':
      return { deliveredOn: today };
    case 'accept':
      return { acceptedOn: today, acceptor: textOf(contract.terms.acceptanceOwner) };
    case 'cancel':
      return { outcome: 'cancelled' };
    default:
      return {};
  }
}

/** One action's form: what to show in it (typed values after a refusal, else defaults) and its choices. */
function actionForm(action: Action, context: FormContext, failure: FormFailure | undefined) {
  const { t, contract } = context;
  const values = failure?.values ?? defaults(action, context);
  const form: Record<string, unknown> = { failure, values, path: `/contracts/${contract.no}/${action}` };
  switch (action) {
    case 'approve':
      form.risks = RISK_FIELDS.map((field) => ({
        name: `risk.${field}`,
        label: t(`contract.approve.${field}`),
        scores: options(RISK_SCORES, values[`risk.${field}`], (score) => score),
      }));
      form.maxRisk = MAX_RISK_SCORE;
      break;
    case 'sign':
      form.checklist = checklist(t, contract.terms, failure);
      break;
    case 'split':
      form.rows = splitRows(t, values, failure);
      form.sum = splitSum(contract, values);
      break;
    case 'handover':
      form.owners = OWNER_KEYS.map((key) => ({
        name: `owners.${key}`,
        label: t(`contract.owners.${key}`),
        value: values[`owners.${key}`] ?? '',
        errors: errorsUnder(failure, `owners.${key}`),
      }));
      break;
    case 'cancel':
      form.outcomes = options(['cancelled', 'lost'], values.outcome, (outcome) => t(`contract.cancel.${outcome}`));
      break;
  }
  return form;
}

/** The actions this person may take now: their role may call the route, and the contract is in its stage. */
function actionForms(pages: ConsolePages, page: PageRequest, context: FormContext, failure?: FormFailure) {
  const available = ACTIONS.filter(
    (action) =>
      ACTION_RULES[action].from.includes(context.contract.stage) && pages.can(page, 'post', actionApi(action)),
  );
  const forms = Object.fromEntries(
    available.map((action) => [action, actionForm(action, context, failure?.form === action ? failure : undefined)]),
  );
  return { forms, any: available.length > 0, shown: new Set<string>(available) };
}

// ---- Request bodies the forms cannot give field by field ----

/** A blank override reason means no override: sent empty, it would be refused as an override without a reason. */
function approveBody(values: FormValues): unknown {
  const { 'override.reason': reason = '', ...rest } = values;
  return formBody(ActionSchemas.approve, reason.trim() ? values : rest);
}

/** Deliverables are typed one per line. */
function signBody(values: FormValues): unknown {
  const { 'terms.deliverables': deliverables = '', ...rest } = values;
  const body = formBody(ActionSchemas.sign, rest) as { terms?: Record<string, unknown> };
  return { ...body, terms: { ...body.terms, deliverables: lines(deliverables) } };
}

/**
 * Milestone rows: an amount is in the contract's currency, a blank amount means a percentage, and a
 * trigger's days are a number (the trigger is a union, so the form reader leaves its fields as text).
 */
function splitBody(values: FormValues): unknown {
  const rows: FormValues = {};
  for (const [name, value] of Object.entries(values)) {
    const amount = /^milestones\.(\d+)\.amount\.value$/.exec(name);
    if (amount && value.trim() === '') continue;
    rows[name] = value;
    if (amount) rows[`milestones.${amount[1]}.amount.currency`] = values._currency ?? '';
  }
  const body = formBody(ActionSchemas.split, rows) as { milestones?: unknown };
  if (Array.isArray(body.milestones))
    for (const milestone of body.milestones as { trigger?: Record<string, unknown> }[]) {
      const days = milestone.trigger?.days;
      if (typeof days === 'string' && /^\d+$/.test(days.trim())) milestone.trigger!.days = Number(days);
    }
  return body;
}

const BODIES: Partial<Record<Action, (values: FormValues) => unknown>> = {
  approve: approveBody,
  sign: signBody,
  split: splitBody,
};

// ---- The page ----

async function contractPage(
  pages: ConsolePages,
  deps: ApiDeps,
  page: PageRequest,
  failure?: FormFailure,
): Promise<View> {
  const contract = await pages.api<Contract>(page, 'get', CONTRACT_API, { params: { no: page.params.no } });
  const { t } = page;
  const context = { t, contract, today: localDateOf(Date.now(), deps.defaultTimeZone) };
  const actions = actionForms(pages, page, context, failure);
  return {
    view: 'contract/show',
    title: `${contract.no} · ${contract.title}`,
    data: {
      contract,
      progress: progress(contract),
      owners: owners(t, contract),
      milestones: milestones(page, contract),
      invoices: invoices(contract),
      calculations: calculations(contract),
      costs: await costsSection(pages, deps, page, contract, failure),
      terms: checklist(t, contract.terms),
      timeline: timeline(t, contract),
      actions: actions.forms,
      anyAction: actions.any,
      // A refusal of a form this person cannot see (their role, or the contract moved on meanwhile).
      unshownFailure:
        failure && !actions.shown.has(failure.form) && !(COST_FORMS as readonly string[]).includes(failure.form)
          ? failure
          : undefined,
    },
  };
}

/** The contract page: header, stage progress, milestones, invoices, calculations, timeline and the action forms. */
export function registerContract(pages: ConsolePages, deps: ApiDeps): void {
  const view = (page: PageRequest, failure?: FormFailure) => contractPage(pages, deps, page, failure);
  pages.page('/contracts/:no', view);
  for (const action of ACTIONS)
    pages.action(`/contracts/:no/${action}`, {
      form: action,
      route: ['post', actionApi(action)],
      body: BODIES[action],
      done: (_result, page) => `/contracts/${encodeURIComponent(page.params.no)}`,
      view,
    });
  registerCostForms(pages, view);
}
