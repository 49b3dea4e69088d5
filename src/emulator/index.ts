/**
 * The Stream API emulator as a library: `import { startEmulator } from 'stream-sync/emulator'`. A stateful,
 * in-memory Stream app for integration tests of your own code (the official SDKs work against it), with its request
 * log, fault injection and rate limits. This file is the entry point's whole stable surface; docs/library.md.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { StreamApiError } from './errors.js';
import type { FaultRule } from './faults.js';
import type { RequestRecord } from './pipeline/exchange.js';
import { resources } from './resources/index.js';
import { seedApp, type SeedData } from './seed.js';
import { type CallInput, type RunningEmulator, startEmulator as startServer } from './server.js';

export type { FaultRule, SeedData, CallInput };

/** One request the emulator answered over HTTP. */
export interface EmulatorRequest {
  /** The operation id, as in Stream's OpenAPI spec (`Unknown` for a path no operation has). */
  readonly op: string;
  readonly method: string;
  readonly path: string;
  /** The query string as sent, `?` included (`''` when there is none). */
  readonly query: string;
  /** The status answered; 0 when the connection was dropped without an answer. */
  readonly status: number;
  readonly apiKey: string | null;
  /** When it was answered, on the emulator's clock (ms since the epoch). */
  readonly at: number;
  /** The client that sent it: its `X-Stream-Client` header (the SDKs' and stream-sync's), else its User-Agent. */
  readonly client?: string;
}

export interface EmulatorOptions {
  /** Default 0: a free port (what tests want). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The app's API key. Default `emulator`. */
  apiKey?: string;
  /** The app's API secret. Default: random. */
  apiSecret?: string;
  /** The app's name (GetApp). Default: the key. */
  appName?: string;
  /** Several apps at once, told apart by `api_key` (instead of apiKey/apiSecret/appName). */
  apps?: { key: string; secret: string; name?: string }[];
  /** `published` (default): Stream's published per-minute limits, with X-RateLimit-* headers and 429s; `off`. */
  rateLimits?: 'published' | 'off';
  /** Faults from the start (see `injectFaults`). */
  faults?: FaultRule[];
  /** Seed for generated ids and fault dice: the same seed, the same ids. */
  seed?: number;
  /** How long async tasks (DeleteUsers, …) stay pending, then running (ms). Default 50; 0 completes them at once. */
  taskStepMs?: number;
  /** The emulator's clock in ms since the epoch (a test can move it: tokens' iat/exp, rate-limit windows, Date). */
  now?: () => number;
  /** Load state from this JSON file on start, save it there on close. */
  dataFile?: string;
  /** How many of the most recent requests the log keeps. Default 10,000. */
  requestLogLimit?: number;
  /** A pino logger for the emulator's own lines. Default: none. */
  logger?: Logger;
}

export interface RequestFilter {
  /** Operation id(s), as in Stream's OpenAPI spec (`CreateBlockList`). */
  op?: string | readonly string[];
  method?: string;
  status?: number;
  /** The app's API key. */
  apiKey?: string;
}

export interface Emulator {
  /** The base URL, e.g. `http://127.0.0.1:43117`. */
  readonly url: string;
  /** The (first) app's credentials. */
  readonly apiKey: string;
  readonly apiSecret: string;
  /** `{ baseUrl, apiKey, apiSecret }`: what stream-sync's `createClient` takes. */
  readonly connection: { baseUrl: string; apiKey: string; apiSecret: string };
  /** The variables the stream-sync CLI reads: `STREAM_BASE_URL`, `STREAM_API_KEY`, `STREAM_API_SECRET`. */
  readonly env: { STREAM_BASE_URL: string; STREAM_API_KEY: string; STREAM_API_SECRET: string };
  /** Creates what `data` lists, in the API's own shapes, without spending rate limits or filling the request log. */
  seed(data: SeedData, opts?: { app?: string }): Promise<void>;
  /** Runs one operation by its id, in-process (no HTTP, rate limits, faults or log); a refusal throws an EmulatorCallError. */
  call(op: string, input?: CallInput, opts?: { app?: string }): Promise<Record<string, unknown>>;
  /** The requests answered over HTTP (oldest first), matching `filter`. */
  requests(filter?: RequestFilter): EmulatorRequest[];
  clearRequests(): void;
  /** Replaces the fault rules: latency, 5xx, 429, connection resets, slow or non-JSON answers, lowered limits. */
  injectFaults(rules: readonly FaultRule[], opts?: { seed?: number }): void;
  clearFaults(): void;
  /** How many requests each injected rule has hit, in rule order. */
  faultHits(): readonly number[];
  /** Multiplies every rate limit from now on (0.25: a quarter), as Stream lowers limits under load; 1 restores them. */
  setLimitScale(scale: number): void;
  /** Stops the server (and saves `dataFile`). */
  close(): Promise<void>;
}

/** An operation refused in `call` or `seed`, with Stream's status and code as the API would answer. */
export class EmulatorCallError extends Error {
  constructor(
    readonly op: string,
    readonly status: number,
    readonly code: number,
    readonly detail: string,
  ) {
    super(`${op}: HTTP ${status} (Stream code ${code}): ${detail}`);
    this.name = 'EmulatorCallError';
  }
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  if (opts.apps && (opts.apiKey || opts.apiSecret || opts.appName)) throw new Error('startEmulator: pass either apps or apiKey/apiSecret/appName');
  const single = opts.apiKey || opts.apiSecret || opts.appName ? [{ key: opts.apiKey ?? 'emulator', secret: opts.apiSecret ?? randomSecret(), ...(opts.appName ? { name: opts.appName } : {}) }] : undefined;
  const server = await startServer({
    port: opts.port ?? 0,
    host: opts.host,
    apps: opts.apps ?? single,
    rateLimits: opts.rateLimits,
    faults: opts.faults ? { rules: checkedRules(opts.faults), seed: opts.seed } : undefined,
    seed: opts.seed,
    taskStepMs: opts.taskStepMs,
    now: opts.now,
    dataFile: opts.dataFile,
    requestLogLimit: opts.requestLogLimit,
    logger: opts.logger,
  });
  return wrap(server);
}

function wrap(server: RunningEmulator): Emulator {
  const call = async (op: string, input: CallInput = {}, app?: string): Promise<Record<string, unknown>> => {
    try {
      return await server.call(op, input, app);
    } catch (err) {
      if (err instanceof StreamApiError) throw new EmulatorCallError(op, err.status, err.code, err.detail);
      throw err;
    }
  };
  const matches = (r: RequestRecord, f: RequestFilter) =>
    (f.op === undefined || (typeof f.op === 'string' ? r.op === f.op : f.op.includes(r.op))) &&
    (f.method === undefined || r.method === f.method.toUpperCase()) &&
    (f.status === undefined || r.status === f.status) &&
    (f.apiKey === undefined || r.apiKey === f.apiKey);
  return Object.freeze({
    url: server.url,
    apiKey: server.apiKey,
    apiSecret: server.apiSecret,
    connection: Object.freeze({ baseUrl: server.url, apiKey: server.apiKey, apiSecret: server.apiSecret }),
    env: Object.freeze({ STREAM_BASE_URL: server.url, STREAM_API_KEY: server.apiKey, STREAM_API_SECRET: server.apiSecret }),
    seed: (data: SeedData, o: { app?: string } = {}) => seedApp((op, input) => call(op, input, o.app), data),
    call: (op: string, input?: CallInput, o: { app?: string } = {}) => call(op, input, o.app),
    requests: (filter: RequestFilter = {}): EmulatorRequest[] => server.requests.filter((r) => matches(r, filter)).map((r) => ({ ...r })),
    clearRequests: () => {
      server.requests.length = 0;
    },
    injectFaults: (rules: readonly FaultRule[], o: { seed?: number } = {}) => server.faults.configure({ rules: checkedRules(rules), seed: o.seed }),
    clearFaults: () => server.faults.clear(),
    faultHits: () => [...server.faults.hitCounts],
    setLimitScale: (scale: number) => {
      if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`setLimitScale: scale must be a positive number (got ${scale})`);
      server.setLimitScale(scale);
    },
    close: () => server.close(),
  });
}

const OPERATIONS: ReadonlySet<string> = new Set(resources.flatMap((r) => r.routes.map((route) => route.op)));
const RULE_FIELDS: ReadonlySet<string> = new Set(['kind', 'op', 'rate', 'times', 'after', 'ms', 'jitterMs', 'status', 'when', 'scale', 'resetHeaders', 'body', 'format']);
const FAULT_KINDS: ReadonlySet<string> = new Set<FaultRule['kind']>(['latency', 'error', 'limit_scale', 'rate_limit', 'reset', 'slow', 'non_json', 'echo_body']);

/**
 * Fault rules as given, or a clear error: a typo (an unknown kind or operation) would otherwise never fire and leave
 * the test that relies on it passing for the wrong reason.
 */
function checkedRules(rules: readonly FaultRule[]): FaultRule[] {
  if (!Array.isArray(rules)) throw new Error('fault rules: an array of rules, e.g. [{ kind: "error", status: 503, op: "CreateRole" }]');
  rules.forEach((rule, i) => {
    const at = `fault rule ${i + 1}`;
    if (!FAULT_KINDS.has(rule?.kind)) throw new Error(`${at}: unknown kind ${JSON.stringify(rule?.kind)} (one of ${[...FAULT_KINDS].join(', ')})`);
    const unknown = Object.keys(rule).filter((k) => !RULE_FIELDS.has(k));
    if (unknown.length) throw new Error(`${at}: unknown field${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')} (a rule has ${[...RULE_FIELDS].join(', ')}, as its kind takes them)`);
    if (Array.isArray(rule.op) && rule.op.length === 0) throw new Error(`${at}: op is an empty list, which matches no request (leave op out to match every operation)`);
    for (const op of rule.op === undefined ? [] : Array.isArray(rule.op) ? rule.op : [rule.op]) {
      if (!OPERATIONS.has(op)) throw new Error(`${at}: the emulator has no operation ${JSON.stringify(op)} (operation ids are Stream's, e.g. CreateBlockList)`);
    }
    const count = (name: 'times' | 'after') => {
      const v = rule[name];
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new Error(`${at}: ${name} must be a whole number of 0 or more`);
    };
    count('times');
    count('after');
    if (rule.rate !== undefined && !(rule.rate >= 0 && rule.rate <= 1)) throw new Error(`${at}: rate is a probability, from 0 to 1`);
    if (rule.kind === 'error' && rule.status !== undefined && !(Number.isInteger(rule.status) && rule.status >= 500 && rule.status <= 599)) throw new Error(`${at}: an error fault answers a 5xx status (got ${rule.status})`);
    if ((rule.kind === 'latency' || rule.kind === 'slow') && !(rule.ms >= 0)) throw new Error(`${at}: ${rule.kind} needs ms, 0 or more`);
    if (rule.kind === 'limit_scale' && !(rule.scale > 0)) throw new Error(`${at}: limit_scale needs a positive scale`);
  });
  return [...rules];
}

const randomSecret = () => randomBytes(24).toString('hex');
