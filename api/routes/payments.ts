import type { ApiDeps } from '../deps';
import { badRequest } from '../errors';
import { fromMinor, toMinor } from '../money';
import { recordPayment } from '../payments';
import type { ApiRoutes } from '../route';
import { RecordPaymentSchema } from '../schemas';

export function paymentRoutes(routes: ApiRoutes, { db, temporal }: ApiDeps): void {
  routes.add({
    method: 'post', path: '/api/v1/payments', summary: 'Record a payment from a customer and allocate it (named invoice, else oldest open)',
    roles: ['finance'], body: RecordPaymentSchema,
    responses: { 201: 'recorded and allocated', 200: 'this reference was already recorded; the earlier result', 400: 'invalid input', 404: 'no such customer' },
    async handle({ body, actor }) {
      const amount = toMinor(body.amount, 'amount');
      if (amount.minor <= 0) throw badRequest('amount.value', 'must be positive');
      const result = await recordPayment(db, temporal, {
        customerCode: body.customerCode, amountMinor: amount.minor, currency: amount.currency,
        reference: body.reference, receivedOn: body.receivedOn, invoiceNo: body.invoiceNo,
      }, actor);
      return {
        status: result.created ? 201 : 200,
        body: {
          id: result.id, reference: body.reference, amount: body.amount,
          allocations: result.allocations.map((a) => ({ invoiceNo: a.invoiceNo, amount: fromMinor(a.amountMinor, amount.currency), balance: fromMinor(a.balanceMinor, amount.currency) })),
          unallocated: fromMinor(result.unallocatedMinor, amount.currency),
        },
      };
    },
  });
}
