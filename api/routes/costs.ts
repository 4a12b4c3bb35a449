import { localDateOf } from '../../domain/dates';
import { COST_ROLES } from '../../domain/costs';

/** The stage rule in the route table's words; the refusal states it in full (domain/costs.ts). */
const COST_ROUTE_RULE = 'only from the approved budget until the contract closes';
import { invalidInput, notFound } from '../../domain/refusal';
import { contractCostsView, costEntryView } from '../../read-models/costs';
import { recordCost, reverseCost } from '../../services/costs';
import type { ApiDeps } from '../deps';
import { toMinor } from '../money';
import type { ApiRoutes } from '../route';
import { RecordCostSchema } from '../schemas/costs';
import { ReversalSchema } from '../schemas/payments';

/** Actual costs (核算) of a contract and its four calculations; the final account is frozen at close. */
export function costRoutes(routes: ApiRoutes, { db, defaultTimeZone }: ApiDeps): void {
  const today = () => localDateOf(Date.now(), defaultTimeZone);

  routes.add({
    method: 'get',
    path: '/api/v1/contracts/:no/costs',
    summary:
      "A contract's four calculations: estimate, budget, actual costs (every entry, reversed ones marked) with their variances, and the final account once closed",
    roles: 'any',
    responses: { 200: 'the calculations and the cost entries', 404: 'no such contract' },
    async handle({ params }) {
      return { body: await contractCostsView(db, params.no) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/contracts/:no/costs',
    summary: "Record an actual cost (date, category, amount in the contract's currency, reference)",
    roles: COST_ROLES,
    rule: COST_ROUTE_RULE,
    body: RecordCostSchema,
    responses: {
      201: 'recorded; the contract calculations after it',
      200: 'this reference was already recorded with the same figures; nothing added',
      400: 'invalid input, named',
      404: 'no such contract',
      409: 'the contract is not between budget and close, or the reference is taken with other figures',
    },
    async handle({ params, body, actor }) {
      const currency = await contractCurrency(params.no);
      const amount = toMinor(body.amount, 'amount', currency);
      if (body.entryDate > today()) throw invalidInput('entryDate', `${body.entryDate} is after today (${today()})`);
      const { entry, created } = await recordCost(
        db,
        {
          contractNo: params.no,
          entryDate: body.entryDate,
          category: body.category,
          amountMinor: amount.minor,
          currency,
          reference: body.reference,
          note: body.note || undefined,
        },
        actor,
      );
      return {
        status: created ? 201 : 200,
        body: { entry: costEntryView(entry), ...(await contractCostsView(db, params.no)) },
        headers: { Location: `/api/v1/contracts/${params.no}/costs` },
      };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/contracts/:no/costs/:id/reverse',
    summary: 'Reverse a cost entry with a reason (it stays listed, reversed; nothing is deleted)',
    roles: COST_ROLES,
    rule: COST_ROUTE_RULE,
    body: ReversalSchema,
    responses: {
      200: 'reversed; the contract calculations after it',
      400: 'invalid input',
      404: 'no such contract or cost entry',
      409: 'already reversed, or the contract is closed (final account frozen) or cancelled',
    },
    async handle({ params, body, actor }) {
      const id = Number(params.id);
      if (!Number.isSafeInteger(id) || id <= 0) throw invalidInput('id', 'must be a cost entry number');
      const entry = await reverseCost(db, params.no, id, body.reason, actor);
      return { body: { entry: costEntryView(entry), ...(await contractCostsView(db, params.no)) } };
    },
  });

  async function contractCurrency(no: string): Promise<string> {
    const contract = await db.selectFrom('contracts').select('currency').where('no', '=', no).executeTakeFirst();
    if (!contract) throw notFound(`contract ${no}`);
    return contract.currency;
  }
}
