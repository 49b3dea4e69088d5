import { z } from 'zod';
import type { DesiredObject, LiveObject, Rec } from '../core/model.js';
import { addressPart, defineKind, getOrUndefined, liveObject, paginate, pick } from './define.js';
import type { Api, ApiRequest } from '../core/api.js';
import { noDuplicates, userIdSchema } from './users/ids.js';

/** `member_ids` per CreateUserGroup, AddUserGroupMembers and RemoveUserGroupMembers call. */
export const MEMBERS_PER_CALL = 100;
const LIST_LIMIT = 100;

export const userGroupSchema = z
  .object({
    /** Required in the file (the API would generate one): the group's address is `user_group/<id>`. */
    id: addressPart('a user group id', 255).describe('Identity: the group\'s id (`user_group/<id>`); required in the file, though the API could generate one.'),
    name: z.string().min(1, 'a user group name must not be empty').max(255, 'a user group name must be at most 255 characters').describe('The group\'s display name (at most 255 characters).'),
    description: z.string().max(1024, 'a user group description must be at most 1024 characters').optional().describe('What the group is for (at most 1024 characters).'),
    /** Scopes the group to a team; fixed once the group exists. */
    team_id: z.string().min(1, 'team_id must not be empty').max(255, 'team_id must be at most 255 characters').optional().describe('The team the group is scoped to; fixed once the group exists.'),
    /** User ids (a set). Unlisted, members are not managed; `[]` means "no members". */
    members: z.array(userIdSchema).superRefine(noDuplicates('members')).optional().describe('User ids of the members (a set); absent: members are not managed; [] means no members.'),
  })
  .strict();

const FIELDS = ['id', 'name', 'description', 'team_id'] as const;
const address = (id: unknown) => `user_group/${String(id)}`;

/** A UserGroupResponse in the file's shape; `members` (user ids) only when the response carries them. */
export function userGroupLive(g: Rec): LiveObject {
  const fields = pick(g, FIELDS);
  if (Array.isArray(g.members)) fields.members = (g.members as Rec[]).map((m) => String(m.user_id)).sort();
  return liveObject('user_group', address(g.id), fields);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Every group (without members), by keyset paging on the id. */
const listAll = (api: Api) =>
  paginate<{ user_groups: Rec[] }>(
    api,
    (idGt) => ({ op: 'ListUserGroups', method: 'GET', path: '/api/v2/usergroups', query: { limit: LIST_LIMIT, id_gt: idGt }, idempotent: true }),
    ({ user_groups: page }) => ({ items: page, next: page.length < LIST_LIMIT ? undefined : String(page[page.length - 1]!.id) }),
  );

const teamQuery = (team: unknown) => (typeof team === 'string' && team ? { team_id: team } : undefined);

const getRequest = (id: string, team: unknown): ApiRequest => ({ op: 'GetUserGroup', method: 'GET', path: '/api/v2/usergroups/{id}', params: { id }, query: teamQuery(team), idempotent: true });

/** The group with its members; undefined when it does not exist. */
async function getGroup(api: Api, id: string, team: unknown): Promise<Rec | undefined> {
  return (await getOrUndefined<{ user_group?: Rec }>(api, getRequest(id, team)))?.user_group;
}

/** AddUserGroupMembers / RemoveUserGroupMembers calls of at most 100 ids each (both are safe to repeat). */
function memberRequests(op: 'AddUserGroupMembers' | 'RemoveUserGroupMembers', id: string, ids: readonly string[], team: unknown): ApiRequest[] {
  const path = op === 'AddUserGroupMembers' ? '/api/v2/usergroups/{id}/members' : '/api/v2/usergroups/{id}/members/delete';
  return chunks(ids, MEMBERS_PER_CALL).map((member_ids) => ({ op, method: 'POST', path, params: { id }, body: { member_ids, ...teamQuery(team) }, idempotent: true }));
}

/**
 * User groups (`user_group/<id>`): name, description, team and members (a set of user ids). ListUserGroups has
 * no members, so GetUserGroup is called only for declared groups that declare `members` (and, for `export`, for
 * every group). Members are added and removed in batches of 100; the team cannot change.
 */
export const userGroupKind = defineKind({
  kind: 'user_group',
  section: 'user_groups',
  schema: z.array(userGroupSchema),
  // Members are users: declared users are created before the groups that list them.
  dependsOn: ['user'],
  waitsPerObject: ['user'],
  refs: (fields) => ((fields.members as string[] | undefined) ?? []).map((m) => `user/${m}`),
  setFields: ['/members'],
  identityFields: ['id'],
  immutableFields: ['/team_id'],
  async fetch(api, desired, opts) {
    const groups = await listAll(api);
    const withMembers = new Set(desired.filter((d) => d.fields.members !== undefined).map((d) => String(d.fields.id)));
    return Promise.all(
      groups.map(async (g) => {
        if (!opts.forExport && !withMembers.has(String(g.id))) return userGroupLive(g);
        // Gone between the listing and the get: absent.
        const full = await getGroup(api, String(g.id), g.team_id);
        return full ? userGroupLive(full) : undefined;
      }),
    ).then((all) => all.filter((g): g is LiveObject => g !== undefined));
  },
  requests({ action, desired, live, fields }) {
    const id = String((desired ?? live)!.fields.id);
    if (action === 'delete') {
      return [{ op: 'DeleteUserGroup', method: 'DELETE', path: '/api/v2/usergroups/{id}', params: { id }, query: teamQuery(live!.fields.team_id), idempotent: true }];
    }
    const want = desired!.fields;
    const members = (want.members as string[] | undefined) ?? [];
    if (action === 'create') {
      const [first = [], ...rest] = chunks(members, MEMBERS_PER_CALL);
      const body: Rec = { ...pick(want, FIELDS) };
      if (first.length) body.member_ids = first;
      const create: ApiRequest = { op: 'CreateUserGroup', method: 'POST', path: '/api/v2/usergroups', body, idempotent: false };
      return [create, ...memberRequests('AddUserGroupMembers', id, rest.flat(), want.team_id)];
    }
    const team = live!.fields.team_id;
    const changed = new Set(fields.map((f) => f.path));
    const out: ApiRequest[] = [];
    const update = pick(want, ['name', 'description'].filter((k) => changed.has(`/${k}`)));
    if (Object.keys(update).length) {
      out.push({ op: 'UpdateUserGroup', method: 'PUT', path: '/api/v2/usergroups/{id}', params: { id }, body: { ...update, ...teamQuery(team) }, idempotent: true });
    }
    if (changed.has('/members')) {
      const have = new Set((live!.fields.members as string[] | undefined) ?? []);
      const wanted = new Set(members);
      // Additions first: a failure half-way leaves extra members, never missing ones.
      out.push(...memberRequests('AddUserGroupMembers', id, members.filter((m) => !have.has(m)), team));
      out.push(...memberRequests('RemoveUserGroupMembers', id, [...have].filter((m) => !wanted.has(m)).sort(), team));
    }
    return out;
  },
  readBackEach: true,
  async reread(api: Api, desired: DesiredObject) {
    const found = await getGroup(api, String(desired.fields.id), desired.fields.team_id);
    return found ? userGroupLive(found) : undefined;
  },
  toFile(live) {
    const fields = { ...live.fields };
    // ListUserGroups answers without members; a group exported without them leaves its members unmanaged.
    if (Array.isArray(fields.members)) fields.members = [...(fields.members as string[])].sort();
    return fields;
  },
});
