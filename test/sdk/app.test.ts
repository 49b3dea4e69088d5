import { StreamClient } from '@stream-io/node-sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { failure } from '../support/sdk.js';

/** The SDK's StreamError (not exported by the package) for a call that must fail: Stream code and HTTP status. */
describe('official Node SDK against the emulator: app, roles, permissions, rate limits', () => {
  const env = useEmulator({ apps: [{ key: 'sdk-app', secret: 'sdk-app-secret', name: 'SDK App' }] });
  let client: StreamClient;
  beforeAll(() => {
    client = new StreamClient(env.emu.apiKey, env.emu.apiSecret, { basePath: env.emu.url });
  });

  it('reads the app settings', async () => {
    const { app } = await client.getApp();
    expect(app.name).toBe('SDK App');
    expect(app.push_notifications.apn.enabled).toBe(false);
    expect(app.grants.user).toEqual(expect.arrayContaining(['read-call']));
  });

  it('updates the app and reads the change back; secrets stay write-only; revoke_tokens_issued_before travels as a date', async () => {
    const revoke = new Date('2031-02-03T04:05:06.000Z');
    const res = await client.updateApp({
      webhook_url: 'https://sdk.example.com/hook',
      enforce_unique_usernames: 'app',
      sqs_secret: 'sdk-sqs-secret-value',
      apn_config: { disabled: false, auth_type: 'token', auth_key: 'sdk-apn-secret-value' },
      huawei_config: { id: 'hw', disabled: true },
      revoke_tokens_issued_before: revoke,
    });
    expect(res.metadata.responseCode).toBe(200);
    const { app } = await client.getApp();
    expect(app.webhook_url).toBe('https://sdk.example.com/hook');
    expect(app.enforce_unique_usernames).toBe('app');
    expect(app.push_notifications.apn.enabled).toBe(true);
    expect(app.push_notifications.huawei.enabled).toBe(false);
    expect(app.revoke_tokens_issued_before).toEqual(revoke);
    expect(JSON.stringify(app)).not.toMatch(/sdk-(sqs|apn)-secret-value/);
  });

  it('surfaces a validation error as StreamError 400/4', async () => {
    const err = await failure(client.updateApp({ cdn_expiration_seconds: 1 }));
    expect(err.code).toBe(4);
    expect(err.metadata.responseCode).toBe(400);
  });

  it('creates, lists and deletes a role; a built-in role is not deletable', async () => {
    const { role } = await client.createRole({ name: 'sdk_role' });
    expect(role).toMatchObject({ name: 'sdk_role', custom: true });
    expect(role.created_at).toBeInstanceOf(Date);
    expect((await client.listRoles()).roles.map((r) => r.name)).toContain('sdk_role');
    expect((await client.searchRoles({ query: 'sdk_' })).roles.map((r) => r.name)).toEqual(['sdk_role']);

    await client.deleteRole({ name: 'sdk_role' });
    expect((await client.listRoles()).roles.map((r) => r.name)).not.toContain('sdk_role');

    const err = await failure(client.deleteRole({ name: 'admin' }));
    expect(err.code).toBe(17);
    expect(err.metadata.responseCode).toBe(403);
  });

  it('lists and reads permissions; creates, updates and deletes a custom one', async () => {
    const { permissions } = await client.listPermissions();
    expect(permissions.find((p) => p.id === 'create-message')).toMatchObject({ custom: false, action: 'CreateMessage' });
    expect((await client.getPermission({ id: 'read-channel' })).permission.custom).toBe(false);

    // The SDK has typed methods only for reading permissions; writes go through its own transport.
    const send = client.apiClient.sendRequest;
    await send('POST', '/api/v2/permissions', undefined, undefined, { id: 'sdk-perm', name: 'SDK perm', action: 'CreateMessage', condition: {} });
    expect((await client.getPermission({ id: 'sdk-perm' })).permission).toMatchObject({ name: 'SDK perm', custom: true });
    await send('PUT', '/api/v2/permissions/{id}', { id: 'sdk-perm' }, undefined, { name: 'SDK perm v2', action: 'UpdateMessage', condition: {} });
    expect((await client.getPermission({ id: 'sdk-perm' })).permission).toMatchObject({ name: 'SDK perm v2', action: 'UpdateMessage' });
    await send('DELETE', '/api/v2/permissions/{id}', { id: 'sdk-perm' });

    const err = await failure(client.getPermission({ id: 'sdk-perm' }));
    expect(err.code).toBe(16);
    expect(err.metadata.responseCode).toBe(404);
  });

  it('reads the rate limits per platform', async () => {
    const res = await client.getRateLimits({ server_side: true, endpoints: 'GetApp,UpdateApp' });
    expect(Object.keys(res.server_side ?? {}).sort()).toEqual(['GetApp', 'UpdateApp']);
    expect(res.server_side?.UpdateApp?.limit).toBe(60);
    expect(res.android).toBeUndefined();
    expect(res.metadata.rateLimit.rateLimit).toEqual(expect.any(Number));
  });

  it('reads the rate limits of chat endpoints the emulator does not serve', async () => {
    const res = await client.getRateLimits({ server_side: true, endpoints: 'QueryChannels,GetOrCreateChannel' });
    expect(Object.keys(res.server_side ?? {}).sort()).toEqual(['GetOrCreateChannel', 'QueryChannels']);
    expect(res.server_side?.QueryChannels).toMatchObject({ limit: expect.any(Number), remaining: res.server_side?.QueryChannels?.limit });
  });
});
