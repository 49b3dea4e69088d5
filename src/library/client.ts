import type { Logger } from 'pino';
import { UsageError } from '../core/errors.js';
import { connectionFromEnv } from '../runtime/connection.js';
import { createLogger, withSecretRedaction } from '../runtime/logger.js';
import { openSession, type Session } from '../runtime/session.js';

/** How to reach one Stream app. Unset fields are read from `env` as the CLI reads them. */
export interface ClientOptions {
  /** Default: `STREAM_BASE_URL`, else https://chat.stream-io-api.com. */
  baseUrl?: string;
  /** Default: `STREAM_API_KEY`. */
  apiKey?: string;
  /** Default: `STREAM_API_SECRET`, else the file `STREAM_API_SECRET_FILE` names. Never logged or shown. */
  apiSecret?: string;
  /** Where unset connection settings are read from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Requests in flight at once, 1–64. Default 8. */
  concurrency?: number;
  /**
   * The percentage (1–100) of each endpoint's rate-limit window stream-sync may use, leaving the rest to the app's
   * own backend. Default: the file's `policy.rate_share`, else 50.
   */
  rateShare?: number;
  /** A pino logger (secrets are redacted before anything reaches it). Default: silent. */
  logger?: Logger;
}

/** A connection to one Stream app: rate-limit pacing, retries and the server's clock, shared by every call made with it. */
export interface Client {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Ends the connections. Calls made after it fail. */
  close(): Promise<void>;
}

const sessions = new WeakMap<Client, { session: Session; rateShareSet: boolean; logger: Logger }>();

/** The session behind a client (internal: the library's calls use it; not exported from the package). */
export function sessionOf(client: Client): { session: Session; rateShareSet: boolean; logger: Logger } {
  const s = sessions.get(client);
  if (!s) throw new UsageError('not a stream-sync client: create one with createClient()');
  return s;
}

/**
 * Connects to a Stream app (or the emulator: `createClient(emulator.connection)`). Nothing is requested until the
 * first call. Throws a UsageError for missing or malformed settings.
 */
export async function createClient(opts: ClientOptions = {}): Promise<Client> {
  const concurrency = whole('concurrency', opts.concurrency ?? 8, 1, 64);
  const rateShare = opts.rateShare === undefined ? undefined : whole('rateShare', opts.rateShare, 1, 100);
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  if (opts.baseUrl !== undefined) env.STREAM_BASE_URL = opts.baseUrl;
  if (opts.apiKey !== undefined) env.STREAM_API_KEY = opts.apiKey;
  if (opts.apiSecret !== undefined) {
    env.STREAM_API_SECRET = opts.apiSecret;
    delete env.STREAM_API_SECRET_FILE;
  }
  const logger = opts.logger ? withSecretRedaction(opts.logger) : createLogger({ level: 'silent' });
  const connection = connectionFromEnv(env, logger);
  const session = await openSession({
    // The library opens the state file of each call itself (StateFile): the session's own is never read.
    configPath: '.',
    statePerRun: true,
    connection,
    concurrency,
    client: { rateShare },
    emulator: false,
    env,
    logger,
    startEmulator: () => Promise.reject(new Error('unreachable: the library never embeds an emulator')),
  });
  const client: Client = {
    baseUrl: connection.baseUrl,
    apiKey: connection.apiKey,
    close: () => session.close(),
  };
  sessions.set(client, { session, rateShareSet: rateShare !== undefined, logger });
  return Object.freeze(client);
}

/** A whole-number option in [min, max], or a UsageError naming it (NaN and fractions included). */
export function whole(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} must be a whole number ${max === Number.MAX_SAFE_INTEGER ? `of ${min} or more` : `from ${min} to ${max}`} (got ${String(value)})`);
  }
  return value;
}
