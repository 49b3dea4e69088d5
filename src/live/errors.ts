import { ApiError, TransportError } from '../core/errors.js';
import type { ApiRequest } from '../core/api.js';
import type { Rec } from '../core/model.js';

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

/** Network codes of a connection never made: nothing was sent, and another attempt may well succeed. */
export const NOT_CONNECTED_CODES = [
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
];

/** Network codes that prove the request never left this process. */
const NOT_SENT_CODES = new Set([...NOT_CONNECTED_CODES, 'UND_ERR_INVALID_ARG', 'UND_ERR_DESTROYED', 'UND_ERR_CLOSED']);

/**
 * A failed attempt that provably was not processed, so any request may be sent again: Stream's rate limiter
 * refuses (429) before the handler runs, and a connection never made carried nothing.
 */
export const provedNotProcessed = (f: { statusCode?: number; code?: string }) =>
  f.statusCode === 429 || (f.statusCode === undefined && f.code !== undefined && NOT_SENT_CODES.has(f.code));

type Req = Pick<ApiRequest, 'op' | 'idempotent'>;

/** 401 with Stream code 40: "JWTAuth error: token has expired". */
/** Stream refused the token for its time: expired (40) or not valid yet (41, `iat` in its future). */
export const tokenRefusedForTime = (err: unknown) => err instanceof ApiError && err.status === 401 && (err.code === 40 || err.code === 41);

/** At most 200 characters of a non-JSON body, on one line: an edge's HTML page must not flood a log. */
function summarize(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** The envelope's message is `<Op> failed with error: "<detail>"`; ApiError already names the operation. */
function detailOf(message: string): string {
  const m = /^\w+ failed with error: "([\s\S]*)"$/.exec(message);
  return m ? m[1]! : message;
}

/** A non-2xx answer: Stream's APIError envelope, or an edge layer's plain-text or HTML body. */
export function toApiError(req: Req, status: number, text: string): ApiError {
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

/** A 2xx answer whose body is not JSON: a non-idempotent write happened, and what it produced is unknown. */
export function notJsonError(req: Req, status: number, text: string): ApiError {
  return new ApiError(req.op, status, -1, `the response is not JSON: ${summarize(text)}`, false, !req.idempotent);
}

/**
 * No usable answer (a network error or a timeout); `timeoutMs` is the per-attempt timeout, for the message. With
 * `reached` (the URL and how many attempts were made), a connection never made says which URL could not be reached
 * and what to check: the first thing a mistyped or unset base URL shows.
 */
export function toTransportError(req: Req, err: unknown, timeoutMs: number, reached?: { url: string; attempts: number }): TransportError {
  const code = (err as { code?: unknown }).code;
  const name = typeof code === 'string' ? code : 'UNKNOWN';
  const ambiguous = !req.idempotent && !NOT_SENT_CODES.has(name);
  const detail = describeNetworkError(name, err, timeoutMs);
  const unreachable =
    reached && NOT_CONNECTED_CODES.includes(name)
      ? `cannot reach ${reached.url} after ${reached.attempts} attempt${reached.attempts === 1 ? '' : 's'}: ${detail}; check STREAM_BASE_URL (or the environment's base_url)`
      : undefined;
  return new TransportError(req.op, name, unreachable ?? detail, ambiguous, { cause: err });
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
