/**
 * What every new app has of Stream Chat's channel types and commands: the five built-in channel types
 * (`messaging`, `livestream`, `team`, `gaming`, `commerce`) and the five built-in commands (`giphy`, `ban`,
 * `unban`, `mute`, `unmute`), in the read shape of the chat spec (ChannelTypeConfig, Command).
 *
 * Sources, and where the emulator had to choose:
 * - Commands ("captured"): the `config.commands` of real channel payloads in Stream's webhook-event docs (2024) and
 *   in the test fixtures of Stream's own SDKs (stream-chat-js, stream-chat-android): giphy "Post a random gif to the
 *   channel" `[text]` in `fun_set`; ban "Ban a user" `[@username] [text]`, unban "Unban a user", mute "Mute a user",
 *   unmute "Unmute a user" (the last three `[@username]`), all in `moderation_set`.
 * - `messaging` ("captured"): the config of a messaging channel in the same payloads — typing, read, connect
 *   events, search, reactions, replies, quotes, mutes, uploads, URL enrichment, custom events and push on;
 *   reminders, polls and pending messages off; retention `infinite`; 5000 characters; automod `disabled` with
 *   behaviour `flag`; commands `["giphy"]` (the fixtures of Stream's SDKs for `messaging` and `team`).
 * - `livestream` ("docs"): Stream's channel type docs say URL enrichment "is disabled by default for the livestream
 *   channel type", and its livestream guide that typing and read events are the expensive features livestreams turn
 *   off; connect events, reactions, replies, mutes and uploads stay on.
 * - Chosen (no public source gives them): `team` as `messaging`; `gaming` as `livestream` without uploads or search;
 *   `commerce` as `messaging` without replies or reactions; the moderation commands on `livestream` and `gaming`
 *   (the types with the most strangers in a channel); `delivery_events` following `read_events`; everything newer
 *   than the captures (`count_messages`, `shared_locations`, `user_message_reminders`, …) off; and the grants per
 *   role. Stream publishes the chat permission ids and the six built-in roles but the per-type grants only in its
 *   dashboard: members post, react and upload; moderators also ban, pin, freeze and delete; admins hold every chat
 *   permission; `livestream` lets any user read and post without membership and anonymous users read; `commerce`
 *   and `messaging` keep guests and anonymous users out.
 */
import type { Rec } from '../../store.js';
import { CHANNEL_MODERATION, MEMBER } from '../app-defaults.js';

export const BUILTIN_COMMANDS = ['giphy', 'ban', 'unban', 'mute', 'unmute'] as const;

const COMMANDS: Record<(typeof BUILTIN_COMMANDS)[number], { description: string; args: string; set: string }> = {
  giphy: { description: 'Post a random gif to the channel', args: '[text]', set: 'fun_set' },
  ban: { description: 'Ban a user', args: '[@username] [text]', set: 'moderation_set' },
  unban: { description: 'Unban a user', args: '[@username]', set: 'moderation_set' },
  mute: { description: 'Mute a user', args: '[@username]', set: 'moderation_set' },
  unmute: { description: 'Unmute a user', args: '[@username]', set: 'moderation_set' },
};

/** The built-in commands as a new app has them, created at `at`. */
export const builtinCommands = (at: string): Rec[] =>
  BUILTIN_COMMANDS.map((name) => ({ name, ...COMMANDS[name], created_at: at, updated_at: at }));

export const BUILTIN_CHANNEL_TYPES = ['commerce', 'gaming', 'livestream', 'messaging', 'team'] as const;
export type BuiltinChannelType = (typeof BUILTIN_CHANNEL_TYPES)[number];

/** The feature flags of ChannelTypeConfig, in the spec's order. */
export const FEATURES = [
  'typing_events', 'read_events', 'connect_events', 'delivery_events', 'search', 'reactions', 'replies', 'quotes', 'mutes',
  'uploads', 'url_enrichment', 'custom_events', 'push_notifications', 'reminders', 'mark_messages_pending', 'polls',
  'user_message_reminders', 'shared_locations', 'count_messages', 'skip_last_msg_update_for_system_msgs',
] as const;
export type Feature = (typeof FEATURES)[number];

const MESSAGING: Feature[] = [
  'typing_events', 'read_events', 'connect_events', 'delivery_events', 'search', 'reactions', 'replies', 'quotes', 'mutes',
  'uploads', 'url_enrichment', 'custom_events', 'push_notifications',
];
const LIVESTREAM: Feature[] = ['connect_events', 'search', 'reactions', 'replies', 'quotes', 'mutes', 'uploads', 'custom_events', 'push_notifications'];
const without = (features: Feature[], ...off: Feature[]) => features.filter((f) => !off.includes(f));

const ON: Record<BuiltinChannelType, Feature[]> = {
  messaging: MESSAGING,
  team: MESSAGING,
  commerce: without(MESSAGING, 'replies', 'reactions'),
  livestream: LIVESTREAM,
  gaming: without(LIVESTREAM, 'uploads', 'search'),
};

const MODERATION_COMMANDS: string[] = [...BUILTIN_COMMANDS];
const TYPE_COMMANDS: Record<BuiltinChannelType, string[]> = {
  messaging: ['giphy'],
  team: ['giphy'],
  commerce: [],
  livestream: MODERATION_COMMANDS,
  gaming: MODERATION_COMMANDS,
};

/** Every feature flag, on for those listed. */
export const features = (on: readonly Feature[] = []): Record<Feature, boolean> =>
  Object.fromEntries(FEATURES.map((f) => [f, on.includes(f)])) as Record<Feature, boolean>;

const MODERATOR = [...MEMBER, ...CHANNEL_MODERATION, 'ban-user'];
const ADMIN = [...MODERATOR, 'create-channel', 'create-system-message', 'delete-channel', 'recreate-channel', 'run-message-action'];
const OWNER = ['create-channel', 'delete-channel-owner', 'read-channel-owner', 'update-channel-members-owner', 'update-channel-owner'];

const sorted = (ids: string[]) => [...new Set(ids)].sort();

/** The grants (role → permission ids) of a built-in channel type; a new custom type starts from `messaging`'s. */
export function channelTypeGrants(type: BuiltinChannelType): Record<string, string[]> {
  const staff = { admin: sorted(ADMIN), channel_moderator: sorted(MODERATOR), channel_member: sorted(MEMBER) };
  if (type === 'livestream' || type === 'gaming') {
    return { ...staff, user: sorted([...MEMBER, ...OWNER]), guest: sorted(['read-channel', 'create-message', 'create-reaction']), anonymous: ['read-channel'] };
  }
  return { ...staff, user: sorted(OWNER), guest: [], anonymous: [] };
}

/** A built-in channel type as a new app has it (commands by name, as the state keeps them). */
export function builtinChannelType(type: BuiltinChannelType, at: string): Rec {
  return {
    name: type,
    ...features(ON[type]),
    message_retention: 'infinite',
    max_message_length: 5000,
    automod: 'disabled',
    automod_behavior: 'flag',
    commands: [...TYPE_COMMANDS[type]],
    permissions: [],
    grants: channelTypeGrants(type),
    created_at: at,
    updated_at: at,
  };
}
