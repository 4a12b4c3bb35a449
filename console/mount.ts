import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
import type { ApiDeps } from '../api/deps';
import { toHttpError } from '../api/errors';
import type { ApiRoutes } from '../api/route';
import { type Locale } from '../domain/locales';
import { inputGuard } from '../api/input-guard';
import { consoleAssets } from './assets';
import { DEFAULT_LOCALE, translate } from './i18n';
import { ConsolePages } from './pages';
import { ConsoleViews } from './render';
import { pageSession } from './session';
import { registerSignIn } from './pages/sign-in';
import { registerWork } from './pages/work';
import { registerContracts } from './pages/contracts';
import { registerContract } from './pages/contract';
import { registerFinance } from './pages/finance';
import { registerInvoice } from './pages/invoice';
import { registerCustomers } from './pages/customers';
import { registerDashboard } from './pages/dashboard';
import { registerFinalAccounts } from './pages/final-accounts';
import { registerPolicies } from './pages/policies';
import { registerAdmin } from './pages/admin';

/** The console's pages and forms, at / beside the API (issue 10); they call the API's routes in this process. */
export function mountConsole(app: Express, deps: ApiDeps, routes: ApiRoutes): void {
  const views = new ConsoleViews();
  app.use(consoleAssets());

  const publicPages = express.Router();
  registerSignIn(publicPages, routes, views, deps);
  publicPages.use(consoleErrors(views, deps));
  app.use(publicPages);

  const router = express.Router();
  // The API answers for itself (bearer token or cookie, JSON errors).
  router.use((req, _res, next) => next(req.path.startsWith('/api/') ? 'router' : undefined));
  router.use(pageSession(deps.db, deps.sessionIdleMinutes, { csrfAfterParser: true }));
  router.use(inputGuard);
  const pages = new ConsolePages(router, routes, views, deps.defaultTimeZone);
  for (const register of [
    registerWork,
    registerContracts,
    registerContract,
    registerFinance,
    registerInvoice,
    registerCustomers,
    registerDashboard,
    registerFinalAccounts,
    registerPolicies,
    registerAdmin,
  ])
    register(pages, deps);
  router.use((req, res) => errorPage(views, deps, req, res, 404, translate(localeOf(req), 'error.404')));
  router.use(consoleErrors(views, deps));
  app.use(router);
}

const localeOf = (req: Request): Locale => req.session?.locale ?? DEFAULT_LOCALE;

function consoleErrors(views: ConsoleViews, deps: ApiDeps): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const http = toHttpError(error);
    errorPage(views, deps, req, res, http.status, http.message, http.details);
  };
}

function errorPage(
  views: ConsoleViews,
  deps: ApiDeps,
  req: Request,
  res: Response,
  status: number,
  message: string,
  reasons: { field?: string; message: string }[] = [],
): void {
  const locale = localeOf(req);
  const frame = {
    locale,
    timeZone: deps.defaultTimeZone,
    currentPath: req.path,
    csrfToken: req.session?.csrfToken,
    person: req.actor ? { name: req.actor.name, role: req.actor.role } : undefined,
  };
  res
    .status(status)
    .type('html')
    .send(views.page('error', frame, translate(frame.locale, `error.${status}`), { status, message, reasons }));
}
