import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { decodeJwt, jwtVerify } from 'jose';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/core/errors.js';
import type { ApiRequest } from '../../src/core/api.js';
import { type ApiClient, type ApiClientOptions, createApiClient, type RequestEvent } from '../../src/live/client.js';
import { TransportError } from '../../src/core/errors.js';
import { VERSION } from '../../src/core/version.js';
import { useEmulator } from '../support/emulator.js';

const getApp: ApiRequest = { op: 'GetApp', method: 'GET', path: '/api/v2/app', idempotent: true };
const createBlockList = (name: string, idempotent = false): ApiRequest => ({
  op: 'CreateBlockList',
  method: 'POST',
  path: '/api/v2/blocklists',
  body: { name, words: ['spam'] },
  idempotent,
});
const getBlockList = (name: string): ApiRequest => ({ op: 'GetBlockList', method: 'GET', path: '/api/v2/blocklists/{name}', params: { name }, idempotent: true });
const deleteBlockList = (name: string): ApiRequest => ({ op: 'DeleteBlockList', method: 'DELETE', path: '/api/v2/blocklists/{name}', params: { name }, idempotent: true });

/** Clients with back-offs short enough for tests; closed after each test. */
function clientFactory(defaults: () => Pick<ApiClientOptions, 'baseUrl' | 'apiKey' | 'apiSecret'>) {
  const open: ApiClient[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  return (opts: Partial<ApiClientOptions> = {}) => {
    const c = createApiClient({ ...defaults(), minBackoffMs: 5, maxBackoffMs: 40, ...opts });
    open.push(c);
    return c;
  };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the request to fail');
}

describe('ApiClient against the emulator', () => {
  const env = useEmulator();
  const client = clientFactory(() => ({ baseUrl: env.emu.url, apiKey: env.emu.apiKey, apiSecret: env.emu.apiSecret }));
  let mark = 0;
  /** The requests the emulator answered since the test began. */
  const seen = () => env.emu.requests.slice(mark);
  const statuses = (op: string) => seen().filter((r) => r.op === op).map((r) => r.status);

  afterEach(() => {
    env.emu.faults.clear();
    mark = env.emu.requests.length;
  });

  it('retries an idempotent request on 503 and succeeds with exactly 3 requests', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'error', status: 503, times: 2, op: 'GetApp' }] });
    const events: RequestEvent[] = [];
    const c = client({ onRequest: (e) => events.push(e) });
    const res = await c.send<{ app: unknown }>(getApp);
    expect(res.app).toBeDefined();
    expect(statuses('GetApp')).toEqual([503, 503, 200]);
    expect(c.stats()).toMatchObject({ requests: { GetApp: { 503: 2, 200: 1 } }, retries: 2, rateLimited: 0, writes: 0 });
    expect(events.map((e) => [e.attempt, e.status])).toEqual([
      [1, 503],
      [2, 503],
      [3, 200],
    ]);
  });

  it('retries a POST marked idempotent (an upsert)', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'error', status: 503, times: 1, op: 'CreateBlockList' }] });
    const c = client();
    await c.send(createBlockList('upserted', true));
    expect(statuses('CreateBlockList')).toEqual([503, 201]);
    await c.send(deleteBlockList('upserted'));
  });

  it('sends a non-idempotent POST once and reports an ambiguous ApiError on 503', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'error', status: 503, op: 'CreateBlockList' }] });
    const err = await failure(client().send(createBlockList('once-503')));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ op: 'CreateBlockList', status: 503, ambiguous: true });
    expect(statuses('CreateBlockList')).toEqual([503]);
  });

  it('sends a non-idempotent POST once and reports an ambiguous TransportError on a connection reset', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'reset', op: 'CreateBlockList', when: 'after' }] });
    const c = client();
    const err = await failure(c.send(createBlockList('once-reset')));
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ op: 'CreateBlockList', ambiguous: true });
    expect(statuses('CreateBlockList')).toEqual([0]);
    expect(c.stats().requests.CreateBlockList).toEqual({ error: 1 });
    // The write happened before the reset: exactly why the executor re-reads instead of re-sending.
    env.emu.faults.clear();
    await c.send(getBlockList('once-reset'));
    await c.send(deleteBlockList('once-reset'));
  });

  it('retries an idempotent request after a connection reset', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'reset', op: 'GetApp', times: 1 }] });
    const c = client();
    await c.send(getApp);
    expect(statuses('GetApp')).toEqual([0, 200]);
    expect(c.stats().requests.GetApp).toEqual({ error: 1, 200: 1 });
  });

  it('retries a 429 storm that carries rate-limit headers and succeeds', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'rate_limit', op: 'GetApp', times: 3 }] });
    const c = client();
    await c.send(getApp);
    expect(statuses('GetApp')).toEqual([429, 429, 429, 200]);
    expect(c.stats()).toMatchObject({ retries: 3, rateLimited: 3 });
  });

  it('retries a 429 storm without rate-limit headers and succeeds', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'rate_limit', op: 'GetApp', times: 3, resetHeaders: false }] });
    const c = client();
    await c.send(getApp);
    expect(statuses('GetApp')).toEqual([429, 429, 429, 200]);
    expect(c.stats().rateLimited).toBe(3);
  });

  it('turns a non-JSON 502 body into a typed ApiError with code -1 once the retries run out', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'non_json', status: 502, op: 'GetApp', body: 'upstream connect error or disconnect/reset before headers' }] });
    const err = await failure(client({ maxRetries: 2 }).send(getApp));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 502, code: -1, detail: 'upstream connect error or disconnect/reset before headers', ambiguous: false });
    expect(statuses('GetApp')).toEqual([502, 502, 502]);
  });

  it('retries a request that timed out when idempotent, and reports a timed-out create as ambiguous', async () => {
    // undici checks its timeouts on a coarse (about half-second) tick: the answer is held back well beyond.
    env.emu.faults.configure({
      rules: [
        { kind: 'slow', ms: 3_000, op: 'GetApp', times: 1 },
        { kind: 'slow', ms: 3_000, op: 'CreateBlockList', times: 1 },
      ],
    });
    const c = client({ timeoutMs: 100 });
    await c.send(getApp);
    expect(c.stats().requests.GetApp).toEqual({ error: 1, 200: 1 });
    const err = await failure(c.send(createBlockList('slow-create')));
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT', ambiguous: true });
    expect(c.stats().requests.CreateBlockList).toEqual({ error: 1 });
    env.emu.faults.clear();
    await c.send(deleteBlockList('slow-create'));
  });

  it('does not retry a 401 from a wrong secret, and never shows the secret', async () => {
    const secret = 'wrong-secret-4c1f9e7d2b';
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const err = await failure(client({ apiSecret: secret, logger }).send(getApp));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, code: 43, unrecoverable: true });
    expect(statuses('GetApp')).toEqual([401]);
    const exposed = [err.message, String(err.stack), JSON.stringify(err), ...Object.values(err).map(String), ...lines].join('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(exposed).not.toContain(secret);
  });

  it('reports a missing object as ApiError 404/16 without retrying', async () => {
    const err = await failure(client().send(getBlockList('no-such-list')));
    expect(err).toMatchObject({ status: 404, code: 16, ambiguous: false });
    expect(statuses('GetBlockList')).toEqual([404]);
  });

  it('delivers path parameters with a slash, spaces and unicode intact', async () => {
    const name = 'a b/ç';
    const c = client();
    await c.send(createBlockList(name));
    const res = await c.send<{ blocklist: { name: string } }>(getBlockList(name));
    expect(res.blocklist.name).toBe(name);
    expect(seen().find((r) => r.op === 'GetBlockList')?.path).toBe('/api/v2/blocklists/a%20b%2F%C3%A7');
    await c.send(deleteBlockList(name));
    expect(c.stats().writes).toBe(2);
  });
});

describe("ApiClient and a clock off Stream's", () => {
  /** Stream's clock minus this machine's; and how far a long run has advanced both (the test does not wait). */
  let skewMs = 0;
  let elapsedMs = 0;
  const env = useEmulator({ now: () => Date.now() + elapsedMs + skewMs });
  const client = clientFactory(() => ({ baseUrl: env.emu.url, apiKey: env.emu.apiKey, apiSecret: env.emu.apiSecret, now: () => Date.now() + elapsedMs }));
  afterEach(() => {
    skewMs = 0;
    elapsedMs = 0;
  });

  // Before: a token signed by this machine's clock was refused as expired (Stream ahead by 5 min or more) or not yet
  // valid (Stream behind by more than 5 s), on every request, however often it was re-signed.
  it.each([
    ['10 minutes behind', 600_000],
    ['90 s behind', 90_000],
    ['4 min 30 s behind', 270_000],
    ['a minute ahead', -60_000],
    ['10 minutes ahead', -600_000],
  ])("signs by Stream's clock when this machine's is %s: a 12-minute run sends every request, re-sending at most the first", async (_what, skew) => {
    skewMs = skew;
    const c = client();
    const from = env.emu.requests.length;
    for (let step = 0; step < 36; step++) {
      await expect(c.send(getApp)).resolves.toMatchObject({ app: expect.any(Object) });
      elapsedMs += 20_000;
    }
    const statuses = env.emu.requests.slice(from).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(36);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(1);
  });

  it('follows a clock that jumps mid-run (a laptop waking up): one refused request, re-sent with a token by the new clock', async () => {
    const c = client();
    await c.send(getApp);
    await c.send(getApp);
    skewMs = 400_000;
    const from = env.emu.requests.length;
    await c.send(getApp);
    await c.send(getApp);
    expect(env.emu.requests.slice(from).map((r) => r.status)).toEqual([401, 200, 200]);
  });

  it('re-sends each of several requests refused with the same token once, with one new token', async () => {
    const c = client();
    await c.send(getApp);
    skewMs = 400_000;
    const from = env.emu.requests.length;
    // Two of them are refused only once the first has been sent again with a new token.
    env.emu.faults.configure({ rules: [{ kind: 'latency', op: 'GetApp', ms: 300, after: 1, times: 2 }] });
    await expect(Promise.all([c.send(getApp), c.send(getApp), c.send(getApp)])).resolves.toHaveLength(3);
    env.emu.faults.clear();
    expect(env.emu.requests.slice(from).map((r) => r.status).sort()).toEqual([200, 200, 200, 401, 401, 401]);
  });
});

describe('ApiClient waiting for a spent window', () => {
  // Stream's clock stands 5 s into a minute: a 429's X-RateLimit-Reset is 55 s away.
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const env = useEmulator({ now: () => minute + 5_000 });
  const client = clientFactory(() => ({ baseUrl: env.emu.url, apiKey: env.emu.apiKey, apiSecret: env.emu.apiSecret }));

  it('says a wait over 2 s at warn, once, with the endpoint and how long; shorter waits stay quiet', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    // This machine's clock is another one (an hour off), and its sleeps move it: the wait is measured on Stream's.
    let t = Date.now() + 3_600_000;
    const c = client({ logger, now: () => t, sleep: async (ms) => void (t += ms), maxBackoffMs: 60_000 });
    env.emu.faults.configure({ rules: [{ kind: 'rate_limit', op: 'GetApp', times: 1 }] });
    await c.send(getApp);
    const warned = lines.map((l) => JSON.parse(l) as { level: number; op: string; wait_ms: number; msg: string });
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: 40, op: 'GetApp' });
    expect(warned[0]!.wait_ms).toBeGreaterThan(50_000);
    expect(warned[0]!.wait_ms).toBeLessThan(57_000);
    expect(warned[0]!.msg).toMatch(/^waiting \d+\.\d s before GetApp: rate limited \(429\)$/);

    lines.length = 0;
    env.emu.faults.configure({ rules: [{ kind: 'rate_limit', op: 'GetApp', times: 2 }] });
    await client({ logger }).send(getApp);
    expect(lines).toEqual([]);
  });
});

describe('ApiClient pacing against the emulator rate limits', () => {
  // 90 per minute: 3 per second, the share the client must not exceed.
  const env = useEmulator({ rateLimits: { perMinute: { GetApp: 90, ListBlockLists: 90 } } });
  const client = clientFactory(() => ({ baseUrl: env.emu.url, apiKey: env.emu.apiKey, apiSecret: env.emu.apiSecret }));
  const listBlockLists: ApiRequest = { op: 'ListBlockLists', method: 'GET', path: '/api/v2/blocklists', idempotent: true };

  it('keeps a seeded burst under the per-second limit: no 429', async () => {
    const c = client();
    c.seed({ GetApp: 90 });
    await Promise.all(Array.from({ length: 6 }, () => c.send(getApp)));
    expect(env.emu.requests.filter((r) => r.op === 'GetApp').map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(c.stats().rateLimited).toBe(0);
  });

  it('learns the limit from the first answer headers', async () => {
    const c = client();
    await c.send(listBlockLists);
    await Promise.all(Array.from({ length: 5 }, () => c.send(listBlockLists)));
    expect(env.emu.requests.filter((r) => r.op === 'ListBlockLists').map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
  });
});

/** A tiny HTTP server that records what arrives, for checking the wire format and the concurrency bound. */
describe('ApiClient on the wire', () => {
  const SECRET = 'wire-secret-0b9d';
  const received: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  /** How far the test has moved time on: the server's Date and the client's clock alike. */
  let shiftMs = 0;
  let server: Server;
  let baseUrl = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        // Held briefly so concurrent requests overlap.
        setTimeout(() => {
          inFlight--;
          res.writeHead(200, { 'content-type': 'application/json', date: new Date(Date.now() + shiftMs).toUTCString() }).end('{"duration":"0.01ms"}');
        }, 20);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/base/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  afterEach(() => {
    received.length = 0;
  });
  const client = clientFactory(() => ({ baseUrl, apiKey: 'wire-key', apiSecret: SECRET }));

  it('sends the token, auth type, client header, request id, api_key and a JSON body', async () => {
    await client().send({
      op: 'QueryUsers',
      method: 'GET',
      path: '/api/v2/users',
      query: { payload: { filter_conditions: { id: { $gt: 'u 1' } }, limit: 100 } },
      idempotent: true,
    });
    await client().send({ op: 'UpdateUsersPartial', method: 'PATCH', path: '/api/v2/users', body: { users: [{ id: 'ü', set: { x: 1 } }] }, idempotent: true });
    const [query, patch] = received;
    const url = new URL(query!.url, 'http://x');
    expect(url.pathname).toBe('/base/api/v2/users');
    expect(url.searchParams.get('api_key')).toBe('wire-key');
    expect(JSON.parse(url.searchParams.get('payload')!)).toEqual({ filter_conditions: { id: { $gt: 'u 1' } }, limit: 100 });
    expect(query!.headers['stream-auth-type']).toBe('jwt');
    expect(query!.headers['x-stream-client']).toBe(`stream-sync-${VERSION}`);
    expect(query!.headers['x-client-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(query!.headers['content-type']).toBeUndefined();
    const auth = query!.headers.authorization!;
    expect(auth).not.toMatch(/^Bearer /);
    const { payload } = await jwtVerify(auth, new TextEncoder().encode(SECRET), { algorithms: ['HS256'] });
    expect(payload.server).toBe(true);
    expect(patch!.method).toBe('PATCH');
    expect(patch!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(patch!.body)).toEqual({ users: [{ id: 'ü', set: { x: 1 } }] });
    expect(patch!.headers['x-client-request-id']).not.toBe(query!.headers['x-client-request-id']);
  });

  it('re-signs the token when it nears expiry', async () => {
    const c = client({ now: () => Date.now() + shiftMs });
    await c.send(getApp);
    await c.send(getApp);
    shiftMs = 250_000;
    await c.send(getApp);
    shiftMs = 0;
    const [a, b, renewed] = received.map((r) => r.headers.authorization!);
    expect(b).toBe(a);
    expect(renewed).not.toBe(a);
    expect(decodeJwt(renewed!).exp! - Math.floor(Date.now() / 1000)).toBeGreaterThan(549);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    maxInFlight = 0;
    const c = client({ concurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => c.send({ op: `Op${i % 4}`, method: 'GET', path: '/api/v2/app', idempotent: true })));
    expect(received).toHaveLength(12);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it('refuses requests after close', async () => {
    const c = client();
    await c.close();
    await expect(c.send(getApp)).rejects.toThrow(/closed/);
  });
});
