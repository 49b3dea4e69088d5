import { SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { serverToken, TestApi } from '../support/api.js';
import { useEmulator } from '../support/emulator.js';
import { loadSpec } from '../support/spec.js';

const spec = loadSpec();
const probe = { method: 'GET', path: '/api/v2/tasks/does-not-exist' } as const;
const sign = (secret: string, claims: Record<string, unknown>, alter?: (j: SignJWT) => SignJWT) => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
  return (alter ? alter(jwt) : jwt).sign(new TextEncoder().encode(secret));
};

describe('authentication', () => {
  const env = useEmulator({ apps: [{ key: 'app-a', secret: 'secret-a' }, { key: 'app-b', secret: 'secret-b' }] });

  it('accepts a server token raw or after "Bearer "', async () => {
    const token = await serverToken('secret-a');
    expect((await env.api.call({ ...probe, token })).status).toBe(404);
    expect((await env.api.call({ ...probe, token: `Bearer ${token}` })).status).toBe(404);
  });

  it.each([
    ['a missing api_key', { apiKey: null }, 401, 2],
    ['an unknown api_key', { apiKey: 'nope' }, 401, 2],
    ['a missing stream-auth-type header', { authType: null }, 401, 5],
    ['a missing Authorization header', { token: null }, 401, 5],
    ['a malformed token', { token: 'not.a.jwt' }, 401, 5],
    ['a token signed with another secret', { secret: 'wrong' }, 401, 43],
    ['a token of another app', { secret: 'secret-b' }, 401, 43],
  ] as const)('refuses %s with %i/%i', async (_name, override, status, code) => {
    const res = await env.api.call({ ...probe, ...override });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.StatusCode).toBe(status);
    expect(res.body.message).toMatch(/^GetTask failed with error: ".+"$/);
  });

  it('refuses an unsigned token (alg: none) with 401/43', async () => {
    const token = new UnsecuredJWT({ server: true }).encode();
    const res = await env.api.call({ ...probe, token });
    expect([res.status, res.body.code]).toEqual([401, 43]);
  });

  it('refuses an expired token with 401/40', async () => {
    const token = await sign('secret-a', { server: true }, (j) => j.setIssuedAt(Math.floor(Date.now() / 1000) - 120).setExpirationTime(Math.floor(Date.now() / 1000) - 60));
    const res = await env.api.call({ ...probe, token });
    expect([res.status, res.body.code]).toEqual([401, 40]);
  });

  it('refuses a token not valid yet (nbf or iat in the future) with 401/41', async () => {
    const future = Math.floor(Date.now() / 1000) + 3600;
    for (const token of [await sign('secret-a', { server: true }, (j) => j.setNotBefore(future)), await sign('secret-a', { server: true }, (j) => j.setIssuedAt(future))]) {
      const res = await env.api.call({ ...probe, token });
      expect([res.status, res.body.code]).toEqual([401, 41]);
    }
  });

  it('refuses a user token on server-side endpoints with 403/17', async () => {
    const token = await sign('secret-a', { user_id: 'ann' });
    const res = await env.api.call({ ...probe, token });
    expect([res.status, res.body.code]).toEqual([403, 17]);
  });

  it('keeps each app\'s state apart', () => {
    expect(env.emu.app('app-a')).not.toBe(env.emu.app('app-b'));
    expect(env.emu.apps.map((a) => a.key)).toEqual(['app-a', 'app-b']);
  });
});

describe('envelope', () => {
  const env = useEmulator({ maxBodyBytes: 1024 });

  it('answers an unknown path with 404/16 in the APIError envelope', async () => {
    const res = await fetch(`${env.emu.url}/api/v2/nothing-here?api_key=${env.emu.apiKey}`);
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(404);
    expect(body).toMatchObject({ code: 16, StatusCode: 404, details: [] });
    expect(body.duration).toMatch(/^\d+\.\d+ms$/);
    expect(body.more_info).toEqual(expect.any(String));
  });

  it('answers a wrong method with 405 and an Allow header', async () => {
    const res = await env.api.call({ method: 'POST', path: '/api/v2/tasks/x', body: {} }, { skipRequestValidation: true });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });

  it('refuses a body that is not JSON with 400/4 and a body over the limit with 413/22', async () => {
    const route = env.emu.routes.find((r) => r.method === 'POST');
    expect(route).toBeDefined();
    const path = route!.path.replace(/\{\w+\}/g, 'x');
    const bad = await env.api.call({ method: 'POST', path, rawBody: '{not json', headers: { 'content-type': 'application/json' } });
    expect([bad.status, bad.body.code]).toEqual([400, 4]);
    const big = await env.api.call({ method: 'POST', path, rawBody: JSON.stringify({ pad: 'x'.repeat(4096) }), headers: { 'content-type': 'application/json' } });
    expect([big.status, big.body.code]).toEqual([413, 22]);
  });
});

describe('rate limits', () => {
  let emu: RunningEmulator | undefined;
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });
  const start = async (opts: Parameters<typeof startEmulator>[0]) => {
    emu = await startEmulator({ port: 0, taskStepMs: 0, ...opts });
    return new TestApi(emu, spec);
  };

  it('sends X-RateLimit-* headers on successes and errors alike', async () => {
    const t = Date.UTC(2026, 0, 1, 12, 0, 0);
    const api = await start({ now: () => t });
    for (const res of [await api.call(probe), await api.call({ ...probe, secret: 'wrong' })]) {
      expect(res.headers.get('x-ratelimit-limit')).toBe('1000');
      expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeLessThan(1000);
      expect(res.headers.get('x-ratelimit-reset')).toBe(String(Date.UTC(2026, 0, 1, 12, 1, 0) / 1000));
    }
  });

  it('sends X-RateLimit-* headers on errors answered before routing or auth: 404 route, 405, 413, 401/2', async () => {
    const t = Date.UTC(2026, 0, 1, 12, 0, 0);
    const api = await start({ now: () => t, maxBodyBytes: 1000 });
    const reset = String(Date.UTC(2026, 0, 1, 12, 1, 0) / 1000);
    const answers = [
      await api.call({ method: 'GET', path: '/api/v2/no-such-route' }),
      await api.call({ method: 'PUT', path: '/api/v2/app', body: {} }, { skipRequestValidation: true }),
      await api.call({ method: 'POST', path: '/api/v2/blocklists', rawBody: JSON.stringify({ name: 'x', words: Array(500).fill('abc') }), headers: { 'content-type': 'application/json' } }),
      await api.call({ ...probe, apiKey: 'unknown-key' }),
      await api.call({ ...probe, apiKey: null }),
    ];
    expect(answers.map((r) => r.status)).toEqual([404, 405, 413, 401, 401]);
    for (const res of answers) {
      // Nothing was counted: the budget reads full.
      expect(res.headers.get('x-ratelimit-limit')).toBe(res.headers.get('x-ratelimit-remaining'));
      expect(Number(res.headers.get('x-ratelimit-limit'))).toBeGreaterThan(0);
      expect(res.headers.get('x-ratelimit-reset')).toBe(reset);
    }
    expect(answers[2]!.headers.get('x-ratelimit-limit')).toBe('1000');
  });

  it('spends the rate budget only on authenticated requests', async () => {
    let t = Date.UTC(2026, 0, 1, 12, 0, 0);
    const api = await start({ now: () => t, rateLimits: { perMinute: { GetTask: 3 } } });
    for (let i = 0; i < 3; i++) {
      expect((await api.call({ ...probe, secret: 'wrong' })).status).toBe(401);
      t += 1000;
    }
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await api.call(probe)).status);
      t += 1000;
    }
    expect(statuses).toEqual([404, 404, 404]);
  });

  it('allows limit/30 per second, then answers 429/9 until the next second', async () => {
    let t = Date.UTC(2026, 0, 1, 12, 0, 0);
    const api = await start({ now: () => t, rateLimits: { perMinute: { GetTask: 90 } } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await api.call(probe)).status);
    expect(statuses).toEqual([404, 404, 404, 429]);
    const limited = await api.call(probe);
    expect(limited.body.code).toBe(9);
    // Refused by the per-second window: nothing is left for now, whatever the minute window holds.
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    t += 1000;
    expect((await api.call(probe)).status).toBe(404);
  });

  it('answers 429 once the minute budget is spent, and again after the window resets', async () => {
    let t = Date.UTC(2026, 0, 1, 12, 0, 0);
    const api = await start({ now: () => t, rateLimits: { perMinute: { GetTask: 3 } } });
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await api.call(probe)).status);
      t += 1000;
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
    t = Date.UTC(2026, 0, 1, 12, 1, 0);
    const res = await api.call(probe);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('2');
  });

  it('without the per-second cap, allows the whole minute budget at once', async () => {
    const t = Date.UTC(2026, 0, 1, 12, 0, 0);
    const api = await start({ now: () => t, rateLimits: { perMinute: { GetTask: 90 }, perSecond: false } });
    const statuses = [];
    for (let i = 0; i < 91; i++) statuses.push((await api.call(probe)).status);
    expect(statuses.filter((s) => s === 404)).toHaveLength(90);
    expect(statuses[90]).toBe(429);
  });

  it('lowers every limit mid-run with setLimitScale, in the headers and GetRateLimits, and restores them', async () => {
    let t = Date.UTC(2026, 0, 1, 12, 0, 0);
    const api = await start({ now: () => t, rateLimits: { perMinute: { GetTask: 120 }, perSecond: false } });
    expect((await api.call(probe)).headers.get('x-ratelimit-limit')).toBe('120');
    emu!.setLimitScale(0.025);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api.call(probe)).status);
    // 3 per minute now; one was already used this minute, before the limit was lowered.
    expect(statuses).toEqual([404, 404, 429]);
    const limited = await api.call(probe);
    expect([limited.headers.get('x-ratelimit-limit'), limited.headers.get('x-ratelimit-remaining')]).toEqual(['3', '0']);
    const report = await api.call({ method: 'GET', path: '/api/v2/rate_limits', query: { server_side: true, endpoints: 'GetTask,UpdateApp' } });
    expect(report.body.server_side.GetTask).toMatchObject({ limit: 3, remaining: 0 });
    expect(report.body.server_side.UpdateApp.limit).toBe(1);
    t += 60_000;
    emu!.setLimitScale(1);
    const restored = await api.call(probe);
    expect([restored.status, restored.headers.get('x-ratelimit-limit'), restored.headers.get('x-ratelimit-remaining')]).toEqual([404, '120', '119']);
  });

  it('lowers the limits of the requests a limit_scale fault matches, then gives them back', async () => {
    const t = Date.UTC(2026, 0, 1, 12, 0, 0);
    const api = await start({ now: () => t, rateLimits: { perMinute: { GetTask: 100 }, perSecond: false } });
    // After 2 requests at 100/min, the next 4 see 5/min: 3 more pass, 1 is refused; then 100/min again.
    emu!.faults.configure({ rules: [{ kind: 'limit_scale', op: 'GetTask', scale: 0.05, after: 2, times: 4 }] });
    const answers = [];
    for (let i = 0; i < 7; i++) {
      const r = await api.call(probe);
      answers.push([r.status, r.headers.get('x-ratelimit-limit')]);
    }
    expect(answers).toEqual([
      [404, '100'],
      [404, '100'],
      [404, '5'],
      [404, '5'],
      [404, '5'],
      [429, '5'],
      [404, '100'],
    ]);
    expect(emu!.faults.hitCounts).toEqual([4]);
  });

  it('starts with lowered limits given the rateLimitScale option', async () => {
    await start({ rateLimitScale: 0.5 });
    expect(emu!.rateLimiter.limitFor('UpdateApp')).toBe(30);
    expect(() => emu!.setLimitScale(0)).toThrow(/positive/);
  });

  it('uses the published per-minute defaults per operation', async () => {
    await start({});
    expect(emu!.rateLimiter.limitFor('UpdateApp')).toBe(60);
    expect(emu!.rateLimiter.limitFor('UpdateUsers')).toBe(300);
    expect(emu!.rateLimiter.limitFor('GetApp')).toBe(10_000);
    expect(emu!.rateLimiter.limitFor('ListBlockLists')).toBe(1_000);
  });

  it('never limits with rate limits off, but still sends the headers', async () => {
    const t = Date.UTC(2026, 0, 1, 12, 0, 0);
    const api = await start({ now: () => t, rateLimits: 'off' });
    for (let i = 0; i < 50; i++) expect((await api.call(probe)).status).toBe(404);
    expect((await api.call(probe)).headers.get('x-ratelimit-limit')).toBe('1000');
  });
});

describe('fault injection', () => {
  const env = useEmulator();
  afterEach(() => env.emu.faults.clear());

  it('answers injected 5xx errors in the APIError envelope, only for the operations named, only `times` times', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'error', status: 503, op: 'GetTask', times: 2 }] });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await env.api.call(probe)).status);
    expect(statuses).toEqual([503, 503, 404]);
    expect(env.emu.faults.hitCounts).toEqual([2]);
    env.emu.faults.configure({ rules: [{ kind: 'error', op: 'GetApp' }] });
    expect((await env.api.call(probe)).status).toBe(404);
  });

  it('skips the first `after` matching requests', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'error', after: 1, times: 1 }] });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await env.api.call(probe)).status);
    expect(statuses).toEqual([404, 500, 404]);
  });

  it('storms 429/9, with or without the rate-limit headers', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'rate_limit', times: 1 }, { kind: 'rate_limit', resetHeaders: false, times: 1 }] });
    const withHeaders = await env.api.call(probe);
    expect([withHeaders.status, withHeaders.body.code, withHeaders.headers.get('x-ratelimit-remaining')]).toEqual([429, 9, '0']);
    expect(withHeaders.headers.get('x-ratelimit-reset')).not.toBeNull();
    const bare = await env.api.call(probe);
    expect(bare.status).toBe(429);
    expect(bare.headers.get('x-ratelimit-reset')).toBeNull();
  });

  it('resets the connection', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'reset', times: 1 }] });
    await expect(env.api.call(probe)).rejects.toThrow();
    expect((await env.api.call(probe)).status).toBe(404);
  });

  it('answers with a non-JSON body', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'non_json', status: 502, times: 1 }] });
    const res = await env.api.call(probe);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(typeof res.body).toBe('string');
  });

  it('holds a slow answer past a client timeout, after the handler ran (the write happened)', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'slow', ms: 400, times: 1 }] });
    const url = `${env.emu.url}/api/v2/roles?api_key=${env.emu.apiKey}`;
    const headers = { authorization: await serverToken(env.emu.apiSecret), 'stream-auth-type': 'jwt', 'content-type': 'application/json' };
    const request = fetch(url, { method: 'POST', headers, body: JSON.stringify({ name: 'slow_role' }), signal: AbortSignal.timeout(50) });
    await expect(request).rejects.toThrow(/abort|timeout/i);
    await vi.waitFor(() => expect(env.emu.app().roles.has('slow_role')).toBe(true));
  });

  it('decides faults only for requests of a known app: an unknown api_key does not use up a rule', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'error', status: 503, op: 'GetTask', times: 1 }] });
    expect((await env.api.call({ ...probe, apiKey: 'unknown-key' })).status).toBe(401);
    expect(env.emu.faults.hitCounts).toEqual([0]);
    expect((await env.api.call(probe)).status).toBe(503);
    expect((await env.api.call(probe)).status).toBe(404);
  });

  it('still injects faults into unauthenticated requests of a known app', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'error', status: 503, op: 'GetTask', times: 1 }] });
    expect((await env.api.call({ ...probe, secret: 'wrong' })).status).toBe(503);
    expect((await env.api.call({ ...probe, secret: 'wrong' })).status).toBe(401);
  });

  it('adds latency without failing the request', async () => {
    env.emu.faults.configure({ rules: [{ kind: 'latency', ms: 5, jitterMs: 5 }] });
    expect((await env.api.call(probe)).status).toBe(404);
    expect(env.emu.faults.hitCounts).toEqual([1]);
  });

  it('decides the same faults for the same seed', async () => {
    const { FaultInjector } = await import('../../src/emulator/faults.js');
    const run = (seed: number) => {
      const f = new FaultInjector({ seed, rules: [{ kind: 'error', rate: 0.5 }, { kind: 'latency', ms: 10, jitterMs: 100 }] });
      return Array.from({ length: 50 }, () => f.decide('GetApp')).map((d) => `${d.failure?.kind ?? '-'}:${d.delayMs}`);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    expect(run(7).filter((d) => d.startsWith('error')).length).toBeGreaterThan(10);
  });
});

describe('request log', () => {
  const env = useEmulator({ requestLogLimit: 3 });

  it('keeps only the most recent requestLogLimit requests, oldest first', async () => {
    for (let i = 0; i < 5; i++) await env.api.call({ method: 'GET', path: `/api/v2/tasks/t${i}` });
    expect(env.emu.requests.map((r) => r.path)).toEqual(['/api/v2/tasks/t2', '/api/v2/tasks/t3', '/api/v2/tasks/t4']);
  });
});

describe('close', () => {
  it('stops the server even when saving the state fails', async () => {
    const emu = await startEmulator({ port: 0, dataFile: '/nonexistent-dir/for/sure/state.json' });
    await expect(emu.close()).rejects.toThrow();
    await expect(fetch(`${emu.url}/api/v2/app`)).rejects.toThrow();
  });
});
