import type { PlanKind } from './facets.js';
import type { Action } from '../core/model.js';

export type Phase = 'upsert' | 'delete';
export const phaseOf = (action: Action): Phase => (action === 'delete' ? 'delete' : 'upsert');
export const phaseNode = (kind: string, phase: Phase) => `${kind}:${phase}`;

/**
 * The order of a plan, as data: every (kind, phase) gets a level, and a change never runs before a change of a
 * lower level that it must follow (see `phaseGraph`). The rules, in priority order:
 * 1. dependencies first: a kind's creates/updates after those of the kinds it depends on (roles before the
 *    grants and users that name them, providers before their templates, users before group members);
 * 2. dependents' deletes before their dependencies' deletes;
 * 3. releasing changes before deletes: a kind's deletes after the updates of the kinds that refer to it
 *    (grants removed before their role is deleted);
 * 4. deletes of a kind before its creates (names and quotas are freed first), unless that would contradict the
 *    rules above (a role that is swapped for another while grants move is created before the old one goes).
 */
export function phaseLevels(kinds: readonly Pick<PlanKind, 'kind' | 'dependsOn' | 'releasedBy' | 'releases'>[], upserting?: ReadonlySet<string>): Map<string, number> {
  const after = phaseGraph(kinds, upserting);
  const levels = new Map<string, number>();
  const visiting = new Set<string>();
  const level = (n: string): number => {
    const known = levels.get(n);
    if (known !== undefined) return known;
    if (visiting.has(n)) throw new Error(`kind dependencies form a cycle through ${n}`);
    visiting.add(n);
    let l = 0;
    for (const b of after.get(n)!) l = Math.max(l, level(b) + 1);
    visiting.delete(n);
    levels.set(n, l);
    return l;
  };
  for (const n of after.keys()) level(n);
  return levels;
}

/**
 * The same rules as a graph: each (kind, phase) node (`role:upsert`, `role:delete`) and the nodes that must be
 * finished before it starts. The executor runs each node as soon as those are done; the levels are this graph's
 * layering, for printing and for callers that want one order.
 *
 * `upserting`: the kinds a plan creates or updates. A kind with none releases nothing, so its release edges (rule
 * 3) are left out, and a kind whose only releaser is idle frees its names before its creates (rule 4): block lists
 * are deleted before they are created when no channel type changes. Without it, every kind may release.
 */
export function phaseGraph(kinds: readonly Pick<PlanKind, 'kind' | 'dependsOn' | 'releasedBy' | 'releases'>[], upserting?: ReadonlySet<string>): Map<string, Set<string>> {
  const releasing = (kind: string) => !upserting || upserting.has(kind);
  const after = new Map<string, Set<string>>();
  const nodes = kinds.flatMap((k) => [phaseNode(k.kind, 'upsert'), phaseNode(k.kind, 'delete')]);
  for (const n of nodes) after.set(n, new Set());
  const edge = (before: string, later: string) => {
    if (after.has(before) && after.has(later)) after.get(later)!.add(before);
  };
  for (const k of kinds) {
    for (const d of k.dependsOn) edge(phaseNode(d, 'upsert'), phaseNode(k.kind, 'upsert'));
    for (const j of kinds) if (j.dependsOn.includes(k.kind)) edge(phaseNode(j.kind, 'delete'), phaseNode(k.kind, 'delete'));
    for (const r of k.releasedBy ?? []) if (releasing(r)) edge(phaseNode(r, 'upsert'), phaseNode(k.kind, 'delete'));
    if (releasing(k.kind)) for (const r of k.releases ?? []) edge(phaseNode(k.kind, 'upsert'), phaseNode(r, 'delete'));
  }
  for (const k of kinds) {
    const del = phaseNode(k.kind, 'delete');
    const up = phaseNode(k.kind, 'upsert');
    if (!reaches(after, up, del)) edge(del, up);
  }
  return after;
}

/**
 * The edges of `phaseGraph` that a node follows object by object rather than as a whole: a kind's creates and
 * updates after those of the kinds it lists in `waitsPerObject` (a group after the users it lists, not after every
 * user). The executor starts such a node without waiting for those nodes; each of its changes waits only for the
 * changes of the objects its `refs` name.
 */
export function perObjectEdges(kinds: readonly Pick<PlanKind, 'kind' | 'dependsOn' | 'waitsPerObject' | 'refs'>[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const k of kinds) {
    const waits = k.waitsPerObject ?? [];
    if (waits.length === 0) continue;
    // Without refs a change would wait for nothing at all.
    if (!k.refs) throw new Error(`${k.kind} waits per object but names no refs`);
    const stray = waits.find((d) => !k.dependsOn.includes(d));
    if (stray) throw new Error(`${k.kind} waits per object for ${stray}, which is not in its dependsOn`);
    out.set(phaseNode(k.kind, 'upsert'), new Set(waits.map((d) => phaseNode(d, 'upsert'))));
  }
  return out;
}

/**
 * The graph the executor runs: each node and every node that must be finished before it starts, less the nodes it
 * follows object by object (`perObjectEdges`). Prerequisites are transitive, so dropping a per-object edge loses
 * nothing for the other nodes: user deletes still wait for every user create, though the groups they follow no
 * longer do.
 */
export function executionGraph(kinds: readonly Pick<PlanKind, 'kind' | 'dependsOn' | 'releasedBy' | 'releases' | 'waitsPerObject' | 'refs'>[], upserting?: ReadonlySet<string>): Map<string, Set<string>> {
  const full = phaseGraph(kinds, upserting);
  const perObject = perObjectEdges(kinds);
  const closure = new Map<string, Set<string>>();
  const ancestors = (n: string): Set<string> => {
    let known = closure.get(n);
    if (!known) {
      known = new Set();
      for (const b of full.get(n) ?? []) for (const a of [b, ...ancestors(b)]) known.add(a);
      closure.set(n, known);
    }
    return known;
  };
  return new Map([...full.keys()].map((n) => [n, new Set([...ancestors(n)].filter((a) => !perObject.get(n)?.has(a)))]));
}

/** Whether `from` must already run before `to` (a path of "after" edges leads from `to` back to `from`). */
function reaches(after: Map<string, Set<string>>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [to];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === from) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(after.get(n) ?? []));
  }
  return false;
}

/** The kinds that changes create or update (what `phaseGraph` calls `upserting`). */
export const upsertingKinds = (changes: readonly { kind: string; action: Action }[]): Set<string> => new Set(changes.filter((c) => c.action !== 'delete').map((c) => c.kind));

/** A per-plan order, computed once for each registry and set of upserting kinds (plans repeat them: a daemon's runs). */
export function orderCache<T>(build: (kinds: readonly PlanKind[], upserting: ReadonlySet<string>) => T): (kinds: readonly PlanKind[], upserting: ReadonlySet<string>) => T {
  const cache = new WeakMap<readonly PlanKind[], Map<string, T>>();
  return (kinds, upserting) => {
    let byKey = cache.get(kinds);
    if (!byKey) cache.set(kinds, (byKey = new Map()));
    const key = [...upserting].sort().join(',');
    let hit = byKey.get(key);
    if (hit === undefined) byKey.set(key, (hit = build(kinds, upserting)));
    return hit;
  };
}

/** The level of each change, renumbered densely over the levels that actually hold changes. */
export function levelsFor<T extends { kind: string; action: Action }>(changes: readonly T[], levels: Map<string, number>): T[][] {
  const byLevel = new Map<number, T[]>();
  for (const c of changes) {
    const l = levels.get(phaseNode(c.kind, phaseOf(c.action)));
    if (l === undefined) throw new Error(`no order for kind ${c.kind}`);
    if (!byLevel.has(l)) byLevel.set(l, []);
    byLevel.get(l)!.push(c);
  }
  return [...byLevel.entries()].sort((a, b) => a[0] - b[0]).map(([, cs]) => cs);
}
