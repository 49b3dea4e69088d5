import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { TestApi } from '../support/api.js';
import { useEmulator } from '../support/emulator.js';

const upsert = (api: TestApi, users: Record<string, unknown>[]) =>
  api.call({ method: 'POST', path: '/api/v2/users', body: { users: Object.fromEntries(users.map((u) => [u.id, u])) } });
const patch = (api: TestApi, users: unknown[], skip = false) => api.call({ method: 'PATCH', path: '/api/v2/users', body: { users } }, { skipRequestValidation: skip });
const queryIds = async (api: TestApi, payload: Record<string, unknown>) =>
  (await api.call({ method: 'GET', path: '/api/v2/users', query: { payload } })).body.users.map((u: { id: string }) => u.id);
const task = (api: TestApi, id: string) => api.call({ method: 'GET', path: `/api/v2/tasks/${id}` });

describe('UpdateUsers', () => {
  const env = useEmulator();

  it('creates users with Stream defaults', async () => {
    const res = await upsert(env.api, [{ id: 'new-user', name: 'New' }]);
    expect(res.status).toBe(201);
    expect(res.body.membership_deletion_task_id).toBe('');
    expect(res.body.users['new-user']).toMatchObject({
      id: 'new-user',
      name: 'New',
      role: 'user',
      language: '',
      teams: [],
      custom: {},
      banned: false,
      online: false,
      devices: [],
      blocked_user_ids: [],
    });
    expect(Date.parse(res.body.users['new-user'].created_at)).not.toBeNaN();
  });

  it('replaces the whole user on upsert, keeping creation time and role', async () => {
    const first = await upsert(env.api, [{ id: 'replace-me', name: 'Old', image: 'http://x/a.png', role: 'admin', custom: { a: 1, b: 2 } }]);
    const second = await upsert(env.api, [{ id: 'replace-me', custom: { c: 3 } }]);
    const user = second.body.users['replace-me'];
    expect(user.custom).toEqual({ c: 3 });
    expect(user.name).toBeUndefined();
    expect(user.image).toBeUndefined();
    expect(user.role).toBe('admin');
    expect(user.created_at).toBe(first.body.users['replace-me'].created_at);
  });

  it('clears a field sent as null', async () => {
    await upsert(env.api, [{ id: 'nulls', role: 'admin', language: 'nl' }]);
    const res = await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users: { nulls: { id: 'nulls', role: null, language: null } } } }, { skipRequestValidation: true });
    expect(res.body.users.nulls).toMatchObject({ role: 'user', language: '' });
  });

  it.each([
    ['an unknown role', { 'bad-role': { id: 'bad-role', role: 'wizard' } }],
    ['an unknown team role', { 'bad-team-role': { id: 'bad-team-role', teams: ['red'], teams_role: { red: 'wizard' } } }],
    ['a key that differs from the id', { 'key-a': { id: 'key-b' } }],
    ['an id with forbidden characters', { 'has space': { id: 'has space' } }],
    ['no users at all', {}],
  ])('rejects %s with 400/4 and writes nothing', async (_label, users) => {
    const res = await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(4);
    expect(res.body.message).toMatch(/^UpdateUsers failed with error: "/);
    for (const id of Object.keys(users)) expect(env.emu.app().users.has(id)).toBe(false);
  });

  it('accepts at most the published number of users per call', async () => {
    const users = Array.from({ length: 101 }, (_, i) => ({ id: `bulk-${i}` }));
    const res = await upsert(env.api, users);
    expect(res.status).toBe(400);
    expect(env.emu.app().users.has('bulk-0')).toBe(false);
    expect((await upsert(env.api, users.slice(0, 100))).status).toBe(201);
  });

  it('answers a membership deletion task when an update removes teams', async () => {
    await upsert(env.api, [{ id: 'team-leaver', teams: ['red', 'blue'] }]);
    const res = await upsert(env.api, [{ id: 'team-leaver', teams: ['blue'] }]);
    expect(res.body.membership_deletion_task_id).not.toBe('');
    const t = await task(env.api, res.body.membership_deletion_task_id);
    expect(t.body).toMatchObject({ status: 'completed', result: { removed_teams: { 'team-leaver': ['red'] } } });
  });

  it('refuses to update a soft-deleted user until it is restored', async () => {
    await upsert(env.api, [{ id: 'gone-for-now' }]);
    await env.api.call({ method: 'POST', path: '/api/v2/users/delete', body: { user_ids: ['gone-for-now'], user: 'soft' } });
    expect((await upsert(env.api, [{ id: 'gone-for-now' }])).status).toBe(400);
    await env.api.call({ method: 'POST', path: '/api/v2/users/restore', body: { user_ids: ['gone-for-now'] } });
    expect((await upsert(env.api, [{ id: 'gone-for-now' }])).status).toBe(201);
  });
});

describe('UpdateUsersPartial', () => {
  const env = useEmulator();

  it('sets and unsets fields, custom keys and nested custom paths', async () => {
    await upsert(env.api, [{ id: 'p1', name: 'P', role: 'admin', custom: { keep: true, drop: 1, address: { city: 'Ams' } } }]);
    const res = await patch(env.api, [{ id: 'p1', set: { name: 'Q', color: 'red', 'custom.address.zip': '1000', 'privacy_settings.typing_indicators': { enabled: false } }, unset: ['drop', 'role'] }]);
    expect(res.status).toBe(200);
    expect(res.body.users.p1).toMatchObject({
      name: 'Q',
      role: 'user',
      custom: { keep: true, color: 'red', address: { city: 'Ams', zip: '1000' } },
      privacy_settings: { typing_indicators: { enabled: false } },
    });
    expect(res.body.users.p1.custom.drop).toBeUndefined();
  });

  it('treats null in set as clearing the field', async () => {
    await upsert(env.api, [{ id: 'p2', name: 'Named', custom: { x: 1 } }]);
    const res = await patch(env.api, [{ id: 'p2', set: { name: null, x: null } }]);
    expect(res.body.users.p2.name).toBeUndefined();
    expect(res.body.users.p2.custom).toEqual({});
  });

  it.each([
    ['an unknown user', [{ id: 'nobody', set: { name: 'x' } }]],
    ['a server-owned field', [{ id: 'p3', set: { created_at: '2020-01-01T00:00:00Z' } }]],
    ['a field in both set and unset', [{ id: 'p3', set: { name: 'x' }, unset: ['name'] }]],
    ['a wrongly typed field', [{ id: 'p3', set: { teams: 'red' } }]],
    ['an unknown role', [{ id: 'p3', set: { role: 'wizard' } }]],
  ])('rejects %s with 400/4', async (_label, users) => {
    await upsert(env.api, [{ id: 'p3', name: 'Unchanged' }]);
    const res = await patch(env.api, users);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(4);
    expect(env.emu.app().users.get('p3')!.name).toBe('Unchanged');
  });

  it('applies nothing when one user of the batch fails', async () => {
    await upsert(env.api, [{ id: 'p4', name: 'Before' }]);
    const res = await patch(env.api, [{ id: 'p4', set: { name: 'After' } }, { id: 'nobody', set: { name: 'x' } }]);
    expect(res.status).toBe(400);
    expect(env.emu.app().users.get('p4')!.name).toBe('Before');
  });

  it('accepts at most 100 users per call', async () => {
    const users = Array.from({ length: 101 }, () => ({ id: 'p4', set: { name: 'x' } }));
    expect((await patch(env.api, users, true)).status).toBe(400);
  });
});

describe('deactivation, deletion and restore', () => {
  const env = useEmulator();

  it('deactivates and reactivates one user, hiding it from queries meanwhile', async () => {
    await upsert(env.api, [{ id: 'd1' }]);
    const off = await env.api.call({ method: 'POST', path: '/api/v2/users/d1/deactivate', body: {} });
    expect(off.body.user.deactivated_at).toBeTypeOf('string');
    expect(await queryIds(env.api, { filter_conditions: { id: 'd1' } })).toEqual([]);
    expect(await queryIds(env.api, { filter_conditions: { id: 'd1' }, include_deactivated_users: true })).toEqual(['d1']);
    const on = await env.api.call({ method: 'POST', path: '/api/v2/users/d1/reactivate', body: { name: 'Renamed' } });
    expect(on.body.user).toMatchObject({ id: 'd1', name: 'Renamed' });
    expect(on.body.user.deactivated_at).toBeUndefined();
  });

  it('rejects an unknown created_by_id', async () => {
    await upsert(env.api, [{ id: 'd2' }]);
    const res = await env.api.call({ method: 'POST', path: '/api/v2/users/d2/deactivate', body: { created_by_id: 'ghost' } });
    expect(res.status).toBe(400);
  });

  it('soft-deletes users, hides them unless the filter asks about deletion, and restores them', async () => {
    await upsert(env.api, [{ id: 'soft1', name: 'Soft' }]);
    const del = await env.api.call({ method: 'POST', path: '/api/v2/users/delete', body: { user_ids: ['soft1'], user: 'soft' } });
    expect((await task(env.api, del.body.task_id)).body.result.users).toEqual({ soft1: { status: 'ok' } });
    expect(await queryIds(env.api, { filter_conditions: { id: 'soft1' } })).toEqual([]);
    expect(await queryIds(env.api, { filter_conditions: { id: 'soft1', deleted_at: { $exists: true } } })).toEqual(['soft1']);
    await env.api.call({ method: 'POST', path: '/api/v2/users/restore', body: { user_ids: ['soft1'] } });
    const [user] = (await env.api.call({ method: 'GET', path: '/api/v2/users', query: { payload: { filter_conditions: { id: 'soft1' } } } })).body.users;
    expect(user).toMatchObject({ id: 'soft1', name: 'Soft' });
    expect(user.deleted_at).toBeUndefined();
  });

  it('prunes a user: deleted, and its personal data dropped', async () => {
    await upsert(env.api, [{ id: 'prune1', name: 'Person', custom: { email: 'a@b' }, teams: ['red'] }]);
    await env.api.call({ method: 'POST', path: '/api/v2/users/delete', body: { user_ids: ['prune1'], user: 'pruning' } });
    const user = env.emu.app().users.get('prune1')!;
    expect(user).toMatchObject({ custom: {}, teams: [] });
    expect(user.name).toBeUndefined();
    expect(user.deleted_at).toBeTypeOf('string');
  });

  it('hard-deletes a user with its devices and blocks', async () => {
    await upsert(env.api, [{ id: 'hard1' }, { id: 'hard-friend' }]);
    await env.api.call({ method: 'POST', path: '/api/v2/devices', body: { id: 'hard-token', push_provider: 'firebase', user_id: 'hard1' } });
    await env.api.call({ method: 'POST', path: '/api/v2/users/block', body: { user_id: 'hard-friend', blocked_user_id: 'hard1' } });
    const del = await env.api.call({ method: 'POST', path: '/api/v2/users/delete', body: { user_ids: ['hard1'], user: 'hard', messages: 'hard', conversations: 'hard' } });
    expect((await task(env.api, del.body.task_id)).body.status).toBe('completed');
    const app = env.emu.app();
    expect(app.users.has('hard1')).toBe(false);
    expect([...app.devices.values()].some((d) => d.user_id === 'hard1')).toBe(false);
    expect((await env.api.call({ method: 'GET', path: '/api/v2/users/block', query: { user_id: 'hard-friend' } })).body.blocks).toEqual([]);
    expect((await env.api.call({ method: 'POST', path: '/api/v2/users/restore', body: { user_ids: ['hard1'] } })).status).toBe(400);
  });

  it.each([
    ['hard user deletion without hard messages and conversations', { user_ids: ['keep1'], user: 'hard' }],
    ['an unknown user id', { user_ids: ['keep1', 'nobody'], user: 'soft' }],
    ['an unknown new channel owner', { user_ids: ['keep1'], user: 'soft', new_channel_owner_id: 'nobody' }],
    ['more than 100 users', { user_ids: Array.from({ length: 101 }, () => 'keep1'), user: 'soft' }],
  ])('rejects %s without starting a task', async (_label, body) => {
    await upsert(env.api, [{ id: 'keep1' }]);
    const before = env.emu.app().tasks.size;
    const res = await env.api.call({ method: 'POST', path: '/api/v2/users/delete', body }, { skipRequestValidation: true });
    expect(res.status).toBe(400);
    expect(env.emu.app().tasks.size).toBe(before);
    expect(env.emu.app().users.get('keep1')!.deleted_at).toBeUndefined();
  });
});

describe('async user tasks', () => {
  const env = useEmulator({ taskStepMs: 30 });

  /**
   * Polls GetTask until the task is done. `whileBusy` runs after each answer that is still pending or running:
   * the emulator applies task work only while serving a request, so the state it sees matches that answer.
   */
  async function waitForTask(id: string, whileBusy: () => void = () => {}): Promise<{ status: string; result?: Record<string, unknown> }> {
    const seen: string[] = [];
    for (let i = 0; i < 200; i++) {
      const { body } = await task(env.api, id);
      seen.push(body.status);
      if (body.status === 'completed' || body.status === 'failed') return body;
      expect(['pending', 'running']).toContain(body.status);
      whileBusy();
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`task ${id} did not complete; statuses seen: ${seen.join(', ')}`);
  }

  it('deactivates users only when the task completes', async () => {
    await upsert(env.api, [{ id: 'slow1' }, { id: 'slow2' }]);
    const res = await env.api.call({ method: 'POST', path: '/api/v2/users/deactivate', body: { user_ids: ['slow1', 'slow2'] } });
    expect(res.status).toBe(201);
    const done = await waitForTask(res.body.task_id, () => expect(env.emu.app().users.get('slow1')!.deactivated_at).toBeUndefined());
    expect(done).toMatchObject({ status: 'completed', result: { users: { slow1: { status: 'ok' }, slow2: { status: 'ok' } } } });
    expect(env.emu.app().users.get('slow1')!.deactivated_at).toBeTypeOf('string');

    const back = await env.api.call({ method: 'POST', path: '/api/v2/users/reactivate', body: { user_ids: ['slow1'] } });
    await waitForTask(back.body.task_id, () => expect(env.emu.app().users.get('slow1')!.deactivated_at).toBeTypeOf('string'));
    expect(env.emu.app().users.get('slow1')!.deactivated_at).toBeUndefined();
  });

  it('deletes users only when the task completes, reporting users that vanished meanwhile', async () => {
    await upsert(env.api, [{ id: 'slow3' }, { id: 'slow4' }]);
    // The hard deletion of slow4 is queued first, so it lands before the soft deletion of both.
    const hard = await env.api.call({ method: 'POST', path: '/api/v2/users/delete', body: { user_ids: ['slow4'], user: 'hard', messages: 'hard', conversations: 'hard' } });
    const res = await env.api.call({ method: 'POST', path: '/api/v2/users/delete', body: { user_ids: ['slow3', 'slow4'], user: 'soft' } });
    await waitForTask(hard.body.task_id);
    const done = await waitForTask(res.body.task_id, () => expect(env.emu.app().users.get('slow3')!.deleted_at).toBeUndefined());
    expect(done.result).toMatchObject({ users: { slow3: { status: 'ok' }, slow4: { status: 'failed' } } });
    expect(await queryIds(env.api, { filter_conditions: { id: { $in: ['slow3', 'slow4'] } } })).toEqual([]);
  });
});

describe('exports', () => {
  const env = useEmulator();

  it('exports one user synchronously, deleted or not', async () => {
    await upsert(env.api, [{ id: 'ex1', name: 'Ex' }]);
    const res = await env.api.call({ method: 'GET', path: '/api/v2/users/ex1/export' });
    expect(res.body).toMatchObject({ user: { id: 'ex1', name: 'Ex' }, messages: [], reactions: [] });
  });

  it('exports users through a task whose URL serves the export', async () => {
    await upsert(env.api, [{ id: 'ex2', custom: { k: 'v' } }, { id: 'ex3' }]);
    const res = await env.api.call({ method: 'POST', path: '/api/v2/export/users', body: { user_ids: ['ex2', 'ex3'] } });
    const { body } = await task(env.api, res.body.task_id);
    const exported = (await (await fetch(body.result.url)).json()) as { users: { id: string; custom?: unknown }[] };
    expect(exported.users.map((u: { id: string }) => u.id)).toEqual(['ex2', 'ex3']);
    expect(exported.users[0]?.custom).toEqual({ k: 'v' });
  });

  it('rejects unknown users', async () => {
    const res = await env.api.call({ method: 'POST', path: '/api/v2/export/users', body: { user_ids: ['nobody'] } });
    expect(res.status).toBe(400);
  });
});

describe('blocks', () => {
  const env = useEmulator();

  it('blocks idempotently, shows blocked ids on the user, and unblocks', async () => {
    await upsert(env.api, [{ id: 'b1' }, { id: 'b2' }]);
    const first = await env.api.call({ method: 'POST', path: '/api/v2/users/block', body: { user_id: 'b1', blocked_user_id: 'b2' } });
    const again = await env.api.call({ method: 'POST', path: '/api/v2/users/block', body: { user: { id: 'b1' }, blocked_user_id: 'b2' } });
    expect(again.body.created_at).toBe(first.body.created_at);
    const list = await env.api.call({ method: 'GET', path: '/api/v2/users/block', query: { user_id: 'b1' } });
    expect(list.body.blocks).toMatchObject([{ user_id: 'b1', blocked_user_id: 'b2', user: { id: 'b1', blocked_user_ids: ['b2'] }, blocked_user: { id: 'b2' } }]);
    await env.api.call({ method: 'POST', path: '/api/v2/users/unblock', body: { user_id: 'b1', blocked_user_id: 'b2' } });
    expect((await env.api.call({ method: 'GET', path: '/api/v2/users/block', query: { user_id: 'b1' } })).body.blocks).toEqual([]);
  });

  it.each([
    ['blocking yourself', { user_id: 'b1', blocked_user_id: 'b1' }],
    ['an unknown blocked user', { user_id: 'b1', blocked_user_id: 'nobody' }],
    ['an unknown blocker', { user_id: 'nobody', blocked_user_id: 'b1' }],
    ['no acting user', { blocked_user_id: 'b1' }],
  ])('rejects %s with 400/4', async (_label, body) => {
    await upsert(env.api, [{ id: 'b1' }]);
    const res = await env.api.call({ method: 'POST', path: '/api/v2/users/block', body });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(4);
  });
});

describe('live locations', () => {
  const env = useEmulator();
  const put = (userId: string, body: Record<string, unknown>) =>
    // The spec's latitude/longitude minimums are broken (overflowed): skip the request-side check only.
    env.api.call({ method: 'PUT', path: '/api/v2/users/live_locations', query: { user_id: userId }, body }, { skipRequestValidation: true });

  it('starts a live location and updates it in place', async () => {
    await upsert(env.api, [{ id: 'l1' }]);
    const end = new Date(Date.now() + 3_600_000).toISOString();
    const first = await put('l1', { message_id: 'm1', latitude: 10, longitude: 20, end_at: end });
    const second = await put('l1', { message_id: 'm1', latitude: 11 });
    expect(second.body).toMatchObject({ message_id: 'm1', user_id: 'l1', latitude: 11, longitude: 20, end_at: end, created_at: first.body.created_at });
    const list = await env.api.call({ method: 'GET', path: '/api/v2/users/live_locations', query: { user_id: 'l1' } });
    expect(list.body.active_live_locations).toMatchObject([{ message_id: 'm1', latitude: 11 }]);
  });

  it('lists only locations that have not ended, and refuses to update an ended one', async () => {
    await upsert(env.api, [{ id: 'l2' }]);
    await put('l2', { message_id: 'old', latitude: 1, longitude: 1, end_at: '2000-01-01T00:00:00Z' });
    const list = await env.api.call({ method: 'GET', path: '/api/v2/users/live_locations', query: { user_id: 'l2' } });
    expect(list.body.active_live_locations).toEqual([]);
    expect((await put('l2', { message_id: 'old', latitude: 2 })).status).toBe(400);
  });

  it.each([
    ['a latitude out of range', { message_id: 'm', latitude: 91, longitude: 0 }],
    ['a missing message_id', { latitude: 1, longitude: 1 }],
  ])('rejects %s', async (_label, body) => {
    await upsert(env.api, [{ id: 'l3' }]);
    expect((await put('l3', body)).status).toBe(400);
  });
});

describe('CreateGuest', () => {
  const env = useEmulator();

  it('creates a guest and answers a user token signed with the app secret', async () => {
    const res = await env.api.call({ method: 'POST', path: '/api/v2/guest', body: { user: { id: 'guest1', name: 'Visitor', role: 'admin' } } });
    expect(res.body.user).toMatchObject({ id: 'guest1', name: 'Visitor', role: 'guest' });
    const { payload } = await jwtVerify(res.body.access_token, new TextEncoder().encode(env.emu.apiSecret));
    expect(payload.user_id).toBe('guest1');
  });

  it('answers 403 when the guest token is used on a server-side endpoint', async () => {
    const res = await env.api.call({ method: 'POST', path: '/api/v2/guest', body: { user: { id: 'guest2' } } });
    const denied = await env.api.call({ method: 'GET', path: '/api/v2/users', query: { payload: { filter_conditions: {} } }, token: res.body.access_token });
    expect(denied.status).toBe(403);
  });
});

describe('UpdatePushNotificationPreferences', () => {
  const env = useEmulator();
  const upsertPrefs = (preferences: unknown[], skip = false) =>
    env.api.call({ method: 'POST', path: '/api/v2/push_preferences', body: { preferences } }, { skipRequestValidation: skip });

  it('merges user and channel preferences; "default" removes an override', async () => {
    await upsert(env.api, [{ id: 'pp1' }, { id: 'pp2' }]);
    await upsertPrefs([{ user_id: 'pp1', chat_level: 'mentions', call_level: 'none', chat_preferences: { thread_replies: 'none' } }]);
    const res = await upsertPrefs([
      { user_id: 'pp1', chat_level: 'default', feeds_level: 'all', chat_preferences: { here_mentions: 'all' } },
      { user_id: 'pp2', channel_cid: 'messaging:general', chat_level: 'none', disabled_until: '2030-01-01T00:00:00Z' },
    ]);
    expect(res.body.user_preferences).toEqual({
      pp1: { call_level: 'none', feeds_level: 'all', chat_preferences: { thread_replies: 'none', here_mentions: 'all' } },
      pp2: {},
    });
    expect(res.body.user_channel_preferences).toEqual({ pp2: { 'messaging:general': { chat_level: 'none', disabled_until: '2030-01-01T00:00:00.000Z' } } });
  });

  it('snoozes and un-snoozes notifications', async () => {
    await upsert(env.api, [{ id: 'pp3' }]);
    const snoozed = await upsertPrefs([{ user_id: 'pp3', disabled_until: '2030-01-01T00:00:00Z' }]);
    expect(snoozed.body.user_preferences.pp3.disabled_until).toBe('2030-01-01T00:00:00.000Z');
    const awake = await upsertPrefs([{ user_id: 'pp3', remove_disable: true }]);
    expect(awake.body.user_preferences.pp3.disabled_until).toBeUndefined();
  });

  it('rejects unknown users and bad levels, writing nothing', async () => {
    await upsert(env.api, [{ id: 'pp4' }]);
    expect((await upsertPrefs([{ user_id: 'pp4', chat_level: 'all' }, { user_id: 'nobody', chat_level: 'all' }])).status).toBe(400);
    expect((await upsertPrefs([{ user_id: 'pp4', call_level: 'mentions' }], true)).status).toBe(400);
    expect((await upsertPrefs([{ chat_level: 'all' }])).status).toBe(400);
    expect(env.emu.app().pushPreferences.has('pp4')).toBe(false);
  });
});
