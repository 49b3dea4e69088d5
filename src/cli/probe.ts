import type { Logger } from 'pino';
import { ApiError, errorMessage, UsageError } from '../core/errors.js';
import { redact } from '../core/secrets.js';
import { connectionOf } from '../runtime/connection.js';
import { type EmbeddedEmulator, openSession } from '../runtime/session.js';
import { environment } from './session.js';

const MIN_SECRET_LENGTH = 8;

/** How to reach the server: the STREAM_* variables, `--env NAME` of the environments file, or `--emulator`. */
export interface ProbeFlags {
  env?: string;
  environments?: string;
  emulator?: boolean;
  /** Per attempt, ms. */
  timeout: number;
}

/**
 * What one authenticated read (GetApp) showed of the server: the JSON `ping --json` prints, and `version`'s
 * `server`. Every key is always present (null when unknown); the API secret is never part of it.
 */
export interface ServerReport {
  ok: boolean;
  base_url: string | null;
  api_key: string | null;
  /** The app's name, as GetApp says it. */
  app: string | null;
  /** From sending GetApp to its answer's headers. */
  round_trip_ms: number | null;
  /** Stream's clock minus this machine's (from the answer's Date header, ±1 s), as stream-sync signs its tokens by. */
  clock_skew_ms: number | null;
  /** GetApp's rate-limit window, from the answer's X-RateLimit-* headers (null when it sent none). */
  rate_limit: { limit: number | null; remaining: number | null; reset: string | null } | null;
  /** Why it failed (ok false). */
  error: string | null;
}

/** Whether the process is set up to connect: credentials in the environment, `--env` or `--emulator`. */
export function connectionConfigured(flags: Pick<ProbeFlags, 'env' | 'emulator'>, env: NodeJS.ProcessEnv): boolean {
  return Boolean(flags.env || flags.emulator || env.STREAM_API_KEY?.trim() || env.STREAM_API_SECRET?.trim() || env.STREAM_API_SECRET_FILE?.trim());
}

/**
 * Opens a session as plan does and makes one cheap authenticated read. One attempt (no back-off: a ping reports what
 * a request meets), except the re-send with a token on Stream's clock that every request gets when its token was
 * refused for its time. Never throws: a failure is the report's `error`.
 */
export async function probeServer(flags: ProbeFlags, io: { env: NodeJS.ProcessEnv; logger: Logger; startEmulator: () => Promise<EmbeddedEmulator> }): Promise<ServerReport> {
  const report: ServerReport = { ok: false, base_url: null, api_key: null, app: null, round_trip_ms: null, clock_skew_ms: null, rate_limit: null, error: null };
  let secret: string | undefined;
  try {
    if (flags.environments && !flags.env) throw new UsageError('--environments names the file --env reads: pass --env NAME too');
    if (flags.env && flags.emulator) throw new UsageError('pass either --env or --emulator');
    const connection = flags.env ? connectionOf(environment(flags)) : undefined;
    const session = await openSession({
      // Nothing is planned: no state file is read (statePerRun keeps it unopened) and no configuration is loaded.
      configPath: '.',
      connection,
      concurrency: 1,
      statePerRun: true,
      client: {
        maxRetries: 0,
        timeoutMs: flags.timeout,
        onRequest: (e) => {
          if (e.status === 'error' || e.op !== 'GetApp') return;
          report.round_trip_ms = Math.round(e.ms);
          const { limit, remaining, reset } = e.rateLimit ?? {};
          const resetAt = reset === undefined ? null : new Date(reset * 1000).toISOString();
          report.rate_limit = limit === undefined && remaining === undefined ? null : { limit: limit ?? null, remaining: remaining ?? null, reset: resetAt };
        },
      },
      emulator: Boolean(flags.emulator),
      env: io.env,
      logger: io.logger,
      startEmulator: io.startEmulator,
    });
    secret = session.conn.apiSecret;
    report.base_url = session.conn.baseUrl;
    report.api_key = session.conn.apiKey;
    try {
      const res = await session.client.send<{ app?: { name?: unknown } }>({ op: 'GetApp', method: 'GET', path: '/api/v2/app', idempotent: true }).finally(() => {
        // Stream's clock as the client learnt it from the answer's Date (and signs its tokens by).
        report.clock_skew_ms = session.client.serverOffsetMs ?? null;
      });
      report.app = typeof res.app?.name === 'string' ? res.app.name : null;
      report.ok = true;
    } finally {
      await session.close();
    }
  } catch (err) {
    const refused = err instanceof ApiError && (err.status === 401 || err.status === 403);
    const message = refused ? `Stream refused the credentials: ${errorMessage(err)}` : errorMessage(err);
    // Stream's answer could quote what it was sent: the secret never leaves this function. (A few characters
    // cannot be told from ordinary text: masking them would garble the message, and they protect nothing.)
    report.error = secret && secret.length >= MIN_SECRET_LENGTH ? redact(message, [secret]) : message;
  }
  return report;
}

/** The report as lines (`ping`, and `version`'s server section), indented by `indent`. */
export function serverLines(r: ServerReport, indent = ''): string[] {
  const lines: [string, string | null][] = [
    ['base url', r.base_url],
    ['api key', r.api_key],
    ['app', r.app],
    ['round trip', r.round_trip_ms === null ? null : `${r.round_trip_ms} ms`],
    ['clock skew', r.clock_skew_ms === null ? null : skewText(r.clock_skew_ms)],
    ['rate limit', r.rate_limit ? rateLimitText(r.rate_limit) : null],
  ];
  const out = lines.filter(([, v]) => v !== null).map(([k, v]) => `${indent}${`${k}:`.padEnd(12)}${v}`);
  if (r.error) out.push(`${indent}${'error:'.padEnd(12)}${r.error}`);
  return out;
}

function skewText(ms: number): string {
  if (ms === 0) return "0 s (within 2 s of this machine's clock)";
  const s = `${ms > 0 ? '+' : '-'}${(Math.abs(ms) / 1000).toFixed(1)} s`;
  return `${s} (Stream's clock is ${ms > 0 ? 'ahead of' : 'behind'} this machine's; stream-sync signs its tokens by Stream's)`;
}

function rateLimitText(r: NonNullable<ServerReport['rate_limit']>): string {
  const left = r.remaining === null ? `limit ${r.limit ?? '?'}` : `${r.remaining} of ${r.limit ?? '?'} left`;
  return `GetApp ${left} in this window${r.reset ? ` (until ${r.reset})` : ''}`;
}
