import type { Logger } from 'pino';
import { KINDS, kindSpec, secretFieldsOf } from '../kinds/registry.js';
import type { Api, ApiRequest } from '../core/api.js';
import { errorMessage, isAmbiguous, isNotFound, StoppedError } from '../core/errors.js';
import type { ApplyResult, ChangeBatcher } from '../kinds/types.js';
import { executionGraph, orderCache, perObjectEdges, phaseNode, phaseOf, upsertingKinds } from '../plan/order.js';
import { matchesAny } from '../core/pointer.js';
import type { Plan, PlannedChange } from '../plan/plan.js';
import { type Signal, signal } from '../core/signal.js';
import type { StateFile } from '../state/state-file.js';
import { redact, sensitiveValues } from '../core/secrets.js';

export interface ExecuteOptions {
  api: Api;
  state: StateFile;
  concurrency: number;
  logger?: Logger;
  /**
   * Executors for changes the API carries out in batches: the kinds' `batchers` (required, so that no caller
   * forgets them: a kind may have no other way to write, e.g. SIP rules).
   */
  batchers: readonly ChangeBatcher[];
  /** Called as each change is applied (the engine starts its read-back then). */
  onApplied?: (change: PlannedChange) => void;
  /** Called once for every change of the plan as it ends, however it ends (progress lines, the daemon's tally). */
  onSettled?: (change: PlannedChange, outcome: ChangeOutcome, detail?: string) => void;
  /**
   * Aborted on an interrupt: no further change starts (each is reported `interrupted`); the requests in flight
   * finish, the state file records what landed. The caller's API refuses new requests once it aborts.
   */
  signal?: AbortSignal;
}

export type ChangeOutcome = 'applied' | 'failed' | 'skipped' | 'interrupted';

/** Which kinds and phases must be finished before each one starts, less those it follows object by object. */
/** The graph a plan runs in, for the kinds it creates or updates (the same order its levels were built in). */
const orderOf = orderCache(executionGraph);
const PER_OBJECT = perObjectEdges(KINDS);


/**
 * Executes a plan in dependency order: the changes of one kind and phase (`role:upsert`, `role:delete`) start as
 * soon as the kinds and phases they must follow (`phaseGraph`) are finished, not when a whole level is, so push
 * templates go out while two thousand user groups are still being created. A kind that follows another object by
 * object (`waitsPerObject`: a group after its members) does not wait for the whole kind: each of its changes starts
 * once the objects it names are done, so groups are created while later users are still on their way. At most
 * `concurrency` changes of one kind and phase are under way at once; the client keeps the requests on the wire to
 * its own limit and paces each endpoint. A failed change does not stop the others: only the changes that refer
 * to a failed or skipped object are skipped. Write-only values are recorded in the state file as they land.
 */
export async function executePlan(plan: Plan, opts: ExecuteOptions): Promise<ApplyResult> {
  const result: ApplyResult = { applied: [], failed: [], skipped: [], interrupted: [] };
  const stopped = () => opts.signal?.aborted === true;
  const broken = new Set<string>();
  const byNode = new Map<string, PlannedChange[]>();
  const order = orderOf(KINDS, upsertingKinds(plan.levels.flat()));
  for (const change of plan.levels.flat()) {
    const n = nodeOf(change);
    if (!byNode.has(n)) byNode.set(n, []);
    byNode.get(n)!.push(change);
  }
  const waits = objectWaits(byNode);
  // After a failure of the run itself (the state file cannot be written) no further kind starts, nor a further
  // change of a kind that started early (per object); the ones under way finish, and the failure is thrown:
  // nothing keeps writing once the caller has been told apply failed.
  let broke: { err: unknown } | undefined;

  const blocked = (change: PlannedChange): boolean => {
    const blocker = refsOf(change).find((r) => broken.has(r));
    if (!blocker) return false;
    broken.add(change.address);
    const reason = `${blocker} was not applied`;
    result.skipped.push({ address: change.address, reason });
    waits.settle(change);
    opts.onSettled?.(change, 'skipped', reason);
    return true;
  };
  const applied = (change: PlannedChange) => {
    result.applied.push(change.address);
    waits.settle(change);
    opts.onApplied?.(change);
    opts.onSettled?.(change, 'applied');
  };
  const interrupted = (change: PlannedChange) => {
    broken.add(change.address);
    result.interrupted.push({ address: change.address, action: change.action });
    waits.settle(change);
    opts.onSettled?.(change, 'interrupted');
  };
  const failed = (change: PlannedChange, err: unknown) => {
    // Refused because the run was interrupted: not the API's failure, and not attempted (or not finished).
    if (err instanceof StoppedError || err === STOPPED || (stopped() && typeof err === 'string' && err.endsWith(StoppedError.SUFFIX))) return interrupted(change);
    // The API may quote the request back in its error: never let the change's secrets out that way.
    const error = redact(typeof err === 'string' ? err : errorMessage(err), sensitiveValues([change.desired], secretFieldsOf));
    broken.add(change.address);
    result.failed.push({ address: change.address, action: change.action, error });
    waits.settle(change);
    opts.logger?.warn({ address: change.address, action: change.action, err: error }, 'change failed');
    opts.onSettled?.(change, 'failed', error);
  };
  const { batchers } = opts;
  const runBatch = async (batcher: ChangeBatcher, group: readonly PlannedChange[], early: boolean) => {
    await Promise.all(group.flatMap((c) => waits.before(c) ?? []));
    if (early && broke) return;
    if (stopped()) return group.forEach(interrupted);
    const open = new Map(group.filter((c) => !blocked(c)).map((c) => [c.address, c]));
    if (open.size === 0) return;
    const done = (address: string, error?: unknown) => {
      const change = open.get(address);
      if (!change) return;
      open.delete(address);
      if (error !== undefined) return failed(change, error);
      try {
        recordApplied(change, opts.state);
        applied(change);
      } catch (err) {
        // Our own failure, not the API's: the change landed; the apply fails as a whole, not the batch's other changes.
        broke ??= { err };
      }
    };
    await batcher.run([...open.values()], opts.api, (address, error) => done(address, error)).catch((err: unknown) => {
      for (const address of [...open.keys()]) done(address, err);
    });
    for (const address of [...open.keys()]) done(address, stopped() ? STOPPED : `${batcher.kind} ${batcher.action}: the batch ended without carrying out this change`);
  };
  const runNode = async (n: string, changes: readonly PlannedChange[]) => {
    // A node that follows others object by object starts before they are done. It starts no further change once
    // the apply has failed: had it waited for their whole kinds, it would not have started at all.
    const early = PER_OBJECT.has(n);
    const { single, batches } = splitBatches(changes, batchers);
    const one = runPool(single, opts.concurrency, async (change) => {
      await waits.before(change);
      if (early && broke) return;
      if (stopped()) return interrupted(change);
      if (blocked(change)) return;
      try {
        await executeChange(change, opts);
        applied(change);
      } catch (err) {
        failed(change, err);
      }
    });
    await Promise.all([one, ...[...batches].map(([batcher, group]) => runBatch(batcher, group, early))]);
    opts.state.save();
  };

  // Each node's run, started once its predecessors' runs are over (a node without changes passes straight on).
  const runs = new Map<string, Promise<void>>();
  const run = (n: string): Promise<void> => {
    let p = runs.get(n);
    if (!p) {
      const changes = byNode.get(n) ?? [];
      p = Promise.all([...(order.get(n) ?? [])].map(run))
        .then(() => (broke || changes.length === 0 ? undefined : stopped() ? changes.forEach(interrupted) : runNode(n, changes)))
        .catch((err: unknown) => void (broke ??= { err }))
        // Whatever did not run is done too: nothing waits for it any longer.
        .finally(() => changes.forEach(waits.settle));
      runs.set(n, p);
    }
    return p;
  };
  await Promise.all([...byNode.keys()].map(run));
  if (broke) throw broke.err;
  return result;
}

/** A batch that ended early on an interrupt, leaving changes it had not carried out. */
const STOPPED = Symbol('stopped');

const nodeOf = (change: PlannedChange) => phaseNode(change.kind, phaseOf(change.action));

/**
 * What the changes of a node that follows others object by object (`perObjectEdges`) wait for: `before(change)`
 * resolves once the planned changes of the objects it refers to in those nodes are settled (applied, failed or
 * skipped). It also reorders `byNode`: the waited-for changes go in the order their dependents need them (the
 * dependents' own order), so that the first groups can start while most users are still being created.
 */
function objectWaits(byNode: Map<string, PlannedChange[]>) {
  const signals = new Map<PlannedChange, Signal>();
  const waited = new Map<PlannedChange, PlannedChange[]>();
  const rank = new Map<PlannedChange, number>();
  for (const [n, changes] of byNode) {
    const from = PER_OBJECT.get(n);
    if (!from) continue;
    const target = new Map<string, PlannedChange>();
    for (const f of from) for (const c of byNode.get(f) ?? []) target.set(c.address, c);
    if (target.size === 0) continue;
    changes.forEach((change, i) => {
      const on = refsOf(change).flatMap((r) => target.get(r) ?? []);
      if (on.length === 0) return;
      waited.set(change, on);
      for (const c of on) {
        if (!signals.has(c)) signals.set(c, signal());
        rank.set(c, Math.min(rank.get(c) ?? Infinity, i));
      }
    });
  }
  for (const [n, changes] of byNode) {
    if (changes.some((c) => rank.has(c))) byNode.set(n, [...changes].sort((a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity)));
  }
  return {
    /** Undefined when the change waits for nothing. */
    before: (change: PlannedChange): Promise<unknown> | undefined => {
      const on = waited.get(change);
      return on && Promise.all(on.map((c) => signals.get(c)!.promise));
    },
    settle: (change: PlannedChange): void => signals.get(change)?.resolve(),
  };
}

/** Changes of one kind and phase: those a batcher takes, grouped by batcher, and the rest. */
function splitBatches(changes: readonly PlannedChange[], batchers: readonly ChangeBatcher[]): { single: PlannedChange[]; batches: Map<ChangeBatcher, PlannedChange[]> } {
  const single: PlannedChange[] = [];
  const batches = new Map<ChangeBatcher, PlannedChange[]>();
  for (const change of changes) {
    const batcher = batchers.find((b) => b.kind === change.kind && b.action === change.action);
    if (!batcher) single.push(change);
    else if (batches.has(batcher)) batches.get(batcher)!.push(change);
    else batches.set(batcher, [change]);
  }
  return { single, batches };
}

function refsOf(change: PlannedChange): string[] {
  return change.desired ? (kindSpec(change.kind).refs?.(change.desired.fields) ?? []) : [];
}

async function executeChange(change: PlannedChange, { api, state, logger }: ExecuteOptions): Promise<void> {
  const spec = kindSpec(change.kind);
  const requests = spec.requests({ action: change.action, address: change.address, desired: change.desired, live: change.live, fields: change.fields });
  for (const [i, req] of requests.entries()) {
    try {
      await api.send(req);
    } catch (err) {
      // A delete answered 404 reached its goal: the object is gone (an earlier attempt whose answer was lost,
      // retried, or someone else). The read back and the next plan still see anything left.
      if (change.action === 'delete' && isNotFound(err)) continue;
      if (!(i === 0 && change.action === 'create' && !req.idempotent && isAmbiguous(err) && change.desired && spec.reread)) throw err;
      // The create may have happened: look before sending it again, never blindly re-send.
      const found = await spec.reread(api, change.desired);
      logger?.info({ address: change.address, found: Boolean(found) }, 'create failed ambiguously; re-read the object');
      if (!found) await api.send(req as ApiRequest);
    }
  }
  recordApplied(change, state);
}

/** What the state file learns from an applied change: a delete forgets the object, others record their write-only values. */
function recordApplied(change: PlannedChange, state: StateFile): void {
  if (change.action === 'delete') {
    state.forget(change.address);
    return;
  }
  const spec = kindSpec(change.kind);
  const writeOnly = [...spec.writeOnlyFields, ...spec.secretFields];
  // Sensitive values are recorded too (as fingerprints), so that a later delete of the object knows not to show them.
  for (const f of change.fields) {
    if (matchesAny(writeOnly, f.path) || f.sensitive) state.record(change.address, f.path, valueAt(change.desired!.fields, f.path));
  }
}

function valueAt(fields: Record<string, unknown>, pointer: string): unknown {
  let cur: unknown = fields;
  for (const seg of pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))) cur = (cur as Record<string, unknown>)?.[seg];
  return cur;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function runPool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
