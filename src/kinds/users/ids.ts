import { z } from 'zod';
import type { LiveObject, Rec } from '../../core/model.js';
import { isRecord, liveObject, pick } from '../define.js';
import type { Api, ApiRequest } from '../../core/api.js';

/**
 * User ids and reads of users by id. Users are the one kind stream-sync never lists (an app can have millions):
 * every read names the ids it wants, in batches.
 */

/** Stream's rule for user ids: letters, digits, `@`, `_` and `-` (so never a `/`), at most 255 characters. */
export const userIdSchema = z
  .string()
  .min(1, 'a user id must not be empty')
  .max(255, 'a user id must be at most 255 characters')
  .regex(/^[@\w-]+$/, 'a user id may only contain letters, digits, "@", "_" and "-"');

export { noDuplicates } from '../define.js';

/** One QueryUsers call carries at most 100 ids, and keeps its URL short (ids can be 255 characters long). */
const BATCH = 100;
const BATCH_CHARS = 6_000;
export function idBatches(ids: readonly string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let chars = 0;
  for (const id of ids) {
    if (cur.length && (cur.length === BATCH || chars + id.length > BATCH_CHARS)) {
      out.push(cur);
      cur = [];
      chars = 0;
    }
    cur.push(id);
    chars += id.length + 3;
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * QueryUsers for these ids. Deactivated users are still users: a declared one must be found, not created again.
 * Soft-deleted users are hidden unless the filter names `deleted_at`, so `deleted: true` asks for those only.
 */
export function queryUsersRequest(ids: readonly string[], opts: { deleted?: boolean } = {}): ApiRequest {
  const filter: Rec = { id: { $in: ids } };
  if (opts.deleted) filter.deleted_at = { $exists: true };
  return {
    op: 'QueryUsers',
    method: 'GET',
    path: '/api/v2/users',
    query: { payload: { filter_conditions: filter, limit: BATCH, include_deactivated_users: true } },
    idempotent: true,
  };
}

/** The users with these ids that exist (or, with `deleted`, that are soft-deleted); never a listing of the app. */
export async function queryUsersByIds(api: Api, ids: readonly string[], opts: { deleted?: boolean } = {}): Promise<Rec[]> {
  const unique = [...new Set(ids)].sort();
  if (unique.length === 0) return [];
  const pages = await Promise.all(idBatches(unique).map((batch) => api.send<{ users: Rec[] }>(queryUsersRequest(batch, opts))));
  return pages.flatMap((p) => p.users);
}

/** Which of these users exist (deactivated ones included, soft-deleted ones not): satellites are read only for those. */
export async function existingUserIds(api: Api, ids: readonly string[]): Promise<Set<string>> {
  return new Set((await queryUsersByIds(api, ids)).filter((u) => !u.deleted_at).map((u) => String(u.id)));
}

/** UserRequest's fields, as the file declares them (besides `id`). */
export const USER_FIELDS = ['name', 'image', 'role', 'teams', 'teams_role', 'language', 'invisible', 'privacy_settings', 'custom'] as const;
export const userAddress = (id: unknown) => `user/${String(id)}`;

/**
 * A live user (QueryUsers' FullUserResponse) in the file's shape: UserRequest's fields, custom data under `custom`,
 * and `deactivated` from `deactivated_at`. `notOurs` marks a user read only because a declared object refers to
 * it: like a built-in, it is never deleted nor shown as drift (users are pruned by inventory, see user-lifecycle).
 */
export function userLive(u: Rec, notOurs = false): LiveObject {
  const fields = pick(u, ['id', ...USER_FIELDS]);
  if (!isRecord(fields.custom)) fields.custom = {};
  fields.deactivated = typeof u.deactivated_at === 'string' && u.deactivated_at !== '';
  return liveObject('user', userAddress(u.id), fields, notOurs);
}
