import { StreamClient } from '@stream-io/node-sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { completed, failure } from '../support/sdk.js';

/** Round trips through the official Node SDK: what works here must work against real Stream. */
describe('official SDK: users, devices, blocks and tasks', () => {
  const env = useEmulator();
  let client: StreamClient;

  beforeAll(() => {
    client = new StreamClient(env.emu.apiKey, env.emu.apiSecret, { basePath: env.emu.url });
  });

  it('upserts, partially updates and queries users', async () => {
    const up = await client.upsertUsers([
      { id: 'sdk-ann', name: 'Ann', custom: { plan: 'pro' }, teams: ['red'] },
      { id: 'sdk-ben', name: 'Ben', custom: { plan: 'free' } },
    ]);
    expect(up.users['sdk-ann']).toMatchObject({ id: 'sdk-ann', role: 'user', custom: { plan: 'pro' } });
    expect(up.users['sdk-ann']!.created_at).toBeInstanceOf(Date);

    const patched = await client.updateUsersPartial({ users: [{ id: 'sdk-ben', set: { plan: 'pro', name: 'Benjamin' }, unset: ['image'] }] });
    expect(patched.users['sdk-ben']).toMatchObject({ name: 'Benjamin', custom: { plan: 'pro' } });

    const found = await client.queryUsers({ payload: { filter_conditions: { plan: 'pro', id: { $in: ['sdk-ann', 'sdk-ben'] } }, sort: [{ field: 'name', direction: -1 }] } });
    expect(found.users.map((u) => u.id)).toEqual(['sdk-ben', 'sdk-ann']);

    const err = await failure(client.updateUsersPartial({ users: [{ id: 'sdk-nobody', set: { name: 'x' } }] }));
    expect(err.code).toBe(4);
    expect(err.metadata.responseCode).toBe(400);
  });

  it('deactivates and reactivates a user', async () => {
    await client.upsertUsers([{ id: 'sdk-cat' }]);
    const off = await client.deactivateUser({ user_id: 'sdk-cat' });
    expect(off.user?.deactivated_at).toBeInstanceOf(Date);
    const on = await client.reactivateUser({ user_id: 'sdk-cat', name: 'Cat' });
    expect(on.user).toMatchObject({ id: 'sdk-cat', name: 'Cat' });
    expect(on.user?.deactivated_at).toBeUndefined();
    const err = await failure(client.deactivateUser({ user_id: 'sdk-nobody' }));
    expect(err.code).toBe(16);
    expect(err.metadata.responseCode).toBe(404);
  });

  it('deletes users through a task and restores them', async () => {
    await client.upsertUsers([{ id: 'sdk-dan' }]);
    const { task_id } = await client.deleteUsers({ user_ids: ['sdk-dan'], user: 'soft' });
    const task = await completed(client, task_id);
    expect(task.status).toBe('completed');
    expect((await client.queryUsers({ payload: { filter_conditions: { id: 'sdk-dan' } } })).users).toEqual([]);
    await client.restoreUsers({ user_ids: ['sdk-dan'] });
    expect((await client.queryUsers({ payload: { filter_conditions: { id: 'sdk-dan' } } })).users.map((u) => u.id)).toEqual(['sdk-dan']);
  });

  it('refuses to restore a user that is not deleted, naming it', async () => {
    await client.upsertUsers([{ id: 'sdk-alive' }]);
    const err = await failure(client.restoreUsers({ user_ids: ['sdk-alive'] }));
    expect([err.code, err.metadata.responseCode]).toEqual([4, 400]);
    expect((err as unknown as Error).message).toContain(`user "sdk-alive" is not deleted, it can't be restored`);
  });

  it("refuses a device for an unknown push provider, listing the app's providers as type/name", async () => {
    await client.upsertUsers([{ id: 'sdk-dev-user' }]);
    const none = await failure(client.createDevice({ id: 'sdk-t1', push_provider: 'firebase', push_provider_name: 'acme-fcm', user_id: 'sdk-dev-user' }));
    expect((none as unknown as Error).message).toContain('push provider "acme-fcm" with type "firebase" not found, available push providers for this application: none');
    await client.upsertPushProvider({ push_provider: { name: 'acme-fcm', type: 'firebase', firebase_credentials: '{"type":"service_account"}' } });
    await client.upsertPushProvider({ push_provider: { name: 'acme-apn', type: 'apn', apn_p12_cert: 'cert' } });
    const err = await failure(client.createDevice({ id: 'sdk-t1', push_provider: 'apn', push_provider_name: 'acme-fcm', user_id: 'sdk-dev-user' }));
    expect([err.code, err.metadata.responseCode]).toEqual([4, 400]);
    expect((err as unknown as Error).message).toContain(
      'push provider "acme-fcm" with type "apn" not found, available push providers for this application: firebase/acme-fcm, apn/acme-apn',
    );
  });

  it('deactivates and reactivates users in bulk through tasks', async () => {
    await client.upsertUsers([{ id: 'sdk-eve' }, { id: 'sdk-fay' }]);
    await completed(client, (await client.deactivateUsers({ user_ids: ['sdk-eve', 'sdk-fay'] })).task_id);
    const hidden = await client.queryUsers({ payload: { filter_conditions: { id: { $in: ['sdk-eve', 'sdk-fay'] } } } });
    expect(hidden.users).toEqual([]);
    await completed(client, (await client.reactivateUsers({ user_ids: ['sdk-eve', 'sdk-fay'] })).task_id);
    const back = await client.queryUsers({ payload: { filter_conditions: { id: { $in: ['sdk-eve', 'sdk-fay'] } } } });
    expect(back.users).toHaveLength(2);
  });

  it('registers, lists and deletes devices', async () => {
    await client.upsertUsers([{ id: 'sdk-gus' }]);
    await client.createDevice({ id: 'sdk-token', push_provider: 'apn', user_id: 'sdk-gus', voip_token: true });
    const { devices } = await client.listDevices({ user_id: 'sdk-gus' });
    expect(devices).toMatchObject([{ id: 'sdk-token', push_provider: 'apn', voip: true, user_id: 'sdk-gus' }]);
    await client.deleteDevice({ id: 'sdk-token', user_id: 'sdk-gus' });
    expect((await client.listDevices({ user_id: 'sdk-gus' })).devices).toEqual([]);
    const err = await failure(client.deleteDevice({ id: 'sdk-token', user_id: 'sdk-gus' }));
    expect(err.metadata.responseCode).toBe(404);
  });

  it('blocks, lists blocks and unblocks users', async () => {
    await client.upsertUsers([{ id: 'sdk-hal' }, { id: 'sdk-ivy' }]);
    const block = await client.blockUsers({ user_id: 'sdk-hal', blocked_user_id: 'sdk-ivy' });
    expect(block).toMatchObject({ blocked_by_user_id: 'sdk-hal', blocked_user_id: 'sdk-ivy' });
    const { blocks } = await client.getBlockedUsers({ user_id: 'sdk-hal' });
    expect(blocks.map((b) => b.blocked_user_id)).toEqual(['sdk-ivy']);
    await client.unblockUsers({ user_id: 'sdk-hal', blocked_user_id: 'sdk-ivy' });
    expect((await client.getBlockedUsers({ user_id: 'sdk-hal' })).blocks).toEqual([]);
    const err = await failure(client.blockUsers({ user_id: 'sdk-hal', blocked_user_id: 'sdk-hal' }));
    expect(err.code).toBe(4);
  });

  it('exports users through a task whose URL holds the export', async () => {
    await client.upsertUsers([{ id: 'sdk-jon', name: 'Jon' }]);
    const { task_id } = await client.exportUsers({ user_ids: ['sdk-jon'] });
    const task = await completed(client, task_id);
    const exported = (await (await fetch(String(task.result?.url))).json()) as { users: { id: string; custom?: unknown }[] };
    expect(exported.users).toMatchObject([{ id: 'sdk-jon', name: 'Jon' }]);
    const single = await client.exportUser({ user_id: 'sdk-jon' });
    expect(single.user).toMatchObject({ id: 'sdk-jon' });
  });

  it('creates a guest and sets push preferences', async () => {
    const guest = await client.createGuest({ user: { id: 'sdk-kim' } });
    expect(guest.user.role).toBe('guest');
    expect(guest.access_token).toBeTypeOf('string');
    const prefs = await client.updatePushNotificationPreferences({ preferences: [{ user_id: 'sdk-kim', chat_level: 'mentions' }] });
    expect(prefs.user_preferences['sdk-kim']).toMatchObject({ chat_level: 'mentions' });
  });
});
