import { describe, expect, it } from 'vitest';
import { expectRejected, expectValidRequests, noMemory, plannedRequests } from '../../test/support/kinds.js';
import { ConfigError } from '../core/errors.js';
import type { DesiredObject, Rec } from '../core/model.js';
import { diffFields } from '../plan/diff.js';
import { grantIssues, permissionKind, permissionLive, permissionSchema } from './permissions.js';
import type { Api, ApiRequest } from '../core/api.js';

const at = { file: 'stream.yaml', line: 7, col: 5 };
const desired = (fields: Rec): DesiredObject => ({ kind: 'permission', address: `permission/${String(fields.id)}`, fields, sensitive: [], location: at });
const appWithGrants = (grants: Record<string, string[]>): DesiredObject => ({ kind: 'app', address: 'app', fields: { settings: { grants } }, sensitive: [], location: { file: 'stream.yaml', line: 2, col: 3 } });

const plan = (fields: Rec, live?: Rec) => plannedRequests(permissionKind, permissionLive, fields, live);


/** A Permission as ListPermissions answers it. */
const LIVE: Rec = {
  id: 'read-flags-own-team',
  name: 'Read flags in own team',
  description: 'Moderators of a team',
  action: 'ReadMessageFlags',
  owner: false,
  owner_resource: '',
  same_team: true,
  custom: true,
  level: 'channel',
  tags: [],
  condition: { 'team.id': { $eq: 'blue' } },
};
const BUILTIN: Rec = { ...LIVE, id: 'read-channel', name: 'Read Channel', action: 'ReadChannel', custom: false, same_team: false, condition: {} };
const FILE: Rec = { id: 'read-flags-own-team', name: 'Read flags in own team', action: 'ReadMessageFlags', same_team: true, condition: { 'team.id': { $eq: 'blue' } } };

describe('permission schema', () => {
  it.each<[string, Rec]>([
    ['the product example', { id: 'read-flags-own-team', name: 'Read flags in own team', action: 'ReadMessageFlags', same_team: true, condition: {} }],
    ['no condition (created with {})', { id: 'x', name: 'X', action: 'ReadChannel' }],
  ])('accepts %s', (_name, value) => {
    expect(permissionSchema.safeParse(value).success).toBe(true);
  });

  it.each<[string, Rec, RegExp]>([
    ['a missing action', { id: 'x', name: 'X' }, /^action: /],
    ['a missing name', { id: 'x', action: 'A' }, /^name: /],
    ['a slash in the id', { id: 'a/b', name: 'X', action: 'A' }, /must not contain "\/"/],
    ['a published built-in id', { id: 'read-channel', name: 'X', action: 'ReadChannel' }, /read-channel is a built-in permission: built-ins are read-only/],
    ['read-only fields', { id: 'x', name: 'X', action: 'A', level: 'channel' }, /unrecognized key.*"level"/i],
    ['custom: false (built-ins cannot be declared)', { id: 'x', name: 'X', action: 'A', custom: false }, /unrecognized key.*"custom"/i],
    ['a condition that is not a map', { id: 'x', name: 'X', action: 'A', condition: 'team = blue' }, /^condition: /],
  ])('rejects %s', (_name, value, message) => expectRejected(permissionSchema, value, message));
});

describe('permission requests', () => {
  it('creates with the declared fields, and an empty condition when none is declared', () => {
    const reqs = plan({ id: 'x', name: 'X', action: 'ReadChannel' });
    expect(reqs).toEqual([{ op: 'CreatePermission', method: 'POST', path: '/api/v2/permissions', body: { id: 'x', name: 'X', action: 'ReadChannel', condition: {} }, idempotent: false }]);
    expectValidRequests(reqs);
    expectValidRequests(plan(FILE));
  });

  it('plans nothing when the declared fields match (undeclared description and owner are not drift)', () => {
    expect(plan(FILE, LIVE)).toEqual([]);
  });

  it('updates with the whole permission: undeclared fields are sent as they are live, so they stay', () => {
    const reqs = plan({ ...FILE, name: 'Team flags' }, LIVE);
    expect(reqs).toEqual([
      {
        op: 'UpdatePermission',
        method: 'PUT',
        path: '/api/v2/permissions/{id}',
        params: { id: 'read-flags-own-team' },
        body: { name: 'Team flags', action: 'ReadMessageFlags', condition: { 'team.id': { $eq: 'blue' } }, description: 'Moderators of a team', owner: false, same_team: true },
        idempotent: true,
      },
    ]);
    expectValidRequests(reqs);
  });

  it('compares a condition whole: a live key the file does not have is a change, not an unmanaged key', () => {
    const changes = diffFields(desired({ ...FILE, condition: {} }), permissionLive(LIVE), { spec: permissionKind, ignoredFields: [], memory: noMemory });
    expect(changes).toEqual([{ path: '/condition', before: { 'team.id': { $eq: 'blue' } }, after: {}, sensitive: false }]);
    expect(plan({ ...FILE, condition: { 'team.id': { $eq: 'red' } } }, LIVE)[0]!.body).toMatchObject({ condition: { 'team.id': { $eq: 'red' } } });
  });

  it('deletes with DeletePermission; built-ins are marked and never deleted', () => {
    const live = permissionLive(LIVE);
    expect(permissionKind.requests({ action: 'delete', address: live.address, live, fields: [] })).toEqual([
      { op: 'DeletePermission', method: 'DELETE', path: '/api/v2/permissions/{id}', params: { id: 'read-flags-own-team' }, idempotent: true },
    ]);
    expect(permissionKind.isBuiltin!(permissionLive(BUILTIN))).toBe(true);
    expect(permissionKind.isBuiltin!(live)).toBe(false);
  });

  it('exports custom permissions as valid file entries', () => {
    const out = permissionKind.toFile!(permissionLive(LIVE), []);
    expect(out).toEqual({ ...FILE, description: 'Moderators of a team', owner: false });
    expect(permissionSchema.safeParse(out).success).toBe(true);
  });
});

describe('grants checked against the known permission ids', () => {
  const live = [LIVE, BUILTIN];

  it('accepts built-in, live custom and declared ids', () => {
    const all = [appWithGrants({ moderator: ['read-channel', 'read-flags-own-team', 'brand-new'] }), desired({ id: 'brand-new', name: 'N', action: 'A' })];
    expect(grantIssues(all, live)).toEqual([]);
  });

  it('an unknown id is a located error naming the role and the ids', () => {
    expect(grantIssues([appWithGrants({ moderator: ['read-channel', 'no-such', 'typo-perm'], user: ['read-channel'] })], live)).toEqual([
      { message: 'app.settings.grants.moderator names permissions the app does not have and the file does not declare: no-such, typo-perm (declare custom permissions in permissions)', location: { file: 'stream.yaml', line: 2, col: 3 } },
    ]);
  });

  it('with permissions pruned, granting an undeclared custom permission is an error (apply would delete it)', () => {
    const issues = grantIssues([appWithGrants({ moderator: ['read-flags-own-team'] })], live, { pruned: true });
    expect(issues.map((i) => i.message)).toEqual(['app.settings.grants.moderator names read-flags-own-team, which the file does not declare and policy.prune would delete: declare it in permissions, or stop granting it']);
    expect(grantIssues([appWithGrants({ moderator: ['read-channel'] })], live, { pruned: true })).toEqual([]);
  });

  it('without declared grants there is nothing to check', () => {
    expect(grantIssues([desired(FILE)], [])).toEqual([]);
  });
});

describe('permission fetch', () => {
  const api = (permissions: Rec[]): Api => ({
    async send<T>(req: ApiRequest): Promise<T> {
      if (req.op !== 'ListPermissions') throw new Error(`unexpected ${req.op}`);
      return { permissions } as T;
    },
  });

  it('reads every permission, built-ins marked', async () => {
    const live = await permissionKind.fetch(api([LIVE, BUILTIN]), [], { complete: false, all: [] });
    expect(live.map((l) => [l.address, l.builtin === true])).toEqual([
      ['permission/read-flags-own-team', false],
      ['permission/read-channel', true],
    ]);
  });

  it('a declared id that the app reports as built-in is a located error', async () => {
    const owned = { ...BUILTIN, id: 'update-call-owner' };
    const want = [desired({ id: 'update-call-owner', name: 'X', action: 'UpdateCall' })];
    const err = await permissionKind.fetch(api([owned]), want, { complete: false, all: want }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([{ message: expect.stringMatching(/^update-call-owner is a built-in permission: built-ins are read-only/), location: at }]);
  });
});
