import type { Change, DesiredObject, Policy, WriteOnlyMemory } from '../core/model.js';
import { matchesGlob } from '../core/pointer.js';
import { kindIn, type PlanKind } from './facets.js';

/**
 * `policy.report_only`, as Argo CD without self-heal: for these sections or addresses the file wins when it
 * changes, the app when it does. Telling the two apart needs what the file said when it was last applied: a keyed
 * fingerprint of the declared object, kept in the state file beside the secrets' (at `DESIRED`). A difference
 * while the file still says what was applied is the app's doing: drift, reported and left alone.
 */
export const DESIRED = '#desired';

export function reportOnlyMatcher(policy: Policy, registry: readonly PlanKind[]): (kind: string, address: string) => boolean {
  const list = policy.report_only ?? [];
  if (list.length === 0) return () => false;
  return (kind, address) => {
    const spec = kindIn(registry, kind);
    const section = spec.section ?? (spec.declaredIn ? kindIn(registry, spec.declaredIn).section : undefined);
    return (section !== undefined && list.includes(section)) || matchesGlob(list, address);
  };
}

/** Whether a planned change of a report-only object is drift (the app moved) rather than the file's change. */
export function isDrift(change: Change, desired: DesiredObject | undefined, memory: WriteOnlyMemory): boolean {
  const recorded = memory.applied(change.address, DESIRED);
  // A delete: the file declared the object when it was last applied (and dropped it since), or never did (drift).
  if (change.action === 'delete') return recorded === undefined;
  return recorded !== undefined && recorded === memory.fingerprint(change.address, DESIRED, desired!.fields);
}
