import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { toHttpError } from '../../api/errors';
import { Refused, conflict, invalidInput, notFound, refuse, ruleRefusal } from '../../domain/refusal';
import { REFUSED } from '../../workflows/refusals';

describe('one refusal type, mapped to HTTP in one place', () => {
  it('answers each kind with its status and every reason', () => {
    expect(toHttpError(invalidInput('amount', 'must be positive'))).toMatchObject({
      status: 400,
      message: 'invalid amount',
      details: [{ field: 'amount', message: 'must be positive' }],
    });
    expect(toHttpError(refuse('forbidden', 'closing task 7 needs role sales'))).toMatchObject({ status: 403 });
    expect(toHttpError(notFound('contract HT-1'))).toMatchObject({ status: 404, message: 'contract HT-1 not found' });
    const reasons = [
      { code: 'a', message: 'first' },
      { code: 'b', field: 'x', message: 'second' },
    ];
    expect(toHttpError(conflict('refused', reasons))).toMatchObject({ status: 409, details: reasons });
  });

  it('keeps the rule code of a service refusal for callers that react to one rule', () => {
    const error = ruleRefusal('conflict', 'already_reversed', 'payment 3 was reversed by fay');
    expect(error).toBeInstanceOf(Refused);
    expect(error.code).toBe('already_reversed');
    expect(toHttpError(error)).toMatchObject({
      status: 409,
      details: [{ code: 'already_reversed', message: 'payment 3 was reversed by fay' }],
    });
  });

  it("turns a workflow refusal back into a 409 with the workflow's reasons, through the update failure", () => {
    const reasons = [{ code: 'paused', field: 'step', message: 'the collection is paused by a dispute' }];
    const failure = ApplicationFailure.create({
      type: REFUSED,
      nonRetryable: true,
      message: 'the collection is paused by a dispute',
      details: [reasons],
    });
    const updateFailed = new WorkflowUpdateFailedError('update failed', failure);
    expect(toHttpError(updateFailed)).toMatchObject({ status: 409, message: 'refused', details: reasons });
  });
});
