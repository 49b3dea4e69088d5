import { UsageError } from '../core/errors.js';
import type { ApiRequest } from '../core/api.js';

/** The base URL's origin (where the Pool connects) and its path prefix, kept before every request path. */
export function parseBaseUrl(raw: string): { origin: string; prefix: string } {
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

/** The request's path and query as sent: the base URL's prefix, the filled template, `api_key` and the query. */
export function requestPath(prefix: string, apiKey: string, req: Pick<ApiRequest, 'op' | 'path' | 'params' | 'query'>): string {
  return `${prefix}${fillPath(req)}?${queryString(apiKey, req.query)}`;
}
