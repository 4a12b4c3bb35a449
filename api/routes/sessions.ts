import type { Request } from 'express';
import { CSRF_HEADER, SESSION_COOKIE, cookieValue } from '../auth';
import { conflict, Refused } from '../../domain/refusal';
import { SESSION_MAX_HOURS } from '../../domain/passwords';
import { SIGN_IN_FAILED, signIn, signOut } from '../../services/sessions';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import type { ApiRoutes } from '../route';
import { SignInSchema } from '../schemas/admin';

/** HttpOnly (no script reads it), SameSite=Lax (no cross-site write sends it), Secure when served over https. */
function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'HttpOnly',
    'SameSite=Lax',
    'Path=/',
    `Max-Age=${maxAgeSeconds}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

const isSecure = (req: Request, secureCookies: boolean | undefined) => req.secure || secureCookies === true;

/** Signing in and out of the console (issue 10); the console's pages use exactly these. */
export function sessionRoutes(routes: ApiRoutes, { db, secureCookies }: ApiDeps): void {
  routes.add({
    method: 'post',
    path: '/api/v1/sessions',
    summary:
      'Sign in with name and password: sets the HttpOnly session cookie and returns the person and the CSRF token (no token needed)',
    roles: 'any',
    body: SignInSchema,
    responses: {
      201: 'signed in: Set-Cookie huikuan_session, the person and csrfToken',
      400: 'invalid input',
      401: 'name or password is wrong (the same answer whether the name exists or not)',
      409: 'locked after 5 failed sign-ins (code "locked"), for 15 minutes',
    },
    async handle({ req, body }) {
      try {
        const signedIn = await signIn(db, body.name, body.password, new Date());
        return {
          status: 201,
          headers: {
            'Set-Cookie': sessionCookie(signedIn.sessionSecret, SESSION_MAX_HOURS * 3600, isSecure(req, secureCookies)),
            'Cache-Control': 'no-store',
          },
          body: { person: signedIn.person, csrfToken: signedIn.csrfToken, expiresAt: signedIn.expiresAt },
        };
      } catch (error) {
        if (error instanceof Refused && error.code === SIGN_IN_FAILED)
          throw new HttpError(401, error.message, error.reasons);
        throw error;
      }
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/sessions/current',
    summary: 'Who is signed in with this session cookie, their language and the CSRF token its writes need',
    roles: 'any',
    rule: 'answers 409 for a bearer token, which has no session',
    responses: { 200: 'the person and csrfToken', 409: 'the request came with a bearer token' },
    async handle({ req }) {
      if (!req.session) throw notSession();
      const { id, name, role, locale, csrfToken } = req.session;
      return { headers: { 'Cache-Control': 'no-store' }, body: { person: { id, name, role, locale }, csrfToken } };
    },
  });

  routes.add({
    method: 'delete',
    path: '/api/v1/sessions/current',
    summary: `Sign out: ends the session of the cookie (with its ${CSRF_HEADER}) and clears the cookie`,
    roles: 'any',
    rule: 'answers 409 for a bearer token, which has no session',
    responses: { 200: 'signed out, cookie cleared', 409: 'the request came with a bearer token' },
    async handle({ req }) {
      const secret = req.session ? cookieValue(req.header('cookie'), SESSION_COOKIE) : undefined;
      if (!secret) throw notSession();
      await signOut(db, secret);
      return {
        headers: { 'Set-Cookie': sessionCookie('', 0, isSecure(req, secureCookies)) },
        body: { signedOut: true },
      };
    },
  });
}

const notSession = () =>
  conflict('this request has no session', [
    {
      code: 'not_a_session',
      field: 'Authorization',
      message:
        'it came with a bearer token; sessions are for the console (revoke a token with POST /api/v1/tokens/:id/revoke)',
    },
  ]);
