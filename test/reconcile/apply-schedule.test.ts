import { describe, expect, it } from 'vitest';
import type { Api, ApiRequest } from '../../src/core/api.js';
import { applyPlan } from '../../src/runtime/engine.js';
import { useEmulator } from '../support/emulator.js';
import { harness } from '../support/reconcile.js';

/**
 * How apply orders its work: each kind starts as soon as the kinds it depends on are done (not when a whole level
 * is), a user group as soon as its own members exist, and user groups are read back one by one as they are written. Both are what keeps a large apply close to
 * the API's rate limits (see the benchmark); here they are checked by the order of the requests.
 */
const groups = (n: number) =>
  Array.from({ length: n }, (_, i) => `  - id: team-${String(i).padStart(2, '0')}\n    name: Team ${i}\n    members: [ann]`).join('\n');

const FILE = `
version: 1
users:
  - id: ann
    name: Ann
push_providers:
  - type: firebase
    name: fcm
    firebase_credentials: '{"type":"service_account"}'
    templates:
      - event_type: message.new
        template: '{"title":"{{ sender.name }}"}'
      - event_type: message.updated
        template: '{"title":"edited"}'
user_groups:
${groups(12)}
`;

/**
 * The harness's API with the creation of one group held back until a request of operation `until` has been sent
 * (at most `capMs`, so a wrong order fails the test instead of hanging it); `sent` records the order.
 */
function holding(api: Api, group: string, until: string, capMs = 1_500): { api: Api; sent: ApiRequest[] } {
  const sent: ApiRequest[] = [];
  let seen!: () => void;
  const arrived = new Promise<void>((resolve) => (seen = resolve));
  return {
    sent,
    api: {
      async send<T>(req: ApiRequest) {
        sent.push(req);
        if (req.op === until) seen();
        if (req.op === 'CreateUserGroup' && (req.body as { id?: string }).id === group) await Promise.race([arrived, new Promise((r) => setTimeout(r, capMs))]);
        return api.send<T>(req);
      },
    },
  };
}

const first = (sent: ApiRequest[], op: string) => sent.findIndex((r) => r.op === op);
const last = (sent: ApiRequest[], op: string) => sent.findLastIndex((r) => r.op === op);

describe('apply schedules each kind after its own dependencies only', () => {
  const env = useEmulator();

  it('sends push templates while user groups are still being created', async () => {
    const h = harness(env.emu, { concurrency: 4 });
    const held = holding(h.deps.api, 'team-11', 'UpsertPushTemplate');
    h.deps.api = held.api;
    const applied = await h.apply(FILE);
    expect(applied.result.failed).toEqual([]);
    expect(applied.notConverged).toEqual([]);
    expect(held.sent.filter((r) => r.op === 'CreateUserGroup')).toHaveLength(12);
    // Templates wait for their provider, nothing else: the first goes out before the last group is created.
    expect(first(held.sent, 'UpsertPushTemplate')).toBeGreaterThan(first(held.sent, 'UpsertPushProvider'));
    expect(first(held.sent, 'UpsertPushTemplate')).toBeLessThan(last(held.sent, 'CreateUserGroup'));
    // Groups still wait for the users they list.
    expect(first(held.sent, 'CreateUserGroup')).toBeGreaterThan(last(held.sent, 'UpdateUsers'));
    await h.close();
  });

  it('creates a group once the users it lists exist, while the other users are still being created', async () => {
    const h = harness(env.emu, { concurrency: 4 });
    const id = (i: number) => `member-${String(i).padStart(3, '0')}`;
    const users = Array.from({ length: 250 }, (_, i) => `  - id: ${id(i)}\n    name: Member ${i}`).join('\n');
    // The group lists the users the file declares last.
    const members = Array.from({ length: 50 }, (_, i) => id(200 + i)).join(', ');
    const file = `version: 1\nusers:\n${users}\nuser_groups:\n  - id: late-joiners\n    name: Late\n    members: [${members}]\n`;
    // The UpdateUsers calls that do not carry the group's members are answered only once the group has been
    // created (or after 1.5 s, so that a wrong order fails instead of hanging).
    const events: string[] = [];
    let created!: () => void;
    const groupSent = new Promise<void>((resolve) => (created = resolve));
    const inner = h.deps.api;
    h.deps.api = {
      async send<T>(req: ApiRequest) {
        if (req.op === 'CreateUserGroup') {
          events.push('group created');
          created();
        }
        const answer = await inner.send<T>(req);
        if (req.op === 'UpdateUsers') {
          const carriesMembers = id(200) in (req.body as { users: Record<string, unknown> }).users;
          if (!carriesMembers) await Promise.race([groupSent, new Promise((r) => setTimeout(r, 1_500))]);
          events.push(carriesMembers ? 'members created' : 'other users created');
        }
        return answer;
      },
    };
    const applied = await h.apply(file);
    expect(applied.result.failed).toEqual([]);
    expect(applied.notConverged).toEqual([]);
    expect(events).toEqual(['members created', 'group created', 'other users created', 'other users created']);
    await h.close();
  });

  it('reads each user group back as soon as it is written, while other groups are still being created', async () => {
    const h = harness(env.emu, { concurrency: 2 });
    const held = holding(h.deps.api, 'crew-11', 'GetUserGroup');
    h.deps.api = held.api;
    const file = FILE.replaceAll('team-', 'crew-');
    const applied = await h.apply(file);
    expect(applied.result.failed).toEqual([]);
    expect(applied.notConverged).toEqual([]);
    const creates = held.sent.filter((r) => r.op === 'CreateUserGroup').length;
    // One read per group written, the first before the last group is created; the groups are not listed again.
    expect(held.sent.slice(first(held.sent, 'CreateUserGroup')).filter((r) => r.op === 'GetUserGroup')).toHaveLength(creates);
    expect(first(held.sent, 'GetUserGroup')).toBeLessThan(last(held.sent, 'CreateUserGroup'));
    expect(held.sent.slice(first(held.sent, 'CreateUserGroup')).filter((r) => r.op === 'ListUserGroups')).toHaveLength(0);
    await h.close();
  });
});

describe('apply when the state file cannot be written', () => {
  const env = useEmulator();

  it('starts no further kind, lets the ones under way finish, then fails: nothing is written after it has failed', async () => {
    const h = harness(env.emu, { concurrency: 1 });
    const lists = Array.from({ length: 6 }, (_, i) => `  - name: list-${i}\n    words: [w${i}]`).join('\n');
    const file = `version: 1\nroles:\n  - name: saver\nusers:\n  - id: saver-user\n    role: saver\nblocklists:\n${lists}\n`;
    const planned = await h.plan(file);
    h.sent.length = 0;
    h.state.save = () => {
      throw new Error('EROFS: read-only file system');
    };
    await expect(applyPlan(h.deps, planned.plan, planned.desired)).rejects.toThrow('EROFS');
    const atFailure = h.sent.map((r) => r.op);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.sent.map((r) => r.op)).toEqual(atFailure);
    // The users (after the roles) never started; the block lists under way when the roles' save failed finished.
    expect(atFailure.filter((op) => op === 'UpdateUsers')).toEqual([]);
    expect(atFailure.filter((op) => op === 'CreateBlockList')).toHaveLength(6);
    await h.close();
  });
});

describe('the read-back of user groups', () => {
  const env = useEmulator();

  it('reports a group whose read-back differs from the file as not converged, and a deleted group read back as gone', async () => {
    const h = harness(env.emu);
    const file = `version: 1\nusers:\n  - id: bo\n    name: Bo\nuser_groups:\n  - id: night-shift\n    name: Night\n    members: [bo]\n  - id: day-shift\n    name: Day\n`;
    expect((await h.apply(file)).notConverged).toEqual([]);

    // Someone renames the group between stream-sync's write and its read-back.
    const inner = h.deps.api;
    h.deps.api = {
      async send<T>(req: ApiRequest) {
        const answer = await inner.send<T>(req);
        if (req.op === 'UpdateUserGroup') await inner.send({ op: 'UpdateUserGroup', method: 'PUT', path: '/api/v2/usergroups/{id}', params: { id: 'night-shift' }, body: { name: 'Renamed behind our back' }, idempotent: true });
        return answer;
      },
    };
    const renamed = await h.apply(file.replace('name: Night', 'name: Night shift'));
    expect(renamed.result.applied).toEqual(['user_group/night-shift']);
    expect(renamed.notConverged).toEqual(['user_group/night-shift']);

    h.deps.api = inner;
    const pruned = await h.apply(`${file.replace(/  - id: day-shift\n    name: Day\n/, '')}policy:\n  prune: [user_groups]\n`);
    expect(pruned.result.applied).toEqual(expect.arrayContaining(['user_group/day-shift']));
    expect(pruned.notConverged).toEqual([]);
    await h.close();
  });
});
