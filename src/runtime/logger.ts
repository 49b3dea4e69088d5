import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import type pretty from 'pino-pretty';
import { logRedactPaths } from '../core/secrets.js';
import { VERSION } from '../core/version.js';
import { KINDS } from '../kinds/registry.js';

/** pino-pretty (and its colour and date libraries) is loaded only when a pretty log is asked for. */
const loadPretty = () => createRequire(import.meta.url)('pino-pretty') as typeof pretty;

export type LogFormat = 'json' | 'pretty';

/** Log paths censored: the connection's credentials and every secret field of every kind. */
const REDACT = logRedactPaths(KINDS.flatMap((k) => k.secretFields));

/** `logger` with the redaction widened to every secret field (for a logger made elsewhere, e.g. by a test). */
export function withSecretRedaction(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: REDACT, censor: '(redacted)' } });
}

/**
 * pino, pretty on a TTY and JSON lines otherwise. `fd` 2 keeps logs off stdout where a command prints its
 * result (a plan, an export); the emulator and the daemon log to stdout.
 */
export function createLogger(opts: { level?: string; format?: LogFormat; fd?: 1 | 2 } = {}): Logger {
  const fd = opts.fd ?? 1;
  const tty = Boolean((fd === 1 ? process.stdout : process.stderr).isTTY);
  const format = opts.format ?? (tty ? 'pretty' : 'json');
  const base = { level: opts.level ?? 'info', redact: { paths: REDACT, censor: '(redacted)' } };
  // Pretty is for a person at a terminal: one line per entry (its fields inline), without pid, host and run id.
  if (format === 'pretty') return pino(base, loadPretty()({ colorize: !process.env.NO_COLOR && tty, destination: fd, sync: true, singleLine: true, ignore: 'pid,hostname,reconcile_id' }));
  return pino({ ...base, ...JSON_LINES }, pino.destination({ dest: fd, sync: true }));
}

/**
 * JSON lines a log pipeline reads without pino's conventions: `"level":"info"` (not 30), an ISO time, and the
 * version that wrote the line (the daemon adds `app` in its child loggers).
 */
export const JSON_LINES = {
  formatters: { level: (label: string) => ({ level: label }) },
  timestamp: pino.stdTimeFunctions.isoTime,
  base: { pid: process.pid, hostname: hostname(), version: VERSION },
};
