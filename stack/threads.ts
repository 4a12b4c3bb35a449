/**
 * A small pool of worker threads for pure CPU-heavy functions (the policy simulation, big exports,
 * import parsing), so the event loop that answers /healthz and API reads is never blocked by them.
 * A job names a TypeScript module and one of its exported functions; arguments and results are
 * structured-cloned. The queue is bounded, each job has a time limit (the thread is ended and
 * replaced when it passes it), and an error thrown by the job comes back as a ThreadJobFailed.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../config/env';

const ENTRY = path.join(__dirname, 'thread-entry.cjs');

/** The queue is full: the caller should answer 503 and let the client retry. */
export class ThreadPoolBusy extends Error {
  name = 'ThreadPoolBusy';
}

export class ThreadJobTimeout extends Error {
  name = 'ThreadJobTimeout';
  constructor(
    readonly job: string,
    readonly timeoutMs: number,
  ) {
    super(`${job} did not finish within ${timeoutMs / 1000} s`);
  }
}

/** The job threw (or its thread died): `jobErrorName` is the original error's name, `data` its own fields. */
export class ThreadJobFailed extends Error {
  name = 'ThreadJobFailed';
  constructor(
    message: string,
    readonly jobErrorName: string,
    jobStack?: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
    if (jobStack) this.stack = `${this.name}: ${message}\n  in the thread: ${jobStack}`;
  }
}

export interface ThreadPoolOptions {
  /** Threads, started when first needed. */
  size: number;
  /** Jobs that may wait for a thread; one more is refused with ThreadPoolBusy. */
  maxQueued: number;
  /** Default time limit of a job, from when it starts on a thread. */
  timeoutMs: number;
  /** Heap limit of each thread, so one huge job cannot exhaust the process. */
  maxHeapMb?: number;
}

export interface JobOptions {
  timeoutMs?: number;
}

// Jobs are functions of any signature; their arguments are checked by the callers' types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => unknown;

interface Job {
  id: number;
  modulePath: string;
  exportName: string;
  args: unknown[];
  timeoutMs: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  worker?: Worker;
  job?: Job;
  timer?: NodeJS.Timeout;
}

export class ThreadPool {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: ThreadPoolOptions) {
    this.slots = Array.from({ length: Math.max(1, options.size) }, () => ({}));
  }

  /** Runs `exportName` of the module at `modulePath` (an absolute path) on a thread. */
  run<F extends AnyFunction>(
    modulePath: string,
    exportName: string,
    args: Parameters<F>,
    options: JobOptions = {},
  ): Promise<Awaited<ReturnType<F>>> {
    if (this.closed) return Promise.reject(new Error('the thread pool is closed'));
    if (!this.slots.some((s) => !s.job) && this.queue.length >= this.options.maxQueued) {
      return Promise.reject(new ThreadPoolBusy(`${this.queue.length} CPU jobs are already waiting; try again shortly`));
    }
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
      this.queue.push({
        id: this.nextId++,
        modulePath,
        exportName,
        args,
        timeoutMs,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.pump();
    });
  }

  /** Jobs running or waiting. */
  get pending(): number {
    return this.queue.length + this.slots.filter((s) => s.job).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('the thread pool was closed'));
    await Promise.all(
      this.slots.map(async (slot) => {
        const { worker } = slot;
        this.finish(slot)?.reject(new Error('the thread pool was closed'));
        slot.worker = undefined;
        await worker?.terminate();
      }),
    );
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      const worker = (slot.worker ??= this.startWorker(slot));
      slot.job = job;
      slot.timer = setTimeout(() => this.timedOut(slot, job), job.timeoutMs);
      worker.ref();
      worker.postMessage({ id: job.id, modulePath: job.modulePath, exportName: job.exportName, args: job.args });
    }
  }

  private startWorker(slot: Slot): Worker {
    const worker = new Worker(ENTRY, {
      execArgv: [],
      resourceLimits: this.options.maxHeapMb ? { maxOldGenerationSizeMb: this.options.maxHeapMb } : undefined,
    });
    worker.on(
      'message',
      (message: {
        id: number;
        ok: boolean;
        value?: unknown;
        error?: { name: string; message: string; stack?: string; data?: Record<string, unknown> };
      }) => {
        if (slot.worker !== worker || slot.job?.id !== message.id) return;
        const job = this.finish(slot)!;
        if (message.ok) job.resolve(message.value);
        else
          job.reject(
            new ThreadJobFailed(message.error!.message, message.error!.name, message.error!.stack, message.error!.data),
          );
        this.pump();
      },
    );
    // An error the job did not catch (or running out of heap) ends the thread: fail its job, start afresh.
    worker.on('error', (error) => this.lost(slot, worker, error));
    worker.on('exit', (code) => this.lost(slot, worker, new Error(`the CPU thread exited with code ${code}`)));
    worker.unref();
    return worker;
  }

  private timedOut(slot: Slot, job: Job): void {
    if (slot.job !== job) return;
    const worker = slot.worker;
    this.finish(slot);
    slot.worker = undefined;
    // A synchronous job cannot be interrupted: only ending its thread stops it.
    void worker?.terminate();
    job.reject(new ThreadJobTimeout(`${path.basename(job.modulePath)} ${job.exportName}`, job.timeoutMs));
    this.pump();
  }

  private lost(slot: Slot, worker: Worker, error: Error): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    this.finish(slot)?.reject(new ThreadJobFailed(error.message, error.name, error.stack));
    if (!this.closed) this.pump();
  }

  /** Frees the slot and returns the job it was running. */
  private finish(slot: Slot): Job | undefined {
    const job = slot.job;
    clearTimeout(slot.timer);
    slot.job = undefined;
    slot.timer = undefined;
    slot.worker?.unref();
    return job;
  }
}

/** The pool settings from the environment schema: CPU_THREADS (default 1, or 2 with 4 cores or more), CPU_QUEUE (16), CPU_JOB_TIMEOUT_MS (60 s). */
export function cpuPoolOptions(): ThreadPoolOptions {
  const config = loadConfig();
  return {
    size: config.CPU_THREADS ?? (os.availableParallelism() >= 4 ? 2 : 1),
    maxQueued: config.CPU_QUEUE,
    timeoutMs: config.CPU_JOB_TIMEOUT_MS,
    maxHeapMb: 1024,
  };
}

let shared: ThreadPool | undefined;

/** The process's pool for CPU-heavy work, made on first use; idle threads do not keep the process alive. */
export function cpuPool(): ThreadPool {
  return (shared ??= new ThreadPool(cpuPoolOptions()));
}
