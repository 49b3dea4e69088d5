import { UsageError } from '../core/errors.js';
import type { RunResult } from './metrics.js';

/** Failed runs in a row, since the last success, that take the daemon out of readiness (`/readyz` 503). */
export const DEFAULT_READY_FAILURE_THRESHOLD = 3;

/** What `/healthz` and `/readyz` report, updated by each run. */
export interface DaemonStatus {
  stopping: boolean;
  /**
   * A reconcile has succeeded, and fewer than `readyFailureThreshold` runs have failed since the last success
   * (`/readyz` also says not ready while stopping).
   */
  ready: boolean;
  runs: number;
  /** Runs that ended in `error` since the last success. */
  consecutiveFailures: number;
  readyFailureThreshold: number;
  lastSuccessAt?: number;
  lastRun?: { reconcile_id: string; result: RunResult | 'stopped'; finished_at: string; error?: string };
}

export function initialStatus(readyFailureThreshold = DEFAULT_READY_FAILURE_THRESHOLD): DaemonStatus {
  if (!Number.isInteger(readyFailureThreshold) || readyFailureThreshold < 1) throw new UsageError(`the ready failure threshold must be a whole number ≥ 1 (got ${readyFailureThreshold})`);
  return { stopping: false, ready: false, runs: 0, consecutiveFailures: 0, readyFailureThreshold };
}

/**
 * Readiness after a run. Only an `error` (the API failed, changes failed or did not converge) counts against it:
 * a refusal (a guard) and an invalid file are problems of the file, not of the daemon, which keeps enforcing the
 * last valid configuration (a typo must not take a pod out of service), and a stopped run says nothing of the app.
 * One failure is not enough either: a blip of the API is retried at once, and a probe should not flap with it.
 */
export function recordRun(status: DaemonStatus, result: RunResult | 'stopped', at: number): void {
  if (result === 'success') {
    status.consecutiveFailures = 0;
    status.lastSuccessAt = at;
  } else if (result === 'error') status.consecutiveFailures++;
  status.ready = status.lastSuccessAt !== undefined && status.consecutiveFailures < status.readyFailureThreshold;
}
