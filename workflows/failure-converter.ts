/**
 * The failure converter of the workflow bundle. Temporal's core takes failures as protobuf strings
 * that must be valid UTF-8: a refusal quoting a lone surrogate from a request ("step \ud800 is not
 * waiting") used to make the core reject the whole completion and shut the worker down. Every
 * message and stack trace is made well-formed first, so bad text fails that update, never the worker.
 */
import { DefaultFailureConverter, type PayloadConverter, type ProtoFailure } from '@temporalio/common';
import { wellFormed } from '../domain/text';

export function wellFormedFailure(failure: ProtoFailure): ProtoFailure {
  return {
    ...failure,
    message: failure.message ? wellFormed(failure.message) : failure.message,
    stackTrace: failure.stackTrace ? wellFormed(failure.stackTrace) : failure.stackTrace,
    cause: failure.cause ? wellFormedFailure(failure.cause) : failure.cause,
  };
}

class WellFormedFailureConverter extends DefaultFailureConverter {
  override errorToFailure(error: unknown, payloadConverter: PayloadConverter): ProtoFailure {
    return wellFormedFailure(super.errorToFailure(error, payloadConverter));
  }
}

export const failureConverter = new WellFormedFailureConverter();
