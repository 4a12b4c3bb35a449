/**
 * Runs one TypeScript entry point as a child process and keeps it running: a child that exits is
 * started again after a back-off (1 s doubling to 30 s, back to 1 s once it stayed up a minute).
 * Children talk to the supervisor over IPC: `{ type: 'ready', ... }` once they serve, `{ type:
 * 'failed', message }` to say why a start failed, `{ type: 'fatal', message }` when starting again
 * cannot help (a port held by another program). Each child leads its own
 * process group, so a terminal's Ctrl-C reaches only the supervisor, which stops them in order, and
 * a SIGKILL of the group also takes what the child started (the postmaster, the Temporal server).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { logger } from './logger';
import { PROJECT_ROOT } from './temporal-binaries';

const log = logger('supervisor');

export interface ChildMessage {
  /** ready: serving; failed: why this start failed (a restart may help); fatal: a restart cannot help. */
  type: 'ready' | 'failed' | 'fatal';
  message?: string;
  [key: string]: unknown;
}

export interface ChildSpec {
  /** Short name in logs: api, worker, postgres, temporal. */
  name: string;
  /** What a person calls it in a message: "the worker", "PostgreSQL". */
  label: string;
  /** Entry point, relative to the project root. */
  script: string;
  env: NodeJS.ProcessEnv;
  /** Time between SIGTERM and SIGKILL when stopping. */
  stopGraceMs: number;
  /** Gives up after this many restarts in a row that never became ready; unlimited when absent. */
  maxFailedRestarts?: number;
  /** Clean-up for a child that died without stopping itself (runs while the restart waits). */
  afterDeath?: (pid: number) => Promise<void>;
}

export const FIRST_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 30_000;
/** A child that ran this long is healthy again: its next restart waits FIRST_BACKOFF_MS. */
export const STABLE_AFTER_MS = 60_000;

export function nextBackoff(previousMs: number | undefined, upForMs: number): number {
  if (previousMs === undefined || upForMs >= STABLE_AFTER_MS) return FIRST_BACKOFF_MS;
  return Math.min(previousMs * 2, MAX_BACKOFF_MS);
}

type GiveUp = (child: SupervisedChild, reason: string) => void;

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

export class SupervisedChild {
  private process: ChildProcess | undefined;
  private stopping = false;
  private backoffMs: number | undefined;
  private failedRestarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastMessage = '';
  private readyWaiters: { resolve: (m: ChildMessage) => void; reject: (e: Error) => void }[] = [];
  /** The last ready message (url, address …); the same after a restart. */
  info: ChildMessage | undefined;

  constructor(
    readonly spec: ChildSpec,
    private readonly giveUp: GiveUp,
  ) {}

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Starts the child and resolves with its first ready message. */
  start(): Promise<ChildMessage> {
    const ready = this.nextReady();
    this.spawn();
    return ready;
  }

  private nextReady(): Promise<ChildMessage> {
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private spawn(): void {
    const startedAt = Date.now();
    let becameReady = false;
    const child = spawn(process.execPath, ['--import', 'tsx', this.spec.script], {
      cwd: PROJECT_ROOT,
      env: this.spec.env,
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.process = child;
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        becameReady = true;
        this.failedRestarts = 0;
        this.info = message;
        for (const waiter of this.readyWaiters.splice(0)) waiter.resolve(message);
      } else if (message.type === 'failed') {
        this.lastMessage = message.message ?? 'failed';
      } else if (message.type === 'fatal') {
        this.lastMessage = message.message ?? 'failed';
        this.fail(`${this.spec.label} cannot start: ${this.lastMessage}`);
      }
    });
    child.on('error', (error) => {
      this.lastMessage = error.message;
    });
    child.once('exit', (code, signal) => {
      this.process = undefined;
      if (this.stopping) return;
      if (child.pid !== undefined) void this.spec.afterDeath?.(child.pid).catch(() => {});
      this.scheduleRestart(describeExit(code, signal), Date.now() - startedAt, becameReady);
    });
  }

  private scheduleRestart(exit: string, upForMs: number, becameReady: boolean): void {
    if (!becameReady) this.failedRestarts += 1;
    const max = this.spec.maxFailedRestarts;
    if (max !== undefined && this.failedRestarts > max) {
      this.fail(
        `${this.spec.label} could not be brought back: ${this.failedRestarts} starts in a row failed${this.lastMessage ? ` (last: ${this.lastMessage})` : ''}`,
      );
      return;
    }
    this.backoffMs = nextBackoff(this.backoffMs, upForMs);
    log.warn(
      { child: this.spec.name },
      `${this.spec.name} ${exit} after ${(upForMs / 1000).toFixed(1)} s; restarting in ${this.backoffMs / 1000} s`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopping) this.spawn();
    }, this.backoffMs);
  }

  private fail(reason: string): void {
    if (this.stopping) return;
    const error = new Error(reason);
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error);
    this.giveUp(this, reason);
  }

  /** SIGTERM, then SIGKILL to the child's whole process group after the grace period. */
  async stop(graceMs = this.spec.stopGraceMs): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    for (const waiter of this.readyWaiters.splice(0))
      waiter.reject(new Error(`${this.spec.label} stopped while starting`));
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(child.pid!, 'SIGTERM');
    const killer = setTimeout(() => {
      log.warn({ child: this.spec.name }, `${this.spec.name} did not stop within ${graceMs / 1000} s; killing it`);
      signalGroup(child.pid!, 'SIGKILL');
    }, graceMs);
    await exited;
    clearTimeout(killer);
    // Whatever the child started and left in its group goes with it.
    killGroupOnly(child.pid!);
  }

  /** Last resort on the way out: no process of this child's group survives the supervisor. */
  kill(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (this.process?.pid) signalGroup(this.process.pid, 'SIGKILL');
  }
}

function killGroupOnly(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* the group is empty */
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** For child entry points: report to the supervisor, if there is one. */
export function tellSupervisor(message: ChildMessage): void {
  if (process.send && process.connected) process.send(message);
}

/**
 * For child entry points: when the supervisor goes away (even by SIGKILL) the IPC channel closes;
 * the child then stops by itself, forced after `forceAfterMs`, so nothing is left behind.
 */
export function stopWithSupervisor(stop: () => unknown, forceAfterMs = 5_000): void {
  if (!process.send) return;
  process.once('disconnect', () => {
    setTimeout(() => process.exit(1), forceAfterMs).unref();
    void Promise.resolve()
      .then(stop)
      .catch(() => process.exit(1));
  });
}
