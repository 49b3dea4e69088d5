import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errorBody, StreamApiError } from '../errors.js';
import type { FaultDecision, FaultInjector } from '../faults.js';
import type { RateLimiter } from '../rate-limit.js';
import type { Match, RequestContext, Router } from '../router.js';
import type { AppState, Quotas, Rec } from '../store.js';
import type { Tasks } from '../tasks.js';

export interface RequestRecord {
  op: string;
  method: string;
  path: string;
  /** The query string as sent, `?` included (`''` when there is none). */
  query: string;
  status: number;
  apiKey: string | null;
  /** When it was answered, on the emulator's clock (ms since epoch). */
  at: number;
  /** The client that sent it: its `X-Stream-Client` header (the SDKs' and stream-sync's), else its User-Agent. */
  client?: string;
}

/** What every request of one running emulator shares. */
export interface ServerEnv {
  apps: Map<string, AppState>;
  router: Router;
  rateLimiter: RateLimiter;
  faults: FaultInjector;
  tasks: Tasks;
  quotas: Quotas;
  /** Every operationId the emulator serves (for GetRateLimits). */
  operations: readonly string[];
  newId: RequestContext['newId'];
  now: () => number;
  log: Logger | undefined;
  maxBodyBytes: number;
  requests: RequestRecord[];
  requestLogLimit: number;
}

/** One request on its way through the pipeline: each step reads what earlier steps found and adds its own. */
export interface Exchange {
  env: ServerEnv;
  req: IncomingMessage;
  res: ServerResponse;
  start: bigint;
  url: URL;
  method: string;
  apiKey: string | null;
  /** The app `api_key` names, if it exists (checked by the auth step, after routing). */
  app: AppState | undefined;
  /** `Unknown` until a route matches: error answers and the request log name it. */
  op: string;
  /** The status answered; 0 when the connection was dropped without an answer. */
  status: number;
  headers: Record<string, string>;
  match?: Match;
  raw: Buffer;
  failure?: FaultDecision['failure'];
  /** A `limit_scale` fault's factor on this request's rate limits (1 when none fired). */
  limitScale?: number;
  /** Request time on the emulator's clock, fixed when the request is authenticated. */
  now: number;
  body: unknown;
  result?: Rec;
  /** Set once the request is answered or dropped: the remaining steps are skipped. */
  answered: boolean;
}

/** A pipeline step: throws a StreamApiError to answer with an error, or answers itself (`send`, `drop`). */
export type Step = (x: Exchange) => void | Promise<void>;

export function newExchange(env: ServerEnv, req: IncomingMessage, res: ServerResponse): Exchange {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const apiKey = url.searchParams.get('api_key');
  return {
    env,
    req,
    res,
    start: process.hrtime.bigint(),
    url,
    method: req.method ?? 'GET',
    apiKey,
    app: apiKey ? env.apps.get(apiKey) : undefined,
    op: 'Unknown',
    status: 500,
    headers: {},
    raw: Buffer.alloc(0),
    now: 0,
    body: {},
    answered: false,
  };
}

/** The request's app, for steps that run after the auth step has refused requests without one. */
export function knownApp(x: Exchange): AppState {
  if (!x.app) throw new Error(`emulator pipeline: ${x.op} reached a step that needs an app before the app was checked`);
  return x.app;
}

export const durationOf = (startNs: bigint) => `${(Number(process.hrtime.bigint() - startNs) / 1e6).toFixed(2)}ms`;

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function send(x: Exchange, code: number, body: Rec | string): void {
  let text: string;
  if (typeof body === 'string') text = body;
  else {
    try {
      text = JSON.stringify(body);
    } catch (err) {
      // A response that cannot be serialized is the emulator's bug: answer 500 instead of crashing the request.
      x.env.log?.error({ err, op: x.op }, 'emulator response is not serializable');
      code = 500;
      text = JSON.stringify(errorBody(x.op, new StreamApiError(500, -1, 'internal server error'), durationOf(x.start)));
    }
  }
  x.status = code;
  x.answered = true;
  x.res.writeHead(code, {
    // The server's clock, as any HTTP server sends it: a client whose clock is off can tell by how much.
    date: new Date(x.env.now()).toUTCString(),
    ...x.headers,
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  x.res.end(text);
}

export const sendError = (x: Exchange, err: StreamApiError) => send(x, err.status, errorBody(x.op, err, durationOf(x.start)));

/** Destroys the connection without an answer. */
export function drop(x: Exchange): void {
  x.status = 0;
  x.answered = true;
  x.req.socket.destroy();
}
