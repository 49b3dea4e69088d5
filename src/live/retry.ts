import { type Dispatcher, interceptors, type RetryHandler } from 'undici';
import { NOT_CONNECTED_CODES } from './errors.js';

/**
 * Retry policy, plugged into undici's RetryHandler (`interceptors.retry`) as its `retry` callback. undici keeps
 * the mechanics (re-dispatching, counting, the per-request `methods` filter); this module decides, as undici's
 * default callback does, whether a failure is retried, and replaces only the delay: Stream's 429 carries
 * `X-RateLimit-Reset`, and waiting for it beats guessing with back-off.
 */

/** Statuses worth another attempt: rate limited, or a transient failure of the server or an edge layer. */
export const RETRY_STATUSES = [429, 500, 502, 503, 504];

/** Network failures worth another attempt: a connection never made, or one lost or timed out before the answer. */
export const RETRY_ERROR_CODES = [
  ...NOT_CONNECTED_CODES,
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
];

export interface BackoffOptions {
  minBackoffMs: number;
  maxBackoffMs: number;
}

/** What the RetryHandler hands the callback: a RequestRetryError for a status, or the network error. */
export interface FailedAttempt {
  statusCode?: number;
  code?: string;
  headers?: Record<string, string | string[] | undefined>;
}

const header = (headers: FailedAttempt['headers'], name: string) => {
  const v = headers?.[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Exponential back-off with full jitter: uniform between the minimum and min(maximum, minimum × 2^retry),
 * so clients that failed together do not come back together. `retry` counts from 1.
 */
export function backoffDelay(retry: number, o: BackoffOptions, random: () => number): number {
  const floor = Math.min(o.minBackoffMs, o.maxBackoffMs);
  const ceiling = Math.min(o.maxBackoffMs, floor * 2 ** retry);
  return Math.round(floor + random() * Math.max(0, ceiling - floor));
}

/**
 * How long to wait before retry number `retry`. A 429 with `X-RateLimit-Reset` waits until that second (plus
 * jitter, so waiting clients do not return at the same instant), capped by the maximum back-off; a
 * `Retry-After` is honoured as undici does by default; everything else backs off exponentially.
 */
export function retryDelay(f: FailedAttempt, retry: number, o: BackoffOptions, nowMs: number, random: () => number): number {
  if (f.statusCode === 429) {
    const reset = Number(header(f.headers, 'x-ratelimit-reset'));
    const untilReset = reset * 1000 - nowMs;
    if (Number.isFinite(untilReset) && untilReset > 0) return Math.min(o.maxBackoffMs, Math.round(untilReset + random() * o.minBackoffMs));
  }
  const retryAfter = header(f.headers, 'retry-after');
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - nowMs;
    if (ms > 0) return Math.min(o.maxBackoffMs, ms);
  }
  return backoffDelay(retry, o, random);
}

/** undici's default decision, unchanged: error code, method, status and count must all allow another attempt. */
export function shouldRetry(f: FailedAttempt, method: string, o: RetryHandler.RetryOptions, counter: number): boolean {
  if (f.code && f.code !== 'UND_ERR_REQ_RETRY' && !(o.errorCodes ?? []).includes(f.code)) return false;
  if (Array.isArray(o.methods) && !o.methods.includes(method as (typeof o.methods)[number])) return false;
  if (f.statusCode != null && Array.isArray(o.statusCodes) && !o.statusCodes.includes(f.statusCode)) return false;
  return counter <= (o.maxRetries ?? 5);
}

export interface RetryHooks {
  /** Stream's clock (a 429's Reset is on it); read after `observe`. */
  now: () => number;
  /** Every failed attempt, first: what its headers say (Stream's clock) is known before the delay is computed. */
  observe?(f: FailedAttempt): void;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  /** A failed attempt is about to be retried after `delayMs` (stats, logs). Not called for the final failure. */
  onRetry(f: FailedAttempt, retry: number, delayMs: number): void;
  /** Runs after the back-off, just before the next attempt is dispatched (pacing, a fresh token). */
  beforeRetry(): Promise<void>;
  /**
   * A further condition on retrying, beyond the default decision: a non-idempotent request may be sent again
   * only when the failure proves it was not processed (a 429, or a connection that was never made).
   */
  retryable?(f: FailedAttempt): boolean;
}

/**
 * The `retry` callback for one request. It runs for every failed attempt: with `throwOnError: false` the
 * RetryHandler consults it before delivering a failed response, so the last failure reaches the caller with
 * its body (Stream's error envelope) instead of a bodiless RequestRetryError.
 */
export function retryCallback(hooks: RetryHooks): RetryHandler.RetryCallback {
  return (err, { state, opts }, cb) => {
    const f = err as FailedAttempt;
    hooks.observe?.(f);
    const o = opts.retryOptions ?? {};
    if (!shouldRetry(f, opts.method, o, state.counter) || (hooks.retryable && !hooks.retryable(f))) {
      cb(err);
      return;
    }
    const delayMs = retryDelay(f, state.counter, { minBackoffMs: o.minTimeout ?? 500, maxBackoffMs: o.maxTimeout ?? 30_000 }, hooks.now(), hooks.random);
    hooks.onRetry(f, state.counter, delayMs);
    hooks
      .sleep(delayMs)
      .then(() => hooks.beforeRetry())
      .then(
        () => cb(null),
        (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))),
      );
  };
}

/**
 * The RetryHandler with the client's defaults; each request adds its own `retry` callback (bound to it) and
 * `methods`, merged over these.
 */
export function retryInterceptor(o: BackoffOptions & { maxRetries: number }): Dispatcher.DispatcherComposeInterceptor {
  return interceptors.retry({
    // The last failed response reaches the caller with its body (Stream's error envelope).
    throwOnError: false,
    maxRetries: o.maxRetries,
    minTimeout: o.minBackoffMs,
    maxTimeout: o.maxBackoffMs,
    statusCodes: RETRY_STATUSES,
    errorCodes: RETRY_ERROR_CODES,
    methods: [],
  });
}
