import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import type { DesiredObject, DesiredState, LiveObject, LiveState, Policy } from '../core/model.js';
import type { WriteOnlyMemory } from '../core/model.js';
import { KINDS } from '../kinds/registry.js';
import { buildPlan, checkReferences } from './plan.js';

const memory: WriteOnlyMemory = { fingerprint: () => 'fp', applied: () => undefined };
const target = { base_url: 'http://x', api_key: 'k' };
const policy = (p: Partial<Policy> = {}): Policy => ({ prune: [], protect: [], ignore: [], ignore_fields: {}, ...p });
const d = (kind: string, name: string, fields: Record<string, unknown> = {}): DesiredObject => ({ kind, address: `${kind}/${name}`, fields: { name, ...fields }, sensitive: [], location: { file: 'f.yaml', line: 3, col: 5 } });
const l = (kind: string, name: string, fields: Record<string, unknown> = {}, builtin?: boolean): LiveObject => ({ kind, address: `${kind}/${name}`, fields: { name, ...fields }, ...(builtin ? { builtin } : {}) });
const state = (objects: DesiredObject[], p: Partial<Policy> = {}, kinds = ['blocklist', 'role']): DesiredState => ({
  managedKinds: new Set(kinds),
  objects: new Map(objects.map((o) => [o.address, o])),
  policy: policy(p),
  files: ['f.yaml'],
});
const liveOf = (objects: LiveObject[]): LiveState => ({ objects: new Map(objects.map((o) => [o.address, o])) });
const actions = (plan: ReturnType<typeof buildPlan>) => plan.document.changes.map((c) => `${c.action} ${c.address}`);

describe('guards shown at plan time', () => {
  const LIVE = liveOf([l('blocklist', 'a'), l('blocklist', 'b'), l('blocklist', 'c')]);
  const prune = (max?: number) => state([], { prune: ['blocklists'], ...(max === undefined ? {} : { max_deletes: max }) });

  it('says first, before any other warning, when the plan deletes more than policy.max_deletes', () => {
    const plan = buildPlan({ desired: prune(2), live: LIVE, memory, target, registry: KINDS });
    expect(plan.document.summary.delete).toBe(3);
    expect(plan.document.warnings[0]).toEqual({
      address: 'policy.max_deletes',
      message: 'the plan deletes 3 objects, more than policy.max_deletes (2): apply will refuse it before any write unless run with --allow-deletes 3',
    });
  });

  it('says nothing when the deletes are within the limit or no limit is set', () => {
    for (const desired of [prune(3), prune()]) {
      expect(buildPlan({ desired, live: LIVE, memory, target, registry: KINDS }).document.warnings.map((w) => w.address)).not.toContain('policy.max_deletes');
    }
  });
});

describe('buildPlan', () => {
  const LIVE = liveOf([l('blocklist', 'keep', { words: ['a'] }), l('blocklist', 'old', { words: ['b'] }), l('blocklist', 'tmp-1', { words: [] }), l('role', 'user', {}, true), l('role', 'legacy', {})]);

  it('creates, updates and counts unchanged objects', () => {
    const plan = buildPlan({ desired: state([d('blocklist', 'keep', { words: ['a'] }), d('blocklist', 'new', { words: ['c'] }), d('role', 'legacy')]), live: LIVE, memory, target, registry: KINDS });
    expect(actions(plan)).toEqual(['create blocklist/new']);
    expect(plan.document.summary).toEqual({ create: 1, update: 0, delete: 0, unchanged: 2 });
  });

  it('deletes only with the section in policy.prune, never built-ins, protected or ignored objects', () => {
    const desired = [d('blocklist', 'keep', { words: ['a'] })];
    expect(actions(buildPlan({ desired: state(desired), live: LIVE, memory, target, registry: KINDS }))).toEqual([]);
    const pruned = buildPlan({ desired: state(desired, { prune: ['blocklists', 'roles'], protect: ['role/legacy'], ignore: ['blocklist/tmp-*'] }), live: LIVE, memory, target, registry: KINDS });
    expect(actions(pruned)).toEqual(['delete blocklist/old']);
    expect(pruned.document.warnings).toEqual([{ address: 'role/legacy', message: 'not declared in the file, but protected by policy.protect: not deleted' }]);
  });

  it('leaves an unmanaged kind alone entirely', () => {
    const plan = buildPlan({ desired: state([], { prune: ['blocklists'] }, ['role']), live: LIVE, memory, target, registry: KINDS });
    expect(actions(plan)).toEqual([]);
  });

  it('never plans a change outside --target, deletes included', () => {
    const desired = state([d('blocklist', 'keep', { words: ['z'] }), d('blocklist', 'new', { words: ['c'] })], { prune: ['blocklists'] });
    expect(actions(buildPlan({ desired, live: LIVE, memory, target, registry: KINDS, targets: ['blocklist/new'] }))).toEqual(['create blocklist/new']);
    expect(actions(buildPlan({ desired, live: LIVE, memory, target, registry: KINDS, targets: ['blocklist/o*'] }))).toEqual(['delete blocklist/old']);
  });

  it('warns about a declared object that policy.ignore matches, and leaves it alone', () => {
    const plan = buildPlan({ desired: state([d('blocklist', 'tmp-1', { words: ['x'] })], { ignore: ['blocklist/tmp-*'] }), live: LIVE, memory, target, registry: KINDS });
    expect(actions(plan)).toEqual([]);
    expect(plan.document.warnings[0]!.message).toMatch(/matched by policy.ignore/);
  });

  it('orders deletes of a kind before its creates', () => {
    const plan = buildPlan({ desired: state([d('blocklist', 'new', { words: ['c'] })], { prune: ['blocklists'] }), live: liveOf([l('blocklist', 'old')]), memory, target, registry: KINDS });
    expect(plan.levels.map((lv) => lv.map((c) => c.action))).toEqual([['delete'], ['create']]);
  });

  it('fingerprints the live state it was computed from', () => {
    const desired = state([d('blocklist', 'keep', { words: ['a'] })]);
    const a = buildPlan({ desired, live: LIVE, memory, target, registry: KINDS }).document.live_fingerprint;
    expect(buildPlan({ desired, live: LIVE, memory, target, registry: KINDS }).document.live_fingerprint).toBe(a);
    const moved = liveOf([...LIVE.objects.values()].map((o) => (o.address === 'blocklist/old' ? l('blocklist', 'old', { words: ['moved'] }) : o)));
    expect(buildPlan({ desired, live: moved, memory, target, registry: KINDS }).document.live_fingerprint).not.toBe(a);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('checkReferences', () => {
  const userWithRole = (role: string): DesiredObject => ({ kind: 'user', address: 'user/ann', fields: { id: 'ann', role }, sensitive: [], location: { file: 'f.yaml', line: 9, col: 5 } });

  it('refuses a reference to a role neither declared nor live, at the referring object', () => {
    const desired = state([userWithRole('ghost')], {}, ['role', 'user']);
    expect(() => checkReferences(desired, liveOf([]), KINDS)).toThrow(ConfigError);
    try {
      checkReferences(desired, liveOf([]), KINDS);
    } catch (err) {
      expect((err as ConfigError).issues[0]).toEqual({ message: 'user/ann refers to role/ghost, which is neither declared in the file nor present in the app', location: { file: 'f.yaml', line: 9, col: 5 } });
    }
  });

  it('refuses a reference to a live role that policy.prune would delete', () => {
    expect(() => checkReferences(state([userWithRole('legacy')], { prune: ['roles'] }, ['role', 'user']), liveOf([l('role', 'legacy')]), KINDS)).toThrow(/policy.prune would delete/);
  });

  it('accepts built-in, declared and live references, and references into unmanaged kinds', () => {
    expect(() => checkReferences(state([userWithRole('user')], { prune: ['roles'] }, ['role', 'user']), liveOf([l('role', 'user', {}, true)]), KINDS)).not.toThrow();
    expect(() => checkReferences(state([userWithRole('lead'), d('role', 'lead')], {}, ['role', 'user']), liveOf([]), KINDS)).not.toThrow();
    expect(() => checkReferences(state([userWithRole('anything')], {}, ['user']), liveOf([]), KINDS)).not.toThrow();
  });
});

describe('policy patterns and targets', () => {
  const LIVE = liveOf([l('blocklist', 'keep', { words: ['a'] }), l('role', 'legacy', {}), l('role', 'a/b', {})]);

  it('lets * match across "/" so push_provider/* protects every provider', () => {
    const live = liveOf([{ kind: 'blocklist', address: 'blocklist/x/y', fields: { name: 'x/y' } }]);
    const plan = buildPlan({ desired: state([], { prune: ['blocklists'], protect: ['blocklist/*'] }), live, memory, target, registry: KINDS });
    expect(actions(plan)).toEqual([]);
  });

  it('warns about a protect pattern that matches nothing (a likely typo)', () => {
    const plan = buildPlan({ desired: state([], { protect: ['role/legacy-admn'] }), live: LIVE, memory, target, registry: KINDS });
    expect(plan.document.warnings).toEqual([{ address: 'role/legacy-admn', message: 'policy.protect pattern matches no object in the file or the app (a typo?)' }]);
  });

  it('warns about ignore and ignore_fields patterns that match nothing, not about those that match or name a kind', () => {
    const desired = state([], { ignore: ['role/legacy', 'role/tmp-*'], ignore_fields: { role: ['/x'], 'blocklist/kep': ['/words'] } });
    const plan = buildPlan({ desired, live: LIVE, memory, target, registry: KINDS });
    expect(plan.document.warnings.map((w) => `${w.address}: ${w.message}`)).toEqual([
      'role/tmp-*: policy.ignore pattern matches no object in the file or the app (a typo?)',
      'blocklist/kep: policy.ignore_fields pattern matches no object in the file or the app (a typo?)',
    ]);
  });

  it('pulls the declared objects a target depends on into the plan, but never a delete', () => {
    const desired = state([d('role', 'newrole'), { kind: 'user', address: 'user/u1', fields: { id: 'u1', role: 'newrole' }, sensitive: [] }, d('role', 'other')], { prune: ['roles'] }, ['role', 'user']);
    const plan = buildPlan({ desired, live: liveOf([l('role', 'legacy')]), memory, target, registry: KINDS, targets: ['user/u1'] });
    expect(actions(plan)).toEqual(['create role/newrole', 'create user/u1']);
  });

  it('leaves ignored fields out of the object apply writes', () => {
    const want = d('blocklist', 'keep', { words: ['b'], is_leet_check_enabled: true });
    const plan = buildPlan({ desired: state([want], { ignore_fields: { blocklist: ['/is_leet_check_enabled'] } }), live: LIVE, memory, target, registry: KINDS });
    expect(plan.levels.flat()[0]!.desired!.fields).toEqual({ name: 'keep', words: ['b'] });
    expect(plan.document.changes[0]!.fields.map((f) => f.path)).toEqual(['/words']);
  });
});
