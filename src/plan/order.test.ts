import { describe, expect, it } from 'vitest';
import { KINDS as REGISTRY } from '../kinds/registry.js';
import { executionGraph, levelsFor, perObjectEdges, phaseLevels } from './order.js';

// The kinds' ordering facts as data, the way kinds/index.ts declares them.
const KINDS = [
  { kind: 'role', dependsOn: [], releasedBy: ['app', 'user'] },
  { kind: 'app', dependsOn: ['role'] },
  { kind: 'blocklist', dependsOn: [] },
  { kind: 'push_provider', dependsOn: [] },
  { kind: 'push_template', dependsOn: ['push_provider'] },
  { kind: 'user', dependsOn: ['role'] },
  { kind: 'user_group', dependsOn: ['user'] },
  // A kind that names roles says so in its own module (releases), not in the role's.
  { kind: 'call_type', dependsOn: ['role'], releases: ['role'] },
];

describe('phaseLevels', () => {
  const levels = phaseLevels(KINDS);
  const before = (a: string, b: string) => levels.get(a)! < levels.get(b)!;

  it.each([
    ['role:upsert', 'app:upsert', 'roles before the grants that name them'],
    ['push_provider:upsert', 'push_template:upsert', 'providers before their templates'],
    ['user:upsert', 'user_group:upsert', 'users before group members'],
    ['role:upsert', 'user:upsert', 'roles before the users that hold them'],
    ['app:upsert', 'role:delete', 'grants released before a role is deleted'],
    ['user:upsert', 'role:delete', 'users moved off a role before it is deleted'],
    ['call_type:upsert', 'role:delete', 'a kind that releases roles updates before a role is deleted'],
    ['user_group:delete', 'user:delete', 'dependents deleted before what they depend on'],
    ['blocklist:delete', 'blocklist:upsert', 'deletes of a kind before its creates (quota freed first)'],
    ['push_provider:delete', 'push_provider:upsert', 'deletes of a kind before its creates'],
    ['role:upsert', 'role:delete', 'a role swap while grants move: the new role exists before the old one goes'],
  ])('%s runs before %s: %s', (a, b) => {
    expect(before(a, b)).toBe(true);
  });

  it('leaves out the release edges of kinds the plan does not create or update: a name is freed before it is taken again', () => {
    const kinds = [...KINDS, { kind: 'channel_type', dependsOn: ['blocklist', 'role'], releases: ['blocklist', 'role'] }];
    const idle = phaseLevels(kinds, new Set(['blocklist']));
    expect(idle.get('blocklist:delete')!).toBeLessThan(idle.get('blocklist:upsert')!);
    // With channel types changing, they let go of a block list before it is deleted, so block lists are created first.
    const busy = phaseLevels(kinds, new Set(['blocklist', 'channel_type']));
    expect(busy.get('channel_type:upsert')!).toBeLessThan(busy.get('blocklist:delete')!);
    expect(busy.get('blocklist:upsert')!).toBeLessThan(busy.get('channel_type:upsert')!);
    // Without a plan's kinds, every kind may release.
    expect(phaseLevels(kinds).get('blocklist:upsert')!).toBeLessThan(phaseLevels(kinds).get('blocklist:delete')!);
  });

  it('refuses kinds whose dependencies form a cycle', () => {
    expect(() => phaseLevels([{ kind: 'a', dependsOn: ['b'] }, { kind: 'b', dependsOn: ['a'] }])).toThrow(/cycle/);
  });

  it('groups changes into dense levels in order', () => {
    const changes = [
      { kind: 'user_group', action: 'create' as const, id: 1 },
      { kind: 'role', action: 'create' as const, id: 2 },
      { kind: 'blocklist', action: 'delete' as const, id: 3 },
      { kind: 'blocklist', action: 'create' as const, id: 4 },
    ];
    const grouped = levelsFor(changes, levels).map((l) => l.map((c) => c.id).sort());
    expect(grouped.flat().sort()).toEqual([1, 2, 3, 4]);
    const pos = (id: number) => grouped.findIndex((l) => l.includes(id));
    expect(pos(3)).toBeLessThan(pos(4));
    expect(pos(2)).toBeLessThan(pos(1));
  });
});

describe('perObjectEdges', () => {
  it('lets a group wait for its own members and a template for its own provider, and nothing else by object', () => {
    const edges = perObjectEdges(REGISTRY);
    expect(edges.get('user_group:upsert')).toEqual(new Set(['user:upsert']));
    expect(edges.get('push_template:upsert')).toEqual(new Set(['push_provider:upsert']));
    // Grants wait for every role: the app is one object that names many.
    expect(edges.has('app:upsert')).toBe(false);
  });

  it('refuses a kind that waits per object without refs, or for a kind it does not depend on', () => {
    expect(() => perObjectEdges([{ kind: 'user_group', dependsOn: ['user'], waitsPerObject: ['user'] }])).toThrow('names no refs');
    expect(() => perObjectEdges([{ kind: 'user_group', dependsOn: [], waitsPerObject: ['user'], refs: () => [] }])).toThrow('not in its dependsOn');
  });
});

describe('executionGraph', () => {
  const graph = executionGraph(REGISTRY);

  it('drops only the edges followed object by object', () => {
    expect(graph.get('user_group:upsert')!.has('user:upsert')).toBe(false);
    expect(graph.get('push_template:upsert')!.has('push_provider:upsert')).toBe(false);
    // Users still wait for every role, grants too.
    expect(graph.get('user:upsert')!.has('role:upsert')).toBe(true);
    expect(graph.get('app:upsert')!.has('role:upsert')).toBe(true);
  });

  it('keeps what other nodes waited for through a dropped edge: user deletes after every user create', () => {
    // In phaseGraph user deletes follow user creates only through the groups (which release memberships first).
    expect(graph.get('user:delete')!.has('user_group:upsert')).toBe(true);
    expect(graph.get('user:delete')!.has('user:upsert')).toBe(true);
  });
});
