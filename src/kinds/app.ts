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
    size_limit: z.number().int().min(0).describe('Largest upload allowed, in bytes.'),
    allowed_file_extensions: stringList.optional().describe('File extensions (e.g. .pdf) uploads may have; none listed: any (a set).'),
    allowed_mime_types: stringList.optional().describe('MIME types (e.g. image/png) uploads may have; none listed: any (a set).'),
    blocked_file_extensions: stringList.optional().describe('File extensions uploads may not have (a set).'),
    blocked_mime_types: stringList.optional().describe('MIME types uploads may not have (a set).'),
  })
  .strict();
const eventHook = z
  .object({
    id: z.string().optional().describe('The hook\'s id, as the app knows it (omit for a new hook).'),
    hook_type: z.enum(['webhook', 'sqs', 'sns', 'pending_message']).optional().describe('Where events go: webhook (HTTP POST), sqs (an AWS SQS queue), sns (an AWS SNS topic) or pending_message (moderation hook).'),
    enabled: z.boolean().optional().describe('Whether the hook receives events.'),
    event_types: stringList.optional().describe('Event types sent to this hook (e.g. message.new); none listed: all.'),
    product: z.string().optional().describe('The product whose events the hook receives (e.g. chat, video, moderation).'),
    webhook_url: z.string().optional().describe('The URL events are POSTed to (hook_type webhook or pending_message).'),
    timeout_ms: z.number().int().min(0).optional().describe('How long a webhook request may take, in milliseconds.'),
    should_send_custom_events: z.boolean().optional().describe('Whether custom events are sent to this hook too.'),
    sqs_queue_url: z.string().optional().describe('The SQS queue URL events are sent to (hook_type sqs).'),
    sqs_region: z.string().optional().describe('The AWS region of the SQS queue.'),
    sqs_auth_type: z.enum(['keys', 'role', 'resource']).optional().describe('How Stream authenticates to SQS: keys (access key and secret), role (an IAM role ARN) or resource (a resource policy).'),
    sqs_key: z.string().optional().describe('The AWS access key id for SQS (sqs_auth_type keys).'),
    sqs_secret: z.string().optional().describe('Secret: the AWS secret access key for SQS; write-only, compared by fingerprint.'),
    sqs_role_arn: z.string().optional().describe('The IAM role ARN Stream assumes for SQS (sqs_auth_type role).'),
    sns_topic_arn: z.string().optional().describe('The SNS topic ARN events are published to (hook_type sns).'),
    sns_region: z.string().optional().describe('The AWS region of the SNS topic.'),
    sns_auth_type: z.enum(['keys', 'role', 'resource']).optional().describe('How Stream authenticates to SNS: keys (access key and secret), role (an IAM role ARN) or resource (a resource policy).'),
    sns_key: z.string().optional().describe('The AWS access key id for SNS (sns_auth_type keys).'),
    sns_secret: z.string().optional().describe('Secret: the AWS secret access key for SNS; write-only, compared by fingerprint.'),
    sns_role_arn: z.string().optional().describe('The IAM role ARN Stream assumes for SNS (sns_auth_type role).'),
    sns_event_based_message_group_id_enabled: z.boolean().optional().describe('Whether FIFO SNS messages are grouped by event (rather than by channel).'),
    callback: record.optional().describe('Callback settings of the hook (e.g. its mode), passed to the API as written.'),
    failover_config: record.optional().describe('Failover settings of the hook, passed to the API as written.'),
  })
  .strict();

/** UpdateApp's fields, as the API names them. Nested push/moderation configs are passed through as written. */
export const appSettingsSchema = z
  .object({
    activity_metrics_config: z.record(z.string(), z.number().int()).optional().describe('Activity metric name \u2192 its setting (an integer), for Feeds activity metrics.'),
    allowed_flag_reasons: stringList.optional().describe('The reasons users may give when flagging (a set).'),
    apn_config: record.optional().describe('Legacy app-level APNs push settings, passed as written; write-only (compared by fingerprint), auth_key and p12_cert are secret.'),
    async_moderation_config: record.optional().describe('Asynchronous moderation settings (callback, timeout), passed as written; write-only, compared by fingerprint.'),
    async_url_enrich_enabled: z.boolean().optional().describe('Whether URL previews are added to messages asynchronously, after they are sent.'),
    auto_translation_enabled: z.boolean().optional().describe('Whether messages are translated automatically into members\' languages.'),
    before_message_send_hook_attempt_timeout_ms: z.number().int().min(0).optional().describe('How long the before-message-send hook may take per attempt, in milliseconds.'),
    before_message_send_hook_url: z.string().optional().describe('The URL called before a message is sent, which may change or reject it; "" for none.'),
    cdn_expiration_seconds: z.number().int().min(14_400).max(1_209_600).optional().describe('How long signed CDN URLs of attachments stay valid, in seconds (4 hours to 14 days).'),
    channel_hide_members_only: z.boolean().optional().describe('Whether only a channel\'s members may hide it; write-only, compared by fingerprint.'),
    chat_primary_use_case: z
      .enum(['messaging', 'customer-support', 'community', 'marketplace', 'gaming', 'telehealth', 'on-demand', 'workforce-management', 'dating', 'education', 'financial', 'sports', 'real-money-gaming'])
      .optional()
      .describe('What the app mainly uses Chat for (informational).'),
    custom_action_handler_url: z.string().optional().describe('The URL custom message actions (e.g. buttons) are sent to; "" for none.'),
    datadog_info: z.object({ api_key: z.string().optional().describe('Secret: the Datadog API key.'), enabled: z.boolean().optional().describe('Whether metrics are sent to Datadog.'), site: z.string().optional().describe('The Datadog site (e.g. datadoghq.eu).') }).strict().optional().describe('Datadog integration; written whole and compared by fingerprint (its api_key is secret).'),
    disable_auth_checks: z.boolean().optional().describe('Whether token authentication is skipped (development only: anyone may act as any user).'),
    disable_permissions_checks: z.boolean().optional().describe('Whether permission checks are skipped (development only: every user may do everything).'),
    enable_hook_payload_compression: z.boolean().optional().describe('Whether hook payloads are gzip-compressed; write-only, compared by fingerprint.'),
    enforce_unique_usernames: z.enum(['no', 'app', 'team']).optional().describe('Whether user names must be unique: no, across the app, or within a team.'),
    event_hooks: z.array(eventHook).optional().describe('Webhook, SQS, SNS and pending-message hooks; written whole and compared by fingerprint (secrets are not read back).'),
    feed_audit_logs_enabled: z.boolean().optional().describe('Whether Feeds audit logs are kept.'),
    feeds_moderation_enabled: z.boolean().optional().describe('Whether Feeds content is moderated; write-only, compared by fingerprint.'),
    feeds_v2_region: z.string().optional().describe('The region of the app\'s Feeds v2 data; write-only, compared by fingerprint.'),
    file_upload_config: fileUploadConfig.optional().describe('Limits on file uploads: size and allowed or blocked extensions and MIME types.'),
    firebase_config: record.optional().describe('Legacy app-level Firebase push settings, passed as written; write-only (compared by fingerprint), credentials are secret.'),
    grants: z.record(z.string().min(1), z.array(z.string().min(1))).optional().describe('App-level role \u2192 the permission ids it is granted (a set each); only the roles listed are managed, and each names a role of the app.'),
    guest_user_creation_disabled: z.boolean().optional().describe('Whether guest users may not be created.'),
    huawei_config: record.optional().describe('Legacy app-level Huawei push settings, passed as written; write-only (compared by fingerprint), secret is secret.'),
    image_moderation_block_labels: stringList.optional().describe('Image moderation labels whose images are blocked; write-only, compared by fingerprint.'),
    image_moderation_enabled: z.boolean().optional().describe('Whether uploaded images are moderated.'),
    image_moderation_labels: stringList.optional().describe('Image moderation labels whose images are flagged (a set).'),
    image_upload_config: fileUploadConfig.optional().describe('Limits on image uploads: size and allowed or blocked extensions and MIME types.'),
    max_aggregated_activities_length: z.number().int().min(0).optional().describe('Most activities an aggregated Feeds group keeps.'),
    member_custom_on_messages_enabled: z.boolean().optional().describe('Whether channel members\' custom data is included with their messages.'),
    migrate_permissions_to_v2: z.boolean().optional().describe('Set true to migrate the app from permissions v1 to v2; write-only, compared by fingerprint.'),
    moderation_analytics_enabled: z.boolean().optional().describe('Whether moderation analytics are collected; write-only, compared by fingerprint.'),
    moderation_dashboard_preferences: record.optional().describe('Preferences of the moderation dashboard, passed as written.'),
    moderation_enabled: z.boolean().optional().describe('Whether moderation is enabled for the app.'),
    moderation_onboarding_complete: z.boolean().optional().describe('Whether moderation onboarding in the dashboard is complete.'),
    moderation_s3_image_access_role_arn: z.string().optional().describe('The IAM role ARN moderation assumes to read images stored in your S3 bucket.'),
    moderation_webhook_url: z.string().optional().describe('The URL moderation events are sent to; "" for none.'),
    multi_tenant_enabled: z.boolean().optional().describe('Whether multi-tenancy is enabled: users and channels belong to teams.'),
    permission_version: z.enum(['v1', 'v2']).optional().describe('The permission system: v1 (legacy) or v2 (roles, grants and policies).'),
    push_config: z.object({ version: z.string().describe('The push version, e.g. v3.'), offline_only: z.boolean().optional().describe('Whether only users who are offline get push notifications.') }).strict().optional().describe('Push settings: the push version (e.g. v3) and whether only offline users are notified; write-only, compared by fingerprint.'),
    reminders_interval: z.number().int().min(60).max(86_400).optional().describe('How often message reminders are checked, in seconds (60 to 86400).'),
    reminders_max_members: z.number().int().min(2).optional().describe('Channels with more members get no reminders; write-only, compared by fingerprint.'),
    reminders_max_per_user: z.number().int().min(1).max(100_000).optional().describe('Most reminders a user may have (1 to 100000); write-only, compared by fingerprint.'),
    revoke_tokens_issued_before: z.iso.datetime({ offset: true, error: 'revoke_tokens_issued_before must be an RFC 3339 time such as 2025-01-31T12:00:00Z' }).optional().describe('Tokens issued before this RFC 3339 time are revoked; write-only (the server may normalize it), compared by fingerprint.'),
    sns_key: z.string().optional().describe('The AWS access key id for the app-level SNS topic.'),
    sns_secret: z.string().optional().describe('Secret: the AWS secret access key for the app-level SNS topic; write-only, compared by fingerprint.'),
    sns_topic_arn: z.string().optional().describe('The SNS topic ARN app events are published to (legacy; see event_hooks).'),
    sqs_key: z.string().optional().describe('The AWS access key id for the app-level SQS queue.'),
    sqs_secret: z.string().optional().describe('Secret: the AWS secret access key for the app-level SQS queue; write-only, compared by fingerprint.'),
    sqs_url: z.string().optional().describe('The SQS queue URL app events are sent to (legacy; see event_hooks).'),
    user_response_time_enabled: z.boolean().optional().describe('Whether users\' average response times are tracked.'),
    user_search_disallowed_roles: stringList.max(10).optional().describe('Roles that may not search users (a set, at most 10).'),
    video_primary_use_case: z.enum(['video-calling', 'voice-calling', 'livestreaming', 'audio-rooms', 'ai-agents', 'live-shopping', 'other']).optional().describe('What the app mainly uses Video for (informational).'),
    webhook_events: stringList.optional().describe('Event types sent to webhook_url; none listed: all (a set).'),
    webhook_url: z.string().optional().describe('The URL app events are POSTed to (legacy; see event_hooks); "" for none.'),
    xiaomi_config: record.optional().describe('Legacy app-level Xiaomi push settings, passed as written; write-only (compared by fingerprint), secret is secret.'),
  })
  .strict();

export const appSchema = z
  .object({
    /** Guard: refuse to plan or apply against an app with another name. */
    expect_name: z.string().min(1).optional().describe('Guard: plan and apply refuse to run against an app with another name.'),
    settings: appSettingsSchema.optional().describe('UpdateApp\'s settings, as the API names them; only the fields declared are managed.'),
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
