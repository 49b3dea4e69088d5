import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';

/** A stand-in for a .p8 key, in its PEM shape; the header is built so no key block is ever written into the repository. */
const PEM_LABEL = ['PRIVATE', 'KEY'].join(' ');
const APN_KEY = `-----BEGIN ${PEM_LABEL}-----\napn-secret-material\n-----END ${PEM_LABEL}-----`;
const FIREBASE_CREDENTIALS = JSON.stringify({ type: 'service_account', private_key: 'firebase-secret-material' });
const HUAWEI_SECRET = 'huawei-secret-material';

const apn = (name: string, extra: Record<string, unknown> = {}) => ({ name, type: 'apn', apn_auth_key: APN_KEY, apn_key_id: 'KEY123', apn_team_id: 'TEAM123', apn_topic: 'com.example.app', ...extra });
const firebase = (name: string, extra: Record<string, unknown> = {}) => ({ name, type: 'firebase', firebase_credentials: FIREBASE_CREDENTIALS, ...extra });

describe('push providers', () => {
  const env = useEmulator();
  const bodies: string[] = [];
  const call = async (...args: Parameters<typeof env.api.call>) => {
    const r = await env.api.call(...args);
    bodies.push(JSON.stringify(r.body));
    return r;
  };
  const upsert = (provider: Record<string, unknown>, opts?: { skipRequestValidation?: boolean }) =>
    call({ method: 'POST', path: '/api/v2/push_providers', body: { push_provider: provider } }, opts);
  const listed = async () => (await call({ method: 'GET', path: '/api/v2/push_providers' })).body.push_providers as Record<string, unknown>[];

  it('creates a provider and answers its read model, without credentials', async () => {
    const r = await upsert(apn('ios', { description: 'iOS app', apn_development: true }));
    expect(r.status).toBe(201);
    expect(r.body.push_provider).toMatchObject({ name: 'ios', type: 'apn', description: 'iOS app', apn_auth_type: 'token', apn_key_id: 'KEY123', apn_team_id: 'TEAM123', apn_topic: 'com.example.app', apn_development: true });
    expect(r.body.push_provider.apn_auth_key).toBeUndefined();
    expect((await listed()).find((p) => p.name === 'ios')).toEqual(r.body.push_provider);
  });

  it('updates only the fields sent and keeps the stored credentials', async () => {
    const created = (await listed()).find((p) => p.name === 'ios')!;
    const r = await upsert({ name: 'ios', type: 'apn', description: 'renamed' });
    expect(r.status).toBe(201);
    expect(r.body.push_provider).toMatchObject({ description: 'renamed', apn_topic: 'com.example.app', created_at: created.created_at });
  });

  it('requires credentials fitting the type when creating', async () => {
    const r = await upsert({ name: 'android', type: 'firebase' });
    expect([r.status, r.body.code]).toEqual([400, 4]);
    expect(r.body.message).toContain('firebase_credentials');
    expect((await upsert(firebase('android', { firebase_credentials: 'not json' }))).status).toBe(400);
    expect((await upsert(firebase('android'))).status).toBe(201);
    expect((await upsert({ name: 'huawei', type: 'huawei', huawei_app_id: 'app', huawei_app_secret: HUAWEI_SECRET })).status).toBe(201);
  });

  it('validates name length (1-36) and type', async () => {
    expect((await upsert(firebase('n'.repeat(36)))).status).toBe(201);
    const long = await upsert(firebase('n'.repeat(37)), { skipRequestValidation: true });
    expect([long.status, long.body.exception_fields]).toEqual([400, { 'push_provider.name': 'push_provider.name must be a maximum of 36 characters in length' }]);
    expect((await upsert(firebase(''), { skipRequestValidation: true })).status).toBe(400);
    expect((await upsert({ ...firebase('x'), type: 'webpush' })).status).toBe(400);
    expect((await call({ method: 'POST', path: '/api/v2/push_providers', body: {} })).status).toBe(400);
  });

  it('deletes a provider with its templates, and answers 404/16 afterwards', async () => {
    await upsert(firebase('temp'));
    await call({ method: 'POST', path: '/api/v2/push_templates', body: { push_provider_type: 'firebase', push_provider_name: 'temp', event_type: 'message.new', template: '{"title":"hi"}' } });
    expect((await call({ method: 'DELETE', path: '/api/v2/push_providers/firebase/temp' })).status).toBe(200);
    const again = await call({ method: 'DELETE', path: '/api/v2/push_providers/firebase/temp' });
    expect([again.status, again.body.code]).toEqual([404, 16]);
    await upsert(firebase('temp'));
    const templates = await call({ method: 'GET', path: '/api/v2/push_templates', query: { push_provider_type: 'firebase', push_provider_name: 'temp' } });
    expect(templates.body.templates).toEqual([]);
    expect((await call({ method: 'DELETE', path: '/api/v2/push_providers/webpush/temp' })).status).toBe(400);
  });

  it('never echoes a credential in any response', () => {
    const all = bodies.join('\n');
    for (const secret of ['apn-secret-material', 'firebase-secret-material', HUAWEI_SECRET]) expect(all).not.toContain(secret);
  });
});

describe('push provider quota', () => {
  const env = useEmulator();

  it('allows 25 providers and refuses the 26th, while updates of existing ones still work', async () => {
    for (let i = 1; i <= 25; i++) {
      const r = await env.api.call({ method: 'POST', path: '/api/v2/push_providers', body: { push_provider: firebase(`p${i}`) } });
      expect(r.status).toBe(201);
    }
    const over = await env.api.call({ method: 'POST', path: '/api/v2/push_providers', body: { push_provider: firebase('p26') } });
    expect([over.status, over.body.code]).toEqual([400, 4]);
    expect((await env.api.call({ method: 'POST', path: '/api/v2/push_providers', body: { push_provider: { name: 'p1', type: 'firebase', description: 'still updatable' } } })).status).toBe(201);
  });
});

describe('push templates', () => {
  const env = useEmulator();
  const upsertTemplate = (body: Record<string, unknown>, opts?: { skipRequestValidation?: boolean }) => env.api.call({ method: 'POST', path: '/api/v2/push_templates', body }, opts);
  const templates = async (type: string, name?: string) =>
    (await env.api.call({ method: 'GET', path: '/api/v2/push_templates', query: { push_provider_type: type, push_provider_name: name } })).body.templates as Record<string, unknown>[];

  it('stores templates per provider and event type, reading back only the provider internal id', async () => {
    await env.api.call({ method: 'POST', path: '/api/v2/push_providers', body: { push_provider: firebase('android') } });
    const a = await upsertTemplate({ push_provider_type: 'firebase', push_provider_name: 'android', event_type: 'message.new', template: '{"title":"{{ sender.name }}"}' });
    expect(a.status).toBe(201);
    expect(a.body.template).toMatchObject({ event_type: 'message.new', enable_push: true, template: '{"title":"{{ sender.name }}"}' });
    expect(a.body.template.push_provider_type).toBeUndefined();
    const b = await upsertTemplate({ push_provider_type: 'firebase', push_provider_name: 'android', event_type: 'reaction.new', enable_push: false });
    expect(b.body.template.push_provider_internal_id).toBe(a.body.template.push_provider_internal_id);
    expect((await templates('firebase', 'android')).map((t) => t.event_type).sort()).toEqual(['message.new', 'reaction.new']);
    expect(await templates('firebase')).toEqual([]);
    expect(await templates('apn')).toEqual([]);
  });

  it('keeps templates of the app-level provider apart from named providers', async () => {
    const r = await upsertTemplate({ push_provider_type: 'firebase', event_type: 'message.new', template: '{"title":"app level"}' });
    expect(r.status).toBe(201);
    expect((await templates('firebase')).map((t) => t.template)).toEqual(['{"title":"app level"}']);
    expect(r.body.template.push_provider_internal_id).not.toBe((await templates('firebase', 'android'))[0]!.push_provider_internal_id);
  });

  it('updates only the fields sent', async () => {
    const r = await upsertTemplate({ push_provider_type: 'firebase', push_provider_name: 'android', event_type: 'message.new', enable_push: false });
    expect(r.body.template).toMatchObject({ enable_push: false, template: '{"title":"{{ sender.name }}"}' });
  });

  it('answers 404/16 for a template of a provider that does not exist', async () => {
    const r = await upsertTemplate({ push_provider_type: 'apn', push_provider_name: 'nope', event_type: 'message.new' });
    expect([r.status, r.body.code]).toEqual([404, 16]);
    const get = await env.api.call({ method: 'GET', path: '/api/v2/push_templates', query: { push_provider_type: 'apn', push_provider_name: 'nope' } });
    expect(get.status).toBe(404);
  });

  it('rejects unknown event types, provider types and templates that do not render to JSON', async () => {
    expect((await upsertTemplate({ push_provider_type: 'firebase', event_type: 'channel.created' }, { skipRequestValidation: true })).status).toBe(400);
    expect((await upsertTemplate({ push_provider_type: 'webpush', event_type: 'message.new' }, { skipRequestValidation: true })).status).toBe(400);
    expect((await upsertTemplate({ push_provider_type: 'firebase', event_type: 'message.new', template: '{"title": {{ sender.name }}' })).status).toBe(400);
    expect((await upsertTemplate({ push_provider_type: 'firebase', event_type: 'message.new', template: '{"t":"{{ shout sender.name }}"}' })).status).toBe(400);
    const missing = await env.api.call({ method: 'GET', path: '/api/v2/push_templates' });
    expect(missing.body.exception_fields).toEqual({ push_provider_type: 'push_provider_type is a required field' });
  });
});

describe('push checks', () => {
  const env = useEmulator();
  const checkPush = (body: Record<string, unknown>) => env.api.call({ method: 'POST', path: '/api/v2/check_push', body });
  const seedDevice = (id: string, provider: string, name?: string) =>
    env.emu.app().devices.set(`alice/${id}`, { id, user_id: 'alice', push_provider: provider, ...(name ? { push_provider_name: name } : {}), created_at: new Date().toISOString() });

  it('renders the default APN template for a user without requiring devices', async () => {
    env.emu.app().users.set('alice', { id: 'alice', name: 'Alice "A" Smith', role: 'user' });
    const r = await checkPush({ user_id: 'alice', skip_devices: true, push_provider_type: 'apn' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ event_type: 'message.new', skip_devices: true });
    const rendered = JSON.parse(r.body.rendered_apn_template);
    expect(rendered.aps.alert.body).toBe('This is a test push notification');
    expect(r.body.rendered_message.body).toBe('This is a test push notification');
    // The app-level APN configuration is not enabled in a new app.
    expect(r.body.general_errors).toEqual([expect.stringContaining('not enabled')]);
  });

  it('answers 404/16 for an unknown user and 400/4 without one', async () => {
    const unknown = await checkPush({ user_id: 'nobody' });
    expect([unknown.status, unknown.body.code]).toEqual([404, 16]);
    expect((await checkPush({})).status).toBe(400);
  });

  it('refuses a user without devices with 400/4, and reports per-device errors for providers that fail', async () => {
    const none = await checkPush({ user_id: 'alice' });
    expect([none.status, none.body.code, none.body.message]).toEqual([400, 4, 'CheckPush failed with error: "User has no enabled devices associated"']);
    await env.api.call({ method: 'POST', path: '/api/v2/push_providers', body: { push_provider: firebase('android', { firebase_notification_template: '{"title":"{{ receiver.name }}"}' }) } });
    seedDevice('phone', 'firebase', 'android');
    seedDevice('tablet', 'firebase', 'removed');
    const r = await checkPush({ user_id: 'alice' });
    expect(r.body.device_errors).toEqual({ tablet: { provider: 'firebase', provider_name: 'removed', error_message: 'push provider removed of type firebase does not exist' } });
    // `{{ }}` escapes like handlebars, so the rendered payload stays valid JSON.
    expect(JSON.parse(r.body.rendered_firebase_template)).toEqual({ title: 'Alice &quot;A&quot; Smith' });
    expect(r.body.rendered_message).toMatchObject({ receiver_id: 'alice', type: 'message.new' });
  });

  it('uses a stored template over the provider default, and a request template over both', async () => {
    await env.api.call({ method: 'POST', path: '/api/v2/push_templates', body: { push_provider_type: 'firebase', push_provider_name: 'android', event_type: 'message.new', template: '{"title":"stored {{ sender.name }}"}' } });
    const stored = await checkPush({ user_id: 'alice', push_provider_type: 'firebase', push_provider_name: 'android' });
    expect(JSON.parse(stored.body.rendered_firebase_template)).toEqual({ title: 'stored Stream Check Push' });
    const inline = await checkPush({ user_id: 'alice', push_provider_type: 'firebase', push_provider_name: 'android', firebase_template: '{"title":"{{#if receiver.name}}{{ truncate receiver.name 5 }}{{else}}none{{/if}}"}' });
    expect(JSON.parse(inline.body.rendered_firebase_template)).toEqual({ title: 'Alice...' });
  });

  it('lets the outcome per provider be configured', async () => {
    env.emu.app().checkOutcomes.set('push/firebase/android', { ok: false, message: 'messaging/registration-token-not-registered' });
    const r = await checkPush({ user_id: 'alice', push_provider_type: 'firebase', push_provider_name: 'android' });
    expect(r.body.device_errors.phone).toEqual({ provider: 'firebase', provider_name: 'android', error_message: 'messaging/registration-token-not-registered' });
    env.emu.app().checkOutcomes.delete('push/firebase/android');
  });
});

describe('SNS and SQS checks', () => {
  const env = useEmulator();
  const check = (kind: 'sns' | 'sqs', body: Record<string, unknown>) => env.api.call({ method: 'POST', path: `/api/v2/check_${kind}`, body });
  const SQS_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/events';

  it('passes well-formed request values and explains what is wrong otherwise', async () => {
    expect((await check('sqs', { sqs_url: SQS_URL, sqs_key: 'AKIAIOSFODNN7EXAMPLE', sqs_secret: 'request-secret' })).body).toMatchObject({ status: 'ok' });
    const badUrl = await check('sqs', { sqs_url: 'https://example.com/queue' });
    expect(badUrl.status).toBe(201);
    expect(badUrl.body).toMatchObject({ status: 'error', error: expect.stringContaining('invalid SQS queue URL') });
    expect((await check('sqs', {})).body).toMatchObject({ status: 'error', error: 'sqs_url is not configured' });
    expect((await check('sns', { sns_topic_arn: 'arn:aws:sns:us-east-1:123456789012:events', sns_key: 'AKIAIOSFODNN7EXAMPLE' })).body.error).toBe('sns_key and sns_secret must be given together');
    expect((await check('sns', { sns_topic_arn: 'not-an-arn' })).body.status).toBe('error');
  });

  it('falls back to the app settings, secrets included, and never echoes the secret', async () => {
    const app = env.emu.app();
    app.settings.sqs_url = SQS_URL;
    app.settings.sqs_key = 'AKIAIOSFODNN7EXAMPLE';
    app.settingsWriteOnly.sqs_secret = 'app-sqs-secret';
    const ok = await check('sqs', {});
    expect(ok.body).toMatchObject({ status: 'ok' });
    app.settings.sqs_key = 'not-a-key-id';
    const bad = await check('sqs', {});
    expect(bad.body.status).toBe('error');
    expect(JSON.stringify([ok.body, bad.body])).not.toContain('app-sqs-secret');
  });

  it('lets the outcome be configured', async () => {
    env.emu.app().checkOutcomes.set('sns', { ok: false, message: 'AuthorizationError: not authorized to perform SNS:Publish' });
    const r = await check('sns', { sns_topic_arn: 'arn:aws:sns:us-east-1:123456789012:events' });
    expect(r.body).toMatchObject({ status: 'error', error: 'AuthorizationError: not authorized to perform SNS:Publish' });
    env.emu.app().checkOutcomes.set('sqs', { ok: true });
    expect((await check('sqs', { sqs_url: 'garbage' })).body.status).toBe('ok');
  });
});
