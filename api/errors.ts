import type { ErrorRequestHandler } from 'express';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { ZodError } from 'zod';
import type { Refusal } from '../domain/contract-rules';
import { REFUSED } from '../workflows/contract-messages';
import { PaymentRefused } from '../activities/payments';

export interface ErrorDetail {
  code?: string;
  field?: string;
  message: string;
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly details: ErrorDetail[] = []) {
    super(message);
  }
}

export const badRequest = (field: string, message: string) => new HttpError(400, `invalid ${field}`, [{ field, message }]);
export const notFound = (what: string) => new HttpError(404, `${what} not found`);
export const conflict = (message: string, details: ErrorDetail[] = []) => new HttpError(409, message, details);

function zodDetails(error: ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({ code: issue.code, field: issue.path.join('.') || undefined, message: issue.message }));
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
  if (error instanceof WorkflowNotFoundError) return notFound('workflow');
  if (error instanceof PaymentRefused) return paymentRefusal(error);
  const refusal = refusalOf(error);
  if (refusal) {
    const refusals = (refusal.details?.[0] ?? []) as Refusal[];
    return conflict('refused', refusals.length > 0 ? refusals : [{ message: refusal.message }]);
  }
  if (error instanceof WorkflowUpdateFailedError) return conflict(error.cause?.message ?? error.message);
  if (error instanceof SyntaxError && 'body' in error) return new HttpError(400, 'invalid JSON body', [{ message: error.message }]);
  if ((error as { type?: string }).type === 'entity.too.large') return new HttpError(413, 'request body too large', [{ message: (error as Error).message }]);
  return new HttpError(500, 'internal error');
}

/** Unknown things are 404s, invalid references 400s naming the field, everything else a 409 naming the rule. */
function paymentRefusal(error: PaymentRefused): HttpError {
  if (error.code === 'not_found' || error.code === 'unknown_customer') return new HttpError(404, error.message, [{ code: error.code, field: error.field, message: error.message }]);
  if (error.code === 'invoice_not_open') return badRequest(error.field ?? 'invoiceNo', error.message);
  return conflict(error.message, [{ code: error.code, field: error.field, message: error.message }]);
}

export const errorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  const httpError = toHttpError(error);
  if (httpError.status >= 500) console.error(error);
  res.status(httpError.status).json({ error: httpError.message, details: httpError.details });
};
