import type { UpdateDefinition } from '@temporalio/common';
import {
  allHandlersFinished,
  condition,
  type ChildWorkflowHandle,
  ParentClosePolicy,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ContractEvent } from '../activities/types';
import {
  type ContractTerms,
  type PaymentTermsType,
  milestoneReadyDate,
  type MilestoneEvent,
} from '../domain/contract-rules';
import type { Refusal } from '../domain/refusal';
import { type PlannedDateRequest, type TransitionRequest, decideTransition } from '../domain/contract-transitions';
import { localDateOf, zonedInstant } from '../domain/dates';
import { SYSTEM_ACTOR } from '../domain/roles';
import type { Stage } from '../domain/stages';
import { invoiceCollectionWorkflow } from './collection';
import {
  type ContractSummary,
  type IssueInvoiceArgs,
  type MilestoneState,
  TRANSITION_UPDATES,
  contractSummaryQuery,
  issueInvoiceUpdate,
} from './contract-messages';
import { REFUSED, refused } from './refusals';
import { invoiceWorkflowId } from './ids';
import { CONTRACT_STAGE, CUSTOMER_CODE } from './search-attributes';
import { type OpenWait, StageDeadlines } from './contract-deadlines';
import { type PlannedDates, type StageWaitPlan, WAIT_OF_STAGE } from '../domain/stage-policy';

const activities = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: [REFUSED] },
});

/** The contract's own records, written inside the workflow task: a transition answers without an activity round trip. */
const localActivities = proxyLocalActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: [REFUSED] },
});

const LOCAL_RECORDS = 'contract-records-local';
const STAGE_DEADLINES = 'stage-deadlines';
const LOCAL_STAGE_PLANS = 'stage-plans-local';
const TRANSITION_IN_ONE = 'transition-in-one-local-activity';

/** The revision of this workflow's code a contract starts with (startContract puts it in the input). */
export const CONTRACT_REVISION = 2;
/**
 * From revision 2 a contract asks for none of the patches added before it: each costs every start a marker and
 * a search-attribute upsert. The revision is in the input, so a replay takes the same path; contracts started
 * without one still ask for the patches, and so replay as they ran.
 */
const PATCHES_IMPLIED_FROM = 2;

export interface ContractInput {
  no: string;
  customerCode: string;
  timeZone: string;
  amountMinor: number;
  currency: string;
  paymentTermsType: PaymentTermsType;
  terms: ContractTerms;
  revision?: number;
  /** The approval wait's plan, made at registration so the first workflow task needs no planning of its own. */
  approvalPlan?: StageWaitPlan;
}

/** One contract from opportunity to close (SPEC section 3). Each transition is an Update with a validator. */
export async function contractWorkflow(input: ContractInput): Promise<ContractSummary> {
  let stage: Stage = 'Opportunity';
  let terms: ContractTerms = input.terms;
  let milestones: MilestoneState[] = [];
  const events: Partial<Record<MilestoneEvent, string>> = {};
  let eventSeq = 0;
  let wake = false;

  const patchesImplied = (input.revision ?? 1) >= PATCHES_IMPLIED_FROM;
  // Added after release: a transition's events and the plans of the waits it opens are one local activity.
  // It implies the three patches before it, which only contracts started before it still ask for.
  const transitionInOne = patchesImplied || patched(TRANSITION_IN_ONE);
  // Added after release: records are written by a local activity; contracts started before keep the activity.
  const recordsLocally = transitionInOne || patched(LOCAL_RECORDS);
  // Added after release: contracts started before keep no stage deadlines, and so replay as they ran.
  const deadlines =
    transitionInOne || patched(STAGE_DEADLINES)
      ? new StageDeadlines(input.no, transitionInOne || patched(LOCAL_STAGE_PLANS))
      : undefined;
  const today = () => localDateOf(Date.now(), input.timeZone);
  let stageEntry = { seq: 0, on: today() };
  const planned: PlannedDates = {};
  const summary = (): ContractSummary => ({ no: input.no, stage, milestones });
  const facts = () => ({
    stage,
    amountMinor: input.amountMinor,
    paymentTermsType: input.paymentTermsType,
    terms,
    signedOn: events.signed,
    deliveredOn: events.delivered,
  });

  /** What the contract waits for now: its stage's work, and each ready milestone's invoice. */
  function openWaits(): OpenWait[] {
    const stageWait = WAIT_OF_STAGE[stage];
    const waits: OpenWait[] = stageWait
      ? [{ key: `${stageWait}/${stageEntry.seq}`, wait: stageWait, began: stageEntry.on }]
      : [];
    for (const m of milestones.filter((m) => m.status === 'ready'))
      waits.push({ key: `invoicing/${m.seq}`, wait: 'invoicing', began: m.readyOn ?? today(), milestoneSeq: m.seq });
    return waits;
  }

  type EventOf = Omit<ContractEvent, 'contractNo' | 'seq' | 'at'>;
  function nextEvent(event: EventOf): ContractEvent {
    eventSeq += 1;
    return { ...event, contractNo: input.no, seq: eventSeq, at: Date.now() };
  }

  async function record(event: EventOf): Promise<void> {
    const writer = recordsLocally ? localActivities : activities;
    await writer.recordContractEvent(nextEvent(event));
  }

  function moveTo(next: Stage): Stage {
    const from = stage;
    stage = next;
    stageEntry = { seq: stageEntry.seq + 1, on: today() };
    upsertSearchAttributes([{ key: CONTRACT_STAGE, value: next }]);
    return from;
  }

  async function markReadyMilestones(): Promise<void> {
    const ready = takeReadyMilestones();
    if (ready) await record(ready);
  }

  /** Marks the pending milestones whose trigger date has come as ready; the event to record, if any. */
  function takeReadyMilestones(): EventOf | undefined {
    const ready = milestones
      .filter((m) => m.status === 'pending')
      .map((m) => ({ milestone: m, readyOn: milestoneReadyDate(m.trigger, events) }))
      .filter(({ readyOn }) => readyOn !== undefined && readyOn <= today());
    if (ready.length === 0) return undefined;
    for (const { milestone, readyOn } of ready) Object.assign(milestone, { status: 'ready', readyOn });
    return {
      actor: SYSTEM_ACTOR,
      action: 'invoice_ready',
      details: { milestones: ready.map(({ milestone }) => milestone.seq) },
      changes: {
        milestoneStatus: ready.map(({ milestone, readyOn }) => ({
          seq: milestone.seq,
          status: 'ready' as const,
          readyOn,
        })),
      },
    };
  }

  /** The transition's event, the milestones it made ready and the plans of the waits it opened, in one local activity. */
  async function recordTransitionInOne(transition: EventOf): Promise<void> {
    const recorded = [nextEvent(transition)];
    const ready = takeReadyMilestones();
    if (ready) recorded.push(nextEvent(ready));
    const unplanned = deadlines!.unplanned(openWaits(), planned);
    const plans = await localActivities.recordTransition({
      events: recorded,
      waits: unplanned.map(({ request }) => request),
    });
    unplanned.forEach(({ wait }, index) => deadlines!.adopt(wait, plans[index], Date.now()));
  }

  /** Planned dates a split or a handover gives (the later one wins), as the contract's details to record. */
  function plannedDatesOf(request: PlannedDateRequest): Record<string, string> | undefined {
    const { plannedDeliveryDate, plannedAcceptanceDate } = request;
    if (!plannedDeliveryDate && !plannedAcceptanceDate) return undefined;
    if (plannedDeliveryDate) planned.plannedDelivery = plannedDeliveryDate;
    if (plannedAcceptanceDate) planned.plannedAcceptance = plannedAcceptanceDate;
    return {
      ...(plannedDeliveryDate && { plannedDeliveryDate }),
      ...(plannedAcceptanceDate && { plannedAcceptanceDate }),
    };
  }

  async function applyTransition(request: TransitionRequest): Promise<ContractSummary> {
    const outcome = decideTransition(facts(), request, today());
    const from = moveTo(outcome.to);
    const changes: ContractEvent['changes'] = { stage: outcome.to };
    const details: Record<string, unknown> = {};
    switch (request.action) {
      case 'approve':
        Object.assign(details, { risk: request.risk, customer: request.customer, overridden: outcome.overridden });
        break;
      case 'review':
        changes.details = {
          estimatedCostMinor: request.estimatedCostMinor,
          marginMinor: input.amountMinor - request.estimatedCostMinor,
        };
        break;
      case 'sign':
        terms = outcome.terms!;
        events.signed = request.signedOn;
        changes.terms = terms as Record<string, unknown>;
        changes.details = { signedOn: request.signedOn };
        break;
      case 'split':
        milestones = outcome.milestones!.map((m) => ({ ...m, status: 'pending' }));
        changes.newMilestones = outcome.milestones;
        changes.details = plannedDatesOf(request);
        break;
      case 'budget':
        changes.details = { budgetMinor: request.budgetMinor };
        break;
      case 'handover':
        changes.owners = request.owners;
        changes.details = plannedDatesOf(request);
        break;
      case 'deliver':
        events.delivered = request.deliveredOn;
        changes.details = { deliveredOn: request.deliveredOn };
        break;
      case 'accept':
        events.accepted = request.acceptedOn;
        changes.details = {
          acceptedOn: request.acceptedOn,
          acceptor: request.acceptor,
          acceptanceDocument: request.documentRef,
        };
        break;
      case 'cancel':
        changes.closeReason = `${request.outcome}: ${request.reason}`;
        break;
    }
    const reason =
      request.action === 'approve'
        ? request.override?.reason
        : request.action === 'cancel'
          ? request.reason
          : undefined;
    const transition: EventOf = {
      actor: request.actor,
      action: request.action,
      fromStage: from,
      toStage: outcome.to,
      reason,
      details: { ...details, request },
      changes,
    };
    if (transitionInOne) await recordTransitionInOne(transition);
    else await record(transition);
    log.info('contract transition', {
      contractNo: input.no,
      action: request.action,
      from,
      to: outcome.to,
      person: request.actor.name,
    });
    if (!transitionInOne) await markReadyMilestones();
    wake = true;
    return summary();
  }

  /** One transition's update: the validator refuses with every reason before anything changes. */
  function handleTransition<Args>(
    update: UpdateDefinition<ContractSummary, [Args]>,
    requestOf: (args: Args) => TransitionRequest,
  ) {
    setHandler(update, (args) => applyTransition(requestOf(args)), {
      validator: (args) => {
        const outcome = decideTransition(facts(), requestOf(args), today());
        if (outcome.refusals.length > 0) throw refused(outcome.refusals);
      },
    });
  }
  const { approve, review, sign, split, budget, handover, deliver, accept, cancel } = TRANSITION_UPDATES;
  handleTransition(approve, (args) => ({ ...args, action: 'approve' }));
  handleTransition(review, (args) => ({ ...args, action: 'review' }));
  handleTransition(sign, (args) => ({ ...args, action: 'sign' }));
  handleTransition(split, (args) => ({ ...args, action: 'split' }));
  handleTransition(budget, (args) => ({ ...args, action: 'budget' }));
  handleTransition(handover, (args) => ({ ...args, action: 'handover' }));
  handleTransition(deliver, (args) => ({ ...args, action: 'deliver' }));
  handleTransition(accept, (args) => ({ ...args, action: 'accept' }));
  handleTransition(cancel, (args) => ({ ...args, action: 'cancel' }));

  const collections: Promise<void>[] = [];

  async function followCollection(
    milestone: MilestoneState,
    child: ChildWorkflowHandle<typeof invoiceCollectionWorkflow>,
  ): Promise<void> {
    const { outcome } = await child.result();
    const status = outcome === 'written_off' ? 'written_off' : 'paid';
    await record({
      actor: SYSTEM_ACTOR,
      action: `milestone_${status}`,
      details: { milestone: milestone.seq, invoiceNo: milestone.invoiceNo },
      changes: { milestoneStatus: [{ seq: milestone.seq, status }] },
    });
    // Marked only once recorded, so the contract cannot close before its last milestone event is written.
    milestone.status = status;
    wake = true;
  }

  function invoiceRefusals(args: IssueInvoiceArgs): Refusal[] {
    const milestone = milestones.find((m) => m.seq === args.milestoneSeq);
    if (!milestone)
      return [
        {
          code: 'unknown_milestone',
          field: 'milestoneSeq',
          message: `contract ${input.no} has no milestone ${args.milestoneSeq}`,
        },
      ];
    const refusals: Refusal[] = [];
    if (milestone.status !== 'ready') {
      refusals.push({
        code: 'milestone_not_ready',
        field: 'milestoneSeq',
        message: `milestone ${milestone.seq} is ${milestone.status}, not ready for invoicing`,
      });
    }
    if (milestone.readyOn && args.issueDate < milestone.readyOn) {
      refusals.push({
        code: 'issue_date_before_ready',
        field: 'issueDate',
        message: `issue date ${args.issueDate} is before the milestone became invoiceable on ${milestone.readyOn}`,
      });
    }
    if (args.issueDate > today())
      refusals.push({
        code: 'date_in_future',
        field: 'issueDate',
        message: `issue date ${args.issueDate} is after today (${today()})`,
      });
    return refusals;
  }

  setHandler(
    issueInvoiceUpdate,
    async (args) => {
      const milestone = milestones.find((m) => m.seq === args.milestoneSeq)!;
      milestone.status = 'invoiced';
      milestone.invoiceNo = args.invoiceNo;
      eventSeq += 1;
      const invoice = await activities
        .createInvoice({
          contractNo: input.no,
          milestoneSeq: milestone.seq,
          milestoneKind: milestone.kind,
          amountMinor: milestone.amountMinor,
          termDays: milestone.termDays,
          invoiceNo: args.invoiceNo,
          issueDate: args.issueDate,
          taxRatePercent: args.taxRatePercent,
          actor: args.actor,
          eventSeq,
          at: Date.now(),
        })
        .catch((error: unknown) => {
          // The number was taken by another invoice: the milestone stays ready for a new attempt.
          Object.assign(milestone, { status: 'ready', invoiceNo: undefined });
          throw error;
        });
      const child = await startChild(invoiceCollectionWorkflow, {
        workflowId: invoiceWorkflowId(invoice.invoiceNo),
        args: [
          {
            invoiceNo: invoice.invoiceNo,
            contractNo: input.no,
            dueDate: invoice.dueDate,
            milestoneKind: invoice.milestoneKind,
            timeZone: invoice.timeZone,
            sendTime: invoice.sendTime,
            balanceMinor: invoice.balanceMinor,
            policy: invoice.policy,
            // Results recorded before it was returned lack it: those collections read it at their first wake.
            calendar: invoice.calendar,
          },
        ],
        // A contract never ends before its invoices are collected; abandoning keeps a child alive through a reset.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      collections.push(followCollection(milestone, child));
      return { invoiceNo: invoice.invoiceNo, dueDate: invoice.dueDate };
    },
    {
      validator: (args) => {
        const refusals = invoiceRefusals(args);
        if (refusals.length > 0) throw refused(refusals);
      },
    },
  );

  setHandler(contractSummaryQuery, summary);

  // From revision 2 the start sets both (startContract); an approval plan made at registration is adopted as is.
  if (!patchesImplied) {
    upsertSearchAttributes([
      { key: CONTRACT_STAGE, value: stage },
      { key: CUSTOMER_CODE, value: input.customerCode },
    ]);
  } else if (input.approvalPlan) {
    const approval = openWaits().find(({ wait }) => wait === 'approval');
    if (approval) deadlines!.adopt(approval, input.approvalPlan, Date.now());
  }

  const allPaid = () =>
    milestones.length > 0 && milestones.every((m) => m.status === 'paid' || m.status === 'written_off');
  const finished = () => stage === 'Cancelled' || (stage === 'Collection' && allPaid());

  while (!finished()) {
    await deadlines?.refresh(openWaits, planned, Date.now());
    const nextWake = earliest(nextTriggerInstant(milestones, events, input.timeZone), deadlines?.nextAt());
    await condition(() => wake, nextWake === undefined ? undefined : Math.max(nextWake - Date.now(), 1));
    wake = false;
    await markReadyMilestones();
  }
  if ((stage as Stage) === 'Collection') {
    const from = moveTo('Closed');
    await record({
      actor: SYSTEM_ACTOR,
      action: 'close',
      fromStage: from,
      toStage: 'Closed',
      reason: 'all milestones paid or written off',
      changes: { stage: 'Closed' },
    });
  }
  await condition(allHandlersFinished);
  return summary();
}

function earliest(...instants: (number | undefined)[]): number | undefined {
  const known = instants.filter((i): i is number => i !== undefined);
  return known.length > 0 ? Math.min(...known) : undefined;
}

/** When the next milestone whose trigger date is known but still ahead becomes invoiceable (start of that day). */
function nextTriggerInstant(
  milestones: MilestoneState[],
  events: Partial<Record<MilestoneEvent, string>>,
  timeZone: string,
): number | undefined {
  const instants = milestones
    .filter((m) => m.status === 'pending')
    .map((m) => milestoneReadyDate(m.trigger, events))
    .filter((date): date is string => date !== undefined)
    .map((date) => zonedInstant(date, '00:00', timeZone));
  return instants.length > 0 ? Math.min(...instants) : undefined;
}
