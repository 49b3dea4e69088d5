import { KINDS, kindSpec } from '../kinds/registry.js';
import type { KindSpec } from '../kinds/types.js';
import type { Api } from '../core/api.js';
import type { DesiredState, LiveObject, LiveState } from '../core/model.js';

/**
 * Reads the live objects of the managed kinds only (no request for a kind the file does not declare), each
 * kind concurrently: the client paces every endpoint on its own budget.
 */
export async function fetchLive(api: Api, desired: DesiredState, opts: { kinds?: readonly KindSpec[]; complete?: boolean; forExport?: boolean } = {}): Promise<LiveState> {
  const kinds = (opts.kinds ?? KINDS).filter((k) => desired.managedKinds.has(k.kind));
  const all = [...desired.objects.values()];
  const refs = [...new Set(all.flatMap((o) => kindSpec(o.kind).refs?.(o.fields) ?? []))].sort();
  const results = await Promise.all(
    kinds.map((k) => {
      // A kind declared inside another's section (push templates) is complete when that section is pruned.
      const section = k.section ?? (k.declaredIn ? kindSpec(k.declaredIn).section : undefined);
      const complete = opts.complete ?? (section ? desired.policy.prune.includes(section) : false);
      const referenced = refs.filter((r) => r.startsWith(`${k.kind}/`));
      return k.fetch(api, all.filter((o) => o.kind === k.kind), { complete, referenced, forExport: opts.forExport, all });
    }),
  );
  return toLiveState(results.flat());
}

/** Kinds whose live object names the app (its settings). */
const NAMERS = new Map(KINDS.filter((k) => k.appName).map((k) => [k.kind, k.appName!]));

export function toLiveState(objects: LiveObject[]): LiveState {
  const map = new Map<string, LiveObject>();
  let appName: string | undefined;
  for (const o of objects) {
    map.set(o.address, o);
    appName ??= NAMERS.get(o.kind)?.(o);
  }
  return { objects: map, appName };
}
