import type { AppState, Quotas, Rec } from './store.js';
import type { RateLimiter } from './rate-limit.js';
import type { Tasks } from './tasks.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a handler sees of one authenticated request. */
export interface RequestContext {
  op: string;
  app: AppState;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body (`{}` when empty); for multipart requests, the fields as strings/Blobs. */
  body: unknown;
  /** Request time in ms since the epoch (the emulator's clock). */
  now: number;
  quotas: Quotas;
  tasks: Tasks;
  rateLimiter: RateLimiter;
  /** Every operationId the emulator serves (for GetRateLimits). */
  operations: readonly string[];
  /**
   * A fresh UUID (v4) from the emulator's generator; `newId(now)` gives a time-ordered UUID v7. Pass `taken` (e.g.
   * `(id) => app.polls.has(id)`) for an id that becomes a key: an id already in use is never handed out.
   */
  newId(nowMs?: number, taken?: (id: string) => boolean): string;
}

/** A handler returns the response body without `duration`; the server adds it and picks the status by method. */
export type Handler = (ctx: RequestContext) => Rec | Promise<Rec>;

export interface Route {
  method: Method;
  /** The spec's path template, e.g. `/api/v2/blocklists/{name}`. */
  path: string;
  /** The spec's operationId. */
  op: string;
  handler: Handler;
}

/**
 * Declares one endpoint where its handler is written, Hono/Express style:
 * `const listRoles = route('GET', '/api/v2/roles', 'ListRoles', ({ app }) => …)`. A resource lists these in its
 * `routes`.
 */
export const route = (method: Method, path: string, op: string, handler: Handler): Route => ({ method, path, op, handler });

interface Compiled {
  route: Route;
  regex: RegExp;
  names: string[];
  literalLength: number;
}

export interface Match {
  route: Route;
  params: Record<string, string>;
  /** Set when a path parameter is not valid percent-encoding: the request is answered 400/4 (after auth). */
  invalidParam?: string;
}

/** Path-template router. Literal segments win over parameters (`/roles/search` before `/roles/{name}`). */
export class Router {
  private readonly compiled: Compiled[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes
      .map((route) => {
        const names: string[] = [];
        const pattern = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
          names.push(name);
          return '([^/]+)';
        });
        return { route, regex: new RegExp(`^${pattern}/?$`), names, literalLength: route.path.replace(/\{\w+\}/g, '').length };
      })
      .sort((a, b) => b.literalLength - a.literalLength);
  }

  /** `undefined` when no route has the path; `{route: undefined}` lists the allowed methods when only the method is wrong. */
  match(method: string, pathname: string): Match | { route: undefined; allowed: Method[] } | undefined {
    const allowed: Method[] = [];
    for (const c of this.compiled) {
      const m = c.regex.exec(pathname);
      if (!m) continue;
      if (c.route.method !== method) {
        allowed.push(c.route.method);
        continue;
      }
      const params: Record<string, string> = {};
      let invalidParam: string | undefined;
      c.names.forEach((n, i) => {
        try {
          params[n] = decodeURIComponent(m[i + 1]!);
        } catch {
          // Malformed percent-encoding (`%E0%A4%A`, `%ZZ`): a client error, never a crash.
          invalidParam ??= n;
          params[n] = m[i + 1]!;
        }
      });
      return invalidParam === undefined ? { route: c.route, params } : { route: c.route, params, invalidParam };
    }
    return allowed.length ? { route: undefined, allowed } : undefined;
  }

  get routes(): Route[] {
    return this.compiled.map((c) => c.route);
  }
}
