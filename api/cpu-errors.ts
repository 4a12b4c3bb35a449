import { ThreadJobTimeout, ThreadPoolBusy } from '../stack/threads';
import { HttpError } from './errors';

/** A full CPU queue or a job past its time limit is the server's state, not a bug: 503 saying so, not 500. */
export function cpuFailureAsHttp(error: unknown, what: string): unknown {
  if (error instanceof ThreadPoolBusy)
    return new HttpError(503, `too busy to build ${what} now`, [{ code: 'busy', message: error.message }]);
  if (error instanceof ThreadJobTimeout)
    return new HttpError(503, `${what} took too long`, [{ code: 'cpu_timeout', message: error.message }]);
  return error;
}
