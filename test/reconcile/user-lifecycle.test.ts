import { renderPlan } from '../../src/plan/render/index.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { RESTORE_WARNING } from '../../src/kinds/users/lifecycle.js';
import type { Rec } from '../../src/core/model.js';
import { useEmulator } from '../support/emulator.js';
import { harness as engineHarness } from '../support/reconcile.js';
import { sdkClient } from '../support/sdk.js';

/**
 * The user lifecycle and the users' satellites against the emulator, through the engine as the CLI drives it
 * (every request body held to the official spec by the harness), with results read back through the official SDK.
 */
/**
 * An app whose rate limits are far above Stream's published defaults, and the harness that knows it from the
 * start: the client paces ListDevices (60 per minute) to two a second, right against Stream but slow for tests.
 */
const PACED_OPS = ['ListDevices', 'CreateDevice', 'UpdateUsers', 'UpdateUsersPartial', 'QueryUsers'];
const FAST_APP = { rateLimits: { defaultPerMinute: 600_000, perMinute: Object.fromEntries(PACED_OPS.map((op) => [op, 600_000])) } };

function harness(emu: RunningEmulator) {
  const h = engineHarness(emu);
  h.client.seed(Object.fromEntries(PACED_OPS.map((op) => [op, 600_000])));
  return h;
}

const writes = (sent: { op: string; method: string }[]) => sent.filter((r) => r.method !== 'GET').map((r) => r.op);
const queriedIds = (sent: { op: string; query?: Rec }[]) =>
  sent.filter((r) => r.op === 'QueryUsers').flatMap((r) => ((r.query!.payload as Rec).filter_conditions as { id: { $in: string[] } }).id.$in);

describe('deactivation', () => {
  const env = useEmulator(FAST_APP);

  it('deactivates and reactivates a user by `deactivated`, and plans nothing once it matches', async () => {
    const h = harness(env.emu);
    const file = (deactivated: boolean) => `
version: 1
users:
  - id: night-bot
    name: Night Bot
    deactivated: ${deactivated}
`;
    const created = await h.apply(file(true));
    expect(created.result.failed).toEqual([]);
    expect(created.notConverged).toEqual([]);
    expect(writes(h.sent)).toEqual(['UpdateUsers', 'DeactivateUser']);
    const sdk = sdkClient(env.emu);
    const read = async () => (await sdk.queryUsers({ payload: { filter_conditions: { id: 'night-bot' }, include_deactivated_users: true } })).users[0]!;
    expect((await read()).deactivated_at).toBeInstanceOf(Date);
    expect((await h.plan(file(true))).plan.document.changes).toEqual([]);

    const planned = await h.plan(file(false));
    expect(planned.plan.document.changes).toEqual([{ address: 'user/night-bot', kind: 'user', action: 'update', fields: [{ path: '/deactivated', before: true, after: false, sensitive: false }] }]);
    h.sent.length = 0;
    expect((await h.apply(file(false))).result.failed).toEqual([]);
    expect(writes(h.sent)).toEqual(['ReactivateUser']);
    expect((await read()).deactivated_at).toBeUndefined();
    expect((await h.plan(file(false))).plan.document.changes).toEqual([]);
    // Unset, the state is not managed: a deactivation behind stream-sync's back is not drift.
    await env.api.call({ method: 'POST', path: '/api/v2/users/night-bot/deactivate', body: {} });
    expect((await h.plan(file(false).replace('    deactivated: false\n', ''))).plan.document.changes).toEqual([]);
    await h.close();
  });
});

describe('pruning users by inventory', () => {
  const env = useEmulator(FAST_APP);
  const file = (ids: string[], policy = '') => `
version: 1
users:
${ids.map((id) => `  - id: ${id}\n    name: ${id.toUpperCase()}\n`).join('')}${policy ? `policy:\n${policy}` : ''}`;

  it('deletes only users it managed that left the file, only with users in policy.prune, and restores them when they come back', async () => {
    await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users: { bystander: { id: 'bystander', name: 'Not managed' } } } });
    const h = harness(env.emu);
    expect((await h.apply(file(['ann', 'bo', 'cy']))).result.failed).toEqual([]);
    expect(h.state.inventory('users')).toEqual(['ann', 'bo', 'cy']);

    // cy leaves the file: without prune nothing is deleted, and the inventory keeps it.
    expect((await h.plan(file(['ann', 'bo']))).plan.document.summary.delete).toBe(0);
    const pruning = file(['ann', 'bo'], '  prune: [users]\n  max_deletes: 0\n');
    h.sent.length = 0;
    const planned = await h.plan(pruning);
    expect(planned.plan.document.changes).toEqual([{ address: 'user/cy', kind: 'user', action: 'delete', fields: expect.arrayContaining([{ path: '/name', before: 'CY', after: null, sensitive: false }]) }]);
    // Users that are neither declared nor managed before are never read, let alone deleted.
    expect(queriedIds(h.sent)).not.toContain('bystander');
    await expect(h.apply(pruning)).rejects.toThrow(/deletes 1 object, more than policy.max_deletes \(0\)/);
    expect(env.emu.app().users.get('cy')!.deleted_at).toBeUndefined();

    h.sent.length = 0;
    const applied = await h.apply(pruning, { allowDeletes: 1 });
    expect(applied.result.failed).toEqual([]);
    expect(applied.notConverged).toEqual([]);
    expect(h.sent.find((r) => r.op === 'DeleteUsers')!.body).toEqual({ user_ids: ['cy'], user: 'soft' });
    expect(h.sent.some((r) => r.op === 'GetTask')).toBe(true);
    expect(env.emu.app().users.get('cy')!.deleted_at).toEqual(expect.any(String));
    expect(env.emu.app().users.get('bystander')!.deleted_at).toBeUndefined();
    expect(h.state.inventory('users')).toEqual(['ann', 'bo']);
    expect((await h.plan(pruning)).plan.document.changes).toEqual([]);

    // cy comes back: its create restores the soft-deleted user.
    const back = file(['ann', 'bo', 'cy'], '  prune: [users]\n');
    const restore = await h.plan(back);
    expect(restore.plan.document.changes).toEqual([{ address: 'user/cy', kind: 'user', action: 'create', fields: [{ path: '/name', before: null, after: 'CY', sensitive: false }] }]);
    expect(restore.plan.document.warnings).toEqual([{ address: 'user/cy', message: RESTORE_WARNING }]);
    h.sent.length = 0;
    const restored = await h.apply(back);
    expect(restored.result.failed).toEqual([]);
    expect(restored.notConverged).toEqual([]);
    expect(writes(h.sent)).toEqual(['RestoreUsers', 'UpdateUsersPartial']);
    const sdk = sdkClient(env.emu);
    expect((await sdk.queryUsers({ payload: { filter_conditions: { id: 'cy' } } })).users.map((u) => [u.id, u.name])).toEqual([['cy', 'CY']]);
    expect(h.state.inventory('users')).toEqual(['ann', 'bo', 'cy']);
    expect((await h.plan(back)).plan.document.changes).toEqual([]);
    await h.close();
  });

  it('plans a user delete with the attributes it removes and says once how policy.user_delete deletes them', async () => {
    const h = harness(env.emu);
    expect((await h.apply(file(['pd-1', 'pd-2']))).result.failed).toEqual([]);
    const planned = await h.plan(file([], '  prune: [users]\n').replace('users:\n', 'users: []\n'));
    const deletes = planned.plan.document.changes.filter((c) => c.action === 'delete');
    expect(deletes.map((c) => c.address)).toEqual(['user/pd-1', 'user/pd-2']);
    expect(deletes[0]!.fields).toContainEqual({ path: '/name', before: 'PD-1', after: null, sensitive: false });
    expect(deletes[0]!.fields.map((f) => f.path)).not.toContain('/id');
    const notes = planned.plan.document.warnings.filter((w) => w.address === 'policy.user_delete');
    expect(notes).toEqual([{ address: 'policy.user_delete', message: expect.stringMatching(/^2 users are deleted soft: .*restored/) }]);
    const hard = await h.plan(file([], '  prune: [users]\n  user_delete: hard\n').replace('users:\n', 'users: []\n'));
    expect(hard.plan.document.warnings).toContainEqual({ address: 'policy.user_delete', message: expect.stringMatching(/^2 users are deleted hard: .*messages .*cannot be undone/) });
    await h.close();
  });

  it('masks in a delete what the user was applied with as sensitive, and shows custom data by its keys only', async () => {
    const h = harness(env.emu);
    const declared = 'version: 1\nusers:\n  - id: tok-1\n    name: Token holder\n    custom: { api_token: "${env:TOKEN}", plan: gold }\npolicy:\n  sensitive_variables: [TOKEN]\n';
    expect((await h.apply(declared, { env: { TOKEN: 'tok-very-secret-123' } })).result.failed).toEqual([]);
    const planned = await h.plan('version: 1\nusers: []\npolicy:\n  prune: [users]\n');
    const del = planned.plan.document.changes.find((c) => c.address === 'user/tok-1')!;
    expect(del.fields).toContainEqual({ path: '/custom', before: '(sensitive value)', after: null, sensitive: true });
    expect(del.fields).toContainEqual({ path: '/name', before: 'Token holder', after: null, sensitive: false });
    expect(JSON.stringify(planned.plan.document)).not.toContain('tok-very-secret-123');
    for (const format of ['text', 'markdown'] as const) expect(renderPlan(planned.plan.document, format)).not.toContain('tok-very-secret-123');
    await h.close();
  });

  it('hard-deletes in the mode policy.user_delete names, protects what policy.protect names, and counts deletes for max_deletes', async () => {
    const h = harness(env.emu);
    expect((await h.apply(file(['hd-1', 'hd-2', 'hd-3']))).result.failed).toEqual([]);
    const target = file([], '  prune: [users]\n  user_delete: hard\n  protect: [user/hd-3]\n  max_deletes: 1\n').replace('users:\n', 'users: []\n');
    const planned = await h.plan(target);
    expect(planned.plan.document.changes.map((c) => `${c.action} ${c.address}`)).toEqual(['delete user/hd-1', 'delete user/hd-2']);
    expect(planned.plan.document.warnings).toContainEqual({ address: 'user/hd-3', message: expect.stringMatching(/protect/) });
    await expect(h.apply(target)).rejects.toThrow(/max_deletes/);
    h.sent.length = 0;
    expect((await h.apply(target, { allowDeletes: 2 })).result.failed).toEqual([]);
    expect(h.sent.find((r) => r.op === 'DeleteUsers')!.body).toEqual({ user_ids: ['hd-1', 'hd-2'], user: 'hard', messages: 'hard', conversations: 'hard' });
    expect(env.emu.app().users.has('hd-1')).toBe(false);
    expect(env.emu.app().users.has('hd-3')).toBe(true);
    // A protected user stays in the inventory: it is deleted once the protection goes.
    expect(h.state.inventory('users')).toEqual(['hd-3']);
    await h.close();
  });

  it('deletes more than 100 users in batches of 100, each task awaited', async () => {
    const ids = Array.from({ length: 130 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
    const h = harness(env.emu);
    expect((await h.apply(file(ids))).result.failed).toEqual([]);
    h.sent.length = 0;
    const applied = await h.apply('version: 1\nusers: []\npolicy:\n  prune: [users]\n');
    expect(applied.result.failed).toEqual([]);
    expect(applied.result.applied).toHaveLength(130);
    const deletes = h.sent.filter((r) => r.op === 'DeleteUsers').map((r) => (r.body as { user_ids: string[] }).user_ids);
    expect(deletes.map((d) => d.length)).toEqual([100, 30]);
    expect(deletes.flat().sort()).toEqual(ids);
    expect(ids.every((id) => env.emu.app().users.get(id)!.deleted_at)).toBe(true);
    expect(h.state.inventory('users')).toEqual([]);
    await h.close();
  });

  it('refuses to prune a user that a declared group still lists', async () => {
    const h = harness(env.emu);
    expect((await h.apply(file(['grp-a', 'grp-b']))).result.failed).toEqual([]);
    const yaml = `${file(['grp-a'], '  prune: [users]\n')}user_groups:\n  - id: grp\n    name: Grp\n    members: [grp-a, grp-b]\n`;
    // Refused offline already (validate): the member is not declared and users are pruned.
    await expect(h.plan(yaml)).rejects.toThrow(/user_group\/grp refers to user\/grp-b/);
    await h.close();
  });

  it('leaves a user that the file no longer manages at all (no users section) alone', async () => {
    const h = harness(env.emu);
    expect((await h.apply(file(['quiet-1']))).result.failed).toEqual([]);
    h.sent.length = 0;
    const planned = await h.plan('version: 1\nroles: []\npolicy:\n  prune: [roles]\n');
    expect(planned.plan.document.changes.filter((c) => c.kind === 'user')).toEqual([]);
    expect(h.sent.filter((r) => r.op === 'QueryUsers')).toEqual([]);
    await h.close();
  });
});

describe('a delete task that does not finish', () => {
  it('fails the deletes after the timeout and keeps the users in the inventory', async () => {
    // Tasks stay pending for a minute; the engine waits 50 ms.
    const emu = await startEmulator({ port: 0, ...FAST_APP, taskStepMs: 60_000 });
    const h = harness(emu);
    h.deps.taskWait = { timeoutMs: 50, pollMs: 5, maxPollMs: 10 };
    try {
      expect((await h.apply('version: 1\nusers:\n  - id: slow-1\n')).result.failed).toEqual([]);
      const applied = await h.apply('version: 1\nusers: []\npolicy:\n  prune: [users]\n');
      expect(applied.result.applied).toEqual([]);
      expect(applied.result.failed).toEqual([{ address: 'user/slow-1', action: 'delete', error: expect.stringMatching(/^task .* did not finish within 0s \(status pending\); it may still complete$/) }]);
      expect(h.state.inventory('users')).toEqual(['slow-1']);
    } finally {
      await h.close();
      await emu.close();
    }
  });
});

describe('devices, blocked users and push preferences', () => {
  const env = useEmulator(FAST_APP);
  const base = `
version: 1
push_providers:
  - type: firebase
    name: acme-fcm
    firebase_credentials: '{"type": "service_account"}'
`;

  it('creates the satellites of declared users, then plans nothing', async () => {
    await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users: { 'spammer-1': { id: 'spammer-1' } } } });
    const h = harness(env.emu);
    const file = `${base}users:
  - id: support-bot
    name: Support Bot
    devices:
      - id: fcm-token-0001
        push_provider: firebase
        push_provider_name: acme-fcm
      - id: apn-voip-0001
        push_provider: apn
        voip_token: true
    blocked_users: [spammer-1]
    push_preferences:
      chat_level: mentions
      call_level: all
      chat_preferences: { thread_replies: none }
`;
    const first = await h.apply(file);
    expect(first.result.failed).toEqual([]);
    expect(first.notConverged).toEqual([]);
    // The provider and the user before the devices that name them; the user before its other satellites.
    const order = first.plan.document.changes.map((c) => c.address);
    expect([...order].sort()).toEqual([
      'blocked_user/support-bot/spammer-1',
      'device/support-bot/apn-voip-0001',
      'device/support-bot/fcm-token-0001',
      'push_preference/support-bot',
      'push_provider/firebase/acme-fcm',
      'user/support-bot',
    ]);
    for (const satellite of order.filter((a) => !a.startsWith('user/') && !a.startsWith('push_provider/'))) expect(order.indexOf('user/support-bot')).toBeLessThan(order.indexOf(satellite));
    for (const device of order.filter((a) => a.startsWith('device/'))) expect(order.indexOf('push_provider/firebase/acme-fcm')).toBeLessThan(order.indexOf(device));
    const sdk = sdkClient(env.emu);
    const devices = (await sdk.listDevices({ user_id: 'support-bot' })).devices.map((d) => [d.id, d.push_provider, d.push_provider_name ?? null, d.voip ?? false]);
    expect(devices.sort()).toEqual([
      ['apn-voip-0001', 'apn', null, true],
      ['fcm-token-0001', 'firebase', 'acme-fcm', false],
    ]);
    expect((await sdk.getBlockedUsers({ user_id: 'support-bot' })).blocks.map((b) => b.blocked_user_id)).toEqual(['spammer-1']);
    expect(env.emu.app().pushPreferences.get('support-bot')).toEqual({ chat_level: 'mentions', call_level: 'all', chat_preferences: { thread_replies: 'none' } });

    h.sent.length = 0;
    const again = await h.plan(file);
    expect(again.plan.document.changes).toEqual([]);
    // Only reads; push preferences are not read at all (there is no read): their fingerprints say they are applied.
    expect(writes(h.sent)).toEqual([]);

    const edited = file.replace('chat_level: mentions', 'chat_level: all');
    expect((await h.plan(edited)).plan.document.changes).toEqual([
      { address: 'push_preference/support-bot', kind: 'push_preference', action: 'update', fields: [{ path: '/chat_level', before: null, after: 'all', sensitive: false }] },
    ]);
    h.sent.length = 0;
    expect((await h.apply(edited)).result.failed).toEqual([]);
    expect(h.sent.filter((r) => r.method !== 'GET').map((r) => [r.op, r.body])).toEqual([['UpdatePushNotificationPreferences', { preferences: [{ user_id: 'support-bot', chat_level: 'all' }] }]]);
    expect(env.emu.app().pushPreferences.get('support-bot')!.chat_level).toBe('all');
    await h.close();
  });

  it('removes undeclared devices and blocks only with their token in policy.prune, and only for users that declare the list', async () => {
    for (const id of ['owner', 'bystander', 'troll-1', 'troll-2']) await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users: { [id]: { id } } } });
    for (const [user_id, id] of [['owner', 'dev-keep'], ['owner', 'dev-stale'], ['bystander', 'dev-other']]) {
      await env.api.call({ method: 'POST', path: '/api/v2/devices', body: { id, push_provider: 'apn', user_id } });
    }
    for (const [user_id, blocked_user_id] of [['owner', 'troll-1'], ['owner', 'troll-2'], ['bystander', 'troll-1']]) {
      await env.api.call({ method: 'POST', path: '/api/v2/users/block', body: { user_id, blocked_user_id } });
    }
    const h = harness(env.emu);
    const file = (policy: string) => `
version: 1
users:
  - id: owner
    devices:
      - id: dev-keep
        push_provider: apn
    blocked_users: [troll-1]
  - id: bystander
${policy}`;
    expect((await h.plan(file(''))).plan.document.changes).toEqual([]);
    const planned = await h.plan(file('policy:\n  prune: [devices, blocked_users]\n'));
    expect(planned.plan.document.changes.map((c) => `${c.action} ${c.address}`)).toEqual(['delete device/owner/dev-stale', 'delete blocked_user/owner/troll-2']);
    // Pruning devices alone leaves blocks alone, and the reverse.
    expect((await h.plan(file('policy:\n  prune: [devices]\n'))).plan.document.changes.map((c) => c.address)).toEqual(['device/owner/dev-stale']);

    h.sent.length = 0;
    expect((await h.apply(file('policy:\n  prune: [devices, blocked_users]\n'))).result.failed).toEqual([]);
    expect(writes(h.sent)).toEqual(['DeleteDevice', 'UnblockUsers']);
    // The bystander declares neither list: its device and its block were never read.
    expect(h.sent.filter((r) => r.op === 'ListDevices' || r.op === 'GetBlockedUsers').map((r) => r.query!.user_id)).not.toContain('bystander');
    const ofTheseUsers = (keys: Iterable<string>) => [...keys].filter((k) => /^(owner|bystander)\//.test(k)).sort();
    expect(ofTheseUsers(env.emu.app().devices.keys())).toEqual(['bystander/dev-other', 'owner/dev-keep']);
    expect(ofTheseUsers(env.emu.app().blockedUsers.keys())).toEqual(['bystander/troll-1', 'owner/troll-1']);

    // An explicit empty list with the token pruned removes all of that user's.
    const none = `
version: 1
users:
  - id: owner
    devices: []
    blocked_users: []
policy:
  prune: [devices, blocked_users]
`;
    expect((await h.plan(none)).plan.document.changes.map((c) => `${c.action} ${c.address}`)).toEqual(['delete device/owner/dev-keep', 'delete blocked_user/owner/troll-1']);
    await h.close();
  });

  it('refuses a device whose push provider is neither declared nor present, before any write', async () => {
    const h = harness(env.emu);
    await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users: { lonely: { id: 'lonely' } } } });
    const file = `${base}users:
  - id: lonely
    devices:
      - id: tok
        push_provider: huawei
        push_provider_name: missing
`;
    await expect(h.plan(file)).rejects.toThrow(/device\/lonely\/tok refers to push_provider\/huawei\/missing, which is neither declared in the file nor present in the app/);
    await h.close();
  });

  it('creates the satellites of a user that does not exist yet in the same apply', async () => {
    await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users: { 'target-x': { id: 'target-x' } } } });
    const h = harness(env.emu);
    const file = `
version: 1
users:
  - id: fresh-bot
    devices: [{ id: fresh-tok, push_provider: xiaomi }]
    blocked_users: [target-x]
    push_preferences: { feeds_level: none }
  - id: ghost-of-the-file
    blocked_users: [fresh-bot]
`;
    const planned = await h.plan(file);
    expect(planned.plan.document.summary).toMatchObject({ create: 6, update: 0, delete: 0 });
    const applied = await h.apply(file);
    expect(applied.result.failed).toEqual([]);
    expect(applied.notConverged).toEqual([]);
    expect((await h.plan(file)).plan.document.changes).toEqual([]);
    await h.close();
  });
});

/**
 * Generated files of users with satellites, applied in sequence to one app (so users are created, changed,
 * pruned, soft-deleted and restored): after the last apply, planning again is empty and applying again writes
 * nothing and changes nothing.
 */
const POOL = ['p-ann', 'p-bo', 'p-cy', 'p-dan'];
const level = <T extends string>(values: readonly T[]) => fc.option(fc.constantFrom(...values), { nil: undefined });
const userWithSatellites = (id: string) =>
  fc.record(
    {
      name: fc.option(fc.stringMatching(/^[A-Z][a-z]{1,5}$/), { nil: undefined }),
      deactivated: fc.option(fc.boolean(), { nil: undefined }),
      devices: fc.option(
        fc.uniqueArray(fc.record({ n: fc.integer({ min: 1, max: 4 }), push_provider: fc.constantFrom('apn', 'firebase', 'huawei', 'xiaomi'), voip_token: fc.option(fc.boolean(), { nil: undefined }) }), { selector: (d) => d.n, maxLength: 3 }),
        { nil: undefined },
      ),
      blocked: fc.option(fc.subarray(POOL.filter((p) => p !== id)), { nil: undefined }),
      push_preferences: fc.option(fc.record({ chat_level: level(['all', 'mentions', 'none', 'default'] as const), call_level: level(['all', 'none'] as const) }, { requiredKeys: [] }), { nil: undefined }),
    },
    { requiredKeys: [] },
  );

const lifecycleFile = fc
  .record({
    users: fc.subarray(POOL, { minLength: 1 }),
    prune: fc.subarray(['users', 'devices', 'blocked_users']),
    user_delete: fc.constantFrom('soft', 'pruning', 'hard'),
  })
  .chain((shape) => fc.record({ shape: fc.constant(shape), details: fc.tuple(...shape.users.map(userWithSatellites)) }))
  .map(({ shape, details }) => {
    const users = shape.users.map((id, i) => {
      const d = details[i]!;
      const user: Rec = { id };
      if (d.name !== undefined) user.name = d.name;
      if (d.deactivated !== undefined) user.deactivated = d.deactivated;
      if (d.devices !== undefined) user.devices = d.devices.map(({ n, push_provider, voip_token }) => ({ id: `${id}-tok-${n}`, push_provider, ...(voip_token === undefined ? {} : { voip_token }) }));
      // Only users of the same file can be blocked: they exist once it is applied.
      if (d.blocked !== undefined) user.blocked_users = d.blocked.filter((b) => shape.users.includes(b));
      if (d.push_preferences !== undefined) user.push_preferences = Object.fromEntries(Object.entries(d.push_preferences).filter(([, v]) => v !== undefined));
      return user;
    });
    const policy: Rec = { user_delete: shape.user_delete };
    if (shape.prune.length) policy.prune = shape.prune;
    return stringify({ version: 1, users, policy });
  });

/** What the app holds of the pool's users and their satellites (timestamps left out). */
function appSnapshot(emu: RunningEmulator): string {
  const app = emu.app();
  const users = [...app.users.values()].filter((u) => POOL.includes(String(u.id))).map((u) => [u.id, u.name ?? null, u.role, Boolean(u.deactivated_at), Boolean(u.deleted_at)]);
  const devices = [...app.devices.values()].map((d) => [d.user_id, d.id, d.push_provider, d.voip ?? false]);
  const blocks = [...app.blockedUsers.keys()];
  const prefs = [...app.pushPreferences.entries()];
  const sorted = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort();
  return JSON.stringify([sorted(users), sorted(devices), sorted(blocks), sorted(prefs)]);
}

describe('user lifecycle properties', () => {
  it('applying a file of users with satellites twice equals applying it once, whatever was applied before', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(lifecycleFile, { minLength: 1, maxLength: 3 }), async (files) => {
        const emu = await startEmulator({ port: 0, ...FAST_APP, taskStepMs: 0 });
        const h = harness(emu);
        try {
          let restored = false;
          for (const yaml of files) {
            const applied = await h.apply(yaml, { allowDeletes: 1000 });
            expect(applied.result.failed).toEqual([]);
            expect(applied.notConverged).toEqual([]);
            restored = applied.plan.document.warnings.some((w) => w.message === RESTORE_WARNING);
          }
          const last = files[files.length - 1]!;
          // A restored user's satellites could not be read while it was deleted (the plan said so): the next run sees them.
          if (restored) expect((await h.apply(last, { allowDeletes: 1000 })).result.failed).toEqual([]);
          expect((await h.plan(last)).plan.document.changes).toEqual([]);
          const once = appSnapshot(emu);
          h.sent.length = 0;
          const again = await h.apply(last, { allowDeletes: 1000 });
          expect(again.plan.document.changes).toEqual([]);
          expect(writes(h.sent)).toEqual([]);
          expect(appSnapshot(emu)).toBe(once);
        } finally {
          await h.close();
          await emu.close();
        }
      }),
      { numRuns: 20 },
    );
  });
});
