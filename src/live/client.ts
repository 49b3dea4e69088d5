import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Logger } from 'pino';
import { type Dispatcher, interceptors, Pool, type RetryHandler } from 'undici';
import { ApiError, TransportError, UsageError } from '../core/errors.js';
import type { Api, ApiRequest } from '../core/api.js';
import type { Rec } from '../core/model.js';
import { VERSION } from '../core/version.js';
import { type Grant, Pacer, readRateLimitHeaders, Semaphore, sleepMs } from './pacer.js';
import { type FailedAttempt, RETRY_ERROR_CODES, RETRY_STATUSES, retryCallback } from './retry.js';

/*
 * When may a failed request have been applied anyway? The executor needs to know for non-idempotent
 * creates, which it re-reads instead of re-sending. The rule:
 *  - an idempotent request is never ambiguous: it was retried, and sending it again is harmless;
 *  - a non-idempotent request is ambiguous when it may have reached the server's handler: a 5xx or 408
 *    answer (the write may have happened before the failure), a reset or a timeout after it was sent, or a
 *    2xx whose body cannot be read;
 *  - it is not ambiguous when the connection was never established (refused, DNS, connect timeout), or for
 *    4xx answers other than 408 (Stream refuses before writing, 429 included).
 */

/** Network codes that prove the request never left this process. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_INVALID_ARG',
  'UND_ERR_DESTROYED',
  'UND_ERR_CLOSED',
]);



export interface RequestEvent {
  op: string;
  method: string;
  /** The HTTP status, or `error` when no answer arrived. */
  status: number | 'error';
  ms: number;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
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
   * Per attempt: the longest wait for the answer's headers, and between body chunks. Default 10 s. undici
   * checks these on a coarse timer, so expect up to about a second more.
   */
  timeoutMs?: number;
  /** Retries after the first attempt, for idempotent requests. Default 5. */
  maxRetries?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  logger?: Pick<Logger, 'debug'>;
  onRequest?: (event: RequestEvent) => void;
  /** Injected clock (ms since epoch), for token expiry and pacing. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** A dispatcher to send through instead of the client's own Pool (not closed by `close()`). */
  dispatcher?: Dispatcher;
}

/** Tokens live 5 minutes and are renewed when less than a minute is left, so none expires in flight. */
const TOKEN_TTL_S = 300;
const RENEW_BEFORE_MS = 60_000;
/** Tolerates a server clock slightly behind ours ("token used before issue at"). */
const IAT_BACKDATE_S = 5;
/** A token signed this recently is as new as one signed now. */
const FRESH_MS = 10_000;

/** The server-side token: HS256 with the API secret, `{server: true}`, short-lived, cached and renewed. */
export class ServerToken {
  readonly #key: Uint8Array;
  readonly #now: () => number;
  #cached?: { token: string; expMs: number; signedMs: number };
  #pending?: Promise<string>;

  constructor(secret: string, now: () => number = Date.now) {
    this.#key = new TextEncoder().encode(secret);
    this.#now = now;
  }

  /** The next `token()` signs a new one. */
  renew(): void {
    this.#cached = undefined;
  }

  /**
   * Stream refused `token` as expired. Whether a request sent with it may be sent again: yes when a newer token is
   * cached already (another request renewed it), or when `token` was signed a while ago (it is dropped, and the
   * next `token()` signs a new one); no when it was signed seconds ago, for a new token would be refused too.
   */
  refusedAsExpired(token: string): boolean {
    const cached = this.#cached;
    if (cached?.token !== token) return true;
    if (this.#now() - cached.signedMs < FRESH_MS) return false;
    this.renew();
    return true;
  }

  token(): Promise<string> {
    if (this.#cached && this.#cached.expMs - this.#now() >= RENEW_BEFORE_MS) return Promise.resolve(this.#cached.token);
    // Concurrent requests at renewal share one signature.
    this.#pending ??= this.sign().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  private async sign(): Promise<string> {
    const nowS = Math.floor(this.#now() / 1000);
    const exp = nowS + TOKEN_TTL_S;
    const token = await new SignJWT({ server: true })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(nowS - IAT_BACKDATE_S)
      .setExpirationTime(exp)
      .sign(this.#key);
    this.#cached = { token, expMs: exp * 1000, signedMs: this.#now() };
    return token;
  }
}

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
  private readonly log?: Pick<Logger, 'debug'>;
  private readonly onRequest?: (event: RequestEvent) => void;
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
    // An attempt is never in flight longer than its timeout (undici checks it on a coarse timer, hence the slack).
    this.pacer = new Pacer({ now: this.now, sleep: this.sleep, maxResetWaitMs: maxBackoffMs, inFlightCapMs: this.timeoutMs + 2_000 });
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
    // Per-request options (the `retry` callback bound to the request, `methods`) are merged over these.
    this.dispatcher = (opts.dispatcher ?? this.pool!).compose(
      interceptors.retry({
        // The last failed response reaches us with its body (Stream's error envelope).
        throwOnError: false,
        maxRetries: opts.maxRetries ?? 5,
        minTimeout: minBackoffMs,
        maxTimeout: maxBackoffMs,
        statusCodes: RETRY_STATUSES,
        errorCodes: RETRY_ERROR_CODES,
        methods: [],
      }),
    );
  }

  /** Preloads per-minute limits (GetRateLimits), so pacing is right before the first answer's headers. */
  seed(limits: Record<string, number>): void {
    this.pacer.seed(limits);
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

  stats(): ClientStats {
    return structuredClone(this.counters);
  }

  async send<T = Rec>(req: ApiRequest): Promise<T> {
    if (this.closed) throw new Error(`${req.op}: the API client is closed`);
    const path = `${this.prefix}${fillPath(req)}?${queryString(this.apiKey, req.query)}`;
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (req.method !== 'GET') this.counters.writes++;
    const grant = await this.pacer.acquire(req.op, () => this.slots.acquire());
    const sentWith = { token: '' };
    try {
      return await this.exchange<T>(req, path, body, grant, sentWith);
    } catch (err) {
      // Stream saw a cached token expire before this machine's clock did (it runs behind): the request was refused
      // before anything happened, so it is sent once more, with a newer token. (A token refused as expired when
      // new means a clock far behind: terminal, as every auth failure.)
      if (!tokenExpired(err) || !this.#token.refusedAsExpired(sentWith.token)) throw err;
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
      now: this.now,
      random: this.random,
      sleep: this.sleep,
      onRetry: (f: FailedAttempt, _retry, delayMs) => {
        turn.answered();
        this.counters.retries++;
        this.observe(req, f.statusCode ?? 'error', attempt, started, f.headers);
        this.log?.debug({ op: req.op, method: req.method, path: req.path, status: f.statusCode, code: f.code, attempt, delayMs }, 'retrying Stream API request');
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
      // Any request may be re-sent when it provably was not processed: Stream's rate limiter refuses (429) before
      // the handler runs, and a connection never made carried nothing. Other failures re-send idempotent ones only.
      retryable: req.idempotent ? undefined : (f) => f.statusCode === 429 || (f.statusCode === undefined && f.code !== undefined && NOT_SENT_CODES.has(f.code)),
    });
    const options: Dispatcher.RequestOptions & { retryOptions: RetryHandler.RetryOptions } = {
      origin: this.origin,
      path,
      method: req.method,
      headers,
      body,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      // A POST marked idempotent (an upsert) is retried like a PUT; any other only as `retryable` above allows.
      retryOptions: { methods: [req.method], retry },
    };

    let res: Dispatcher.ResponseData;
    try {
      res = await this.dispatcher.request(options);
    } catch (err) {
      this.observe(req, 'error', attempt, started);
      throw this.transportError(req, err);
    } finally {
      turn.answered();
    }
    this.observe(req, res.statusCode, attempt, started, res.headers);
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw this.transportError(req, err);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) throw toApiError(req, res.statusCode, text);
    if (!text.trim()) return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      // It answered 2xx, so a non-idempotent write happened; what it produced is unknown.
      throw new ApiError(req.op, res.statusCode, -1, `the response is not JSON: ${summarize(text)}`, false, !req.idempotent);
    }
  }

  /** Accounts one attempt: stats, pacing from its rate-limit headers, the hook and a debug line. */
  private observe(req: ApiRequest, status: number | 'error', attempt: number, started: number, headers?: FailedAttempt['headers']): void {
    const byStatus = (this.counters.requests[req.op] ??= {});
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (status === 429) this.counters.rateLimited++;
    if (headers) this.pacer.observe(req.op, readRateLimitHeaders(headers));
    const ms = this.now() - started;
    this.onRequest?.({ op: req.op, method: req.method, status, ms, attempt });
    this.log?.debug({ op: req.op, method: req.method, path: req.path, status, ms, attempt }, 'Stream API request');
  }

  private transportError(req: ApiRequest, err: unknown): TransportError {
    const code = (err as { code?: unknown }).code;
    const name = typeof code === 'string' ? code : 'UNKNOWN';
    const ambiguous = !req.idempotent && !NOT_SENT_CODES.has(name);
    return new TransportError(req.op, name, describeNetworkError(name, err, this.timeoutMs), ambiguous, { cause: err });
  }
}

/** 401 with Stream code 40: "JWTAuth error: token has expired". */
const tokenExpired = (err: unknown) => err instanceof ApiError && err.status === 401 && err.code === 40;

export function createApiClient(opts: ApiClientOptions): ApiClient {
  return new ApiClient(opts);
}

function parseBaseUrl(raw: string): { origin: string; prefix: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`the Stream base URL "${raw}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`the Stream base URL "${raw}" must be http(s)`);
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
}

/** Fills the path template; each parameter is one encoded segment (`/`, spaces and unicode included). */
export function fillPath(req: Pick<ApiRequest, 'op' | 'path' | 'params'>): string {
  return req.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = req.params?.[name];
    if (value === undefined) throw new Error(`${req.op}: path parameter "${name}" is missing`);
    // encodeURIComponent leaves dots alone, and a segment of only dots would be resolved as `.`/`..`.
    return /^\.+$/.test(value) ? value.replace(/\./g, '%2E') : encodeURIComponent(value);
  });
}

const isScalar = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v);

/**
 * `api_key` plus the request's query. Objects travel as JSON (QueryUsers' `payload`); arrays of scalars
 * comma-separated, as the official SDK sends them.
 */
export function queryString(apiKey: string, query: ApiRequest['query']): string {
  const q = new URLSearchParams({ api_key: apiKey });
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v) && v.every(isScalar)) q.set(k, v.join(','));
    else q.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return q.toString();
}

/** At most 200 characters of a non-JSON body, on one line: an edge's HTML page must not flood a log. */
function summarize(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** The envelope's message is `<Op> failed with error: "<detail>"`; ApiError already names the operation. */
function detailOf(message: string): string {
  const m = /^\w+ failed with error: "([\s\S]*)"$/.exec(message);
  return m ? m[1]! : message;
}

export function toApiError(req: Pick<ApiRequest, 'op' | 'idempotent'>, status: number, text: string): ApiError {
  const ambiguous = !req.idempotent && (status >= 500 || status === 408);
  let envelope: Rec | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) envelope = parsed as Rec;
  } catch {
    /* an edge layer's plain-text or HTML body: handled below */
  }
  if (envelope && (typeof envelope.code === 'number' || typeof envelope.message === 'string')) {
    const code = typeof envelope.code === 'number' ? envelope.code : -1;
    const detail = typeof envelope.message === 'string' ? detailOf(envelope.message) : `HTTP ${status}`;
    const hint = status === 401 ? AUTH_HINTS[code] : undefined;
    return new ApiError(req.op, status, code, hint ? `${detail} (${hint})` : detail, envelope.unrecoverable === true, ambiguous);
  }
  return new ApiError(req.op, status, -1, summarize(text) || 'the answer has no body', false, ambiguous);
}

/**
 * What to fix, by Stream's 401 code: the user sees one error and must not have to decode it. The token is signed
 * fresh (valid from 5 s ago for 5 minutes), so a time refusal means the clocks disagree.
 */
const AUTH_HINTS: Record<number, string> = {
  2: 'check STREAM_API_KEY: Stream knows no app with this key',
  43: 'check STREAM_API_SECRET: it is not the secret of this API key',
  40: "the token stream-sync has just signed was refused as expired: this machine's clock is behind Stream's; synchronise it (NTP)",
  41: "the token stream-sync has just signed was refused as not valid yet: this machine's clock is ahead of Stream's; synchronise it (NTP)",
};

function describeNetworkError(code: string, err: unknown, timeoutMs: number): string {
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `no answer within ${timeoutMs} ms`;
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `could not connect within ${timeoutMs} ms`;
    case 'ECONNREFUSED':
      return 'the connection was refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection closed before the answer arrived';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
