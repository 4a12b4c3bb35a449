import type { ErrorRequestHandler } from 'express';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcServiceError,
} from '@temporalio/client';
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { ZodError } from 'zod';
import { type Refusal, type RefusalKind, type RefusalReason, Refused } from '../domain/refusal';
import { REFUSED } from '../workflows/refusals';
import { logger } from '../stack/logger';

const log = logger('api');

/** An answer that is not a command's refusal: authentication, limits, a part of the stack down, a bug. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: RefusalReason[] = [],
  ) {
    super(message);
  }
}

const REFUSAL_STATUS: Record<RefusalKind, number> = { invalid: 400, forbidden: 403, not_found: 404, conflict: 409 };

function zodDetails(error: ZodError): RefusalReason[] {
  return error.issues.map((issue) => ({
    code: issue.code,
    field: issue.path.join('.') || undefined,
    message: issue.message,
  }));
}

/** Finds the refusal a workflow validator or activity raised, through the chain of Temporal failures. */
function refusalOf(error: unknown): ApplicationFailure | undefined {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure && current.type === REFUSED) return current;
    current = (current as TemporalFailure).cause;
  }
  return undefined;
}

export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof ZodError) return new HttpError(400, 'invalid request', zodDetails(error));
  if (error instanceof WorkflowNotFoundError) return new HttpError(404, 'workflow not found');
  if (error instanceof Refused) return new HttpError(REFUSAL_STATUS[error.kind], error.message, error.reasons);
  const refusal = refusalOf(error);
  if (refusal) {
    const refusals = (refusal.details?.[0] ?? []) as Refusal[];
    return new HttpError(409, 'refused', refusals.length > 0 ? refusals : [{ message: refusal.message }]);
  }
  if (error instanceof WorkflowUpdateFailedError) return new HttpError(409, error.cause?.message ?? error.message);
  return requestError(error) ?? postgresError(error) ?? temporalError(error) ?? new HttpError(500, 'internal error');
}

/** Messages for the errors express and body-parser raise with a 4xx status (http-errors), by their type. */
const REQUEST_ERRORS: Record<string, { message: string; field: string }> = {
  'entity.parse.failed': { message: 'invalid JSON body', field: 'body' },
  'entity.too.large': { message: 'request body too large', field: 'body' },
  'charset.unsupported': { message: 'unsupported charset: send JSON in UTF-8', field: 'Content-Type' },
  'encoding.unsupported': {
    message: 'unsupported content encoding: send identity, gzip or deflate',
    field: 'Content-Encoding',
  },
  'request.aborted': { message: 'request aborted', field: 'body' },
  'request.size.invalid': { message: 'request size did not match Content-Length', field: 'Content-Length' },
  'parameters.too.many': { message: 'too many parameters', field: 'body' },
};

/** Errors raised before a route runs (body parsing, path decoding) keep their 4xx status, explained. */
function requestError(error: unknown): HttpError | undefined {
  const { status, type, message } = (error ?? {}) as { status?: unknown; type?: string; message?: string };
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  const known = type ? REQUEST_ERRORS[type] : undefined;
  if (known)
    return new HttpError(status, known.message, [
      { code: type, field: known.field, message: message ?? known.message },
    ]);
  // express's own: a path parameter that is not valid percent-encoding ("Failed to decode param '%'").
  return new HttpError(status, status === 400 ? 'invalid request' : (message ?? 'invalid request'), [
    { field: type ? undefined : 'path', message: message ?? 'invalid request' },
  ]);
}

/** PostgreSQL data errors that only input can cause (text with NUL, numbers and dates out of range, too long). */
const PG_INPUT_ERRORS = new Set(['22021', '22P05', '22003', '22007', '22008', '22001', '22P02']);
/** PostgreSQL is shutting down, starting, or the connection failed (class 08). */
const PG_UNAVAILABLE = /^(57P01|57P02|57P03|08...|53300)$/;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
]);
/** What node-postgres and its pool say when a connection cannot be had or was lost. */
const PG_CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|Client was closed and is not queryable/i;

interface PgLikeError {
  code?: unknown;
  severity?: unknown;
  column?: string;
  message?: string;
  errors?: unknown[];
}

function postgresError(error: unknown): HttpError | undefined {
  if (!(error instanceof Error) || isGrpcServiceError(error)) return undefined;
  const pg = error as PgLikeError;
  if (typeof pg.code === 'string' && typeof pg.severity === 'string') {
    if (PG_INPUT_ERRORS.has(pg.code))
      return new HttpError(400, 'invalid input', [
        { code: `postgres_${pg.code}`, field: pg.column, message: pg.message ?? 'invalid input' },
      ]);
    if (PG_UNAVAILABLE.test(pg.code)) return unavailable('postgres', pg.message);
    return undefined;
  }
  const network = typeof pg.code === 'string' && NETWORK_CODES.has(pg.code);
  const nested =
    Array.isArray(pg.errors) && pg.errors.some((e) => NETWORK_CODES.has((e as PgLikeError).code as string));
  if (network || nested || PG_CONNECTION_MESSAGES.test(error.message)) return unavailable('postgres', error.message);
  return undefined;
}

/** Temporal's gRPC failures anywhere in the cause chain: the server down, or no answer in time (workers behind or none). */
function temporalError(error: unknown): HttpError | undefined {
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return workerUnavailable();
  for (let current: unknown = error; current instanceof Error; current = (current as { cause?: unknown }).cause) {
    if (!isGrpcServiceError(current)) continue;
    if (current.code === GRPC_DEADLINE_EXCEEDED) return workerUnavailable();
    if (current.code === GRPC_UNAVAILABLE) return unavailable('temporal', current.details || current.message);
  }
  return undefined;
}

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

export function unavailable(part: 'postgres' | 'temporal' | 'worker', message = `${part} did not answer`): HttpError {
  return new HttpError(503, `${part} unavailable`, [{ code: 'unavailable', field: part, message }]);
}

const workerUnavailable = () =>
  unavailable(
    'worker',
    'Temporal gave no answer in time: the workers are behind (busy, or none polling the task queue) or the Temporal server is unreachable. ' +
      'A change asked for may still be applied once a worker gets to it: look at the record before asking again',
  );

export const errorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  const httpError = toHttpError(error);
  const requestId = res.locals.requestId as string | undefined;
  if (httpError.status === 500) log.error({ requestId, err: error }, 'unexpected error');
  else if (httpError.status >= 500)
    log.warn({ requestId, part: httpError.details[0]?.code, reason: httpError.details[0]?.message }, httpError.message);
  res.status(httpError.status).json({ error: httpError.message, details: httpError.details });
};
