import type { ApiDeps } from '../../api/deps';
import { letterTemplateNames } from '../../api/routes/policies';
import { GRADE_KEYS, POLICY_SELECTION_SCOPES, SavePolicySchema } from '../../api/schemas/admin';
import { SimulationRequestSchema } from '../../api/schemas/simulation';
import { MILESTONE_KINDS } from '../../domain/contract-rules';
import {
  CHANNELS,
  CONTACT_ROLES,
  type EscalationPolicy,
  INTERNAL_ROLES,
  type PolicyStep,
  TONES,
} from '../../domain/policy';
import type { RefusalReason } from '../../domain/refusal';
import type { StagePolicy } from '../../domain/stage-policy';
import { type FormFailure, type FormValues, failureOf, formBody, formValues } from '../forms';
import { formatInstant } from '../i18n';
import type { ConsolePages, PageRequest, View } from '../pages';

/** Policies (issue 10): versions side by side, a step editor for a new version, the selections and the simulation. */
export function registerPolicies(pages: ConsolePages, deps: ApiDeps): void {
  const indexView = policyIndexView(pages);
  const editorView = policyEditorView(pages);
  pages.page('/policies', indexView);
  pages.action('/policies/selections', {
    form: 'selection',
    route: ['put', '/api/v1/policy-selections'],
    done: () => '/policies#selections',
    view: indexView,
  });
  pages.page('/policies/:id', policyVersionsView(pages));
  pages.page('/policies/:id/edit', editorView);
  pages.action('/policies/:id/edit', {
    form: 'policy',
    route: ['post', '/api/v1/policies'],
    body: (values) => formBody(SavePolicySchema, withStepsAsSent(values)),
    done: (result) => {
      const saved = result.body as EscalationPolicy;
      return `${policyHref(saved.id)}?right=${saved.version}`;
    },
    view: editorView,
  });
  pages.page('/policies/:id/simulate', simulationView(pages, deps.defaultTimeZone));
}

interface PolicySummary {
  id: string;
  version: number;
  name: string;
  stepCount: number;
  builtIn: boolean;
  createdBy: string | null;
  createdAt: string | null;
}

interface Selection {
  scope: string;
  key: string;
  policyId: string;
}

interface VersionSummary {
  version: number;
  name: string;
  stepCount: number;
  builtIn: boolean;
  createdBy: string | null;
  createdAt: string | null;
}

const policyHref = (id: string) => `/policies/${encodeURIComponent(id)}`;
const failureFor = (failure: FormFailure | undefined, form: string) => (failure?.form === form ? failure : undefined);

// ----------------------------------------------------------------------------------------------- index

const SELECTION_PAGE_SIZE = 50;

function policyIndexView(pages: ConsolePages) {
  return async (page: PageRequest, failure?: FormFailure): Promise<View> => {
    const after = page.query.after?.trim() || undefined;
    const [policies, selections, stagePolicies, stageSelections] = await Promise.all([
      pages.api<PolicySummary[]>(page, 'get', '/api/v1/policies'),
      // One more than a page: whether there is a next one.
      pages.api<Selection[]>(page, 'get', '/api/v1/policy-selections', {
        query: { after, limit: String(SELECTION_PAGE_SIZE + 1) },
      }),
      stagePoliciesShown(pages, page),
      pages.api<Selection[]>(page, 'get', '/api/v1/stage-policy-selections'),
    ]);
    const shown = selections.slice(0, SELECTION_PAGE_SIZE);
    const last = shown[shown.length - 1];
    const selectionFailure = failureFor(failure, 'selection');
    return {
      view: 'policies/index',
      title: page.t('policies.title'),
      data: {
        policies: policies.map((policy) => ({
          ...policy,
          href: policyHref(policy.id),
          simulateHref: `${policyHref(policy.id)}/simulate`,
        })),
        selections: shown.map((selection) => ({ ...selection, href: policyHref(selection.policyId) })),
        nextHref:
          selections.length > SELECTION_PAGE_SIZE && last
            ? `/policies?after=${encodeURIComponent(`${last.scope}:${last.key}`)}#selections`
            : undefined,
        firstHref: after ? '/policies#selections' : undefined,
        stagePolicies,
        stageSelections,
        scopes: POLICY_SELECTION_SCOPES,
        gradeKeys: GRADE_KEYS,
        chosen: {
          scope: selectionFailure?.values.scope ?? 'grade',
          policyId: selectionFailure?.values.policyId ?? policies[0]?.id,
        },
        can: {
          select: pages.can(page, 'put', '/api/v1/policy-selections'),
          save: pages.can(page, 'post', '/api/v1/policies'),
          simulate: pages.can(page, 'post', '/api/v1/policies/:id/simulate'),
        },
        failure: selectionFailure,
      },
    };
  };
}

/** Every stage policy's latest version with its deadlines, read-only (they are saved through the API). */
async function stagePoliciesShown(pages: ConsolePages, page: PageRequest): Promise<StagePolicy[]> {
  const latest = await pages.api<{ id: string }[]>(page, 'get', '/api/v1/stage-policies');
  return Promise.all(
    latest.map(({ id }) => pages.api<StagePolicy>(page, 'get', '/api/v1/stage-policies/:id', { params: { id } })),
  );
}

// -------------------------------------------------------------------------------- versions side by side

type StepStatus = 'same' | 'changed' | 'added' | 'removed';

function policyVersionsView(pages: ConsolePages) {
  return async (page: PageRequest): Promise<View> => {
    const id = page.params.id;
    const { versions } = await pages.api<{ versions: VersionSummary[] }>(page, 'get', '/api/v1/policies/:id/versions', {
      params: { id },
      query: { limit: '200' },
    });
    const numbers = versions.map((version) => version.version);
    const right = chosenVersion(page.query.right, numbers) ?? numbers[0];
    const left = chosenVersion(page.query.left, numbers) ?? numbers.find((n) => n < right) ?? right;
    const [leftPolicy, rightPolicy] = await Promise.all(
      [left, right].map((version) =>
        pages.api<EscalationPolicy>(page, 'get', '/api/v1/policies/:id/versions/:version', {
          params: { id, version: String(version) },
        }),
      ),
    );
    return {
      view: 'policies/policy',
      title: `${rightPolicy.name} · ${id}`,
      data: {
        id,
        href: policyHref(id),
        versions: versions.map((version) => ({
          ...version,
          isLeft: version.version === left,
          isRight: version.version === right,
        })),
        left: leftPolicy,
        right: rightPolicy,
        settings: settingRows(leftPolicy, rightPolicy),
        steps: stepRows(leftPolicy, rightPolicy),
        editHref: `${policyHref(id)}/edit`,
        copyHref: `${policyHref(id)}/edit?as=new`,
        simulateHref: `${policyHref(id)}/simulate?version=${right}`,
        can: {
          save: pages.can(page, 'post', '/api/v1/policies'),
          simulate: pages.can(page, 'post', '/api/v1/policies/:id/simulate'),
        },
      },
    };
  };
}

function chosenVersion(text: string | undefined, versions: number[]): number | undefined {
  const version = Number(text);
  return versions.includes(version) ? version : undefined;
}

const SETTINGS = ['name', 'paidToleranceMinor', 'promiseGraceDays', 'disputeSlaDays', 'taskDueDays'] as const;

function settingRows(left: EscalationPolicy, right: EscalationPolicy) {
  return SETTINGS.map((setting) => ({
    setting,
    left: left[setting],
    right: right[setting],
    changed: left[setting] !== right[setting],
  }));
}

/** The two versions' steps aligned by key: the right version's order, then the steps it no longer has. */
function stepRows(left: EscalationPolicy, right: EscalationPolicy) {
  const leftByKey = new Map(left.steps.map((step) => [step.key, step]));
  const rightKeys = new Set(right.steps.map((step) => step.key));
  const rows = right.steps.map((step) => {
    const before = leftByKey.get(step.key);
    const status: StepStatus = !before ? 'added' : sameStep(before, step) ? 'same' : 'changed';
    return { key: step.key, status, cells: [before && stepFacts(before), stepFacts(step)] };
  });
  const removed = left.steps
    .filter((step) => !rightKeys.has(step.key))
    .map((step) => ({ key: step.key, status: 'removed' as StepStatus, cells: [stepFacts(step), undefined] }));
  return [...rows, ...removed];
}

/** Steps compare by content: the order of their fields and of a list of roles (a set) makes no difference. */
const sameStep = (a: PolicyStep, b: PolicyStep) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical).sort();
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, inner]) => inner !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, canonical(inner)]),
    );
  return value;
}

/** A step as the comparison shows it: the offset as before/after the due date, the per-kind ones listed. */
function stepFacts(step: PolicyStep) {
  return {
    ...step,
    offset: offsetOf(step.offsetDays),
    byKind: MILESTONE_KINDS.flatMap((kind) => {
      const days = step.offsetDaysByKind?.[kind];
      return days === undefined ? [] : [{ kind, days }];
    }),
    letter: step.channel !== 'task',
    task: step.channel !== 'letter' ? step.task : undefined,
  };
}

function offsetOf(days: number) {
  return { when: days > 0 ? 'after' : days < 0 ? 'before' : 'due', days: Math.abs(days) };
}

// ------------------------------------------------------------------------------------------ step editor

const SPARE_STEPS = 2;
const STEP_FIELD = /^steps\.(\d+)\.(.+)$/;
/** A blank per-kind offset is left out before the form is read, or the step would get an empty offsetDaysByKind. */
const BY_KIND_FIELD = /^offsetDaysByKind\./;

/**
 * The editor's step rows as the API gets them: a row marked for removal or left blank (a spare) is left out
 * and the rest numbered on, so that a refusal's "steps.N" names the row shown again at N.
 */
function withStepsAsSent(values: FormValues): FormValues {
  const rows = new Map<number, FormValues>();
  const sent: FormValues = {};
  for (const [name, value] of Object.entries(values)) {
    const match = STEP_FIELD.exec(name);
    if (!match) sent[name] = value;
    else rows.set(Number(match[1]), { ...rows.get(Number(match[1])), [match[2]]: value });
  }
  const kept = [...rows.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, row]) => row)
    .filter((row) => row._remove !== 'true' && Object.values(row).some((value) => value.trim() !== ''));
  kept.forEach((row, index) => {
    for (const [field, value] of Object.entries(row))
      if (field !== '_remove' && !(BY_KIND_FIELD.test(field) && value.trim() === ''))
        sent[`steps.${index}.${field}`] = value;
  });
  return sent;
}

/** A stored policy as the editor's fields: a box per role, its name numbered by the role's place in the list. */
function policyValues(policy: EscalationPolicy, asNew: boolean): FormValues {
  const values: FormValues = {
    id: asNew ? '' : policy.id,
    name: policy.name,
    paidToleranceMinor: String(policy.paidToleranceMinor),
    promiseGraceDays: String(policy.promiseGraceDays),
    disputeSlaDays: String(policy.disputeSlaDays),
    taskDueDays: String(policy.taskDueDays),
  };
  policy.steps.forEach((step, index) => Object.assign(values, stepValues(step, `steps.${index}`)));
  return values;
}

function stepValues(step: PolicyStep, at: string): FormValues {
  const values: FormValues = {
    [`${at}.key`]: step.key,
    [`${at}.offsetDays`]: String(step.offsetDays),
    [`${at}.channel`]: step.channel,
    [`${at}.owner`]: step.owner,
    [`${at}.template`]: step.template ?? '',
    [`${at}.tone`]: step.tone ?? '',
    [`${at}.task`]: step.task ?? '',
    [`${at}.repeatEveryDays`]: step.repeatEveryDays === undefined ? '' : String(step.repeatEveryDays),
  };
  for (const [kind, days] of Object.entries(step.offsetDaysByKind ?? {}))
    if (days !== undefined) values[`${at}.offsetDaysByKind.${kind}`] = String(days);
  const boxes = (field: string, chosen: readonly string[], all: readonly string[]) =>
    all.forEach((role, index) => {
      if (chosen.includes(role)) values[`${at}.${field}.${index}`] = role;
    });
  boxes('recipients', step.recipients, CONTACT_ROLES);
  boxes('cc.contacts', step.cc.contacts, CONTACT_ROLES);
  boxes('cc.internal', step.cc.internal, INTERNAL_ROLES);
  if (step.requiresApproval) values[`${at}.requiresApproval`] = 'true';
  if (step.creditHold) values[`${at}.creditHold`] = 'true';
  if (step.blockWithoutRecipient) values[`${at}.blockWithoutRecipient`] = 'true';
  return values;
}

/** Hands out each field's reasons once; what no field took is shown with its row (or above the form). */
class ReasonsByField {
  private left: RefusalReason[];

  constructor(reasons: RefusalReason[]) {
    this.left = reasons.filter((reason) => reason.field);
  }

  /** The reasons of a field, and of the fields under it ("steps.0.recipients.2" under "steps.0.recipients"). */
  take(field: string): RefusalReason[] {
    const under = (reason: RefusalReason) => reason.field === field || reason.field!.startsWith(`${field}.`);
    const taken = this.left.filter(under);
    this.left = this.left.filter((reason) => !under(reason));
    return taken;
  }
}

function stepEditorRow(values: FormValues, index: number, reasons: ReasonsByField, templates: string[]) {
  const at = `steps.${index}`;
  const value = (field: string) => values[`${at}.${field}`] ?? '';
  const cell = (field: string) => ({
    name: `${at}.${field}`,
    value: value(field),
    errors: reasons.take(`${at}.${field}`),
  });
  const choice = (field: string, choices: readonly string[]) => ({
    ...cell(field),
    options: choices.map((option) => ({ value: option, selected: value(field) === option })),
  });
  const boxes = (field: string, choices: readonly string[]) => ({
    boxes: choices.map((option, position) => ({
      name: `${at}.${field}.${position}`,
      value: option,
      checked: value(`${field}.${position}`) === option,
    })),
    errors: reasons.take(`${at}.${field}`),
  });
  const flag = (field: string) => ({
    name: `${at}.${field}`,
    checked: value(field) === 'true',
    errors: reasons.take(`${at}.${field}`),
  });
  return {
    number: index + 1,
    spare: value('key') === '',
    key: cell('key'),
    offsetDays: cell('offsetDays'),
    byKind: MILESTONE_KINDS.map((kind) => ({ kind, ...cell(`offsetDaysByKind.${kind}`) })),
    byKindErrors: reasons.take(`${at}.offsetDaysByKind`),
    channel: choice('channel', CHANNELS),
    owner: choice('owner', INTERNAL_ROLES),
    recipients: boxes('recipients', CONTACT_ROLES),
    ccContacts: boxes('cc.contacts', CONTACT_ROLES),
    ccInternal: boxes('cc.internal', INTERNAL_ROLES),
    template: choice('template', templates),
    tone: choice('tone', TONES),
    task: cell('task'),
    repeatEveryDays: cell('repeatEveryDays'),
    requiresApproval: flag('requiresApproval'),
    creditHold: flag('creditHold'),
    blockWithoutRecipient: flag('blockWithoutRecipient'),
    removeName: `${at}._remove`,
    errors: reasons.take(at),
  };
}

function stepCount(values: FormValues): number {
  let count = 0;
  for (const name of Object.keys(values)) {
    const match = STEP_FIELD.exec(name);
    if (match) count = Math.max(count, Number(match[1]) + 1);
  }
  return count;
}

function policyEditorView(pages: ConsolePages) {
  return async (page: PageRequest, failure?: FormFailure): Promise<View> => {
    const refused = failureFor(failure, 'policy');
    const asNew = refused ? refused.values._new === 'true' : page.query.as === 'new';
    const [latest, templates] = await Promise.all([
      pages.api<EscalationPolicy>(page, 'get', '/api/v1/policies/:id', { params: { id: page.params.id } }),
      letterTemplateNames(),
    ]);
    const values = refused ? withStepsAsSent(refused.values) : policyValues(latest, asNew);
    const reasons = new ReasonsByField(refused?.reasons ?? []);
    const setting = (field: string) => ({ name: field, value: values[field] ?? '', errors: reasons.take(field) });
    const steps = Array.from({ length: stepCount(values) + SPARE_STEPS }, (_, index) =>
      stepEditorRow(values, index, reasons, templates),
    );
    return {
      view: 'policies/edit',
      title: asNew ? page.t('policies.edit.newTitle') : `${page.t('policies.edit.title')} · ${latest.id}`,
      data: {
        latest,
        asNew,
        backHref: policyHref(latest.id),
        action: `${policyHref(page.params.id)}/edit`,
        id: setting('id'),
        settings: (['name', 'paidToleranceMinor', 'promiseGraceDays', 'disputeSlaDays', 'taskDueDays'] as const).map(
          setting,
        ),
        steps,
        stepsErrors: reasons.take('steps'),
        kinds: MILESTONE_KINDS,
        canSave: pages.can(page, 'post', '/api/v1/policies'),
        failure: refused,
      },
    };
  };
}

// ------------------------------------------------------------------------------------------- simulation

interface SimulationResult {
  policy: { id: string; version: number };
  summary: {
    invoices: number;
    letters: number;
    tasks: number;
    lettersBeforeFirstPayment: number;
    perStep: Record<string, { letters: number; tasks: number }>;
  };
  invoices: { invoiceNo: string; actions: { at: string; kind: string; step?: string; occurrence?: number }[] }[];
}

const TIMELINE_PAGE_SIZE = 100;
/** The chart draws this many invoices (a row each); the table below has them all. */
const CHART_INVOICES = 40;
const KIND_COLOURS: Record<string, string> = {
  letter: '#0b6bcb',
  task: '#b54708',
  approval_requested: '#7a5af8',
  dispute_escalated: '#b42318',
  promise_kept: '#1a7f37',
  promise_broken: '#e04f16',
  paid: '#067647',
};

/** Letters on top of the tasks that fall on the same day (a "both" step makes one of each), events above all. */
const KIND_SYMBOLS = {
  letter: { symbol: 'diamond', symbolSize: 14, z: 3 },
  task: { symbol: 'circle', symbolSize: 8, z: 2, itemStyle: { opacity: 0.6 } },
  event: { symbol: 'triangle', symbolSize: 13, z: 4 },
};

/** The simulation is a GET form: it changes nothing, so its result is a page that can be linked and reloaded. */
function simulationView(pages: ConsolePages, timeZone: string) {
  return async (page: PageRequest): Promise<View> => {
    const id = page.params.id;
    const values = formValues(page.req.query);
    const { versions } = await pages.api<{ versions: VersionSummary[] }>(page, 'get', '/api/v1/policies/:id/versions', {
      params: { id },
      query: { limit: '200' },
    });
    const asked = 'invoiceNos' in values;
    let result: SimulationResult | undefined;
    let failure: FormFailure | undefined;
    if (asked) {
      try {
        result = await pages.api<SimulationResult>(page, 'post', '/api/v1/policies/:id/simulate', {
          params: { id },
          body: simulationRequest(values),
        });
      } catch (error) {
        failure = failureOf('simulate', values, error);
        if (failure.status >= 500) throw error;
      }
    }
    const offset = /^\d{1,6}$/.test(values.offset ?? '') ? Number(values.offset) : 0;
    return {
      view: 'policies/simulate',
      title: `${page.t('policies.simulate.title')} · ${id}`,
      status: failure?.status,
      data: {
        id,
        backHref: policyHref(id),
        versions: versions.map((version) => ({ ...version, selected: String(version.version) === values.version })),
        form: {
          invoiceNos: values.invoiceNos ?? '',
          version: values.version ?? '',
          sendTime: values.sendTime ?? '',
          approveGatedSteps: asked ? values.approveGatedSteps === 'true' : true,
        },
        result: result && simulationData(page, result, values, offset, timeZone),
        failure,
      },
    };
  };
}

/**
 * The form's fields by the route's schema. The invoice numbers are typed as one text, split here; the
 * checkbox is alone (a query takes each parameter once), so its absence is a "no".
 */
function simulationRequest(values: FormValues): unknown {
  const { invoiceNos = '', offset: _offset, ...rest } = values;
  const body = formBody(SimulationRequestSchema, rest) as Record<string, unknown>;
  return {
    ...body,
    approveGatedSteps: values.approveGatedSteps === 'true',
    invoiceNos: invoiceNos.split(/[\s,，、;；]+/).filter(Boolean),
  };
}

function simulationData(
  page: PageRequest,
  result: SimulationResult,
  values: FormValues,
  offset: number,
  timeZone: string,
) {
  const actions = result.invoices
    .flatMap((invoice) => invoice.actions.map((action) => ({ ...action, invoiceNo: invoice.invoiceNo })))
    .sort((a, b) => a.at.localeCompare(b.at) || a.invoiceNo.localeCompare(b.invoiceNo));
  const pageHref = (at: number) => {
    const params = new URLSearchParams({ ...values, offset: String(at) });
    return `?${params.toString()}#timeline`;
  };
  return {
    ...result,
    perStep: Object.entries(result.summary.perStep).map(([step, counts]) => ({ step, ...counts })),
    timeline: actions.slice(offset, offset + TIMELINE_PAGE_SIZE),
    actionCount: actions.length,
    previousHref: offset > 0 ? pageHref(Math.max(0, offset - TIMELINE_PAGE_SIZE)) : undefined,
    nextHref: offset + TIMELINE_PAGE_SIZE < actions.length ? pageHref(offset + TIMELINE_PAGE_SIZE) : undefined,
    chart: timelineChart(page, result, timeZone),
    chartHeight: 90 + 32 * Math.min(result.invoices.length, CHART_INVOICES),
  };
}

/** ECharts: a row per invoice, a dot per letter, task or event at its time, a colour per kind. */
function timelineChart(page: PageRequest, result: SimulationResult, timeZone: string) {
  const invoices = result.invoices.slice(0, CHART_INVOICES);
  const kinds = [...new Set(invoices.flatMap((invoice) => invoice.actions.map((action) => action.kind)))];
  return {
    color: kinds.map((kind) => KIND_COLOURS[kind] ?? '#616e7c'),
    tooltip: { trigger: 'item', formatter: '{a}<br>{b}' },
    legend: { top: 0, data: kinds.map((kind) => page.t(`policies.kind.${kind}`)) },
    grid: { left: 16, right: 24, top: 36, bottom: 40, containLabel: true },
    xAxis: { type: 'time' },
    yAxis: { type: 'category', inverse: true, data: invoices.map((invoice) => invoice.invoiceNo) },
    series: kinds.map((kind) => ({
      name: page.t(`policies.kind.${kind}`),
      type: 'scatter',
      ...KIND_SYMBOLS[kind === 'letter' || kind === 'task' ? kind : 'event'],
      data: invoices.flatMap((invoice) =>
        invoice.actions
          .filter((action) => action.kind === kind)
          .map((action) => ({
            name: [invoice.invoiceNo, action.step, formatInstant(action.at, page.locale, timeZone)]
              .filter(Boolean)
              .join(' · '),
            value: [action.at, invoice.invoiceNo],
          })),
      ),
    })),
  };
}
