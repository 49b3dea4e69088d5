import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type Dispatcher, Pool, type RetryHandler } from 'undici';
import { ApiError, UsageError } from '../core/errors.js';
import type { Api, ApiRequest } from '../core/api.js';
import type { Rec } from '../core/model.js';
import { VERSION } from '../core/version.js';
import { notJsonError, provedNotProcessed, tokenRefusedForTime, toApiError, toTransportError } from './errors.js';
import type { WindowUsage } from './budget.js';
import { type Grant, Pacer, type RateLimitHeaders, readRateLimitHeaders, Semaphore, sleepMs, type WaitReason } from './pacer.js';
import { type FailedAttempt, retryCallback, retryInterceptor } from './retry.js';
import { ServerToken } from './token.js';
import { parseBaseUrl, requestPath } from './url.js';

export interface RequestEvent {
  op: string;
  method: string;
  /** The HTTP status, or `error` when no answer arrived. */
  status: number | 'error';
  ms: number;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /** What the answer's X-RateLimit-* headers said of the operation's window (absent when no answer arrived). */
  rateLimit?: RateLimitHeaders;
}

export interface ClientStats {
  /** Attempts per operation and status (`error`: no answer). */
  requests: Record<string, Record<string, number>>;
  retries: number;
  /** 429 answers seen, retried or not. */
  rateLimited: number;
  /** Requests other than GET (each counted once, however many attempts it took). */
  writes: number;
}

export interface ApiClientOptions {
  /** e.g. `https://chat.stream-io-api.com`; a path prefix is kept. */
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Requests in flight at once (`--concurrency`). Default 8. */
  concurrency?: number;
  /**
   * The percentage of every endpoint's rate-limit window stream-sync may use (`--rate-share`, 1–100); it uses less
   * when other clients of the app need more. Default `DEFAULT_RATE_SHARE` (50).
   */
  rateShare?: number;
  /**
   * Per attempt: the longest wait for the answer's headers, and between body chunks. Default 10 s. undici
   * checks these on a coarse timer, so expect up to about a second more.
   */
  timeoutMs?: number;
  /** Retries after the first attempt, for idempotent requests. Default 5. */
  maxRetries?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Per-request lines at debug; a wait longer than 2 s (a spent rate-limit window, a back-off) at warn. */
  logger?: Pick<Logger, 'debug'> & Partial<Pick<Logger, 'warn'>>;
  onRequest?: (event: RequestEvent) => void;
  /** Injected clock (ms since epoch), for token expiry and pacing. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** A dispatcher to send through instead of the client's own Pool (not closed by `close()`). */
  dispatcher?: Dispatcher;
  /**
   * Aborts the requests in flight when it aborts (a reading command's deadline: nothing to finish). Without it, a
   * request in flight always runs to its answer or its timeout (an apply's writes).
   */
  abortInFlight?: AbortSignal;
}

/** Why a request waits for its endpoint's budget, as the warning says it. */
const WAIT_REASONS: Record<WaitReason, (share: number) => string> = {
  share: (share) => `its share of the rate-limit window (${share} %) is used`,
  reserve: () => "the rest of the rate-limit window is the app's other clients' (their pace until it ends)",
  spent: () => 'its rate-limit window is spent',
};

/** Waits at least this long are said at warn: a quiet pause of this length already looks like a hang. */
const LONG_WAIT_MS = 2_000;

/** Stream's HTTP API as the reconciler uses it: authenticated, paced, bounded, retried where safe, typed errors. */
export class ApiClient implements Api {
  readonly #token: ServerToken;
  private readonly apiKey: string;
  private readonly origin: string;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher;
  /** The Pool this client created (closed by `close()`); undefined for an injected dispatcher. */
  private readonly pool?: Pool;
  private readonly pacer: Pacer;
  private readonly slots: Semaphore;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly log?: Pick<Logger, 'debug'> & Partial<Pick<Logger, 'warn'>>;
  /** Per operation, when the last wait said at warn ends: the requests queued behind it wait the same wait. */
  private readonly warnedUntil = new Map<string, number>();
  private readonly onRequest?: (event: RequestEvent) => void;
  private readonly abortInFlight?: AbortSignal;
  private readonly counters: ClientStats = { requests: {}, retries: 0, rateLimited: 0, writes: 0 };
  private closed = false;

  constructor(opts: ApiClientOptions) {
    const base = parseBaseUrl(opts.baseUrl);
    if (!opts.apiKey) throw new UsageError('the Stream API key is missing');
    if (!opts.apiSecret) throw new UsageError('the Stream API secret is missing');
    const concurrency = opts.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`concurrency must be a positive integer, got ${concurrency}`);
    const minBackoffMs = opts.minBackoffMs ?? 200;
    const maxBackoffMs = opts.maxBackoffMs ?? 30_000;

    this.#token = new ServerToken(opts.apiSecret, opts.now);
    this.apiKey = opts.apiKey;
    this.origin = base.origin;
    this.prefix = base.prefix;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? sleepMs;
    this.random = opts.random ?? Math.random;
    this.log = opts.logger;
    this.onRequest = opts.onRequest;
    this.abortInFlight = opts.abortInFlight;
    // An attempt is never in flight longer than its timeout (undici checks it on a coarse timer, hence the slack).
    this.pacer = new Pacer({
      now: this.now,
      sleep: this.sleep,
      maxResetWaitMs: maxBackoffMs,
      inFlightCapMs: this.timeoutMs + 2_000,
      share: opts.rateShare,
      serverOffsetMs: () => this.#token.serverOffsetMs,
      onWait: (op, ms, why) => this.noteWait(op, ms, WAIT_REASONS[why](this.pacer.sharePercent)),
    });
    this.slots = new Semaphore(concurrency);

    if (!opts.dispatcher) {
      this.pool = new Pool(this.origin, {
        connections: concurrency,
        // Under the 60 s idle timeout of Stream's load balancers: we drop idle sockets before they do,
        // instead of writing a request into a connection being closed.
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 50_000,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        connect: { timeout: this.timeoutMs },
      });
    }
    this.dispatcher = (opts.dispatcher ?? this.pool!).compose(retryInterceptor({ maxRetries: opts.maxRetries ?? 5, minBackoffMs, maxBackoffMs }));
  }

  /** Preloads per-minute limits (tests): pacing is then right before the first answer's headers. */
  seed(limits: Record<string, number>): void {
    this.pacer.seed(limits);
  }

  /** Changes the share of every endpoint's window stream-sync may use (percent, 1–100). */
  setRateShare(percent: number): void {
    this.pacer.setShare(percent);
  }

  get rateShare(): number {
    return this.pacer.sharePercent;
  }

  /** Stream's clock minus this machine's, in ms, from the answers' `Date` (tokens are signed by it); undefined before one said it. */
  get serverOffsetMs(): number | undefined {
    return this.#token.serverDateSeen ? this.#token.serverOffsetMs : undefined;
  }

  /** Each endpoint's last complete rate-limit window: its limit, this client's requests and other clients'. */
  lastWindows(): WindowUsage[] {
    return this.pacer.lastWindows();
  }

  /** How many requests of `op` this client may make per window now (undefined while its limit is unknown). */
  allowance(op: string): number | undefined {
    return this.pacer.allowance(op);
  }

  /**
   * The next request signs a new token. A long-lived caller (the daemon) calls it at the start of each run, as
   * each CLI run starts with a new token: a cached one ages by this machine's clock, and when that clock is behind
   * Stream's by more than the renewal margin (a minute), Stream sees the token expire before it is renewed.
   */
  renewToken(): void {
    this.#token.renew();
  }

  /**
   * Paces by the app's own limits: one GetRateLimits (server-side) at the start of a run, each endpoint's
   * `{limit, remaining, reset}` taken as its answers' headers would be. Best effort: sent as non-idempotent so
   * a failed answer is not retried with back-offs that would delay the run (only a refusal that provably did
   * nothing, a 429 or a connection never made, is re-sent, as for any request); on any failure the published
   * defaults stay, except a 401, which is thrown. Returns whether it seeded.
   */
  async seedFromApi(): Promise<boolean> {
    try {
      const res = await this.send<{ server_side?: Record<string, Rec | null> }>({ op: 'GetRateLimits', method: 'GET', path: '/api/v2/rate_limits', query: { server_side: true }, idempotent: false });
      const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
      for (const [op, info] of Object.entries(res.server_side ?? {})) {
        if (info && typeof info === 'object') this.pacer.observe(op, { limit: num(info.limit), remaining: num(info.remaining), reset: num(info.reset) });
      }
      return true;
    } catch (err) {
      // A refused identity fails every request of the run the same way: stop at this one, no fan-out of reads.
      if (err instanceof ApiError && err.status === 401) throw err;
      this.log?.debug({ op: 'GetRateLimits', err: err instanceof Error ? err.message : String(err) }, 'GetRateLimits failed; pacing by the published limits');
      return false;
    }
  }

  /**
   * A wait long enough to look like a hang is said at warn, with the endpoint and how long: once per operation
   * and wait (the requests queued behind the first wait as long, and say nothing more).
   */
  private noteWait(op: string, ms: number, why: string): void {
    if (ms < LONG_WAIT_MS || !this.log?.warn) return;
    const until = this.now() + ms;
    if (until <= (this.warnedUntil.get(op) ?? 0) + 1_000) return;
    this.warnedUntil.set(op, until);
    this.log.warn({ op, wait_ms: Math.round(ms) }, `waiting ${(ms / 1000).toFixed(1)} s before ${op}: ${why}`);
  }

  stats(): ClientStats {
    return structuredClone(this.counters);
  }

  async send<T = Rec>(req: ApiRequest): Promise<T> {
    if (this.closed) throw new Error(`${req.op}: the API client is closed`);
    const path = requestPath(this.prefix, this.apiKey, req);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (req.method !== 'GET') this.counters.writes++;
    const grant = await this.pacer.acquire(req.op, () => this.slots.acquire());
    const sentWith = { token: '' };
    try {
      return await this.exchange<T>(req, path, body, grant, sentWith);
    } catch (err) {
      // Stream refused the token for its time (expired, or not valid yet: this machine's clock is off, and the
      // answer's Date has now said by how much): the request was refused before anything happened, so it is sent once
      // more, with a token signed by Stream's clock. (One refused again when new is terminal, as every auth failure.)
      if (!tokenRefusedForTime(err) || !this.#token.refusedForTime(sentWith.token)) throw err;
      return await this.exchange<T>(req, path, body, await this.pacer.retryTurn(req.op), sentWith);
    } finally {
      grant();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool?.close();
  }

  /**
   * One request, its retries included; `grant` is its first attempt's turn (each retry takes a turn of its own).
   * `sentWith.token` is the token of the latest attempt.
   */
  private async exchange<T>(req: ApiRequest, path: string, body: string | undefined, grant: Grant, sentWith: { token: string }): Promise<T> {
    sentWith.token = await this.#token.token();
    const headers: Record<string, string> = {
      authorization: sentWith.token,
      'stream-auth-type': 'jwt',
      'x-stream-client': `stream-sync-${VERSION}`,
      'user-agent': `stream-sync/${VERSION}`,
      // One id per logical request, kept across retries, so server logs can tie the attempts together.
      'x-client-request-id': randomUUID(),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let attempt = 1;
    let started = this.now();
    // The attempt on the wire: the pacer counts it against the endpoint's share until its answer is in.
    let turn = grant;

    const retry = retryCallback({
      observe: (f) => this.observeDate(f.headers),
      // A 429's Reset is on Stream's clock.
      now: () => this.now() + this.#token.serverOffsetMs,
      random: this.random,
      sleep: this.sleep,
      onRetry: (f: FailedAttempt, _retry, delayMs) => {
        turn.answered();
        this.counters.retries++;
        this.observe(req, f.statusCode ?? 'error', attempt, started, f.headers);
        this.log?.debug({ op: req.op, method: req.method, path: req.path, status: f.statusCode, code: f.code, attempt, delayMs }, 'retrying Stream API request');
        this.noteWait(req.op, delayMs, f.statusCode === 429 ? 'rate limited (429)' : `retrying after ${f.statusCode ?? f.code ?? 'a failure'}`);
      },
      beforeRetry: async () => {
        // A retry is a request like any other for the endpoint's budget.
        turn = await this.pacer.retryTurn(req.op);
        // RetryHandler re-dispatches the same options object: refreshing the header here keeps a long
        // series of back-offs from outliving the token.
        headers.authorization = sentWith.token = await this.#token.token();
        attempt++;
        started = this.now();
      },
      // Any request may be re-sent when it provably was not processed; other failures re-send idempotent ones only.
      retryable: req.idempotent ? undefined : provedNotProcessed,
    });
    const options: Dispatcher.RequestOptions & { retryOptions: RetryHandler.RetryOptions } = {
      origin: this.origin,
      path,
      method: req.method,
      headers,
      body,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      signal: this.abortInFlight,
      // A POST marked idempotent (an upsert) is retried like a PUT; any other only as `retryable` above allows.
      retryOptions: { methods: [req.method], retry },
    };

    let res: Dispatcher.ResponseData;
    try {
      res = await this.dispatcher.request(options);
    } catch (err) {
      this.observe(req, 'error', attempt, started);
      throw toTransportError(req, err, this.timeoutMs, { url: `${this.origin}${this.prefix}`, attempts: attempt });
    } finally {
      turn.answered();
    }
    this.observe(req, res.statusCode, attempt, started, res.headers);
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw toTransportError(req, err, this.timeoutMs);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) throw toApiError(req, res.statusCode, text);
    if (!text.trim()) return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw notJsonError(req, res.statusCode, text);
    }
  }

  /** Stream's clock, from an answer's `Date`: tokens and rate-limit windows are on it. */
  private observeDate(headers: FailedAttempt['headers']): void {
    const date = headers?.date;
    this.#token.observeServerDate(Array.isArray(date) ? date[0] : date, this.now());
  }

  /** Accounts one attempt: stats, pacing from its rate-limit headers, the hook and a debug line. */
  private observe(req: ApiRequest, status: number | 'error', attempt: number, started: number, headers?: FailedAttempt['headers']): void {
    const byStatus = (this.counters.requests[req.op] ??= {});
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (status === 429) this.counters.rateLimited++;
    const rateLimit = headers ? readRateLimitHeaders(headers) : undefined;
    if (headers) {
      this.observeDate(headers);
      // A 429 was not counted by the server; any other answer was (errors included).
      this.pacer.observe(req.op, rateLimit!, status === 429 ? 'refusal' : 'answer');
    }
    const ms = this.now() - started;
    this.onRequest?.({ op: req.op, method: req.method, status, ms, attempt, ...(rateLimit ? { rateLimit } : {}) });
    this.log?.debug({ op: req.op, method: req.method, path: req.path, status, ms, attempt }, 'Stream API request');
  }
}

export function createApiClient(opts: ApiClientOptions): ApiClient {
  return new ApiClient(opts);
}
