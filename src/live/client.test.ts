import { decodeJwt, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { ApiError, UsageError } from '../core/errors.js';
import { createApiClient, fillPath, queryString, ServerToken, toApiError } from './client.js';
import { isAmbiguous, TransportError } from '../core/errors.js';

const SECRET = 'unit-test-secret-7f3a9c';

describe('ServerToken', () => {
  it('signs an HS256 server token with iat and a five-minute exp', async () => {
    const now = 1_700_000_000_000;
    const token = await new ServerToken(SECRET, () => now).token();
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), { currentDate: new Date(now) });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.server).toBe(true);
    expect(payload.user_id).toBeUndefined();
    expect(payload.exp).toBe(now / 1000 + 300);
    expect(payload.iat).toBeLessThanOrEqual(now / 1000);
  });

  it('reuses the token while more than a minute is left and re-signs it near expiry', async () => {
    let now = 1_700_000_000_000;
    const signer = new ServerToken(SECRET, () => now);
    const first = await signer.token();
    now += 239_000;
    expect(await signer.token()).toBe(first);
    now += 2_000;
    const renewed = await signer.token();
    expect(renewed).not.toBe(first);
    expect(decodeJwt(renewed).exp).toBe(now / 1000 + 300);
  });

  it('keeps the secret out of its own properties', () => {
    const signer = new ServerToken(SECRET);
    expect(JSON.stringify(signer)).not.toContain(SECRET);
    expect(Object.values(signer).map(String).join(' ')).not.toContain(SECRET);
  });
});

describe('fillPath', () => {
  it('encodes each path parameter as one segment', () => {
    expect(fillPath({ op: 'GetBlockList', path: '/api/v2/blocklists/{name}', params: { name: 'a b/ç?#%' } })).toBe('/api/v2/blocklists/a%20b%2F%C3%A7%3F%23%25');
    expect(fillPath({ op: 'DeletePushProvider', path: '/api/v2/push_providers/{type}/{name}', params: { type: 'apn', name: 'prod' } })).toBe(
      '/api/v2/push_providers/apn/prod',
    );
  });

  it('encodes dot-only segments, which would otherwise be resolved as . or ..', () => {
    expect(fillPath({ op: 'GetRole', path: '/api/v2/roles/{name}', params: { name: '..' } })).toBe('/api/v2/roles/%2E%2E');
  });

  it('refuses a template whose parameter is missing', () => {
    expect(() => fillPath({ op: 'GetRole', path: '/api/v2/roles/{name}', params: {} })).toThrow(/GetRole: path parameter "name" is missing/);
  });
});

describe('queryString', () => {
  it('puts api_key first, JSON-encodes objects, joins scalar arrays and skips undefined', () => {
    const q = new URLSearchParams(queryString('key1', { payload: { filter_conditions: { id: { $gt: 'a b' } }, limit: 100 }, ids: ['a', 'b'], n: 3, x: undefined }));
    expect([...q.keys()]).toEqual(['api_key', 'payload', 'ids', 'n']);
    expect(q.get('api_key')).toBe('key1');
    expect(JSON.parse(q.get('payload')!)).toEqual({ filter_conditions: { id: { $gt: 'a b' } }, limit: 100 });
    expect(q.get('ids')).toBe('a,b');
    expect(q.get('n')).toBe('3');
  });
});

describe('toApiError', () => {
  const envelope = (status: number, code: number, detail: string, extra: object = {}) =>
    JSON.stringify({ code, message: `CreateRole failed with error: "${detail}"`, StatusCode: status, duration: '0.1ms', more_info: '', details: [], ...extra });

  it('reads code, detail and unrecoverable from Stream envelope', () => {
    const err = toApiError({ op: 'CreateRole', idempotent: false }, 400, envelope(400, 4, 'role x already exists', { unrecoverable: true }));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ op: 'CreateRole', status: 400, code: 4, detail: 'role x already exists', unrecoverable: true, ambiguous: false });
    expect(err.message).toBe('CreateRole: HTTP 400 (Stream code 4): role x already exists');
  });

  it('turns a non-JSON body into code -1 with a short one-line detail', () => {
    const html = `<html>\n<body>${'bad gateway '.repeat(50)}</body></html>`;
    const err = toApiError({ op: 'GetApp', idempotent: true }, 502, html);
    expect(err.code).toBe(-1);
    expect(err.detail.length).toBeLessThanOrEqual(200);
    expect(err.detail).not.toContain('\n');
    expect(toApiError({ op: 'GetApp', idempotent: true }, 503, '').detail).toBe('the answer has no body');
  });

  it('marks 5xx and 408 of non-idempotent requests ambiguous, and nothing else', () => {
    expect(toApiError({ op: 'CreateRole', idempotent: false }, 503, 'upstream reset').ambiguous).toBe(true);
    expect(toApiError({ op: 'CreateRole', idempotent: false }, 408, envelope(408, 23, 'timeout')).ambiguous).toBe(true);
    expect(toApiError({ op: 'CreateRole', idempotent: false }, 429, envelope(429, 9, 'too many')).ambiguous).toBe(false);
    expect(toApiError({ op: 'UpdateApp', idempotent: true }, 503, 'upstream reset').ambiguous).toBe(false);
  });
});

describe('isAmbiguous', () => {
  it('is true only for errors flagged ambiguous', () => {
    expect(isAmbiguous(new TransportError('CreateRole', 'ECONNRESET', 'closed', true))).toBe(true);
    expect(isAmbiguous(new TransportError('CreateRole', 'ECONNREFUSED', 'refused', false))).toBe(false);
    expect(isAmbiguous(new ApiError('CreateRole', 500, -1, 'x', false, true))).toBe(true);
    expect(isAmbiguous(new Error('x'))).toBe(false);
  });
});

describe('createApiClient', () => {
  it('refuses unusable settings with a UsageError that does not echo the secret', () => {
    const base = { baseUrl: 'https://chat.stream-io-api.com', apiKey: 'k', apiSecret: SECRET };
    expect(() => createApiClient({ ...base, baseUrl: 'not a url' })).toThrow(UsageError);
    expect(() => createApiClient({ ...base, baseUrl: 'ftp://x' })).toThrow(UsageError);
    expect(() => createApiClient({ ...base, apiKey: '' })).toThrow(/API key is missing/);
    expect(() => createApiClient({ ...base, apiSecret: '' })).toThrow(/API secret is missing/);
    expect(() => createApiClient({ ...base, concurrency: 0 })).toThrow(/concurrency/);
  });

  it('keeps the secret out of the client object', async () => {
    const client = createApiClient({ baseUrl: 'https://chat.stream-io-api.com', apiKey: 'k', apiSecret: SECRET });
    try {
      const own = Object.values(client).map((v) => (typeof v === 'object' ? JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x)) ?? '' : String(v)));
      expect(own.join(' ')).not.toContain(SECRET);
    } finally {
      await client.close();
    }
  });
});
