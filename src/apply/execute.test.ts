import { describe, expect, it } from 'vitest';
import { ApiError } from '../core/errors.js';
import { userLive } from '../kinds/users/ids.js';
import type { Rec } from '../core/model.js';
import type { ApiRequest } from '../core/api.js';
import type { Plan, PlannedChange } from '../plan/plan.js';
import { StateFile } from '../state/state-file.js';
import { executePlan } from './execute.js';
import { type ChangeBatcher } from '../kinds/types.js';
import { userKind } from '../kinds/users/user.js';

/** The batchers the engine hands the executor for users (UpdateUsers for up to 100 users a call). */
const userBatchers = userKind.batchers!({ policy: { prune: [], protect: [], ignore: [], ignore_fields: {} } }).filter((b) => b.action !== 'delete');

function create(kind: string, address: string, fields: Rec): PlannedChange {
  return { address, kind, action: 'create', fields: [], desired: { kind, address, fields, sensitive: [] } };
}
const user = (id: string) => create('user', `user/${id}`, { id, name: id });
const group = (id: string, members: string[]) => create('user_group', `user_group/${id}`, { id, name: id, members });
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `u${String(from + i).padStart(3, '0')}`);

/** An API whose answers wait until the test settles them, so what is sent while others are under way shows. */
function heldApi(fail: (req: ApiRequest) => Error | undefined = () => undefined) {
  const sent: ApiRequest[] = [];
  const pending: { req: ApiRequest; answer: () => void }[] = [];
  return {
    sent,
    pending,
    send<T>(req: ApiRequest): Promise<T> {
      sent.push(req);
      return new Promise<T>((resolve, reject) => {
        pending.push({
          req,
          answer: () => {
            const err = fail(req);
            if (err) reject(err);
            else resolve({} as T);
          },
        });
      });
    },
    /** Answers the held requests `which` picks. */
    answer(which: (req: ApiRequest) => boolean) {
      for (const p of pending.filter((p) => which(p.req))) {
        pending.splice(pending.indexOf(p), 1);
        p.answer();
      }
    },
  };
}

const settle = () => new Promise((r) => setImmediate(r));
const usersIn = (req: ApiRequest) => Object.keys((req.body as { users: Rec }).users);
const groupsSent = (sent: ApiRequest[]) => sent.filter((r) => r.op === 'CreateUserGroup').map((r) => (r.body as Rec).id);
const plan = (...levels: PlannedChange[][]) => ({ levels, document: {} }) as unknown as Plan;
const state = () => StateFile.open(undefined, 'key', 'secret');

describe('a user group waits for its own members, not for every user', () => {
  it('creates a group as soon as the batch holding its members lands, while later batches are still under way', async () => {
    const users = ids(0, 250).map(user);
    // g1 lists users that come last in the file; g3 lists a user that already exists (not in the plan).
    const groups = [group('g1', ids(200, 250)), group('g2', ['u000', 'u001']), group('g3', ['someone-else'])];
    const api = heldApi();
    const done = executePlan(plan(users, groups), { api, state: state(), concurrency: 8, batchers: userBatchers });
    await settle();

    const batches = api.sent.filter((r) => r.op === 'UpdateUsers');
    expect(batches).toHaveLength(3);
    // The users the first groups need go out first.
    expect(usersIn(batches[0]!)).toEqual(expect.arrayContaining([...ids(200, 250), 'u000', 'u001']));
    // A group whose members are not being created does not wait at all.
    expect(groupsSent(api.sent)).toEqual(['g3']);

    api.answer((r) => r === batches[0]);
    await settle();
    expect(groupsSent(api.sent).sort()).toEqual(['g1', 'g2', 'g3']);
    expect(api.pending.filter((p) => p.req.op === 'UpdateUsers')).toHaveLength(2);

    api.answer(() => true);
    const result = await done;
    expect(result.failed).toEqual([]);
    expect(result.applied.sort()).toEqual([...users, ...groups].map((c) => c.address).sort());
  });

  it('skips only the groups whose own members failed; the others are created', async () => {
    const users = ids(0, 150).map(user);
    const groups = [group('g1', ids(0, 100)), group('g2', ['u100'])];
    // The call that carries u000 fails whole (a 503 after the client's retries).
    const api = heldApi((req) => (req.op === 'UpdateUsers' && usersIn(req).includes('u000') ? new ApiError('UpdateUsers', 503, -1, 'unavailable') : undefined));
    const done = executePlan(plan(users, groups), { api, state: state(), concurrency: 8, batchers: userBatchers });
    for (let i = 0; i < 5; i++) {
      await settle();
      api.answer(() => true);
    }
    const result = await done;
    expect(groupsSent(api.sent)).toEqual(['g2']);
    expect(result.skipped).toEqual([{ address: 'user_group/g1', reason: expect.stringMatching(/^user\/u0\d\d was not applied$/) }]);
    expect(result.failed.map((f) => f.address).sort()).toEqual(ids(0, 100).map((id) => `user/${id}`));
    expect(result.applied).toContain('user_group/g2');
  });

  it("neither hangs nor starts a waiting group when its members' kind never runs (the state file could not be written)", async () => {
    const role = create('role', 'role/editor', { name: 'editor' });
    const users = [create('user', 'user/u000', { id: 'u000', role: 'editor' })];
    const groups = [group('g1', ['u000'])];
    const api = heldApi();
    const file = state();
    file.save = () => {
      throw new Error('disk full');
    };
    const done = executePlan(plan([role], users, groups), { api, state: file, concurrency: 8, batchers: userBatchers });
    await settle();
    api.answer(() => true);
    await expect(done).rejects.toThrow('disk full');
    expect(api.sent.map((r) => r.op)).toEqual(['CreateRole']);
  });

  it('starts no further group once the state file cannot be written, though the groups started before the users were done', async () => {
    const users = [user('u000')];
    // Their members exist already: these groups wait for nothing and start at once.
    const groups = ['g1', 'g2', 'g3'].map((g) => group(g, [`${g}-member`]));
    const api = heldApi();
    const file = state();
    file.save = () => {
      throw new Error('disk full');
    };
    const done = executePlan(plan(users, groups), { api, state: file, concurrency: 1, batchers: userBatchers });
    await settle();
    expect(api.sent.map((r) => r.op)).toEqual(['UpdateUsers', 'CreateUserGroup']);
    // The users' state cannot be saved: the apply has failed before the first group is answered.
    api.answer((r) => r.op === 'UpdateUsers');
    await settle();
    api.answer(() => true);
    await expect(done).rejects.toThrow('disk full');
    expect(groupsSent(api.sent)).toEqual(['g1']);
  });
});

describe('user deletes still wait for every user create', () => {
  it('sends DeleteUsers only after the UpdateUsers calls are answered, though the groups between them waited for nobody', async () => {
    const users = ids(0, 2).map(user);
    const groups = [group('g1', ['someone-else'])];
    const del: PlannedChange = { address: 'user/gone', kind: 'user', action: 'delete', fields: [], live: userLive({ id: 'gone' }) };
    const deletes: ChangeBatcher = {
      kind: 'user',
      action: 'delete',
      async run(changes, api, done) {
        await api.send({ op: 'DeleteUsers', method: 'POST', path: '/api/v2/users/delete', body: {}, idempotent: false });
        for (const c of changes) done(c.address);
      },
    };
    const api = heldApi();
    const done = executePlan(plan(users, groups, [del]), { api, state: state(), concurrency: 8, batchers: [deletes, ...userBatchers] });
    for (let i = 0; i < 3; i++) {
      await settle();
      api.answer((r) => r.op !== 'UpdateUsers');
    }
    expect(api.sent.map((r) => r.op)).toEqual(['UpdateUsers', 'CreateUserGroup']);
    api.answer(() => true);
    await settle();
    api.answer(() => true);
    expect((await done).applied).toContain('user/gone');
    expect(api.sent.map((r) => r.op)).toEqual(['UpdateUsers', 'CreateUserGroup', 'DeleteUsers']);
  });
});

describe('a batcher that does not report every change', () => {
  const creates = ids(0, 3).map(user);
  const run = (batcher: ChangeBatcher) => executePlan(plan(creates), { api: heldApi(), state: state(), concurrency: 8, batchers: [batcher] });

  it('fails the changes it left unreported when it throws, and keeps those it reported', async () => {
    const result = await run({
      kind: 'user',
      action: 'create',
      async run(changes, _api, done) {
        done(changes[0]!.address);
        throw new Error('connection reset');
      },
    });
    expect(result.applied).toEqual(['user/u000']);
    expect(result.failed.map((f) => [f.address, f.error])).toEqual([
      ['user/u001', 'connection reset'],
      ['user/u002', 'connection reset'],
    ]);
  });

  it('fails the changes it never reported when it returns', async () => {
    const result = await run({ kind: 'user', action: 'create', run: async () => undefined });
    expect(result.applied).toEqual([]);
    expect(result.failed.map((f) => f.error)).toEqual(Array(3).fill('user create: the batch ended without carrying out this change'));
  });
});
