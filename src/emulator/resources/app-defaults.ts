/**
 * What a brand-new Stream app looks like: its settings (GetApp's `app`), its built-in permissions and the
 * grants of its built-in roles. Stream publishes the permission ids but not their objects, so `action`,
 * `level`, `name` and `description` are derived from the id the way Stream names them (`read-channel` →
 * action `ReadChannel`; `<id>-owner` is the same action limited to resources the user owns).
 */
import type { Rec } from '../store.js';

export const BUILTIN_ROLES = ['admin', 'anonymous', 'channel_member', 'channel_moderator', 'guest', 'user'] as const;

interface PermissionFamily {
  level: 'app' | 'channel';
  tag: string;
  ids: string[];
  /** id → resource type, for the ids that also exist as `<id>-owner`. */
  owned: Record<string, string>;
}

const FAMILIES: PermissionFamily[] = [
  {
    level: 'app',
    tag: 'app',
    ids: ['flag-user', 'mute-user', 'read-flag-reports', 'search-user', 'update-flag-report'],
    // update-user exists only in its owner form: users may edit themselves.
    owned: { 'update-user': 'user' },
  },
  {
    // Video permissions are granted per call type, which Stream scopes like a channel type.
    level: 'channel',
    tag: 'video',
    ids: [
      'block-user', 'create-call', 'create-call-reaction', 'delete-recording', 'end-call', 'join-backstage', 'join-call',
      'join-ended-call', 'list-recordings', 'mute-users', 'pin-call-track', 'read-call', 'remove-call-member',
      'screenshare', 'send-audio', 'send-event', 'send-video', 'start-broadcasting', 'start-recording',
      'start-transcription', 'stop-broadcasting', 'stop-recording', 'stop-transcription', 'update-call',
      'update-call-member', 'update-call-member-role', 'update-call-permissions', 'update-call-settings',
    ],
    owned: {
      'block-user': 'call', 'delete-recording': 'call', 'end-call': 'call', 'join-ended-call': 'call', 'list-recordings': 'call',
      'mute-users': 'call', 'read-call': 'call', 'remove-call-member': 'call', 'start-broadcasting': 'call',
      'start-recording': 'call', 'start-transcription': 'call', 'stop-broadcasting': 'call', 'stop-recording': 'call',
      'stop-transcription': 'call', 'update-call': 'call', 'update-call-member': 'call', 'update-call-permissions': 'call',
      'update-call-settings': 'call',
    },
  },
  {
    level: 'channel',
    tag: 'chat',
    ids: [
      'add-links', 'ban-channel-member', 'ban-user', 'create-attachment', 'create-channel', 'create-mention', 'create-message',
      'create-reaction', 'create-system-message', 'delete-attachment', 'delete-channel', 'delete-message', 'delete-reaction',
      'flag-message', 'mute-channel', 'pin-message', 'read-channel', 'read-channel-members', 'read-message-flags',
      'recreate-channel', 'remove-own-channel-membership', 'run-message-action', 'send-custom-event', 'skip-channel-cooldown',
      'skip-message-moderation', 'truncate-channel', 'unblock-message', 'update-channel', 'update-channel-cooldown',
      'update-channel-frozen', 'update-channel-members', 'update-message', 'upload-attachment',
    ],
    owned: {
      'delete-attachment': 'attachment', 'delete-channel': 'channel', 'delete-message': 'message', 'delete-reaction': 'reaction',
      'pin-message': 'message', 'read-channel': 'channel', 'read-channel-members': 'channel', 'run-message-action': 'message',
      'truncate-channel': 'channel', 'update-channel': 'channel', 'update-channel-members': 'channel', 'update-message': 'message',
    },
  },
];

const words = (id: string) => id.split('-');
const capitalize = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

function permission(id: string, family: PermissionFamily, ownerResource?: string): Rec {
  const base = words(id);
  const name = base.map(capitalize).join(' ');
  const sentence = base.join(' ');
  return {
    id: ownerResource ? `${id}-owner` : id,
    name: ownerResource ? `${name} (Owner)` : name,
    description: ownerResource ? `Allows the user to ${sentence} on a ${ownerResource} they own` : `Allows the user to ${sentence}`,
    action: base.map(capitalize).join(''),
    owner: ownerResource !== undefined,
    owner_resource: ownerResource ?? '',
    same_team: false,
    custom: false,
    level: family.level,
    tags: [family.tag],
    condition: {},
  };
}

/** Every built-in permission, sorted by id. */
export function builtinPermissions(): Rec[] {
  const out: Rec[] = [];
  for (const family of FAMILIES) {
    for (const id of family.ids) out.push(permission(id, family));
    for (const [id, resource] of Object.entries(family.owned)) out.push(permission(id, family, resource));
  }
  return out.sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

/** What a channel member may do in a channel (also the chat channel types' `channel_member` grants). */
export const MEMBER = [
  'add-links', 'create-attachment', 'create-mention', 'create-message', 'create-reaction', 'delete-attachment-owner',
  'delete-message-owner', 'delete-reaction-owner', 'flag-message', 'mute-channel', 'read-channel', 'read-channel-members',
  'remove-own-channel-membership', 'run-message-action-owner', 'send-custom-event', 'update-message-owner', 'upload-attachment',
];
/** What a channel moderator may do in a channel beyond a member. */
export const CHANNEL_MODERATION = [
  'ban-channel-member', 'delete-attachment', 'delete-message', 'delete-reaction', 'pin-message', 'read-message-flags',
  'skip-channel-cooldown', 'skip-message-moderation', 'truncate-channel', 'unblock-message', 'update-channel',
  'update-channel-cooldown', 'update-channel-frozen', 'update-channel-members', 'update-message',
];
const MODERATOR = [...MEMBER, ...CHANNEL_MODERATION, 'block-user', 'mute-users', 'remove-call-member', 'update-call-member', 'update-call-permissions'];
const CALLER = ['create-call-reaction', 'join-call', 'read-call', 'screenshare', 'send-audio', 'send-event', 'send-video'];

/** The grants (role → permission ids) of the built-in roles of a new app. */
export function defaultGrants(): Record<string, string[]> {
  const sorted = (ids: string[]) => [...new Set(ids)].sort();
  return {
    admin: sorted(builtinPermissions().filter((p) => !p.owner).map((p) => String(p.id))),
    anonymous: sorted(['read-call', 'read-channel']),
    channel_member: sorted(MEMBER),
    channel_moderator: sorted(MODERATOR),
    guest: sorted([...CALLER, 'read-channel', 'search-user', 'update-user-owner']),
    user: sorted([
      ...CALLER, 'create-call', 'create-channel', 'delete-channel-owner', 'end-call-owner', 'flag-user', 'mute-user',
      'read-channel-owner', 'search-user', 'update-call-owner', 'update-channel-members-owner', 'update-channel-owner',
      'update-user-owner',
    ]),
  };
}

/** A stable int32 app id derived from the API key, so restarts and reseeding keep it. */
function appIdFor(key: string): number {
  let h = 0x811c9dc5;
  for (const ch of key) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return 1_000_000 + (h % 8_000_000);
}

const uploadConfig = () => ({
  allowed_file_extensions: [],
  blocked_file_extensions: [],
  allowed_mime_types: [],
  blocked_mime_types: [],
  size_limit: 0,
});

/** GetApp's `app` for a new app: every field `AppResponseFields` requires, with Stream's defaults. */
export function defaultAppSettings(key: string, name: string): Rec {
  return {
    id: appIdFor(key),
    name,
    organization: 'Stream Emulator',
    placement: 'us-east',
    push_notifications: {
      version: 'v3',
      offline_only: false,
      apn: { enabled: false, development: false },
      firebase: { enabled: false },
      huawei: { enabled: false },
      xiaomi: { enabled: false },
      providers: [],
    },
    webhook_url: '',
    webhook_events: [],
    moderation_webhook_url: '',
    custom_action_handler_url: '',
    before_message_send_hook_url: '',
    channel_configs: {},
    call_types: {},
    policies: {},
    grants: defaultGrants(),
    suspended: false,
    suspended_explanation: '',
    disable_auth_checks: false,
    disable_permissions_checks: false,
    permission_version: 'v2',
    user_search_disallowed_roles: [],
    multi_tenant_enabled: false,
    allow_multi_user_devices: false,
    image_moderation_enabled: false,
    image_moderation_labels: [],
    async_url_enrich_enabled: false,
    auto_translation_enabled: false,
    enforce_unique_usernames: 'no',
    // The read model carries the secret fields, but Stream never fills them in: they stay empty.
    sqs_url: '',
    sqs_key: '',
    sqs_secret: '',
    sns_topic_arn: '',
    sns_key: '',
    sns_secret: '',
    file_upload_config: uploadConfig(),
    image_upload_config: uploadConfig(),
    campaign_enabled: false,
    reminders_interval: 3600,
    cdn_expiration_seconds: 1_209_600,
    moderation_enabled: false,
    moderation_multitenant_blocklist_enabled: false,
    moderation_llm_configurability_enabled: false,
    moderation_video_call_moderation_enabled: false,
    moderation_audio_call_moderation_enabled: false,
    guest_user_creation_disabled: false,
    event_hooks: [],
    use_hook_v2: false,
    user_response_time_enabled: false,
    max_aggregated_activities_length: 100,
    feed_audit_logs_enabled: false,
    member_custom_on_messages_enabled: false,
  };
}
