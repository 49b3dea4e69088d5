import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { TestApi } from '../support/api.js';
import { loadSpec } from '../support/spec.js';

const spec = loadSpec();
const dir = mkdtempSync(join(tmpdir(), 'stream-emu-persist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = () => join(dir, `state-${++n}.json`);

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const running: RunningEmulator[] = [];
afterEach(async () => {
  for (const emu of running.splice(0)) await emu.close().catch(() => undefined);
});

async function boot(dataFile: string, opts: EmulatorOptions = {}): Promise<{ emu: RunningEmulator; api: TestApi }> {
  const emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, now: () => T0, dataFile, apps: [{ key: 'persist', secret: 'persist-secret' }], ...opts });
  running.push(emu);
  return { emu, api: new TestApi(emu, spec) };
}

async function restart(emu: RunningEmulator, dataFile: string, opts: EmulatorOptions = {}) {
  await emu.close();
  running.splice(running.indexOf(emu), 1);
  return boot(dataFile, opts);
}

const withoutDuration = ({ duration: _d, ...rest }: Record<string, unknown>) => rest;

describe('save → restart → read', () => {
  it('reads every resource family back the same after a restart', async () => {
    const file = freshFile();
    let { emu, api } = await boot(file);
    const write = async (c: Parameters<TestApi['call']>[0], opts?: { skipRequestValidation?: boolean }) => {
      const r = await api.call(c, opts);
      expect(r.status, `${c.method} ${c.path}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
      return r.body;
    };
    await write({ method: 'PATCH', path: '/api/v2/app', body: { grants: { user: ['read-channel'] } } });
    await write({ method: 'POST', path: '/api/v2/blocklists', body: { name: 'kept', words: ['alpha', 'beta'] } });
    await write({ method: 'POST', path: '/api/v2/roles', body: { name: 'kept_role' } });
    await write({ method: 'POST', path: '/api/v2/push_providers', body: { push_provider: { name: 'droid', type: 'firebase', firebase_credentials: JSON.stringify({ type: 'service_account', private_key: 'k' }) } } });
    await write({ method: 'POST', path: '/api/v2/push_templates', body: { push_provider_type: 'firebase', push_provider_name: 'droid', event_type: 'message.new', template: '{"title":"hi"}' } });
    await write({ method: 'POST', path: '/api/v2/external_storage', body: { name: 'bucket', storage_type: 's3', bucket: 'b', aws_s3: { s3_region: 'eu-west-1' } } });
    await write({ method: 'PUT', path: '/api/v2/imports/v2/external-storage', body: { type: 'aws_s3', aws_s3: { role_arn: 'arn:aws:iam::123456789012:role/r', bucket: 'imports', region: 'us-east-1', path_prefix: 'x/' } } });
    await write({ method: 'POST', path: '/api/v2/users', body: { users: { ann: { id: 'ann', name: 'Ann', custom: { team: 'red' } }, bob: { id: 'bob' } } } });
    await write({ method: 'POST', path: '/api/v2/devices', body: { id: 'dev-1', push_provider: 'firebase', push_provider_name: 'droid', user_id: 'ann' } });
    await write({ method: 'POST', path: '/api/v2/users/block', body: { user_id: 'ann', blocked_user_id: 'bob' } });
    await write({ method: 'PUT', path: '/api/v2/users/live_locations', query: { user_id: 'ann' }, body: { message_id: 'm1', latitude: 1, longitude: 2 } }, { skipRequestValidation: true }); // the spec's lat/long minimums are broken
    await write({ method: 'POST', path: '/api/v2/usergroups', body: { id: 'grp', name: 'Group', member_ids: ['ann', 'bob'] } });
    const poll = (await write({ method: 'POST', path: '/api/v2/polls', body: { name: 'Lunch?', user_id: 'ann', options: [{ text: 'yes' }, { text: 'no' }] } })).poll;
    const importTask = (await write({ method: 'POST', path: '/api/v2/imports/v2', body: { product: 'chat', settings: { mode: 'upsert', s3: { bucket: 'b', dir: 'd', region: 'eu-west-1' } } } }));
    const task = (await write({ method: 'POST', path: '/api/v2/users/deactivate', body: { user_ids: ['bob'] } })).task_id;

    const reads: Parameters<TestApi['call']>[0][] = [
      { method: 'GET', path: '/api/v2/app' },
      { method: 'GET', path: '/api/v2/blocklists/kept' },
      { method: 'GET', path: '/api/v2/roles' },
      { method: 'GET', path: '/api/v2/permissions' },
      { method: 'GET', path: '/api/v2/push_providers' },
      { method: 'GET', path: '/api/v2/push_templates', query: { push_provider_type: 'firebase', push_provider_name: 'droid' } },
      { method: 'GET', path: '/api/v2/external_storage' },
      { method: 'GET', path: '/api/v2/imports/v2/external-storage' },
      { method: 'GET', path: '/api/v2/users', query: { payload: { filter_conditions: {}, include_deactivated_users: true } } },
      { method: 'GET', path: '/api/v2/devices', query: { user_id: 'ann' } },
      { method: 'GET', path: '/api/v2/users/block', query: { user_id: 'ann' } },
      { method: 'GET', path: '/api/v2/users/live_locations', query: { user_id: 'ann' } },
      { method: 'GET', path: '/api/v2/usergroups/grp' },
      { method: 'GET', path: `/api/v2/polls/${poll.id}` },
      { method: 'GET', path: `/api/v2/imports/v2/${importTask.id}` },
      { method: 'GET', path: `/api/v2/tasks/${task}` },
    ];
    const readAll = async () => {
      const out: unknown[] = [];
      for (const c of reads) {
        const r = await api.call(c);
        expect(r.status, `${c.path}: ${JSON.stringify(r.body)}`).toBe(200);
        out.push(withoutDuration(r.body));
      }
      return out;
    };
    const before = await readAll();
    // The writes are visible (so the comparison below is not between two empty states).
    expect(JSON.stringify(before)).toContain('kept_role');
    expect(JSON.stringify(before)).toContain('dev-1');
    expect(JSON.stringify(before)).toContain('Lunch?');

    ({ emu, api } = await restart(emu, file));
    expect(await readAll()).toEqual(before);
  });
});

describe('tasks across a restart', () => {
  it('runs a task still pending at close before saving, so its effect and result survive', async () => {
    const file = freshFile();
    let { emu, api } = await boot(file, { taskStepMs: 60_000 });
    await api.call({ method: 'POST', path: '/api/v2/users', body: { users: { pending1: { id: 'pending1' } } } });
    const { task_id } = (await api.call({ method: 'POST', path: '/api/v2/users/delete', body: { user_ids: ['pending1'], user: 'soft' } })).body;
    expect((await api.call({ method: 'GET', path: `/api/v2/tasks/${task_id}` })).body.status).toBe('pending');

    ({ emu, api } = await restart(emu, file, { taskStepMs: 60_000 }));
    const task = await api.call({ method: 'GET', path: `/api/v2/tasks/${task_id}` });
    expect(task.body).toMatchObject({ status: 'completed', result: { users: { pending1: { status: 'ok' } } } });
    const users = await api.call({ method: 'GET', path: '/api/v2/users', query: { payload: { filter_conditions: { id: 'pending1', deleted_at: { $exists: true } } } } });
    expect(users.body.users).toMatchObject([{ id: 'pending1', deleted_at: expect.any(String) }]);
  });

  it('reports a task saved before its work ran as failed after a restart, never completed without its effect', async () => {
    const file = freshFile();
    const crashed = freshFile();
    const { emu, api } = await boot(file, { taskStepMs: 60_000 });
    await api.call({ method: 'POST', path: '/api/v2/users', body: { users: { lost1: { id: 'lost1' } } } });
    const { task_id } = (await api.call({ method: 'POST', path: '/api/v2/users/deactivate', body: { user_ids: ['lost1'] } })).body;
    await emu.save();
    // The process dies here: what is on disk is the state saved while the task was pending.
    copyFileSync(file, crashed);

    const again = await boot(crashed);
    const task = await again.api.call({ method: 'GET', path: `/api/v2/tasks/${task_id}` });
    expect(task.body).toMatchObject({ status: 'failed', error: { description: 'the emulator restarted before the task ran' } });
    const users = await again.api.call({ method: 'GET', path: '/api/v2/users', query: { payload: { filter_conditions: { id: 'lost1' } } } });
    expect(users.body.users).toMatchObject([{ id: 'lost1' }]);
    expect(users.body.users[0].deactivated_at).toBeUndefined();
  });
});

describe('saving a running emulator', () => {
  it('settles the tasks that are due before writing the file', async () => {
    const file = freshFile();
    const copy = freshFile();
    let t = T0;
    const { emu, api } = await boot(file, { taskStepMs: 1_000, now: () => t });
    await api.call({ method: 'POST', path: '/api/v2/users', body: { users: { due1: { id: 'due1' } } } });
    const { task_id } = (await api.call({ method: 'POST', path: '/api/v2/users/deactivate', body: { user_ids: ['due1'] } })).body;
    t += 5_000; // due, but no request has settled it yet
    await emu.save();
    copyFileSync(file, copy);

    const again = await boot(copy, { now: () => t });
    expect((await again.api.call({ method: 'GET', path: `/api/v2/tasks/${task_id}` })).body.status).toBe('completed');
    const users = await again.api.call({ method: 'GET', path: '/api/v2/users', query: { payload: { filter_conditions: { id: 'due1' }, include_deactivated_users: true } } });
    expect(users.body.users[0].deactivated_at).toEqual(expect.any(String));
  });
});

describe('generated ids', () => {
  it('never repeats a generated id after a restart, even with the same seed', async () => {
    const file = freshFile();
    let { emu, api } = await boot(file, { seed: 42 });
    await api.call({ method: 'POST', path: '/api/v2/users', body: { users: { idu: { id: 'idu' } } } });
    const poll1 = (await api.call({ method: 'POST', path: '/api/v2/polls', body: { name: 'p1', user_id: 'idu' } })).body.poll;
    const task1 = (await api.call({ method: 'POST', path: '/api/v2/export/users', body: { user_ids: ['idu'] } })).body.task_id;

    ({ emu, api } = await restart(emu, file, { seed: 42 }));
    const p2 = await api.call({ method: 'POST', path: '/api/v2/polls', body: { name: 'p2', user_id: 'idu' } });
    expect(p2.status).toBe(201);
    const task2 = (await api.call({ method: 'POST', path: '/api/v2/users/deactivate', body: { user_ids: ['idu'] } })).body.task_id;
    expect(p2.body.poll.id).not.toBe(poll1.id);
    expect(task2).not.toBe(task1);
    expect((await api.call({ method: 'GET', path: `/api/v2/polls/${poll1.id}` })).body.poll.name).toBe('p1');
    expect((await api.call({ method: 'GET', path: `/api/v2/tasks/${task1}` })).body.result.url).toMatch(/^data:/);
  });

  it('generates different ids in different runs when no seed is given', async () => {
    const ids = [];
    for (let i = 0; i < 2; i++) {
      const emu = await startEmulator({ port: 0, taskStepMs: 0 });
      running.push(emu);
      const api = new TestApi(emu, spec);
      // Poll ids are UUID v4: all random bits, no clock in them.
      ids.push((await api.call({ method: 'POST', path: '/api/v2/polls', body: { name: 'p', user_id: 'x' } })).body.poll.id);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('skips a generated id that is already in use', async () => {
    const first = await startEmulator({ port: 0, taskStepMs: 0, seed: 7 });
    running.push(first);
    const taken = (await new TestApi(first, spec).call({ method: 'POST', path: '/api/v2/polls', body: { name: 'a', user_id: 'x' } })).body.poll.id;

    const second = await startEmulator({ port: 0, taskStepMs: 0, seed: 7 });
    running.push(second);
    second.app().polls.set(taken, { id: taken, name: 'already here', created_by_id: 'x', created_at: new Date(T0).toISOString(), updated_at: new Date(T0).toISOString(), options: [], custom: {} });
    const r = await new TestApi(second, spec).call({ method: 'POST', path: '/api/v2/polls', body: { name: 'b', user_id: 'x' } });
    expect(r.status).toBe(201);
    expect(r.body.poll.id).not.toBe(taken);
    expect(second.app().polls.get(taken)!.name).toBe('already here');
  });
});
