/**
 * Stage deadlines (SPEC section 3, steps 2–10): how long a contract may wait in a stage, or a ready
 * milestone wait for its invoice, before the people who own it are told, then their manager role,
 * then the executive sponsor. Versioned data like the escalation policies; pure, so workflows may use it.
 */
import { addWorkingDays, type BusinessCalendar } from './calendar';
import type { LocalDate } from './dates';
import type { Refusal } from './refusal';
import type { Stage } from './stages';

/** What a contract can be waiting for; `invoicing` is a ready milestone not yet invoiced, in any stage. */
export const STAGE_WAITS = ['approval', 'signing', 'handover', 'delivery', 'acceptance', 'invoicing'] as const;
export type StageWait = (typeof STAGE_WAITS)[number];

/** The wait a contract is in while it sits in a stage (the other stages have no deadline of their own). */
export const WAIT_OF_STAGE: Partial<Record<Stage, StageWait>> = {
  Opportunity: 'approval',
  ContractReview: 'signing',
  Handover: 'handover',
  Delivery: 'delivery',
  Acceptance: 'acceptance',
};

/** Which of the contract's owners a wait belongs to (SPEC section 3, step 7: the iron triangle and finance). */
export const WAIT_OWNERS = ['account', 'fulfilment', 'finance'] as const;
export type WaitOwner = (typeof WAIT_OWNERS)[number];

export const ESCALATION_TARGETS = ['owner', 'manager', 'sponsor'] as const;
export type EscalationTarget = (typeof ESCALATION_TARGETS)[number];

/** What a deadline counts from: the day the wait began, or a date the contract carries. */
export const DEADLINE_BASES = ['wait_began', 'planned_delivery', 'planned_acceptance'] as const;
export type DeadlineBase = (typeof DEADLINE_BASES)[number];

export interface EscalationLevel {
  to: EscalationTarget;
  /** Working days after the deadline; each level at least as late as the one before. */
  afterWorkingDays: number;
}

export interface StageDeadline {
  wait: StageWait;
  owner: WaitOwner;
  from: DeadlineBase;
  /** Working days after `from`. */
  workingDays: number;
  /** When `from` is a planned date the contract does not carry: working days after the wait began. */
  fallbackWorkingDays?: number;
  levels: EscalationLevel[];
}

export interface StagePolicy {
  id: string;
  version: number;
  name: string;
  deadlines: StageDeadline[];
}

const LEVELS = (manager: number, sponsor: number): EscalationLevel[] => [
  { to: 'owner', afterWorkingDays: 0 },
  { to: 'manager', afterWorkingDays: manager },
  { to: 'sponsor', afterWorkingDays: sponsor },
];

/** The built-in default until an admin saves one. */
export const DEFAULT_STAGE_POLICY: StagePolicy = {
  id: 'default',
  version: 1,
  name: 'Default stage deadlines',
  deadlines: [
    { wait: 'approval', owner: 'finance', from: 'wait_began', workingDays: 3, levels: LEVELS(2, 5) },
    { wait: 'signing', owner: 'account', from: 'wait_began', workingDays: 10, levels: LEVELS(5, 10) },
    { wait: 'handover', owner: 'account', from: 'wait_began', workingDays: 5, levels: LEVELS(3, 5) },
    {
      wait: 'delivery',
      owner: 'fulfilment',
      from: 'planned_delivery',
      workingDays: 0,
      fallbackWorkingDays: 40,
      levels: LEVELS(3, 10),
    },
    {
      wait: 'acceptance',
      owner: 'fulfilment',
      from: 'planned_acceptance',
      workingDays: 0,
      fallbackWorkingDays: 10,
      levels: LEVELS(5, 10),
    },
    { wait: 'invoicing', owner: 'finance', from: 'wait_began', workingDays: 2, levels: LEVELS(2, 5) },
  ],
};

/** Dates the contract carries that a deadline may count from. */
export interface PlannedDates {
  plannedDelivery?: LocalDate;
  plannedAcceptance?: LocalDate;
}

export interface PlannedLevel extends EscalationLevel {
  level: number;
  /** The working day the level fires on. */
  date: LocalDate;
}

/** The working day the deadline falls on: `workingDays` after its base, counted on the customer's calendar. */
export function deadlineDate(
  deadline: StageDeadline,
  began: LocalDate,
  planned: PlannedDates,
  calendar: BusinessCalendar,
): LocalDate {
  const base =
    deadline.from === 'planned_delivery'
      ? planned.plannedDelivery
      : deadline.from === 'planned_acceptance'
        ? planned.plannedAcceptance
        : began;
  // A planned date counts from the day after it: delivery due on the 10th is late on the next working day.
  if (base !== undefined && deadline.from !== 'wait_began')
    return addWorkingDays(calendar, base, deadline.workingDays + 1);
  const days = base === undefined ? (deadline.fallbackWorkingDays ?? deadline.workingDays) : deadline.workingDays;
  return addWorkingDays(calendar, began, days);
}

/** Every level of a wait's escalation with the day it fires. */
export function planLevels(
  deadline: StageDeadline,
  began: LocalDate,
  planned: PlannedDates,
  calendar: BusinessCalendar,
): PlannedLevel[] {
  const due = deadlineDate(deadline, began, planned, calendar);
  return deadline.levels.map((level, index) => ({
    ...level,
    level: index + 1,
    date: addWorkingDays(calendar, due, level.afterWorkingDays),
  }));
}

function wholeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 365;
}

function deadlineRefusals(deadline: StageDeadline, index: number): Refusal[] {
  const at = `deadlines.${index}`;
  const refusals: Refusal[] = [];
  const problem = (field: string, message: string) =>
    refusals.push({ code: 'invalid_stage_policy', field: `${at}.${field}`, message });
  if (!STAGE_WAITS.includes(deadline.wait)) problem('wait', `one of ${STAGE_WAITS.join(', ')}`);
  if (!WAIT_OWNERS.includes(deadline.owner)) problem('owner', `one of ${WAIT_OWNERS.join(', ')}`);
  if (!DEADLINE_BASES.includes(deadline.from)) problem('from', `one of ${DEADLINE_BASES.join(', ')}`);
  if (!wholeNumber(deadline.workingDays)) problem('workingDays', 'a whole number of working days, 0 to 365');
  if (deadline.from !== 'wait_began' && !wholeNumber(deadline.fallbackWorkingDays))
    problem('fallbackWorkingDays', 'working days after the wait began, for contracts that carry no planned date');
  if (!Array.isArray(deadline.levels) || deadline.levels.length === 0) problem('levels', 'at least one level');
  (Array.isArray(deadline.levels) ? deadline.levels : []).forEach((level, i) => {
    if (!ESCALATION_TARGETS.includes(level.to)) problem(`levels.${i}.to`, `one of ${ESCALATION_TARGETS.join(', ')}`);
    if (!wholeNumber(level.afterWorkingDays))
      problem(`levels.${i}.afterWorkingDays`, 'a whole number of working days, 0 to 365');
    else if (i > 0 && level.afterWorkingDays < deadline.levels[i - 1].afterWorkingDays)
      problem(`levels.${i}.afterWorkingDays`, 'a level cannot come before the one above it');
  });
  return refusals;
}

/** Every problem of a stage policy an admin sends, each with its field path. */
export function stagePolicyRefusals(policy: Omit<StagePolicy, 'version'>): Refusal[] {
  const refusals: Refusal[] = [];
  if (!policy.name?.trim())
    refusals.push({ code: 'invalid_stage_policy', field: 'name', message: 'a stage policy needs a name' });
  const deadlines = Array.isArray(policy.deadlines) ? policy.deadlines : [];
  deadlines.forEach((deadline, index) => refusals.push(...deadlineRefusals(deadline, index)));
  deadlines.forEach((deadline, index) => {
    if (deadlines.findIndex((d) => d.wait === deadline.wait) !== index)
      refusals.push({
        code: 'duplicate_wait',
        field: `deadlines.${index}.wait`,
        message: `the ${deadline.wait} deadline is given twice`,
      });
  });
  return refusals;
}

export interface StageWaitRequest {
  contractNo: string;
  wait: StageWait;
  /** The contract's local date the wait began on. */
  began: string;
  planned: PlannedDates;
}

export interface PlannedEscalation {
  level: number;
  to: EscalationTarget;
  date: string;
  /** Epoch ms the level fires at: the send time on that working day, in the customer's time zone. */
  at: number;
}

export interface StageWaitPlan {
  policyId: string;
  policyVersion: number;
  owner: WaitOwner;
  levels: PlannedEscalation[];
}
