import { describe, expect, it } from 'vitest';
import { expectRejected, expectValidRequests, noMemory, plannedRequests } from '../../../test/support/kinds.js';
import { loadSpec } from '../../../test/support/spec.js';
import type { DesiredObject, Rec } from '../../core/model.js';
import { diffFields } from '../../plan/diff.js';
import type { Api, ApiRequest } from '../../core/api.js';
import { declaredLists } from './satellites.js';
import { userKind, userSchema } from './user.js';
import { idBatches, queryUsersRequest, userLive } from './ids.js';

const desired = (fields: Rec): DesiredObject => ({ kind: 'user', address: `user/${String(fields.id)}`, fields, sensitive: [] });
const plan = (fields: Rec, live?: Rec) => plannedRequests(userKind, userLive, fields, live);


/** A live user the way QueryUsers answers it (FullUserResponse), with its server fields. */
const LIVE_ANN: Rec = {
  id: 'agent-ann',
  name: 'Ann',
  role: 'support-agent',
  teams: ['blue', 'red'],
  teams_role: { blue: 'admin' },
  language: 'en',
  invisible: false,
  custom: { tier: 1, prefs: { theme: 'dark', lang: 'en' }, unmanaged: true },
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  banned: false,
  online: false,
  shadow_banned: false,
  blocked_user_ids: [],
  devices: [],
  unread_count: 0,
};

describe('user schema', () => {
  it.each<[string, Rec]>([
    ['the product example', { id: 'agent-ann', name: 'Ann', role: 'support-agent' }],
    ['every UserRequest field', { id: 'a@b_c-1', name: 'A', image: 'https://x.example/a.png', role: 'user', teams: ['blue'], teams_role: { blue: 'admin' }, language: 'en', invisible: true, privacy_settings: { typing_indicators: { enabled: false }, read_receipts: { enabled: true } }, custom: { tier: 2, nested: { a: [1] } } }],
    ['an empty custom map', { id: 'x', custom: {} }],
    ['the lifecycle and satellites of the product example', { id: 'support-bot', deactivated: false, devices: [{ id: 'fcm-token-0001', push_provider: 'firebase', push_provider_name: 'acme-fcm' }], blocked_users: ['spammer-1'], push_preferences: { chat_level: 'mentions', call_level: 'all' } }],
    ['empty satellite lists', { id: 'x', devices: [], blocked_users: [], push_preferences: {} }],
  ])('accepts %s', (_name, value) => {
    expect(userSchema.safeParse(value).success).toBe(true);
  });

  it.each<[string, Rec, RegExp]>([
    ['a missing id', { name: 'A' }, /expected string/],
    ['a slash in the id', { id: 'a/b' }, /letters, digits, "@", "_" and "-"/],
    ['an unknown key', { id: 'a', nickname: 'x' }, /nickname/],
    ['a non-boolean deactivated', { id: 'a', deactivated: 'yes' }, /deactivated: .*expected boolean/],
    ['a user blocking itself', { id: 'a', blocked_users: ['b', 'a'] }, /blocked_users.1: user "a" cannot block itself/],
    ['a blocked user twice', { id: 'a', blocked_users: ['b', 'b'] }, /blocked_users lists "b" twice/],
    ['a device twice', { id: 'a', devices: [{ id: 'd', push_provider: 'apn' }, { id: 'd', push_provider: 'apn' }] }, /devices.1.id: devices lists "d" twice/],
    ['an unknown push provider type', { id: 'a', devices: [{ id: 'd', push_provider: 'webpush' }] }, /devices.0.push_provider/],
    ['an unknown device key (the read name voip)', { id: 'a', devices: [{ id: 'd', push_provider: 'apn', voip: true }] }, /voip/],
    ['a device id with a slash', { id: 'a', devices: [{ id: 'a/b', push_provider: 'apn' }] }, /must not contain "\/"/],
    ['an unknown chat level', { id: 'a', push_preferences: { chat_level: 'loud' } }, /push_preferences.chat_level/],
    ['an unknown preference', { id: 'a', push_preferences: { email_level: 'all' } }, /email_level/],
    ['a duplicate team', { id: 'a', teams: ['x', 'x'] }, /teams lists "x" twice/],
    ['a wrong type', { id: 'a', invisible: 'yes' }, /expected boolean/],
    ['a built-in field under custom', { id: 'a', custom: { role: 'admin' } }, /"role" is a built-in user field/],
    ['a server field under custom', { id: 'a', custom: { created_at: 'x' } }, /"created_at" is a built-in user field/],
    ['a dotted custom key', { id: 'a', custom: { 'a.b': 1 } }, /must not contain "\."/],
    ['an unknown privacy setting', { id: 'a', privacy_settings: { presence: { enabled: true } } }, /presence/],
    ['an empty role', { id: 'a', role: '' }, /role name must not be empty/],
    ['a too long id', { id: 'x'.repeat(256) }, /at most 255/],
  ])('rejects %s', (_name, value, message) => expectRejected(userSchema, value, message));
});

describe('user requests', () => {
  it('creates with UpdateUsers (an idempotent upsert) carrying only the declared fields', () => {
    const reqs = plan({ id: 'agent-ann', name: 'Ann', role: 'support-agent', custom: { tier: 1 } });
    expect(reqs).toEqual([
      { op: 'UpdateUsers', method: 'POST', path: '/api/v2/users', body: { users: { 'agent-ann': { id: 'agent-ann', name: 'Ann', role: 'support-agent', custom: { tier: 1 } } } }, idempotent: true },
    ]);
    expectValidRequests(reqs);
  });

  it.each<[string, Rec, Rec | undefined]>([
    ['nothing when the declared fields match (server and unmanaged fields ignored)', { id: 'agent-ann', name: 'Ann', teams: ['red', 'blue'], custom: { tier: 1 } }, undefined],
    ['a scalar field', { id: 'agent-ann', name: 'Annie' }, { name: 'Annie' }],
    ['teams as a whole set', { id: 'agent-ann', teams: ['blue'] }, { teams: ['blue'] }],
    ['one team role, keeping the undeclared teams', { id: 'agent-ann', teams_role: { red: 'user' } }, { teams_role: { blue: 'admin', red: 'user' } }],
    ['a custom field by its own name', { id: 'agent-ann', custom: { tier: 2 } }, { tier: 2 }],
    ['a new custom field', { id: 'agent-ann', custom: { plan: 'gold' } }, { plan: 'gold' }],
    ['a nested custom field, keeping its unmanaged nested keys', { id: 'agent-ann', custom: { prefs: { theme: 'light' } } }, { prefs: { theme: 'light', lang: 'en' } }],
    ['an explicit empty custom map, written whole', { id: 'agent-ann', custom: {} }, { custom: {} }],
    ['privacy settings merged into the live ones', { id: 'agent-ann', privacy_settings: { read_receipts: { enabled: false } } }, { privacy_settings: { read_receipts: { enabled: false } } }],
    ['only the changed fields of several', { id: 'agent-ann', name: 'Ann', role: 'admin', invisible: true }, { role: 'admin', invisible: true }],
  ])('updates with UpdateUsersPartial: %s', (_name, fields, set) => {
    const reqs = plan(fields, LIVE_ANN);
    if (!set) {
      expect(reqs).toEqual([]);
      return;
    }
    expect(reqs).toEqual([{ op: 'UpdateUsersPartial', method: 'PATCH', path: '/api/v2/users', body: { users: [{ id: 'agent-ann', set }] }, idempotent: true }]);
    expectValidRequests(reqs);
  });

  it('leaves deletes to the batched lifecycle (DeleteUsers needs the policy and a task to await)', () => {
    expect(userKind.prunable).toBe(true);
    expect(() => userKind.requests({ action: 'delete', address: 'user/a', live: userLive({ id: 'a' }), fields: [] })).toThrow(/batches through DeleteUsers/);
  });

  it('is not exported (an app can have millions of users)', () => {
    expect(userKind.toFile).toBeUndefined();
  });

  it.each<[string, Rec, Rec | undefined, string[]]>([
    ['a new deactivated user is created, then deactivated', { id: 'u', name: 'U', deactivated: true }, undefined, ['UpdateUsers', 'DeactivateUser']],
    ['a new user declared active needs no lifecycle call', { id: 'u', deactivated: false }, undefined, ['UpdateUsers']],
    ['deactivating updates first, then deactivates', { id: 'agent-ann', name: 'Annie', deactivated: true }, LIVE_ANN, ['UpdateUsersPartial', 'DeactivateUser']],
    ['reactivating comes before the update', { id: 'agent-ann', name: 'Annie', deactivated: false }, { ...LIVE_ANN, deactivated_at: '2026-01-02T00:00:00.000Z' }, ['ReactivateUser', 'UpdateUsersPartial']],
    ['a matching lifecycle sends nothing', { id: 'agent-ann', deactivated: true }, { ...LIVE_ANN, deactivated_at: '2026-01-02T00:00:00.000Z' }, []],
  ])('lifecycle: %s', (_name, fields, live, ops) => {
    const reqs = plan(fields, live);
    expect(reqs.map((r) => r.op)).toEqual(ops);
    for (const r of reqs.filter((q) => q.op.endsWith('activateUser'))) {
      expect(r).toMatchObject({ method: 'POST', params: { user_id: fields.id }, body: {}, idempotent: true });
    }
    expect(JSON.stringify(reqs.find((r) => r.op === 'UpdateUsers')?.body ?? {})).not.toContain('deactivated');
    expect(JSON.stringify(reqs.find((r) => r.op === 'UpdateUsersPartial')?.body ?? {})).not.toContain('deactivated');
    expectValidRequests(reqs);
  });

  it('restores a soft-deleted user (a create that carries it as live): RestoreUsers, then the declared fields as a partial update', () => {
    const gone = userLive({ id: 'agent-ann', name: 'Ann', role: 'user', custom: { prefs: { lang: 'en' } }, deleted_at: '2026-01-02T00:00:00.000Z', deactivated_at: '2026-01-01T00:00:00.000Z' });
    const want = desired({ id: 'agent-ann', name: 'Ann B', custom: { prefs: { theme: 'dark' } }, deactivated: false });
    const fields = diffFields(want, undefined, { spec: userKind, ignoredFields: [], memory: noMemory });
    const reqs = userKind.requests({ action: 'create', address: want.address, desired: want, live: gone, fields });
    expect(reqs).toEqual([
      { op: 'RestoreUsers', method: 'POST', path: '/api/v2/users/restore', body: { user_ids: ['agent-ann'] }, idempotent: false },
      expect.objectContaining({ op: 'ReactivateUser' }),
      { op: 'UpdateUsersPartial', method: 'PATCH', path: '/api/v2/users', body: { users: [{ id: 'agent-ann', set: { name: 'Ann B', prefs: { lang: 'en', theme: 'dark' } } }] }, idempotent: true },
    ]);
    expectValidRequests(reqs);
    // A user declared by id alone is only restored.
    const bare = desired({ id: 'agent-ann' });
    expect(userKind.requests({ action: 'create', address: bare.address, desired: bare, live: gone, fields: [] }).map((r) => r.op)).toEqual(['RestoreUsers']);
  });

  it('refers to its role and its team roles', () => {
    expect(userKind.refs!({ id: 'a', role: 'support-agent', teams_role: { blue: 'admin', red: 'support-agent' } }).sort()).toEqual(['role/admin', 'role/support-agent']);
    expect(userKind.refs!({ id: 'a' })).toEqual([]);
  });
});

describe('users section entries', () => {
  const section = userKind.schema!.parse([
    { id: 'bot', name: 'Bot', deactivated: false, devices: [{ id: 'tok-1', push_provider: 'apn', voip_token: true }], blocked_users: ['spammer'], push_preferences: { chat_level: 'all' } },
    { id: 'plain', devices: [] },
    { id: 'bare' },
  ]);
  const entries = userKind.entries!(section);

  it('yields each user and each satellite as its own object, at its own place in the file', () => {
    expect(entries.map((e) => [e.kind, e.fields, e.path])).toEqual([
      ['user', { id: 'bot', name: 'Bot', deactivated: false }, ['users', 0]],
      ['device', { user_id: 'bot', id: 'tok-1', push_provider: 'apn', voip_token: true }, ['users', 0, 'devices', 0]],
      ['blocked_user', { user_id: 'bot', blocked_user_id: 'spammer' }, ['users', 0, 'blocked_users', 0]],
      ['push_preference', { user_id: 'bot', chat_level: 'all' }, ['users', 0, 'push_preferences']],
      ['user', { id: 'plain' }, ['users', 1]],
      ['user', { id: 'bare' }, ['users', 2]],
    ]);
  });

  it('remembers which satellite lists a user declares (an empty list included), out of sight of the diff', () => {
    const users = entries.filter((e) => e.kind === 'user');
    expect(users.map((u) => declaredLists(u.fields))).toEqual([['devices', 'blocked_users'], ['devices'], []]);
    expect(Object.keys(users[1]!.fields)).toEqual(['id']);
    expect(JSON.stringify(users[1]!.fields)).toBe('{"id":"plain"}');
  });

  it('refuses a device declared under two users (the API would move it from one to the other)', () => {
    const res = userKind.schema!.safeParse([
      { id: 'a', devices: [{ id: 'shared', push_provider: 'apn' }] },
      { id: 'b', devices: [{ id: 'shared', push_provider: 'apn' }] },
    ]);
    expect(res.success).toBe(false);
    expect(res.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['1.devices.0.id: device "shared" is already declared under user "a": a device belongs to one user']);
  });
});

describe('user normalization and fetch', () => {
  it('keeps UserRequest fields only, custom data under custom', () => {
    expect(userLive(LIVE_ANN).fields).toEqual({
      id: 'agent-ann',
      name: 'Ann',
      role: 'support-agent',
      teams: ['blue', 'red'],
      teams_role: { blue: 'admin' },
      language: 'en',
      invisible: false,
      custom: { tier: 1, prefs: { theme: 'dark', lang: 'en' }, unmanaged: true },
      deactivated: false,
    });
    expect(userLive({ id: 'b' }).fields).toEqual({ id: 'b', custom: {}, deactivated: false });
    expect(userLive({ id: 'c', deactivated_at: '2026-01-02T00:00:00.000Z' }).fields.deactivated).toBe(true);
  });

  it('batches ids by 100 and by URL length', () => {
    const ids = Array.from({ length: 250 }, (_, i) => `u${i}`);
    expect(idBatches(ids).map((b) => b.length)).toEqual([100, 100, 50]);
    const long = Array.from({ length: 30 }, (_, i) => `${'x'.repeat(250)}${i}`);
    const batches = idBatches(long);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toEqual(long);
  });

  it('queries only the declared and the referenced ids, deactivated users included', async () => {
    const sent: ApiRequest[] = [];
    const api: Api = {
      send: async <T>(req: ApiRequest) => {
        sent.push(req);
        const ids = ((req.query!.payload as Rec).filter_conditions as { id: { $in: string[] } }).id.$in;
        return { users: ids.filter((id) => id !== 'ghost').map((id) => ({ id, name: id })) } as T;
      },
    };
    const declared = Array.from({ length: 150 }, (_, i) => desired({ id: `u${String(i).padStart(3, '0')}` }));
    const live = await userKind.fetch(api, declared, { complete: true, referenced: ['user/ghost', 'user/u000', 'user/extra'] });
    expect(sent).toHaveLength(2);
    for (const req of sent) {
      expect(req).toMatchObject({ op: 'QueryUsers', method: 'GET', path: '/api/v2/users', idempotent: true });
      expect(req.query!.payload).toMatchObject({ limit: 100, include_deactivated_users: true });
    }
    expect(live.map((l) => l.address)).toContain('user/extra');
    expect(live).toHaveLength(151);
    // Read only because something refers to it: never deletable, never drift.
    expect(live.find((l) => l.address === 'user/extra')!.builtin).toBe(true);
    expect(live.find((l) => l.address === 'user/u000')!.builtin).toBeUndefined();
    expect(await userKind.fetch(api, [], { complete: true })).toEqual([]);
    expect(sent).toHaveLength(2);
  });
});

const spec = loadSpec();

describe('user against the spec', () => {
  it.skipIf(!spec)('the QueryUsers payload uses QueryUsersPayload keys within its limits', () => {
    const payload = queryUsersRequest(['a', 'b']).query!.payload as Rec;
    const props = spec!.raw.components.schemas.QueryUsersPayload.properties as Record<string, Rec>;
    for (const key of Object.keys(payload)) expect(props).toHaveProperty(key);
    expect(payload.limit).toBeLessThanOrEqual(props.limit!.maximum as number);
    expect(props.filter_conditions!['x-stream-filter-fields']).toHaveProperty('id.operators', expect.arrayContaining(['$in']));
  });
});
