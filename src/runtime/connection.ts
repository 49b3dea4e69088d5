import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { UsageError } from '../core/errors.js';

export interface Connection {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
}

export const DEFAULT_BASE_URL = 'https://chat.stream-io-api.com';

/**
 * Credentials from the environment only: a secret on a flag would show in `ps`. `STREAM_API_SECRET_FILE` reads
 * a mounted secret (Kubernetes, Docker secrets). `STREAM_API_SECRET` wins when both are set; when they differ
 * (a stale variable shadowing a rotated mounted secret is a classic), `log` is warned, naming neither value.
 */
export function connectionFromEnv(env: NodeJS.ProcessEnv, log?: Pick<Logger, 'warn'>): Connection {
  const apiKey = env.STREAM_API_KEY?.trim();
  if (!apiKey) throw new UsageError('STREAM_API_KEY is not set: set it to your app\'s API key (or pass --emulator to try stream-sync against the local emulator)');
  let apiSecret = env.STREAM_API_SECRET?.trim();
  if (env.STREAM_API_SECRET_FILE) {
    let fromFile: string | undefined;
    try {
      fromFile = readFileSync(env.STREAM_API_SECRET_FILE, 'utf8').trim();
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      if (!apiSecret) throw new UsageError(`cannot read STREAM_API_SECRET_FILE ${env.STREAM_API_SECRET_FILE}: ${reason}`);
      log?.warn({ file: env.STREAM_API_SECRET_FILE, reason }, `STREAM_API_SECRET_FILE cannot be read (${reason}): using STREAM_API_SECRET`);
    }
    if (!apiSecret) apiSecret = fromFile;
    else if (fromFile !== undefined && fromFile !== apiSecret) log?.warn({ file: env.STREAM_API_SECRET_FILE }, SECRET_CONFLICT);
  }
  if (!apiSecret) throw new UsageError('STREAM_API_SECRET is not set: set STREAM_API_SECRET, or STREAM_API_SECRET_FILE to a file holding the secret');
  return { baseUrl: baseUrlOf(env.STREAM_BASE_URL, 'STREAM_BASE_URL'), apiKey, apiSecret };
}

export const SECRET_CONFLICT = 'STREAM_API_SECRET and STREAM_API_SECRET_FILE are both set and differ: using STREAM_API_SECRET (unset one of them)';

/** A named environment's connection (the environments file): its own key, secret and base URL, never the process's. */
export function connectionOf(env: { name: string; connection(): { baseUrl?: string; apiKey: string; apiSecret: string } }): Connection {
  const given = env.connection();
  const { apiKey, apiSecret } = given;
  if (!apiKey.trim()) throw new UsageError(`environment ${env.name}: api_key is empty`);
  if (!apiSecret.trim()) throw new UsageError(`environment ${env.name}: api_secret is empty`);
  return { baseUrl: baseUrlOf(given.baseUrl, `environment ${env.name}: base_url`), apiKey: apiKey.trim(), apiSecret: apiSecret.trim() };
}

function baseUrlOf(raw: string | undefined, what: string): string {
  const baseUrl = (raw?.trim() || DEFAULT_BASE_URL).replace(/\/+$/, '');
  try {
    const u = new URL(baseUrl);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error();
  } catch {
    throw new UsageError(`${what} is not an http(s) URL: ${baseUrl}`);
  }
  return baseUrl;
}

/** `--state-file`, or `.stream-sync/state.json` beside the config (inside it when `-f` is a directory). */
export function defaultStateFile(configPath: string): string {
  let dir = dirname(configPath);
  try {
    if (statSync(configPath).isDirectory()) dir = configPath;
  } catch {
    /* a missing path fails later, in loading */
  }
  return join(dir, '.stream-sync', 'state.json');
}
