import { z } from 'zod';
import { addressPart, noDuplicates } from '../define.js';

/**
 * A chat channel type in the file: the fields of Stream's CreateChannelType/UpdateChannelType (chat spec v236), by
 * their API names. Every field but the name is optional: only what the file declares is managed.
 */

const flag = (what: string) => z.boolean().optional().describe(what);
const behavior = z.enum(['flag', 'block', 'shadow_block']);
const strings = (what: string) => z.array(z.string().min(1)).superRefine(noDuplicates(what));

/** The features a channel type turns on or off, with what each does. */
const FEATURES = {
  typing_events: 'Whether typing start/stop events are sent.',
  read_events: 'Whether read events (and unread counts) are tracked.',
  connect_events: 'Whether connect events are sent to watchers (online presence).',
  delivery_events: 'Whether delivery receipts are sent.',
  search: 'Whether messages of these channels can be searched.',
  reactions: 'Whether users may react to messages.',
  replies: 'Whether messages may have threads (replies).',
  quotes: 'Whether users may quote messages (set through an update after the create).',
  mutes: 'Whether users may mute other users.',
  uploads: 'Whether users may upload files and images.',
  url_enrichment: 'Whether links in messages get previews (Open Graph enrichment).',
  custom_events: 'Whether clients may send custom events.',
  push_notifications: 'Whether new messages send push notifications.',
  reminders: 'Whether unread-message reminders are sent (set through an update after the create).',
  mark_messages_pending: 'Whether new messages wait for moderation before others see them (pending messages).',
  polls: 'Whether polls may be posted in these channels.',
  user_message_reminders: 'Whether users may set reminders on messages.',
  shared_locations: 'Whether users may share their (live) location.',
  count_messages: 'Whether the channel counts its messages.',
  skip_last_msg_update_for_system_msgs: 'Whether system messages leave the channel\'s last_message_at as it is.',
} as const;

const features = Object.fromEntries(Object.entries(FEATURES).map(([k, what]) => [k, flag(what)])) as { [K in keyof typeof FEATURES]: ReturnType<typeof flag> };

const labelThresholds = z
  .object({
    flag: z.number().min(0).max(1).optional().describe('The score (0 to 1) from which a message is flagged for review.'),
    block: z.number().min(0).max(1).optional().describe('The score (0 to 1) from which a message is blocked.'),
  })
  .strict();

const policy = z
  .object({
    name: z.string().min(1).describe('The policy\'s name, as Stream lists it.'),
    action: z.enum(['Allow', 'Deny']).describe('Allow or Deny what the policy matches.'),
    resources: z.array(z.string().min(1)).describe('The resources (actions) the policy applies to, e.g. CreateMessage.'),
    roles: z.array(z.string().min(1)).describe('The roles the policy applies to ("*" for every role).'),
    owner: z.boolean().describe('Whether the policy applies only to the owner of the resource.'),
    priority: z.number().int().describe('The policy\'s priority: higher priorities are evaluated first.'),
  })
  .strict();

/** Where a notification preference may be set: all, mentions or none (Stream's values, not checked further). */
const preference = (what: string) => z.string().min(1).optional().describe(what);

export const channelTypeSchema = z
  .object({
    name: addressPart('a channel type name', 64)
      .regex(/^[A-Za-z0-9_-]+$/, 'a channel type name may contain only letters, digits, "_" and "-"')
      .describe('Identity: the channel type (`channel_type/<name>`); messaging, livestream, team, gaming and commerce are built in.'),
    ...features,
    max_message_length: z.number().int().min(1).max(20_000).optional().describe('The longest message in characters (1 to 20,000; Stream requires it, the app\'s value is kept when undeclared).'),
    message_retention: z
      .string()
      .regex(/^(infinite|\d+)$/, 'message_retention must be "infinite" or a number of days')
      .optional()
      .describe('How long messages are kept: "infinite" or a number of days.'),
    automod: z.enum(['disabled', 'simple', 'AI']).optional().describe('Automatic moderation: disabled, simple (block list based) or AI.'),
    automod_behavior: behavior.optional().describe('What automod does with a match: flag, block, or shadow_block (set through an update after the create).'),
    automod_thresholds: z
      .object({
        explicit: labelThresholds.optional().describe('Thresholds for explicit content.'),
        spam: labelThresholds.optional().describe('Thresholds for spam.'),
        toxic: labelThresholds.optional().describe('Thresholds for toxic content.'),
      })
      .strict()
      .optional()
      .describe('AI moderation\'s flag and block thresholds per label; only the labels declared are managed.'),
    blocklist: z.string().optional().describe('The block list messages are checked against (a `blocklists` name; "" for none).'),
    blocklist_behavior: behavior.optional().describe('What happens to a message that matches the block list: flag, block or shadow_block.'),
    blocklists: z
      .array(
        z
          .object({
            blocklist: z.string().min(1).describe('A block list\'s name.'),
            behavior: behavior.describe('What happens to a message that matches it: flag, block or shadow_block.'),
          })
          .strict(),
      )
      .superRefine((items, ctx) => noDuplicates('blocklists')(items.map((b) => b.blocklist), ctx))
      .optional()
      .describe('Several block lists, each with its behaviour (a set, by block list name).'),
    allowed_flag_reasons: strings('allowed_flag_reasons').optional().describe('The reasons users may give when flagging a message (a set).'),
    commands: strings('commands')
      .optional()
      .describe('The commands users may run in these channels (a set of names: built-ins such as giphy, or declared `commands`; "all" for every command).'),
    grants: z
      .record(z.string().min(1), strings('grants'))
      .optional()
      .describe('Channel-level role → the permissions it has in channels of this type (a set). Only the roles listed are managed; each names a role of the app.'),
    permissions: z.array(policy).optional().describe('Legacy permission policies (ordered, managed as a whole list); prefer grants.'),
    partition_size: z.number().int().min(0).optional().describe('How many members a partition of a large channel holds (0: no partitions; under 10 is set by an update after the create).'),
    partition_ttl: z.string().optional().describe('How long a partition lives, as a duration such as "24h".'),
    push_level: z.enum(['all', 'all_mentions', 'mentions', 'direct_mentions', 'none']).optional().describe('The default push level of members: all, all_mentions, mentions, direct_mentions or none.'),
    chat_preferences: z
      .object({
        default_preference: preference('The preference for notifications nothing else covers.'),
        channel_mentions: preference('Notifications for @channel mentions.'),
        direct_mentions: preference('Notifications for direct @mentions.'),
        group_mentions: preference('Notifications for group mentions.'),
        here_mentions: preference('Notifications for @here mentions.'),
        role_mentions: preference('Notifications for role mentions.'),
        thread_replies: preference('Notifications for replies in threads.'),
        distinct_channel_messages: preference('Notifications for messages in distinct (1:1) channels.'),
      })
      .strict()
      .optional()
      .describe('Members\' default notification preferences per kind of message; only what is declared is managed.'),
  })
  .strict()
  .describe('A Stream Chat channel type: features, limits, moderation (automod, block lists), commands and grants per role.');

/** Fields CreateChannelType does not take: an update right after the create sets them. */
export const UPDATE_ONLY = ['quotes', 'reminders', 'allowed_flag_reasons', 'automod_thresholds'] as const;

/** The fields UpdateChannelType requires on every call (the file's, else the app's), and their values for a create. */
export const REQUIRED_DEFAULTS = { max_message_length: 5000, automod: 'disabled', automod_behavior: 'flag' } as const;

/** The file fields, in the schema's order. */
export const CHANNEL_TYPE_FIELDS = Object.keys(channelTypeSchema.shape);
