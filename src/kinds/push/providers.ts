import { z } from 'zod';
import type { LiveObject, Rec } from '../../core/model.js';
import { addressPart, changedTopLevel, defineKind, envPlaceholder, getOrUndefined, liveObject, pick } from '../define.js';
import type { DesiredEntry } from '../types.js';
import { pushChecks } from './checks.js';
import type { Api, ApiRequest } from '../../core/api.js';

/**
 * Push providers (v2: several per type, identified by type + name) and their templates (one per provider and
 * event type), declared nested in the provider:
 *
 *   push_providers:
 *     - type: firebase
 *       name: acme-fcm
 *       firebase_credentials: ${file:/run/secrets/fcm.json}
 *       templates:
 *         - event_type: message.new
 *           template: '{"title": "{{ sender.name }}"}'
 *
 * Credentials never read back (secret); `apn_notification_template` does not read back either (write-only).
 * UpsertPushProvider is an upsert that changes only the fields it is sent (credentials included), so an update
 * sends the type, the name and the fields that differ: credentials the file does not declare, or whose
 * fingerprint has not changed, are never sent and stay as they are.
 */
export const PROVIDER_TYPES = ['apn', 'firebase', 'huawei', 'xiaomi'] as const;
export const TEMPLATE_EVENT_TYPES = [
  'message.new',
  'message.updated',
  'reaction.new',
  'notification.reminder_due',
  'feeds.activity.added',
  'feeds.comment.added',
  'feeds.activity.reaction.added',
  'feeds.comment.reaction.added',
  'feeds.follow.created',
  'feeds.notification_feed.updated',
] as const;

/** Credentials: never read back, never printed. */
const SECRET_FIELDS = ['apn_auth_key', 'apn_p12_cert', 'firebase_credentials', 'firebase_server_key', 'huawei_app_secret', 'xiaomi_app_secret'] as const;
/** Not secret, but never read back: compared by fingerprint. */
const WRITE_ONLY_FIELDS = ['apn_notification_template'] as const;

const optString = z.string().optional();
const templateSchema = z
  .object({
    event_type: z.enum(TEMPLATE_EVENT_TYPES).describe('Identity: the event the template renders a push for (`push_template/<type>/<name>/<event_type>`).'),
    enable_push: z.boolean().optional().describe('Whether this event sends a push notification at all.'),
    template: z.string().optional().describe('The push payload template (JSON with Handlebars-style placeholders such as {{ sender.name }}).'),
  })
  .strict();

const providerFields = {
  type: z.enum(PROVIDER_TYPES).describe('Identity: the push service: apn (Apple), firebase (Google FCM), huawei or xiaomi.'),
  name: addressPart('a push provider name', 36).describe('Identity: the provider\'s name, unique per type (`push_provider/<type>/<name>`), as devices name it.'),
  description: z.string().max(128, 'description must be at most 128 characters').optional().describe('What the provider is for (at most 128 characters).'),
  /**
   * An RFC 3339 time disables the provider. The spec has no way to clear it (no `null`), so enabling a provider
   * again is not expressible: removing the field stops managing it.
   */
  disabled_at: z.iso.datetime({ offset: true, error: 'disabled_at must be an RFC 3339 time such as 2025-01-31T12:00:00Z' }).optional().describe('An RFC 3339 time disables the provider; it cannot be enabled again from the file (removing the field stops managing it).'),
  disabled_reason: z.string().max(255, 'disabled_reason must be at most 255 characters').optional().describe('Why the provider is disabled (at most 255 characters).'),
  apn_auth_key: optString.describe('Secret: the APNs .p8 token signing key (apn_auth_type token); never read back, written only when its fingerprint changes.'),
  apn_auth_type: z.enum(['token', 'certificate']).optional().describe('How Stream authenticates to APNs: token (a .p8 key) or certificate (a .p12 certificate).'),
  apn_development: z.boolean().optional().describe('Whether pushes go to the APNs sandbox (development builds) rather than production.'),
  apn_host: optString.describe('The APNs host to send to, overriding the default.'),
  apn_key_id: optString.describe('The key id of the APNs .p8 key (apn_auth_type token).'),
  apn_notification_template: optString.describe('The APNs payload template; write-only (not read back), compared by fingerprint.'),
  apn_p12_cert: optString.describe('Secret: the APNs .p12 certificate (apn_auth_type certificate); never read back, written only when its fingerprint changes.'),
  apn_team_id: optString.describe('The Apple developer team id (apn_auth_type token).'),
  apn_topic: optString.describe('The APNs topic: the app\'s bundle id.'),
  firebase_apn_template: optString.describe('The template of the apns block of Firebase messages (iOS devices through FCM).'),
  firebase_credentials: optString.describe('Secret: the Firebase service account key (the JSON file the Firebase console downloads); never read back, written only when its fingerprint changes.'),
  firebase_data_template: optString.describe('The template of the data payload of Firebase messages.'),
  firebase_host: optString.describe('The FCM host to send to, overriding the default.'),
  firebase_notification_template: optString.describe('The template of the notification payload of Firebase messages.'),
  firebase_server_key: optString.describe('Secret: the legacy Firebase server key; never read back, written only when its fingerprint changes.'),
  huawei_app_id: optString.describe('The Huawei Push Kit app id.'),
  huawei_app_secret: optString.describe('Secret: the Huawei Push Kit app secret; never read back, written only when its fingerprint changes.'),
  xiaomi_app_secret: optString.describe('Secret: the Xiaomi push app secret; never read back, written only when its fingerprint changes.'),
  xiaomi_package_name: optString.describe('The Android package name of the app on Xiaomi push.'),
};
const PROVIDER_FIELDS = Object.keys(providerFields);
/** The provider fields the API reads back (ListPushProviders), compared as they are. */
const READ_FIELDS = PROVIDER_FIELDS.filter((f) => !(SECRET_FIELDS as readonly string[]).includes(f) && !(WRITE_ONLY_FIELDS as readonly string[]).includes(f));

export const pushProviderSchema = z
  .object({
    ...providerFields,
    templates: z.array(templateSchema).optional().describe('The provider\'s push templates, one per event type (each is `push_template/<type>/<name>/<event_type>`).'),
  })
  .strict()
  .superRefine((p, ctx) => {
    // `firebase_host` on an apn provider is a mistake the API would silently keep: say so here.
    for (const key of Object.keys(p)) {
      const prefix = PROVIDER_TYPES.find((t) => key.startsWith(`${t}_`));
      if (prefix && prefix !== p.type) ctx.addIssue({ code: 'custom', path: [key], message: `${key} applies to ${prefix} providers, not to a ${p.type} provider` });
    }
    if (p.firebase_credentials !== undefined && !isJsonObject(p.firebase_credentials)) {
      // Never echo the value: it is a credential.
      ctx.addIssue({ code: 'custom', path: ['firebase_credentials'], message: 'firebase_credentials must be a JSON service account key (the JSON file the Firebase console downloads)' });
    }
  });

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

export const providerAddress = (type: unknown, name: unknown) => `push_provider/${String(type)}/${String(name)}`;
export const templateAddress = (type: unknown, name: unknown, eventType: unknown) => `push_template/${String(type)}/${String(name)}/${String(eventType)}`;

/** RFC 3339 times compare by instant: both sides are written as `toISOString()`. */
const normalizeTime = (v: unknown) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : v);

/** The provider's fields as declared, without its templates; `disabled_at` in canonical form. */
function providerEntryFields(p: Rec): Rec {
  const { templates: _templates, ...fields } = p;
  if (fields.disabled_at !== undefined) fields.disabled_at = normalizeTime(fields.disabled_at);
  return fields;
}

/** A ListPushProviders item in the file's shape: the fields that read back, without timestamps or unset values. */
export function providerLive(p: Rec): LiveObject {
  const fields: Rec = { type: p.type, name: p.name };
  for (const f of READ_FIELDS) {
    if (f === 'type' || f === 'name' || p[f] === undefined || p[f] === null) continue;
    fields[f] = f === 'disabled_at' ? normalizeTime(p[f]) : p[f];
  }
  return liveObject('push_provider', providerAddress(p.type, p.name), fields);
}

/** A GetPushTemplates item of one provider (it reads back without its provider, so the caller says which). */
export function templateLive(type: string, name: string, t: Rec): LiveObject {
  const fields: Rec = { push_provider_type: type, push_provider_name: name, event_type: t.event_type };
  if (t.enable_push !== undefined && t.enable_push !== null) fields.enable_push = t.enable_push;
  if (t.template !== undefined && t.template !== null) fields.template = t.template;
  return liveObject('push_template', templateAddress(type, name, t.event_type), fields);
}

/**
 * Providers and templates are fetched concurrently, and both may need the provider list: callers while a read is
 * in flight share it (one request), and nothing is cached once it settles, so every plan reads afresh.
 */
const inFlight = new WeakMap<Api, Promise<Rec[]>>();
function listProviders(api: Api): Promise<Rec[]> {
  let read = inFlight.get(api);
  if (!read) {
    read = api
      .send<{ push_providers?: Rec[] }>({ op: 'ListPushProviders', method: 'GET', path: '/api/v2/push_providers', idempotent: true })
      .then((res) => res.push_providers ?? [])
      .finally(() => inFlight.delete(api));
    inFlight.set(api, read);
  }
  return read;
}

/** The templates of one provider; a provider that does not exist (yet) has none. */
async function templatesOf(api: Api, type: string, name: string): Promise<LiveObject[]> {
  const res = await getOrUndefined<{ templates?: Rec[] }>(api, {
    op: 'GetPushTemplates',
    method: 'GET',
    path: '/api/v2/push_templates',
    query: { push_provider_type: type, push_provider_name: name },
    idempotent: true,
  });
  return (res?.templates ?? []).map((t) => templateLive(type, name, t));
}

export const pushProviderKind = defineKind({
  kind: 'push_provider',
  section: 'push_providers',
  schema: z.array(pushProviderSchema),
  entries: (section) =>
    (section as Rec[]).flatMap((p, i): DesiredEntry[] => [
      { kind: 'push_provider', fields: providerEntryFields(p), path: ['push_providers', i] },
      ...((p.templates as Rec[] | undefined) ?? []).map(
        (t, j): DesiredEntry => ({ kind: 'push_template', fields: { push_provider_type: p.type, push_provider_name: p.name, ...t }, path: ['push_providers', i, 'templates', j] }),
      ),
    ]),
  secretFields: SECRET_FIELDS.map((f) => `/${f}`),
  writeOnlyFields: WRITE_ONLY_FIELDS.map((f) => `/${f}`),
  identityFields: ['type', 'name'],
  quota: { max: 25, what: 'push providers' },
  async fetch(api) {
    return (await listProviders(api)).map(providerLive);
  },
  requests({ action, desired, live, fields }) {
    const { type, name } = (desired ?? live)!.fields as { type: string; name: string };
    if (action === 'delete') {
      return [{ op: 'DeletePushProvider', method: 'DELETE', path: '/api/v2/push_providers/{type}/{name}', params: { type, name }, idempotent: true }];
    }
    // Create: every declared field. Update: only what differs (the upsert keeps the fields it is not sent).
    const changed = action === 'create' ? pick(desired!.fields, PROVIDER_FIELDS) : pick(desired!.fields, changedTopLevel(fields));
    const body = { push_provider: { ...changed, type, name } };
    const req: ApiRequest = { op: 'UpsertPushProvider', method: 'POST', path: '/api/v2/push_providers', body, idempotent: true };
    return [req];
  },
  checks: pushChecks,
  toFile(live, all) {
    const { type, name } = live.fields as { type: string; name: string };
    const out: Rec = {};
    for (const [k, v] of Object.entries(live.fields)) if (v !== '') out[k] = v;
    // The credential the type needs, as a placeholder for the secret the API never returns.
    const secret = credentialFieldFor(type, live.fields.apn_auth_type);
    out[secret] = envPlaceholder('push_provider', name, secret);
    const templates = all
      .filter((o) => o.kind === 'push_template' && o.fields.push_provider_type === type && o.fields.push_provider_name === name)
      .sort((a, b) => (a.address < b.address ? -1 : 1))
      .map((o) => pick(o.fields, ['event_type', 'enable_push', 'template']));
    if (templates.length) out.templates = templates;
    return out;
  },
});

/** The credential a provider of this type cannot work without (APN: the token key, or the certificate). */
function credentialFieldFor(type: string, apnAuthType: unknown): string {
  switch (type) {
    case 'apn':
      return apnAuthType === 'certificate' ? 'apn_p12_cert' : 'apn_auth_key';
    case 'firebase':
      return 'firebase_credentials';
    case 'huawei':
      return 'huawei_app_secret';
    default:
      return 'xiaomi_app_secret';
  }
}

/**
 * Push templates, declared inside their provider. UpsertPushTemplate is an upsert that changes only the fields
 * sent; the API has no delete, so a template removed from the file is left as it is (the plan warns about
 * undeclared templates of declared providers when push_providers is pruned).
 */
export const pushTemplateKind = defineKind({
  kind: 'push_template',
  declaredIn: 'push_provider',
  dependsOn: ['push_provider'],
  waitsPerObject: ['push_provider'],
  refs: (fields) => [providerAddress(fields.push_provider_type, fields.push_provider_name)],
  identityFields: ['push_provider_type', 'push_provider_name', 'event_type'],
  prunable: false,
  /**
   * Templates read back per provider only, so only the providers the plan needs are read: for export, every live
   * provider; when push_providers is pruned, every declared provider (so undeclared templates of declared
   * providers show up as warnings; those of undeclared providers go with them); otherwise, the providers the
   * declared templates name. A provider that does not exist yet has none.
   */
  async fetch(api, desired, { complete, forExport, all }) {
    // A complete read with nothing declared at all is an export by a caller that does not say so.
    const everything = forExport === true || (complete && !all?.length);
    // The list is the one the providers' own read shares (one request).
    const listed = (await listProviders(api)).map((p) => [String(p.type), String(p.name)] as const);
    const exists = new Set(listed.map(([type, name]) => providerAddress(type, name)));
    // Otherwise only the declared providers that exist: one not created yet (every provider of a first apply) has
    // no templates to read.
    const providers = everything
      ? listed
      : providersOf([...desired.map((d) => d.fields), ...(complete ? (all ?? []).filter((o) => o.kind === 'push_provider').map((o) => ({ push_provider_type: o.fields.type, push_provider_name: o.fields.name })) : [])]).filter(
          ([type, name]) => exists.has(providerAddress(type, name)),
        );
    return (await Promise.all(providers.map(([type, name]) => templatesOf(api, type, name)))).flat();
  },
  requests({ action, desired, fields }) {
    // No delete exists in the API; templates are never pruned.
    if (action === 'delete') return [];
    const want = desired!.fields;
    const body: Rec = { push_provider_type: want.push_provider_type, push_provider_name: want.push_provider_name, event_type: want.event_type };
    Object.assign(body, action === 'create' ? pick(want, ['enable_push', 'template']) : pick(want, changedTopLevel(fields)));
    return [{ op: 'UpsertPushTemplate', method: 'POST', path: '/api/v2/push_templates', body, idempotent: true }];
  },
});

function providersOf(fields: Rec[]): (readonly [string, string])[] {
  const seen = new Map<string, readonly [string, string]>();
  for (const f of fields) {
    const type = String(f.push_provider_type);
    const name = String(f.push_provider_name);
    seen.set(providerAddress(type, name), [type, name]);
  }
  return [...seen.values()];
}
