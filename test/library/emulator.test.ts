import { StreamClient } from '@stream-io/node-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorCallError, type Emulator, startEmulator } from 'stream-sync/emulator';

/** `stream-sync/emulator`: what a user's integration tests rely on, seen through the official SDK. */

const started: Emulator[] = [];
async function start(...args: Parameters<typeof startEmulator>): Promise<Emulator> {
  const emu = await startEmulator(...args);
  started.push(emu);
  return emu;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});
const sdk = (emu: Emulator, key = emu.apiKey, secret = emu.apiSecret) => new StreamClient(key, secret, { basePath: emu.url });

describe('startEmulator', () => {
  it('serves a new app on a free port, with the credentials and variables to reach it', async () => {
    const emu = await start({ apiKey: 'acme', apiSecret: 's3cret-for-tests', appName: 'Acme' });
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.url).not.toMatch(/:4600$/);
    expect(emu.connection).toEqual({ baseUrl: emu.url, apiKey: 'acme', apiSecret: 's3cret-for-tests' });
    expect(emu.env).toEqual({ STREAM_BASE_URL: emu.url, STREAM_API_KEY: 'acme', STREAM_API_SECRET: 's3cret-for-tests' });
    expect((await sdk(emu).getApp()).app.name).toBe('Acme');
  });

  it('refuses a wrong secret as Stream does', async () => {
    const emu = await start();
    await expect(sdk(emu, emu.apiKey, 'wrong').getApp()).rejects.toMatchObject({ code: 43 });
  });

  it('serves several apps, each with its own state', async () => {
    const emu = await start({ apps: [{ key: 'one', secret: 'secret-one' }, { key: 'two', secret: 'secret-two' }] });
    await emu.seed({ roles: ['only-in-two'] }, { app: 'two' });
    const names = async (key: string, secret: string) => (await sdk(emu, key, secret).listRoles()).roles.map((r) => r.name);
    expect(await names('two', 'secret-two')).toContain('only-in-two');
    expect(await names('one', 'secret-one')).not.toContain('only-in-two');
  });

  it('refuses apiKey together with apps', async () => {
    await expect(startEmulator({ apiKey: 'x', apps: [{ key: 'y', secret: 'z' }] })).rejects.toThrow(/either apps or apiKey/);
  });
});

describe('seed', () => {
  it('creates every section in the API own shapes, in dependency order, readable through the SDK', async () => {
    const emu = await start();
    await emu.seed({
      app: { enforce_unique_usernames: 'app' },
      roles: ['agent'],
      commands: [{ name: 'ticket', description: 'Open a ticket' }],
      block_lists: [{ name: 'banned', words: ['scam'], type: 'word' }],
      push_providers: [{ type: 'firebase', name: 'fcm', firebase_credentials: '{"type":"service_account"}' }],
      channel_types: [{ name: 'support', commands: ['ticket'], max_message_length: 5000, automod: 'disabled', automod_behavior: 'flag' }],
      call_types: [{ name: 'support-call' }],
      users: [{ id: 'ann', role: 'agent' }],
      devices: [{ id: 'device-1', push_provider: 'firebase', push_provider_name: 'fcm', user_id: 'ann' }],
      user_groups: [{ id: 'desk', name: 'Desk', member_ids: ['ann'] }],
    });
    const client = sdk(emu);
    expect((await client.getApp()).app.enforce_unique_usernames).toBe('app');
    expect((await client.listRoles()).roles.map((r) => r.name)).toContain('agent');
    expect((await client.getBlockList({ name: 'banned' })).blocklist?.words).toEqual(['scam']);
    expect((await client.listPushProviders()).push_providers.map((p) => p.name)).toEqual(['fcm']);
    expect((await client.chat.getChannelType({ name: 'support' })).commands.map((c) => c.name)).toEqual(['ticket']);
    expect((await client.video.getCallType({ name: 'support-call' })).name).toBe('support-call');
    expect((await client.queryUsers({ payload: { filter_conditions: { id: 'ann' } } })).users[0]?.role).toBe('agent');
    expect((await client.listDevices({ user_id: 'ann' })).devices.map((d) => d.id)).toEqual(['device-1']);
    // Seeding spends no rate budget and leaves the request log to the code under test.
    expect(emu.requests().filter((r) => r.op !== 'GetApp' && !/^(List|Get|Query)/.test(r.op))).toEqual([]);
  });

  it('takes users in batches of 100, as UpdateUsers does', async () => {
    const emu = await start();
    await emu.seed({ users: Array.from({ length: 250 }, (_, i) => ({ id: `u${i}` })) });
    const res = await emu.call('QueryUsers', { query: { payload: JSON.stringify({ filter_conditions: { id: { $in: ['u0', 'u249'] } } }) } });
    expect((res.users as unknown[]).length).toBe(2);
  });

  it('refuses what the API refuses, with its status and code, and an unknown section', async () => {
    const emu = await start();
    await emu.seed({ block_lists: [{ name: 'dup', words: ['a'] }] });
    const err = await emu.seed({ block_lists: [{ name: 'dup', words: ['b'] }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmulatorCallError);
    expect(err).toMatchObject({ op: 'CreateBlockList', status: 400, code: 4 });
    await expect(emu.seed({ channels: [] } as never)).rejects.toThrow(/unknown section channels/);
  });

  it("copies what it is given: changing the caller's object later changes nothing in the app", async () => {
    const emu = await start();
    const words = ['scam'];
    await emu.seed({ block_lists: [{ name: 'copy', words }] });
    words.push('added-later');
    expect(((await emu.call('GetBlockList', { params: { name: 'copy' } })).blocklist as { words: string[] }).words).toEqual(['scam']);
  });
});

describe('call', () => {
  it('answers a copy: changing what it returned changes nothing in the app', async () => {
    const emu = await start();
    const app = (await emu.call('GetApp')).app as { name: string };
    app.name = 'changed-by-the-test';
    expect((await sdk(emu).getApp()).app.name).not.toBe('changed-by-the-test');
  });

  it('refuses what HTTP refuses: a __proto__ key, a body nested too deep', async () => {
    const emu = await start();
    await expect(emu.call('CreateRole', { body: JSON.parse('{"name":"p","__proto__":{"x":1}}') })).rejects.toMatchObject({ status: 400, code: 4 });
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    await expect(emu.call('UpdateApp', { body: { deep } })).rejects.toMatchObject({ status: 400, code: 4 });
    await expect(emu.call('UpdateApp', { body: { n: 1n } })).rejects.toMatchObject({ status: 400, code: 4 });
  });

  it('names the path parameters an operation needs, and an unknown operation', async () => {
    const emu = await start();
    await expect(emu.call('GetBlockList')).rejects.toThrow(/GetBlockList \(GET \/api\/v2\/blocklists\/\{name\}\) needs the path parameter name/);
    await expect(emu.call('GetBlocklist')).rejects.toThrow(/no operation GetBlocklist/);
  });

  it('a data file with other apps: the credentials returned are those of the app asked for', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dataFile = join(mkdtempSync(join(tmpdir(), 'emulator-data-')), 'data.json');
    const saved = await startEmulator({ dataFile, apiKey: 'saved-app', apiSecret: 'saved-secret-1234' });
    await saved.close();
    const emu = await start({ dataFile, apiKey: 'asked-for', apiSecret: 'asked-secret-5678' });
    expect(emu.connection).toMatchObject({ apiKey: 'asked-for', apiSecret: 'asked-secret-5678' });
    expect((await sdk(emu).getApp()).app.name).toBe('asked-for');
  });
});

describe('the request log', () => {
  it('lists the requests answered over HTTP, filtered by operation, method, status and app', async () => {
    const emu = await start();
    const client = sdk(emu);
    await client.createRole({ name: 'logged' });
    await client.createRole({ name: 'logged' }).catch(() => undefined);
    await client.listRoles();
    expect(emu.requests({ op: 'CreateRole' }).map((r) => r.status)).toEqual([201, 400]);
    expect(emu.requests({ method: 'get', op: ['ListRoles'] })).toHaveLength(1);
    expect(emu.requests({ status: 400 })[0]).toMatchObject({ op: 'CreateRole', method: 'POST', path: '/api/v2/roles', apiKey: emu.apiKey });
    expect(emu.requests({ apiKey: 'someone-else' })).toEqual([]);
    // A copy: a test cannot corrupt the log by editing what it got.
    (emu.requests()[0] as { op: string }).op = 'Edited';
    expect(emu.requests()[0]!.op).not.toBe('Edited');
    emu.clearRequests();
    expect(emu.requests()).toEqual([]);
  });
});

describe('faults and limits', () => {
  it('injects faults on the operations named, a number of times, then answers normally', async () => {
    const emu = await start();
    const client = sdk(emu);
    emu.injectFaults([{ kind: 'error', status: 503, op: 'ListRoles', times: 2 }]);
    await expect(client.listRoles()).rejects.toMatchObject({ metadata: { responseCode: 503 } });
    await expect(client.listRoles()).rejects.toMatchObject({ metadata: { responseCode: 503 } });
    await expect(client.listRoles()).resolves.toHaveProperty('roles');
    expect(emu.faultHits()).toEqual([2]);
    emu.injectFaults([{ kind: 'rate_limit', op: 'GetApp' }]);
    await expect(client.getApp()).rejects.toMatchObject({ metadata: { responseCode: 429 } });
    emu.clearFaults();
    await expect(client.getApp()).resolves.toHaveProperty('app');
  });

  it('refuses a rule that could never fire as meant (a typo must not leave a test passing for the wrong reason)', async () => {
    const emu = await start();
    expect(() => emu.injectFaults([{ kind: 'error', op: 'CreateBlocklist' }])).toThrow(/no operation "CreateBlocklist"/);
    expect(() => emu.injectFaults([{ kind: 'eror' } as never])).toThrow(/unknown kind "eror"/);
    expect(() => emu.injectFaults([{ kind: 'error', status: 200 }])).toThrow(/5xx/);
    expect(() => emu.injectFaults([{ kind: 'error', rate: 2 }])).toThrow(/probability/);
    await expect(startEmulator({ faults: [{ kind: 'reset', op: 'NoSuchOp' }] })).rejects.toThrow(/no operation/);
    await expect(emu.seed({ roles: 'admin' as never })).rejects.toThrow(/roles must be an array of role names/);
    await expect(emu.seed(null as never)).rejects.toThrow(/give an object of sections/);
    expect(() => emu.injectFaults([{ kind: 'error', op: [] }])).toThrow(/empty list/);
    expect(() => emu.injectFaults([{ kind: 'error', opp: 'CreateRole' } as never])).toThrow(/unknown field opp/);
  });

  it('starts with faults given as options', async () => {
    const emu = await start({ faults: [{ kind: 'non_json', status: 502, op: 'GetApp', times: 1 }] });
    await expect(sdk(emu).getApp()).rejects.toThrow();
    expect(emu.requests({ op: 'GetApp' })[0]!.status).toBe(502);
  });

  it('enforces the published rate limits, and lowers them on demand', async () => {
    const emu = await start();
    const limitOf = async () => Number((await fetch(`${emu.url}/api/v2/app?api_key=${emu.apiKey}`, { headers: { authorization: await serverToken(emu.apiSecret), 'stream-auth-type': 'jwt' } })).headers.get('x-ratelimit-limit'));
    const published = await limitOf();
    expect(published).toBeGreaterThan(0);
    emu.setLimitScale(0.5);
    expect(await limitOf()).toBe(Math.floor(published * 0.5));
    expect(() => emu.setLimitScale(0)).toThrow(/positive/);
  });

  it("follows the clock it is given (the server's Date header)", async () => {
    const ahead = Date.now() + 90_000;
    const emu = await start({ now: () => ahead });
    const res = await fetch(`${emu.url}/api/v2/app?api_key=${emu.apiKey}`, { headers: { authorization: await serverToken(emu.apiSecret, ahead), 'stream-auth-type': 'jwt' } });
    expect(res.status).toBe(200);
    expect(Math.abs(new Date(res.headers.get('date')!).getTime() - ahead)).toBeLessThan(1000);
  });
});

/** A server-side token, signed as the SDKs sign it. */
async function serverToken(secret: string, nowMs = Date.now()): Promise<string> {
  const { SignJWT } = await import('jose');
  return new SignJWT({ server: true }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(Math.floor(nowMs / 1000)).sign(new TextEncoder().encode(secret));
}
