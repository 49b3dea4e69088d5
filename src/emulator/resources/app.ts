import { z } from 'zod';
import { inputError } from '../errors.js';
import { setOwn } from '../paths.js';
import { type Resource, valueSlice } from '../resource.js';
import { route, type RequestContext } from '../router.js';
import type { AppState, Rec } from '../store.js';
import { nowIso, parseInput } from '../validate.js';
import { defaultAppSettings, defaultGrants } from './app-defaults.js';

declare module '../store.js' {
  interface AppState {
    /** GetApp's `app` object (AppResponseFields), read model. */
    settings: Rec;
    /** Write-only app settings (secrets, push configs, …): stored, never echoed. */
    settingsWriteOnly: Rec;
  }
}

const int32 = z.number().int().min(-2_147_483_648).max(2_147_483_647);
const strings = z.array(z.string());
const callback = z.object({ mode: z.enum(['CALLBACK_MODE_NONE', 'CALLBACK_MODE_REST', 'CALLBACK_MODE_TWIRP']).optional(), server_url: z.string().optional() });
const uploadConfig = z.object({
  allowed_file_extensions: strings.optional(),
  allowed_mime_types: strings.optional(),
  blocked_file_extensions: strings.optional(),
  blocked_mime_types: strings.optional(),
  size_limit: z.number().int().min(0).max(104_857_600),
});
const eventHook = z.object({
  id: z.string().optional(),
  hook_type: z.string().optional(),
  enabled: z.boolean().optional(),
  event_types: strings.optional(),
  product: z.string().optional(),
  should_send_custom_events: z.boolean().optional(),
  timeout_ms: int32.optional(),
  webhook_url: z.string().optional(),
  callback: callback.optional(),
  failover_config: z.object({ type: z.string().optional(), gcs_bucket: z.string().optional(), gcs_path: z.string().optional(), gcs_credentials: z.string().optional() }).optional(),
  sns_auth_type: z.string().optional(),
  sns_event_based_message_group_id_enabled: z.boolean().optional(),
  sns_key: z.string().optional(),
  sns_secret: z.string().optional(),
  sns_region: z.string().optional(),
  sns_role_arn: z.string().optional(),
  sns_topic_arn: z.string().optional(),
  sqs_auth_type: z.string().optional(),
  sqs_key: z.string().optional(),
  sqs_secret: z.string().optional(),
  sqs_queue_url: z.string().optional(),
  sqs_region: z.string().optional(),
  sqs_role_arn: z.string().optional(),
});
// The spec spells it `Disabled`, the official SDK sends `disabled`; Stream's JSON decoding (Go) matches field
// names case-insensitively, so both work.
const disabled = { Disabled: z.boolean().optional(), disabled: z.boolean().optional() };
const dateTime = z.string().refine((s) => /^\d{4}-\d\d-\d\dT/.test(s) && !Number.isNaN(Date.parse(s)), { message: 'must be an RFC 3339 date-time' });

/**
 * Fields UpdateApp copies to GetApp's `app` as sent. Every other accepted field is either special-cased below
 * or write-only. Fields of neither kind (name, organization, suspended, policies, …) are read-only: the schema
 * strips them, so they are ignored like the real server does.
 */
const echoed = {
  activity_metrics_config: z.record(z.string(), int32),
  allowed_flag_reasons: strings,
  async_url_enrich_enabled: z.boolean(),
  auto_translation_enabled: z.boolean(),
  before_message_send_hook_attempt_timeout_ms: int32,
  before_message_send_hook_url: z.string(),
  cdn_expiration_seconds: z.number().int().min(14_400).max(1_209_600),
  chat_primary_use_case: z.enum([
    'messaging', 'customer-support', 'community', 'marketplace', 'gaming', 'telehealth', 'on-demand',
    'workforce-management', 'dating', 'education', 'financial', 'sports', 'real-money-gaming',
  ]),
  custom_action_handler_url: z.string(),
  disable_auth_checks: z.boolean(),
  disable_permissions_checks: z.boolean(),
  enforce_unique_usernames: z.enum(['no', 'app', 'team']),
  feed_audit_logs_enabled: z.boolean(),
  file_upload_config: uploadConfig,
  guest_user_creation_disabled: z.boolean(),
  image_moderation_enabled: z.boolean(),
  image_moderation_labels: strings,
  image_upload_config: uploadConfig,
  max_aggregated_activities_length: int32,
  member_custom_on_messages_enabled: z.boolean(),
  moderation_dashboard_preferences: z.record(z.string(), z.unknown()),
  moderation_enabled: z.boolean(),
  moderation_onboarding_complete: z.boolean(),
  moderation_s3_image_access_role_arn: z.string(),
  moderation_webhook_url: z.string(),
  multi_tenant_enabled: z.boolean(),
  permission_version: z.enum(['v1', 'v2']),
  reminders_interval: z.number().int().min(60).max(86_400),
  sns_key: z.string(),
  sns_topic_arn: z.string(),
  sqs_key: z.string(),
  sqs_url: z.string(),
  user_response_time_enabled: z.boolean(),
  user_search_disallowed_roles: strings,
  video_primary_use_case: z.enum(['video-calling', 'voice-calling', 'livestreaming', 'audio-rooms', 'ai-agents', 'live-shopping', 'other']),
  webhook_events: strings,
  webhook_url: z.string(),
};

/** Fields that are stored but never read back (secrets, push credentials, one-shot switches). */
const writeOnly = {
  async_moderation_config: z.object({ callback: callback.optional(), timeout_ms: int32.optional() }),
  channel_hide_members_only: z.boolean(),
  enable_hook_payload_compression: z.boolean(),
  feeds_moderation_enabled: z.boolean(),
  feeds_v2_region: z.string(),
  image_moderation_block_labels: strings,
  migrate_permissions_to_v2: z.boolean(),
  moderation_analytics_enabled: z.boolean(),
  push_config: z.object({ version: z.enum(['v1', 'v2', 'v3']), offline_only: z.boolean().optional() }),
  reminders_max_members: z.number().int().min(2).max(2_147_483_647),
  reminders_max_per_user: z.number().int().min(1).max(100_000),
  sns_secret: z.string(),
  sqs_secret: z.string(),
};

/** Push credentials: write-only, except that setting one turns its provider on unless `Disabled`. */
const pushConfigs = {
  apn_config: z.object({
    ...disabled,
    auth_key: z.string().optional(),
    auth_type: z.enum(['certificate', 'token']).optional(),
    bundle_id: z.string().optional(),
    development: z.boolean().optional(),
    host: z.string().optional(),
    key_id: z.string().optional(),
    notification_template: z.string().optional(),
    p12_cert: z.string().optional(),
    team_id: z.string().optional(),
  }),
  firebase_config: z.object({
    ...disabled,
    apn_template: z.string().optional(),
    credentials_json: z.string().optional(),
    data_template: z.string().optional(),
    notification_template: z.string().optional(),
    server_key: z.string().optional(),
  }),
  huawei_config: z.object({ ...disabled, id: z.string().optional(), secret: z.string().optional() }),
  xiaomi_config: z.object({ ...disabled, package_name: z.string().optional(), secret: z.string().optional() }),
};
const PUSH_READ_KEY = { apn_config: 'apn', firebase_config: 'firebase', huawei_config: 'huawei', xiaomi_config: 'xiaomi' } as const;

// `null` means "leave as is" for every field except those whose null has a meaning of its own (below).
const nullable = <T extends Record<string, z.ZodType>>(shape: T) =>
  Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, v.nullish()])) as { [K in keyof T]: z.ZodOptional<z.ZodNullable<T[K]>> };

const updateAppSchema = z.object({
  ...nullable(echoed),
  ...nullable(writeOnly),
  ...nullable(pushConfigs),
  datadog_info: z.object({ api_key: z.string().optional(), enabled: z.boolean().optional(), site: z.string().optional() }).nullish(),
  event_hooks: z.array(eventHook).nullish(),
  // `null` resets every role's grants to the defaults of a new app.
  grants: z.record(z.string(), strings).nullish(),
  // `null` lifts the revocation.
  revoke_tokens_issued_before: dateTime.nullish(),
});
type UpdateApp = z.infer<typeof updateAppSchema>;

const HOOK_SECRETS = ['sns_secret', 'sqs_secret'] as const;

/** Every role of `grants` exists and every permission id it grants exists (UpdateApp, chat channel types). */
export function checkGrants(app: AppState, grants: Record<string, string[]>): void {
  for (const [role, ids] of Object.entries(grants)) {
    if (!app.roles.has(role)) throw inputError(`grants: role "${role}" does not exist`, { grants: `role "${role}" does not exist` });
    const unknown = ids.filter((id) => !app.permissions.has(id));
    if (unknown.length) {
      throw inputError(`grants: permission(s) ${unknown.map((id) => `"${id}"`).join(', ')} of role "${role}" do not exist`, {
        grants: `unknown permission(s) for role "${role}"`,
      });
    }
  }
}

/** The read model of `event_hooks`: server-filled id and timestamps, secrets moved to the write-only store. */
function applyEventHooks(ctx: RequestContext, hooks: NonNullable<UpdateApp['event_hooks']>): void {
  const { app, now } = ctx;
  const previous = new Map<string, Rec>((app.settings.event_hooks as Rec[]).map((h) => [String(h.id), h]));
  const secrets: Record<string, Rec> = {};
  app.settings.event_hooks = hooks.map((sent) => {
    const hook: Rec = { ...sent, id: sent.id || ctx.newId(undefined, (id) => previous.has(id) || hooks.some((h) => h.id === id)) };
    const secret: Rec = {};
    for (const k of HOOK_SECRETS) {
      if (hook[k] !== undefined) secret[k] = hook[k];
      delete hook[k];
    }
    if (hook.failover_config?.gcs_credentials !== undefined) {
      secret.gcs_credentials = hook.failover_config.gcs_credentials;
      hook.failover_config = { ...hook.failover_config };
      delete hook.failover_config.gcs_credentials;
    }
    if (Object.keys(secret).length) setOwn(secrets, hook.id, secret);
    hook.created_at = previous.get(hook.id)?.created_at ?? nowIso(now);
    hook.updated_at = nowIso(now);
    return hook;
  });
  app.settingsWriteOnly.event_hooks = secrets;
}

const getApp = route('GET', '/api/v2/app', 'GetApp', ({ app }) => ({ app: app.settings }));

const updateApp = route('PATCH', '/api/v2/app', 'UpdateApp', (ctx) => {
  const { app, quotas } = ctx;
  const input = parseInput(updateAppSchema, ctx.body);
  const disallowed = input.user_search_disallowed_roles;
  if (disallowed && disallowed.length > quotas.userSearchDisallowedRoles) {
    const msg = `user_search_disallowed_roles must contain at maximum ${quotas.userSearchDisallowedRoles} item(s)`;
    throw inputError(msg, { user_search_disallowed_roles: msg });
  }
  if (input.grants) checkGrants(app, input.grants);

  // Everything is validated: apply.
  const { settings, settingsWriteOnly } = app;
  for (const key of Object.keys(echoed) as (keyof typeof echoed)[]) {
    if (input[key] != null) settings[key] = input[key];
  }
  for (const key of Object.keys(writeOnly) as (keyof typeof writeOnly)[]) {
    if (input[key] != null) settingsWriteOnly[key] = input[key];
  }
  for (const key of Object.keys(pushConfigs) as (keyof typeof pushConfigs)[]) {
    const sent = input[key];
    if (sent == null) continue;
    const { Disabled, disabled: lower, ...config } = sent;
    const merged: Rec = { ...settingsWriteOnly[key], ...config };
    const off = Disabled ?? lower;
    if (off !== undefined) merged.Disabled = off;
    settingsWriteOnly[key] = merged;
    settings.push_notifications[PUSH_READ_KEY[key]].enabled = merged.Disabled !== true;
  }
  if (input.datadog_info != null) {
    const { api_key: apiKey, ...visible } = input.datadog_info;
    settings.datadog_info = visible;
    if (apiKey !== undefined) settingsWriteOnly.datadog_api_key = apiKey;
  }
  if (input.event_hooks != null) applyEventHooks(ctx, input.event_hooks);
  if (input.grants === null) settings.grants = defaultGrants();
  else if (input.grants) settings.grants = { ...settings.grants, ...input.grants };
  if (input.revoke_tokens_issued_before === null) delete settings.revoke_tokens_issued_before;
  else if (input.revoke_tokens_issued_before) settings.revoke_tokens_issued_before = new Date(input.revoke_tokens_issued_before).toISOString();
  return {};
});

export const appSettings: Resource = {
  name: 'app',
  state: { settings: valueSlice(() => ({})), settingsWriteOnly: valueSlice(() => ({})) },
  seed: (app, { name }) => {
    app.settings = defaultAppSettings(app.key, name);
  },
  routes: [getApp, updateApp],
};
