import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/server.js';
import { serverToken, TestApi } from '../support/api.js';
import { useEmulator } from '../support/emulator.js';
import { loadSpec } from '../support/spec.js';

const json = { 'content-type': 'application/json' };
const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const userQuery = (payload: object) => ({ method: 'GET' as const, path: '/api/v2/users', query: { payload } });

describe('prototype pollution', () => {
  const env = useEmulator();
  beforeAll(async () => {
    await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users: { alice: { id: 'alice' }, bob: { id: 'bob' } } } });
  });
  afterAll(() => {
    // Leave nothing behind for other suites, whatever happened.
    for (const k of ['deleted_at', 'polluted']) delete (Object.prototype as Record<string, unknown>)[k];
  });

  it.each([
    ['custom.__proto__.deleted_at'],
    ['__proto__.deleted_at'],
    ['custom.constructor.prototype.deleted_at'],
    ['teams_role.__proto__.polluted'],
    ['constructor'],
  ])('refuses the partial-update path %s with 400/4 and changes no prototype', async (path) => {
    const r = await env.api.call({ method: 'PATCH', path: '/api/v2/users', body: { users: [{ id: 'alice', set: { [path]: '2020-01-01T00:00:00Z' } }] } });
    expect([r.status, r.body.code]).toEqual([400, 4]);
    expect(({} as Record<string, unknown>).deleted_at).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const unset = await env.api.call({ method: 'PATCH', path: '/api/v2/users', body: { users: [{ id: 'alice', unset: [path] }] } });
    expect([unset.status, unset.body.code]).toEqual([400, 4]);
    const users = await env.api.call(userQuery({ filter_conditions: { id: { $in: ['alice', 'bob'] } } }));
    expect(users.body.users.map((u: { id: string }) => u.id).sort()).toEqual(['alice', 'bob']);
  });

  it('refuses a __proto__ key anywhere in a JSON body with 400/4', async () => {
    const r = await env.api.call({ method: 'POST', path: '/api/v2/users', rawBody: '{"users":{"carol":{"id":"carol","custom":{"__proto__":{"polluted":1}}}}}', headers: json });
    expect([r.status, r.body.code]).toEqual([400, 4]);
    expect(env.emu.app().users.has('carol')).toBe(false);
  });

  it('still sets ordinary custom keys through dotted paths', async () => {
    const r = await env.api.call({ method: 'PATCH', path: '/api/v2/users', body: { users: [{ id: 'alice', set: { 'custom.prefs.theme': 'dark', toString: 'x' } }] } });
    expect(r.status).toBe(200);
    expect(r.body.users.alice.custom).toEqual({ prefs: { theme: 'dark' }, toString: 'x' });
    // `toString` in both set and unset is the only conflict; an inherited name is not "in set" by inheritance.
    const both = await env.api.call({ method: 'PATCH', path: '/api/v2/users', body: { users: [{ id: 'bob', set: { name: 'B' }, unset: ['toString'] }] } });
    expect(both.status).toBe(200);
  });

  it('resolves QueryUsers fields through own keys only', async () => {
    for (const field of ['constructor', 'custom.constructor', 'custom.toString', 'name.length']) {
      const r = await env.api.call(userQuery({ filter_conditions: { id: 'bob', [field]: { $exists: true } } }));
      expect(r.status, field).toBe(200);
      expect(r.body.users, field).toEqual([]);
    }
    const sorted = await env.api.call(userQuery({ filter_conditions: {}, sort: [{ field: 'custom.__proto__' }] }));
    expect(sorted.status).toBe(200);
  });

  it('renders push template paths through own keys only', async () => {
    await env.api.call({ method: 'POST', path: '/api/v2/push_providers', body: { push_provider: { name: 'fb', type: 'firebase', firebase_credentials: '{"type":"service_account","private_key":"k"}' } } });
    const r = await env.api.call({
      method: 'POST',
      path: '/api/v2/check_push',
      body: { user_id: 'alice', skip_devices: true, push_provider_type: 'firebase', push_provider_name: 'fb', firebase_template: '{"title":"[{{ receiver.constructor }}{{ receiver.toString }}{{ receiver.__proto__ }}]"}' },
    });
    expect(r.status).toBe(201);
    expect(JSON.parse(r.body.rendered_firebase_template).title).toBe('[]');
  });
});

describe('deeply nested input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stream-emu-deep-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = useEmulator({ dataFile: join(dir, 'state.json') });

  it.each([40, 5000, 100_000])('refuses a body nested %i levels deep with 400/4 before changing any state', async (depth) => {
    const r = await env.api.call({ method: 'POST', path: '/api/v2/users', rawBody: `{"users":{"deep${depth}":{"id":"deep${depth}","custom":${nested(depth)}}}}`, headers: json });
    expect([r.status, r.body.code]).toEqual([400, 4]);
    expect(env.emu.app().users.has(`deep${depth}`)).toBe(false);
  });

  it('accepts nesting up to the limit', async () => {
    const r = await env.api.call({ method: 'POST', path: '/api/v2/users', rawBody: `{"users":{"deep-ok":{"id":"deep-ok","custom":${nested(28)}}}}`, headers: json });
    expect(r.status).toBe(201);
  });

  it('refuses a too-deep QueryUsers payload and a too-long dotted path with 400/4', async () => {
    const q = await env.api.call({ method: 'GET', path: '/api/v2/users', query: { payload: `{"filter_conditions":${nested(40)}}` } });
    expect([q.status, q.body.code]).toEqual([400, 4]);
    const path = Array.from({ length: 5000 }, () => 'a').join('.');
    const p = await env.api.call({ method: 'PATCH', path: '/api/v2/users', body: { users: [{ id: 'deep-ok', set: { [path]: 1 } }] } });
    expect([p.status, p.body.code]).toEqual([400, 4]);
  });

  it('can still save its state afterwards', async () => {
    await expect(env.emu.save()).resolves.toBeUndefined();
  });
});

describe('malformed input answers 400/4, never 500', () => {
  const env = useEmulator();
  let pollId = '';
  beforeAll(async () => {
    await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users: { owner: { id: 'owner' } } } });
    pollId = (await env.api.call({ method: 'POST', path: '/api/v2/polls', body: { name: 'p', user_id: 'owner', options: [{ text: 'o' }] } })).body.poll.id;
  });
  const expect400 = (r: { status: number; body: { code?: number; message?: string } }, op: string) => {
    expect([r.status, r.body.code], JSON.stringify(r.body)).toEqual([400, 4]);
    expect(r.body.message).toMatch(new RegExp(`^${op} failed with error`));
  };

  it('refuses malformed percent-encoding in a path parameter, naming the operation', async () => {
    expect400(await env.api.call({ method: 'GET', path: '/api/v2/blocklists/%E0%A4%A' }), 'GetBlockList');
    expect400(await env.api.call({ method: 'GET', path: '/api/v2/tasks/%ZZ' }), 'GetTask');
  });

  it('refuses a GetOG url with malformed percent-encoding', async () => {
    expect400(await env.api.call({ method: 'GET', path: '/api/v2/og', query: { url: 'https://a.com/%E0%A4%A' } }), 'GetOG');
  });

  it('refuses a broken multipart body', async () => {
    expect400(await env.api.call({ method: 'POST', path: '/api/v2/uploads/file', rawBody: 'garbage', headers: { 'content-type': 'multipart/form-data; boundary=xyz' } }), 'UploadFile');
    expect400(await env.api.call({ method: 'POST', path: '/api/v2/uploads/file', rawBody: 'garbage', headers: { 'content-type': 'multipart/form-data' } }), 'UploadFile');
  });

  it('refuses QueryPolls filters on inherited names and logical operators over non-objects', async () => {
    for (const filter of [{ constructor: 1 }, { toString: { $eq: 1 } }, { $and: [null] }, { $or: [1] }, { $nor: [[]] }]) {
      expect400(await env.api.call({ method: 'POST', path: '/api/v2/polls/query', body: { filter } }, { skipRequestValidation: true }), 'QueryPolls');
    }
    const votes = await env.api.call({ method: 'POST', path: `/api/v2/polls/${pollId}/votes`, body: { filter: { $and: [null] } } }, { skipRequestValidation: true });
    expect400(votes, 'QueryPollVotes');
  });

  it('treats inherited names in UpdatePollPartial as custom keys', async () => {
    const unset = await env.api.call({ method: 'PATCH', path: `/api/v2/polls/${pollId}`, body: { unset: ['toString'], user_id: 'owner' } });
    expect(unset.status).toBe(200);
    const set = await env.api.call({ method: 'PATCH', path: `/api/v2/polls/${pollId}`, body: { set: { constructor: 'x' }, user_id: 'owner' } });
    expect(set.status).toBe(200);
    expect(set.body.poll.custom).toEqual({ constructor: 'x' });
    expect((await env.api.call({ method: 'GET', path: `/api/v2/polls/${pollId}` })).status).toBe(200);
  });

  it('answers every operation without a 500 for odd bodies and path parameters', async () => {
    const token = await serverToken(env.emu.apiSecret);
    const bodies = [undefined, 'null', '[]', '"s"', '{}', '[null]', '{"a":null}', '1e999', '{"__proto__":1}', nested(100)];
    const failures: string[] = [];
    for (const route of env.emu.routes) {
      for (const param of ['x', '%ZZ', pollId]) {
        const path = route.path.replace(/\{\w+\}/g, param);
        for (const body of route.method === 'GET' ? [undefined] : bodies) {
          const res = await fetch(`${env.emu.url}${path}?api_key=${env.emu.apiKey}`, {
            method: route.method,
            headers: { authorization: token, 'stream-auth-type': 'jwt', ...(body === undefined ? {} : json) },
            body,
          });
          await res.text();
          if (res.status >= 500) failures.push(`${route.op} ${route.method} ${path} ${String(body).slice(0, 30)} → ${res.status}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('external storage endpoint credentials', () => {
  const env = useEmulator();
  const SECRET = 'S3-ENDPOINT-SECRET';

  it('refuses a custom S3 endpoint URL carrying a user name or password with 400/4', async () => {
    const r = await env.api.call({
      method: 'POST',
      path: '/api/v2/external_storage',
      body: { name: 'minio', storage_type: 's3', bucket: 'b', aws_s3: { s3_region: 'us-east-1', s3_api_key: 'AK', s3_secret: SECRET, s3_custom_endpoint_url: `https://AK:${SECRET}@minio.local` } },
    });
    expect([r.status, r.body.code]).toEqual([400, 4]);
    expect(JSON.stringify(r.body)).not.toContain(SECRET);
  });

  it('never echoes endpoint credentials in CheckExternalStorage.file_url', async () => {
    const app = env.emu.app();
    // State saved before such URLs were refused.
    app.externalStorages.set('old', { name: 'old', type: 's3', bucket: 'b', path: '' });
    app.externalStorageSecrets.set('old', { aws_s3: { s3_region: 'us-east-1', s3_api_key: 'AK', s3_secret: SECRET, s3_custom_endpoint_url: `https://AK:${SECRET}@minio.local` } });
    const r = await env.api.call({ method: 'GET', path: '/api/v2/external_storage/old/check' });
    expect(r.status).toBe(200);
    expect(r.body.file_url).toMatch(/^https:\/\/minio\.local\/b\/stream-storage-check-/);
    expect(JSON.stringify(r.body)).not.toContain(SECRET);
  });
});

describe('response serialization', () => {
  it('answers 500 in the APIError envelope when a handler result cannot be serialized', async () => {
    const emu = await startEmulator({ port: 0, taskStepMs: 0, rateLimits: 'off' });
    try {
      const api = new TestApi(emu, loadSpec());
      // A cyclic value in state (impossible through the API) must not break the connection.
      const cyclic: Record<string, unknown> = { id: 'cyc' };
      cyclic.self = cyclic;
      emu.app().users.set('cyc', { id: 'cyc', role: 'user', custom: cyclic });
      const r = await api.call(userQuery({ filter_conditions: { id: 'cyc' } }));
      expect([r.status, r.body.code]).toEqual([500, -1]);
    } finally {
      await emu.close();
    }
  });
});
