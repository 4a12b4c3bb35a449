import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { planWait } from '../../db/stage-policies';
import { timelineRow } from '../../db/timeline';
import type { SendTime } from '../../domain/collection';
import type { TransitionRequest } from '../../domain/contract-transitions';
import type { CreditSnapshot, Grade } from '../../domain/contract-rules';
import { localDateOf } from '../../domain/dates';
import { creditPosition } from '../../services/credit-holds';
import { ACTIONS, type Action, rolesFor, ruleFor, type Stage, stageRefusal } from '../../domain/stages';
import type { ContractInput } from '../../workflows/contract';
import { startContract, transitionContract } from '../../services/workflow-client';
import type { ApiDeps } from '../deps';
import { conflict, invalidInput, notFound } from '../../domain/refusal';
import { toMinor } from '../money';
import type { ApiRoutes } from '../route';
import { ActionSchemas, CreateContractSchema } from '../schemas/common';
import { CONTRACT_LIST_QUERY_DOC, ContractListQuerySchema } from '../schemas/contracts';
import { contractList, contractParties } from '../../read-models/contracts';
import { contractView, contractViewOf } from '../../read-models/views';
import type { Db } from '../../db/connect';
import type { Actor } from '../../domain/roles';
import type { z } from 'zod';

type ActionBody<A extends Action> = z.output<(typeof ActionSchemas)[A]>;

/** What a transition needs from the database, in one read: the stage, the currency and the customer's credit facts. */
async function transitionFacts(db: Db, no: string) {
  const contract = await db
    .selectFrom('contracts')
    .innerJoin('customers', 'customers.code', 'contracts.customer_code')
    .select([
      'contracts.stage',
      'contracts.currency',
      'contracts.customer_code',
      'customers.time_zone',
      'customers.grade',
      'customers.credit_hold',
      'customers.credit_limit_minor',
    ])
    .where('contracts.no', '=', no)
    .executeTakeFirst();
  if (!contract) throw notFound(`contract ${no}`);
  return contract;
}

type TransitionFacts = Awaited<ReturnType<typeof transitionFacts>>;

/**
 * The customer's credit as approval weighs it: the limit in force (a temporary override included), the
 * exposure without this contract (still an opportunity, so not yet counted) and why it is on hold.
 */
async function approvalCredit(db: Db, facts: TransitionFacts): Promise<CreditSnapshot> {
  const position = await creditPosition(db, facts.customer_code, localDateOf(Date.now(), facts.time_zone));
  const snapshot: CreditSnapshot = {
    grade: facts.grade as Grade | null,
    creditHold: facts.credit_hold,
    creditLimitMinor: position?.effectiveLimitMinor ?? facts.credit_limit_minor,
    holdReason: position?.holdReason ?? null,
  };
  // Exposure is kept in the customer's currency: a contract in another one is not weighed against the limit.
  if (position && position.currency === facts.currency)
    Object.assign(snapshot, { exposureMinor: position.exposureMinor, currency: position.currency });
  return snapshot;
}

/** Turns an API body into the workflow's transition request: amounts to minor units, credit facts from the database. */
async function toTransitionArgs(
  db: Db,
  facts: TransitionFacts,
  action: Action,
  body: ActionBody<Action>,
): Promise<Omit<TransitionRequest, 'action' | 'actor'>> {
  const { currency } = facts;
  switch (action) {
    case 'approve':
      return { ...(body as ActionBody<'approve'>), customer: await approvalCredit(db, facts) };
    case 'review': {
      const { estimatedCost, notes } = body as ActionBody<'review'>;
      return { estimatedCostMinor: toMinor(estimatedCost, 'estimatedCost', currency).minor, notes };
    }
    case 'budget':
      return { budgetMinor: toMinor((body as ActionBody<'budget'>).budget, 'budget', currency).minor };
    case 'split': {
      const { milestones, plannedDeliveryDate, plannedAcceptanceDate } = body as ActionBody<'split'>;
      return {
        plannedDeliveryDate,
        plannedAcceptanceDate,
        milestones: milestones.map((m, index) => ({
          kind: m.kind,
          percent: m.percent,
          trigger: m.trigger,
          termDays: m.termDays,
          amountMinor: m.amount ? toMinor(m.amount, `milestones.${index}.amount`, currency).minor : undefined,
        })),
      };
    }
    default:
      return body as Omit<TransitionRequest, 'action' | 'actor'>;
  }
}

/** A closed or cancelled contract's workflow has ended, so no validator is left to refuse; the same domain rule answers. */
function refuseIfEnded(no: string, stage: Stage, action: Action): void {
  if (stage === 'Closed' || stage === 'Cancelled') {
    throw conflict('refused', [
      { code: 'wrong_stage', message: stageRefusal(action, stage) ?? `contract ${no} is ${stage}` },
    ]);
  }
}

const registrationKey = (no: string) => `contract/${no}/0`;

async function undoRegistration(db: Db, no: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('timeline').where('event_key', '=', registrationKey(no)).execute();
    await trx.deleteFrom('contracts').where('no', '=', no).where('stage', '=', 'Opportunity').execute();
  });
}

/** The contract's row and its registration's timeline entry, in one transaction; 409 when the number is taken. */
async function insertRegistration(
  db: Db,
  body: z.output<typeof CreateContractSchema>,
  amount: { minor: number; currency: string },
  actor: Actor,
) {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('contracts')
      .values({
        no: body.no,
        customer_code: body.customerCode,
        title: body.title,
        amount_minor: amount.minor,
        currency: amount.currency,
        payment_terms_type: body.paymentTermsType,
        stage: 'Opportunity',
        terms: JSON.stringify(body.terms),
        details: JSON.stringify({}),
        owners: null,
        created_by: actor.name,
        department: body.department ?? null,
        account_owner: actor.name,
      })
      .onConflict((oc) => oc.column('no').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) throw conflict(`contract ${body.no} already exists`, [{ field: 'no', message: 'must be unique' }]);
    const registered = await trx
      .insertInto('timeline')
      .values(
        timelineRow({
          eventKey: registrationKey(body.no),
          contractNo: body.no,
          at: new Date(),
          actor,
          action: 'register',
          toStage: 'Opportunity',
          details: { amountMinor: amount.minor, currency: amount.currency, paymentTermsType: body.paymentTermsType },
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return { contract: inserted, entry: registered };
  });
}

export function contractRoutes(routes: ApiRoutes, { db, temporal, taskQueue, letterSendTime }: ApiDeps): void {
  routes.add({
    method: 'post',
    path: '/api/v1/contracts',
    summary: 'Register an opportunity for a customer; starts its contract workflow',
    roles: ['sales'],
    body: CreateContractSchema,
    responses: { 201: 'registered', 400: 'invalid input', 404: 'no such customer', 409: 'number taken' },
    async handle({ body, actor }) {
      const amount = toMinor(body.amount, 'amount');
      if (amount.minor <= 0) throw invalidInput('amount.value', 'must be positive');
      const customer = await db
        .selectFrom('customers')
        .select(['time_zone', 'grade', 'calendar_id'])
        .where('code', '=', body.customerCode)
        .executeTakeFirst();
      if (!customer) throw invalidInput('customerCode', `no customer ${body.customerCode}`);
      // Planned here, so the workflow's first task needs no planning of its own (one activation, no local activity).
      const approvalPlan = await planWait(db, letterSendTime as SendTime, customer, {
        contractNo: body.no,
        wait: 'approval',
        began: localDateOf(Date.now(), customer.time_zone),
        planned: {},
      });
      const { contract, entry } = await insertRegistration(db, body, amount, actor);
      const input: ContractInput = {
        no: body.no,
        customerCode: body.customerCode,
        timeZone: customer.time_zone,
        amountMinor: amount.minor,
        currency: amount.currency,
        paymentTermsType: body.paymentTermsType,
        terms: body.terms,
        approvalPlan,
      };
      // Started after the commit (no transaction waits on Temporal); if it cannot start, the registration is undone.
      await startContract(temporal, taskQueue, input).catch(async (error: unknown) => {
        await undoRegistration(db, body.no);
        if (error instanceof WorkflowExecutionAlreadyStartedError) throw conflict(`contract ${body.no} already exists`);
        throw error;
      });
      return {
        status: 201,
        body: contractViewOf({ contract, milestones: [], invoices: [], timeline: [entry] }),
        headers: { Location: `/api/v1/contracts/${body.no}` },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/contracts',
    summary:
      'List contracts: search by number, title or customer, filter by stage, owner, department or customer, sorted, a page at a time',
    roles: 'any',
    query: CONTRACT_LIST_QUERY_DOC,
    responses: { 200: 'a page of contracts and the cursor of the next one (null on the last)', 400: 'invalid query' },
    async handle({ query }) {
      const { q, stage, owner, department, customer, sort, limit, cursor } = ContractListQuerySchema.parse(query);
      return { body: await contractList(db, { q, stages: stage, owner, department, customer, sort, limit, cursor }) };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/contracts/:no',
    summary:
      "Read a contract: stage, milestones, invoices and timeline, the customer's name, the account owner and the department",
    roles: 'any',
    responses: { 200: 'the contract', 404: 'no such contract' },
    async handle({ params }) {
      const [contract, parties] = await Promise.all([contractView(db, params.no), contractParties(db, params.no)]);
      return { body: { ...contract, ...parties } };
    },
  });

  for (const action of ACTIONS) {
    routes.add({
      method: 'post',
      path: `/api/v1/contracts/:no/${action}`,
      summary: `Contract transition: ${action}`,
      roles: rolesFor(action),
      rule: ruleFor(action),
      body: ActionSchemas[action] as (typeof ActionSchemas)[Action],
      responses: {
        200: 'accepted; the contract after the transition',
        400: 'invalid input',
        403: 'role not allowed',
        404: 'no such contract',
        409: 'refused, with every reason',
      },
      async handle({ params, body, actor }) {
        const facts = await transitionFacts(db, params.no);
        refuseIfEnded(params.no, facts.stage, action);
        const args = await toTransitionArgs(db, facts, action, body);
        await transitionContract(temporal, params.no, action, { ...args, actor });
        return { body: await contractView(db, params.no) };
      },
    });
  }
}
