import { z } from 'zod';
import { inputError, notFound } from '../errors.js';
import { mapSlice, type Resource } from '../resource.js';
import { route } from '../router.js';
import type { AppState, Quotas, Rec } from '../store.js';
import { nowIso, parseInput, queryRequired } from '../validate.js';
import { PROVIDER_TYPES, providerKey, type ProviderType, templateKey } from './checks.js';
import { templateProblem } from './push-template.js';

declare module '../store.js' {
  interface AppState {
    /** key `${type}/${name}` → read model of the provider (no credentials). */
    pushProviders: Map<string, Rec>;
    pushProviderSecrets: Map<string, Rec>;
    /** key `${type}/${name}/${event_type}` → template. */
    pushTemplates: Map<string, Rec>;
  }
}

/**
 * Push providers (v2, several per type, identified by type + name) and push templates (per provider and event
 * type). Provider credentials and the APN notification template are write-only (`pushProviderSecrets`); the
 * provider read model is the spec's PushProviderResponse without them. Templates read back without their
 * provider's type and name, only with `push_provider_internal_id`.
 */
const TEMPLATE_EVENT_TYPES = [
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

const WRITE_ONLY_FIELDS = ['apn_auth_key', 'apn_p12_cert', 'apn_notification_template', 'firebase_credentials', 'firebase_server_key', 'huawei_app_secret', 'xiaomi_app_secret'] as const;
const READ_FIELDS = [
  'description',
  'disabled_reason',
  'apn_auth_type',
  'apn_development',
  'apn_host',
  'apn_key_id',
  'apn_team_id',
  'apn_topic',
  'firebase_apn_template',
  'firebase_data_template',
  'firebase_host',
  'firebase_notification_template',
  'huawei_app_id',
  'xiaomi_package_name',
] as const;

const optString = z.string().optional();
const providerSchema = (q: Quotas) =>
  z.object({
    name: z.string().min(1).max(q.pushProviderNameLength),
    type: z.enum(PROVIDER_TYPES),
    description: z.string().max(128).optional(),
    disabled_at: z.union([z.iso.datetime({ offset: true }), z.number(), z.null()]).optional(),
    disabled_reason: z.string().max(255).optional(),
    apn_auth_key: optString,
    apn_auth_type: z.enum(['token', 'certificate']).optional(),
    apn_development: z.boolean().optional(),
    apn_host: optString,
    apn_key_id: optString,
    apn_notification_template: optString,
    apn_p12_cert: optString,
    apn_team_id: optString,
    apn_topic: optString,
    firebase_apn_template: optString,
    firebase_credentials: optString,
    firebase_data_template: optString,
    firebase_host: optString,
    firebase_notification_template: optString,
    firebase_server_key: optString,
    huawei_app_id: optString,
    huawei_app_secret: optString,
    xiaomi_app_secret: optString,
    xiaomi_package_name: optString,
  });
type ProviderRequest = z.infer<ReturnType<typeof providerSchema>>;

const templateSchema = z.object({
  event_type: z.enum(TEMPLATE_EVENT_TYPES),
  push_provider_type: z.enum(PROVIDER_TYPES),
  push_provider_name: z.string().optional(),
  template: z.string().optional(),
  enable_push: z.boolean().optional(),
});

/** Why a provider cannot send with the credentials it has (after merging an update); `undefined` when it can. */
function missingCredentials(type: ProviderType, p: Rec): string | undefined {
  switch (type) {
    case 'apn':
      if (p.apn_p12_cert) return undefined;
      return p.apn_auth_key && p.apn_key_id && p.apn_team_id && p.apn_topic
        ? undefined
        : 'apn providers need apn_p12_cert, or apn_auth_key with apn_key_id, apn_team_id and apn_topic';
    case 'firebase':
      return p.firebase_credentials || p.firebase_server_key ? undefined : 'firebase providers need firebase_credentials';
    case 'huawei':
      return p.huawei_app_id && p.huawei_app_secret ? undefined : 'huawei providers need huawei_app_id and huawei_app_secret';
    case 'xiaomi':
      return p.xiaomi_package_name && p.xiaomi_app_secret ? undefined : 'xiaomi credentials are invalid';
  }
}

function checkProviderInput(req: ProviderRequest): void {
  if (req.firebase_credentials !== undefined) {
    let ok = false;
    try {
      const parsed: unknown = JSON.parse(req.firebase_credentials);
      ok = !!parsed && typeof parsed === 'object' && !Array.isArray(parsed);
    } catch {
      /* reported below */
    }
    if (!ok) throw inputError('push_provider.firebase_credentials must be a JSON service account key', { 'push_provider.firebase_credentials': 'must be a JSON service account key' });
  }
  for (const field of ['apn_notification_template', 'firebase_apn_template', 'firebase_data_template', 'firebase_notification_template'] as const) {
    const problem = req[field] ? templateProblem(req[field]) : undefined;
    if (problem) throw inputError(`push_provider.${field} is invalid: ${problem}`, { [`push_provider.${field}`]: problem });
  }
}

function upsertProvider(app: AppState, q: Quotas, req: ProviderRequest, nowMs: number): Rec {
  checkProviderInput(req);
  const key = providerKey(req.type, req.name);
  const existing = app.pushProviders.get(key);
  if (!existing && app.pushProviders.size >= q.pushProviders) throw inputError(`an app can have at most ${q.pushProviders} push providers`);
  // Only the fields sent change, credentials included: an update need not resend them.
  const secrets: Rec = { ...app.pushProviderSecrets.get(key) };
  for (const f of WRITE_ONLY_FIELDS) if (req[f] !== undefined) secrets[f] = req[f];
  const at = nowIso(nowMs);
  const provider: Rec = existing ? { ...existing } : { name: req.name, type: req.type, created_at: at };
  for (const f of READ_FIELDS) if (req[f] !== undefined) provider[f] = req[f];
  if (req.disabled_at === null) delete provider.disabled_at;
  else if (req.disabled_at !== undefined) provider.disabled_at = nowIso(typeof req.disabled_at === 'number' ? req.disabled_at : Date.parse(req.disabled_at));
  if (req.type === 'apn' && req.apn_auth_type === undefined) provider.apn_auth_type = secrets.apn_auth_key ? 'token' : 'certificate';
  provider.updated_at = at;
  const missing = missingCredentials(req.type, { ...provider, ...secrets });
  if (missing) throw inputError(missing);
  app.pushProviders.set(key, provider);
  app.pushProviderSecrets.set(key, secrets);
  return provider;
}

/** The provider a template request names; a named provider must exist (the app-level one, no name, always does). */
function templateProvider(app: AppState, type: string, name: string | undefined): string {
  if (!name) return '';
  if (!app.pushProviders.has(providerKey(type, name))) throw notFound(`push provider ${name} of type ${type} does not exist`);
  return name;
}

/** Templates of one provider share its internal id; the first template of a provider gets a fresh one. */
function internalIdFor(app: AppState, type: string, name: string, newId: () => string): string {
  const prefix = `${type}/${name}/`;
  for (const [key, t] of app.pushTemplates) if (key.startsWith(prefix)) return t.push_provider_internal_id as string;
  return newId();
}

const listPushProviders = route('GET', '/api/v2/push_providers', 'ListPushProviders', ({ app }) => ({ push_providers: [...app.pushProviders.values()] }));

const upsertPushProvider = route('POST', '/api/v2/push_providers', 'UpsertPushProvider', ({ app, body, quotas, now }) => {
  const { push_provider } = parseInput(z.object({ push_provider: providerSchema(quotas) }), body);
  return { push_provider: upsertProvider(app, quotas, push_provider, now) };
});

const deletePushProvider = route('DELETE', '/api/v2/push_providers/{type}/{name}', 'DeletePushProvider', ({ app, params, quotas }) => {
  const { type, name } = parseInput(z.object({ type: z.enum(PROVIDER_TYPES), name: z.string().min(1).max(quotas.pushProviderNameLength) }), params);
  const key = providerKey(type, name);
  if (!app.pushProviders.has(key)) throw notFound(`push provider ${name} of type ${type} does not exist`);
  app.pushProviders.delete(key);
  app.pushProviderSecrets.delete(key);
  for (const k of [...app.pushTemplates.keys()]) if (k.startsWith(`${key}/`)) app.pushTemplates.delete(k);
  return {};
});

const getPushTemplates = route('GET', '/api/v2/push_templates', 'GetPushTemplates', ({ app, query }) => {
  const { type } = parseInput(z.object({ type: z.enum(PROVIDER_TYPES) }), { type: queryRequired(query, 'push_provider_type') });
  const name = templateProvider(app, type, query.get('push_provider_name') ?? undefined);
  const prefix = `${type}/${name}/`;
  return { templates: [...app.pushTemplates].filter(([k]) => k.startsWith(prefix)).map(([, t]) => t) };
});

const upsertPushTemplate = route('POST', '/api/v2/push_templates', 'UpsertPushTemplate', ({ app, body, now, newId }) => {
  const req = parseInput(templateSchema, body);
  const problem = req.template ? templateProblem(req.template) : undefined;
  if (problem) throw inputError(`template is invalid: ${problem}`, { template: problem });
  const name = templateProvider(app, req.push_provider_type, req.push_provider_name);
  const key = templateKey(req.push_provider_type, name, req.event_type);
  const at = nowIso(now);
  const template: Rec = app.pushTemplates.get(key) ?? {
    push_provider_internal_id: internalIdFor(app, req.push_provider_type, name, () => newId()),
    event_type: req.event_type,
    enable_push: true,
    created_at: at,
  };
  if (req.template !== undefined) template.template = req.template;
  if (req.enable_push !== undefined) template.enable_push = req.enable_push;
  template.updated_at = at;
  app.pushTemplates.set(key, template);
  return { template };
});

export const push: Resource = {
  name: 'push',
  state: { pushProviders: mapSlice(), pushProviderSecrets: mapSlice(), pushTemplates: mapSlice() },
  routes: [listPushProviders, upsertPushProvider, deletePushProvider, getPushTemplates, upsertPushTemplate],
};

