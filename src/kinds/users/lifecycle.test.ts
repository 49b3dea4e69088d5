import { describe, expect, it } from 'vitest';
import { batchErrors } from '../../../test/support/batcher.js';
import { loadSpec } from '../../../test/support/spec.js';
import type { ApplyResult } from '../types.js';
import type { DesiredState, LiveObject, Rec } from '../../core/model.js';
import type { Plan, PlannedChange } from '../../plan/plan.js';
import type { Api, ApiRequest } from '../../core/api.js';
import { awaitTask, deleteUsersRequest, readUserLifecycle, recordManagedUsers, userDeleteBatcher } from './lifecycle.js';
import { type TaskWait } from '../types.js';
import { userLive } from './ids.js';

const spec = loadSpec();

/** A clock that only moves when the code sleeps: timeouts are decided by the number of polls, not by time. */
function fakeWait(overrides: Partial<TaskWait> = {}): TaskWait & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    timeoutMs: 10_000,
    pollMs: 100,
    maxPollMs: 1_000,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    slept,
    ...overrides,
  };
}

const deleteOf = (id: string): PlannedChange => ({ address: `user/${id}`, kind: 'user', action: 'delete', fields: [], live: userLive({ id }) });

/** An API whose DeleteUsers answers a task that is `running` for `runningPolls` polls, then `finish(ids)`. */
function taskApi(finish: (ids: string[]) => Rec, runningPolls = 0) {
  const sent: ApiRequest[] = [];
  const tasks = new Map<string, { ids: string[]; polls: number }>();
  const api: Api = {
    send: async <T>(req: ApiRequest) => {
      sent.push(req);
      if (req.op === 'DeleteUsers') {
        const id = `task-${tasks.size + 1}`;
        tasks.set(id, { ids: (req.body as { user_ids: string[] }).user_ids, polls: 0 });
        return { task_id: id } as T;
      }
      const task = tasks.get(req.params!.id!)!;
      task.polls++;
      if (task.polls <= runningPolls) return { task_id: req.params!.id, status: 'running' } as T;
      return { task_id: req.params!.id, ...finish(task.ids) } as T;
    },
  };
  return { api, sent };
}

describe('DeleteUsers requests', () => {
  it.each([
    ['soft', { user_ids: ['a', 'b'], user: 'soft' }],
    ['pruning', { user_ids: ['a', 'b'], user: 'pruning' }],
    ['hard', { user_ids: ['a', 'b'], user: 'hard', messages: 'hard', conversations: 'hard' }],
  ] as const)('%s: sends the mode (a hard delete must take messages and conversations with it)', (mode, body) => {
    const req = deleteUsersRequest(['a', 'b'], mode);
    expect(req).toEqual({ op: 'DeleteUsers', method: 'POST', path: '/api/v2/users/delete', body, idempotent: false });
    if (spec) expect(spec.validateRequest(req.op, req.body)).toEqual([]);
  });
});

describe('the user delete batcher', () => {
  it('deletes in batches of at most 100, one task awaited per batch, in the policy mode (soft by default)', async () => {
    const { api, sent } = taskApi(() => ({ status: 'completed', result: {} }), 2);
    const wait = fakeWait();
    const changes = Array.from({ length: 230 }, (_, i) => deleteOf(`u${String(i).padStart(3, '0')}`));
    const errors = await batchErrors(userDeleteBatcher({}, wait), changes, api);
    expect(errors.size).toBe(0);
    const deletes = sent.filter((r) => r.op === 'DeleteUsers');
    expect(deletes.map((r) => (r.body as { user_ids: string[] }).user_ids.length)).toEqual([100, 100, 30]);
    expect(deletes.every((r) => (r.body as Rec).user === 'soft')).toBe(true);
    expect(deletes.flatMap((r) => (r.body as { user_ids: string[] }).user_ids)).toEqual(changes.map((c) => c.address.slice(5)));
    // Each task was polled until it finished: twice running, then completed.
    expect(sent.filter((r) => r.op === 'GetTask')).toHaveLength(9);
    expect(sent.find((r) => r.op === 'GetTask')).toMatchObject({ method: 'GET', path: '/api/v2/tasks/{id}', params: { id: 'task-1' }, idempotent: true });
    // The pause between polls grows.
    expect(wait.slept.slice(0, 2)).toEqual([100, 200]);
  });

  it('fails every user of a failed task, with the task error', async () => {
    const { api } = taskApi(() => ({ status: 'failed', error: { type: 'Error', description: 'backend exploded' } }));
    const errors = await batchErrors(userDeleteBatcher({ user_delete: 'hard' }, fakeWait()), [deleteOf('a'), deleteOf('b')], api);
    expect([...errors]).toEqual([
      ['user/a', 'DeleteUsers task task-1 failed: backend exploded'],
      ['user/b', 'DeleteUsers task task-1 failed: backend exploded'],
    ]);
  });

  it('fails only the users a completed task reports as failed', async () => {
    const { api } = taskApi((ids) => ({ status: 'completed', result: { users: Object.fromEntries(ids.map((id) => [id, id === 'b' ? { status: 'failed', error: 'user "b" does not exist' } : { status: 'ok' }])) } }));
    const errors = await batchErrors(userDeleteBatcher({}, fakeWait()), [deleteOf('a'), deleteOf('b')], api);
    expect([...errors]).toEqual([['user/b', 'DeleteUsers task task-1: user "b" does not exist']]);
  });

  it('fails the users of a task that does not finish before the timeout', async () => {
    const { api, sent } = taskApi(() => ({ status: 'completed' }), Number.POSITIVE_INFINITY);
    const wait = fakeWait({ timeoutMs: 1_000, pollMs: 100, maxPollMs: 400 });
    const errors = await batchErrors(userDeleteBatcher({}, wait), [deleteOf('a')], api);
    expect(errors.get('user/a')).toMatch(/^task task-1 did not finish within 1s \(status running\); it may still complete$/);
    // 100 + 200 + 400 (+ 400 would pass the deadline): four polls, never past the timeout.
    expect(wait.slept).toEqual([100, 200, 400]);
    expect(sent.filter((r) => r.op === 'GetTask')).toHaveLength(4);
  });

  it('fails a batch whose DeleteUsers is refused, and goes on with the next batch', async () => {
    let calls = 0;
    const api: Api = {
      send: async <T>(req: ApiRequest) => {
        if (req.op === 'DeleteUsers' && calls++ === 0) throw new Error('DeleteUsers: users do not exist (400/4)');
        return (req.op === 'DeleteUsers' ? { task_id: 't' } : { task_id: 't', status: 'completed' }) as T;
      },
    };
    const changes = Array.from({ length: 101 }, (_, i) => deleteOf(`u${String(i).padStart(3, '0')}`));
    const errors = await batchErrors(userDeleteBatcher({}, fakeWait()), changes, api);
    expect(errors.size).toBe(100);
    expect(errors.has('user/u100')).toBe(false);
  });

  it('awaits a task that is already done without sleeping', async () => {
    const wait = fakeWait();
    const api: Api = { send: async <T>() => ({ task_id: 't', status: 'completed' }) as T };
    expect(await awaitTask(api, 't', wait)).toMatchObject({ status: 'completed' });
    expect(wait.slept).toEqual([]);
  });
});

const state = (users: string[], prune: string[] = []): DesiredState => ({
  managedKinds: new Set(['user']),
  objects: new Map(users.map((id) => [`user/${id}`, { kind: 'user', address: `user/${id}`, fields: { id }, sensitive: [] }])),
  policy: { prune, protect: [], ignore: [], ignore_fields: {} },
  files: [],
});

describe('the managed-users inventory', () => {
  const memory = (ids: string[]) => {
    let held = ids;
    let writes = 0;
    return {
      get managedUsers() {
        return [...held];
      },
      inventory: (slot: string) => (slot === 'users' ? [...held] : []),
      setInventory(slot: string, next: Iterable<string>) {
        expect(slot).toBe('users');
        held = [...next];
        writes++;
      },
      get writes() {
        return writes;
      },
    };
  };
  const planOf = (changes: PlannedChange[]) => ({ levels: [changes] }) as unknown as Plan;
  const result = (applied: string[]): ApplyResult => ({ applied, failed: [], skipped: [], interrupted: [] });

  it('records every declared user, keeps those that left the file, and drops those just deleted', () => {
    const inv = memory(['gone', 'kept-out', 'still']);
    recordManagedUsers(inv, state(['still', 'new']), planOf([deleteOf('gone'), deleteOf('kept-out')]), result(['user/gone']));
    expect(inv.managedUsers).toEqual(['kept-out', 'new', 'still']);
  });

  it('leaves the inventory alone when users are unmanaged, and does not rewrite it unchanged', () => {
    const inv = memory(['a']);
    recordManagedUsers(inv, { ...state([]), managedKinds: new Set() }, planOf([]), result([]));
    recordManagedUsers(inv, state(['a']), planOf([]), result([]));
    expect(inv.writes).toBe(0);
  });
});

describe('reading the lifecycle for a plan', () => {
  function usersApi(users: Rec[]) {
    const sent: ApiRequest[] = [];
    const api: Api = {
      send: async <T>(req: ApiRequest) => {
        sent.push(req);
        const filter = (req.query!.payload as Rec).filter_conditions as Rec & { id: { $in: string[] } };
        const deleted = filter.deleted_at !== undefined;
        return { users: users.filter((u) => filter.id.$in.includes(String(u.id)) && Boolean(u.deleted_at) === deleted) } as T;
      },
    };
    return { api, sent };
  }
  const liveOf = (objects: LiveObject[]) => ({ objects: new Map(objects.map((o) => [o.address, o])) });

  it('without users in policy.prune, reads no inventory user; looks up only missing declared users among the deleted', async () => {
    const { api, sent } = usersApi([{ id: 'here' }, { id: 'old' }, { id: 'back', deleted_at: '2026-01-01T00:00:00Z' }]);
    const read = await readUserLifecycle(api, state(['here', 'back']), liveOf([userLive({ id: 'here' })]), ['old', 'here']);
    expect(sent).toHaveLength(1);
    expect((sent[0]!.query!.payload as Rec).filter_conditions).toEqual({ id: { $in: ['back'] }, deleted_at: { $exists: true } });
    expect([...read.live.objects.keys()]).toEqual(['user/here']);
  });

  it('with users in policy.prune, adds the inventory users that left the file and still exist, as deletable', async () => {
    const { api } = usersApi([{ id: 'here' }, { id: 'old' }, { id: 'member' }]);
    const fetched = liveOf([userLive({ id: 'here' }), userLive({ id: 'member' }, true)]);
    const read = await readUserLifecycle(api, state(['here'], ['users']), fetched, ['old', 'member', 'vanished', 'here']);
    expect([...read.live.objects.keys()].sort()).toEqual(['user/here', 'user/member', 'user/old']);
    expect(read.live.objects.get('user/member')!.builtin).toBeUndefined();
    expect(read.live.objects.get('user/old')!.builtin).toBeUndefined();
    // The fetched state itself is left as it was.
    expect(fetched.objects.get('user/member')!.builtin).toBe(true);
  });

  it('turns the create of a soft-deleted declared user into a restore, with a warning', async () => {
    const { api } = usersApi([{ id: 'back', name: 'Back', deleted_at: '2026-01-01T00:00:00Z' }]);
    const read = await readUserLifecycle(api, state(['back', 'fresh']), liveOf([]), []);
    const create = (id: string): PlannedChange => ({ address: `user/${id}`, kind: 'user', action: 'create', fields: [] });
    const plan = { levels: [[create('back'), create('fresh')]], document: { warnings: [] } } as unknown as Plan;
    read.annotate(plan);
    expect(plan.levels[0]![0]!.live).toMatchObject({ address: 'user/back', fields: { id: 'back', name: 'Back' } });
    expect(plan.levels[0]![1]!.live).toBeUndefined();
    expect(plan.document.warnings).toEqual([{ address: 'user/back', message: expect.stringMatching(/soft-deleted .* restores it/) }]);
  });

  it('reads nothing when the file does not manage users', async () => {
    const { api, sent } = usersApi([]);
    const live = liveOf([]);
    const read = await readUserLifecycle(api, { ...state([], ['users']), managedKinds: new Set() }, live, ['a']);
    expect(read.live).toBe(live);
    expect(sent).toEqual([]);
  });
});
