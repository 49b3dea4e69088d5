import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { authenticate } from './auth.js';
import { errorBody, inputError, notFound, StreamApiError } from './errors.js';
import { FaultInjector, type FaultConfig } from './faults.js';
import { uuidFrom } from './ids.js';
import { checkJsonInput } from './paths.js';
import { seededRandom } from './random.js';
import { RateLimiter, type RateLimitSetting } from './rate-limit.js';
import { type Route, Router, type RequestContext } from './router.js';
import { allRoutes } from './routes/index.js';
import { seedApp } from './seed.js';
import { type AppState, deserializeApp, PUBLISHED_QUOTAS, type Quotas, type Rec, serializeApp } from './store.js';
import { Tasks } from './tasks.js';

export interface EmulatorAppConfig {
  key: string;
  secret: string;
  /** The app's `name` in GetApp (default: the key). */
  name?: string;
}

export interface EmulatorOptions {
  /** 0 picks a free port (tests). Default 4600. */
  port?: number;
  host?: string;
  /** Apps served at once, selected by `api_key`. Default: one app with key `emulator` and a random secret. */
  apps?: EmulatorAppConfig[];
  rateLimits?: RateLimitSetting;
  faults?: FaultConfig;
  /**
   * Seed for generated ids. Default: a random seed per process, so ids never repeat across restarts. With
   * `dataFile`, the id generator's state is saved too and a restart continues from it (the seed is then unused).
   */
  seed?: number;
  /**
   * Load state from this JSON file on start (when it exists) and save it on close. Closing first runs every task
   * still pending, so what was accepted before the restart has happened after it.
   */
  dataFile?: string;
  logger?: Logger;
  /** How long a task stays pending, then running (ms). Default 50; 0 completes tasks at once. */
  taskStepMs?: number;
  quotas?: Partial<Quotas>;
  /** The emulator's clock (ms since epoch). */
  now?: () => number;
  /** Larger bodies answer 413/22. Default 10 MiB. */
  maxBodyBytes?: number;
  /** How many of the most recent requests `requests` keeps. Default 10,000. */
  requestLogLimit?: number;
}

export interface RequestRecord {
  op: string;
  method: string;
  path: string;
  /** The query string as sent, `?` included (`''` when there is none). */
  query: string;
  status: number;
  apiKey: string | null;
}

export interface RunningEmulator {
  url: string;
  port: number;
  host: string;
  apps: EmulatorAppConfig[];
  /** The first app's credentials. */
  apiKey: string;
  apiSecret: string;
  /** The state of an app (default: the first), for seeding and inspecting in tests. */
  app(key?: string): AppState;
  faults: FaultInjector;
  rateLimiter: RateLimiter;
  tasks: Tasks;
  /** The most recent requests the emulator answered (at most `requestLogLimit`), oldest first. */
  requests: RequestRecord[];
  routes: readonly Route[];
  save(): Promise<void>;
  close(): Promise<void>;
}

const durationOf = (startNs: bigint) => `${(Number(process.hrtime.bigint() - startNs) / 1e6).toFixed(2)}ms`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const now = options.now ?? Date.now;
  const quotas: Quotas = { ...PUBLISHED_QUOTAS, ...options.quotas };
  const rateLimiter = new RateLimiter(options.rateLimits ?? 'published');
  const faults = new FaultInjector(options.faults);
  const router = new Router(allRoutes);
  const operations = allRoutes.map((r) => r.op);
  const log = options.logger;
  const maxBody = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const requestLogLimit = Math.max(0, options.requestLogLimit ?? 10_000);

  const apps = new Map<string, AppState>();
  let savedIdState: number | undefined;
  if (options.dataFile && existsSync(options.dataFile)) {
    const raw = JSON.parse(await readFile(options.dataFile, 'utf8')) as { apps?: Rec[]; idState?: unknown };
    for (const a of raw.apps ?? []) apps.set(String(a.key), deserializeApp(a));
    if (typeof raw.idState === 'number') savedIdState = raw.idState;
  }
  // Ids must not repeat across restarts: continue the saved generator, else use the seed, else a random one.
  const random = seededRandom(savedIdState ?? options.seed ?? randomBytes(4).readUInt32BE(0));
  /** A fresh id that `taken` (the map the id is for) does not hold yet. */
  const newId = (nowMs?: number, taken?: (id: string) => boolean) => {
    let id = uuidFrom(random, nowMs);
    while (taken?.(id)) id = uuidFrom(random, nowMs);
    return id;
  };
  const tasks = new Tasks(options.taskStepMs ?? 50, (taken) => newId(undefined, taken));
  const configured = options.apps?.length ? options.apps : apps.size ? [] : [{ key: 'emulator', secret: randomBytes(24).toString('hex') }];
  for (const cfg of configured) {
    const existing = apps.get(cfg.key);
    if (existing) existing.secret = cfg.secret;
    else apps.set(cfg.key, seedApp(cfg, now()));
  }
  const appList = [...apps.values()].map((a) => ({ key: a.key, secret: a.secret, name: String(a.settings.name ?? a.key) }));
  const requests: RequestRecord[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const start = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const apiKey = url.searchParams.get('api_key');
    const app = apiKey ? apps.get(apiKey) : undefined;
    let op = 'Unknown';
    let status = 500;
    let slowMs = 0;
    const headers: Record<string, string> = {};
    /** X-RateLimit-* for every answer, errors included; a request that is not counted sees the budget as it is. */
    const setRateHeaders = (rate: { limit: number; remaining: number; reset: number }) => {
      headers['x-ratelimit-limit'] = String(rate.limit);
      headers['x-ratelimit-remaining'] = String(rate.remaining);
      headers['x-ratelimit-reset'] = String(rate.reset);
    };
    const peekRate = () => setRateHeaders(rateLimiter.peek(app?.key ?? '', op, now()));

    const send = (code: number, body: Rec | string) => {
      let text: string;
      if (typeof body === 'string') text = body;
      else {
        try {
          text = JSON.stringify(body);
        } catch (err) {
          // A response that cannot be serialized is the emulator's bug: answer 500 instead of crashing the request.
          log?.error({ err, op }, 'emulator response is not serializable');
          code = 500;
          text = JSON.stringify(errorBody(op, new StreamApiError(500, -1, 'internal server error'), durationOf(start)));
        }
      }
      status = code;
      res.writeHead(code, {
        ...headers,
        'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    const sendError = (err: StreamApiError) => send(err.status, errorBody(op, err, durationOf(start)));

    try {
      peekRate();
      const matched = router.match(method, url.pathname);
      if (!matched) throw notFound(`no route for ${method} ${url.pathname}`);
      if (!matched.route) {
        headers.allow = matched.allowed.join(', ');
        throw new StreamApiError(405, 4, `method ${method} is not allowed on ${url.pathname}`);
      }
      op = matched.route.op;
      peekRate();
      if (!app) throw new StreamApiError(401, 2, apiKey ? `api_key "${apiKey}" not found` : 'api_key is missing from the query string', undefined, true);
      const raw = await readBody(req, maxBody);

      // Faults are decided for requests of a known app, authenticated or not (see faults.ts).
      const fault = faults.decide(op);
      if (fault.delayMs) await sleep(fault.delayMs);
      const failure = fault.failure;
      if (failure?.kind === 'slow') slowMs = failure.ms;

      if (failure?.kind === 'rate_limit') {
        if (failure.resetHeaders === false) {
          for (const h of Object.keys(headers)) if (h.startsWith('x-ratelimit-')) delete headers[h];
        } else headers['x-ratelimit-remaining'] = '0';
        throw new StreamApiError(429, 9, 'Too many requests, check response headers for more info');
      }
      if (failure?.kind === 'non_json') {
        send(failure.status ?? 503, failure.body ?? 'upstream connect error or disconnect/reset before headers');
        return;
      }
      if (failure?.kind === 'echo_body') {
        const echoed = `the request body is invalid: ${raw.toString('utf8')}`;
        if (failure.format === 'text') {
          send(failure.status ?? 400, echoed);
          return;
        }
        throw new StreamApiError(failure.status ?? 400, 4, echoed);
      }
      if (failure?.kind === 'reset' && failure.when !== 'after') {
        status = 0;
        req.socket.destroy();
        return;
      }
      if (failure?.kind === 'error' && failure.when !== 'after') {
        throw new StreamApiError(failure.status ?? 500, -1, 'internal server error (injected fault)');
      }

      const t = now();
      await authenticate(app, { authorization: header(req, 'authorization'), authType: header(req, 'stream-auth-type') }, t);
      // Only authenticated requests spend the app's rate budget.
      const rate = rateLimiter.take(app.key, op, t);
      setRateHeaders(rate);
      if (!rate.allowed) throw new StreamApiError(429, 9, `Too many requests, check response headers for more info`);

      if (matched.invalidParam) {
        const detail = `${matched.invalidParam} is not valid: malformed percent-encoding in the path`;
        throw inputError(detail, { [matched.invalidParam]: detail });
      }
      const body = await parseBody(req, raw, url);
      tasks.settle(app, t);
      const ctx: RequestContext = {
        op,
        app,
        params: matched.params,
        query: url.searchParams,
        body,
        now: t,
        quotas,
        tasks,
        rateLimiter,
        operations,
        newId,
      };
      const result = await matched.route.handler(ctx);

      if (failure?.kind === 'reset') {
        status = 0;
        req.socket.destroy();
        return;
      }
      if (failure?.kind === 'error') throw new StreamApiError(failure.status ?? 500, -1, 'internal server error (injected fault)');
      if (slowMs) await sleep(slowMs);
      const code = method === 'POST' || method === 'PUT' ? 201 : 200;
      send(code, { ...result, duration: durationOf(start) });
    } catch (err) {
      if (slowMs) await sleep(slowMs);
      if (err instanceof StreamApiError) sendError(err);
      else {
        log?.error({ err, op }, 'emulator handler failed');
        sendError(new StreamApiError(500, -1, 'internal server error'));
      }
    } finally {
      requests.push({ op, method, path: url.pathname, query: url.search, status, apiKey });
      if (requests.length > requestLogLimit) requests.splice(0, requests.length - requestLogLimit);
      log?.debug({ method, path: url.pathname, op, status, ms: Number(process.hrtime.bigint() - start) / 1e6 }, 'request');
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      log?.error({ err }, 'emulator request failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4600, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;

  const save = async () => {
    if (!options.dataFile) return;
    const t = now();
    for (const app of apps.values()) tasks.settle(app, t);
    const tmp = `${options.dataFile}.tmp-${process.pid}`;
    await writeFile(tmp, JSON.stringify({ apps: [...apps.values()].map(serializeApp), idState: random.state }), { mode: 0o600 });
    await rename(tmp, options.dataFile);
  };

  return {
    url: `http://${urlHost}:${port}`,
    port,
    host,
    apps: appList,
    apiKey: appList[0]!.key,
    apiSecret: appList[0]!.secret,
    app(key?: string) {
      const a = apps.get(key ?? appList[0]!.key);
      if (!a) throw new Error(`emulator has no app ${key}`);
      return a;
    },
    faults,
    rateLimiter,
    tasks,
    requests,
    routes: router.routes,
    save,
    async close() {
      try {
        if (options.dataFile) {
          // Accepted work is never lost across a restart: run what is still pending, then save.
          const t = now();
          for (const app of apps.values()) tasks.finishAll(app, t);
        }
        await save();
      } finally {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new StreamApiError(413, 22, `request body is larger than ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function parseBody(req: IncomingMessage, raw: Buffer, url: URL): Promise<unknown> {
  const type = header(req, 'content-type') ?? '';
  if (type.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await new Request(url, { method: 'POST', headers: { 'content-type': type }, body: raw }).formData();
    } catch {
      throw inputError('invalid request body: the body is not valid multipart/form-data');
    }
    const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of form.entries()) fields[k] = v;
    return { ...fields };
  }
  const text = raw.toString('utf8').trim();
  if (!text) return {};
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw inputError('invalid request body: the body is not valid JSON');
  }
  // One guard for every operation: no handler ever sees (or stores) a too-deep value or a `__proto__` key.
  checkJsonInput(body);
  return body;
}
