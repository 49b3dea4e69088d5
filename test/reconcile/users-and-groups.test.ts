import { describe, expect, it } from 'vitest';
import type { Api, ApiRequest } from '../../src/core/api.js';
import { useEmulator } from '../support/emulator.js';
import { type Harness, harness } from '../support/reconcile.js';
import { loadSpec } from '../support/spec.js';

const spec = loadSpec();

/** The harness with every request the reconciler sends recorded, and its body validated against the spec. */
function checkedHarness(emu: Parameters<typeof harness>[0]): Harness & { sent: ApiRequest[] } {
  const h = harness(emu);
  const inner: Api = h.deps.api;
  const sent: ApiRequest[] = [];
  h.deps.api = {
    send: <T>(req: ApiRequest) => {
      sent.push(req);
      if (spec && req.body !== undefined) expect(spec.validateRequest(req.op, req.body), `${req.op} request body`).toEqual([]);
      return inner.send<T>(req);
    },
  };
  return Object.assign(h, { sent });
}

const FILE = `
version: 1
roles:
  - name: support-agent
users:
  - id: agent-ann
    name: Ann
    role: support-agent
    teams: [blue, red]
    teams_role: { blue: support-agent }
    language: en
    custom: { tier: 1, prefs: { theme: dark } }
  - id: agent-bo
    name: Bo
    privacy_settings: { typing_indicators: { enabled: false } }
user_groups:
  - id: support
    name: Support
    description: Tier 1 agents
    members: [agent-ann, agent-bo]
  - id: escalations
    name: Escalations
`;

describe('users and user groups against the emulator', () => {
  const env = useEmulator();

  it('applies a file, then plans no change; an edit plans exactly its change and keeps unmanaged data', async () => {
    const h = checkedHarness(env.emu);
    const first = await h.apply(FILE);
    expect(first.result.failed).toEqual([]);
    expect(first.plan.document.summary).toMatchObject({ create: 5, update: 0, delete: 0 });
    expect(first.notConverged).toEqual([]);
    // Roles, then users, then the groups that list them.
    const order = first.plan.document.changes.map((c) => c.address);
    expect(order.indexOf('role/support-agent')).toBeLessThan(order.indexOf('user/agent-ann'));
    expect(order.indexOf('user/agent-bo')).toBeLessThan(order.indexOf('user_group/support'));
    expect((await h.plan(FILE)).plan.document.changes).toEqual([]);

    // Fields the file does not manage, set behind stream-sync's back.
    const app = env.emu.app();
    await env.api.call({ method: 'PATCH', path: '/api/v2/users', body: { users: [{ id: 'agent-ann', set: { image: 'https://img.example/ann.png', favorite: 'tea', prefs: { theme: 'dark', font: 'big' } } }] } });
    expect((await h.plan(FILE)).plan.document.changes).toEqual([]);

    const edited = FILE.replace('name: Ann', 'name: Ann Smith').replace('{ theme: dark }', '{ theme: light }').replace('[agent-ann, agent-bo]', '[agent-ann]').replace('teams: [blue, red]', 'teams: [red, blue]');
    const planned = await h.plan(edited);
    expect(planned.plan.document.changes).toEqual([
      {
        address: 'user/agent-ann',
        kind: 'user',
        action: 'update',
        fields: [
          { path: '/name', before: 'Ann', after: 'Ann Smith', sensitive: false },
          { path: '/custom/prefs/theme', before: 'dark', after: 'light', sensitive: false },
        ],
      },
      { address: 'user_group/support', kind: 'user_group', action: 'update', fields: [{ path: '/members', before: ['agent-ann', 'agent-bo'], after: ['agent-ann'], sensitive: false }] },
    ]);
    h.sent.length = 0;
    const applied = await h.apply(edited);
    expect(applied.result.failed).toEqual([]);
    expect(applied.notConverged).toEqual([]);
    expect(h.sent.filter((r) => r.method !== 'GET').map((r) => [r.op, r.body])).toEqual([
      ['UpdateUsersPartial', { users: [{ id: 'agent-ann', set: { name: 'Ann Smith', prefs: { theme: 'light', font: 'big' } } }] }],
      ['RemoveUserGroupMembers', { member_ids: ['agent-bo'] }],
    ]);
    expect((await h.plan(edited)).plan.document.changes).toEqual([]);
    const ann = app.users.get('agent-ann')!;
    expect(ann).toMatchObject({ name: 'Ann Smith', image: 'https://img.example/ann.png', custom: { tier: 1, favorite: 'tea', prefs: { theme: 'light', font: 'big' } } });
    // A field removed from the file stops being managed; it is not reset.
    const unmanaged = edited.replace('    language: en\n', '');
    expect((await h.plan(unmanaged)).plan.document.changes).toEqual([]);
    await h.close();
  });

  it('reads only the declared users (and group members), never a listing of the app', async () => {
    await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`bystander-${i}`, { id: `bystander-${i}` }])) } });
    const h = checkedHarness(env.emu);
    await h.plan(`
version: 1
users:
  - id: solo
    name: Solo
user_groups:
  - id: solo-group
    name: Solo group
    members: [bystander-1]
`);
    // One read of the declared and referenced ids; `solo` is missing, so one more looks for it among soft-deleted users.
    const queries = h.sent.filter((r) => r.op === 'QueryUsers');
    expect(queries[0]!.query!.payload).toEqual({ filter_conditions: { id: { $in: ['bystander-1', 'solo'] } }, limit: 100, include_deactivated_users: true });
    expect(queries).toHaveLength(2);
    expect(JSON.stringify(queries[1]!.query!.payload)).toContain('deleted_at');
    expect(JSON.stringify(queries.map((q) => q.query))).not.toMatch(/bystander-[0234]/);
    await h.close();
  });

  it('accepts members that exist but are not declared, and refuses members that do not exist', async () => {
    await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users: { 'outsider-1': { id: 'outsider-1', name: 'Outsider' } } } });
    const h = checkedHarness(env.emu);
    const file = (members: string) => `
version: 1
users:
  - id: insider-1
    name: Insider
user_groups:
  - id: mixed
    name: Mixed
    members: ${members}
`;
    const ok = await h.apply(file('[insider-1, outsider-1]'));
    expect(ok.result.failed).toEqual([]);
    expect(ok.notConverged).toEqual([]);
    expect((await h.plan(file('[outsider-1, insider-1]'))).plan.document.changes).toEqual([]);
    await expect(h.plan(file('[insider-1, nobody-here]'))).rejects.toThrow(/user_group\/mixed refers to user\/nobody-here, which is neither declared in the file nor present in the app/);
    await h.close();
  });

  it('finds a deactivated declared user instead of creating it again', async () => {
    const h = checkedHarness(env.emu);
    const file = `
version: 1
users:
  - id: sleeper
    name: Sleeper
`;
    expect((await h.apply(file)).result.failed).toEqual([]);
    await env.api.call({ method: 'POST', path: '/api/v2/users/sleeper/deactivate', body: {} });
    expect((await h.plan(file)).plan.document.changes).toEqual([]);
    await h.close();
  });

  it('creates and edits a group of more than 100 members in batches', async () => {
    const users = Array.from({ length: 230 }, (_, i) => `member-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < users.length; i += 100) {
      await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users: Object.fromEntries(users.slice(i, i + 100).map((id) => [id, { id }])) } });
    }
    const h = checkedHarness(env.emu);
    const file = (members: string[]) => `
version: 1
user_groups:
  - id: everyone
    name: Everyone
    members: [${members.join(', ')}]
`;
    const first = await h.apply(file(users.slice(0, 150)));
    expect(first.result.failed).toEqual([]);
    expect(h.sent.filter((r) => r.method !== 'GET').map((r) => r.op)).toEqual(['CreateUserGroup', 'AddUserGroupMembers']);
    expect((env.emu.app().userGroups.get('everyone')!.members as unknown[]).length).toBe(150);
    expect((await h.plan(file([...users.slice(0, 150)].reverse()))).plan.document.changes).toEqual([]);

    h.sent.length = 0;
    const next = users.slice(20, 230);
    const second = await h.apply(file(next));
    expect(second.result.failed).toEqual([]);
    expect(second.notConverged).toEqual([]);
    expect(h.sent.filter((r) => r.method !== 'GET').map((r) => [r.op, (r.body as { member_ids: string[] }).member_ids.length])).toEqual([
      ['AddUserGroupMembers', 80],
      ['RemoveUserGroupMembers', 20],
    ]);
    expect((await h.plan(file(next))).plan.document.changes).toEqual([]);
    await h.close();
  });

  it('never prints values marked secret (${secret:}, policy.sensitive_variables); a changed value plans an update, an unchanged one nothing', async () => {
    const h = checkedHarness(env.emu);
    const file = `
version: 1
users:
  - id: secretive
    custom:
      api_token: \${secret:USER_TOKEN}
user_groups:
  - id: hidden
    name: Hidden
    description: \${env:GROUP_NOTE}
policy:
  sensitive_variables: [GROUP_*]
`;
    const vars = { USER_TOKEN: 'sentinel-user-token-1', GROUP_NOTE: 'sentinel-group-note-1' };
    const first = await h.apply(file, { env: vars });
    expect(first.result.failed).toEqual([]);
    expect(JSON.stringify(first.plan.document)).not.toMatch(/sentinel/);
    expect((await h.plan(file, { env: vars })).plan.document.changes).toEqual([]);

    const changed = await h.plan(file, { env: { USER_TOKEN: 'sentinel-user-token-2', GROUP_NOTE: 'sentinel-group-note-1' } });
    expect(JSON.stringify(changed.plan.document)).not.toMatch(/sentinel/);
    expect(changed.plan.document.changes).toEqual([
      { address: 'user/secretive', kind: 'user', action: 'update', fields: [{ path: '/custom/api_token', before: '(sensitive value)', after: '(sensitive value)', sensitive: true }] },
    ]);
    await h.close();
  });
});

describe('pruning user groups', () => {
  const env = useEmulator();

  it('deletes only undeclared groups, and only with user_groups in policy.prune; users are never deleted', async () => {
    await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users: { 'keeper-1': { id: 'keeper-1' }, 'bystander': { id: 'bystander' } } } });
    for (const id of ['old', 'keep', 'protected']) await env.api.call({ method: 'POST', path: '/api/v2/usergroups', body: { id, name: id } });
    const h = checkedHarness(env.emu);
    const base = `
version: 1
users:
  - id: keeper-1
user_groups:
  - id: keep
    name: keep
`;
    expect((await h.plan(base)).plan.document.summary.delete).toBe(0);

    const pruning = `${base}policy:\n  prune: [user_groups]\n  protect: [user_group/protected]\n`;
    const planned = await h.plan(pruning);
    expect(planned.plan.document.changes).toEqual([{ address: 'user_group/old', kind: 'user_group', action: 'delete', fields: expect.arrayContaining([{ path: '/name', before: 'old', after: null, sensitive: false }]) }]);
    expect(planned.plan.document.warnings).toContainEqual({ address: 'user_group/protected', message: expect.stringMatching(/protect/) });

    const applied = await h.apply(pruning);
    expect(applied.result.failed).toEqual([]);
    const app = env.emu.app();
    expect([...app.userGroups.keys()].sort()).toEqual(['keep', 'protected']);
    expect(app.users.has('bystander')).toBe(true);
    expect((await h.plan(pruning)).plan.document.changes).toEqual([]);

    // Users are pruned by inventory: users stream-sync never managed (bystander) are never planned for deletion.
    const prunedUsers = await h.plan(`${base}policy:\n  prune: [users]\n`);
    expect(prunedUsers.plan.document.changes.filter((c) => c.action === 'delete')).toEqual([]);
    await h.close();
  });
});
