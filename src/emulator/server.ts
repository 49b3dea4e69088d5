import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { newApp } from './apps.js';
import { FaultInjector, type FaultConfig } from './faults.js';
import { uuidFrom } from './ids.js';
import { StreamApiError } from './errors.js';
import { checkJsonInput } from './paths.js';
import { loadDataFile, saveDataFile } from './persistence.js';
import type { RequestRecord, ServerEnv } from './pipeline/exchange.js';
import { handleRequest } from './pipeline/handle.js';
import { runRoute } from './pipeline/route.js';
import { seededRandom } from './random.js';
import { RateLimiter, type RateLimitSetting } from './rate-limit.js';
import { type Route, Router } from './router.js';
import { resources } from './resources/index.js';
import { PUBLISHED_QUOTAS, type AppState, type Quotas, type Rec } from './store.js';
import { Tasks } from './tasks.js';

export type { RequestRecord } from './pipeline/exchange.js';

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
  /** Multiplies every rate limit from the start (default 1); `setLimitScale` changes it mid-run. */
  rateLimitScale?: number;
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
  /**
   * With a data file whose apps are kept (`apps` unset): the app the emulator answers as its first (`apiKey`). One
   * the file lacks is created, with a random secret.
   */
  primaryApp?: string;
}

/** What a request carries to an operation: its path parameters, query string and JSON body. */
export interface CallInput {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
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
  /**
   * Multiplies every rate limit from now on (e.g. 0.25), as Stream lowers limits under load; 1 restores them. The
   * X-RateLimit-* headers and GetRateLimits report the scaled limits.
   */
  setLimitScale(scale: number): void;
  tasks: Tasks;
  /** The most recent requests the emulator answered (at most `requestLogLimit`), oldest first. */
  requests: RequestRecord[];
  routes: readonly Route[];
  /**
   * Runs one operation in-process, as an authenticated server-side request of the app (default: the first) would
   * run it, but without HTTP, rate limits, faults or the request log: for seeding. A refusal throws the
   * StreamApiError the API would answer with.
   */
  call(op: string, input?: CallInput, appKey?: string): Promise<Rec>;
  save(): Promise<void>;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const now = options.now ?? Date.now;
  const routes = resources.flatMap((r) => r.routes);
  const router = new Router(routes);
  const log = options.logger;

  const { apps, idState } = await loadDataFile(options.dataFile);
  // Ids must not repeat across restarts: continue the saved generator, else use the seed, else a random one.
  const random = seededRandom(idState ?? options.seed ?? randomBytes(4).readUInt32BE(0));
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
    else apps.set(cfg.key, newApp(cfg, now()));
  }
  if (options.primaryApp && !options.apps?.length && !apps.has(options.primaryApp)) apps.set(options.primaryApp, newApp({ key: options.primaryApp, secret: randomBytes(24).toString('hex') }, now()));
  const appList = [...apps.values()].map((a) => ({ key: a.key, secret: a.secret, name: String(a.settings.name ?? a.key) }));
  // "The first app": the first configured, even when a data file brought others before it.
  const first = appList.find((a) => a.key === (configured[0]?.key ?? options.primaryApp)) ?? appList[0]!;

  const rateLimiter = new RateLimiter(options.rateLimits ?? 'published');
  if (options.rateLimitScale !== undefined) rateLimiter.setScale(options.rateLimitScale);
  const env: ServerEnv = {
    apps,
    router,
    rateLimiter,
    faults: new FaultInjector(options.faults),
    tasks,
    quotas: { ...PUBLISHED_QUOTAS, ...options.quotas },
    operations: routes.map((r) => r.op),
    newId,
    now,
    log,
    maxBodyBytes: options.maxBodyBytes ?? 10 * 1024 * 1024,
    requests: [],
    requestLogLimit: Math.max(0, options.requestLogLimit ?? 10_000),
  };

  const server = createServer((req, res) => {
    handleRequest(env, req, res).catch((err) => {
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
    await saveDataFile(options.dataFile, apps.values(), random.state);
  };

  return {
    url: `http://${urlHost}:${port}`,
    port,
    host,
    apps: appList,
    apiKey: first.key,
    apiSecret: first.secret,
    app(key?: string) {
      const a = apps.get(key ?? first.key);
      if (!a) throw new Error(`emulator has no app ${key}`);
      return a;
    },
    faults: env.faults,
    rateLimiter: env.rateLimiter,
    setLimitScale: (scale) => env.rateLimiter.setScale(scale),
    tasks,
    requests: env.requests,
    routes: router.routes,
    async call(op, input = {}, appKey) {
      const route = routes.find((r) => r.op === op);
      if (!route) throw new Error(`the emulator has no operation ${op}`);
      const app = apps.get(appKey ?? first.key);
      if (!app) throw new Error(`emulator has no app ${appKey}`);
      const params = input.params ?? {};
      const missing = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).filter((name) => typeof params[name] !== 'string' || params[name] === '');
      if (missing.length) throw new Error(`${op} (${route.method} ${route.path}) needs the path parameter${missing.length === 1 ? '' : 's'} ${missing.join(', ')}: call(op, { params: { ${missing.map((m) => `${m}: …`).join(', ')} } })`);
      // What HTTP gives a handler (a JSON body that passed the body guard) and what it gives back (a copy).
      checkJsonInput(input.body ?? {});
      const body = jsonCopy(input.body ?? {});
      return jsonCopy(await runRoute(env, route, app, { params, query: new URLSearchParams(input.query ?? {}), body, now: now() })) as Rec;
    },
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

/** What the HTTP pipeline's handlers see of a body: JSON, and never the caller's own objects. */
function jsonCopy(v: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch (err) {
    throw new StreamApiError(400, 4, `invalid request body: not JSON (${(err as Error).message})`);
  }
  return text === undefined ? {} : (JSON.parse(text) as unknown);
}
