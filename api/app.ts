import express, { type Express } from 'express';
import { buildOpenApi } from './openapi';
import { authenticate } from './auth';
import type { ApiDeps } from './deps';
import { errorHandler, notFound } from './errors';
import { ApiRoutes } from './route';
import { collectionRoutes } from './routes/collection';
import { contractRoutes } from './routes/contracts';
import { simulationRoutes } from './routes/simulation';
import { customerRoutes } from './routes/customers';
import { creditRoutes } from './routes/credit';
import { invoiceRoutes } from './routes/invoices';
import { paymentRoutes } from './routes/payments';
import { IMPORTS_PATH, importBodyParser, importRoutes } from './routes/imports';
import { policyRoutes } from './routes/policies';
import { calendarRoutes } from './routes/calendars';
import { taskRoutes } from './routes/tasks';
import { reportRoutes } from './routes/reports';
import { peopleRoutes } from './routes/people';
import { HEALTH_SPEC, mailboxRoutes, mountHealth } from './routes/system';

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(IMPORTS_PATH, importBodyParser(deps));
  app.use(express.json({ limit: '1mb' }));
  mountHealth(app, deps);

  const router = express.Router();
  router.use(authenticate(deps.db));
  const routes = new ApiRoutes(router);
  peopleRoutes(routes, deps);
  customerRoutes(routes, deps);
  creditRoutes(routes, deps);
  contractRoutes(routes, deps);
  invoiceRoutes(routes, deps);
  paymentRoutes(routes, deps);
  importRoutes(routes, deps);
  collectionRoutes(routes, deps);
  simulationRoutes(routes, deps);
  policyRoutes(routes, deps);
  calendarRoutes(routes, deps);
  taskRoutes(routes, deps);
  reportRoutes(routes, deps, router);
  mailboxRoutes(routes, deps);
  const openApi = buildOpenApi(routes.specs, [HEALTH_SPEC]);
  router.get('/api/v1/openapi.json', (_req, res) => { res.json(openApi); });
  router.use((req, _res, next) => next(notFound(`route ${req.method} ${req.path}`)));

  app.use(router);
  app.use(errorHandler);
  return app;
}
