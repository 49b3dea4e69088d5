import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EngineDeps } from '../runtime/engine.js';
import { outcomeOf, reconcileOnce } from '../runtime/reconcile.js';
import { ConfigError, DeadlineError, errorMessage, formatIssue, GuardError } from '../core/errors.js';
import { DEFAULT_RATE_SHARE } from '../live/pacer.js';
import { startDeadline } from '../runtime/deadline.js';
import { stoppableApi } from '../runtime/stopping.js';
import { redactError, sensitiveValues } from '../core/secrets.js';
import { secretFieldsOf } from '../kinds/registry.js';
import type { Api } from '../core/api.js';
import type { Change, DesiredState } from '../core/model.js';
import type { Applied } from '../runtime/engine.js';
import type { ClientStats } from '../live/client.js';
import type { StateFile } from '../state/state-file.js';
import type { StateLock } from '../runtime/lock.js';
import { classifyDrift } from './drift.js';
import type { Outcome, Trigger } from './loop.js';
import type { AppMetrics, RunResult } from './metrics.js';
import { type ConfigSource, desiredHash } from './source.js';
import { type DaemonStatus, recordRun } from './status.js';

export type { DaemonStatus } from './status.js';

export interface ReconcilerDeps {
  source: ConfigSource;
  /** The API as the daemon sends to it (requests refused once stopping). */
  api: Api;
  client: { stats(): ClientStats; seedFromApi(): Promise<boolean>; renewToken(): void; setRateShare(percent: number): void };
  /** `--rate-share`: wins over the file's `policy.rate_share` (default `DEFAULT_RATE_SHARE`). */
  rateShare?: number;
  /** `--deadline`: a run still going after this long is stopped (as on a stop: no new request; what landed is recorded). */
  deadlineMs?: number;
  /** The current run's signal (the daemon's stop, or the run's deadline): the client's waits end when it aborts. */
  useRunSignal?(signal: AbortSignal): void;
  target: { base_url: string; api_key: string };
  concurrency: number;
  targets: readonly string[];
  dryRun: boolean;
  /** The state file, read afresh for each run (another process may have written it since). */
  openState(): StateFile;
  /** Held for the whole run when set (not with --dry-run, which writes nothing, nor with --emulator). */
  lock?: StateLock;
  signal: AbortSignal;
  metrics: AppMetrics;
  status: DaemonStatus;
  logger: Logger;
  /** Told how each run ended (notifications), after its summary line; never awaited. */
  onRun?(run: RunRecord): void;
  /** The client's per-request debug lines go to the current run's logger, so they carry its reconcile_id. */
  useRunLogger?(log: Logger): void;
  now?: () => number;
}

/** One change as a run reports it outside the logs (notifications): where and what, never a value. */
export interface ChangeNote {
  address: string;
  action: 'create' | 'update' | 'delete';
  /** JSON pointers of the fields that differ. */
  fields: string[];
  error?: string;
}

/** How a run ended, for what reacts to it (notifications). */
export interface RunRecord {
  reconcile_id: string;
  triggers: readonly Trigger[];
  result: RunResult | 'stopped';
  dryRun: boolean;
  /**
   * Drift found and left alone: with --dry-run, every drifted change (not the unknown ones); otherwise the
   * differences `policy.report_only` keeps from being corrected.
   */
  drift: ChangeNote[];
  /** Changes applied by this run. */
  applied: ChangeNote[];
  /** Changes that failed, were skipped or did not converge. */
  broken: ChangeNote[];
  /** Without --dry-run: the changes planned (what a refused run would have done). */
  planned: ChangeNote[];
  /** The run's error, redacted (an API error, or why it was refused). */
  error?: string;
  /** The digest of the configuration the run worked from (undefined when none was in force). */
  desiredHash?: string;
  /** `app.expect_name` of that configuration, if set. */
  expectName?: string;
}

interface RunReport {
  result: RunResult;
  changes: { create: number; update: number; delete: number };
  applied: number;
  failed: number;
  notConverged: number;
  drifted?: number;
  /** With --dry-run: updates of secrets with no recorded fingerprint (see classifyDrift). */
  unknown?: number;
  error?: string;
  /** What `RunRecord` reports. */
  notes?: { drift: ChangeNote[]; applied: ChangeNote[]; broken: ChangeNote[]; planned: ChangeNote[] };
  desiredHash?: string;
  expectName?: string;
}

const note = (c: { address: string; action: ChangeNote['action']; fields: readonly { path: string }[] }, error?: string): ChangeNote => ({
  address: c.address,
  action: c.action,
  fields: c.fields.map((f) => f.path),
  ...(error === undefined ? {} : { error }),
});

const sumRequests = (s: ClientStats) => Object.values(s.requests).reduce((n, byStatus) => n + Object.values(byStatus).reduce((a, b) => a + b, 0), 0);

/**
 * One reconcile: read the file (keeping the last valid configuration when it is not), take the state-file lock,
 * read the app, plan, then apply (or, with --dry-run, report the drift), and log one summary line. Every line of
 * a run carries its `reconcile_id`.
 */
export function createReconciler(deps: ReconcilerDeps): (triggers: readonly Trigger[]) => Promise<Outcome> {
  const now = deps.now ?? Date.now;
  let lastWarnings = '';
  // The configuration in force: an error that quotes one of its sensitive values is logged without it (collected
  // only when there is an error to redact, not on every run).
  let inForce: DesiredState | undefined;

  return async function reconcile(triggers) {
    const id = randomUUID();
    const log = deps.logger.child({ reconcile_id: id });
    deps.useRunLogger?.(log);
    const started = now();
    const before = deps.client.stats();
    log.debug({ triggers }, 'reconcile started');
    // Filled in as the run goes, so a run that fails (or is stopped) midway still reports what it had done.
    const progress: RunReport = { result: 'error', changes: { create: 0, update: 0, delete: 0 }, applied: 0, failed: 0, notConverged: 0 };
    // The run's own stop: the daemon's, or its deadline (a controller per run, its listener on the daemon's signal
    // removed after: nothing of a run outlives it in a daemon that runs for weeks).
    const run = new AbortController();
    const stopRun = () => run.abort(deps.signal.reason);
    if (deps.signal.aborted) stopRun();
    else deps.signal.addEventListener('abort', stopRun, { once: true });
    const deadline = deps.deadlineMs
      ? startDeadline('reconcile', deps.deadlineMs, (err) => {
          log.warn({ deadline_ms: err.ms }, `${err.message}: no new request starts; the requests in flight finish`);
          run.abort(err);
        })
      : undefined;
    const signal = run.signal;
    deps.useRunSignal?.(signal);
    let report: RunReport;
    try {
      report = await reconcileRun(log, progress, signal);
    } catch (err) {
      // Cut short by its deadline: that is the error (a request refused or abandoned for it is only its symptom).
      const cause = deadline?.passed && !deps.signal.aborted ? (deadline.signal.reason as Error) : err;
      const message = cause instanceof ConfigError ? cause.issues.map(formatIssue).join('; ') : errorMessage(redactError(cause, inForce ? sensitiveValues(inForce.objects.values(), secretFieldsOf) : []));
      const refused = cause instanceof GuardError || cause instanceof ConfigError;
      if (!deps.signal.aborted) log.error({ err: message }, refused ? 'reconcile refused: nothing was applied' : 'reconcile failed');
      report = { ...progress, result: refused ? 'refused' : 'error', error: message };
    } finally {
      deadline?.clear();
      deps.signal.removeEventListener('abort', stopRun);
      deps.useRunSignal?.(deps.signal);
    }
    const after = deps.client.stats();
    const durationMs = now() - started;
    const stopped = deps.signal.aborted && report.result !== 'success';
    const result = stopped ? 'stopped' : report.result;

    deps.status.runs++;
    deps.status.lastRun = { reconcile_id: id, result, finished_at: new Date(now()).toISOString(), ...(report.error ? { error: report.error } : {}) };
    recordRun(deps.status, result, now());
    if (!stopped) {
      deps.metrics.reconciled(report.result, durationMs / 1000);
      if (report.drifted !== undefined) deps.metrics.drifted(report.drifted);
      if (report.unknown !== undefined) deps.metrics.unknown(report.unknown);
    }
    if (report.result === 'success') deps.metrics.succeeded(Math.floor(now() / 1000));
    const { create, update, delete: del } = report.changes;
    log.info(
      {
        result,
        triggers,
        dry_run: deps.dryRun,
        changes: report.changes,
        applied: report.applied,
        failed: report.failed,
        not_converged: report.notConverged,
        drifted: report.drifted,
        unknown: report.unknown,
        consecutive_failures: deps.status.consecutiveFailures,
        duration_ms: durationMs,
        requests: sumRequests(after) - sumRequests(before),
        writes: after.writes - before.writes,
        retries: after.retries - before.retries,
        rate_limited: after.rateLimited - before.rateLimited,
      },
      `reconcile ${result}: ${create} to create, ${update} to update, ${del} to delete${outcomeNote(deps.dryRun, stopped, report, after.writes - before.writes)} in ${durationMs} ms`,
    );
    if (deps.onRun) {
      const notes = report.notes ?? { drift: [], applied: [], broken: [], planned: [] };
      try {
        deps.onRun({ reconcile_id: id, triggers, result, dryRun: deps.dryRun, ...notes, error: report.error, desiredHash: report.desiredHash, expectName: report.expectName });
      } catch (err) {
        log.warn({ err: errorMessage(err) }, 'reporting the run failed');
      }
    }
    if (report.result === 'success') return 'success';
    return report.result === 'error' ? 'error' : 'terminal';
  };

  async function reconcileRun(log: Logger, progress: RunReport, signal: AbortSignal): Promise<RunReport> {
    const loaded = deps.source.load();
    deps.metrics.configValid(!loaded.problem);
    if (loaded.problem) {
      const keeping = loaded.desired ? 'the last valid configuration stays in force' : 'no valid configuration has been loaded yet: nothing is reconciled until the file changes';
      const line = { problems: loaded.problem.message.split('\n') };
      if (loaded.newProblem) log.error(line, `the desired state is invalid and is not applied; ${keeping}`);
      else log.debug(line, `the desired state is still invalid; ${keeping}`);
    }
    const desired = loaded.desired;
    if (!desired) return { ...progress, result: 'invalid_config', error: loaded.problem?.message };
    inForce = desired;
    // Only what reacts to runs needs it (a digest of a large configuration is not free).
    if (deps.onRun) progress.desiredHash = desiredHash(desired);
    progress.expectName = desired.expectName;
    deps.client.setRateShare(deps.rateShare ?? desired.policy.rate_share ?? DEFAULT_RATE_SHARE);

    const release = deps.lock
      ? await deps.lock.acquire({
          signal,
          onWait: (h) => log.info({ lock: deps.lock!.path, holder: h ? { pid: h.pid, hostname: h.hostname, since: h.acquired_at } : undefined }, 'waiting for the state-file lock: another stream-sync is reconciling this app'),
        })
      : () => {};
    try {
      // With the signal, a stop ends the apply with what landed recorded and counted, instead of failing the
      // read-back that follows it.
      const state = deps.openState();
      const engine: EngineDeps = { api: stoppableApi(deps.api, signal), state, target: deps.target, concurrency: deps.concurrency, logger: log, signal };
      // A token signed for this run: one cached across runs may have expired at Stream if this clock is behind.
      deps.client.renewToken();
      const reconciled = await reconcileOnce({ ...engine, client: deps.client }, desired, {
        targets: deps.targets,
        dryRun: deps.dryRun,
        // Counted as they land: a run that ends in an exception (stopped during the read-back) still reports them.
        onChange: (_change, outcome) => {
          if (outcome === 'applied') progress.applied++;
        },
        onPlan: (plan) => {
          const doc = plan.document;
          const warnings = JSON.stringify(doc.warnings);
          if (warnings !== lastWarnings) for (const w of doc.warnings) log.warn({ address: w.address }, `plan warning: ${w.message}`);
          lastWarnings = warnings;
          progress.changes = outcomeOf({ plan }).planned;
          if (!deps.dryRun) {
            progress.notes = { drift: (doc.drift ?? []).map((c) => note(c)), applied: [], broken: [], planned: doc.changes.map((c) => note(c)) };
            for (const c of doc.changes) log.info({ address: c.address, action: c.action, fields: c.fields.map((f) => f.path) }, `${c.action} ${c.address}`);
            return;
          }
          const { drifted, unknown } = classifyDrift(doc.changes, state);
          for (const c of drifted) log.info({ address: c.address, action: c.action, fields: c.fields.map((f) => f.path) }, `drift: ${c.action} ${c.address}`);
          for (const c of unknown) {
            log.info({ address: c.address, fields: c.fields.map((f) => f.path) }, `unknown: ${c.address}: secret not verifiable: no fingerprint recorded in the state file`);
          }
          progress.drifted = drifted.length;
          progress.unknown = unknown.length;
          progress.notes = { drift: drifted.map((c) => note(c)), applied: [], broken: [], planned: [] };
        },
      });
      const { plan, applied } = reconciled;
      const o = outcomeOf(reconciled);
      if (!applied) return { ...progress, result: 'success', changes: o.planned, applied: 0, failed: 0, notConverged: 0 };
      const { result } = applied;
      const done = new Set(result.applied);
      const failedSet = new Set(result.failed.map((f) => f.address));
      for (const c of plan.document.changes) {
        const failed = failedSet.has(c.address);
        if (failed || done.has(c.address)) deps.metrics.change(c.action, failed ? 'failed' : 'applied');
      }
      progress.notes = { drift: progress.notes?.drift ?? [], planned: progress.notes?.planned ?? [], applied: plan.document.changes.filter((c) => done.has(c.address)).map((c) => note(c)), broken: brokenNotes(plan.document.changes, applied) };
      for (const s of result.skipped) log.warn({ address: s.address }, `skipped: ${s.reason}`);
      if (applied.interrupted) {
        const deadline = signal.reason instanceof DeadlineError ? signal.reason : undefined;
        const error = `${deadline ? deadline.message : 'stopped'}: ${result.interrupted.length} change(s) not carried out`;
        // A stop is the operator's doing; a deadline is a failure, said as one.
        if (deadline && !deps.signal.aborted) log.error({ err: error }, 'reconcile failed');
        return { ...progress, result: 'error', changes: o.planned, applied: result.applied.length, failed: o.failed, notConverged: 0, error };
      }
      return {
        ...progress,
        result: o.broken ? 'error' : 'success',
        changes: o.planned,
        applied: result.applied.length,
        failed: o.failed,
        notConverged: o.notConverged,
        drifted: o.broken,
        error: o.broken ? `${o.failed} failed, ${o.skipped} skipped, ${o.notConverged} did not converge` : undefined,
      };
    } finally {
      release();
    }
  }
}

/** The changes that did not end as planned: failed (with the API's error), skipped (why), or not converged. */
function brokenNotes(changes: readonly Change[], applied: Applied): ChangeNote[] {
  const why = new Map<string, string>();
  for (const f of applied.result.failed) why.set(f.address, f.error);
  for (const s of applied.result.skipped) why.set(s.address, `skipped: ${s.reason}`);
  for (const a of applied.notConverged) if (!why.has(a)) why.set(a, 'did not converge: the app still differs after the apply');
  return changes.filter((c) => why.has(c.address)).map((c) => note(c, why.get(c.address)));
}

function outcomeNote(dryRun: boolean, stopped: boolean, report: RunReport, writes: number): string {
  if (dryRun) return ` (dry run: nothing applied; ${report.drifted ?? 0} drifted, ${report.unknown ?? 0} unknown)`;
  if (stopped) return `; stopped midway: ${report.applied} applied after ${writes} write request${writes === 1 ? '' : 's'}`;
  return `; ${report.applied} applied${report.failed ? `, ${report.failed} failed` : ''}`;
}
