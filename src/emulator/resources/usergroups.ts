import { z } from 'zod';
import { inputError, notFound } from '../errors.js';
import { mapSlice, type Resource } from '../resource.js';
import { route, type RequestContext } from '../router.js';
import type { AppState, Rec } from '../store.js';
import { nowIso, parseInput, queryInt, queryRequired } from '../validate.js';

declare module '../store.js' {
  interface AppState {
    userGroups: Map<string, Rec>;
  }
}

/**
 * User groups. Stored in read shape (UserGroupResponse, `members` included); list and search answers leave the
 * members out, single-group answers carry them. Ids are unique per app; `team_id` on a call scopes the lookup (a
 * group of another team is not found), and a group's team never changes.
 */

const LIST_DEFAULT_LIMIT = 25;
const SEARCH_DEFAULT_LIMIT = 10;

/** The app's numeric id (`app_pk`): GetApp's `id` when the app has one, else a stable number derived from the key. */
export function appPk(app: AppState): number {
  if (typeof app.settings.id === 'number') return app.settings.id;
  let h = 0;
  for (const ch of app.key) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return (h % 2_000_000_000) + 1;
}

const teamId = z.string().max(255);
const memberIds = (max: number, min = 0) => z.array(z.string().min(1)).min(min).max(max);

const createSchema = (max: number) =>
  z.object({
    id: z.string().min(1).max(255).optional(),
    name: z.string().min(1).max(255),
    description: z.string().max(1024).optional(),
    team_id: teamId.optional(),
    member_ids: memberIds(max).optional(),
  });

const updateSchema = z.object({
  name: z.string().min(1).max(255).optional(),
  description: z.string().max(1024).optional(),
  team_id: teamId.optional(),
});

const membersSchema = (max: number) =>
  z.object({
    member_ids: memberIds(max, 1),
    as_admin: z.boolean().optional(),
    team_id: teamId.optional(),
  });

/** Group read shape without members (list and search answers). */
const summary = ({ members: _members, ...group }: Rec): Rec => group;

/** The group `id`, scoped by `team_id` when the caller gives one; 404 otherwise. */
function findGroup(app: AppState, id: string, team: string | undefined | null): Rec {
  const group = app.userGroups.get(id);
  if (!group || (team && group.team_id !== team)) throw notFound(`user group ${id} does not exist`);
  return group;
}

/**
 * "All user IDs must exist. The operation is all-or-nothing." (AddUserGroupMembers): unknown users fail the whole
 * call. A deleted user (soft or pruned) does not exist for this purpose, as everywhere a request names a user;
 * hard-deleting a user removes its memberships (users/lifecycle.ts `purgeUser`).
 */
function requireUsers(app: AppState, ids: string[]): void {
  const missing = ids.filter((id) => !app.users.get(id) || app.users.get(id)!.deleted_at);
  if (missing.length) throw inputError(`the following users do not exist: ${missing.join(', ')}`, { member_ids: `users do not exist: ${missing.join(', ')}` });
}

function addMembers(ctx: RequestContext, group: Rec, ids: string[], asAdmin: boolean): void {
  const unique = [...new Set(ids)];
  requireUsers(ctx.app, unique);
  const members = group.members as Rec[];
  for (const userId of unique) {
    // Adding an existing member is a no-op (its admin flag and join time stay).
    if (members.some((m) => m.user_id === userId)) continue;
    members.push({ app_pk: appPk(ctx.app), group_id: group.id, user_id: userId, is_admin: asAdmin, created_at: nowIso(ctx.now) });
  }
}

function teamQuery(ctx: RequestContext): string | undefined {
  const team = ctx.query.get('team_id') ?? undefined;
  if (team !== undefined) parseInput(z.object({ team_id: teamId }), { team_id: team });
  return team;
}

const listUserGroups = route('GET', '/api/v2/usergroups', 'ListUserGroups', (ctx) => {
  const limit = queryInt(ctx.query, 'limit', { min: 1, max: 100 }) ?? LIST_DEFAULT_LIMIT;
  const idGt = ctx.query.get('id_gt');
  const createdGtRaw = ctx.query.get('created_at_gt');
  const createdGt = createdGtRaw ? Date.parse(createdGtRaw) : undefined;
  if (createdGt !== undefined && Number.isNaN(createdGt)) {
    throw inputError('created_at_gt must be an RFC 3339 timestamp', { created_at_gt: 'created_at_gt must be an RFC 3339 timestamp' });
  }
  const team = teamQuery(ctx);
  const groups = [...ctx.app.userGroups.values()]
    .filter((g) => (!idGt || g.id > idGt) && (createdGt === undefined || Date.parse(g.created_at) > createdGt) && (!team || g.team_id === team))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit);
  return { user_groups: groups.map(summary) };
});

const createUserGroup = route('POST', '/api/v2/usergroups', 'CreateUserGroup', (ctx) => {
  const input = parseInput(createSchema(ctx.quotas.userGroupMembersPerCall), ctx.body);
  const id = input.id ?? ctx.newId(ctx.now, (candidate) => ctx.app.userGroups.has(candidate));
  if (ctx.app.userGroups.has(id)) throw inputError(`user group ${id} already exists`, { id: `user group ${id} already exists` });
  const at = nowIso(ctx.now);
  const group: Rec = { id, name: input.name, created_at: at, updated_at: at, members: [] };
  if (input.description !== undefined) group.description = input.description;
  if (input.team_id) group.team_id = input.team_id;
  addMembers(ctx, group, input.member_ids ?? [], false);
  ctx.app.userGroups.set(id, group);
  return { user_group: group };
});

const searchUserGroups = route('GET', '/api/v2/usergroups/search', 'SearchUserGroups', (ctx) => {
  const query = queryRequired(ctx.query, 'query');
  parseInput(z.object({ query: z.string().max(255) }), { query });
  const limit = queryInt(ctx.query, 'limit', { min: 1, max: 25 }) ?? SEARCH_DEFAULT_LIMIT;
  const nameGt = ctx.query.get('name_gt');
  const idGt = ctx.query.get('id_gt');
  const team = teamQuery(ctx);
  const q = query.toLowerCase();
  // Autocomplete: the name (or one of its words) or the id starts with the query, case-insensitively.
  const matches = (g: Rec) => {
    const name = String(g.name).toLowerCase();
    return name.startsWith(q) || name.split(/\s+/).some((w) => w.startsWith(q)) || String(g.id).toLowerCase().startsWith(q);
  };
  // Keyset over (name, id): name_gt alone skips names up to it; with id_gt it resumes inside equal names.
  const after = (g: Rec) => {
    if (nameGt && idGt) return g.name > nameGt || (g.name === nameGt && g.id > idGt);
    if (nameGt) return g.name > nameGt;
    if (idGt) return g.id > idGt;
    return true;
  };
  const groups = [...ctx.app.userGroups.values()]
    .filter((g) => matches(g) && after(g) && (!team || g.team_id === team))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit);
  return { user_groups: groups.map(summary) };
});

const getUserGroup = route('GET', '/api/v2/usergroups/{id}', 'GetUserGroup', (ctx) => ({ user_group: findGroup(ctx.app, ctx.params.id!, teamQuery(ctx)) }));

/** A write to the group the path names (scoped by the body's `team_id`), answered with the group. */
function changeGroup(ctx: RequestContext, team: string | undefined, change: (group: Rec) => void): Rec {
  const group = findGroup(ctx.app, ctx.params.id!, team);
  change(group);
  group.updated_at = nowIso(ctx.now);
  return { user_group: group };
}

const updateUserGroup = route('PUT', '/api/v2/usergroups/{id}', 'UpdateUserGroup', (ctx) => {
  const input = parseInput(updateSchema, ctx.body);
  return changeGroup(ctx, input.team_id, (group) => {
    if (input.name !== undefined) group.name = input.name;
    if (input.description !== undefined) group.description = input.description;
  });
});

const deleteUserGroup = route('DELETE', '/api/v2/usergroups/{id}', 'DeleteUserGroup', (ctx) => {
  const group = findGroup(ctx.app, ctx.params.id!, teamQuery(ctx));
  ctx.app.userGroups.delete(group.id);
  return {};
});

const addUserGroupMembers = route('POST', '/api/v2/usergroups/{id}/members', 'AddUserGroupMembers', (ctx) => {
  const input = parseInput(membersSchema(ctx.quotas.userGroupMembersPerCall), ctx.body);
  return changeGroup(ctx, input.team_id, (group) => addMembers(ctx, group, input.member_ids, input.as_admin ?? false));
});

const removeUserGroupMembers = route('POST', '/api/v2/usergroups/{id}/members/delete', 'RemoveUserGroupMembers', (ctx) => {
  const input = parseInput(membersSchema(ctx.quotas.userGroupMembersPerCall), ctx.body);
  const remove = new Set(input.member_ids);
  return changeGroup(ctx, input.team_id, (group) => {
    group.members = (group.members as Rec[]).filter((m) => !remove.has(m.user_id));
  });
});

export const userGroups: Resource = {
  name: 'user groups',
  state: { userGroups: mapSlice() },
  routes: [
    listUserGroups, createUserGroup, searchUserGroups, getUserGroup, updateUserGroup, deleteUserGroup, addUserGroupMembers, removeUserGroupMembers,
  ],
};
