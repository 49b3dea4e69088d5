import { describe, expect, it } from 'vitest';
import type { DesiredObject, DesiredState, LiveObject, LiveState, Policy } from '../core/model.js';
import { KINDS } from '../kinds/registry.js';
import { buildPlan, quotaIssues, referenceIssues } from './plan.js';

const memory = { fingerprint: () => 'fp', applied: () => undefined };
const target = { base_url: 'http://x', api_key: 'k' };
const policy = (p: Partial<Policy> = {}): Policy => ({ prune: [], protect: [], ignore: [], ignore_fields: {}, ...p });
const d = (kind: string, name: string, line = 3, fields: Record<string, unknown> = {}): DesiredObject => ({ kind, address: `${kind}/${name}`, fields: { name, ...fields }, sensitive: [], location: { file: 'f.yaml', line, col: 5 } });
const l = (kind: string, name: string, builtin?: boolean): LiveObject => ({ kind, address: `${kind}/${name}`, fields: { name }, ...(builtin ? { builtin } : {}) });
const state = (objects: DesiredObject[], p: Partial<Policy> = {}, kinds = ['blocklist', 'role']): DesiredState => ({ managedKinds: new Set(kinds), objects: new Map(objects.map((o) => [o.address, o])), policy: policy(p), files: ['f.yaml'] });
const liveOf = (objects: LiveObject[]): LiveState => ({ objects: new Map(objects.map((o) => [o.address, o])) });
const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const quotas = (desired: DesiredState, live: LiveState) => quotaIssues(buildPlan({ desired, live, memory, target, registry: KINDS }), live, KINDS);

describe('published quotas', () => {
  it('are the published ones: 15 block lists in total, 25 custom roles, 25 push providers', () => {
    expect(Object.fromEntries(KINDS.filter((k) => k.quota).map((k) => [k.kind, k.quota]))).toEqual({
      blocklist: { max: 15, builtinsCount: true, what: 'block lists' },
      role: { max: 25, what: 'custom roles' },
      push_provider: { max: 25, what: 'push providers' },
    });
  });

  it('refuses a plan that would leave 16 block lists (the built-in one counts), located at the first create', () => {
    const live = liveOf([l('blocklist', 'profanity_en_2020_v1', true), ...range(10, (i) => l('blocklist', `old-${i}`))]);
    const issues = quotas(state(range(5, (i) => d('blocklist', `new-${i}`, 10 + i))), live);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/^the plan would leave the app with 16 block lists \(11 kept in the app, 5 to create: blocklist\/new-0, .*more than Stream's limit of 15/);
    expect(issues[0]!.location).toEqual({ file: 'f.yaml', line: 10, col: 5 });
  });

  it('accepts exactly 15, and counts what the plan prunes as gone', () => {
    const live = liveOf([l('blocklist', 'profanity_en_2020_v1', true), ...range(10, (i) => l('blocklist', `old-${i}`))]);
    expect(quotas(state(range(4, (i) => d('blocklist', `new-${i}`))), live)).toEqual([]);
    expect(quotas(state(range(8, (i) => d('blocklist', `new-${i}`)), { prune: ['blocklists'] }), live)).toEqual([]);
  });

  it('counts custom roles only, not the built-in ones', () => {
    const live = liveOf([l('role', 'admin', true), l('role', 'user', true), ...range(20, (i) => l('role', `r${i}`))]);
    expect(quotas(state(range(5, (i) => d('role', `n${i}`))), live)).toEqual([]);
    expect(quotas(state(range(6, (i) => d('role', `n${i}`))), live)[0]!.message).toMatch(/26 custom roles .* limit of 25/);
  });

  it('says nothing for a kind the plan creates nothing in, even when the app is already past the limit', () => {
    const live = liveOf(range(30, (i) => l('role', `r${i}`)));
    expect(quotas(state([d('role', 'r0')]), live)).toEqual([]);
  });
});

describe('references checked against kinds read only for them', () => {
  const grant = (role: string): DesiredObject => ({ kind: 'app', address: 'app', fields: { settings: { grants: { [role]: ['read-channel'] } } }, sensitive: [], location: { file: 'f.yaml', line: 2, col: 1 } });
  const desired = (role: string) => state([grant(role)], {}, ['app']);
  const live = liveOf([l('role', 'admin', true), l('role', 'support')]);

  it('refuses a grant for a role neither the file nor the app has, at the line the locator gives', () => {
    const issues = referenceIssues(desired('ghost'), live, KINDS, { alsoRead: new Set(['role']), locate: () => ({ file: 'f.yaml', line: 7, col: 7 }) });
    expect(issues).toEqual([{ message: 'app refers to role/ghost, which is neither declared in the file nor present in the app', location: { file: 'f.yaml', line: 7, col: 7 } }]);
  });

  it('accepts a grant for a role the app has, and skips kinds that were not read', () => {
    expect(referenceIssues(desired('support'), live, KINDS, { alsoRead: new Set(['role']) })).toEqual([]);
    expect(referenceIssues(desired('ghost'), live, KINDS)).toEqual([]);
  });
});
