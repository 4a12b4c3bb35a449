import express, { type Express, type Router } from 'express';
import { buildOpenApi } from './openapi';
import { authenticate } from './auth';
import { DEFAULT_TEMPORAL_DEADLINE_MS, type ApiDeps } from './deps';
import { errorHandler } from './errors';
import { notFound } from '../domain/refusal';
import { inputGuard } from './input-guard';
import { createMetrics, mountMetrics } from './metrics';
import { requestLog } from './request-log';
import { ApiRoutes, PUBLIC_PATHS } from './route';
import { collectionRoutes } from './routes/collection';
import { contractRoutes } from './routes/contracts';
import { costRoutes } from './routes/costs';
import { simulationRoutes } from './routes/simulation';
import { customerRoutes } from './routes/customers';
import { creditRoutes } from './routes/credit';
import { invoiceRoutes } from './routes/invoices';
import { paymentRoutes } from './routes/payments';
import { IMPORTS_PATH, importBodyParser, importRoutes } from './routes/imports';
import { policyRoutes } from './routes/policies';
import { stagePolicyRoutes } from './routes/stage-policies';
import { calendarRoutes } from './routes/calendars';
import { taskRoutes } from './routes/tasks';
import { reportRoutes } from './routes/reports';
import { peopleRoutes } from './routes/people';
import { sessionRoutes } from './routes/sessions';
import { mountConsole } from '../console/mount';
import { portalRouter } from '../portal/mount';
import { portalRoutes } from './routes/portal';
import { HEALTH_SPEC, mailboxRoutes, mountHealth } from './routes/system';

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(deps.requestLogger));
  const metrics = createMetrics(deps.db);
  app.use(metrics.middleware);
  mountMetrics(app, metrics, deps.workerMetricsUrl);
  // The customer's page (issue 11): outside /api and the console's session, with its own small body limits.
  app.use('/portal', portalRouter(deps));
  app.use(IMPORTS_PATH, importBodyParser(deps));
  app.use(express.json({ limit: '1mb' }));
  // The console's HTML forms (issue 10): flat fields only; `_csrf` is checked and removed by authentication.
  app.use(express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 1000 }));
  mountHealth(app, deps);

  const router = express.Router();
  router.use(authenticate(deps.db, { publicPaths: PUBLIC_PATHS, sessionIdleMinutes: deps.sessionIdleMinutes }));
  router.use(inputGuard);
  const routes = registerApiRoutes(router, deps);
  // Tests walk every route (the fuzz test); the OpenAPI document is built from the same list.
  app.locals.routeSpecs = routes.specs;
  mountConsole(app, deps, routes);
  router.use((req, _res, next) => next(notFound(`route ${req.method} ${req.path}`)));

  app.use(router);
  app.use(errorHandler);
  return app;
}

/**
 * Every authenticated route, in the order express matches them. The OpenAPI document, docs/api.md's
 * route table and the access-matrix test are all built from the specs this returns.
 */
export function registerApiRoutes(router: Router, deps: ApiDeps): ApiRoutes {
  const routes = new ApiRoutes(router, {
    temporal: deps.temporal,
    ms: deps.temporalDeadlineMs ?? DEFAULT_TEMPORAL_DEADLINE_MS,
  });
  sessionRoutes(routes, deps);
  peopleRoutes(routes, deps);
  customerRoutes(routes, deps);
  creditRoutes(routes, deps);
  contractRoutes(routes, deps);
  costRoutes(routes, deps);
  invoiceRoutes(routes, deps);
  paymentRoutes(routes, deps);
  importRoutes(routes, deps);
  collectionRoutes(routes, deps);
  simulationRoutes(routes, deps);
  policyRoutes(routes, deps);
  stagePolicyRoutes(routes, deps);
  calendarRoutes(routes, deps);
  taskRoutes(routes, deps);
  reportRoutes(routes, deps, router);
  mailboxRoutes(routes, deps);
  portalRoutes(routes, deps, router);
  let openApi: Record<string, unknown> | undefined;
  routes.add({
    method: 'get',
    path: '/api/v1/openapi.json',
    summary: 'This OpenAPI 3 document, generated from the route table and the zod schemas that validate the requests',
    roles: 'any',
    responses: { 200: 'the document' },
    handle: async () => ({ body: (openApi ??= buildOpenApi(routes.specs, [HEALTH_SPEC])) }),
  });
  return routes;
}
