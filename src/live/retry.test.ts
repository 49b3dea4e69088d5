import type { RetryHandler } from 'undici';
import { describe, expect, it, vi } from 'vitest';
import { backoffDelay, RETRY_ERROR_CODES, RETRY_STATUSES, retryCallback, retryDelay, shouldRetry } from './retry.js';

const backoff = { minBackoffMs: 200, maxBackoffMs: 30_000 };
const NOW = 1_700_000_000_000;
const options: RetryHandler.RetryOptions = { methods: ['GET'], statusCodes: RETRY_STATUSES, errorCodes: RETRY_ERROR_CODES, maxRetries: 3, minTimeout: 200, maxTimeout: 30_000 };

describe('backoffDelay', () => {
  it('stays between the minimum and the doubling ceiling, capped by the maximum', () => {
    expect(backoffDelay(1, backoff, () => 0)).toBe(200);
    expect(backoffDelay(1, backoff, () => 0.999999)).toBe(400);
    expect(backoffDelay(3, backoff, () => 0.999999)).toBe(1_600);
    expect(backoffDelay(20, backoff, () => 0.999999)).toBe(30_000);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, backoff, Math.random);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(3_200);
    }
  });
});

describe('retryDelay', () => {
  it('waits for X-RateLimit-Reset on a 429, plus jitter', () => {
    const f = { statusCode: 429, headers: { 'x-ratelimit-reset': String(NOW / 1000 + 3) } };
    expect(retryDelay(f, 1, backoff, NOW, () => 0)).toBe(3_000);
    expect(retryDelay(f, 1, backoff, NOW, () => 0.5)).toBe(3_100);
  });

  it('caps the wait for the reset at the maximum back-off', () => {
    const f = { statusCode: 429, headers: { 'x-ratelimit-reset': String(NOW / 1000 + 3_600) } };
    expect(retryDelay(f, 1, backoff, NOW, () => 0)).toBe(30_000);
  });

  it('backs off exponentially on a 429 without headers, or with a reset already past', () => {
    expect(retryDelay({ statusCode: 429, headers: {} }, 2, backoff, NOW, () => 0)).toBe(200);
    expect(retryDelay({ statusCode: 429, headers: { 'x-ratelimit-reset': String(NOW / 1000 - 5) } }, 1, backoff, NOW, () => 0)).toBe(200);
  });

  it('honours Retry-After, in seconds or as a date', () => {
    expect(retryDelay({ statusCode: 503, headers: { 'retry-after': '2' } }, 1, backoff, NOW, () => 0)).toBe(2_000);
    // HTTP dates have whole seconds: 20 s ahead is between 19 and 20 s away.
    const at = new Date(NOW + 20_000).toUTCString();
    const d = retryDelay({ statusCode: 503, headers: { 'retry-after': at } }, 1, backoff, NOW, () => 0);
    expect(d).toBeGreaterThan(19_000 - 1);
    expect(d).toBeLessThanOrEqual(20_000);
  });
});

describe('shouldRetry', () => {
  it('retries listed statuses and network errors for the listed methods, up to maxRetries', () => {
    expect(shouldRetry({ code: 'UND_ERR_REQ_RETRY', statusCode: 503 }, 'GET', options, 1)).toBe(true);
    expect(shouldRetry({ code: 'UND_ERR_SOCKET' }, 'GET', options, 1)).toBe(true);
    expect(shouldRetry({ code: 'UND_ERR_HEADERS_TIMEOUT' }, 'GET', options, 3)).toBe(true);
    expect(shouldRetry({ code: 'UND_ERR_REQ_RETRY', statusCode: 503 }, 'GET', options, 4)).toBe(false);
  });

  it('does not retry other statuses, unknown errors or methods not listed', () => {
    expect(shouldRetry({ code: 'UND_ERR_REQ_RETRY', statusCode: 401 }, 'GET', options, 1)).toBe(false);
    expect(shouldRetry({ code: 'UND_ERR_INVALID_ARG' }, 'GET', options, 1)).toBe(false);
    expect(shouldRetry({ code: 'UND_ERR_REQ_RETRY', statusCode: 503 }, 'POST', options, 1)).toBe(false);
    expect(shouldRetry({ code: 'UND_ERR_REQ_RETRY', statusCode: 429 }, 'POST', { ...options, methods: [] }, 1)).toBe(false);
  });
});

describe('retryCallback', () => {
  const context = (method: RetryHandler.RetryContext['opts']['method'], counter: number) => ({
    state: { counter },
    opts: { method, path: '/api/v2/app', retryOptions: options },
  });

  it('sleeps the computed delay, runs beforeRetry, then lets undici re-dispatch', async () => {
    const sleep = vi.fn(async () => {});
    const beforeRetry = vi.fn(async () => {});
    const onRetry = vi.fn();
    const cb = vi.fn();
    const err = Object.assign(new Error('Request failed'), { code: 'UND_ERR_REQ_RETRY', statusCode: 503, headers: {} });
    retryCallback({ now: () => NOW, random: () => 0, sleep, onRetry, beforeRetry })(err, context('GET', 2), cb);
    await vi.waitFor(() => expect(cb).toHaveBeenCalledWith(null));
    expect(onRetry).toHaveBeenCalledWith(err, 2, 200);
    expect(sleep).toHaveBeenCalledWith(200);
    expect(beforeRetry).toHaveBeenCalledOnce();
  });

  it('hands the failure back at once when it is not retried', () => {
    const onRetry = vi.fn();
    const cb = vi.fn();
    const err = Object.assign(new Error('Request failed'), { code: 'UND_ERR_REQ_RETRY', statusCode: 503, headers: {} });
    retryCallback({ now: () => NOW, random: () => 0, sleep: async () => {}, onRetry, beforeRetry: async () => {} })(err, context('POST', 1), cb);
    expect(cb).toHaveBeenCalledWith(err);
    expect(onRetry).not.toHaveBeenCalled();
  });
});
