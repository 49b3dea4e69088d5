import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMIT } from '../../src/emulator/rate-limit.js';
import { useEmulator } from '../support/emulator.js';
import type { EmulatorFixture } from '../support/emulator.js';

const APP = '/api/v2/app';

const getApp = async (env: EmulatorFixture) => {
  const res = await env.api.call({ method: 'GET', path: APP });
  expect(res.status).toBe(200);
  return res.body.app;
};
const patch = (env: EmulatorFixture, body: Record<string, unknown>, skipRequestValidation = false) =>
  env.api.call({ method: 'PATCH', path: APP, body }, { skipRequestValidation });
const patchOk = async (env: EmulatorFixture, body: Record<string, unknown>, skipRequestValidation = false) => {
  const res = await patch(env, body, skipRequestValidation);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(Object.keys(res.body)).toEqual(['duration']);
};

describe('app settings', () => {
  const env = useEmulator({ apps: [{ key: 'app-settings', secret: 'app-settings-secret', name: 'Acme Chat' }] });

  it('seeds a new app like Stream: configured name, defaults, push providers off, grants for the built-in roles', async () => {
    const app = await getApp(env);
    expect(app).toMatchObject({
      name: 'Acme Chat',
      suspended: false,
      enforce_unique_usernames: 'no',
      cdn_expiration_seconds: 1_209_600,
      webhook_events: [],
      event_hooks: [],
      permission_version: 'v2',
      push_notifications: { apn: { enabled: false }, firebase: { enabled: false }, huawei: { enabled: false }, xiaomi: { enabled: false } },
    });
    expect(Object.keys(app.grants).sort()).toEqual(['admin', 'anonymous', 'channel_member', 'channel_moderator', 'guest', 'user']);
    const permissionIds = new Set(env.emu.app().permissions.keys());
    for (const ids of Object.values(app.grants) as string[][]) for (const id of ids) expect(permissionIds).toContain(id);
  });

  it('changes only the fields sent and answers nothing but duration', async () => {
    const before = await getApp(env);
    await patchOk(env, { webhook_url: 'https://hooks.example.com/stream', multi_tenant_enabled: true });
    const after = await getApp(env);
    expect(after).toEqual({ ...before, webhook_url: 'https://hooks.example.com/stream', multi_tenant_enabled: true });
  });

  it('echoes the read-model fields it stores', async () => {
    const sent = {
      sqs_url: 'https://sqs.us-east-1.amazonaws.com/1/queue',
      sqs_key: 'AKIASQS',
      sns_topic_arn: 'arn:aws:sns:us-east-1:1:topic',
      sns_key: 'AKIASNS',
      webhook_events: ['message.new', 'user.updated'],
      enforce_unique_usernames: 'team',
      user_search_disallowed_roles: ['guest'],
      file_upload_config: { size_limit: 1_048_576, allowed_file_extensions: ['.pdf'] },
      reminders_interval: 600,
      cdn_expiration_seconds: 14_400,
    };
    await patchOk(env, sent);
    expect(await getApp(env)).toMatchObject(sent);
  });

  it('ignores read-only and unknown fields instead of rejecting them', async () => {
    const before = await getApp(env);
    await patchOk(env, { name: 'Renamed', organization: 'Other', suspended: true, policies: { x: [] }, id: 1, no_such_field: 'x' }, true);
    expect(await getApp(env)).toEqual(before);
  });

  it.each([
    ['enforce_unique_usernames outside no/app/team', { enforce_unique_usernames: 'always' }, 'enforce_unique_usernames'],
    ['cdn_expiration_seconds below 14400', { cdn_expiration_seconds: 14_399 }, 'cdn_expiration_seconds'],
    ['cdn_expiration_seconds above 1209600', { cdn_expiration_seconds: 1_209_601 }, 'cdn_expiration_seconds'],
    ['reminders_interval below 60', { reminders_interval: 59 }, 'reminders_interval'],
    ['reminders_interval above 86400', { reminders_interval: 86_401 }, 'reminders_interval'],
    ['more than 10 user_search_disallowed_roles', { user_search_disallowed_roles: Array.from({ length: 11 }, (_, i) => `r${i}`) }, 'user_search_disallowed_roles'],
    ['a mistyped field', { disable_auth_checks: 'yes' }, 'disable_auth_checks'],
    ['a revoke_tokens_issued_before that is not a date-time', { revoke_tokens_issued_before: 'yesterday' }, 'revoke_tokens_issued_before'],
    ['an unknown push_config version', { push_config: { version: 'v9' } }, 'push_config.version'],
  ])('refuses %s with 400/4 and changes nothing', async (_name, body, field) => {
    const before = await getApp(env);
    const res = await patch(env, { webhook_url: 'https://changed.example.com', ...body }, true);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(4);
    expect(res.body.message).toMatch(/^UpdateApp failed with error: ".+"$/);
    expect(Object.keys(res.body.exception_fields)).toContain(field);
    expect(await getApp(env)).toEqual(before);
  });

  describe('grants', () => {
    it('changes only the roles sent, [] clears a role, null resets all to the defaults', async () => {
      const defaults = (await getApp(env)).grants;
      await patchOk(env, { grants: { user: ['read-channel', 'create-message'], guest: [] } });
      let grants = (await getApp(env)).grants;
      expect(grants.user).toEqual(['read-channel', 'create-message']);
      expect(grants.guest).toEqual([]);
      expect(grants.admin).toEqual(defaults.admin);
      expect(grants.channel_member).toEqual(defaults.channel_member);

      await patchOk(env, { grants: null }, true);
      grants = (await getApp(env)).grants;
      expect(grants).toEqual(defaults);
    });

    it('accepts grants for a custom role', async () => {
      await env.api.call({ method: 'POST', path: '/api/v2/roles', body: { name: 'grants_custom' } });
      await patchOk(env, { grants: { grants_custom: ['read-channel'] } });
      expect((await getApp(env)).grants.grants_custom).toEqual(['read-channel']);
    });

    it.each([
      ['an unknown role', { no_such_role: ['read-channel'] }],
      ['an unknown permission', { user: ['read-channel', 'no-such-permission'] }],
    ])('refuses %s with 400/4', async (_name, grants) => {
      const before = (await getApp(env)).grants;
      const res = await patch(env, { grants });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(4);
      expect((await getApp(env)).grants).toEqual(before);
    });
  });

  describe('event_hooks', () => {
    it('replaces the whole array, filling in ids and timestamps and keeping created_at of a hook it keeps', async () => {
      await patchOk(env, {
        event_hooks: [
          { id: 'hook-a', hook_type: 'webhook', enabled: true, webhook_url: 'https://a.example.com', event_types: ['message.new'] },
          { hook_type: 'webhook', enabled: false, webhook_url: 'https://b.example.com' },
        ],
      });
      const first = (await getApp(env)).event_hooks;
      expect(first).toHaveLength(2);
      expect(first[0]).toMatchObject({ id: 'hook-a', webhook_url: 'https://a.example.com', event_types: ['message.new'] });
      expect(first[1].id).toEqual(expect.any(String));
      expect(first[1].created_at).toEqual(expect.any(String));

      await patchOk(env, { event_hooks: [{ id: 'hook-a', hook_type: 'webhook', enabled: false, webhook_url: 'https://a2.example.com' }] });
      const second = (await getApp(env)).event_hooks;
      expect(second).toHaveLength(1);
      expect(second[0]).toMatchObject({ id: 'hook-a', enabled: false, webhook_url: 'https://a2.example.com', created_at: first[0].created_at });
      expect(second[0].event_types).toBeUndefined();

      await patchOk(env, { event_hooks: [] });
      expect((await getApp(env)).event_hooks).toEqual([]);
    });
  });

  describe('write-only settings', () => {
    const secrets = {
      sqs_secret: 'SECRET-sqs-0001',
      sns_secret: 'SECRET-sns-0002',
      apn_config: { auth_type: 'token', auth_key: 'SECRET-apn-key-0003', key_id: 'KEY1', team_id: 'TEAM1', bundle_id: 'com.acme', Disabled: true },
      firebase_config: { credentials_json: '{"private_key":"SECRET-firebase-0004"}', server_key: 'SECRET-fcm-0005' },
      huawei_config: { id: 'hw-1', secret: 'SECRET-huawei-0006' },
      xiaomi_config: { package_name: 'com.acme', secret: 'SECRET-xiaomi-0007' },
      datadog_info: { enabled: true, site: 'datadoghq.eu', api_key: 'SECRET-datadog-0008' },
      event_hooks: [
        { id: 'sqs-hook', hook_type: 'sqs', enabled: true, sqs_queue_url: 'https://sqs.example.com/q', sqs_key: 'AKIA', sqs_secret: 'SECRET-hook-sqs-0009' },
        {
          id: 'sns-hook',
          hook_type: 'sns',
          enabled: true,
          sns_topic_arn: 'arn:aws:sns:x',
          sns_secret: 'SECRET-hook-sns-0010',
          failover_config: { type: 'gcs', gcs_bucket: 'failover', gcs_credentials: 'SECRET-gcs-0012' },
        },
      ],
      push_config: { version: 'v2', offline_only: true },
      async_moderation_config: { callback: { mode: 'CALLBACK_MODE_REST', server_url: 'https://mod.example.com' }, timeout_ms: 500 },
      image_moderation_block_labels: ['SECRET-label-0011'],
    };

    it('stores secrets and push credentials but never returns them, anywhere in the GetApp body', async () => {
      await patchOk(env, secrets);
      const res = await env.api.call({ method: 'GET', path: APP });
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/SECRET-/);
      expect(res.body.app.sqs_secret).toBe('');
      expect(res.body.app.sns_secret).toBe('');
      expect(res.body.app.datadog_info).toEqual({ enabled: true, site: 'datadoghq.eu' });
      expect(res.body.app.event_hooks[1].failover_config).toEqual({ type: 'gcs', gcs_bucket: 'failover' });

      const stored = JSON.stringify(env.emu.app('app-settings').settingsWriteOnly);
      for (let i = 1; i <= 12; i++) expect(stored).toContain(`-${String(i).padStart(4, '0')}`);
    });

    it('reads apn_config.Disabled back as push_notifications.apn.enabled, negated; a set config enables its provider', async () => {
      const xiaomi = (await getApp(env)).push_notifications.xiaomi;
      await patchOk(env, { apn_config: { Disabled: true }, firebase_config: { server_key: 'k' } });
      let push = (await getApp(env)).push_notifications;
      expect(push.apn.enabled).toBe(false);
      expect(push.firebase.enabled).toBe(true);

      await patchOk(env, { apn_config: { Disabled: false }, huawei_config: { id: 'x', Disabled: true } });
      push = (await getApp(env)).push_notifications;
      expect(push.apn.enabled).toBe(true);
      expect(push.huawei.enabled).toBe(false);
      // An update of one config leaves the others' state alone.
      expect(push.firebase.enabled).toBe(true);
      expect(push.xiaomi).toEqual(xiaomi);
    });

    it('takes the lowercase `disabled` the official SDK sends as well', async () => {
      await patchOk(env, { xiaomi_config: { package_name: 'com.acme', disabled: false } });
      expect((await getApp(env)).push_notifications.xiaomi.enabled).toBe(true);
      await patchOk(env, { xiaomi_config: { disabled: true } });
      expect((await getApp(env)).push_notifications.xiaomi.enabled).toBe(false);
    });
  });

  it('stores revoke_tokens_issued_before and lifts it on null', async () => {
    await patchOk(env, { revoke_tokens_issued_before: '2030-05-06T07:08:09Z' });
    expect((await getApp(env)).revoke_tokens_issued_before).toBe('2030-05-06T07:08:09.000Z');
    await patchOk(env, { revoke_tokens_issued_before: null }, true);
    expect((await getApp(env)).revoke_tokens_issued_before).toBeUndefined();
  });
});

describe('rate limits report', () => {
  const nowMs = Date.parse('2030-01-01T00:00:10Z');
  const env = useEmulator({ now: () => nowMs });
  const get = (query: Record<string, string | boolean> = {}) => env.api.call({ method: 'GET', path: '/api/v2/rate_limits', query });
  const platforms = ['android', 'ios', 'server_side', 'unity', 'web'];

  it('reports every platform and every endpoint when no flag is given', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).filter((k) => k !== 'duration').sort()).toEqual(platforms);
    const ops = env.emu.routes.map((r) => r.op).sort();
    for (const p of platforms) expect(Object.keys(res.body[p]).sort()).toEqual(ops);
  });

  it('reports only the platforms asked for and the endpoints listed', async () => {
    const res = await get({ ios: true, web: true, endpoints: 'GetApp, UpdateApp,not/an-operation' });
    expect(Object.keys(res.body).filter((k) => k !== 'duration').sort()).toEqual(['ios', 'web']);
    expect(Object.keys(res.body.ios).sort()).toEqual(['GetApp', 'UpdateApp']);
  });

  it('answers an endpoint it does not serve with the default limit for unlisted endpoints, nothing used', async () => {
    const res = await get({ server_side: true, endpoints: 'QueryChannels,GetOrCreateChannel,get_action_config' });
    const reset = Date.parse('2030-01-01T00:01:00Z') / 1000;
    expect(res.body.server_side).toEqual({
      QueryChannels: { limit: DEFAULT_RATE_LIMIT, remaining: DEFAULT_RATE_LIMIT, reset },
      GetOrCreateChannel: { limit: DEFAULT_RATE_LIMIT, remaining: DEFAULT_RATE_LIMIT, reset },
      get_action_config: { limit: DEFAULT_RATE_LIMIT, remaining: DEFAULT_RATE_LIMIT, reset },
    });
    // Without `endpoints`, only the served operations, as before.
    expect(Object.keys((await get({ server_side: true })).body.server_side)).not.toContain('QueryChannels');
  });

  it('reports the published limits with what the app used this minute and the window reset', async () => {
    await env.api.call({ method: 'GET', path: APP });
    await env.api.call({ method: 'GET', path: APP });
    const res = await get({ server_side: true, android: true, endpoints: 'GetApp,UpdateApp' });
    const reset = Date.parse('2030-01-01T00:01:00Z') / 1000;
    expect(res.body.server_side.UpdateApp).toEqual({ limit: 60, remaining: 60, reset });
    expect(res.body.server_side.GetApp.limit).toBe(10_000);
    expect(res.body.server_side.GetApp.remaining).toBeLessThanOrEqual(10_000 - 2);
    // Client platforms are separate buckets the server-side calls do not use.
    expect(res.body.android.GetApp).toEqual({ limit: 10_000, remaining: 10_000, reset });
  });

  it('refuses a flag that is not a boolean with 400/4', async () => {
    const res = await get({ unity: 'sometimes' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(4);
  });
});
