/**
 * Push notification preferences: per user (key `${user_id}`) and per user and channel
 * (key `${user_id}/${channel_cid}`), stored in the read shapes `PushPreferencesResponse` and
 * `ChannelPushPreferencesResponse`. A level of `default` removes the override, so the app's default applies again.
 */
import { z } from 'zod';
import { inputError } from '../errors.js';
import { mapSlice, type Resource } from '../resource.js';
import { route } from '../router.js';
import type { Rec } from '../store.js';
import { dateTime, parseInput } from '../validate.js';
import { requireUser } from './users/model.js';

declare module '../store.js' {
  interface AppState {
    /** key `${user_id}` or `${user_id}/${channel_cid}` */
    pushPreferences: Map<string, Rec>;
  }
}

const allOrNone = z.enum(['all', 'none']);

const chatPreferences = z.object({
  channel_mentions: allOrNone.optional(),
  default_preference: allOrNone.optional(),
  direct_mentions: allOrNone.optional(),
  group_mentions: allOrNone.optional(),
  here_mentions: allOrNone.optional(),
  role_mentions: allOrNone.optional(),
  thread_replies: allOrNone.optional(),
});

const feedsPreferences = z.object({
  comment: allOrNone.optional(),
  comment_mention: allOrNone.optional(),
  comment_reaction: allOrNone.optional(),
  comment_reply: allOrNone.optional(),
  follow: allOrNone.optional(),
  mention: allOrNone.optional(),
  reaction: allOrNone.optional(),
  custom_activity_types: z.record(z.string(), allOrNone).optional(),
});

const preferenceInput = z.object({
  user_id: z.string().nullish(),
  channel_cid: z.string().regex(/^[\w-]+:[\w@!-]+$/, { error: 'must be a channel cid of the form <type>:<id>' }).nullish(),
  chat_level: z.enum(['all', 'mentions', 'direct_mentions', 'all_mentions', 'none', 'default']).nullish(),
  call_level: z.enum(['all', 'none', 'default']).nullish(),
  feeds_level: z.enum(['all', 'none', 'default']).nullish(),
  chat_preferences: chatPreferences.nullish(),
  feeds_preferences: feedsPreferences.nullish(),
  disabled_until: dateTime.nullish(),
  remove_disable: z.boolean().nullish(),
});
type PreferenceInput = z.infer<typeof preferenceInput>;

const request = z.object({ preferences: z.array(preferenceInput) });

/** The fields a channel preference carries; user preferences carry them all. */
const CHANNEL_LEVELS = ['chat_level'] as const;
const USER_LEVELS = ['chat_level', 'call_level', 'feeds_level'] as const;

function apply(current: Rec, input: PreferenceInput, levels: readonly ('chat_level' | 'call_level' | 'feeds_level')[], withFeeds: boolean): Rec {
  const next: Rec = structuredClone(current);
  for (const level of levels) {
    const value = input[level];
    if (value === 'default') delete next[level];
    else if (value) next[level] = value;
  }
  if (input.chat_preferences) next.chat_preferences = { ...next.chat_preferences, ...input.chat_preferences };
  if (withFeeds && input.feeds_preferences) {
    const { custom_activity_types, ...rest } = input.feeds_preferences;
    next.feeds_preferences = { ...next.feeds_preferences, ...rest };
    if (custom_activity_types) next.feeds_preferences.custom_activity_types = { ...next.feeds_preferences.custom_activity_types, ...custom_activity_types };
  }
  if (input.remove_disable) delete next.disabled_until;
  else if (input.disabled_until) next.disabled_until = input.disabled_until;
  return next;
}

const updatePushNotificationPreferences = route('POST', '/api/v2/push_preferences', 'UpdatePushNotificationPreferences', ({ app, body }) => {
  const { preferences } = parseInput(request, body);
  // Validate everything before the first write: a rejected request changes nothing.
  preferences.forEach((p, i) => {
    if (!p.user_id) throw inputError(`preferences.${i}.user_id is required when using server side auth`, { [`preferences.${i}.user_id`]: 'user_id is a required field' });
    requireUser(app, p.user_id, `preferences.${i}.user_id`);
  });
  const user_preferences: Rec = {};
  const user_channel_preferences: Rec = {};
  for (const p of preferences) {
    const userId = p.user_id!;
    if (p.channel_cid) {
      const key = `${userId}/${p.channel_cid}`;
      const next = apply(app.pushPreferences.get(key) ?? {}, p, CHANNEL_LEVELS, false);
      app.pushPreferences.set(key, next);
      (user_channel_preferences[userId] ??= {})[p.channel_cid] = next;
    } else {
      app.pushPreferences.set(userId, apply(app.pushPreferences.get(userId) ?? {}, p, USER_LEVELS, true));
    }
  }
  // The user preferences come back for every user named in the request, edited or not.
  for (const p of preferences) user_preferences[p.user_id!] = app.pushPreferences.get(p.user_id!) ?? {};
  return { user_preferences, user_channel_preferences };
});

export const pushPreferences: Resource = {
  name: 'push preferences',
  state: { pushPreferences: mapSlice() },
  routes: [updatePushNotificationPreferences],
};
