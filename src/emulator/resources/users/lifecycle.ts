/**
 * Deactivation, reactivation, deletion (soft, pruning, hard) and restore. The bulk forms run as tasks: their
 * effect lands when the task completes, on the users still there then.
 */
import { z } from 'zod';
import { inputError } from '../../errors.js';
import { setOwn } from '../../paths.js';
import type { Resource } from '../../resource.js';
import { route, type RequestContext } from '../../router.js';
import type { AppState, Rec } from '../../store.js';
import { nowIso, parseInput } from '../../validate.js';
import { pathUser, requireUser, userIds, userView } from './model.js';

function requireUsers(app: AppState, ids: string[]): void {
  const unknown = ids.filter((id) => !app.users.get(id) || app.users.get(id)!.deleted_at);
  if (unknown.length) throw inputError(`users do not exist: ${unknown.join(', ')}`, { user_ids: `users do not exist: ${unknown.join(', ')}` });
}

function optionalActor(app: AppState, id: string | null | undefined, field: string): void {
  if (id) requireUser(app, id, field);
}

function deactivate(user: Rec, at: string): void {
  user.deactivated_at ??= at;
  user.updated_at = at;
}

function reactivate(user: Rec, at: string, name?: string | null): void {
  delete user.deactivated_at;
  if (name) user.name = name;
  user.updated_at = at;
}

/** Applies `work` to each user still present when the task completes; the result lists each user's outcome. */
function perUser(app: AppState, ids: string[], work: (user: Rec) => void): Rec {
  const users: Rec = {};
  for (const id of new Set(ids)) {
    const user = app.users.get(id);
    if (!user || user.deleted_at) setOwn(users, id, { status: 'failed', error: `user "${id}" does not exist` });
    else {
      work(user);
      setOwn(users, id, { status: 'ok' });
    }
  }
  return { users };
}

const deactivateOne = z.object({ created_by_id: z.string().nullish(), mark_messages_deleted: z.boolean().nullish() });
const reactivateOne = z.object({ created_by_id: z.string().nullish(), name: z.string().nullish(), restore_messages: z.boolean().nullish() });
const deactivateMany = z.object({ user_ids: userIds(100), created_by_id: z.string().nullish(), mark_channels_deleted: z.boolean().nullish(), mark_messages_deleted: z.boolean().nullish() });
const reactivateMany = z.object({ user_ids: userIds(100), created_by_id: z.string().nullish(), restore_channels: z.boolean().nullish(), restore_messages: z.boolean().nullish() });

const userMode = z.enum(['soft', 'pruning', 'hard']);
/** Stream documents an empty string as "leave alone" for the content modes. */
const contentMode = <T extends readonly [string, ...string[]]>(values: T) => z.union([z.enum(values), z.literal('')]).nullish();
const deleteMany = z.object({
  user_ids: userIds(100),
  user: userMode.nullish(),
  messages: contentMode(['soft', 'pruning', 'hard']),
  conversations: contentMode(['soft', 'hard']),
  calls: contentMode(['soft', 'hard']),
  files: z.boolean().nullish(),
  new_channel_owner_id: z.string().nullish(),
  new_call_owner_id: z.string().nullish(),
});

/** Everything keyed by a user, removed with a hard-deleted user: devices, blocks, preferences, locations, group memberships. */
function purgeUser(app: AppState, id: string): void {
  app.users.delete(id);
  for (const map of [app.devices, app.blockedUsers, app.pushPreferences, app.liveLocations]) {
    for (const [key, value] of map) if (key === id || value.user_id === id || value.blocked_user_id === id || key.startsWith(`${id}/`)) map.delete(key);
  }
  for (const group of app.userGroups.values()) {
    const members = group.members as Rec[] | undefined;
    if (members?.some((m) => m.user_id === id)) group.members = members.filter((m) => m.user_id !== id);
  }
}

/** Pruning keeps the user (marked deleted) but drops what describes the person. */
function pruneUser(user: Rec): void {
  for (const field of ['name', 'image', 'teams_role', 'privacy_settings']) delete user[field];
  user.custom = {};
  user.teams = [];
  user.language = '';
}

const deleteUsers = route('POST', '/api/v2/users/delete', 'DeleteUsers', (ctx) => {
  const req = parseInput(deleteMany, ctx.body);
  if (req.user === 'hard' && (req.messages !== 'hard' || req.conversations !== 'hard')) {
    throw inputError('user "hard" delete requires messages and conversations to be "hard" as well', { user: 'hard delete requires hard messages and conversations' });
  }
  const { app, now } = ctx;
  requireUsers(app, req.user_ids);
  optionalActor(app, req.new_channel_owner_id, 'new_channel_owner_id');
  optionalActor(app, req.new_call_owner_id, 'new_call_owner_id');
  const at = nowIso(now);
  const taskId = ctx.tasks.create(app, 'delete-users', now, () => {
    // Messages, conversations, calls and files have no state in the emulator: only the user mode has an effect.
    const result = perUser(app, req.user_ids, (user) => {
      if (req.user === 'hard') purgeUser(app, user.id);
      else if (req.user) {
        if (req.user === 'pruning') pruneUser(user);
        user.deleted_at = at;
        user.updated_at = at;
      }
    });
    return { result: { ...result, mode: { user: req.user ?? '', messages: req.messages ?? '', conversations: req.conversations ?? '', calls: req.calls ?? '', files: req.files ?? false } } };
  });
  return { task_id: taskId };
});

const restoreUsers = route('POST', '/api/v2/users/restore', 'RestoreUsers', (ctx) => {
  const { user_ids } = parseInput(z.object({ user_ids: userIds(100) }), ctx.body);
  const active = user_ids.find((id) => ctx.app.users.has(id) && !ctx.app.users.get(id)!.deleted_at);
  if (active !== undefined) throw inputError(`user "${active}" is not deleted, it can't be restored`);
  const unknown = user_ids.filter((id) => !ctx.app.users.has(id));
  if (unknown.length) throw inputError(`users do not exist: ${unknown.join(', ')}`, { user_ids: `users do not exist: ${unknown.join(', ')}` });
  const at = nowIso(ctx.now);
  for (const id of user_ids) {
    const user = ctx.app.users.get(id)!;
    delete user.deleted_at;
    user.updated_at = at;
  }
  return {};
});

type Actor = { created_by_id?: string | null | undefined };

/** DeactivateUser and ReactivateUser: the user the path names changes at once. */
function changeOne<S extends z.ZodType<Actor>>(schema: S, change: (user: Rec, at: string, req: z.infer<S>) => void) {
  return (ctx: RequestContext): Rec => {
    const req = parseInput(schema, ctx.body);
    const user = pathUser(ctx.app, ctx.params.user_id!);
    optionalActor(ctx.app, req.created_by_id, 'created_by_id');
    change(user, nowIso(ctx.now), req);
    return { user: userView(ctx.app, user) };
  };
}

/** DeactivateUsers and ReactivateUsers: a task changes each user still there when it completes. */
function changeMany(schema: z.ZodType<Actor & { user_ids: string[] }>, taskType: string, change: (user: Rec, at: string) => void) {
  return (ctx: RequestContext): Rec => {
    const req = parseInput(schema, ctx.body);
    requireUsers(ctx.app, req.user_ids);
    optionalActor(ctx.app, req.created_by_id, 'created_by_id');
    const at = nowIso(ctx.now);
    return { task_id: ctx.tasks.create(ctx.app, taskType, ctx.now, () => ({ result: perUser(ctx.app, req.user_ids, (u) => change(u, at)) })) };
  };
}

const deactivateUser = route('POST', '/api/v2/users/{user_id}/deactivate', 'DeactivateUser', changeOne(deactivateOne, (user, at) => deactivate(user, at)));
const reactivateUser = route('POST', '/api/v2/users/{user_id}/reactivate', 'ReactivateUser', changeOne(reactivateOne, (user, at, req) => reactivate(user, at, req.name)));
const deactivateUsers = route('POST', '/api/v2/users/deactivate', 'DeactivateUsers', changeMany(deactivateMany, 'deactivate-users', (user, at) => deactivate(user, at)));
const reactivateUsers = route('POST', '/api/v2/users/reactivate', 'ReactivateUsers', changeMany(reactivateMany, 'reactivate-users', (user, at) => reactivate(user, at)));

export const userLifecycle: Resource = {
  name: 'user lifecycle',
  routes: [deactivateUser, reactivateUser, deactivateUsers, reactivateUsers, deleteUsers, restoreUsers],
};
