import type { Change, WriteOnlyMemory } from '../core/model.js';
import { matchesAny } from '../core/pointer.js';
import { findKind } from '../kinds/registry.js';

export interface DriftReport {
  /** Changes that show the app differs from the configuration in force. */
  drifted: Change[];
  /**
   * Updates whose only differences are write-only values (secrets) no fingerprint was ever recorded for: the app
   * never returns them, so whether it holds the declared value cannot be known.
   */
  unknown: Change[];
}

/**
 * Sorts a dry run's plan into drift and unknown. A write-only value is compared by the keyed fingerprint the
 * state file recorded when it was last applied; with none (a writer that kept no state file, or another one),
 * the planner plans the write to be safe, but a drift detector that called it drift would alarm forever on
 * every declared secret. A recorded fingerprint that differs is real drift: the file changed since the writer
 * applied it. Creates and deletes are always drift.
 */
export function classifyDrift(changes: readonly Change[], memory: Pick<WriteOnlyMemory, 'applied'>): DriftReport {
  const report: DriftReport = { drifted: [], unknown: [] };
  for (const c of changes) (unverifiable(c, memory) ? report.unknown : report.drifted).push(c);
  return report;
}

function unverifiable(change: Change, memory: Pick<WriteOnlyMemory, 'applied'>): boolean {
  const spec = findKind(change.kind);
  if (!spec || change.action !== 'update' || change.fields.length === 0) return false;
  return change.fields.every(
    (f) => (matchesAny(spec.writeOnlyFields, f.path) || matchesAny(spec.secretFields, f.path)) && memory.applied(change.address, f.path) === undefined,
  );
}
