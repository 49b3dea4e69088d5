/**
 * UpdateUsers (full upsert) and UpdateUsersPartial (`set`/`unset`), and the user write model CreateGuest shares.
 */
import { z } from 'zod';
import { inputError } from '../../errors.js';
import { readPath, setOwn, writablePath, writePath } from '../../paths.js';
import { mapSlice, type Resource } from '../../resource.js';
import { route, type RequestContext } from '../../router.js';
import type { AppState, Rec } from '../../store.js';
import { nowIso, parseInput } from '../../validate.js';
import { fullUserView } from './model.js';

declare module '../../store.js' {
  interface AppState {
    users: Map<string, Rec>;
  }
}

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

export const userRequest = z.object({
  id: USER_ID,
  ...Object.fromEntries(Object.entries(WRITABLE).map(([k, s]) => [k, s.nullish()])),
}) as z.ZodType<{ id: string } & { [K in WritableField]?: z.infer<(typeof WRITABLE)[K]> | null }>;
export type UserInput = z.infer<typeof userRequest>;

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
export function upsertedUser(app: AppState, input: UserInput, existing: Rec | undefined, at: string): Rec {
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

const updateUsers = route('POST', '/api/v2/users', 'UpdateUsers', (ctx) => {
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
});

const updateUsersPartial = route('PATCH', '/api/v2/users', 'UpdateUsersPartial', (ctx) => {
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
});

export const users: Resource = {
  name: 'users',
  state: { users: mapSlice() },
  routes: [updateUsers, updateUsersPartial],
};
