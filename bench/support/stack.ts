/**
 * The embedded stack a bench measures, the way `npm start` runs it: PostgreSQL, a Temporal dev
 * server, an SMTP catcher with its own pool, and the worker and the API as separate processes
 * (bin/worker.ts, bin/api.ts), plus a baseline worker process (trivial-worker.ts) on its own task
 * queue of the same server. Everything lives in a temporary folder and is removed at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { upsertPersonToken } from '../../api/auth';
import { connect, type Db, migrateToLatest } from '../../db/connect';
import type { Role } from '../../domain/roles';
import { startEmbeddedPostgres } from '../../stack/postgres';
import { startSmtpCatcher } from '../../stack/smtp-catcher';
import { findTemporalCli, PROJECT_ROOT } from '../../stack/temporal-binaries';
import { startTemporalDevServer } from '../../stack/temporal-dev-server';
import { freePort } from '../../stack/ports';

export const TASK_QUEUE = 'huikuan-bench';
export const TRIVIAL_TASK_QUEUE = 'trivial-bench';
const PEOPLE: Role[] = ['finance', 'sales', 'delivery', 'executive'];

export interface BenchStack {
  /** The processes whose CPU the benches account for. */
  pids: { worker: number; api: number; trivialWorker: number; temporal: number; postgres: number; bench: number };
  db: Db;
  client: Client;
  apiUrl: string;
  tokens: Record<Role, string>;
  worker: ChildProcess;
  trivialWorker: ChildProcess;
  /** Pings the baseline worker has run so far. */
  pings(): number;
  stop(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident memory of a process in MiB (Linux). */
export function rssMiB(pid: number): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(/(\d+)/.exec(line)![1]) / 1024;
}

function spawnNode(script: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

export async function startBenchStack(
  extraEnv: NodeJS.ProcessEnv = {},
  workerNodeArgs: string[] = [],
): Promise<BenchStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huikuan-bench-'));
  fs.chmodSync(dir, 0o755); // PostgreSQL runs as its own user when we are root
  const postgres = await startEmbeddedPostgres(dir, await freePort());
  const db = connect(postgres.url, 4);
  await migrateToLatest(db);
  const temporal = await startTemporalDevServer(findTemporalCli()!, dir, await freePort(), await freePort());
  const mailboxDb = connect(postgres.url, 2);
  const catcher = await startSmtpCatcher(mailboxDb, await freePort());
  const tokens = {} as Record<Role, string>;
  for (const role of ['admin', ...PEOPLE] as Role[]) {
    tokens[role] = `bench-${role}-${crypto.randomBytes(12).toString('hex')}`;
    await upsertPersonToken(db, { name: `bench ${role}`, role }, tokens[role]);
  }
  const apiPort = await freePort();
  const env = {
    DATABASE_URL: postgres.url,
    TEMPORAL_ADDRESS: temporal.address,
    SMTP_URL: catcher.url,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    LETTER_SEND_TIME: 'immediate',
    PORT: String(apiPort),
    HUIKUAN_MAILBOX: 'embedded',
    ...extraEnv,
  };
  const worker = spawnNode('bin/worker.ts', env, workerNodeArgs);
  const api = spawnNode('bin/api.ts', env);
  let pings = 0;
  const trivialWorker = spawnNode('bench/support/trivial-worker.ts', {
    ...env,
    TEMPORAL_TASK_QUEUE: TRIVIAL_TASK_QUEUE,
  });
  const trivialReady = new Promise<void>((resolve) =>
    trivialWorker.on('message', (m: { pings?: number; ready?: boolean }) => {
      if (m.ready) resolve();
      if (m.pings !== undefined) pings = m.pings;
    }),
  );
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await until(async () => (await fetch(`${apiUrl}/healthz`)).ok, 120_000, 'a healthy API with a polling worker');
  await trivialReady;
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  return {
    pids: {
      worker: worker.pid!,
      api: api.pid!,
      trivialWorker: trivialWorker.pid!,
      temporal: temporal.pid,
      postgres: postgres.pid,
      bench: process.pid,
    },
    db,
    client,
    apiUrl,
    tokens,
    worker,
    trivialWorker,
    pings: () => pings,
    async stop() {
      for (const child of [api, worker, trivialWorker]) child.kill('SIGTERM');
      await sleep(2_000);
      for (const child of [api, worker, trivialWorker]) if (child.exitCode === null) child.kill('SIGKILL');
      await client.connection.close();
      await catcher.stop();
      await mailboxDb.destroy();
      await db.destroy();
      await temporal.stop();
      await postgres.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used, its children that have ended included; for PostgreSQL all its backends. */
function cpuSeconds(pid: number, withChildren: boolean): number {
  const own = (p: number) => {
    try {
      const fields = fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      // fields[11..14] = utime, stime, cutime, cstime (counted from the state field)
      return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      return 0;
    }
  };
  let ticks = own(pid);
  if (withChildren) {
    for (const entry of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      try {
        const ppid = Number(fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
        if (ppid === pid) ticks += own(Number(entry));
      } catch {
        /* gone */
      }
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds per part of the stack, to say where a phase's time went. */
export function cpuByPart(stack: Pick<BenchStack, 'pids'>): Record<string, number> {
  const { pids } = stack;
  return {
    worker: cpuSeconds(pids.worker, false),
    api: cpuSeconds(pids.api, false),
    'trivial worker': cpuSeconds(pids.trivialWorker, false),
    temporal: cpuSeconds(pids.temporal, false),
    postgres: cpuSeconds(pids.postgres, true),
    'bench (client, SMTP catcher)': cpuSeconds(pids.bench, false),
  };
}

/** CPU seconds of each thread of a process, by thread name and id (/proc/<pid>/task/<tid>/comm). */
export function cpuByThread(pid: number): Record<string, number> {
  const byName: Record<string, number> = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const fields = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      const label = tid === String(pid) ? 'main' : `${name}#${tid}`;
      byName[label] = (byName[label] ?? 0) + (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    } catch {
      /* gone */
    }
  }
  return byName;
}

export function cpuSpent(before: Record<string, number>, after: Record<string, number>): string {
  return Object.entries(after)
    .map(([part, seconds]) => `${part} ${(seconds - before[part]).toFixed(1)}`)
    .join(', ');
}

/** Polls /healthz every 200 ms and keeps how long each answer took (a hung one counts its 5 s timeout). */
export class HealthProbe {
  readonly latencies: number[] = [];
  readonly failures: string[] = [];
  private running = true;
  private loop: Promise<void>;

  constructor(apiUrl: string) {
    this.loop = (async () => {
      while (this.running) {
        const started = performance.now();
        try {
          const response = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
          await response.text();
          if (!response.ok) this.failures.push(`HTTP ${response.status}`);
        } catch (error) {
          this.failures.push((error as Error).message);
        }
        this.latencies.push(performance.now() - started);
        await sleep(200);
      }
    })();
  }

  async stop(): Promise<{ samples: number; maxMs: number; p99Ms: number; failures: number }> {
    this.running = false;
    await this.loop;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      samples: sorted.length,
      maxMs: sorted.at(-1) ?? 0,
      p99Ms: percentile(sorted, 99),
      failures: this.failures.length,
    };
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs work over items with at most `limit` at once. */
export async function eachWithLimit<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

export async function apiCall(
  apiUrl: string,
  token: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${apiUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** The machine and its load, a bench's last line. */
export function machineLine(): string {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `machine: ${os.cpus().length} × ${os.cpus()[0].model}, load average ${load}`;
}

/** Runs a bench and exits with its outcome (its own `finally` stops the stack). */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
