import { z } from 'zod';
import type { DesiredObject, LiveObject, Rec } from '../core/model.js';
import { checkGrantsWithoutPermissions } from './permissions.js';
import { defineKind, isRecord, liveObject, overlay } from './define.js';
import type { LiveCheck } from './types.js';
import type { ApiRequest } from '../core/api.js';
import { fromPointer } from '../core/pointer.js';

const record = z.record(z.string(), z.unknown());
const stringList = z.array(z.string());
const fileUploadConfig = z
  .object({
    size_limit: z.number().int().min(0),
    allowed_file_extensions: stringList.optional(),
    allowed_mime_types: stringList.optional(),
    blocked_file_extensions: stringList.optional(),
    blocked_mime_types: stringList.optional(),
  })
  .strict();
const eventHook = z
  .object({
    id: z.string().optional(),
    hook_type: z.enum(['webhook', 'sqs', 'sns', 'pending_message']).optional(),
    enabled: z.boolean().optional(),
    event_types: stringList.optional(),
    product: z.string().optional(),
    webhook_url: z.string().optional(),
    timeout_ms: z.number().int().min(0).optional(),
    should_send_custom_events: z.boolean().optional(),
    sqs_queue_url: z.string().optional(),
    sqs_region: z.string().optional(),
    sqs_auth_type: z.enum(['keys', 'role', 'resource']).optional(),
    sqs_key: z.string().optional(),
    sqs_secret: z.string().optional(),
    sqs_role_arn: z.string().optional(),
    sns_topic_arn: z.string().optional(),
    sns_region: z.string().optional(),
    sns_auth_type: z.enum(['keys', 'role', 'resource']).optional(),
    sns_key: z.string().optional(),
    sns_secret: z.string().optional(),
    sns_role_arn: z.string().optional(),
    sns_event_based_message_group_id_enabled: z.boolean().optional(),
    callback: record.optional(),
    failover_config: record.optional(),
  })
  .strict();

/** UpdateApp's fields, as the API names them. Nested push/moderation configs are passed through as written. */
export const appSettingsSchema = z
  .object({
    activity_metrics_config: z.record(z.string(), z.number().int()).optional(),
    allowed_flag_reasons: stringList.optional(),
    apn_config: record.optional(),
    async_moderation_config: record.optional(),
    async_url_enrich_enabled: z.boolean().optional(),
    auto_translation_enabled: z.boolean().optional(),
    before_message_send_hook_attempt_timeout_ms: z.number().int().min(0).optional(),
    before_message_send_hook_url: z.string().optional(),
    cdn_expiration_seconds: z.number().int().min(14_400).max(1_209_600).optional(),
    channel_hide_members_only: z.boolean().optional(),
    chat_primary_use_case: z
      .enum(['messaging', 'customer-support', 'community', 'marketplace', 'gaming', 'telehealth', 'on-demand', 'workforce-management', 'dating', 'education', 'financial', 'sports', 'real-money-gaming'])
      .optional(),
    custom_action_handler_url: z.string().optional(),
    datadog_info: z.object({ api_key: z.string().optional(), enabled: z.boolean().optional(), site: z.string().optional() }).strict().optional(),
    disable_auth_checks: z.boolean().optional(),
    disable_permissions_checks: z.boolean().optional(),
    enable_hook_payload_compression: z.boolean().optional(),
    enforce_unique_usernames: z.enum(['no', 'app', 'team']).optional(),
    event_hooks: z.array(eventHook).optional(),
    feed_audit_logs_enabled: z.boolean().optional(),
    feeds_moderation_enabled: z.boolean().optional(),
    feeds_v2_region: z.string().optional(),
    file_upload_config: fileUploadConfig.optional(),
    firebase_config: record.optional(),
    grants: z.record(z.string().min(1), z.array(z.string().min(1))).optional(),
    guest_user_creation_disabled: z.boolean().optional(),
    huawei_config: record.optional(),
    image_moderation_block_labels: stringList.optional(),
    image_moderation_enabled: z.boolean().optional(),
    image_moderation_labels: stringList.optional(),
    image_upload_config: fileUploadConfig.optional(),
    max_aggregated_activities_length: z.number().int().min(0).optional(),
    member_custom_on_messages_enabled: z.boolean().optional(),
    migrate_permissions_to_v2: z.boolean().optional(),
    moderation_analytics_enabled: z.boolean().optional(),
    moderation_dashboard_preferences: record.optional(),
    moderation_enabled: z.boolean().optional(),
    moderation_onboarding_complete: z.boolean().optional(),
    moderation_s3_image_access_role_arn: z.string().optional(),
    moderation_webhook_url: z.string().optional(),
    multi_tenant_enabled: z.boolean().optional(),
    permission_version: z.enum(['v1', 'v2']).optional(),
    push_config: z.object({ version: z.string(), offline_only: z.boolean().optional() }).strict().optional(),
    reminders_interval: z.number().int().min(60).max(86_400).optional(),
    reminders_max_members: z.number().int().min(2).optional(),
    reminders_max_per_user: z.number().int().min(1).max(100_000).optional(),
    revoke_tokens_issued_before: z.iso.datetime({ offset: true, error: 'revoke_tokens_issued_before must be an RFC 3339 time such as 2025-01-31T12:00:00Z' }).optional(),
    sns_key: z.string().optional(),
    sns_secret: z.string().optional(),
    sns_topic_arn: z.string().optional(),
    sqs_key: z.string().optional(),
    sqs_secret: z.string().optional(),
    sqs_url: z.string().optional(),
    user_response_time_enabled: z.boolean().optional(),
    user_search_disallowed_roles: stringList.max(10).optional(),
    video_primary_use_case: z.enum(['video-calling', 'voice-calling', 'livestreaming', 'audio-rooms', 'ai-agents', 'live-shopping', 'other']).optional(),
    webhook_events: stringList.optional(),
    webhook_url: z.string().optional(),
    xiaomi_config: record.optional(),
  })
  .strict();

export const appSchema = z
  .object({
    /** Guard: refuse to plan or apply against an app with another name. */
    expect_name: z.string().min(1).optional(),
    settings: appSettingsSchema.optional(),
  })
  .strict();

const SETTINGS_WRITE_ONLY = [
  'apn_config',
  'async_moderation_config',
  'channel_hide_members_only',
  'enable_hook_payload_compression',
  'feeds_moderation_enabled',
  'feeds_v2_region',
  'firebase_config',
  'huawei_config',
  'image_moderation_block_labels',
  'migrate_permissions_to_v2',
  'moderation_analytics_enabled',
  'push_config',
  'reminders_max_members',
  'reminders_max_per_user',
  'xiaomi_config',
  // Read back without their secrets, so compared by fingerprint as a whole.
  'event_hooks',
  'sqs_secret',
  'sns_secret',
  'datadog_info',
  // Read back as a time the server may normalize; only ever sent when declared.
  'revoke_tokens_issued_before',
];

/**
 * The app's settings (a singleton): GetApp reads them, one PATCH (UpdateApp) writes only the fields that
 * differ. Grants are a map role → permission ids where only the roles declared are managed.
 */
export const appKind = defineKind({
  kind: 'app',
  section: 'app',
  singleton: true,
  schema: appSchema,
  entries: (section) => {
    const s = section as z.infer<typeof appSchema>;
    return s.settings ? [{ kind: 'app', fields: { settings: s.settings }, path: ['app'] }] : [];
  },
  // Grants name roles and permissions: custom ones are created first.
  dependsOn: ['role', 'permission'],
  refs: (fields) => Object.keys((fields.settings as Rec | undefined)?.grants ?? {}).map((role) => `role/${role}`),
  refsAt: (fields) => Object.keys((fields.settings as Rec | undefined)?.grants ?? {}).map((role) => ({ ref: `role/${role}`, path: ['settings', 'grants', role], key: true })),
  secretFields: [
    '/settings/sqs_secret',
    '/settings/sns_secret',
    '/settings/datadog_info/api_key',
    '/settings/apn_config/auth_key',
    '/settings/apn_config/p12_cert',
    '/settings/firebase_config/credentials_json',
    '/settings/firebase_config/server_key',
    '/settings/huawei_config/secret',
    '/settings/xiaomi_config/secret',
    '/settings/event_hooks/*/sqs_secret',
    '/settings/event_hooks/*/sns_secret',
  ],
  writeOnlyFields: SETTINGS_WRITE_ONLY.map((f) => `/settings/${f}`),
  setFields: [
    '/settings/grants/*',
    '/settings/webhook_events',
    '/settings/allowed_flag_reasons',
    '/settings/image_moderation_labels',
    '/settings/user_search_disallowed_roles',
    '/settings/file_upload_config/allowed_file_extensions',
    '/settings/file_upload_config/allowed_mime_types',
    '/settings/file_upload_config/blocked_file_extensions',
    '/settings/file_upload_config/blocked_mime_types',
    '/settings/image_upload_config/allowed_file_extensions',
    '/settings/image_upload_config/allowed_mime_types',
    '/settings/image_upload_config/blocked_file_extensions',
    '/settings/image_upload_config/blocked_mime_types',
  ],
  prunable: false,
  async fetch(api, _desired, { all }) {
    // Granted permission ids are checked before any write, even when permissions are not managed.
    const [res] = await Promise.all([api.send<{ app: Rec }>({ op: 'GetApp', method: 'GET', path: '/api/v2/app', idempotent: true }), checkGrantsWithoutPermissions(api, all ?? [])]);
    return [appLive(res.app)];
  },
  requests({ desired, live, fields }) {
    const want = (desired?.fields.settings ?? {}) as Rec;
    const have = (live?.fields.settings ?? {}) as Rec;
    const body: Rec = {};
    for (const { path } of fields) {
      const [top, key, sub] = fromPointer(path);
      if (top !== 'settings' || !key) continue;
      if (key === 'grants') {
        // Only the roles that differ: UpdateApp merges grants per role (and `null` would reset them all).
        const grants = (body.grants ??= {}) as Rec;
        if (sub) grants[sub] = (want.grants as Rec)[sub];
        continue;
      }
      body[key] = SETTINGS_WRITE_ONLY.includes(key) ? want[key] : overlay(have[key], want[key]);
    }
    if (Object.keys(body).length === 0) return [];
    const req: ApiRequest = { op: 'UpdateApp', method: 'PATCH', path: '/api/v2/app', body, idempotent: true };
    return [req];
  },
  appName: (live) => (typeof live.fields.name === 'string' ? live.fields.name : undefined),
  expectName: (section) => (section as z.infer<typeof appSchema>).expect_name,
  checks: (app) => [awsCheck(app, 'sns'), awsCheck(app, 'sqs')].filter((c): c is LiveCheck => c !== undefined),
  toFile(live) {
    const settings = live.fields.settings as Rec;
    const out = exportableSettings(settings);
    // Secrets never read back: a placeholder where the setting they belong to is in use.
    if (settings.sqs_url) out.sqs_secret = '${env:STREAM_APP_SQS_SECRET}';
    if (settings.sns_topic_arn) out.sns_secret = '${env:STREAM_APP_SNS_SECRET}';
    return { expect_name: live.fields.name, settings: out };
  },
});

/**
 * CheckSNS / CheckSQS when the settings declare SNS / SQS: the declared topic/queue and keys are sent (what the
 * file says is checked, even before apply); what the file leaves out, Stream takes from the app.
 */
function awsCheck(app: DesiredObject, kind: 'sns' | 'sqs'): LiveCheck | undefined {
  const settings = (app.fields.settings ?? {}) as Rec;
  const fields = kind === 'sns' ? ['sns_topic_arn', 'sns_key', 'sns_secret'] : ['sqs_url', 'sqs_key', 'sqs_secret'];
  const declared = fields.filter((f) => settings[f] !== undefined);
  if (declared.length === 0) return undefined;
  const op = kind === 'sns' ? 'CheckSNS' : 'CheckSQS';
  return {
    name: `${op} app`,
    address: 'app',
    request: { op, method: 'POST', path: `/api/v2/check_${kind}`, body: Object.fromEntries(declared.map((f) => [f, settings[f]])), idempotent: true },
    verdict: (res) => (res.status === 'ok' ? undefined : String(res.error || `status ${String(res.status ?? 'unknown')}`)),
    touchedBy: (c) => c.action !== 'delete' && c.address === 'app' && (c.fields ?? []).some((f) => f.path.startsWith(`/settings/${kind}_`)),
  };
}

/** GetApp's `app` as a live object: its settings, and the name `expect_name` is checked against. */
export function appLive(app: Rec): LiveObject {
  return liveObject('app', 'app', { name: app.name, settings: app });
}

/** The fields `export` writes: the writable, readable ones, without defaults that are empty. */
const EXPORTED = Object.keys(appSettingsSchema.shape).filter((k) => !SETTINGS_WRITE_ONLY.includes(k));
function exportableSettings(settings: Rec): Rec {
  const out: Rec = {};
  for (const k of EXPORTED) {
    const v = settings[k];
    if (v === undefined || v === null) continue;
    if (isRecord(v) && k !== 'grants' && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}
