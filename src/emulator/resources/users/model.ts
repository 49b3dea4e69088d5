/**
 * What every users module shares: the read views of a user (`UserResponse` and `FullUserResponse`, which add what
 * other slices hold) and the lookups that turn a user id in a request into a user or a 400/404. Users are stored in
 * the read shape of `UserResponse` without the computed `blocked_user_ids`.
 */
import { z } from 'zod';
import { inputError, notFound } from '../../errors.js';
import type { AppState, Rec } from '../../store.js';

export function blockedUserIds(app: AppState, userId: string): string[] {
  return [...app.blockedUsers.values()].filter((b) => b.user_id === userId).map((b) => String(b.blocked_user_id));
}

/** `UserResponse`. */
export function userView(app: AppState, user: Rec): Rec {
  return { ...user, blocked_user_ids: blockedUserIds(app, user.id) };
}

/** `FullUserResponse`: the user plus devices and (always empty here: no chat state) mutes and unread counters. */
export function fullUserView(app: AppState, user: Rec): Rec {
  return {
    ...userView(app, user),
    devices: [...app.devices.values()].filter((d) => d.user_id === user.id),
    mutes: [],
    channel_mutes: [],
    unread_count: 0,
    total_unread_count: 0,
    unread_channels: 0,
    unread_threads: 0,
  };
}

/** A user that exists and is not deleted, named in a request body: unknown users are an input error there. */
export function requireUser(app: AppState, id: string, field = 'user_id'): Rec {
  const user = app.users.get(id);
  if (!user || user.deleted_at) throw inputError(`user "${id}" does not exist`, { [field]: `user "${id}" does not exist` });
  return user;
}

/** Server-side requests act on behalf of `user_id` or `user.id`; one of them is required. */
export function serverSideUserId(body: { user_id?: string | null; user?: { id?: string } | null }): string {
  const id = body.user_id || body.user?.id;
  if (!id) throw inputError('either user or user_id must be provided when using server side auth', { user_id: 'user_id is a required field' });
  return id;
}

/** A user addressed by the path: unknown (or deleted) users answer 404/16. */
export function pathUser(app: AppState, id: string): Rec {
  const user = app.users.get(id);
  if (!user || user.deleted_at) throw notFound(`user "${id}" does not exist`);
  return user;
}

/** The `user_ids` of a bulk request. */
export const userIds = (max: number) => z.array(z.string().min(1)).min(1).max(max);
