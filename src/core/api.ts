/** Requests to Stream's API as data, and the one thing every layer needs of the HTTP client: to send one. */
import type { Rec } from './model.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One call to Stream's API, described as data so plans, pacing and tests can reason about it. */
export interface ApiRequest {
  /** The spec's operationId (rate limits, metrics and logs are per operation). */
  op: string;
  method: HttpMethod;
  /** A path template such as `/api/v2/blocklists/{name}`; `params` fill it, URL-encoded by the client. */
  path: string;
  params?: Record<string, string>;
  query?: Record<string, string | number | boolean | object | undefined>;
  body?: unknown;
  /**
   * Safe to send again after an ambiguous failure (GET, PUT, DELETE, upserts). A non-idempotent create that
   * may have happened is re-read by the executor, never blindly re-sent.
   */
  idempotent: boolean;
}

/** What kinds see of the HTTP client. */
export interface Api {
  send<T = Rec>(req: ApiRequest): Promise<T>;
}
