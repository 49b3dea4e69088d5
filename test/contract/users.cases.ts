import { expect } from 'vitest';
import type { TestApi } from '../support/api.js';
import type { ContractCases } from './types.js';

/** Creates users (ids unique to the calling case) through UpdateUsers. */
async function upsert(api: TestApi, ...ids: string[]): Promise<void> {
  const users = Object.fromEntries(ids.map((id) => [id, { id, name: `User ${id}` }]));
  const res = await api.call({ method: 'POST', path: '/api/v2/users', body: { users } });
  expect(res.status).toBe(201);
}

async function taskResult(api: TestApi, taskId: string): Promise<Record<string, unknown>> {
  const res = await api.call({ method: 'GET', path: `/api/v2/tasks/${taskId}` });
  expect(res.body.status).toBe('completed');
  return res.body.result;
}

export const cases: ContractCases = {
  async UpdateUsers({ api }) {
    const ok = await api.call({ method: 'POST', path: '/api/v2/users', body: { users: { 'c-upd': { id: 'c-upd', custom: { a: 1 } } } } });
    expect(ok.status).toBe(201);
    expect(ok.body.users['c-upd']).toMatchObject({ role: 'user', custom: { a: 1 } });
    const bad = await api.call({ method: 'POST', path: '/api/v2/users', body: { users: { 'c-upd': { id: 'c-upd', role: 'no-such-role' } } } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe(4);
  },

  async UpdateUsersPartial({ api }) {
    await upsert(api, 'c-part');
    const ok = await api.call({ method: 'PATCH', path: '/api/v2/users', body: { users: [{ id: 'c-part', set: { name: 'New' }, unset: ['image'] }] } });
    expect(ok.status).toBe(200);
    expect(ok.body.users['c-part'].name).toBe('New');
    const bad = await api.call({ method: 'PATCH', path: '/api/v2/users', body: { users: [{ id: 'c-part-missing', set: { name: 'x' } }] } });
    expect(bad.status).toBe(400);
  },

  async QueryUsers({ api }) {
    await upsert(api, 'c-query');
    const ok = await api.call({ method: 'GET', path: '/api/v2/users', query: { payload: { filter_conditions: { id: 'c-query' } } } });
    expect(ok.status).toBe(200);
    expect(ok.body.users.map((u: { id: string }) => u.id)).toEqual(['c-query']);
    const bad = await api.call({ method: 'GET', path: '/api/v2/users', query: { payload: { filter_conditions: {}, limit: 101 } } });
    expect(bad.status).toBe(400);
  },

  async DeactivateUser({ api }) {
    await upsert(api, 'c-deact');
    const ok = await api.call({ method: 'POST', path: '/api/v2/users/c-deact/deactivate', body: {} });
    expect(ok.status).toBe(201);
    expect(ok.body.user.deactivated_at).toBeTypeOf('string');
    const bad = await api.call({ method: 'POST', path: '/api/v2/users/c-deact-missing/deactivate', body: {} });
    expect(bad.status).toBe(404);
  },

  async ReactivateUser({ api }) {
    await upsert(api, 'c-react');
    await api.call({ method: 'POST', path: '/api/v2/users/c-react/deactivate', body: {} });
    const ok = await api.call({ method: 'POST', path: '/api/v2/users/c-react/reactivate', body: { name: 'Back' } });
    expect(ok.status).toBe(201);
    expect(ok.body.user).toMatchObject({ name: 'Back' });
    expect(ok.body.user.deactivated_at).toBeUndefined();
    const bad = await api.call({ method: 'POST', path: '/api/v2/users/c-react-missing/reactivate', body: {} });
    expect(bad.status).toBe(404);
  },

  async DeactivateUsers({ api }) {
    await upsert(api, 'c-deacts');
    const ok = await api.call({ method: 'POST', path: '/api/v2/users/deactivate', body: { user_ids: ['c-deacts'] } });
    expect(ok.status).toBe(201);
    await taskResult(api, ok.body.task_id);
    const bad = await api.call({ method: 'POST', path: '/api/v2/users/deactivate', body: { user_ids: [] } }, { skipRequestValidation: true });
    expect(bad.status).toBe(400);
  },

  async ReactivateUsers({ api }) {
    await upsert(api, 'c-reacts');
    const ok = await api.call({ method: 'POST', path: '/api/v2/users/reactivate', body: { user_ids: ['c-reacts'] } });
    expect(ok.status).toBe(201);
    await taskResult(api, ok.body.task_id);
    const bad = await api.call({ method: 'POST', path: '/api/v2/users/reactivate', body: { user_ids: ['c-reacts-missing'] } });
    expect(bad.status).toBe(400);
  },

  async DeleteUsers({ api }) {
    await upsert(api, 'c-del');
    const ok = await api.call({ method: 'POST', path: '/api/v2/users/delete', body: { user_ids: ['c-del'], user: 'soft' } });
    expect(ok.status).toBe(201);
    expect(await taskResult(api, ok.body.task_id)).toMatchObject({ users: { 'c-del': { status: 'ok' } } });
    const bad = await api.call({ method: 'POST', path: '/api/v2/users/delete', body: { user_ids: ['c-del'], user: 'everything' } }, { skipRequestValidation: true });
    expect(bad.status).toBe(400);
  },

  async RestoreUsers({ api }) {
    await upsert(api, 'c-restore');
    const del = await api.call({ method: 'POST', path: '/api/v2/users/delete', body: { user_ids: ['c-restore'], user: 'soft' } });
    await taskResult(api, del.body.task_id);
    const ok = await api.call({ method: 'POST', path: '/api/v2/users/restore', body: { user_ids: ['c-restore'] } });
    expect(ok.status).toBe(201);
    const bad = await api.call({ method: 'POST', path: '/api/v2/users/restore', body: { user_ids: ['c-restore'] } });
    expect(bad.status).toBe(400);
  },

  async ExportUser({ api }) {
    await upsert(api, 'c-export');
    const ok = await api.call({ method: 'GET', path: '/api/v2/users/c-export/export' });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe('c-export');
    const bad = await api.call({ method: 'GET', path: '/api/v2/users/c-export-missing/export' });
    expect(bad.status).toBe(404);
  },

  async ExportUsers({ api }) {
    await upsert(api, 'c-exports');
    const ok = await api.call({ method: 'POST', path: '/api/v2/export/users', body: { user_ids: ['c-exports'] } });
    expect(ok.status).toBe(201);
    expect((await taskResult(api, ok.body.task_id)).url).toMatch(/^data:application\/json;base64,/);
    const tooMany = Array.from({ length: 26 }, (_, i) => `c-exports-${i}`);
    const bad = await api.call({ method: 'POST', path: '/api/v2/export/users', body: { user_ids: tooMany } }, { skipRequestValidation: true });
    expect(bad.status).toBe(400);
  },

  async BlockUsers({ api }) {
    await upsert(api, 'c-blocker', 'c-blocked');
    const ok = await api.call({ method: 'POST', path: '/api/v2/users/block', body: { user_id: 'c-blocker', blocked_user_id: 'c-blocked' } });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ blocked_by_user_id: 'c-blocker', blocked_user_id: 'c-blocked' });
    const bad = await api.call({ method: 'POST', path: '/api/v2/users/block', body: { user_id: 'c-blocker', blocked_user_id: 'c-blocker' } });
    expect(bad.status).toBe(400);
  },

  async UnblockUsers({ api }) {
    await upsert(api, 'c-unblocker', 'c-unblocked');
    await api.call({ method: 'POST', path: '/api/v2/users/block', body: { user_id: 'c-unblocker', blocked_user_id: 'c-unblocked' } });
    const ok = await api.call({ method: 'POST', path: '/api/v2/users/unblock', body: { user_id: 'c-unblocker', blocked_user_id: 'c-unblocked' } });
    expect(ok.status).toBe(201);
    const bad = await api.call({ method: 'POST', path: '/api/v2/users/unblock', body: { user_id: 'c-unblocker', blocked_user_id: 'c-nobody' } });
    expect(bad.status).toBe(400);
  },

  async GetBlockedUsers({ api }) {
    await upsert(api, 'c-gb', 'c-gb-target');
    await api.call({ method: 'POST', path: '/api/v2/users/block', body: { user_id: 'c-gb', blocked_user_id: 'c-gb-target' } });
    const ok = await api.call({ method: 'GET', path: '/api/v2/users/block', query: { user_id: 'c-gb' } });
    expect(ok.status).toBe(200);
    expect(ok.body.blocks.map((b: { blocked_user_id: string }) => b.blocked_user_id)).toEqual(['c-gb-target']);
    const bad = await api.call({ method: 'GET', path: '/api/v2/users/block' });
    expect(bad.status).toBe(400);
  },

  async UpdateLiveLocation({ api }) {
    await upsert(api, 'c-loc');
    // The spec's `minimum` for latitude/longitude is an overflowed value that rejects every coordinate, so the
    // request-side check is skipped for bodies carrying coordinates; the response is still validated.
    const ok = await api.call(
      { method: 'PUT', path: '/api/v2/users/live_locations', query: { user_id: 'c-loc' }, body: { message_id: 'c-msg', latitude: 52.37, longitude: 4.89 } },
      { skipRequestValidation: true },
    );
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ user_id: 'c-loc', message_id: 'c-msg', latitude: 52.37 });
    const bad = await api.call({ method: 'PUT', path: '/api/v2/users/live_locations', query: { user_id: 'c-loc' }, body: { message_id: 'c-msg-new' } });
    expect(bad.status).toBe(400);
  },

  async GetUserLiveLocations({ api }) {
    await upsert(api, 'c-locs');
    await api.call(
      { method: 'PUT', path: '/api/v2/users/live_locations', query: { user_id: 'c-locs' }, body: { message_id: 'c-locs-msg', latitude: 1, longitude: 2 } },
      { skipRequestValidation: true },
    );
    const ok = await api.call({ method: 'GET', path: '/api/v2/users/live_locations', query: { user_id: 'c-locs' } });
    expect(ok.status).toBe(200);
    expect(ok.body.active_live_locations).toHaveLength(1);
    const bad = await api.call({ method: 'GET', path: '/api/v2/users/live_locations', query: { user_id: 'c-locs-missing' } });
    expect(bad.status).toBe(400);
  },

  async CreateGuest({ api }) {
    const ok = await api.call({ method: 'POST', path: '/api/v2/guest', body: { user: { id: 'c-guest', role: 'admin' } } });
    expect(ok.status).toBe(201);
    expect(ok.body.user.role).toBe('guest');
    expect(ok.body.access_token.split('.')).toHaveLength(3);
    const bad = await api.call({ method: 'POST', path: '/api/v2/guest', body: { user: { id: 'c-guest' } } });
    expect(bad.status).toBe(400);
  },

  async CreateDevice({ api }) {
    await upsert(api, 'c-dev');
    const ok = await api.call({ method: 'POST', path: '/api/v2/devices', body: { id: 'c-token', push_provider: 'firebase', user_id: 'c-dev' } });
    expect(ok.status).toBe(201);
    const bad = await api.call({ method: 'POST', path: '/api/v2/devices', body: { id: 'c-token', push_provider: 'carrier-pigeon', user_id: 'c-dev' } }, { skipRequestValidation: true });
    expect(bad.status).toBe(400);
  },

  async ListDevices({ api }) {
    await upsert(api, 'c-devs');
    await api.call({ method: 'POST', path: '/api/v2/devices', body: { id: 'c-devs-token', push_provider: 'apn', user_id: 'c-devs', voip_token: true } });
    const ok = await api.call({ method: 'GET', path: '/api/v2/devices', query: { user_id: 'c-devs' } });
    expect(ok.status).toBe(200);
    expect(ok.body.devices).toMatchObject([{ id: 'c-devs-token', push_provider: 'apn', voip: true }]);
    const bad = await api.call({ method: 'GET', path: '/api/v2/devices' });
    expect(bad.status).toBe(400);
  },

  async DeleteDevice({ api }) {
    await upsert(api, 'c-devdel');
    await api.call({ method: 'POST', path: '/api/v2/devices', body: { id: 'c-devdel-token', push_provider: 'huawei', user_id: 'c-devdel' } });
    const ok = await api.call({ method: 'DELETE', path: '/api/v2/devices', query: { id: 'c-devdel-token', user_id: 'c-devdel' } });
    expect(ok.status).toBe(200);
    const bad = await api.call({ method: 'DELETE', path: '/api/v2/devices', query: { id: 'c-devdel-token', user_id: 'c-devdel' } });
    expect(bad.status).toBe(404);
  },

  async UpdatePushNotificationPreferences({ api }) {
    await upsert(api, 'c-push');
    const ok = await api.call({
      method: 'POST',
      path: '/api/v2/push_preferences',
      body: { preferences: [{ user_id: 'c-push', chat_level: 'mentions', call_level: 'none' }, { user_id: 'c-push', channel_cid: 'messaging:c-general', chat_level: 'none' }] },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.user_preferences['c-push']).toMatchObject({ chat_level: 'mentions', call_level: 'none' });
    expect(ok.body.user_channel_preferences['c-push']['messaging:c-general']).toMatchObject({ chat_level: 'none' });
    const bad = await api.call({ method: 'POST', path: '/api/v2/push_preferences', body: { preferences: [{ user_id: 'c-push', chat_level: 'loud' }] } }, { skipRequestValidation: true });
    expect(bad.status).toBe(400);
  },

  async GetTask({ api }) {
    await upsert(api, 'c-task');
    const created = await api.call({ method: 'POST', path: '/api/v2/users/deactivate', body: { user_ids: ['c-task'] } });
    const ok = await api.call({ method: 'GET', path: `/api/v2/tasks/${created.body.task_id}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ task_id: created.body.task_id, status: 'completed' });
    const bad = await api.call({ method: 'GET', path: '/api/v2/tasks/00000000-0000-4000-8000-000000000000' });
    expect(bad.status).toBe(404);
  },
};
