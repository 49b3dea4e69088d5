import { describe, expect, it } from 'vitest';
import { batchErrors } from '../../../test/support/batcher.js';
import { executePlan } from '../../apply/execute.js';
import { ApiError } from '../../core/errors.js';
import type { Action, DesiredObject, FieldChange, Rec } from '../../core/model.js';
import type { Plan, PlannedChange } from '../../plan/plan.js';
import { StateFile } from '../../state/state-file.js';
import { kindSpec } from '../registry.js';
import type { Api, ApiRequest } from '../../core/api.js';
import { userUpsertBatchers } from './upserts.js';
import { userKind } from './user.js';
import { userLive } from './ids.js';

const desired = (fields: Rec): DesiredObject => ({ kind: 'user', address: `user/${String(fields.id)}`, fields, sensitive: [] });

function create(id: string, extra: Rec = {}): PlannedChange {
  const d = desired({ id, name: `Name ${id}`, ...extra });
  const fields: FieldChange[] = Object.entries(d.fields).map(([k, v]) => ({ path: `/${k}`, before: null, after: v, sensitive: false }));
  return { address: d.address, kind: 'user', action: 'create', fields, desired: d };
}

function rename(id: string): PlannedChange {
  const d = desired({ id, name: `New ${id}` });
  return { address: d.address, kind: 'user', action: 'update', fields: [{ path: '/name', before: `Old ${id}`, after: `New ${id}`, sensitive: false }], desired: d, live: userLive({ id, name: `Old ${id}` }) };
}

/** An Api that records every request and answers with `fail` when it returns an error. */
function fakeApi(fail: (req: ApiRequest) => Error | undefined = () => undefined): Api & { sent: ApiRequest[] } {
  const sent: ApiRequest[] = [];
  return {
    sent,
    send<T>(req: ApiRequest): Promise<T> {
      sent.push(req);
      const err = fail(req);
      return err ? Promise.reject(err) : Promise.resolve({} as T);
    },
  };
}

const batcher = (action: Action) => userUpsertBatchers((change) => userKind.requests(change)).find((b) => b.action === action)!;
const ids = (n: number, prefix = 'u') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
const usersOf = (req: ApiRequest) => (req.body as { users: Rec | Rec[] }).users;
const refuse = (id: string) => (req: ApiRequest) => {
  const users = usersOf(req);
  const carries = Array.isArray(users) ? users.some((u) => u.id === id) : id in users;
  return carries ? new ApiError(req.op, 400, 4, `user "${id}" is not valid`) : undefined;
};

describe('user upserts are merged into calls of at most 100 users', () => {
  it('creates 250 users with three UpdateUsers calls that carry each user once, as declared', async () => {
    const changes = ids(250).map((id) => create(id, { role: 'user' }));
    const api = fakeApi();
    const errors = await batchErrors(batcher('create'), changes, api);
    expect(errors.size).toBe(0);
    expect(api.sent.map((r) => [r.op, Object.keys(usersOf(r)).length])).toEqual([
      ['UpdateUsers', 100],
      ['UpdateUsers', 100],
      ['UpdateUsers', 50],
    ]);
    const all = Object.assign({}, ...api.sent.map(usersOf)) as Rec;
    expect(Object.keys(all).sort()).toEqual(ids(250));
    expect(all.u007).toEqual({ id: 'u007', name: 'Name u007', role: 'user' });
    expect(api.sent.every((r) => r.idempotent && r.method === 'POST' && r.path === '/api/v2/users')).toBe(true);
  });

  it('updates 120 users with two UpdateUsersPartial calls holding each patch once', async () => {
    const api = fakeApi();
    const errors = await batchErrors(batcher('update'), ids(120).map(rename), api);
    expect(errors.size).toBe(0);
    expect(api.sent.map((r) => [r.op, (usersOf(r) as Rec[]).length])).toEqual([
      ['UpdateUsersPartial', 100],
      ['UpdateUsersPartial', 20],
    ]);
    expect((usersOf(api.sent[1]!) as Rec[])[0]).toEqual({ id: 'u100', set: { name: 'New u100' } });
  });

  it('a call refused for its content (400) is retried one user at a time, and only the refused user fails', async () => {
    const api = fakeApi(refuse('u042'));
    const errors = await batchErrors(batcher('create'), ids(100).map((id) => create(id)), api);
    expect([...errors.keys()]).toEqual(['user/u042']);
    expect(errors.get('user/u042')).toMatch(/u042" is not valid/);
    // One merged call, then one call per user of it.
    expect(api.sent).toHaveLength(1 + 100);
    expect(api.sent.slice(1).every((r) => Object.keys(usersOf(r)).length === 1)).toBe(true);
  });

  it('a call that fails otherwise (5xx after retries, auth) fails its users without sending them again', async () => {
    for (const status of [503, 403]) {
      const api = fakeApi((req) => (Object.keys(usersOf(req)).includes('u150') ? new ApiError(req.op, status, -1, 'no') : undefined));
      const errors = await batchErrors(batcher('create'), ids(180).map((id) => create(id)), api);
      expect(api.sent).toHaveLength(2);
      expect([...errors.keys()].sort()).toEqual(ids(180).slice(100).map((id) => `user/${id}`));
    }
  });

  it('a change that needs more than one call (a deactivation) runs alone, its requests in order', async () => {
    const solo = create('solo', { deactivated: true });
    const own = kindSpec('user').requests(solo);
    expect(own.length).toBeGreaterThan(1);
    const api = fakeApi();
    const errors = await batchErrors(batcher('create'), [solo, create('other')], api);
    expect(errors.size).toBe(0);
    const carriesSolo = (r: ApiRequest) => JSON.stringify([r.body, r.params]).includes('"solo"');
    expect(api.sent.filter(carriesSolo)).toEqual(own);
    expect(api.sent.filter((r) => !carriesSolo(r)).map((r) => Object.keys(usersOf(r)))).toEqual([['other']]);
  });
});

describe('the executor merges user upserts with the user kind\'s batchers', () => {
  it('applies 230 user creates of one level with three calls and records them all as applied', async () => {
    const changes = ids(230).map((id) => create(id));
    const plan = { levels: [changes], document: {} } as unknown as Plan;
    const api = fakeApi();
    const batchers = userKind.batchers!({ policy: { prune: [], protect: [], ignore: [], ignore_fields: {} } });
    const result = await executePlan(plan, { api, state: StateFile.open(undefined, 'key', 'secret'), concurrency: 8, batchers });
    expect(api.sent.map((r) => r.op)).toEqual(['UpdateUsers', 'UpdateUsers', 'UpdateUsers']);
    expect(result.applied.sort()).toEqual(changes.map((c) => c.address).sort());
    expect(result.failed).toEqual([]);
  });
});
