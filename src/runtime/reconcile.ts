import type { ChangeOutcome } from '../apply/execute.js';
import type { Change, DesiredState, LiveState } from '../core/model.js';
import type { Plan } from '../plan/plan.js';
import type { StateFile } from '../state/state-file.js';
import { type Applied, applyPlan, checkDeleteGuard, type EngineDeps, planFor } from './engine.js';

export interface ReconcileOptions {
  targets?: readonly string[];
  /** Plan only: report what would change, write nothing. */
  dryRun: boolean;
  /** `--allow-deletes N`: raises `policy.max_deletes` for this run. */
  allowDeletes?: number;
  /** How the caller raises the limit, for the refusal's advice (default the CLI's `--allow-deletes`). */
  allowDeletesSetting?: string;
  /**
   * The plan to execute, given the plan made now, before anything is written: `apply --plan` returns the saved
   * plan's part of it, or throws to refuse. Default: the plan made now.
   */
  review?(made: { plan: Plan; live: LiveState; desired: DesiredState; memory: StateFile }): Plan;
  /** The plan as made, before the guards and any write (printed by `apply`, logged by `watch`). */
  onPlan?(plan: Plan): void;
  /** Each change as it ends: applied, failed, skipped (a change it needs did not land) or interrupted. */
  onChange?(change: Change, outcome: ChangeOutcome, detail?: string): void;
}

export interface Reconciled {
  plan: Plan;
  /** Undefined with `dryRun`. */
  applied?: Applied;
}

/**
 * One reconcile, the same for `apply` and `watch`: read the app, plan, check the guards (the caller's and
 * `max_deletes`), execute and read back. The apply runs even for an empty plan: kinds record what the file
 * declares (the user inventory).
 */
export async function reconcileOnce(deps: EngineDeps & { client: { seedFromApi(): Promise<unknown> } }, desired: DesiredState, opts: ReconcileOptions): Promise<Reconciled> {
  await deps.client.seedFromApi();
  const made = await planFor(deps, desired, { targets: opts.targets });
  const plan = opts.review ? opts.review({ ...made, desired, memory: deps.state }) : made.plan;
  opts.onPlan?.(plan);
  if (opts.dryRun) return { plan };
  checkDeleteGuard(plan, desired, opts.allowDeletes, opts.allowDeletesSetting);
  const fullScope = !opts.targets?.length && !opts.review;
  return { plan, applied: await applyPlan(deps, plan, desired, opts.onChange, { fullScope }) };
}

export interface Outcome {
  /** Planned changes by action. */
  planned: { create: number; update: number; delete: number };
  /** Applied changes by action. */
  applied: { create: number; update: number; delete: number };
  failed: number;
  skipped: number;
  interrupted: number;
  notConverged: number;
  /** Anything that did not end as planned (failed, skipped, interrupted, not converged). */
  broken: number;
}

const byAction = (changes: readonly Change[]) => ({
  create: changes.filter((c) => c.action === 'create').length,
  update: changes.filter((c) => c.action === 'update').length,
  delete: changes.filter((c) => c.action === 'delete').length,
});

/** The counts both `apply`'s summary and the daemon's log line report. */
export function outcomeOf({ plan, applied }: Reconciled): Outcome {
  const changes = plan.document.changes;
  const done = new Set(applied?.result.applied ?? []);
  const failed = applied?.result.failed.length ?? 0;
  const skipped = applied?.result.skipped.length ?? 0;
  const interrupted = applied?.result.interrupted.length ?? 0;
  const notConverged = applied?.notConverged.length ?? 0;
  return { planned: byAction(changes), applied: byAction(changes.filter((c) => done.has(c.address))), failed, skipped, interrupted, notConverged, broken: failed + skipped + interrupted + notConverged };
}
