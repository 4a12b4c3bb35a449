import type { Request, RequestHandler, Response, Router } from 'express';
import { checkCsrf } from '../api/auth';
import type { Actor } from '../domain/roles';
import type { Locale } from '../domain/locales';
import type { SessionActor } from '../services/sessions';
import type { ApiRoutes, RouteResult, RouteSpec } from '../api/route';
import { toHttpError } from '../api/errors';
import { logger } from '../stack/logger';
import { type FormFailure, failureOf, formBody, formValues } from './forms';
import { translate } from './i18n';
import type { ConsoleViews, ViewFrame } from './render';

const log = logger('console');

/** One page request of a signed-in person. */
export interface PageRequest {
  req: Request;
  actor: Actor;
  session: SessionActor;
  locale: Locale;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  t(key: string, values?: Record<string, unknown>): string;
}

/** What a page shows: a view under templates/console/pages, its title and its data. */
export interface View {
  view: string;
  title: string;
  data: Record<string, unknown>;
  status?: number;
}

/** Renders a page; with a failure, the form that was refused is shown again with its reasons and values. */
export type ViewFn = (page: PageRequest, failure?: FormFailure) => Promise<View>;

type Method = RouteSpec['method'];

export interface ActionSpec {
  /** The form's name on the page: the page shows this form's reasons and values after a refusal. */
  form: string;
  /** The API route the form calls, run in this process with the same checks as over HTTP. */
  route: [Method, string];
  /** The route's path parameters; the page's own by default. */
  params?: (page: PageRequest) => Record<string, string>;
  /** The request body; by default the form's fields read by the route's schema (see formBody). */
  body?: (values: Record<string, string>, page: PageRequest) => unknown;
  /** Where to go after it succeeded (POST-redirect-GET). */
  done: (result: RouteResult, page: PageRequest) => string;
  /** The page to show again when the route refuses. */
  view: ViewFn;
  /** Reads a body express does not (a multipart upload) into req.body; the session's CSRF token is checked after it. */
  parser?: RequestHandler;
}

interface NavItem {
  href: string;
  key: string;
  /** The paths under this item (its href when absent). */
  section?: string;
  /** The route behind the page: the item shows to those who may call it. */
  route: [Method, string];
}

/** The console's navigation, in order. */
export const NAV: NavItem[] = [
  { href: '/', key: 'nav.work', route: ['get', '/api/v1/tasks'] },
  { href: '/contracts', key: 'nav.contracts', route: ['get', '/api/v1/contracts'] },
  { href: '/finance', key: 'nav.finance', route: ['get', '/api/v1/invoice-ready'] },
  { href: '/customers', key: 'nav.customers', route: ['get', '/api/v1/customers'] },
  { href: '/dashboard', key: 'nav.dashboard', route: ['get', '/api/v1/reports/aging'] },
  { href: '/policies', key: 'nav.policies', route: ['get', '/api/v1/policies'] },
  { href: '/admin/people', key: 'nav.admin', route: ['get', '/api/v1/people'], section: '/admin' },
];

/** Registers the console's pages and form actions on the console's router. */
export class ConsolePages {
  constructor(
    private readonly router: Router,
    private readonly routes: ApiRoutes,
    private readonly views: ConsoleViews,
    private readonly timeZone: string,
  ) {}

  /** A page (GET). */
  page(path: string, view: ViewFn): void {
    this.router.get(path, (req, res) => {
      const page = this.pageRequest(req);
      this.show(page, res, view).catch((error: unknown) => this.showError(page, res, error));
    });
  }

  /** A form (POST) that calls one API route, then redirects; a refusal shows the page again with every reason. */
  action(path: string, action: ActionSpec): void {
    const handle: RequestHandler = (req, res) => {
      const page = this.pageRequest(req);
      try {
        if (res.locals.csrfAfterParsing) checkCsrf(req, page.session);
      } catch (error) {
        return this.showError(page, res, error);
      }
      this.act(page, res, action).catch((error: unknown) => this.showError(page, res, error));
    };
    if (action.parser) this.router.post(path, action.parser, handle);
    else this.router.post(path, handle);
  }

  /** A GET that leads elsewhere (a download the API makes, behind the console's session check); undefined: 404. */
  redirect(path: string, to: (page: PageRequest) => string | undefined): void {
    this.router.get(path, (req, res, next) => {
      const target = to(this.pageRequest(req));
      if (target === undefined) return next();
      res.redirect(303, target);
    });
  }

  /** Calls an API route as the signed-in person and returns its body. */
  async api<T = Record<string, unknown>>(
    page: PageRequest,
    method: Method,
    path: string,
    call: { params?: Record<string, string>; query?: Record<string, string | undefined>; body?: unknown } = {},
  ): Promise<T> {
    const result = await this.routes.call(method, path, { req: page.req, actor: page.actor, ...call });
    return result.body as T;
  }

  /** Whether the person may call a route: the console shows a form or a link only then. */
  can(page: PageRequest, method: Method, path: string): boolean {
    return this.routes.allows(page.actor, method, path);
  }

  /** Sends a view inside the layout. */
  render(page: PageRequest, res: Response, view: View): void {
    res
      .status(view.status ?? 200)
      .type('html')
      .setHeader('Cache-Control', 'no-store')
      .send(this.views.page(view.view, this.frame(page), view.title, view.data));
  }

  private async show(page: PageRequest, res: Response, view: ViewFn): Promise<void> {
    this.render(page, res, await view(page));
  }

  private async act(page: PageRequest, res: Response, action: ActionSpec): Promise<void> {
    const values = formValues(page.req.body);
    const [method, path] = action.route;
    let result: RouteResult;
    try {
      const body = action.body ? action.body(values, page) : formBody(this.routes.spec(method, path).body, values);
      result = await this.routes.call(method, path, {
        req: page.req,
        actor: page.actor,
        params: action.params ? action.params(page) : page.params,
        body,
      });
    } catch (error) {
      const failure = failureOf(action.form, values, error);
      if (failure.status >= 500) throw error;
      const view = await action.view(page, failure);
      return this.render(page, res, { ...view, status: failure.status });
    }
    res.redirect(303, action.done(result, page));
  }

  private pageRequest(req: Request): PageRequest {
    const session = req.session!;
    const locale = session.locale;
    return {
      req,
      actor: req.actor!,
      session,
      locale,
      params: req.params as Record<string, string>,
      query: req.query as Record<string, string | undefined>,
      t: (key, values) => translate(locale, key, values),
    };
  }

  private frame(page: PageRequest): ViewFrame {
    const currentPath = page.req.path;
    const nav = NAV.filter(
      (item) => this.routes.has(...item.route) && this.routes.allows(page.actor, ...item.route),
    ).map((item) => ({
      href: item.href,
      key: item.key,
      current: item.href === '/' ? currentPath === '/' : currentPath.startsWith(item.section ?? item.href),
    }));
    return {
      locale: page.locale,
      timeZone: this.timeZone,
      person: { name: page.actor.name, role: page.actor.role },
      csrfToken: page.session.csrfToken,
      currentPath,
      currentUrl: page.req.method === 'GET' ? page.req.originalUrl : refererPath(page.req),
      nav,
    };
  }

  private showError(page: PageRequest, res: Response, error: unknown): void {
    const http = toHttpError(error);
    if (http.status >= 500) log.error({ err: error, path: page.req.path }, 'console page failed');
    if (res.headersSent) return;
    try {
      this.render(page, res, {
        view: 'error',
        title: page.t(`error.${http.status}`),
        status: http.status,
        data: { status: http.status, message: http.message, reasons: http.details },
      });
    } catch (renderError) {
      log.error({ err: renderError, path: page.req.path }, 'console error page failed');
      res.status(500).type('text').send('internal error');
    }
  }
}

/**
 * The page a form was posted from (its Referer, when of this site): a page shown again after a refused
 * form has the action's path, which answers no GET, so the language switch goes back to the form's page.
 */
function refererPath(req: Request): string {
  try {
    const referer = new URL(req.get('referer') ?? '');
    return referer.host === req.get('host') ? `${referer.pathname}${referer.search}` : '/';
  } catch {
    return '/';
  }
}
