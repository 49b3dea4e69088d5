import { SignJWT } from 'jose';
import { expect } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import type { Spec } from './spec.js';

export interface ApiCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path under the base URL, e.g. `/api/v2/blocklists/${encodeURIComponent(name)}`. */
  path: string;
  query?: Record<string, string | number | boolean | object | undefined>;
  body?: unknown;
  /** Overrides for auth tests. `null` leaves the part out. */
  apiKey?: string | null;
  secret?: string;
  token?: string | null;
  authType?: string | null;
  headers?: Record<string, string>;
  /** Send this raw body instead of JSON.stringify(body). */
  rawBody?: string | Uint8Array | FormData;
}

export interface ApiResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  op: string | undefined;
}

export async function serverToken(secret: string, claims: Record<string, unknown> = { server: true }): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

/**
 * A plain HTTP client for emulator tests. With a spec, every response it receives is validated against the
 * spec's response schema for its operation and status (a mismatch fails the test), and every JSON request body
 * against the operation's request schema unless `skipRequestValidation` (for deliberately bad input).
 * `validated` records `${op} ${status}` for each validated response, so a suite can prove its coverage.
 */
export class TestApi {
  readonly validated = new Set<string>();

  constructor(
    readonly emu: RunningEmulator,
    readonly spec?: Spec,
  ) {}

  async call<T = any>(c: ApiCall, opts: { skipRequestValidation?: boolean } = {}): Promise<ApiResult<T>> {
    const url = new URL(c.path, this.emu.url);
    const apiKey = c.apiKey === undefined ? this.emu.apiKey : c.apiKey;
    if (apiKey !== null) url.searchParams.set('api_key', apiKey);
    for (const [k, v] of Object.entries(c.query ?? {})) {
      if (v === undefined) continue;
      url.searchParams.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
    const headers: Record<string, string> = { ...c.headers };
    const token = c.token === undefined ? await serverToken(c.secret ?? this.emu.apiSecret) : c.token;
    if (token !== null) headers.authorization = token;
    const authType = c.authType === undefined ? 'jwt' : c.authType;
    if (authType !== null) headers['stream-auth-type'] = authType;
    let body: RequestInit["body"];
    if (c.rawBody !== undefined) body = c.rawBody as RequestInit["body"];
    else if (c.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(c.body);
    }
    const op = this.spec?.find(c.method, url.pathname)?.op;
    if (this.spec && op && c.body !== undefined && c.rawBody === undefined && !opts.skipRequestValidation) {
      const errors = this.spec.validateRequest(op, c.body);
      expect(errors, `request body of ${op} does not match the spec`).toEqual([]);
    }
    const res = await fetch(url, { method: c.method, headers, body });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* non-JSON bodies stay text (fault injection) */
    }
    if (this.spec && op && typeof parsed === 'object') {
      const errors = this.spec.validateResponse(op, res.status, parsed);
      expect(errors, `${c.method} ${url.pathname} → ${res.status} does not match the spec's response for ${op}: ${text.slice(0, 500)}`).toEqual([]);
      this.validated.add(`${op} ${res.status}`);
    }
    return { status: res.status, headers: res.headers, body: parsed as T, op };
  }
}
