import { StreamApiError } from '../errors.js';
import type { RateDecision } from '../rate-limit.js';
import { type Exchange, knownApp } from './exchange.js';

function setRateHeaders(x: Exchange, rate: Pick<RateDecision, 'limit' | 'remaining' | 'reset'>): void {
  x.headers['x-ratelimit-limit'] = String(rate.limit);
  x.headers['x-ratelimit-remaining'] = String(rate.remaining);
  x.headers['x-ratelimit-reset'] = String(rate.reset);
}

/** X-RateLimit-* go on every answer, errors included: a request that is not counted sees the budget as it is. */
export function peekRateLimit(x: Exchange): void {
  setRateHeaders(x, x.env.rateLimiter.peek(x.app?.key ?? '', x.op, x.env.now()));
}

/** Only authenticated requests spend the app's rate budget. */
export function takeRateLimit(x: Exchange): void {
  const rate = x.env.rateLimiter.take(knownApp(x).key, x.op, x.now, x.limitScale);
  setRateHeaders(x, rate);
  if (!rate.allowed) throw new StreamApiError(429, 9, `Too many requests, check response headers for more info`);
}
