/**
 * What a crashed run can leave behind, found and cleared before a new start: a postmaster.pid whose
 * process is gone, a postmaster or Temporal server still running on our data folder, a port held by
 * someone else (then the message names the port and, when it can be found, the pid and command).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { logger } from './logger';

export interface ProcessInfo {
  pid: number;
  args: string[];
}

export function commandLine(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Processes (other than this one) whose command line matches. */
export function findProcesses(matches: (args: string[]) => boolean): ProcessInfo[] {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => pid !== process.pid)
    .map((pid) => ({ pid, args: commandLine(pid) }))
    .filter((p): p is ProcessInfo => p.args !== undefined && p.args.length > 0 && matches(p.args));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `signal`, waits up to `graceMs`, then SIGKILL; resolves once every pid is gone. */
export async function stopProcesses(pids: number[], signal: NodeJS.Signals, graceMs: number): Promise<void> {
  const send = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  send(signal);
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(100);
  if (pids.some(isAlive)) {
    send('SIGKILL');
    while (pids.some(isAlive)) await sleep(50);
  }
}

/** The pid and command of the process listening on a TCP port, when `ss` can tell. */
function listenerOf(port: number): string | undefined {
  const result = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(result.stdout ?? '');
  if (!match) return undefined;
  const args = commandLine(Number(match[2]));
  return `pid ${match[2]} (${args ? args.join(' ').slice(0, 200) : match[1]})`;
}

/** Throws a message naming the port, the setting and, if known, who holds it, when the port is taken. */
export async function assertPortFree(port: number, host: string, setting: string): Promise<void> {
  const inUse = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
  if (!inUse) return;
  const holder = listenerOf(port);
  throw new Error(
    `port ${port} on ${host} (${setting}) is already in use${holder ? ` by ${holder}` : ''}; stop that process or choose another port`,
  );
}

/**
 * Before PostgreSQL starts on databaseDir: a postmaster of this folder still running (a crashed
 * launcher) is stopped; a postmaster.pid whose process is gone or is not a postmaster is removed.
 */
export async function clearPostgresLeftovers(databaseDir: string): Promise<void> {
  const ours = (args: string[]) =>
    path.basename(args[0]) === 'postgres' && args.includes('-D') && args[args.indexOf('-D') + 1] === databaseDir;
  const running = findProcesses(ours);
  if (running.length > 0) {
    logger('postgres').warn(
      `stopping a PostgreSQL left running on ${databaseDir} (pid ${running.map((p) => p.pid).join(', ')})`,
    );
    await stopProcesses(
      running.map((p) => p.pid),
      'SIGINT',
      5_000,
    );
  }
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  const args = pid > 0 ? commandLine(pid) : undefined;
  if (!args || !ours(args)) {
    logger('postgres').warn(`removing a stale postmaster.pid (pid ${pid} ${args ? 'is another program' : 'is gone'})`);
    fs.rmSync(pidFile, { force: true });
  }
}

/** Before the Temporal dev server starts: one still running on our state file (a crashed launcher) is stopped. */
export async function clearTemporalLeftovers(dbFile: string): Promise<void> {
  const running = findProcesses((args) => args.includes('start-dev') && args.includes(dbFile));
  if (running.length === 0) return;
  logger('temporal').warn(
    `stopping a Temporal dev server left running on ${dbFile} (pid ${running.map((p) => p.pid).join(', ')})`,
  );
  await stopProcesses(
    running.map((p) => p.pid),
    'SIGTERM',
    5_000,
  );
}
