import type { Request, RequestHandler } from 'express';
import type { Db } from '../db/connect';
import { SESSION_COOKIE, checkCsrf, cookieValue } from '../api/auth';
import { sessionActor } from '../services/sessions';

/** Where a person without a session is sent, with the page they wanted. */
export function signInPath(wanted: string): string {
  return wanted === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(wanted)}`;
}

/**
 * The console's pages need a session (the cookie set by signing in): without one a person is sent to
 * sign in; a form without the session's CSRF token is refused (403) before it reaches any command.
 */
export function pageSession(
  db: Db,
  idleMinutes: number | undefined,
  options: { csrfAfterParser?: boolean } = {},
): RequestHandler {
  return (req, res, next) => {
    const secret = cookieValue(req.header('cookie'), SESSION_COOKIE);
    const found = secret ? sessionActor(db, secret, new Date(), idleMinutes) : Promise.resolve(undefined);
    found
      .then((session) => {
        if (!session) return res.redirect(303, signInPath(req.method === 'GET' ? req.originalUrl : '/'));
        req.session = session;
        req.actor = { name: session.name, role: session.role };
        // A multipart form's _csrf field is read with its file: ConsolePages.action checks it after its parser.
        if (options.csrfAfterParser && req.is('multipart/form-data')) res.locals.csrfAfterParsing = true;
        else checkCsrf(req, session);
        next();
      })
      .catch(next);
  };
}

/**
 * Whether a POST comes from a page of this site: browsers send Origin with a form post, so a sign-in
 * posted from another site (to sign the victim into the attacker's account) is refused.
 */
export function sameOrigin(req: Request): boolean {
  const origin = req.get('origin');
  if (!origin) return true;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}
