/**
 * Runs `npx tsx bin/start.ts` from the repository the way a user's `npm start` does, on free ports
 * and an own data folder, and reads its process tree (for the end-to-end and fault suites).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { freePort } from '../../stack/ports';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface ProcessEntry {
  pid: number;
  ppid: number;
  args: string;
}

export function processTable(): ProcessEntry[] {
  return spawnSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({ pid: Number(match[1]), ppid: Number(match[2]), args: match[3] }));
}

/** pid and every process below it, parents before children. */
export function treeOf(pid: number): ProcessEntry[] {
  const table = processTable();
  const found = table.filter((p) => p.pid === pid);
  for (let i = 0; i < found.length; i++) {
    for (const p of table) if (p.ppid === found[i].pid && !found.includes(p)) found.push(p);
  }
  return found;
}

/** Running, not merely a zombie: an exited process whose parent has not reaped it yet holds nothing. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** pid and command line of each process still alive, for a failure message. */
export function describeAlive(pids: number[]): string[] {
  return pids.filter(isAlive).map((pid) => {
    try {
      return `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`;
    } catch {
      return String(pid);
    }
  });
}

/** Processes whose command line names the data folder: the Temporal dev server and the postmaster. */
export function processesUsing(dir: string): string[] {
  const result = spawnSync('pgrep', ['-a', '-f', dir], { encoding: 'utf8' });
  return result.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

export function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

export function makeDataDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // PostgreSQL runs as its own 'postgres' user when we are root and must reach its data folder.
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** Clears whatever a failed test left on the data folder, then the folder. */
export async function removeDataDir(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 20 && processesUsing(dir).length > 0; attempt++) {
    for (const line of processesUsing(dir))
      killQuietly(Number(line.split(' ')[0]), attempt < 10 ? 'SIGTERM' : 'SIGKILL');
    await sleep(500);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface StackPorts {
  port: number;
  pgPort: number;
  temporalPort: number;
  uiPort: number;
  smtpPort: number;
}

export async function freePorts(): Promise<StackPorts> {
  for (;;) {
    const ports = {
      port: await freePort(),
      pgPort: await freePort(),
      temporalPort: await freePort(),
      uiPort: await freePort(),
      smtpPort: await freePort(),
    };
    if (new Set(Object.values(ports)).size === 5) return ports;
  }
}

export class StackProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    readonly ports: StackPorts,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /**
   * Spawns the launcher; `extraEnv` may add or (with undefined) remove variables. `command` is how it is
   * started: `npx tsx bin/start.ts` by default, or `npm start` as a person or a service manager does.
   */
  static spawn(
    dataDir: string,
    ports: StackPorts,
    extraEnv: Record<string, string | undefined> = {},
    command: [string, ...string[]] = ['npx', 'tsx', 'bin/start.ts'],
  ): StackProcess {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(ports.port),
      EMBEDDED_PG_PORT: String(ports.pgPort),
      TEMPORAL_DEV_PORT: String(ports.temporalPort),
      TEMPORAL_UI_PORT: String(ports.uiPort),
      EMBEDDED_SMTP_PORT: String(ports.smtpPort),
      LETTER_SEND_TIME: 'immediate',
      TEMPORAL_CLI_PATH: inject('temporalCliPath'),
      // The stack as a person runs it: info lines (the banner, the supervisor's restarts) as JSON on stdout.
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    };
    for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL', 'PUBLIC_URL', 'HOST', 'ADMIN_TOKEN'])
      delete env[name];
    for (const [name, value] of Object.entries(extraEnv)) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    const child = spawn(command[0], command.slice(1), {
      cwd: REPO_ROOT,
      env,
      detached: false,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new StackProcess(child, dataDir, ports);
  }

  get apiUrl(): string {
    return `http://localhost:${this.ports.port}`;
  }

  get finished(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  output(): string {
    return `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** Resolves once the banner is printed; throws with the output if the launcher exits first or is too slow. */
  async waitForRunning(timeoutMs = 120_000): Promise<number> {
    const startedAt = Date.now();
    await eventually(
      async () => (this.stdout.includes('Press Ctrl-C to stop.') || this.finished ? true : undefined),
      timeoutMs,
      'the banner',
    ).catch(() => undefined);
    if (!this.stdout.includes('Press Ctrl-C to stop.')) {
      throw new Error(
        `not running after ${Date.now() - startedAt} ms (exit ${this.child.exitCode}, signal ${this.child.signalCode})\n${this.output()}`,
      );
    }
    return Date.now() - startedAt;
  }

  tree(): ProcessEntry[] {
    return treeOf(this.child.pid!);
  }

  /** The process the test spawned (npx or npm itself), as a service manager would know it. */
  get topPid(): number {
    return this.child.pid!;
  }

  /**
   * The node process that runs bin/start.ts, below the `npm exec` → `sh -c tsx` → tsx wrappers.
   * Ctrl-C must reach it: a SIGINT to npx alone is forwarded by npm to its `sh -c` wrapper, and sh
   * (dash) does not pass it on, so the stack would keep running.
   */
  launcherPid(): number | undefined {
    return this.tree()
      .filter((p) => p.args.includes('bin/start.ts'))
      .at(-1)?.pid;
  }

  /** The pid of the supervised process whose command line contains `fragment` (bin/worker.ts, postgres -D …). */
  pidOf(fragment: string): number | undefined {
    return this.tree().find((p) => p.args.includes(fragment))?.pid;
  }

  async waitForPid(fragment: string, other: number | undefined, timeoutMs: number): Promise<number> {
    return eventually(
      async () => {
        const pid = this.pidOf(fragment);
        return pid !== undefined && pid !== other ? pid : undefined;
      },
      timeoutMs,
      `a new process running ${fragment}`,
    );
  }

  /** Ctrl-C to the launcher; resolves with how long the stop took, or 'timeout'. */
  async interrupt(
    limitMs: number,
  ): Promise<{ ms: number; result: { code: number | null; signal: NodeJS.Signals | null } | 'timeout' }> {
    const startedAt = Date.now();
    const launcher = this.launcherPid();
    if (launcher) killQuietly(launcher, 'SIGINT');
    const result = await Promise.race([this.exited, sleep(limitMs).then(() => 'timeout' as const)]);
    return { ms: Date.now() - startedAt, result };
  }

  /** For afterAll: stop whatever is left, by pid, never by process group (the test runner shares ours). */
  async forceStop(): Promise<void> {
    if (this.finished) return;
    const tree = this.tree();
    const launcher = this.launcherPid();
    if (launcher) killQuietly(launcher, 'SIGINT');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!stopped) for (const p of [...tree, ...this.tree()]) killQuietly(p.pid, 'SIGKILL');
  }
}
