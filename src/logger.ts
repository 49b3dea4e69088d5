import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';

/** Paths redacted as a second line of defence: secrets should never reach a log call in the first place. */
const REDACT = [
  'secret',
  'apiSecret',
  'api_secret',
  'token',
  'authorization',
  '*.secret',
  '*.apiSecret',
  '*.api_secret',
  '*.token',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
];

export function createLogger(opts: { level?: string; format?: LogFormat; destination?: NodeJS.WritableStream } = {}): Logger {
  const format = opts.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const base = { level: opts.level ?? 'info', redact: { paths: REDACT, censor: '(redacted)' } };
  if (format === 'pretty') {
    return pino(base, pretty({ colorize: !process.env.NO_COLOR && Boolean(process.stdout.isTTY), destination: opts.destination ?? 1, sync: true }));
  }
  return pino(base, (opts.destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: true }));
}
