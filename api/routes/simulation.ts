import type { SendTime } from '../../domain/collection';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../route';
import { SimulationRequestSchema } from '../schemas/simulation';
import { runSimulation } from '../simulation';

export function simulationRoutes(routes: ApiRoutes, { db, letterSendTime }: ApiDeps): void {
  routes.add({
    method: 'post',
    path: '/api/v1/policies/:id/simulate',
    summary:
      'Simulate a policy over invoices and their payments, disputes and promises: which letters and tasks would go out when, and totals per step',
    roles: ['admin', 'finance', 'executive'],
    body: SimulationRequestSchema,
    responses: { 200: 'the simulated actions per invoice and a summary', 400: 'invalid input', 404: 'no such policy' },
    async handle({ params, body }) {
      return { body: await runSimulation(db, params.id, body, letterSendTime as SendTime) };
    },
  });
}
