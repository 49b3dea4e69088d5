import type { Logger } from 'pino';
import { type ChangeOutcome, executePlan } from '../apply/execute.js';
import { ConfigError, GuardError, UsageError } from '../core/errors.js';
import { matchesGlob } from '../core/pointer.js';
import { didYouMean } from '../desired/suggest.js';
import { KINDS, kindSpec } from '../kinds/registry.js';
import type { ApplyResult, TaskWait } from '../kinds/types.js';
import type { Api } from '../core/api.js';
import { fetchLive, toLiveState } from '../live/fetch.js';
import type { DesiredState, LiveObject, LiveState } from '../core/model.js';
import { buildPlan, type Plan, type PlannedChange, quotaIssues, type RefLocator, referenceIssues } from '../plan/plan.js';
import { kindOfAddress } from '../plan/facets.js';
import { DESIRED, reportOnlyMatcher } from '../plan/report-only.js';
import type { StateFile } from '../state/state-file.js';

/** What one reconcile needs from the outside world, passed in (the CLI and the daemon build it). */
export interface EngineDeps {
  api: Api;
  state: StateFile;
  target: { base_url: string; api_key: string };
  concurrency: number;
  logger?: Logger;
  /** How async tasks (DeleteUsers) are awaited; defaults to polling GetTask for up to 120 s. */
  taskWait?: Partial<TaskWait>;
  /**
   * Aborted on an interrupt: no further change starts, the state file records what landed, and nothing is read
   * back (the API refuses new requests once it aborts).
   */
  signal?: AbortSignal;
}

export interface Planned {
  plan: Plan;
  live: LiveState;
}

/** Reads live state for the managed kinds, checks references and the app-name guard, and builds the plan. */
export async function planFor(deps: EngineDeps, desired: DesiredState, opts: { targets?: readonly string[] } = {}): Promise<Planned> {
  const fetched = await fetchLive(deps.api, desired);
  if (desired.expectName !== undefined && fetched.appName !== desired.expectName) {
    throw new GuardError(`app.expect_name is "${desired.expectName}" but the API key belongs to app "${fetched.appName ?? '(unknown)'}": refusing to plan or apply against another app`);
  }
  // What kinds read beyond their own fetch (users: soft-deleted declared users, the inventory's users that left the file).
  let live = fetched;
  const annotations: ((plan: Plan) => Plan)[] = [];
  for (const kind of KINDS) {
    if (!kind.extendLive || !desired.managedKinds.has(kind.kind)) continue;
    const extension = await kind.extendLive(deps.api, { desired, live, inventories: deps.state });
    live = extension.live;
    if (extension.annotate) annotations.push(extension.annotate);
  }
  // Kinds the file refers to but does not manage (a grant naming a role, with no roles section): read only to check
  // that what it names exists, so that no plan holds a change the API will refuse for a reason known now.
  const refKinds = new Set([...desired.objects.values()].flatMap((o) => (kindSpec(o.kind).refs?.(o.fields) ?? []).map(kindOfAddress)));
  const alsoRead = KINDS.filter((k) => refKinds.has(k.kind) && !desired.managedKinds.has(k.kind) && k.section && !k.prunedByInventory);
  let checked = live;
  if (alsoRead.length) {
    const extra = await fetchLive(deps.api, { ...desired, managedKinds: new Set(alsoRead.map((k) => k.kind)) }, { kinds: alsoRead });
    checked = toLiveState([...live.objects.values(), ...extra.objects.values()]);
  }
  if (opts.targets?.length) checkTargets(opts.targets, desired, live);
  const locate = (desired as { locateRef?: RefLocator }).locateRef;
  const built = buildPlan({ desired, live, memory: deps.state, target: deps.target, targets: opts.targets, registry: KINDS });
  // Every problem in one round, before any write.
  const issues = [...referenceIssues(desired, checked, KINDS, { locate, alsoRead: new Set(alsoRead.map((k) => k.kind)) }), ...quotaIssues(built, live, KINDS)];
  if (issues.length) throw new ConfigError(issues);
  const plan = annotations.reduce((p, annotate) => annotate(p), built);
  return { plan, live };
}

/** `policy.max_deletes` (raised by `--allow-deletes N`) checked before the first write. */
export function checkDeleteGuard(plan: Plan, desired: DesiredState, allowDeletes?: number, setting = '--allow-deletes'): void {
  const deletes = plan.document.summary.delete;
  const limit = Math.max(desired.policy.max_deletes ?? Number.POSITIVE_INFINITY, allowDeletes ?? 0);
  if (deletes > limit) {
    throw new GuardError(`the plan deletes ${deletes} object${deletes === 1 ? '' : 's'}, more than policy.max_deletes (${limit}): nothing was applied; review the plan and run again with ${setting} ${deletes} if that is intended`);
  }
}

export interface Applied {
  result: ApplyResult;
  /** Addresses that still differ from the file after apply (read back). */
  notConverged: string[];
  /** The run was interrupted: some changes did not start (`result.interrupted`) and nothing was read back. */
  interrupted: boolean;
}

/**
 * Executes the plan, then reads back the objects it wrote and reports what did not converge. Kinds read one object
 * at a time are read back object by object as each is written (`readBackEach`); the others, once all writes are
 * done, with one read of the kind.
 */
export async function applyPlan(
  deps: EngineDeps,
  plan: Plan,
  desired: DesiredState,
  onSettled?: (change: PlannedChange, outcome: ChangeOutcome, detail?: string) => void,
  /** The plan covers every declared object (no `--target`, not a saved plan): unchanged ones are known equal. */
  opts: { fullScope?: boolean } = {},
): Promise<Applied> {
  const batchers = KINDS.flatMap((k) => k.batchers?.({ policy: desired.policy, taskWait: deps.taskWait }) ?? []);
  const rereads: Promise<{ live?: LiveObject; error?: unknown }>[] = [];
  const onApplied = (change: PlannedChange) => {
    const spec = kindSpec(change.kind);
    if (!spec.readBackEach || !spec.reread) return;
    // A deleted object is looked for by its live fields: the read-back expects it gone.
    const subject = change.desired ?? { kind: change.kind, address: change.address, fields: change.live!.fields, sensitive: [] };
    // Settled at once: a failed read must not go unhandled while the writes go on; it fails the read-back below.
    rereads.push(spec.reread(deps.api, subject).then((live) => ({ live }), (error: unknown) => ({ error })));
  };
  const result = await executePlan(plan, { api: deps.api, state: deps.state, concurrency: deps.concurrency, logger: deps.logger, batchers, onApplied, onSettled, signal: deps.signal });
  for (const kind of KINDS) kind.afterApply?.({ inventories: deps.state, desired, plan, result });
  recordReportOnly(deps.state, desired, plan, result, opts.fullScope ?? false);
  deps.state.save();
  // Read-backs already under way are awaited (their answers are handled), but none is judged: the run stopped.
  if (deps.signal?.aborted) {
    await Promise.all(rereads);
    return { result, notConverged: [], interrupted: true };
  }
  if (result.applied.length === 0) return { result, notConverged: [], interrupted: false };
  const applied = new Set(result.applied);
  const touched = new Set(plan.levels.flat().filter((c) => applied.has(c.address)).map((c) => c.kind));
  const kinds = KINDS.filter((k) => touched.has(k.kind));
  const [listed, reread] = await Promise.all([fetchLive(deps.api, desired, { kinds: kinds.filter((k) => !(k.readBackEach && k.reread)) }), Promise.all(rereads)]);
  const failedRead = reread.find((r) => r.error !== undefined);
  if (failedRead) throw failedRead.error;
  const live = toLiveState([...listed.objects.values(), ...reread.flatMap((r) => (r.live ? [r.live] : []))]);
  const again = buildPlan({ desired, live, memory: deps.state, target: deps.target, targets: result.applied, kinds, registry: KINDS });
  const notConverged = again.document.changes.map((c) => c.address);
  if (notConverged.length) deps.logger?.warn({ addresses: notConverged }, 'objects did not converge after apply');
  return { result, notConverged, interrupted: false };
}

/**
 * What the file said of each report-only object once the app holds it (applied now, or already equal), so that a
 * later difference can be told apart: the file changed (apply it) or the app did (report it).
 */
function recordReportOnly(state: StateFile, desired: DesiredState, plan: Plan, result: ApplyResult, fullScope: boolean): void {
  const reportOnly = reportOnlyMatcher(desired.policy, KINDS);
  const applied = new Set(result.applied);
  const planned = new Set(plan.document.changes.map((c) => c.address));
  for (const obj of desired.objects.values()) {
    if (!reportOnly(obj.kind, obj.address)) continue;
    // Only what the app now holds as the file says: a change applied, or (when the plan saw everything) no change.
    // An object outside a targeted or saved plan was not looked at: its change is still the file's to apply.
    if (!(applied.has(obj.address) || (fullScope && !planned.has(obj.address)))) continue;
    if (state.applied(obj.address, DESIRED) !== state.fingerprint(obj.address, DESIRED, obj.fields)) state.record(obj.address, DESIRED, obj.fields);
  }
  // Dropped from the file and gone from the app (no delete to plan): forgotten, so that an object the app creates
  // again under that name is the app's (reported), not taken for the file's removal (deleted).
  if (!fullScope) return;
  for (const address of state.recordedAt(DESIRED)) if (!desired.objects.has(address) && !planned.has(address)) state.forget(address);
}

/** A `--target` that matches nothing in the file or the app is a typo: refused, with the closest address. */
function checkTargets(targets: readonly string[], desired: DesiredState, live: LiveState): void {
  const addresses = [...new Set([...desired.objects.keys(), ...live.objects.keys()])];
  const unmatched = targets.filter((t) => !addresses.some((a) => matchesGlob([t], a)));
  if (unmatched.length === 0) return;
  throw new UsageError(unmatched.map((t) => `--target ${t} matches nothing in the file or the app${didYouMean(t, addresses)}`).join('\n'));
}
