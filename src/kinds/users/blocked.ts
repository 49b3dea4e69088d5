import { z } from 'zod';
import type { LiveObject, Rec } from '../../core/model.js';
import { defineKind, liveObject } from '../define.js';
import type { ApiRequest } from '../../core/api.js';
import { noDuplicates, userIdSchema } from './ids.js';
import { satelliteOwners } from './satellites.js';

/**
 * The users a declared user blocks (`blocked_user/<user_id>/<blocked_user_id>`), declared as a set of ids under
 * the user (`blocked_users: [spammer-1]`). GetBlockedUsers reads a user's blocks; BlockUsers and UnblockUsers
 * write one each. A block has nothing but its two ids, so it is created or deleted, never updated. Undeclared
 * blocks of a user that declares `blocked_users:` are removed only with `blocked_users` in `policy.prune`.
 */
export const blockedUsersSchema = z.array(userIdSchema).superRefine(noDuplicates('blocked_users'));

export const blockedUserAddress = (userId: unknown, blockedId: unknown) => `blocked_user/${String(userId)}/${String(blockedId)}`;

/** A BlockedUserResponse in the file's shape. */
export function blockedUserLive(b: Rec): LiveObject {
  return liveObject('blocked_user', blockedUserAddress(b.user_id, b.blocked_user_id), { user_id: b.user_id, blocked_user_id: b.blocked_user_id });
}

export const blockedUserKind = defineKind({
  kind: 'blocked_user',
  // Not a section of the file (blocks are declared under their user): the name `policy.prune` uses for them.
  section: 'blocked_users',
  declaredIn: 'user',
  dependsOn: ['user'],
  waitsPerObject: ['user'],
  // Both users must exist: the blocked one may be any user of the app, declared or not (it is read by id).
  refs: (fields) => [`user/${String(fields.user_id)}`, `user/${String(fields.blocked_user_id)}`],
  identityFields: ['user_id', 'blocked_user_id'],
  async fetch(api, desired, { complete, all }) {
    const owners = await satelliteOwners(api, 'blocked_users', desired, all, complete);
    const lists = await Promise.all(
      owners.map((user_id) => api.send<{ blocks?: Rec[] }>({ op: 'GetBlockedUsers', method: 'GET', path: '/api/v2/users/block', query: { user_id }, idempotent: true })),
    );
    // A block of a deleted user cannot be changed (the API refuses the unblock until the user is restored): not live.
    const active = (b: Rec) => !(b.blocked_user as Rec | undefined)?.deleted_at;
    return lists.flatMap((l, i) => (l.blocks ?? []).filter(active).map((b) => blockedUserLive({ ...b, user_id: b.user_id ?? owners[i] })));
  },
  requests({ action, desired, live }) {
    // Identity is all a block has: an update cannot happen.
    if (action === 'update') return [];
    const { user_id, blocked_user_id } = (desired ?? live)!.fields as { user_id: string; blocked_user_id: string };
    const op = action === 'create' ? 'BlockUsers' : 'UnblockUsers';
    const req: ApiRequest = { op, method: 'POST', path: action === 'create' ? '/api/v2/users/block' : '/api/v2/users/unblock', body: { user_id, blocked_user_id }, idempotent: true };
    return [req];
  },
});
