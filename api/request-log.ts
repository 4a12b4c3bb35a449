import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { type Logger, logger as namedLogger } from '../stack/logger';

/** The route pattern a request matched (`/api/v1/customers/:code`), so logs and metrics group by route. */
export function routeOf(req: Request): string | undefined {
  return req.route ? `${req.baseUrl}${req.route.path}` : undefined;
}

/** A request ID a caller or proxy sent is kept when it is short and plain; otherwise a new one is made. */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * One log line per request, when its response is finished or the connection closed: request id, method,
 * route (the pattern, not the path, so lines group by route), status, duration and the person. The id
 * is sent back in `X-Request-Id` and is on every error line of that request.
 */
export function requestLog(log: Logger = namedLogger('api')): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const given = req.get('x-request-id');
    const requestId = given && CALLER_REQUEST_ID.test(given) ? given : crypto.randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const fields = {
        requestId,
        method: req.method,
        route: routeOf(req),
        path: req.route ? undefined : req.path,
        status: res.writableFinished ? res.statusCode : undefined,
        aborted: res.writableFinished ? undefined : true,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
        person: req.actor ? `${req.actor.name} (${req.actor.role})` : undefined,
      };
      if (res.statusCode >= 500) log.error(fields, 'request');
      else log.info(fields, 'request');
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}
