import { describe, expect, it } from 'vitest';
import { expectRejected, expectValidRequests, noMemory, plannedRequests } from '../../test/support/kinds.js';
import type { DesiredObject, Rec } from '../core/model.js';
import { diffFields } from '../plan/diff.js';
import type { Api, ApiRequest } from '../core/api.js';
import { userGroupKind, userGroupLive, userGroupSchema } from './user-groups.js';

const desired = (fields: Rec): DesiredObject => ({ kind: 'user_group', address: `user_group/${String(fields.id)}`, fields, sensitive: [] });
const ids = (n: number, prefix = 'u') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

const plan = (fields: Rec, live?: Rec) => plannedRequests(userGroupKind, userGroupLive, fields, live);


const member = (user_id: string) => ({ app_pk: 1, group_id: 'support', user_id, is_admin: false, created_at: '2026-01-01T00:00:00.000Z' });
/** GetUserGroup's answer. */
const LIVE: Rec = {
  id: 'support',
  name: 'Support',
  description: 'Tier 1',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  members: [member('ann'), member('bo')],
};

describe('user group schema', () => {
  it.each<[string, Rec]>([
    ['the product example', { id: 'support', name: 'Support', description: 'Tier 1 agents', members: ['agent-ann', 'agent-bo'] }],
    ['a team and no members', { id: 'ops', name: 'Ops', team_id: 'blue', members: [] }],
    ['members left unmanaged', { id: 'ops', name: 'Ops' }],
  ])('accepts %s', (_name, value) => {
    expect(userGroupSchema.safeParse(value).success).toBe(true);
  });

  it.each<[string, Rec, RegExp]>([
    ['a missing id', { name: 'Support' }, /^id: /],
    ['a slash in the id', { id: 'a/b', name: 'x' }, /must not contain "\/"/],
    ['a missing name', { id: 'support' }, /^name: /],
    ['an empty name', { id: 'support', name: '' }, /name must not be empty/],
    ['a too long description', { id: 's', name: 'S', description: 'x'.repeat(1025) }, /at most 1024/],
    ['member_ids (the file says members)', { id: 's', name: 'S', member_ids: ['a'] }, /member_ids/],
    ['a duplicate member', { id: 's', name: 'S', members: ['a', 'b', 'a'] }, /members lists "a" twice/],
    ['a malformed member id', { id: 's', name: 'S', members: ['a b'] }, /letters, digits/],
  ])('rejects %s', (_name, value, message) => expectRejected(userGroupSchema, value, message));
});

describe('user group requests', () => {
  it('creates with the first 100 members, then adds the rest in batches of 100', () => {
    const members = ids(250);
    const reqs = plan({ id: 'big', name: 'Big', team_id: 'blue', members });
    expect(reqs.map((r) => [r.op, r.idempotent, (r.body as Rec).member_ids && ((r.body as Rec).member_ids as string[]).length])).toEqual([
      ['CreateUserGroup', false, 100],
      ['AddUserGroupMembers', true, 100],
      ['AddUserGroupMembers', true, 50],
    ]);
    expect(reqs[0]).toMatchObject({ method: 'POST', path: '/api/v2/usergroups', body: { id: 'big', name: 'Big', team_id: 'blue' } });
    expect(reqs[1]).toMatchObject({ method: 'POST', path: '/api/v2/usergroups/{id}/members', params: { id: 'big' }, body: { team_id: 'blue' } });
    expect(reqs.flatMap((r) => (r.body as Rec).member_ids as string[])).toEqual(members);
    expectValidRequests(reqs);
  });

  it('creates without member_ids when none are declared', () => {
    const reqs = plan({ id: 'ops', name: 'Ops', description: 'd' });
    expect(reqs).toEqual([{ op: 'CreateUserGroup', method: 'POST', path: '/api/v2/usergroups', body: { id: 'ops', name: 'Ops', description: 'd' }, idempotent: false }]);
    expectValidRequests(reqs);
  });

  it.each<[string, Rec, [string, Rec][]]>([
    ['nothing when equal (members in any order)', { id: 'support', name: 'Support', members: ['bo', 'ann'] }, []],
    ['nothing for undeclared fields', { id: 'support', name: 'Support' }, []],
    ['the name only', { id: 'support', name: 'Agents', description: 'Tier 1' }, [['UpdateUserGroup', { name: 'Agents' }]]],
    ['the description only', { id: 'support', name: 'Support', description: 'Tier 2' }, [['UpdateUserGroup', { description: 'Tier 2' }]]],
    ['members added and removed', { id: 'support', name: 'Support', members: ['ann', 'cy'] }, [['AddUserGroupMembers', { member_ids: ['cy'] }], ['RemoveUserGroupMembers', { member_ids: ['bo'] }]]],
    ['every member removed', { id: 'support', name: 'Support', members: [] }, [['RemoveUserGroupMembers', { member_ids: ['ann', 'bo'] }]]],
    ['name and members together', { id: 'support', name: 'S', members: ['ann', 'bo', 'cy'] }, [['UpdateUserGroup', { name: 'S' }], ['AddUserGroupMembers', { member_ids: ['cy'] }]]],
  ])('updates: %s', (_name, fields, expected) => {
    const reqs = plan(fields, LIVE);
    expect(reqs.map((r) => [r.op, r.body])).toEqual(expected);
    for (const r of reqs) expect(r.idempotent).toBe(true);
    expectValidRequests(reqs);
  });

  it('adds and removes large member differences in batches of 100', () => {
    const live = { ...LIVE, members: ids(150, 'old').map(member) };
    const reqs = plan({ id: 'support', name: 'Support', members: ids(201, 'new') }, live);
    expect(reqs.map((r) => [r.op, ((r.body as Rec).member_ids as string[]).length])).toEqual([
      ['AddUserGroupMembers', 100],
      ['AddUserGroupMembers', 100],
      ['AddUserGroupMembers', 1],
      ['RemoveUserGroupMembers', 100],
      ['RemoveUserGroupMembers', 50],
    ]);
    expectValidRequests(reqs);
  });

  it('scopes writes to the live team, and never changes it', () => {
    const live = { ...LIVE, team_id: 'blue' };
    const want = desired({ id: 'support', name: 'Agents', team_id: 'red' });
    const have = userGroupLive(live);
    const changes = diffFields(want, have, { spec: userGroupKind, ignoredFields: [], memory: noMemory });
    // The plan turns the team change into a warning (immutableFields) and drops it.
    expect(userGroupKind.immutableFields).toContain('/team_id');
    const reqs = userGroupKind.requests({ action: 'update', address: want.address, desired: want, live: have, fields: changes.filter((c) => c.path !== '/team_id') });
    expect(reqs).toEqual([{ op: 'UpdateUserGroup', method: 'PUT', path: '/api/v2/usergroups/{id}', params: { id: 'support' }, body: { name: 'Agents', team_id: 'blue' }, idempotent: true }]);
    expectValidRequests(reqs);
  });

  it('deletes with DeleteUserGroup', () => {
    expect(userGroupKind.requests({ action: 'delete', address: 'user_group/old', live: userGroupLive({ id: 'old', name: 'Old', team_id: 'blue' }), fields: [] })).toEqual([
      { op: 'DeleteUserGroup', method: 'DELETE', path: '/api/v2/usergroups/{id}', params: { id: 'old' }, query: { team_id: 'blue' }, idempotent: true },
    ]);
  });

  it('refers to its members as users', () => {
    expect(userGroupKind.refs!({ id: 's', name: 'S', members: ['ann', 'bo'] })).toEqual(['user/ann', 'user/bo']);
    expect(userGroupKind.refs!({ id: 's', name: 'S' })).toEqual([]);
  });
});

describe('user group normalization, fetch and export', () => {
  it('normalizes members to sorted user ids, and leaves them out when the answer has none', () => {
    expect(userGroupLive({ ...LIVE, members: [member('zed'), member('ann')] }).fields).toEqual({ id: 'support', name: 'Support', description: 'Tier 1', members: ['ann', 'zed'] });
    const { members: _m, ...summary } = LIVE;
    expect(userGroupLive(summary).fields).toEqual({ id: 'support', name: 'Support', description: 'Tier 1' });
  });

  /** A fake API over `count` groups `g000…`, each with one member, answering like the emulator. */
  function fakeApi(count: number) {
    const groups = ids(count, 'g').map((id) => ({ id, name: id.toUpperCase(), created_at: 'x', updated_at: 'x', members: [member(`m-${id}`)] }));
    const sent: ApiRequest[] = [];
    const api: Api = {
      send: async <T>(req: ApiRequest) => {
        sent.push(req);
        if (req.op === 'ListUserGroups') {
          const after = req.query?.id_gt as string | undefined;
          const page = groups.filter((g) => !after || g.id > after).slice(0, req.query!.limit as number);
          return { user_groups: page.map(({ members: _m, ...g }) => g) } as T;
        }
        if (req.op === 'GetUserGroup') {
          const g = groups.find((x) => x.id === req.params!.id);
          if (!g) throw Object.assign(new Error('not found'), { status: 404 });
          return { user_group: g } as T;
        }
        throw new Error(`unexpected ${req.op}`);
      },
    };
    return { api, sent };
  }

  it('lists every group by keyset paging and gets members only for declared groups that declare them', async () => {
    const { api, sent } = fakeApi(230);
    const live = await userGroupKind.fetch(api, [desired({ id: 'g005', name: 'x', members: [] }), desired({ id: 'g006', name: 'x' })], { complete: true });
    expect(live).toHaveLength(230);
    const lists = sent.filter((r) => r.op === 'ListUserGroups');
    expect(lists.map((r) => r.query)).toEqual([
      { limit: 100, id_gt: undefined },
      { limit: 100, id_gt: 'g099' },
      { limit: 100, id_gt: 'g199' },
    ]);
    expect(sent.filter((r) => r.op === 'GetUserGroup').map((r) => r.params!.id)).toEqual(['g005']);
    expect(live.find((l) => l.address === 'user_group/g005')!.fields.members).toEqual(['m-g005']);
    expect(live.find((l) => l.address === 'user_group/g006')!.fields).not.toHaveProperty('members');
  });

  it('gets every group for export, and writes groups with their members', async () => {
    const { api, sent } = fakeApi(3);
    const live = await userGroupKind.fetch(api, [], { complete: true, forExport: true });
    expect(sent.filter((r) => r.op === 'GetUserGroup')).toHaveLength(3);
    expect(live.map((l) => userGroupKind.toFile!(l, live))).toEqual([
      { id: 'g000', name: 'G000', members: ['m-g000'] },
      { id: 'g001', name: 'G001', members: ['m-g001'] },
      { id: 'g002', name: 'G002', members: ['m-g002'] },
    ]);
  });

  it('re-reads an ambiguous create with GetUserGroup (404 → absent)', async () => {
    const { api } = fakeApi(2);
    expect((await userGroupKind.reread!(api, desired({ id: 'g001', name: 'x' })))?.fields).toEqual({ id: 'g001', name: 'G001', members: ['m-g001'] });
    expect(await userGroupKind.reread!(api, desired({ id: 'nope', name: 'x' }))).toBeUndefined();
  });
});
