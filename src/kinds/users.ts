import { z } from 'zod';
import type { LiveObject, Rec } from '../model.js';
import { isRecord, liveObject, overlay, pick } from './shared.js';
import type { Api, ApiRequest, ChangeInput, KindSpec } from './types.js';

/** Stream's rule for user ids: letters, digits, `@`, `_` and `-` (so never a `/`), at most 255 characters. */
export const userIdSchema = z
  .string()
  .min(1, 'a user id must not be empty')
  .max(255, 'a user id must be at most 255 characters')
  .regex(/^[@\w-]+$/, 'a user id may only contain letters, digits, "@", "_" and "-"');

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

/** UserRequest's fields, as the file declares them (besides `id`). */
export const USER_FIELDS = ['name', 'image', 'role', 'teams', 'teams_role', 'language', 'invisible', 'privacy_settings', 'custom'] as const;
const RESERVED = new Set<string>(['id', ...USER_FIELDS, ...SERVER_FIELDS]);

const toggle = z.object({ enabled: z.boolean() }).strict();
const roleName = z.string().min(1, 'a role name must not be empty').max(64, 'a role name must be at most 64 characters');
/** A set written as a list: the same value twice would never compare equal to what the API keeps. */
export const noDuplicates = (what: string) => (items: readonly string[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  for (const [i, item] of items.entries()) {
    if (seen.has(item)) ctx.addIssue({ code: 'custom', message: `${what} lists "${item}" twice`, path: [i] });
    seen.add(item);
  }
};

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
    id: userIdSchema,
    name: z.string().optional(),
    image: z.string().optional(),
    /** The global role: a built-in or a custom role (`role/<name>` must exist or be declared). */
    role: roleName.optional(),
    teams: z.array(z.string().min(1, 'a team name must not be empty')).superRefine(noDuplicates('teams')).optional(),
    /** Team → role within that team; only the teams listed are managed. */
    teams_role: z.record(z.string().min(1), roleName).optional(),
    language: z.string().optional(),
    invisible: z.boolean().optional(),
    privacy_settings: z.object({ typing_indicators: toggle.optional(), read_receipts: toggle.optional(), delivery_receipts: toggle.optional() }).strict().optional(),
    custom: customData.optional(),
  })
  .strict();

const address = (id: unknown) => `user/${String(id)}`;

/** A live user (QueryUsers' FullUserResponse) in the file's shape: UserRequest's fields, custom data under `custom`. */
export function userLive(u: Rec): LiveObject {
  const fields = pick(u, ['id', ...USER_FIELDS]);
  if (!isRecord(fields.custom)) fields.custom = {};
  return liveObject('user', address(u.id), fields);
}

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

export function queryUsersRequest(ids: readonly string[]): ApiRequest {
  return {
    op: 'QueryUsers',
    method: 'GET',
    path: '/api/v2/users',
    // Deactivated users are still users: a declared one must be found, not created again.
    query: { payload: { filter_conditions: { id: { $in: ids } }, limit: BATCH, include_deactivated_users: true } },
    idempotent: true,
  };
}

/** The users with these ids (never a listing of the app's users: an app can have millions). */
async function queryByIds(api: Api, ids: readonly string[]): Promise<Rec[]> {
  const pages = await Promise.all(idBatches(ids).map((batch) => api.send<{ users: Rec[] }>(queryUsersRequest(batch))));
  return pages.flatMap((p) => p.users);
}

/** The `set` of UpdateUsersPartial that realises an update's field changes; custom fields are set by their own name. */
export function partialSet({ desired, live, fields }: Pick<ChangeInput, 'desired' | 'live' | 'fields'>): Rec {
  const want = desired!.fields;
  const have = live?.fields ?? {};
  const set: Rec = {};
  for (const { path } of fields) {
    const [, top, key] = path.split('/');
    if (!top || top === 'id') continue;
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

/**
 * Users (`user/<id>`): created with UpdateUsers (an upsert by id), updated with UpdateUsersPartial so fields the
 * file does not declare are kept. Only declared fields are managed; `teams` is a set; `teams_role` and `custom`
 * are managed per declared key. Users are never deleted here and never listed: only declared users (and users
 * other declared objects refer to, such as group members) are read, by id. `export` leaves users out.
 */
export const userKind: KindSpec = {
  kind: 'user',
  section: 'users',
  schema: z.array(userSchema),
  entries: (section) => (section as Rec[]).map((fields, i) => ({ kind: 'user', fields, path: ['users', i] })),
  address: (fields) => address(fields.id),
  dependsOn: ['role'],
  refs: (fields) => {
    const roles = [fields.role, ...Object.values((fields.teams_role as Rec | undefined) ?? {})].filter((r): r is string => typeof r === 'string');
    return [...new Set(roles)].map((r) => `role/${r}`);
  },
  secretFields: [],
  writeOnlyFields: [],
  setFields: ['/teams'],
  identityFields: ['id'],
  // Deleting users (by inventory, with `policy.user_delete`) belongs to the user lifecycle, not here.
  prunable: false,
  async fetch(api, desired, opts) {
    const declared = desired.map((d) => String(d.fields.id));
    const referenced = (opts.referenced ?? []).filter((a) => a.startsWith('user/')).map((a) => a.slice('user/'.length));
    const ids = [...new Set([...declared, ...referenced])].sort();
    if (ids.length === 0) return [];
    return (await queryByIds(api, ids)).map(userLive);
  },
  requests(change) {
    const { action, desired, live } = change;
    if (action === 'delete') return [];
    const id = String((desired ?? live)!.fields.id);
    if (action === 'create') {
      const user = { id, ...pick(desired!.fields, USER_FIELDS) };
      // An upsert by id: sending it again after an ambiguous failure is safe.
      return [{ op: 'UpdateUsers', method: 'POST', path: '/api/v2/users', body: { users: { [id]: user } }, idempotent: true }];
    }
    const set = partialSet(change);
    if (Object.keys(set).length === 0) return [];
    return [{ op: 'UpdateUsersPartial', method: 'PATCH', path: '/api/v2/users', body: { users: [{ id, set }] }, idempotent: true }];
  },
  // No toFile: `export` never lists users (an app can have millions); declare the ones to manage by hand.
};
