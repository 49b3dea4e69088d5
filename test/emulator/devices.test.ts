import { beforeAll, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';

describe('devices', () => {
  const env = useEmulator();
  const create = (body: Record<string, unknown>, skip = false) => env.api.call({ method: 'POST', path: '/api/v2/devices', body }, { skipRequestValidation: skip });
  const list = async (userId: string) => (await env.api.call({ method: 'GET', path: '/api/v2/devices', query: { user_id: userId } })).body.devices;

  beforeAll(async () => {
    const users = Object.fromEntries(['dev-a', 'dev-b', 'dev-many'].map((id) => [id, { id }]));
    await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users } });
    // A push provider to reference by name (written straight to state: push providers are another module's routes).
    env.emu.app().pushProviders.set('firebase/prod', { name: 'prod', type: 'firebase' });
  });

  it('registers a device; voip_token reads back as voip', async () => {
    const res = await create({ id: 'tok-1', push_provider: 'apn', user_id: 'dev-a', voip_token: true, hardware_id: 'hw-1' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ duration: expect.any(String) });
    const devices = await list('dev-a');
    expect(devices).toEqual([{ id: 'tok-1', user_id: 'dev-a', push_provider: 'apn', voip: true, hardware_id: 'hw-1', disabled: false, created_at: expect.any(String) }]);
    expect(devices[0]).not.toHaveProperty('voip_token');
  });

  it('accepts the acting user as user.id and a push provider that exists', async () => {
    expect((await create({ id: 'tok-2', push_provider: 'firebase', push_provider_name: 'prod', user: { id: 'dev-a' } })).status).toBe(201);
    expect((await list('dev-a')).find((d: { id: string }) => d.id === 'tok-2')).toMatchObject({ push_provider_name: 'prod' });
  });

  it('updates a device registered again, keeping its creation time', async () => {
    const before = (await list('dev-a')).find((d: { id: string }) => d.id === 'tok-1');
    await create({ id: 'tok-1', push_provider: 'apn', user_id: 'dev-a' });
    const after = (await list('dev-a')).find((d: { id: string }) => d.id === 'tok-1');
    expect(after.created_at).toBe(before.created_at);
    expect(after.voip).toBeUndefined();
  });

  it('moves a device token registered for another user', async () => {
    await create({ id: 'tok-shared', push_provider: 'firebase', user_id: 'dev-a' });
    await create({ id: 'tok-shared', push_provider: 'firebase', user_id: 'dev-b' });
    expect((await list('dev-a')).map((d: { id: string }) => d.id)).not.toContain('tok-shared');
    expect((await list('dev-b')).map((d: { id: string }) => d.id)).toEqual(['tok-shared']);
  });

  it('keeps at most 25 devices per user, dropping the oldest', async () => {
    for (let i = 0; i < 26; i++) {
      await create({ id: `many-${String(i).padStart(2, '0')}`, push_provider: 'firebase', user_id: 'dev-many' });
      env.emu.app().devices.get(`dev-many/many-${String(i).padStart(2, '0')}`)!.created_at = new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString();
    }
    const ids = (await list('dev-many')).map((d: { id: string }) => d.id);
    expect(ids).toHaveLength(25);
    expect(ids).not.toContain('many-00');
    expect(ids).toContain('many-25');
  });

  it.each<[string, Record<string, unknown>]>([
    ['a missing id', { push_provider: 'apn', user_id: 'dev-a' }],
    ['an id longer than 255 characters', { id: 'x'.repeat(256), push_provider: 'apn', user_id: 'dev-a' }],
    ['a missing push_provider', { id: 'bad', user_id: 'dev-a' }],
    ['an unknown push_provider', { id: 'bad', push_provider: 'pigeon', user_id: 'dev-a' }],
    ['no acting user', { id: 'bad', push_provider: 'apn' }],
    ['an unknown user', { id: 'bad', push_provider: 'apn', user_id: 'nobody' }],
    ['a push provider name that does not exist', { id: 'bad', push_provider: 'firebase', push_provider_name: 'staging', user_id: 'dev-a' }],
    ['a push provider name of another type', { id: 'bad', push_provider: 'apn', push_provider_name: 'prod', user_id: 'dev-a' }],
  ])('rejects %s with 400/4', async (_label, body) => {
    const res = await create(body, true);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(4);
    expect((await list('dev-a')).map((d: { id: string }) => d.id)).not.toContain('bad');
  });

  it('requires user_id to list devices, and rejects unknown users', async () => {
    expect((await env.api.call({ method: 'GET', path: '/api/v2/devices' })).status).toBe(400);
    expect((await env.api.call({ method: 'GET', path: '/api/v2/devices', query: { user_id: 'nobody' } })).status).toBe(400);
  });

  it('deletes a device; deleting it again is 404/16', async () => {
    await create({ id: 'tok-del', push_provider: 'xiaomi', user_id: 'dev-a' });
    const del = await env.api.call({ method: 'DELETE', path: '/api/v2/devices', query: { id: 'tok-del', user_id: 'dev-a' } });
    expect(del.status).toBe(200);
    expect((await list('dev-a')).map((d: { id: string }) => d.id)).not.toContain('tok-del');
    const again = await env.api.call({ method: 'DELETE', path: '/api/v2/devices', query: { id: 'tok-del', user_id: 'dev-a' } });
    expect(again.status).toBe(404);
    expect(again.body.code).toBe(16);
    expect((await env.api.call({ method: 'DELETE', path: '/api/v2/devices', query: { user_id: 'dev-a' } })).status).toBe(400);
  });

  it('shows a user\'s devices in query results', async () => {
    const res = await env.api.call({ method: 'GET', path: '/api/v2/users', query: { payload: { filter_conditions: { id: 'dev-b' } } } });
    expect(res.body.users[0].devices).toMatchObject([{ id: 'tok-shared', push_provider: 'firebase' }]);
  });
});
