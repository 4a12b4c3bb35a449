/** The CPU thread pool: results and errors come back, time limits and the queue bound hold, the loop stays free. */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ThreadJobFailed, ThreadJobTimeout, ThreadPool, ThreadPoolBusy } from '../../stack/threads';
import type * as jobs from '../support/thread-jobs';

const JOBS = path.join(__dirname, '..', 'support', 'thread-jobs.ts');
const pool = new ThreadPool({ size: 1, maxQueued: 2, timeoutMs: 20_000 });

afterAll(() => pool.close());

describe('CPU thread pool', () => {
  it('runs a TypeScript function on a thread and carries its result and its errors back', async () => {
    await expect(pool.run<typeof jobs.add>(JOBS, 'add', [2, 3])).resolves.toBe(5);
    const error = await pool.run<typeof jobs.fail>(JOBS, 'fail', ['out of range']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThreadJobFailed);
    expect(error).toMatchObject({ message: 'out of range', jobErrorName: 'RangeError', data: { field: 'amount' } });
    await expect(pool.run(JOBS, 'nothing', [])).rejects.toThrow(/exports no function nothing/);
  });

  it('keeps the event loop free while a job computes', async () => {
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 50);
    const turns = await pool.run<typeof jobs.spin>(JOBS, 'spin', [1_000]);
    clearInterval(timer);
    expect(turns).toBeGreaterThan(0);
    expect(ticks).toBeGreaterThanOrEqual(10);
  });

  it('ends a job past its time limit and goes on with a fresh thread', async () => {
    const started = Date.now();
    const error = await pool.run<typeof jobs.spin>(JOBS, 'spin', [30_000], { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThreadJobTimeout);
    expect((error as Error).message).toBe('thread-jobs.ts spin did not finish within 0.3 s');
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(pool.run<typeof jobs.add>(JOBS, 'add', [1, 1])).resolves.toBe(2);
  });

  it('refuses a job when the queue is full', async () => {
    const running = [0, 1, 2].map(() => pool.run<typeof jobs.spin>(JOBS, 'spin', [200]));
    await expect(pool.run<typeof jobs.add>(JOBS, 'add', [1, 1])).rejects.toBeInstanceOf(ThreadPoolBusy);
    expect((await Promise.all(running)).every((turns) => turns > 0)).toBe(true);
    expect(pool.pending).toBe(0);
  });
});
