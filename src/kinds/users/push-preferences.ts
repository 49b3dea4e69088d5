import { z } from 'zod';
import type { Rec } from '../../core/model.js';
import { changedTopLevel, defineKind, liveObject, pick } from '../define.js';
import { existingUserIds } from './ids.js';

/**
 * A declared user's push notification preferences (`push_preference/<user_id>`), declared under the user:
 *
 *   push_preferences: { chat_level: mentions, call_level: all }
 *
 * UpdatePushNotificationPreferences writes them and changes only the levels it is sent (a level of `default`
 * drops the user's override). The API has no read, so every field is write-only: compared by the fingerprint the
 * state file recorded when it was last applied, and written again only when that changes (or without a state
 * file, once per run). Nothing is ever deleted; removing a field stops managing it.
 */
const allOrNone = z.enum(['all', 'none']);

export const pushPreferencesSchema = z
  .object({
    chat_level: z.enum(['all', 'mentions', 'direct_mentions', 'all_mentions', 'none', 'default']).optional().describe('Which chat messages notify the user: all, direct_mentions, all_mentions (mentions is the old name), none, or default (the app\'s).'),
    call_level: z.enum(['all', 'none', 'default']).optional().describe('Whether calls notify the user: all, none, or default (the app\'s).'),
    feeds_level: z.enum(['all', 'none', 'default']).optional().describe('Whether feeds activity notifies the user: all, none, or default (the app\'s).'),
    chat_preferences: z
      .object({
        channel_mentions: allOrNone.optional().describe('Pushes for @channel mentions: all or none.'),
        default_preference: allOrNone.optional().describe('Pushes for chat events no other key covers: all or none.'),
        direct_mentions: allOrNone.optional().describe('Pushes for mentions of the user: all or none.'),
        group_mentions: allOrNone.optional().describe('Pushes for mentions of a user group the user is in: all or none.'),
        here_mentions: allOrNone.optional().describe('Pushes for @here mentions: all or none.'),
        role_mentions: allOrNone.optional().describe('Pushes for mentions of a role the user has: all or none.'),
        thread_replies: allOrNone.optional().describe('Pushes for replies in threads the user takes part in: all or none.'),
      })
      .strict()
      .optional()
      .describe('Chat pushes per kind of event, finer than chat_level.'),
    feeds_preferences: z
      .object({
        comment: allOrNone.optional().describe('Pushes for comments on the user\'s activities: all or none.'),
        comment_mention: allOrNone.optional().describe('Pushes for mentions in comments: all or none.'),
        comment_reaction: allOrNone.optional().describe('Pushes for reactions to the user\'s comments: all or none.'),
        comment_reply: allOrNone.optional().describe('Pushes for replies to the user\'s comments: all or none.'),
        follow: allOrNone.optional().describe('Pushes for new followers: all or none.'),
        mention: allOrNone.optional().describe('Pushes for mentions in activities: all or none.'),
        reaction: allOrNone.optional().describe('Pushes for reactions to the user\'s activities or comments: all or none.'),
        custom_activity_types: z.record(z.string().min(1, 'an activity type must not be empty'), allOrNone).optional().describe('Custom activity type → all or none: pushes for activities of that type.'),
      })
      .strict()
      .optional()
      .describe('Feeds pushes per kind of event, finer than feeds_level.'),
  })
  .strict();

const PREFERENCE_FIELDS = ['chat_level', 'call_level', 'feeds_level', 'chat_preferences', 'feeds_preferences'] as const;

export const pushPreferenceAddress = (userId: unknown) => `push_preference/${String(userId)}`;

export const pushPreferenceKind = defineKind({
  kind: 'push_preference',
  declaredIn: 'user',
  dependsOn: ['user'],
  waitsPerObject: ['user'],
  refs: (fields) => [`user/${String(fields.user_id)}`],
  // Nothing reads back: each top-level field (a nested preference object as a whole) is compared by fingerprint.
  writeOnlyFields: PREFERENCE_FIELDS.map((f) => `/${f}`),
  identityFields: ['user_id'],
  prunable: false,
  /**
   * No read exists: the preferences of a user that exists are there with unknown values (so a change is an update,
   * decided by fingerprint); those of a user that does not exist yet are a create.
   */
  async fetch(api, desired) {
    const existing = await existingUserIds(api, desired.map((d) => String(d.fields.user_id)));
    return [...existing].sort().map((user_id) => liveObject('push_preference', pushPreferenceAddress(user_id), { user_id }));
  },
  requests({ action, desired, fields }) {
    // The API cannot delete preferences; they are never pruned.
    if (action === 'delete') return [];
    const want = desired!.fields;
    const changed: Rec = action === 'create' ? pick(want, PREFERENCE_FIELDS) : pick(want, changedTopLevel(fields));
    if (Object.keys(changed).length === 0) return [];
    return [{ op: 'UpdatePushNotificationPreferences', method: 'POST', path: '/api/v2/push_preferences', body: { preferences: [{ user_id: want.user_id, ...changed }] }, idempotent: true }];
  },
});
