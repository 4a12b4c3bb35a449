import { MILESTONE_KINDS, type MilestoneKind } from './contract-rules';
import type { Refusal } from './refusal';

/** Who inside our company owns a step (collector rotation: sales → delivery → assistant → finance → executive). */
export const INTERNAL_ROLES = ['sales', 'delivery', 'assistant', 'finance', 'executive'] as const;
export type InternalRole = (typeof INTERNAL_ROLES)[number];

export const CONTACT_ROLES = ['decision_maker', 'acceptance_owner', 'payment_owner', 'finance'] as const;
export type ContactRole = (typeof CONTACT_ROLES)[number];

/** Letter tones from courteous to formal legal (SPEC section 4). */
export const TONES = [
  'courteous',
  'empathetic',
  'win_win',
  'request_for_help',
  'period_end',
  'precedent',
  'formal_legal',
] as const;
export type Tone = (typeof TONES)[number];

export const CHANNELS = ['letter', 'task', 'both'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface PolicyStep {
  key: string;
  /** Days from the due date; negative is before it. */
  offsetDays: number;
  /** Per milestone kind, for reminders that depend on it (courtesy reminder before due). */
  offsetDaysByKind?: Partial<Record<MilestoneKind, number>>;
  channel: Channel;
  owner: InternalRole;
  /** Customer contacts the letter goes to. */
  recipients: ContactRole[];
  cc: { contacts: ContactRole[]; internal: InternalRole[] };
  template?: string;
  tone?: Tone;
  /** What the owner's task asks them to do. */
  task?: string;
  /** Repeat while the invoice stays overdue. */
  repeatEveryDays?: number;
  /** Finance must approve before it goes out; a rejection holds the ladder at this step. */
  requiresApproval?: boolean;
  /** Puts the customer on credit hold when the step fires. */
  creditHold?: boolean;
  /**
   * When none of `recipients` has a contact, the letter waits (blocked, with a task for the account owner
   * to add the contact) instead of going to the customer's payment owner. Absent: it falls back.
   */
  blockWithoutRecipient?: boolean;
}

export interface EscalationPolicy {
  id: string;
  version: number;
  name: string;
  steps: PolicyStep[];
  /** An invoice whose balance is at most this many minor units counts as paid. */
  paidToleranceMinor: number;
  /** Letters stay paused this many days after a promised payment date. */
  promiseGraceDays: number;
  /** Days a dispute may stay open before it escalates. */
  disputeSlaDays: number;
  /** Days an owner has to complete a task before it escalates to their manager role. */
  taskDueDays: number;
}

const none = { contacts: [] as ContactRole[], internal: [] as InternalRole[] };

/** SPEC section 4's table. Repeating tasks are steps of their own, so each step has one repeat interval. */
export const DEFAULT_POLICY: EscalationPolicy = {
  id: 'default',
  version: 1,
  name: 'Default collection ladder',
  paidToleranceMinor: 0,
  promiseGraceDays: 3,
  disputeSlaDays: 10,
  taskDueDays: 3,
  steps: [
    {
      key: 'pre_due',
      offsetDays: -7,
      offsetDaysByKind: { advance: -7, progress: -3, final: -10, retention: -10 },
      channel: 'letter',
      owner: 'sales',
      recipients: ['payment_owner'],
      cc: none,
      template: 'pre_due',
      tone: 'courteous',
    },
    {
      key: 'due',
      offsetDays: 0,
      channel: 'letter',
      owner: 'sales',
      recipients: ['payment_owner'],
      cc: { contacts: ['finance'], internal: [] },
      template: 'due',
      tone: 'empathetic',
    },
    {
      key: 'overdue_1',
      offsetDays: 1,
      channel: 'letter',
      owner: 'sales',
      recipients: ['payment_owner'],
      cc: { contacts: ['finance'], internal: [] },
      template: 'overdue_1',
      tone: 'win_win',
    },
    {
      key: 'call_weekly',
      offsetDays: 1,
      channel: 'task',
      owner: 'sales',
      recipients: [],
      cc: none,
      task: 'Call the customer about the overdue payment',
      repeatEveryDays: 7,
    },
    {
      key: 'formal_reminder',
      offsetDays: 10,
      channel: 'both',
      owner: 'sales',
      recipients: ['payment_owner'],
      cc: { contacts: ['finance'], internal: ['delivery'] },
      template: 'formal_reminder',
      tone: 'request_for_help',
      task: 'Send and follow up the formal written reminder',
      repeatEveryDays: 10,
    },
    {
      key: 'statement_30',
      offsetDays: 30,
      channel: 'both',
      owner: 'finance',
      recipients: ['payment_owner', 'finance'],
      cc: { contacts: [], internal: ['sales'] },
      template: 'statement_30',
      tone: 'period_end',
      task: 'Send the statement of account with late interest',
      creditHold: true,
    },
    {
      key: 'visit_monthly',
      offsetDays: 30,
      channel: 'task',
      owner: 'sales',
      recipients: [],
      cc: none,
      task: 'Visit the customer face to face',
      repeatEveryDays: 30,
    },
    {
      key: 'executive_60',
      offsetDays: 60,
      channel: 'both',
      owner: 'executive',
      recipients: ['decision_maker'],
      cc: { contacts: ['payment_owner'], internal: ['sales', 'finance'] },
      template: 'executive_60',
      tone: 'precedent',
      task: 'Executive letter and call to the customer decision maker',
    },
    {
      key: 'legal_notice_90',
      offsetDays: 90,
      channel: 'both',
      owner: 'executive',
      recipients: ['decision_maker', 'payment_owner'],
      cc: { contacts: ['finance'], internal: ['finance', 'sales'] },
      template: 'legal_notice_90',
      tone: 'formal_legal',
      task: 'Final demand and hand-over to legal',
      requiresApproval: true,
    },
  ],
};

export function stepOffset(step: PolicyStep, kind: MilestoneKind): number {
  return step.offsetDaysByKind?.[kind] ?? step.offsetDays;
}

export function sendsLetter(step: PolicyStep): boolean {
  return step.channel === 'letter' || step.channel === 'both';
}

export function createsTask(step: PolicyStep): boolean {
  return step.channel === 'task' || step.channel === 'both';
}

function stepRefusals(step: PolicyStep, index: number, templates: readonly string[]): Refusal[] {
  const at = `steps.${index}`;
  const refusals: Refusal[] = [];
  const add = (field: string, message: string) =>
    refusals.push({ code: 'invalid_step', field: `${at}.${field}`, message });
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(step.key ?? '')) add('key', 'must be lower case letters, digits and "_"');
  if (!Number.isInteger(step.offsetDays) || Math.abs(step.offsetDays) > 3650)
    add('offsetDays', 'must be a whole number of days within ten years');
  for (const [kind, days] of Object.entries(step.offsetDaysByKind ?? {})) {
    if (!(MILESTONE_KINDS as readonly string[]).includes(kind))
      add(`offsetDaysByKind.${kind}`, 'is not a milestone kind');
    else if (!Number.isInteger(days)) add(`offsetDaysByKind.${kind}`, 'must be a whole number of days');
  }
  if (!(CHANNELS as readonly string[]).includes(step.channel)) add('channel', `must be one of ${CHANNELS.join(', ')}`);
  if (!(INTERNAL_ROLES as readonly string[]).includes(step.owner))
    add('owner', `must be one of ${INTERNAL_ROLES.join(', ')}`);
  if (sendsLetter(step)) {
    if (!step.recipients?.length) add('recipients', 'a letter needs at least one customer contact role');
    if (!step.template || !templates.includes(step.template)) add('template', `must be one of ${templates.join(', ')}`);
    if (!step.tone || !(TONES as readonly string[]).includes(step.tone))
      add('tone', `must be one of ${TONES.join(', ')}`);
  }
  for (const role of step.recipients ?? [])
    if (!(CONTACT_ROLES as readonly string[]).includes(role)) add('recipients', `${role} is not a contact role`);
  for (const role of step.cc?.contacts ?? [])
    if (!(CONTACT_ROLES as readonly string[]).includes(role)) add('cc.contacts', `${role} is not a contact role`);
  for (const role of step.cc?.internal ?? [])
    if (!(INTERNAL_ROLES as readonly string[]).includes(role)) add('cc.internal', `${role} is not an internal role`);
  if (createsTask(step) && !step.task?.trim()) add('task', 'a task step needs a task description');
  if (step.blockWithoutRecipient !== undefined && typeof step.blockWithoutRecipient !== 'boolean')
    add('blockWithoutRecipient', 'must be true or false');
  if (step.blockWithoutRecipient && !sendsLetter(step)) add('blockWithoutRecipient', 'applies to letter steps only');
  if (step.repeatEveryDays !== undefined && (!Number.isInteger(step.repeatEveryDays) || step.repeatEveryDays < 1))
    add('repeatEveryDays', 'must be at least 1 day');
  if (step.repeatEveryDays !== undefined && stepOffset(step, 'final') < 1 && step.offsetDays < 1)
    add('repeatEveryDays', 'only steps after the due date repeat');
  return refusals;
}

/** Checks a policy as a whole and reports every problem at once. `templates` are the letter templates that exist. */
export function policyRefusals(policy: EscalationPolicy, templates: readonly string[]): Refusal[] {
  const refusals: Refusal[] = [];
  if (!policy.name?.trim()) refusals.push({ code: 'invalid_policy', field: 'name', message: 'a policy needs a name' });
  if (!policy.steps?.length)
    refusals.push({ code: 'invalid_policy', field: 'steps', message: 'a policy needs at least one step' });
  (policy.steps ?? []).forEach((step, index) => refusals.push(...stepRefusals(step, index, templates)));
  const keys = (policy.steps ?? []).map((s) => s.key);
  keys.forEach((key, index) => {
    if (keys.indexOf(key) !== index)
      refusals.push({ code: 'duplicate_step', field: `steps.${index}.key`, message: `step key ${key} is used twice` });
  });
  for (const field of ['paidToleranceMinor', 'promiseGraceDays', 'disputeSlaDays', 'taskDueDays'] as const) {
    if (!Number.isInteger(policy[field]) || policy[field] < 0)
      refusals.push({ code: 'invalid_policy', field, message: 'must be a whole number, zero or more' });
  }
  return refusals;
}
