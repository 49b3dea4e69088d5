import { inputError, notFound, StreamApiError } from '../errors.js';
import type { Match, RequestContext, Route } from '../router.js';
import type { AppState, Rec } from '../store.js';
import { type Exchange, knownApp, type ServerEnv } from './exchange.js';

/** Finds the operation first, so every later answer (errors included) names it. */
export function matchRoute(x: Exchange): void {
  const matched = x.env.router.match(x.method, x.url.pathname);
  if (!matched) throw notFound(`no route for ${x.method} ${x.url.pathname}`);
  if (!matched.route) {
    x.headers.allow = matched.allowed.join(', ');
    throw new StreamApiError(405, 4, `method ${x.method} is not allowed on ${x.url.pathname}`);
  }
  x.match = matched;
  x.op = matched.route.op;
}

function matchOf(x: Exchange): Match {
  if (!x.match) throw new Error(`emulator pipeline: ${x.op} reached a step that needs its route before routing`);
  return x.match;
}

/** A path parameter that is not valid percent-encoding is a client error, reported only to authenticated callers. */
export function rejectInvalidParams(x: Exchange): void {
  const { invalidParam } = matchOf(x);
  if (invalidParam) {
    const detail = `${invalidParam} is not valid: malformed percent-encoding in the path`;
    throw inputError(detail, { [invalidParam]: detail });
  }
}

export async function dispatch(x: Exchange): Promise<void> {
  const { route, params } = matchOf(x);
  x.result = await runRoute(x.env, route, knownApp(x), { params, query: x.url.searchParams, body: x.body, now: x.now });
}

/** Runs a route's handler for an app: the HTTP pipeline's last step, and the emulator's in-process `call`. */
export async function runRoute(env: ServerEnv, route: Route, app: AppState, req: { params: Record<string, string>; query: URLSearchParams; body: unknown; now: number }): Promise<Rec> {
  // Due task work lands before the handler reads the state, so effects appear on time without timers.
  env.tasks.settle(app, req.now);
  const ctx: RequestContext = {
    op: route.op,
    app,
    ...req,
    quotas: env.quotas,
    tasks: env.tasks,
    rateLimiter: env.rateLimiter,
    operations: env.operations,
    newId: env.newId,
  };
  return route.handler(ctx);
}
