import type { Logger } from 'pino';
import { kindSpec } from '../kinds/index.js';
import type { Api, ApiRequest } from '../kinds/types.js';
import { matchesAny } from '../plan/pointer.js';
import type { Plan, PlannedChange } from '../plan/plan.js';
import type { StateFile } from '../state/state-file.js';

export interface ApplyFailure {
  address: string;
  action: string;
  error: string;
}

export interface ApplyResult {
  applied: string[];
  failed: ApplyFailure[];
  /** Changes not attempted because a change they depend on failed. */
  skipped: { address: string; reason: string }[];
}

export interface ExecuteOptions {
  api: Api;
  state: StateFile;
  concurrency: number;
  logger?: Logger;
}

const isAmbiguous = (err: unknown) => (err as { ambiguous?: boolean } | null)?.ambiguous === true;
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Executes a plan level by level (a level starts when the one before it has finished), with at most
 * `concurrency` changes in flight. A failed change does not stop the others: only the changes that refer to a
 * failed or skipped object are skipped. Write-only values are recorded in the state file as they land.
 */
export async function executePlan(plan: Plan, opts: ExecuteOptions): Promise<ApplyResult> {
  const result: ApplyResult = { applied: [], failed: [], skipped: [] };
  const broken = new Set<string>();
  for (const level of plan.levels) {
    await runPool(level, opts.concurrency, async (change) => {
      const blocker = refsOf(change).find((r) => broken.has(r));
      if (blocker) {
        broken.add(change.address);
        result.skipped.push({ address: change.address, reason: `${blocker} was not applied` });
        return;
      }
      try {
        await executeChange(change, opts);
        result.applied.push(change.address);
      } catch (err) {
        broken.add(change.address);
        result.failed.push({ address: change.address, action: change.action, error: message(err) });
        opts.logger?.warn({ address: change.address, action: change.action, err: message(err) }, 'change failed');
      }
    });
    opts.state.save();
  }
  return result;
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
      if (!(i === 0 && change.action === 'create' && !req.idempotent && isAmbiguous(err) && change.desired && spec.reread)) throw err;
      // The create may have happened: look before sending it again, never blindly re-send.
      const found = await spec.reread(api, change.desired);
      logger?.info({ address: change.address, found: Boolean(found) }, 'create failed ambiguously; re-read the object');
      if (!found) await api.send(req as ApiRequest);
    }
  }
  if (change.action === 'delete') {
    state.forget(change.address);
    return;
  }
  const writeOnly = [...spec.writeOnlyFields, ...spec.secretFields];
  for (const f of change.fields) {
    if (matchesAny(writeOnly, f.path)) state.record(change.address, f.path, valueAt(change.desired!.fields, f.path));
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
