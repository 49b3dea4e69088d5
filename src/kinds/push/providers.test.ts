import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../../test/support/spec.js';
import type { DesiredObject, FieldChange, LiveObject, Rec } from '../../core/model.js';
import { providerLive, pushProviderKind, pushProviderSchema, pushTemplateKind, templateLive } from './providers.js';
import type { Api, ApiRequest } from '../../core/api.js';

const FCM = JSON.stringify({ type: 'service_account', client_email: 'x@y.iam', private_key: 'k' });
const desired = (kind: string, fields: Rec): DesiredObject => ({ kind, address: (kind === 'push_provider' ? pushProviderKind : pushTemplateKind).address(fields), fields, sensitive: [] });
const change = (path: string, after: unknown): FieldChange => ({ path, before: null, after, sensitive: false });

describe('push_providers schema', () => {
  const accepted: [string, Rec][] = [
    ['a firebase provider with templates', { type: 'firebase', name: 'acme-fcm', firebase_credentials: FCM, templates: [{ event_type: 'message.new', enable_push: true, template: '{}' }] }],
    ['an apn provider with a token key', { type: 'apn', name: 'ios', apn_auth_key: 'k', apn_key_id: 'K', apn_team_id: 'T', apn_topic: 'com.acme', apn_auth_type: 'token', apn_development: true }],
    ['a disabled provider', { type: 'huawei', name: 'hms', disabled_at: '2025-01-31T12:00:00Z', disabled_reason: 'migrating' }],
    ['a 36-character name', { type: 'firebase', name: 'n'.repeat(36) }],
  ];
  it.each(accepted)('accepts %s', (_, value) => {
    expect(pushProviderSchema.safeParse(value).success).toBe(true);
  });

  const rejected: [string, Rec, string][] = [
    ['an unknown type', { type: 'webpush', name: 'x' }, 'Invalid option'],
    ['a 37-character name', { type: 'firebase', name: 'n'.repeat(37) }, 'a push provider name must be at most 36 characters'],
    ['a name with a slash', { type: 'firebase', name: 'a/b' }, 'must not contain "/"'],
    ['an unknown key', { type: 'firebase', name: 'x', firebase_key: 'k' }, 'Unrecognized key'],
    ['another type’s field', { type: 'apn', name: 'x', firebase_host: 'h' }, 'firebase_host applies to firebase providers, not to a apn provider'],
    ['firebase credentials that are not JSON', { type: 'firebase', name: 'x', firebase_credentials: 'sentinel-not-json' }, 'firebase_credentials must be a JSON service account key'],
    ['a long description', { type: 'firebase', name: 'x', description: 'd'.repeat(129) }, 'description must be at most 128 characters'],
    ['a disabled_at that is not a time', { type: 'firebase', name: 'x', disabled_at: 'yesterday' }, 'disabled_at must be an RFC 3339 time'],
    ['a null disabled_at (the API cannot clear it)', { type: 'firebase', name: 'x', disabled_at: null }, 'disabled_at must be an RFC 3339 time'],
    ['an unknown template event', { type: 'firebase', name: 'x', templates: [{ event_type: 'call.ring' }] }, 'Invalid option'],
    ['an unknown template key', { type: 'firebase', name: 'x', templates: [{ event_type: 'message.new', title: 'x' }] }, 'Unrecognized key'],
    ['an apn auth type outside the enum', { type: 'apn', name: 'x', apn_auth_type: 'jwt' }, 'Invalid option'],
  ];
  it.each(rejected)('rejects %s', (_, value, message) => {
    const r = pushProviderSchema.safeParse(value);
    expect(r.success).toBe(false);
    const text = r.error!.issues.map((i) => i.message).join('\n');
    expect(text).toContain(message);
    expect(text).not.toContain('sentinel-not-json');
  });
});

describe('push provider entries', () => {
  it('yields the provider without its templates, and each template with its provider', () => {
    const entries = pushProviderKind.entries!([
      { type: 'firebase', name: 'acme-fcm', disabled_at: '2025-01-31T13:00:00+01:00', templates: [{ event_type: 'message.new', template: '{}' }, { event_type: 'reaction.new', enable_push: false }] },
    ]);
    expect(entries).toEqual([
      { kind: 'push_provider', fields: { type: 'firebase', name: 'acme-fcm', disabled_at: '2025-01-31T12:00:00.000Z' }, path: ['push_providers', 0] },
      { kind: 'push_template', fields: { push_provider_type: 'firebase', push_provider_name: 'acme-fcm', event_type: 'message.new', template: '{}' }, path: ['push_providers', 0, 'templates', 0] },
      { kind: 'push_template', fields: { push_provider_type: 'firebase', push_provider_name: 'acme-fcm', event_type: 'reaction.new', enable_push: false }, path: ['push_providers', 0, 'templates', 1] },
    ]);
    expect(entries.map((e) => (e.kind === 'push_provider' ? pushProviderKind : pushTemplateKind).address(e.fields))).toEqual([
      'push_provider/firebase/acme-fcm',
      'push_template/firebase/acme-fcm/message.new',
      'push_template/firebase/acme-fcm/reaction.new',
    ]);
    expect(pushTemplateKind.refs!(entries[1]!.fields)).toEqual(['push_provider/firebase/acme-fcm']);
  });
});

describe('normalization of live objects', () => {
  it('keeps the provider fields that read back, drops timestamps, unset values and response-only fields', () => {
    const live = providerLive({
      name: 'ios',
      type: 'apn',
      description: 'iOS',
      apn_auth_type: 'token',
      apn_topic: 'com.acme',
      apn_sandbox_certificate: false,
      disabled_at: '2025-01-31T12:00:00.123456Z',
      disabled_reason: null,
      created_at: '2025-01-01T00:00:00Z',
      updated_at: '2025-01-01T00:00:00Z',
    });
    expect(live).toEqual({
      kind: 'push_provider',
      address: 'push_provider/apn/ios',
      fields: { type: 'apn', name: 'ios', description: 'iOS', apn_auth_type: 'token', apn_topic: 'com.acme', disabled_at: '2025-01-31T12:00:00.123Z' },
    });
  });

  it('gives a template its provider and event type', () => {
    const live = templateLive('firebase', 'acme-fcm', { push_provider_internal_id: 'i1', event_type: 'message.new', enable_push: true, template: '{}', created_at: 'x', updated_at: 'y' });
    expect(live).toEqual({
      kind: 'push_template',
      address: 'push_template/firebase/acme-fcm/message.new',
      fields: { push_provider_type: 'firebase', push_provider_name: 'acme-fcm', event_type: 'message.new', enable_push: true, template: '{}' },
    });
  });
});

describe('push provider requests', () => {
  const provider = desired('push_provider', { type: 'firebase', name: 'acme-fcm', description: 'Android', firebase_credentials: FCM, firebase_host: 'https://fcm.example' });
  const live: LiveObject = { kind: 'push_provider', address: provider.address, fields: { type: 'firebase', name: 'acme-fcm', description: 'old' } };
  const cases: [string, ApiRequest[], ApiRequest[]][] = [
    [
      'create sends every declared field',
      pushProviderKind.requests({ action: 'create', address: provider.address, desired: provider, fields: [] }),
      [{ op: 'UpsertPushProvider', method: 'POST', path: '/api/v2/push_providers', body: { push_provider: provider.fields }, idempotent: true }],
    ],
    [
      'update sends type, name and only what differs (credentials kept when unchanged)',
      pushProviderKind.requests({ action: 'update', address: provider.address, desired: provider, live, fields: [change('/description', 'Android')] }),
      [{ op: 'UpsertPushProvider', method: 'POST', path: '/api/v2/push_providers', body: { push_provider: { type: 'firebase', name: 'acme-fcm', description: 'Android' } }, idempotent: true }],
    ],
    [
      'a changed credential is sent',
      pushProviderKind.requests({ action: 'update', address: provider.address, desired: provider, live, fields: [{ path: '/firebase_credentials', before: '(sensitive value)', after: '(sensitive value)', sensitive: true }] }),
      [{ op: 'UpsertPushProvider', method: 'POST', path: '/api/v2/push_providers', body: { push_provider: { type: 'firebase', name: 'acme-fcm', firebase_credentials: FCM } }, idempotent: true }],
    ],
    [
      'delete names type and name',
      pushProviderKind.requests({ action: 'delete', address: provider.address, live, fields: [] }),
      [{ op: 'DeletePushProvider', method: 'DELETE', path: '/api/v2/push_providers/{type}/{name}', params: { type: 'firebase', name: 'acme-fcm' }, idempotent: true }],
    ],
  ];
  it.each(cases)('%s', (_, got, want) => expect(got).toEqual(want));

  const template = desired('push_template', { push_provider_type: 'firebase', push_provider_name: 'acme-fcm', event_type: 'message.new', enable_push: true, template: '{"title":"{{ sender.name }}"}' });
  const templateCases: [string, ApiRequest[], ApiRequest[]][] = [
    [
      'a template create sends its fields',
      pushTemplateKind.requests({ action: 'create', address: template.address, desired: template, fields: [] }),
      [{ op: 'UpsertPushTemplate', method: 'POST', path: '/api/v2/push_templates', body: template.fields, idempotent: true }],
    ],
    [
      'a template update sends only what differs',
      pushTemplateKind.requests({ action: 'update', address: template.address, desired: template, fields: [change('/enable_push', true)] }),
      [{ op: 'UpsertPushTemplate', method: 'POST', path: '/api/v2/push_templates', body: { push_provider_type: 'firebase', push_provider_name: 'acme-fcm', event_type: 'message.new', enable_push: true }, idempotent: true }],
    ],
    ['templates are never deleted', pushTemplateKind.requests({ action: 'delete', address: template.address, fields: [] }), []],
  ];
  it.each(templateCases)('%s', (_, got, want) => expect(got).toEqual(want));

  it('sends bodies the spec accepts', () => {
    const spec = loadSpec();
    if (!spec) return;
    for (const [, reqs] of [...cases, ...templateCases]) for (const r of reqs) if (r.body) expect(spec.validateRequest(r.op, r.body)).toEqual([]);
  });
});

describe('push template reads', () => {
  const fakeApi = (providers: Rec[], templates: Record<string, Rec[]>) => {
    const sent: ApiRequest[] = [];
    const api: Api = {
      async send<T>(req: ApiRequest) {
        sent.push(req);
        if (req.op === 'ListPushProviders') return { push_providers: providers } as T;
        const key = `${String(req.query?.push_provider_type)}/${String(req.query?.push_provider_name)}`;
        if (!templates[key]) throw Object.assign(new Error('not found'), { status: 404 });
        return { templates: templates[key] } as T;
      },
    };
    return { api, sent };
  };
  const providers = [
    { type: 'firebase', name: 'a' },
    { type: 'apn', name: 'b' },
  ];
  const templates = { 'firebase/a': [{ event_type: 'message.new', enable_push: true }], 'apn/b': [{ event_type: 'reaction.new', enable_push: false }] };
  const declaredTemplate = desired('push_template', { push_provider_type: 'firebase', push_provider_name: 'a', event_type: 'message.new' });

  it('reads only the providers the declared templates name, and not at all a provider not created yet', async () => {
    const { api, sent } = fakeApi(providers, templates);
    const missing = desired('push_template', { push_provider_type: 'huawei', push_provider_name: 'new', event_type: 'message.new' });
    const live = await pushTemplateKind.fetch(api, [declaredTemplate, missing], { complete: false, all: [] });
    expect(live.map((l) => l.address)).toEqual(['push_template/firebase/a/message.new']);
    expect(sent.map((r) => [r.op, r.query?.push_provider_name])).toEqual([
      ['ListPushProviders', undefined],
      ['GetPushTemplates', 'a'],
    ]);
  });

  it('shares one provider list with the providers read at the same time', async () => {
    const { api, sent } = fakeApi(providers, templates);
    const declaredProvider = desired('push_provider', { type: 'firebase', name: 'a' });
    await Promise.all([pushProviderKind.fetch(api, [declaredProvider], { complete: false }), pushTemplateKind.fetch(api, [declaredTemplate], { complete: false, all: [] })]);
    expect(sent.filter((r) => r.op === 'ListPushProviders')).toHaveLength(1);
  });

  it('when pruned, reads every declared provider (not the undeclared ones, which go with their templates)', async () => {
    const { api, sent } = fakeApi(providers, templates);
    const declaredProvider = desired('push_provider', { type: 'apn', name: 'b' });
    const live = await pushTemplateKind.fetch(api, [], { complete: true, all: [declaredProvider] });
    expect(live.map((l) => l.address)).toEqual(['push_template/apn/b/reaction.new']);
    expect(sent.map((r) => r.op)).toEqual(['ListPushProviders', 'GetPushTemplates']);
  });

  it('for export, reads every live provider', async () => {
    const { api } = fakeApi(providers, templates);
    const live = await pushTemplateKind.fetch(api, [], { complete: true, forExport: true, all: [] });
    expect(live.map((l) => l.address).sort()).toEqual(['push_template/apn/b/reaction.new', 'push_template/firebase/a/message.new']);
  });
});

describe('push provider export', () => {
  it('writes a placeholder for the credential the type needs, and nests the templates', () => {
    const live = providerLive({ type: 'apn', name: 'ios-prod', apn_auth_type: 'certificate', apn_topic: 'com.acme', description: '' });
    const t = templateLive('apn', 'ios-prod', { event_type: 'message.new', enable_push: true, template: '{}' });
    const other = templateLive('apn', 'other', { event_type: 'message.new', enable_push: true });
    expect(pushProviderKind.toFile!(live, [live, t, other])).toEqual({
      type: 'apn',
      name: 'ios-prod',
      apn_auth_type: 'certificate',
      apn_topic: 'com.acme',
      apn_p12_cert: '${env:STREAM_PUSH_PROVIDER_IOS_PROD_APN_P12_CERT}',
      templates: [{ event_type: 'message.new', enable_push: true, template: '{}' }],
    });
    const fcm = providerLive({ type: 'firebase', name: 'acme-fcm' });
    expect(pushProviderKind.toFile!(fcm, [fcm])).toEqual({ type: 'firebase', name: 'acme-fcm', firebase_credentials: '${env:STREAM_PUSH_PROVIDER_ACME_FCM_FIREBASE_CREDENTIALS}' });
  });
});
