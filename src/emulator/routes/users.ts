/**
 * Users and what hangs off them: upsert and partial update, QueryUsers, (de)activation, deletion and restore,
 * exports, blocks, live locations and guests. Users are stored in the read shape of `UserResponse` (without the
 * computed `blocked_user_ids`); the views below add what other maps hold.
 */
import { SignJWT } from 'jose';
import { z } from 'zod';
import { inputError, notFound } from '../errors.js';
import type { RequestContext, Route } from '../router.js';
import { checkJsonInput, readPath, setOwn, writablePath, writePath } from '../paths.js';
import type { AppState, Rec } from '../store.js';
import { nowIso, parseInput, queryRequired } from '../validate.js';
import { compileUserFilter, filterMentions, sortUsers } from './user-query.js';

// ---------------------------------------------------------------------------------------------------------------
// Views and lookups shared with devices.ts and push-preferences.ts

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
function pathUser(app: AppState, id: string): Rec {
  const user = app.users.get(id);
  if (!user || user.deleted_at) throw notFound(`user "${id}" does not exist`);
  return user;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing users

const USER_ID = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[@\w-]+$/, { error: 'must only contain letters, numbers, "@", "_" and "-"' });

const enabled = z.object({ enabled: z.boolean() });
const privacySettings = z.object({ delivery_receipts: enabled.optional(), read_receipts: enabled.optional(), typing_indicators: enabled.optional() });

/** The writable user fields, each nullable: `null` clears a field. */
const WRITABLE = {
  name: z.string(),
  image: z.string(),
  role: z.string().min(1),
  teams: z.array(z.string().min(1)),
  teams_role: z.record(z.string(), z.string().min(1)),
  language: z.string(),
  invisible: z.boolean(),
  custom: z.record(z.string(), z.unknown()),
  privacy_settings: privacySettings,
} as const;
type WritableField = keyof typeof WRITABLE;
const isWritable = (k: string): k is WritableField => Object.hasOwn(WRITABLE, k);

/** What a cleared field reads back as (absent when not listed). */
const DEFAULTS: Partial<Record<WritableField, () => unknown>> = {
  role: () => 'user',
  teams: () => [],
  language: () => '',
  invisible: () => false,
  custom: () => ({}),
};

/** Fields the server owns: a partial update may not set them. */
const SERVER_FIELDS = new Set(['id', 'created_at', 'updated_at', 'banned', 'shadow_banned', 'online', 'last_active', 'deactivated_at', 'deleted_at', 'ban_expires', 'blocked_user_ids', 'devices', 'revoke_tokens_issued_before']);

const userRequest = z.object({
  id: USER_ID,
  ...Object.fromEntries(Object.entries(WRITABLE).map(([k, s]) => [k, s.nullish()])),
}) as z.ZodType<{ id: string } & { [K in WritableField]?: z.infer<(typeof WRITABLE)[K]> | null }>;
type UserInput = z.infer<typeof userRequest>;

function setField(user: Rec, field: WritableField, value: unknown): void {
  if (value === null || value === undefined) {
    const fallback = DEFAULTS[field];
    if (fallback) user[field] = fallback();
    else delete user[field];
  } else user[field] = value;
}

function checkRoles(app: AppState, user: Rec): void {
  const roles = [user.role, ...Object.values(user.teams_role ?? {})] as string[];
  for (const role of roles) if (!app.roles.has(role)) throw inputError(`role "${role}" does not exist`, { role: `role "${role}" does not exist` });
}

/** UpdateUsers replaces the whole user: fields not sent go back to their defaults; server-owned fields stay. */
function upsertedUser(app: AppState, input: UserInput, existing: Rec | undefined, at: string): Rec {
  if (existing?.deleted_at) throw inputError(`user "${input.id}" was deleted; restore it before updating it`);
  const user: Rec = {
    id: input.id,
    banned: false,
    online: false,
    shadow_banned: false,
    ...Object.fromEntries(Object.entries(existing ?? {}).filter(([k]) => SERVER_FIELDS.has(k))),
    created_at: existing?.created_at ?? at,
    updated_at: at,
  };
  for (const field of Object.keys(WRITABLE) as WritableField[]) setField(user, field, input[field]);
  // An upsert without a role keeps the existing role; new users get `user`.
  if (input.role === undefined && existing) user.role = existing.role;
  checkRoles(app, user);
  return user;
}

/**
 * Resolves a `set`/`unset` key: writable fields, nested paths into them, and any other key into custom data. Paths
 * walk own keys only and may not name `__proto__`, `constructor` or `prototype` (400/4).
 */
function patchPath(user: Rec, key: string, value: unknown, where: string): void {
  const [head, ...rest] = writablePath(key, where) as [string, ...string[]];
  if (SERVER_FIELDS.has(head)) throw inputError(`${where}: field "${head}" cannot be updated`, { [where]: `field "${head}" cannot be updated` });
  if (isWritable(head) && rest.length === 0) {
    if (value !== null && value !== undefined) parseInput(z.object({ [key]: WRITABLE[head] }), { [key]: value });
    setField(user, head, value);
    return;
  }
  const root = isWritable(head) ? head : 'custom';
  const path = isWritable(head) ? rest : [head, ...rest];
  const current = readPath(user, [root]);
  const copy: Rec = current !== null && typeof current === 'object' && !Array.isArray(current) ? structuredClone(current as Rec) : {};
  writePath(copy, path, value === null ? undefined : value);
  if (root !== 'custom') parseInput(z.object({ [root]: WRITABLE[root] }), { [root]: copy });
  user[root] = copy;
}

const partialRequest = (max: number) =>
  z.object({
    users: z
      .array(z.object({ id: z.string().min(1), set: z.record(z.string(), z.unknown()).nullish(), unset: z.array(z.string()).nullish() }))
      .min(1)
      .max(max),
  });

/**
 * Stream deletes a user's channel memberships in teams it leaves in the background; an update that removes teams
 * answers that task's id (and `""` otherwise, as the spec requires the field).
 */
function membershipDeletionTask(ctx: RequestContext, before: Map<string, Rec>, after: Map<string, Rec>): string {
  const removed: Rec = {};
  for (const [id, user] of after) {
    const old = before.get(id);
    const gone = ((old?.teams ?? []) as string[]).filter((t) => !(user.teams as string[]).includes(t));
    if (gone.length) setOwn(removed, id, gone);
  }
  if (!Object.keys(removed).length) return '';
  return ctx.tasks.create(ctx.app, 'delete-team-memberships', ctx.now, () => ({ result: { removed_teams: removed } }));
}

function commitUsers(ctx: RequestContext, updated: Map<string, Rec>): Rec {
  const before = new Map([...updated.keys()].map((id) => [id, ctx.app.users.get(id)] as const).filter((e): e is [string, Rec] => !!e[1]));
  for (const [id, user] of updated) ctx.app.users.set(id, user);
  const users = Object.fromEntries([...updated].map(([id, u]) => [id, fullUserView(ctx.app, u)]));
  return { users, membership_deletion_task_id: membershipDeletionTask(ctx, before, updated) };
}

function updateUsers(ctx: RequestContext): Rec {
  const max = ctx.quotas.usersPerUpdate;
  const { users } = parseInput(z.object({ users: z.record(z.string(), z.unknown()) }), ctx.body);
  const entries = Object.entries(users);
  if (entries.length === 0) throw inputError('users must contain at least 1 item(s)', { users: 'users must contain at least 1 item(s)' });
  if (entries.length > max) throw inputError(`users must contain at maximum ${max} item(s)`, { users: `users must contain at maximum ${max} item(s)` });
  const at = nowIso(ctx.now);
  const updated = new Map<string, Rec>();
  for (const [key, raw] of entries) {
    const input = parseInput(z.object({ [key]: userRequest }), { [key]: raw })[key] as UserInput;
    if (input.id !== key) throw inputError(`users.${key}: the key must equal the user's id "${input.id}"`, { [`users.${key}`]: 'key does not match id' });
    updated.set(key, upsertedUser(ctx.app, input, ctx.app.users.get(key), at));
  }
  return commitUsers(ctx, updated);
}

function updateUsersPartial(ctx: RequestContext): Rec {
  const { users } = parseInput(partialRequest(ctx.quotas.usersPerPartialUpdate), ctx.body);
  const at = nowIso(ctx.now);
  const updated = new Map<string, Rec>();
  users.forEach((patch, i) => {
    const current = updated.get(patch.id) ?? ctx.app.users.get(patch.id);
    if (!current || current.deleted_at) throw inputError(`user "${patch.id}" does not exist`, { [`users.${i}.id`]: `user "${patch.id}" does not exist` });
    const set = patch.set ?? {};
    const unset = patch.unset ?? [];
    const both = unset.find((k) => Object.hasOwn(set, k));
    if (both) throw inputError(`users.${i}: field "${both}" is both in set and unset`);
    const user = structuredClone(current);
    for (const [k, v] of Object.entries(set)) patchPath(user, k, v, `users.${i}.set.${k}`);
    for (const k of unset) patchPath(user, k, undefined, `users.${i}.unset`);
    checkRoles(ctx.app, user);
    user.updated_at = at;
    updated.set(patch.id, user);
  });
  return commitUsers(ctx, updated);
}

// ---------------------------------------------------------------------------------------------------------------
// QueryUsers

const queryPayload = (maxLimit: number, maxOffset: number) =>
  z.object({
    filter_conditions: z.record(z.string(), z.unknown()),
    sort: z
      .array(z.object({ field: z.string().min(1), direction: z.literal([1, -1]).optional(), type: z.string().optional() }))
      .max(5)
      .nullish(),
    limit: z.number().int().min(0).max(maxLimit).nullish(),
    offset: z.number().int().min(0).max(maxOffset).nullish(),
    include_deactivated_users: z.boolean().nullish(),
    presence: z.boolean().nullish(),
  });

const DEFAULT_QUERY_LIMIT = 30;

function queryUsers(ctx: RequestContext): Rec {
  const raw = queryRequired(ctx.query, 'payload');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw inputError('payload is not valid JSON', { payload: 'payload is not valid JSON' });
  }
  checkJsonInput(json, 'payload');
  const q = parseInput(queryPayload(ctx.quotas.queryUsersLimit, ctx.quotas.queryUsersOffset), json);
  const matches = compileUserFilter(q.filter_conditions);
  // Deleted users show up only when the filter asks about deletion; deactivated ones only when included.
  const withDeleted = filterMentions(q.filter_conditions, 'deleted_at');
  const candidates = [...ctx.app.users.values()].filter(
    (u) => (withDeleted || !u.deleted_at) && (q.include_deactivated_users || !u.deactivated_at) && matches(u),
  );
  const offset = q.offset ?? 0;
  const limit = q.limit || DEFAULT_QUERY_LIMIT;
  const page = sortUsers(candidates, q.sort ?? undefined).slice(offset, offset + limit);
  return { users: page.map((u) => fullUserView(ctx.app, u)) };
}

// ---------------------------------------------------------------------------------------------------------------
// Deactivation, deletion, restore

const userIds = (max: number) => z.array(z.string().min(1)).min(1).max(max);

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

function deleteUsers(ctx: RequestContext): Rec {
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
}

function restoreUsers(ctx: RequestContext): Rec {
  const { user_ids } = parseInput(z.object({ user_ids: userIds(100) }), ctx.body);
  const notDeleted = user_ids.filter((id) => !ctx.app.users.get(id)?.deleted_at);
  if (notDeleted.length) {
    throw inputError(`users are not deleted or do not exist: ${notDeleted.join(', ')}`, { user_ids: `users are not deleted or do not exist: ${notDeleted.join(', ')}` });
  }
  const at = nowIso(ctx.now);
  for (const id of user_ids) {
    const user = ctx.app.users.get(id)!;
    delete user.deleted_at;
    user.updated_at = at;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------------------------
// Exports

function exportDocument(app: AppState, users: Rec[]): Rec {
  return { users: users.map((u) => userView(app, u)), messages: [], reactions: [] };
}

/** The export is handed back as a `data:` URL: a real, fetchable URL that needs no file server. */
function exportUsers(ctx: RequestContext): Rec {
  const { user_ids } = parseInput(z.object({ user_ids: userIds(25) }), ctx.body);
  const { app } = ctx;
  const unknown = user_ids.filter((id) => !app.users.has(id));
  if (unknown.length) throw inputError(`users do not exist: ${unknown.join(', ')}`, { user_ids: `users do not exist: ${unknown.join(', ')}` });
  const taskId = ctx.tasks.create(app, 'export-users', ctx.now, () => {
    const users = user_ids.map((id) => app.users.get(id)).filter((u): u is Rec => !!u);
    const json = JSON.stringify(exportDocument(app, users));
    return { result: { url: `data:application/json;base64,${Buffer.from(json).toString('base64')}` } };
  });
  return { task_id: taskId };
}

// ---------------------------------------------------------------------------------------------------------------
// Blocks

const blockRequest = z.object({ blocked_user_id: z.string().min(1), user_id: z.string().nullish(), user: z.object({ id: z.string() }).nullish() });

function blockParties(ctx: RequestContext): { userId: string; blockedId: string } {
  const req = parseInput(blockRequest, ctx.body);
  const userId = serverSideUserId(req);
  if (userId === req.blocked_user_id) throw inputError('a user cannot block themselves', { blocked_user_id: 'a user cannot block themselves' });
  requireUser(ctx.app, userId);
  requireUser(ctx.app, req.blocked_user_id, 'blocked_user_id');
  return { userId, blockedId: req.blocked_user_id };
}

function blockUsers(ctx: RequestContext): Rec {
  const { userId, blockedId } = blockParties(ctx);
  const key = `${userId}/${blockedId}`;
  let block = ctx.app.blockedUsers.get(key);
  if (!block) {
    block = { user_id: userId, blocked_user_id: blockedId, created_at: nowIso(ctx.now) };
    ctx.app.blockedUsers.set(key, block);
  }
  return { blocked_by_user_id: userId, blocked_user_id: blockedId, created_at: block.created_at };
}

function unblockUsers(ctx: RequestContext): Rec {
  const { userId, blockedId } = blockParties(ctx);
  ctx.app.blockedUsers.delete(`${userId}/${blockedId}`);
  return {};
}

function getBlockedUsers(ctx: RequestContext): Rec {
  const { app } = ctx;
  const user = requireUser(app, queryRequired(ctx.query, 'user_id'));
  const blocks = [...app.blockedUsers.values()]
    .filter((b) => b.user_id === user.id && app.users.has(b.blocked_user_id))
    .map((b) => ({ ...b, user: userView(app, user), blocked_user: userView(app, app.users.get(b.blocked_user_id)!) }));
  return { blocks };
}

// ---------------------------------------------------------------------------------------------------------------
// Live locations (key `${user_id}/${message_id}`)

/** RFC 3339 strings or epoch milliseconds, as clients send `date-time` fields. */
export const dateTime = z.union([z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: 'must be an RFC 3339 date-time' }), z.number()]).transform((v) => new Date(v).toISOString());

const liveLocationRequest = z.object({
  message_id: z.string().min(1),
  // The spec's minimums for these are broken (an overflowed unsigned value); the real bounds are used.
  latitude: z.number().min(-90).max(90).nullish(),
  longitude: z.number().min(-180).max(180).nullish(),
  end_at: dateTime.nullish(),
});

function updateLiveLocation(ctx: RequestContext): Rec {
  const userId = requireUser(ctx.app, queryRequired(ctx.query, 'user_id')).id as string;
  const req = parseInput(liveLocationRequest, ctx.body);
  const key = `${userId}/${req.message_id}`;
  const existing = ctx.app.liveLocations.get(key);
  const at = nowIso(ctx.now);
  if (existing?.end_at && Date.parse(existing.end_at) <= ctx.now) throw inputError(`live location of message "${req.message_id}" has ended`);
  const latitude = req.latitude ?? existing?.latitude;
  const longitude = req.longitude ?? existing?.longitude;
  if (latitude === undefined || longitude === undefined) {
    throw inputError('latitude and longitude are required to start a live location', { latitude: 'latitude is a required field' });
  }
  const location: Rec = {
    channel_cid: '',
    created_by_device_id: '',
    created_at: at,
    ...existing,
    message_id: req.message_id,
    user_id: userId,
    latitude,
    longitude,
    updated_at: at,
  };
  if (req.end_at) location.end_at = req.end_at;
  ctx.app.liveLocations.set(key, location);
  return { ...location };
}

function getUserLiveLocations(ctx: RequestContext): Rec {
  const userId = requireUser(ctx.app, queryRequired(ctx.query, 'user_id')).id as string;
  const active = [...ctx.app.liveLocations.values()].filter((l) => l.user_id === userId && (!l.end_at || Date.parse(l.end_at) > ctx.now));
  return { active_live_locations: active };
}

// ---------------------------------------------------------------------------------------------------------------
// Guests

async function createGuest(ctx: RequestContext): Promise<Rec> {
  const { user: input } = parseInput(z.object({ user: userRequest }), ctx.body);
  if (ctx.app.users.has(input.id)) throw inputError(`user "${input.id}" already exists`, { 'user.id': `user "${input.id}" already exists` });
  const user = upsertedUser(ctx.app, { ...input, role: 'guest' }, undefined, nowIso(ctx.now));
  ctx.app.users.set(user.id, user);
  const accessToken = await new SignJWT({ user_id: user.id }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(ctx.app.secret));
  return { user: userView(ctx.app, user), access_token: accessToken };
}

// ---------------------------------------------------------------------------------------------------------------

export const usersRoutes: Route[] = [
  { method: 'GET', path: '/api/v2/users', op: 'QueryUsers', handler: queryUsers },
  { method: 'POST', path: '/api/v2/users', op: 'UpdateUsers', handler: updateUsers },
  { method: 'PATCH', path: '/api/v2/users', op: 'UpdateUsersPartial', handler: updateUsersPartial },
  {
    method: 'POST',
    path: '/api/v2/users/{user_id}/deactivate',
    op: 'DeactivateUser',
    handler: (ctx) => {
      const req = parseInput(deactivateOne, ctx.body);
      const user = pathUser(ctx.app, ctx.params.user_id!);
      optionalActor(ctx.app, req.created_by_id, 'created_by_id');
      deactivate(user, nowIso(ctx.now));
      return { user: userView(ctx.app, user) };
    },
  },
  {
    method: 'POST',
    path: '/api/v2/users/{user_id}/reactivate',
    op: 'ReactivateUser',
    handler: (ctx) => {
      const req = parseInput(reactivateOne, ctx.body);
      const user = pathUser(ctx.app, ctx.params.user_id!);
      optionalActor(ctx.app, req.created_by_id, 'created_by_id');
      reactivate(user, nowIso(ctx.now), req.name);
      return { user: userView(ctx.app, user) };
    },
  },
  {
    method: 'POST',
    path: '/api/v2/users/deactivate',
    op: 'DeactivateUsers',
    handler: (ctx) => {
      const req = parseInput(deactivateMany, ctx.body);
      requireUsers(ctx.app, req.user_ids);
      optionalActor(ctx.app, req.created_by_id, 'created_by_id');
      const at = nowIso(ctx.now);
      return { task_id: ctx.tasks.create(ctx.app, 'deactivate-users', ctx.now, () => ({ result: perUser(ctx.app, req.user_ids, (u) => deactivate(u, at)) })) };
    },
  },
  {
    method: 'POST',
    path: '/api/v2/users/reactivate',
    op: 'ReactivateUsers',
    handler: (ctx) => {
      const req = parseInput(reactivateMany, ctx.body);
      requireUsers(ctx.app, req.user_ids);
      optionalActor(ctx.app, req.created_by_id, 'created_by_id');
      const at = nowIso(ctx.now);
      return { task_id: ctx.tasks.create(ctx.app, 'reactivate-users', ctx.now, () => ({ result: perUser(ctx.app, req.user_ids, (u) => reactivate(u, at)) })) };
    },
  },
  { method: 'POST', path: '/api/v2/users/delete', op: 'DeleteUsers', handler: deleteUsers },
  { method: 'POST', path: '/api/v2/users/restore', op: 'RestoreUsers', handler: restoreUsers },
  {
    method: 'GET',
    path: '/api/v2/users/{user_id}/export',
    op: 'ExportUser',
    handler: (ctx) => {
      const user = ctx.app.users.get(ctx.params.user_id!);
      if (!user) throw notFound(`user "${ctx.params.user_id}" does not exist`);
      const { users, ...rest } = exportDocument(ctx.app, [user]);
      return { user: users[0], ...rest };
    },
  },
  { method: 'POST', path: '/api/v2/export/users', op: 'ExportUsers', handler: exportUsers },
  { method: 'GET', path: '/api/v2/users/block', op: 'GetBlockedUsers', handler: getBlockedUsers },
  { method: 'POST', path: '/api/v2/users/block', op: 'BlockUsers', handler: blockUsers },
  { method: 'POST', path: '/api/v2/users/unblock', op: 'UnblockUsers', handler: unblockUsers },
  { method: 'GET', path: '/api/v2/users/live_locations', op: 'GetUserLiveLocations', handler: getUserLiveLocations },
  { method: 'PUT', path: '/api/v2/users/live_locations', op: 'UpdateLiveLocation', handler: updateLiveLocation },
  { method: 'POST', path: '/api/v2/guest', op: 'CreateGuest', handler: createGuest },
];
