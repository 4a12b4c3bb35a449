/**
 * The one way a command says no. Services, the API and the CLI throw `Refused`; workflows raise the
 * same reasons as a Temporal failure (workflows/refusals.ts) that the API turns back into `Refused`.
 * The API maps the kind to a status (invalid 400, forbidden 403, not_found 404, conflict 409).
 */

/** One reason a request is refused; `field` points at the input that caused it when there is one. */
export interface Refusal {
  code: string;
  message: string;
  field?: string;
}

/** A reason as the API shows it: rules carry a code, plain input errors may not. */
export interface RefusalReason {
  code?: string;
  field?: string;
  message: string;
}

export type RefusalKind = 'invalid' | 'forbidden' | 'not_found' | 'conflict';

export class Refused extends Error {
  override readonly name = 'Refused';

  constructor(
    readonly kind: RefusalKind,
    message: string,
    readonly reasons: RefusalReason[] = [],
  ) {
    super(message);
  }

  /** The first reason's code, for callers that react to one rule (e.g. an already-reversed payment). */
  get code(): string | undefined {
    return this.reasons[0]?.code;
  }
}

export function refuse(kind: RefusalKind, message: string, reasons: RefusalReason[] = []): Refused {
  return new Refused(kind, message, reasons);
}

/** One input field is wrong. */
export function invalidInput(field: string, message: string, code?: string): Refused {
  return refuse('invalid', `invalid ${field}`, [{ code, field, message }]);
}

export function notFound(what: string, reason?: RefusalReason): Refused {
  return refuse('not_found', `${what} not found`, reason ? [reason] : []);
}

export function conflict(message: string, reasons: RefusalReason[] = []): Refused {
  return refuse('conflict', message, reasons);
}

/** A rule with a code refused it: the reason repeats the message so every answer has at least one. */
export function ruleRefusal(kind: RefusalKind, code: string, message: string, field?: string): Refused {
  return refuse(kind, message, [{ code, field, message }]);
}
