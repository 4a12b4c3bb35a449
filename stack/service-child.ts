/**
 * Shared by the child processes that run one service for the supervisor (PostgreSQL, the Temporal
 * dev server): stop the service on a signal or when the supervisor goes away, exit non-zero when the
 * service dies on its own so the supervisor starts it again.
 */
import { stopWithSupervisor, tellSupervisor } from './supervisor';
import { errorFields, logger } from './logger';

export interface RunningService {
  exited: Promise<void>;
  stop(): Promise<void>;
}

export class FatalStartError extends Error {}

const STOP_LIMIT_MS = 4_000;

export async function runServiceChild(
  name: string,
  start: () => Promise<RunningService & { ready: Record<string, unknown> }>,
): Promise<void> {
  let service: RunningService | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), STOP_LIMIT_MS + 1_000).unref();
    await service?.stop().catch((error) => logger(name).error(errorFields(error), 'stop failed'));
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop());
  stopWithSupervisor(stop, STOP_LIMIT_MS + 1_000);
  try {
    const started = await start();
    service = started;
    if (stopping) return void (await started.stop());
    tellSupervisor({ type: 'ready', ...started.ready });
    await started.exited;
    if (!stopping) {
      logger(name).error('exited unexpectedly');
      process.exit(1);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const fatal = error instanceof FatalStartError;
    // A fatal message is printed by the supervisor as it gives up; others only here.
    if (!fatal || !process.send) logger(name).error(message);
    tellSupervisor({ type: fatal ? 'fatal' : 'failed', message });
    process.exit(1);
  }
}
