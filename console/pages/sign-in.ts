import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { ApiDeps } from '../../api/deps';
import { toHttpError } from '../../api/errors';
import type { ApiRoutes } from '../../api/route';
import type { Locale } from '../../domain/locales';
import { formValues } from '../forms';
import { DEFAULT_LOCALE, isLocale, translate } from '../i18n';
import type { ConsoleViews } from '../render';
import { pageSession, sameOrigin } from '../session';
import { inputGuard } from '../../api/input-guard';

/** Only a path of this site: "next" must not send a person elsewhere after signing in. */
export function localPath(next: unknown, fallback = '/'): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : fallback;
}

/** Signing in and out, and the language switch: the session routes of the API, called in this process. */
export function registerSignIn(router: Router, routes: ApiRoutes, views: ConsoleViews, deps: ApiDeps): void {
  const show = (req: Request, res: Response, status: number, data: Record<string, unknown>) => {
    const lang = typeof req.query.lang === 'string' && isLocale(req.query.lang) ? req.query.lang : DEFAULT_LOCALE;
    const locale: Locale = isLocale(data.lang) ? data.lang : lang;
    const frame = { locale, timeZone: deps.defaultTimeZone, currentPath: req.path };
    const next = localPath(data.next ?? req.query.next);
    const nextEncoded = encodeURIComponent(next);
    res
      .status(status)
      .type('html')
      .setHeader('Cache-Control', 'no-store')
      .send(views.page('sign-in', frame, translate(locale, 'signIn.title'), { ...data, next, nextEncoded }));
  };

  router.get('/sign-in', inputGuard, (req, res) => show(req, res, 200, {}));

  router.post('/sign-in', inputGuard, (req, res, next) => {
    const values = formValues(req.body);
    const lang = isLocale(values.lang) ? values.lang : DEFAULT_LOCALE;
    if (!sameOrigin(req)) return show(req, res, 403, { lang, failed: 'signIn.otherSite' });
    routes
      .call('post', '/api/v1/sessions', {
        req,
        actor: undefined,
        body: { name: values.name ?? '', password: values.password ?? '' },
      })
      .then(
        (result) => {
          for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
          res.redirect(303, localPath(values.next));
        },
        (error: unknown) => {
          const http = toHttpError(error);
          if (http.status >= 500) return next(error);
          show(req, res, http.status, {
            lang,
            name: values.name,
            next: localPath(values.next),
            failed: http.status === 409 ? 'signIn.locked' : http.status === 401 ? 'signIn.wrong' : 'signIn.invalid',
            reasons: http.details,
          });
        },
      );
  });

  const signedIn: RequestHandler[] = [sessionRequired(deps), inputGuard];
  router.post('/sign-out', signedIn, (req: Request, res: Response, next: NextFunction) => {
    routes.call('delete', '/api/v1/sessions/current', { req, actor: req.actor }).then((result) => {
      for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
      res.redirect(303, '/sign-in');
    }, next);
  });

  router.post('/locale', signedIn, (req: Request, res: Response, next: NextFunction) => {
    const values = formValues(req.body);
    routes
      .call('patch', '/api/v1/people/:name', {
        req,
        actor: req.actor,
        params: { name: req.actor!.name },
        body: { locale: values.locale },
      })
      .then(() => res.redirect(303, localPath(values.back)), next);
  });
}

const sessionRequired = (deps: ApiDeps) => pageSession(deps.db, deps.sessionIdleMinutes);
