/**
 * One logger for every process of the stack (API, worker, supervisor, services): JSON lines, one per
 * event, unless the output is a terminal, where the same events read as short human lines.
 *   LOG_LEVEL   trace | debug | info (default) | warn | error | silent
 *   LOG_FORMAT  json | pretty (default: pretty on a terminal, json otherwise)
 * Secrets (tokens, passwords, authorization and cookie headers) are removed wherever they appear.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;

const REDACTED_PATHS = [
  'token',
  'password',
  'authorization',
  'cookie',
  'smtpUrl',
  'databaseUrl',
  '*.token',
  '*.password',
  '*.authorization',
  '*.cookie',
  '*.smtpUrl',
  '*.databaseUrl',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

export interface LoggerOptions {
  level?: string;
  format?: 'json' | 'pretty';
  /** Where lines go (tests capture them); standard output otherwise. */
  destination?: DestinationStream;
}

function settingsFromEnv(): Required<Pick<LoggerOptions, 'level' | 'format'>> {
  const level = (LOG_LEVELS as readonly string[]).includes(process.env.LOG_LEVEL ?? '')
    ? process.env.LOG_LEVEL!
    : 'info';
  const format =
    process.env.LOG_FORMAT === 'json' || process.env.LOG_FORMAT === 'pretty'
      ? process.env.LOG_FORMAT
      : process.stdout.isTTY
        ? 'pretty'
        : 'json';
  return { level, format };
}

/** Whether lines are for a person (a terminal, or LOG_FORMAT=pretty) rather than for a log collector. */
export function humanOutput(): boolean {
  return settingsFromEnv().format === 'pretty';
}

/** A new root logger; most code wants `logger(name)`, which shares one root per process. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const { level, format } = { ...settingsFromEnv(), ...options };
  const base = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    base: { pid: process.pid },
  };
  if (format === 'pretty') {
    return pino(
      base,
      pretty({
        destination: options.destination ?? 1,
        sync: true,
        colorize: process.stdout.isTTY,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,name',
        messageFormat: '{name}: {msg}',
      }),
    );
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}

let root: Logger | undefined;
const children = new Map<string, Logger>();

/** The logger of one part of this process (api, worker, supervisor, postgres …). */
export function logger(name: string): Logger {
  root ??= createLogger();
  let child = children.get(name);
  if (!child) {
    child = root.child({ name });
    children.set(name, child);
  }
  return child;
}

/** An expected error (a dependency down, a refused send) as log fields; unexpected ones go as `{ err }`, with the stack. */
export function errorFields(error: unknown): Record<string, unknown> {
  return error instanceof Error ? { error: error.message, errorType: error.name } : { error: String(error) };
}

type TemporalLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The Temporal SDK's logger interface on top of ours: `log` calls in workflows and activities keep their
 * level; the SDK's own chatter (worker state changes and the like) below WARN goes to debug.
 */
export function temporalLogger(log: Logger) {
  const write = (level: TemporalLevel, message: string, meta: Record<string | symbol, unknown> = {}) => {
    const fromOurCode = meta.sdkComponent === 'workflow' || meta.sdkComponent === 'activity';
    const pinoLevel = fromOurCode || level === 'WARN' || level === 'ERROR' ? PINO_LEVEL[level] : 'debug';
    log[pinoLevel](meta as object, message);
  };
  return {
    log: write,
    trace: (message: string, meta?: Record<string | symbol, unknown>) => write('TRACE', message, meta),
    debug: (message: string, meta?: Record<string | symbol, unknown>) => write('DEBUG', message, meta),
    info: (message: string, meta?: Record<string | symbol, unknown>) => write('INFO', message, meta),
    warn: (message: string, meta?: Record<string | symbol, unknown>) => write('WARN', message, meta),
    error: (message: string, meta?: Record<string | symbol, unknown>) => write('ERROR', message, meta),
  };
}
