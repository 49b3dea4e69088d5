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
    chat_level: z.enum(['all', 'mentions', 'direct_mentions', 'all_mentions', 'none', 'default']).optional(),
    call_level: z.enum(['all', 'none', 'default']).optional(),
    feeds_level: z.enum(['all', 'none', 'default']).optional(),
    chat_preferences: z
      .object({
        channel_mentions: allOrNone.optional(),
        default_preference: allOrNone.optional(),
        direct_mentions: allOrNone.optional(),
        group_mentions: allOrNone.optional(),
        here_mentions: allOrNone.optional(),
        role_mentions: allOrNone.optional(),
        thread_replies: allOrNone.optional(),
      })
      .strict()
      .optional(),
    feeds_preferences: z
      .object({
        comment: allOrNone.optional(),
        comment_mention: allOrNone.optional(),
        comment_reaction: allOrNone.optional(),
        comment_reply: allOrNone.optional(),
        follow: allOrNone.optional(),
        mention: allOrNone.optional(),
        reaction: allOrNone.optional(),
        custom_activity_types: z.record(z.string().min(1, 'an activity type must not be empty'), allOrNone).optional(),
      })
      .strict()
      .optional(),
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
