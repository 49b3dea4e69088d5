import type { Logger } from 'pino';
import { createNotifier, type Notifier, type NotifyEvent, type NotifyEventKind, type NotifyTarget } from '../runtime/notify.js';
import type { ChangeNote, RunRecord } from './reconcile.js';

/** A target as the environments file declares it: `environments` (default: all) says whose events go there. */
export interface DaemonNotifyTarget extends NotifyTarget {
  environments?: string[];
}

/** Delivery tuning (tests shorten it): see `createNotifier`. */
export interface NotifyTuning {
  timeoutMs?: number;
  attempts?: number;
  minBackoffMs?: number;
}

/** What a run says to the people watching, before the environment, app and time are added. */
export type RunEvent = Pick<NotifyEvent, 'kind' | 'summary' | 'changes' | 'reconcile_id'>;

const KINDS: NotifyEventKind[] = ['drift_found', 'apply_failed', 'applied_after_drift', 'guard_refused'];
const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
const plain = (c: ChangeNote) => ({ address: c.address, action: c.action, fields: c.fields });

/**
 * A failed change's error as a notification carries it: an API error is cut to its operation, status and Stream
 * code, since what follows is Stream's text, which may quote the request back (values from the file); the whole
 * message is in the run's log lines, under the event's reconcile_id. Our own reasons (skipped, not converged) stay.
 */
export function briefError(error: string | undefined): string | undefined {
  if (error === undefined) return undefined;
  const api = /^\w+: HTTP \d{3}(?: \(Stream code -?\d+\))?/.exec(error);
  if (api) return `${api[0]} (details in the log)`;
  return error.length > 200 ? `${error.slice(0, 199)}…` : error;
}

/**
 * The events a run raises. `lastSuccessHash`: the digest of the configuration the app's previous successful run
 * worked from; a run that applies changes while the configuration is still that one corrected drift made outside
 * it (the dashboard, another tool), which is worth saying. Drift left alone (a dry run, or `policy.report_only`) is
 * found drift. A stopped run and an invalid file raise nothing (the latter is the author's to fix, and logged).
 * Unknown secrets (no fingerprint) are never drift.
 */
export function eventsOf(run: RunRecord, lastSuccessHash: string | undefined): RunEvent[] {
  const id = { reconcile_id: run.reconcile_id };
  if (run.result === 'refused') {
    return [{ kind: 'guard_refused', summary: `refused, nothing was applied: ${run.error ?? 'a guard refused the run'}`, changes: run.planned.map(plain), ...id }];
  }
  if (run.result === 'error') {
    const summary = run.broken.length ? `${n(run.broken.length, 'change')} failed or did not converge${run.dryRun ? '' : `; ${n(run.applied.length, 'change')} applied`}` : `the reconcile failed: ${run.error ?? 'unknown error'}`;
    return [{ kind: 'apply_failed', summary, changes: run.broken.map((c) => ({ ...plain(c), ...(c.error === undefined ? {} : { error: briefError(c.error) }) })), ...id }];
  }
  if (run.result !== 'success') return [];
  const events: RunEvent[] = [];
  if (run.drift.length) {
    const differ = `${n(run.drift.length, 'object')} differ${run.drift.length === 1 ? 's' : ''} from the configuration`;
    const why = run.dryRun ? 'dry run: nothing applied' : 'changed in the app, reported and not corrected: policy.report_only';
    events.push({ kind: 'drift_found', summary: `${differ} (${why})`, changes: run.drift.map(plain), ...id });
  }
  if (!run.dryRun && run.applied.length && lastSuccessHash !== undefined && run.desiredHash === lastSuccessHash) {
    events.push({ kind: 'applied_after_drift', summary: `${n(run.applied.length, 'change')} applied to undo changes made outside the configuration (the configuration had not changed since the last successful run)`, changes: run.applied.map(plain), ...id });
  }
  return events;
}

/**
 * The daemon's notifications: one notifier per target (each with its own connection pool and memory of what it
 * sent), each app talking to the targets that name its environment (or name none). Nothing here is awaited by a
 * run: delivery, its retries and a dead endpoint never delay a reconcile.
 */
export class DaemonNotifications {
  readonly #targets: { target: DaemonNotifyTarget; notifier: Notifier }[];
  readonly #secrets = new Set<() => readonly string[]>();

  constructor(targets: readonly DaemonNotifyTarget[], opts: { logger: Logger; tuning?: NotifyTuning }) {
    const secrets = () => [...this.#secrets].flatMap((f) => f());
    this.#targets = targets.map((target) => ({
      target,
      notifier: createNotifier({ targets: [target], logger: opts.logger, ...opts.tuning, secrets }),
    }));
  }

  /**
   * What an app's runs are reported to, or undefined when no target wants its events. `secrets`: values never to
   * leave in a payload (its API secret, the secrets of its configuration in force).
   */
  forApp(app: { name: string; api_key: string; base_url: string; logger: Logger; secrets(): readonly string[] }): ((run: RunRecord) => void) | undefined {
    const notifiers = this.#targets.filter((t) => !t.target.environments || t.target.environments.includes(app.name)).map((t) => t.notifier);
    if (notifiers.length === 0) return undefined;
    this.#secrets.add(app.secrets);
    let lastSuccessHash: string | undefined;
    return (run) => {
      const events = eventsOf(run, lastSuccessHash);
      for (const e of events) {
        // The app's name as the configuration expects it, once the run got past the guard: the name Stream reports.
        const name = run.result === 'success' || run.broken.length ? run.expectName : undefined;
        const event: NotifyEvent = { ...e, environment: app.name, app: { api_key: app.api_key, base_url: app.base_url, ...(name ? { name } : {}) }, at: new Date().toISOString() };
        app.logger.debug({ kind: e.kind, reconcile_id: run.reconcile_id }, `notifying: ${e.kind}`);
        for (const notifier of notifiers) void notifier.notify(event);
      }
      if (run.result === 'success') {
        // The situations this run did not report are over: the next time they arise, they are news again.
        for (const kind of KINDS) if (!events.some((e) => e.kind === kind)) for (const notifier of notifiers) notifier.clear(app.name, kind);
        lastSuccessHash = run.desiredHash;
      }
    };
  }

  /** No new deliveries; the attempts in flight end (retries are cut short). */
  async close(): Promise<void> {
    await Promise.all(this.#targets.map((t) => t.notifier.close()));
  }
}
