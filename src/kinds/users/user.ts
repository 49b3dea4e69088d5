import { z } from 'zod';
import type { DesiredObject, Rec } from '../../core/model.js';
import { blockedUsersSchema } from './blocked.js';
import { deviceSchema } from './devices.js';
import { pushPreferencesSchema } from './push-preferences.js';
import { defineKind, isRecord, overlay, pick } from '../define.js';
import type { ChangeInput, DesiredEntry } from '../types.js';
import type { ApiRequest } from '../../core/api.js';
import { readUserLifecycle, recordManagedUsers, USER_INVENTORY, userDeleteBatcher } from './lifecycle.js';
import { noDuplicates, queryUsersByIds, USER_FIELDS, userIdSchema, userLive } from './ids.js';
import { userUpsertBatchers } from './upserts.js';
import { type SatelliteList, withDeclaredLists } from './satellites.js';
import { fromPointer } from '../../core/pointer.js';


/** The fields of a user the API reads back (UserResponse) beyond UserRequest's: custom data may not use them. */
const SERVER_FIELDS = [
  'created_at',
  'updated_at',
  'deactivated_at',
  'deleted_at',
  'last_active',
  'banned',
  'shadow_banned',
  'ban_expires',
  'online',
  'devices',
  'blocked_user_ids',
  'revoke_tokens_issued_before',
  'push_notifications',
  'bypass_moderation',
  'avg_response_time',
] as const;

const RESERVED = new Set<string>(['id', ...USER_FIELDS, ...SERVER_FIELDS]);

const toggle = z.object({ enabled: z.boolean().describe('Whether it is on.') }).strict();
const roleName = z.string().min(1, 'a role name must not be empty').max(64, 'a role name must be at most 64 characters');

/**
 * Custom data: a map under `custom`, as UserRequest has it. Stream keeps custom fields beside the built-in
 * ones (a partial update sets them by their own name), so a key may not be a built-in field's name, and may not
 * hold a `.` (partial updates read dots as paths into nested objects).
 */
const customData = z.record(z.string(), z.unknown()).superRefine((custom, ctx) => {
  for (const key of Object.keys(custom)) {
    if (key === '') ctx.addIssue({ code: 'custom', message: 'a custom field name must not be empty', path: [key] });
    else if (RESERVED.has(key)) ctx.addIssue({ code: 'custom', message: `"${key}" is a built-in user field: declare it beside id, not under custom`, path: [key] });
    else if (key.includes('.')) ctx.addIssue({ code: 'custom', message: `custom field "${key}" must not contain "." (partial updates read dots as nested paths)`, path: [key] });
  }
});

export const userSchema = z
  .object({
    id: userIdSchema.describe('Identity: the user id (`user/<id>`): letters, digits, @, _ and -, at most 255 characters.'),
    name: z.string().optional().describe('The user\'s display name.'),
    image: z.string().optional().describe('The URL of the user\'s profile image.'),
    /** The global role: a built-in or a custom role (`role/<name>` must exist or be declared). */
    role: roleName.optional().describe('The user\'s global role: a built-in role (e.g. user, admin) or a custom one declared in roles or existing in the app.'),
    teams: z.array(z.string().min(1, 'a team name must not be empty')).superRefine(noDuplicates('teams')).optional().describe('The teams the user belongs to (multi-tenant apps; a set).'),
    /** Team → role within that team; only the teams listed are managed. */
    teams_role: z.record(z.string().min(1), roleName).optional().describe('Team → the user\'s role within that team; only the teams listed are managed.'),
    language: z.string().optional().describe('The user\'s language (e.g. en), used by automatic translation.'),
    invisible: z.boolean().optional().describe('Whether the user appears offline to others.'),
    privacy_settings: z
      .object({
        typing_indicators: toggle.optional().describe('Whether others see when the user is typing.'),
        read_receipts: toggle.optional().describe('Whether others see when the user has read their messages.'),
        delivery_receipts: toggle.optional().describe('Whether others see when the user\'s device has received their messages.'),
      })
      .strict()
      .optional()
      .describe('What the user shares with others: typing indicators and read and delivery receipts.'),
    custom: customData.optional().describe('Custom data: your own fields (names not those of built-in fields, without dots); only the keys declared are managed.'),
    /** `true` deactivates the user (DeactivateUser), `false` reactivates it (ReactivateUser); unset, left as is. */
    deactivated: z.boolean().optional().describe('true deactivates the user (DeactivateUser), false reactivates it (ReactivateUser); absent: left as is.'),
    /** `device/<user_id>/<id>`: with the key present (even `[]`), this user's devices are managed. */
    devices: z.array(deviceSchema).superRefine(noDuplicateIds).optional().describe('The user\'s push devices (`device/<user_id>/<id>`); with the key present, even [], the user\'s devices are managed.'),
    /** `blocked_user/<user_id>/<blocked_user_id>`: with the key present (even `[]`), this user's blocks are managed. */
    blocked_users: blockedUsersSchema.optional().describe('Ids of users this user blocks (a set, `blocked_user/<user_id>/<id>`); with the key present, even [], the blocks are managed.'),
    /** `push_preference/<user_id>`: write-only, applied when its fingerprint changes. */
    push_preferences: pushPreferencesSchema.optional().describe('The user\'s push preferences (`push_preference/<user_id>`): write-only, applied when their fingerprint changes.'),
  })
  .strict()
  .superRefine((u, ctx) => {
    const self = u.blocked_users?.indexOf(u.id) ?? -1;
    if (self >= 0) ctx.addIssue({ code: 'custom', message: `user "${u.id}" cannot block itself`, path: ['blocked_users', self] });
  });

function noDuplicateIds(devices: readonly { id: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  devices.forEach((d, j) => {
    if (seen.has(d.id)) ctx.addIssue({ code: 'custom', message: `devices lists "${d.id}" twice`, path: [j, 'id'] });
    seen.add(d.id);
  });
}

/** A device token belongs to one user: the API moves a device registered for another user, so two users cannot both declare it. */
const usersSchema = z.array(userSchema).superRefine((users, ctx) => {
  const owner = new Map<string, string>();
  users.forEach((u, i) =>
    u.devices?.forEach((d, j) => {
      const first = owner.get(d.id);
      if (first !== undefined && first !== u.id) ctx.addIssue({ code: 'custom', message: `device "${d.id}" is already declared under user "${first}": a device belongs to one user`, path: [i, 'devices', j, 'id'] });
      else owner.set(d.id, u.id);
    }),
  );
});

const SATELLITE_LISTS: readonly SatelliteList[] = ['devices', 'blocked_users'];

/** A declared user and its satellites, each its own object: the user's entry keeps only UserRequest's fields and `deactivated`. */
function userEntries(user: Rec, i: number): DesiredEntry[] {
  const { devices, blocked_users, push_preferences, ...fields } = user as Rec & { devices?: Rec[]; blocked_users?: string[]; push_preferences?: Rec };
  const lists = SATELLITE_LISTS.filter((l) => user[l] !== undefined);
  const at = (...rest: (string | number)[]) => ['users', i, ...rest];
  return [
    { kind: 'user', fields: withDeclaredLists(fields, lists), path: at() },
    ...(devices ?? []).map((d, j): DesiredEntry => ({ kind: 'device', fields: { user_id: user.id, ...d }, path: at('devices', j) })),
    ...(blocked_users ?? []).map((b, j): DesiredEntry => ({ kind: 'blocked_user', fields: { user_id: user.id, blocked_user_id: b }, path: at('blocked_users', j) })),
    ...(push_preferences ? [{ kind: 'push_preference', fields: { user_id: user.id, ...push_preferences }, path: at('push_preferences') }] : []),
  ];
}

/** The `set` of UpdateUsersPartial that realises an update's field changes; custom fields are set by their own name. */
export function partialSet({ desired, live, fields }: Pick<ChangeInput, 'desired' | 'live' | 'fields'>): Rec {
  const want = desired!.fields;
  const have = live?.fields ?? {};
  const set: Rec = {};
  for (const { path } of fields) {
    const [top, key] = fromPointer(path);
    // `deactivated` is not a user field: it is realised by DeactivateUser / ReactivateUser.
    if (!top || top === 'id' || top === 'deactivated') continue;
    if (top === 'custom' && key !== undefined) {
      const wantCustom = want.custom as Rec;
      const haveCustom = (isRecord(have.custom) ? have.custom : {}) as Rec;
      // A nested change writes the key whole, with the live value's unmanaged nested keys kept.
      set[key] = path === `/custom/${key}` ? wantCustom[key] : overlay(haveCustom[key], wantCustom[key]);
      continue;
    }
    // `/teams_role/<team>` or `/privacy_settings/...`: the field is written whole, unmanaged keys kept. A change
    // at the field itself (a scalar, a set, or an explicit `{}`) writes exactly the declared value.
    set[top] = path === `/${top}` ? want[top] : overlay(have[top], want[top]);
  }
  return set;
}

/** DeactivateUser / ReactivateUser for a change of `/deactivated` (reactivation before the update, deactivation after it). */
function lifecycleRequests({ desired, live, fields }: Pick<ChangeInput, 'desired' | 'live' | 'fields'>, id: string): { before: ApiRequest[]; after: ApiRequest[] } {
  const none = { before: [], after: [] };
  if (!fields.some((f) => f.path === '/deactivated')) return none;
  const want = desired!.fields.deactivated;
  const was = live?.fields.deactivated === true;
  const req = (op: 'DeactivateUser' | 'ReactivateUser'): ApiRequest => ({
    op,
    method: 'POST',
    path: op === 'DeactivateUser' ? '/api/v2/users/{user_id}/deactivate' : '/api/v2/users/{user_id}/reactivate',
    params: { user_id: id },
    body: {},
    // Deactivating a deactivated user (or reactivating an active one) changes nothing: safe to send again.
    idempotent: true,
  });
  if (want === true && !was) return { before: [], after: [req('DeactivateUser')] };
  if (want === false && was) return { before: [req('ReactivateUser')], after: [] };
  return none;
}

function partialUpdate(change: Pick<ChangeInput, 'desired' | 'live' | 'fields'>, id: string): ApiRequest[] {
  const set = partialSet(change);
  if (Object.keys(set).length === 0) return [];
  return [{ op: 'UpdateUsersPartial', method: 'PATCH', path: '/api/v2/users', body: { users: [{ id, set }] }, idempotent: true }];
}

/**
 * Users (`user/<id>`): created with UpdateUsers (an upsert by id), updated with UpdateUsersPartial so fields the
 * file does not declare are kept. Only declared fields are managed; `teams` is a set; `teams_role` and `custom`
 * are managed per declared key; `deactivated` maps to DeactivateUser / ReactivateUser. Users are never listed:
 * only declared users (and users other declared objects refer to, such as group members) are read, by id.
 *
 * The rest of the lifecycle is in `user-lifecycle.ts`: deletes (only of users stream-sync managed before, with
 * `users` in `policy.prune`), run in batches through DeleteUsers and awaited; and the restore of a soft-deleted
 * user the file declares, which the plan shows as a create that carries the deleted user as its live object.
 * `export` leaves users out.
 */
export const userKind = defineKind({
  kind: 'user',
  section: 'users',
  schema: usersSchema,
  entries: (section) => (section as Rec[]).flatMap(userEntries),
  dependsOn: ['role'],
  // Group memberships are released before the users they name are deleted.
  releasedBy: ['user_group'],
  refs: (fields) => {
    const roles = [fields.role, ...Object.values((fields.teams_role as Rec | undefined) ?? {})].filter((r): r is string => typeof r === 'string');
    return [...new Set(roles)].map((r) => `role/${r}`);
  },
  refsAt: (fields) => [
    ...(typeof fields.role === 'string' ? [{ ref: `role/${fields.role}`, path: ['role'] }] : []),
    ...Object.entries((fields.teams_role as Rec | undefined) ?? {}).flatMap(([team, r]) => (typeof r === 'string' ? [{ ref: `role/${r}`, path: ['teams_role', team] }] : [])),
  ],
  setFields: ['/teams'],
  identityFields: ['id'],
  // Only by inventory (user-lifecycle.ts): undeclared users read here are never deletable.
  prunedByInventory: true,
  async fetch(api, desired, opts) {
    const declared = new Set(desired.map((d) => String(d.fields.id)));
    const referenced = (opts.referenced ?? []).filter((a) => a.startsWith('user/')).map((a) => a.slice('user/'.length));
    return (await queryUsersByIds(api, [...declared, ...referenced])).map((u) => userLive(u, !declared.has(String(u.id))));
  },
  requests(change) {
    const { action, desired, live } = change;
    const id = String((desired ?? live)!.fields.id);
    // Deletes carry the app's delete mode and are awaited as one task per 100 users: user-lifecycle.ts runs them.
    if (action === 'delete') throw new Error(`${change.address}: user deletes run in batches through DeleteUsers (userDeleteBatcher), not one by one`);
    const { before, after } = lifecycleRequests(change, id);
    if (action === 'create' && live) {
      // A soft-deleted user the file declares again: restore it, then write what the file declares over what it kept.
      const restore: ApiRequest = { op: 'RestoreUsers', method: 'POST', path: '/api/v2/users/restore', body: { user_ids: [id] }, idempotent: false };
      return [restore, ...before, ...partialUpdate(change, id), ...after];
    }
    if (action === 'create') {
      const user = { id, ...pick(desired!.fields, USER_FIELDS) };
      // An upsert by id: sending it again after an ambiguous failure is safe.
      return [{ op: 'UpdateUsers', method: 'POST', path: '/api/v2/users', body: { users: { [id]: user } }, idempotent: true }, ...after];
    }
    return [...before, ...partialUpdate(change, id), ...after];
  },
  async extendLive(api, { desired, live, inventories }) {
    return readUserLifecycle(api, desired, live, inventories.inventory(USER_INVENTORY));
  },
  batchers: ({ policy, taskWait }) => [...userUpsertBatchers((change) => userKind.requests(change)), userDeleteBatcher(policy, taskWait)],
  afterApply: ({ inventories, desired, plan, result }) => recordManagedUsers(inventories, desired, plan, result),
  /** After an ambiguous RestoreUsers: the user, if it is back. */
  async reread(api, desired: DesiredObject) {
    const [found] = await queryUsersByIds(api, [String(desired.fields.id)]);
    return found && !found.deleted_at ? userLive(found) : undefined;
  },
  // No toFile: `export` never lists users (an app can have millions); declare the ones to manage by hand.
});
