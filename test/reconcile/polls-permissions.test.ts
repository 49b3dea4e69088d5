import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runExport } from '../../src/commands/export.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { ConfigError } from '../../src/core/errors.js';
import { TestApi } from '../support/api.js';
import { useEmulator } from '../support/emulator.js';
import { type Harness, harness } from '../support/reconcile.js';
import { sdkClient } from '../support/sdk.js';
import { loadSpec } from '../support/spec.js';

type Rec = Record<string, any>;

/** Requests the emulator answered from index `from` on, as `op` names, reads left out (QueryPolls is a read). */
const writesSince = (emu: RunningEmulator, from: number) =>
  emu.requests
    .slice(from)
    .filter((r) => r.method !== 'GET' && r.op !== 'QueryPolls')
    .map((r) => r.op);

/** Runs `fn` against a fresh emulator (for pruning, which sees every object of the app). */
const fresh: { emu?: RunningEmulator; h?: Harness }[] = [];
async function freshHarness() {
  const emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0 });
  const h = harness(emu);
  fresh.push({ emu, h });
  return { emu, h, api: new TestApi(emu, loadSpec()) };
}
afterEach(async () => {
  for (const { emu, h } of fresh.splice(0)) {
    await h?.close();
    await emu?.close();
  }
});

const POLLS = `
version: 1
polls:
  - id: csat
    name: How did we do?
    enforce_unique_vote: true
    max_votes_allowed: 1
    voting_visibility: anonymous
    custom: { team: support }
    created_by_id: support-bot
    options: [{ text: Great }, { text: OK }, { text: Bad }]
  - id: lunch
    name: Lunch?
    created_by_id: support-bot
    options: [{ text: Pizza, custom: { veggie: true } }, { text: Sushi }]
`;

describe('polls against the emulator', () => {
  const env = useEmulator();

  it('creates polls with their options in file order and the declared creator, then plans nothing', async () => {
    const h = harness(env.emu);
    const first = await h.apply(POLLS);
    expect(first.result.failed).toEqual([]);
    expect(first.notConverged).toEqual([]);
    expect(first.plan.document.summary).toMatchObject({ create: 2, update: 0, delete: 0 });
    const csat = env.emu.app().polls.get('csat')!;
    expect(csat).toMatchObject({ name: 'How did we do?', created_by_id: 'support-bot', voting_visibility: 'anonymous', custom: { team: 'support' } });
    expect((csat.options as Rec[]).map((o) => o.text)).toEqual(['Great', 'OK', 'Bad']);
    expect(h.sent.filter((r) => r.op === 'CreatePoll').map((r) => (r.body as Rec).user_id)).toEqual(['support-bot', 'support-bot']);

    const again = await h.plan(POLLS);
    expect(again.plan.document.changes).toEqual([]);
    expect(again.plan.document.warnings).toEqual([]);
    // Declared polls are read by id, never by listing the app's polls.
    expect(h.sent.some((r) => r.op === 'QueryPolls')).toBe(false);

    // The official SDK reads the same poll.
    const { poll } = await sdkClient(env.emu).getPoll({ poll_id: 'lunch' });
    expect(poll.options.map((o) => [o.text, o.custom])).toEqual([
      ['Pizza', { veggie: true }],
      ['Sushi', {}],
    ]);
    await h.close();
  });

  it('edits settings by a partial update that keeps undeclared ones, options by text, and never touches votes of kept options', async () => {
    const api = new TestApi(env.emu, loadSpec());
    const seeded = await api.call({
      method: 'POST',
      path: '/api/v2/polls',
      body: { id: 'retro', name: 'Retro', description: 'Sprint 12', allow_answers: true, user_id: 'lead', options: [{ text: 'Keep' }, { text: 'Drop' }, { text: 'Tweak' }] },
    });
    expect(seeded.status).toBe(201);
    const ids = Object.fromEntries((seeded.body.poll.options as Rec[]).map((o) => [o.text, o.id]));
    const vote = (id: string, option: string, user: string) => ({ id, poll_id: 'retro', option_id: option, user_id: user, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' });
    env.emu.app().pollVotes.set('retro', [vote('v1', ids.Keep, 'ann'), vote('v2', ids.Keep, 'bo'), vote('v3', ids.Tweak, 'cy'), vote('v4', ids.Drop, 'di')]);

    const file = `
version: 1
polls:
  - id: retro
    name: Retro
    is_closed: true
    options: [{ text: Keep }, { text: Tweak, custom: { color: amber } }, { text: Start }]
`;
    const h = harness(env.emu);
    const planned = await h.plan(file);
    expect(planned.plan.document.changes).toEqual([
      {
        address: 'poll/retro',
        kind: 'poll',
        action: 'update',
        fields: [
          { path: '/is_closed', before: false, after: true, sensitive: false },
          {
            path: '/options',
            // A set, in canonical order.
            before: [{ text: 'Tweak', custom: {} }, { text: 'Drop' }, { text: 'Keep' }],
            after: [{ text: 'Tweak', custom: { color: 'amber' } }, { text: 'Keep' }, { text: 'Start' }],
            sensitive: false,
          },
        ],
      },
    ]);
    const from = env.emu.requests.length;
    const applied = await h.apply(file);
    expect(applied.result.failed).toEqual([]);
    expect(applied.notConverged).toEqual([]);
    expect(writesSince(env.emu, from)).toEqual(['UpdatePollPartial', 'DeletePollOption', 'CreatePollOption', 'UpdatePollOption']);
    // No vote endpoint was ever called.
    expect(env.emu.requests.some((r) => /Vote/.test(r.op ?? ''))).toBe(false);

    const poll = env.emu.app().polls.get('retro')!;
    expect(poll).toMatchObject({ is_closed: true, description: 'Sprint 12', allow_answers: true, created_by_id: 'lead' });
    expect((poll.options as Rec[]).map((o) => [o.text, o.custom])).toEqual([
      ['Keep', {}],
      ['Tweak', { color: 'amber' }],
      ['Start', {}],
    ]);
    // Kept options keep their ids and their votes; the removed option's vote went with it (Stream's rule).
    expect(ids.Keep).toBe((poll.options as Rec[])[0]!.id);
    expect(env.emu.app().pollVotes.get('retro')!.map((v) => v.id)).toEqual(['v1', 'v2', 'v3']);

    expect((await h.plan(file)).plan.document.changes).toEqual([]);
    // Removing fields and reordering options stops managing, never resets.
    const loose = `
version: 1
polls:
  - id: retro
    name: Retro
    options: [{ text: Start }, { text: Tweak, custom: { color: amber } }, { text: Keep }]
`;
    expect((await h.plan(loose)).plan.document.changes).toEqual([]);
    await h.close();
  });

  it('a poll that must be created without created_by_id is a located error, and nothing is written', async () => {
    const h = harness(env.emu);
    const from = env.emu.requests.length;
    const err = await h.plan('version: 1\npolls:\n  - id: orphan\n    name: Who made me?\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/stream\.yaml:3:5: poll\/orphan does not exist yet and declares no created_by_id/);
    expect(writesSince(env.emu, from)).toEqual([]);
    await h.close();
  });

  it('a different creator is a plan warning, not a change', async () => {
    const h = harness(env.emu);
    await h.apply('version: 1\npolls:\n  - id: owned\n    name: Owned\n    created_by_id: ann\n');
    const planned = await h.plan('version: 1\npolls:\n  - id: owned\n    name: Owned\n    created_by_id: bo\n');
    expect(planned.plan.document.changes).toEqual([]);
    expect(planned.plan.document.warnings).toEqual([{ address: 'poll/owned', message: expect.stringMatching(/^\/created_by_id cannot be changed after creation/) }]);
    await h.close();
  });
});

describe('pruning polls', () => {
  it('deletes undeclared polls only with polls in policy.prune, counting against max_deletes', async () => {
    const { emu, h, api } = await freshHarness();
    for (const id of ['keep', 'stale']) {
      expect((await api.call({ method: 'POST', path: '/api/v2/polls', body: { id, name: id, user_id: 'lead', options: [{ text: 'A' }] } })).status).toBe(201);
    }
    const file = (policy: string) => `version: 1\npolls:\n  - id: keep\n    name: keep\n${policy}`;
    const unpruned = await h.plan(file(''));
    expect(unpruned.plan.document.changes).toEqual([]);
    expect(h.sent.filter((r) => r.op === 'QueryPolls')).toEqual([]);

    await expect(h.apply(file('policy:\n  prune: [polls]\n  max_deletes: 0\n'))).rejects.toThrow(/deletes 1 object, more than policy.max_deletes \(0\)/);
    expect(emu.app().polls.has('stale')).toBe(true);

    const pruned = await h.apply(file('policy:\n  prune: [polls]\n  max_deletes: 1\n'));
    expect(pruned.plan.document.changes).toEqual([{ address: 'poll/stale', kind: 'poll', action: 'delete', fields: expect.arrayContaining([{ path: '/created_by_id', before: 'lead', after: null, sensitive: false }]) }]);
    expect(pruned.result.failed).toEqual([]);
    expect([...emu.app().polls.keys()]).toEqual(['keep']);
  });
});

const PERMISSIONS = `
version: 1
permissions:
  - id: read-flags-own-team
    name: Read flags in own team
    action: ReadMessageFlags
    same_team: true
    condition: {}
  - id: pin-own-team
    name: Pin in own team
    action: PinMessage
    description: Pins, team-scoped
    condition: { team: { $eq: blue } }
`;

describe('custom permissions against the emulator', () => {
  it('creates, then plans nothing; an edit updates the whole permission and keeps what the file leaves out; built-ins are never drift', async () => {
    const { emu, h } = await freshHarness();
    const first = await h.apply(PERMISSIONS);
    expect(first.result.failed).toEqual([]);
    expect(first.notConverged).toEqual([]);
    expect(first.plan.document.summary).toMatchObject({ create: 2, update: 0, delete: 0 });
    expect(emu.app().permissions.get('pin-own-team')).toMatchObject({ custom: true, action: 'PinMessage', description: 'Pins, team-scoped', condition: { team: { $eq: 'blue' } } });
    const again = await h.plan(PERMISSIONS);
    expect(again.plan.document.changes).toEqual([]);
    expect(again.plan.document.warnings).toEqual([]);

    const edited = PERMISSIONS.replace('name: Pin in own team', 'name: Team pins').replace('    description: Pins, team-scoped\n', '');
    const applied = await h.apply(edited);
    expect(applied.plan.document.changes).toEqual([
      { address: 'permission/pin-own-team', kind: 'permission', action: 'update', fields: [{ path: '/name', before: 'Pin in own team', after: 'Team pins', sensitive: false }] },
    ]);
    expect(applied.notConverged).toEqual([]);
    expect(emu.app().permissions.get('pin-own-team')).toMatchObject({ name: 'Team pins', description: 'Pins, team-scoped' });

    // The official SDK reads the result.
    const { permission } = await sdkClient(emu).getPermission({ id: 'pin-own-team' });
    expect(permission).toMatchObject({ id: 'pin-own-team', name: 'Team pins', custom: true });
  });

  it('prunes undeclared custom permissions, never built-ins', async () => {
    const { emu, h } = await freshHarness();
    await h.apply(PERMISSIONS);
    const builtins = [...emu.app().permissions.values()].filter((p) => !p.custom).length;
    const only = `version: 1\npermissions:\n  - id: read-flags-own-team\n    name: Read flags in own team\n    action: ReadMessageFlags\npolicy:\n  prune: [permissions]\n`;
    const pruned = await h.apply(only);
    expect(pruned.plan.document.changes).toEqual([{ address: 'permission/pin-own-team', kind: 'permission', action: 'delete', fields: expect.arrayContaining([{ path: '/action', before: 'PinMessage', after: null, sensitive: false }]) }]);
    expect(pruned.result.failed).toEqual([]);
    expect([...emu.app().permissions.values()].filter((p) => p.custom).map((p) => p.id)).toEqual(['read-flags-own-team']);
    expect([...emu.app().permissions.values()].filter((p) => !p.custom)).toHaveLength(builtins);
  });

  it('a custom permission granted in the same file is created before the grant, in one apply', async () => {
    const { emu, h } = await freshHarness();
    const file = `${PERMISSIONS}roles:\n  - name: team-moderator\napp:\n  settings:\n    grants:\n      team-moderator: [read-channel, read-flags-own-team, pin-own-team]\n`;
    const applied = await h.apply(file);
    expect(applied.result.failed).toEqual([]);
    expect(applied.notConverged).toEqual([]);
    const order = applied.plan.document.changes.map((c) => c.address);
    expect(order.indexOf('app')).toBeGreaterThan(order.indexOf('permission/pin-own-team'));
    expect(order.indexOf('app')).toBeGreaterThan(order.indexOf('role/team-moderator'));
    expect([...(emu.app().settings.grants as Rec)['team-moderator']].sort()).toEqual(['pin-own-team', 'read-channel', 'read-flags-own-team']);
    expect((await h.plan(file)).plan.document.changes).toEqual([]);
  });

  it('an unknown granted id is a located error before any write, with or without a permissions section', async () => {
    const { emu, h } = await freshHarness();
    const grants = `app:\n  settings:\n    grants:\n      user: [read-channel, read-flagz]\nroles:\n  - name: newcomer\n`;
    for (const file of [`version: 1\n${grants}`, `${PERMISSIONS}${grants}`]) {
      const from = emu.requests.length;
      const err = await h.apply(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/stream\.yaml:\d+:\d+: app\.settings\.grants\.user names a permission the app does not have and the file does not declare: read-flagz/);
      expect(writesSince(emu, from)).toEqual([]);
      expect(emu.requests.slice(from).map((r) => r.op)).toContain('ListPermissions');
    }
    expect(emu.app().roles.has('newcomer')).toBe(false);
  });

  it('without a permissions section, permissions are read for the grants but never written', async () => {
    const { emu, h, api } = await freshHarness();
    expect((await api.call({ method: 'POST', path: '/api/v2/permissions', body: { id: 'legacy', name: 'Legacy', action: 'ReadChannel', condition: {} } })).status).toBe(201);
    const from = emu.requests.length;
    const applied = await h.apply('version: 1\napp:\n  settings:\n    grants:\n      user: [read-channel, legacy]\n');
    expect(applied.result.failed).toEqual([]);
    expect(writesSince(emu, from)).toEqual(['UpdateApp']);
    expect(emu.app().permissions.has('legacy')).toBe(true);
    // No grants declared: nothing about permissions is read at all.
    const before = emu.requests.length;
    await h.plan('version: 1\napp:\n  settings:\n    webhook_url: https://hooks.example/x\n');
    expect(emu.requests.slice(before).map((r) => r.op)).toEqual(['GetApp']);
  });

  it('granting a custom permission that prune would delete is an error, before any write', async () => {
    const { emu, h } = await freshHarness();
    await h.apply(PERMISSIONS);
    const from = emu.requests.length;
    const file = `version: 1\npermissions:\n  - id: read-flags-own-team\n    name: Read flags in own team\n    action: ReadMessageFlags\napp:\n  settings:\n    grants:\n      user: [read-channel, pin-own-team]\npolicy:\n  prune: [permissions]\n`;
    await expect(h.apply(file)).rejects.toThrow(/grants\.user names pin-own-team, which the file does not declare and policy\.prune would delete/);
    expect(writesSince(emu, from)).toEqual([]);
    expect(emu.app().permissions.has('pin-own-team')).toBe(true);
  });

  it('declaring a built-in is an error: offline for the ids Stream publishes, at plan time for the others', async () => {
    const { emu, h } = await freshHarness();
    await expect(h.plan('version: 1\npermissions:\n  - id: read-channel\n    name: Mine now\n    action: ReadChannel\n')).rejects.toThrow(
      /stream\.yaml:3:9: permissions\[0\]\.id: read-channel is a built-in permission: built-ins are read-only/,
    );
    // update-call-owner is built-in in the app but not in the published list: the app says so at plan time.
    expect(emu.app().permissions.get('update-call-owner')).toMatchObject({ custom: false });
    const from = emu.requests.length;
    await expect(h.plan('version: 1\npermissions:\n  - id: update-call-owner\n    name: Mine now\n    action: UpdateCall\n')).rejects.toThrow(
      /stream\.yaml:3:5: update-call-owner is a built-in permission: built-ins are read-only/,
    );
    expect(writesSince(emu, from)).toEqual([]);
  });

  it('export writes custom permissions and polls (no built-ins, no option ids), which plan nothing when read back', async () => {
    const { h } = await freshHarness();
    await h.apply(PERMISSIONS);
    await h.apply(POLLS);
    let text = '';
    const out = { stdout: (t: string) => (text += t), stderr: () => {}, color: false };
    await runExport({ kinds: ['permissions', 'polls'] }, { deps: h.deps, client: h.client }, out);
    expect(text).toContain('id: pin-own-team');
    expect(text).not.toContain('id: read-channel');
    expect(text).not.toContain('option_ids');
    expect(text).toContain('created_by_id: support-bot');
    const exported = await h.plan(text);
    expect(exported.plan.document.changes).toEqual([]);
  });
});

/**
 * Over generated pairs of desired states (polls with options and custom data, custom permissions and the grants
 * that name them, with and without prune): applying one then the other converges in one apply, plans nothing
 * after, deletes nothing outside policy.prune, and keeps the votes of every option that stays.
 */
describe('polls and permissions properties', () => {
  const text = fc.constantFrom('Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon');
  const option = fc.record({ text, custom: fc.option(fc.record({ n: fc.integer({ min: 0, max: 3 }) }), { nil: undefined }) });
  const poll = (id: string) =>
    fc.record({
      id: fc.constant(id),
      name: fc.constantFrom('Q1', 'Q2', 'Q3'),
      is_closed: fc.option(fc.boolean(), { nil: undefined }),
      max_votes_allowed: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
      custom: fc.option(fc.record({ team: fc.constantFrom('red', 'blue') }), { nil: undefined }),
      options: fc.option(fc.uniqueArray(option, { selector: (o) => o.text, maxLength: 4 }), { nil: undefined }),
    });
  const permission = (id: string) =>
    fc.record({ id: fc.constant(id), name: fc.constantFrom('One', 'Two'), action: fc.constantFrom('ReadChannel', 'PinMessage'), same_team: fc.option(fc.boolean(), { nil: undefined }) });
  const state = fc
    .record({
      // csat is in most states: the interesting cases are changes to a poll that exists.
      pollIds: fc.subarray(['lunch', 'retro']).map((ids) => ['csat', ...ids]),
      permissionIds: fc.subarray(['perm-one', 'perm-two']),
      sections: fc.record({ polls: fc.constantFrom(true, true, true, false), permissions: fc.boolean(), grants: fc.boolean() }),
      prune: fc.subarray(['polls', 'permissions']),
    })
    .chain((s) =>
      fc.record({
        s: fc.constant(s),
        polls: fc.tuple(...s.pollIds.map(poll)),
        permissions: fc.tuple(...s.permissionIds.map(permission)),
        granted: fc.subarray(['read-channel', ...(s.sections.permissions ? s.permissionIds : [])], { minLength: 1 }),
      }),
    )
    .map(({ s, polls, permissions, granted }) => {
      const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
      const doc: Record<string, unknown> = { version: 1 };
      if (s.sections.polls) doc.polls = polls.map((p) => strip({ ...p, created_by_id: 'lead', options: p.options?.map(strip) }));
      if (s.sections.permissions) doc.permissions = permissions.map(strip);
      if (s.sections.grants) {
        doc.roles = [{ name: 'mod' }];
        doc.app = { settings: { grants: { mod: granted } } };
      }
      const prune = s.prune.filter((k) => doc[k] !== undefined);
      if (prune.length) doc.policy = { prune };
      return { yaml: stringify(doc), prune };
    });

  it('converges in one apply, deletes only what prune covers, and keeps the votes of options that stay', async () => {
    await fc.assert(
      fc.asyncProperty(state, state, async (before, target) => {
        const emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0 });
        const h = harness(emu);
        try {
          const first = await h.apply(before.yaml, { allowDeletes: 100 });
          expect(first.result.failed).toEqual([]);
          // One vote on every option of every poll.
          for (const p of emu.app().polls.values()) {
            emu.app().pollVotes.set(p.id, (p.options as Rec[]).map((o, i) => ({ id: `${p.id}-v${i}`, poll_id: p.id, option_id: o.id, user_id: `voter-${i}`, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' })));
          }
          const textsBefore = new Map([...emu.app().polls.values()].map((p) => [p.id as string, new Map((p.options as Rec[]).map((o) => [o.text as string, o.id as string]))]));

          const applied = await h.apply(target.yaml, { allowDeletes: 100 });
          expect(applied.result.failed).toEqual([]);
          expect(applied.notConverged).toEqual([]);
          const section: Record<string, string> = { poll: 'polls', permission: 'permissions' };
          for (const c of applied.plan.document.changes.filter((c) => c.action === 'delete')) expect(target.prune).toContain(section[c.kind]);
          expect((await h.plan(target.yaml)).plan.document.changes).toEqual([]);

          // Votes are never touched: every surviving option keeps its id and its vote.
          for (const [pollId, options] of textsBefore) {
            const now = emu.app().polls.get(pollId);
            if (!now) continue;
            const votes = new Set((emu.app().pollVotes.get(pollId) ?? []).map((v) => v.option_id));
            for (const o of now.options as Rec[]) {
              if (options.get(o.text) === o.id) expect(votes.has(o.id)).toBe(true);
            }
          }
        } finally {
          await h.close();
          await emu.close();
        }
      }),
      { numRuns: 30 },
    );
  });
});
