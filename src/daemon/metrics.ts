import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WindowUsage } from '../live/budget.js';
import type { RequestEvent } from '../live/client.js';
import { VERSION } from '../core/version.js';

/** How a run ended, as `stream_sync_reconcile_total{result}` counts it. */
export type RunResult = 'success' | 'error' | 'invalid_config' | 'refused';

/**
 * The daemon's Prometheus metrics, on a registry of its own (never prom-client's global one, so two daemons in
 * one test process do not share counters). Every name starts with `stream_sync_`, the process metrics included.
 * One registry serves every app of the daemon: each app's series carry its `app` label (`forApp`), the process's
 * own (`build_info`, `process_*`, `nodejs_*`) do not.
 */
export class DaemonMetrics {
  readonly registry = new Registry();

  readonly reconciles = new Counter({
    name: 'stream_sync_reconcile_total',
    help: 'Reconcile runs, by app and result: success, error (retried with back-off), invalid_config (the file is invalid and no valid one was ever loaded), refused (a guard refused: expect_name, max_deletes, references).',
    labelNames: ['app', 'result'],
    registers: [this.registry],
  });

  readonly duration = new Histogram({
    name: 'stream_sync_reconcile_duration_seconds',
    help: 'Duration of reconcile runs, by app: read the file, read the app, plan, apply, read back.',
    labelNames: ['app'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });

  readonly drifted = new Gauge({
    name: 'stream_sync_drifted_objects',
    help: 'Objects that differ from the configuration in force after the last run of the app: with --dry-run every drifted object (not the unknown ones), otherwise those that failed or did not converge.',
    labelNames: ['app'],
    registers: [this.registry],
  });

  readonly unknown = new Gauge({
    name: 'stream_sync_unknown_objects',
    help: 'With --dry-run: objects whose only possible difference is a secret (write-only value) with no fingerprint in the state file, so whether the app holds the declared value cannot be verified (apply records one). Not drift; 0 without --dry-run.',
    labelNames: ['app'],
    registers: [this.registry],
  });

  readonly changes = new Counter({
    name: 'stream_sync_changes_total',
    help: 'Changes applied or failed, by app, action (create, update, delete) and result (applied, failed).',
    labelNames: ['app', 'action', 'result'],
    registers: [this.registry],
  });

  readonly apiRequests = new Counter({
    name: 'stream_sync_api_requests_total',
    help: 'Stream API requests (every attempt, retries included), by app, operation id and HTTP status ("error" when no answer arrived).',
    labelNames: ['app', 'operation', 'status'],
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'stream_sync_api_rate_limited_total',
    help: 'Stream API answers with status 429 (rate limited), by app and operation id.',
    labelNames: ['app', 'operation'],
    registers: [this.registry],
  });

  readonly lastSuccess = new Gauge({
    name: 'stream_sync_last_success_timestamp_seconds',
    help: 'Unix time of the last successful reconcile of the app (0 before the first one).',
    labelNames: ['app'],
    registers: [this.registry],
  });

  readonly configValid = new Gauge({
    name: 'stream_sync_config_valid',
    help: "1 when the app's desired-state files are valid and in force, 0 while they are invalid (the last valid configuration stays in force).",
    labelNames: ['app'],
    registers: [this.registry],
  });

  readonly resyncInterval = new Gauge({
    name: 'stream_sync_resync_interval_seconds',
    help: 'The resync period of the app: --interval, or with --interval auto the one chosen after the last run (the shortest that keeps the daemon under its share of every endpoint).',
    labelNames: ['app'],
    registers: [this.registry],
  });

  /** Per app, its client: its share and each endpoint's last complete rate-limit window (read at each scrape). */
  readonly #budgets = new Map<string, BudgetSource>();

  readonly rateShare = new Gauge({
    name: 'stream_sync_rate_share_ratio',
    help: "The share of each Stream endpoint's rate-limit window the daemon may use for the app (--rate-share, policy.rate_share): 0.5 is half.",
    labelNames: ['app'],
    registers: [this.registry],
    collect: () => {
      for (const [app, source] of this.#budgets) this.rateShare.set({ app }, source.rateShare / 100);
    },
  });

  readonly windowUse = new Gauge({
    name: 'stream_sync_rate_window_used_ratio',
    help: "Of each Stream endpoint's per-minute rate limit, the part used in the last complete window, by app, operation and client: stream_sync (this daemon) or others (the app's other server-side clients, as the rate-limit headers showed; a lower bound).",
    labelNames: ['app', 'operation', 'client'],
    registers: [this.registry],
    collect: () => this.#collectWindows(),
  });

  constructor() {
    new Gauge({ name: 'stream_sync_build_info', help: 'Always 1; the version label is the running stream-sync.', labelNames: ['version'], registers: [this.registry] }).set({ version: VERSION }, 1);
    // The event-loop-lag histogram samples on a timer: prom-client's default of every 10 ms wakes an idle daemon a
    // hundred times a second (about 1 % of a core); every 100 ms still measures any lag a scrape could show.
    collectDefaultMetrics({ register: this.registry, prefix: 'stream_sync_', eventLoopMonitoringPrecision: 100 });
  }

  /** One app's view: every series it sets carries `app="<name>"`. */
  forApp(app: string): AppMetrics {
    return new AppMetrics(this, app);
  }

  /** Reads `source` at each scrape for `app`'s rate-limit windows and share. */
  watchBudget(app: string, source: BudgetSource): void {
    this.#budgets.set(app, source);
  }

  #collectWindows(): void {
    this.windowUse.reset();
    for (const [app, source] of this.#budgets) {
      for (const w of source.lastWindows()) {
        this.windowUse.set({ app, operation: w.op, client: 'stream_sync' }, w.own / w.limit);
        this.windowUse.set({ app, operation: w.op, client: 'others' }, w.others / w.limit);
      }
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

type Action = 'create' | 'update' | 'delete';

/** What an app's API client says of its rate budget. */
export interface BudgetSource {
  readonly rateShare: number;
  lastWindows(): WindowUsage[];
}

/** The series of one app, labelled with its name. What a run records goes through here. */
export class AppMetrics {
  constructor(
    readonly daemon: DaemonMetrics,
    readonly app: string,
  ) {
    daemon.lastSuccess.set({ app }, 0);
    for (const result of ['success', 'error', 'invalid_config', 'refused'] satisfies RunResult[]) daemon.reconciles.inc({ app, result }, 0);
  }

  reconciled(result: RunResult, seconds: number): void {
    this.daemon.reconciles.inc({ app: this.app, result });
    this.daemon.duration.observe({ app: this.app }, seconds);
  }

  drifted(n: number): void {
    this.daemon.drifted.set({ app: this.app }, n);
  }

  unknown(n: number): void {
    this.daemon.unknown.set({ app: this.app }, n);
  }

  change(action: Action, result: 'applied' | 'failed'): void {
    this.daemon.changes.inc({ app: this.app, action, result });
  }

  succeeded(unixSeconds: number): void {
    this.daemon.lastSuccess.set({ app: this.app }, unixSeconds);
  }

  /** The app's client: its share and each endpoint's last window, read at each scrape. */
  watchBudget(source: BudgetSource): void {
    this.daemon.watchBudget(this.app, source);
  }

  interval(seconds: number): void {
    this.daemon.resyncInterval.set({ app: this.app }, seconds);
  }

  configValid(valid: boolean): void {
    this.daemon.configValid.set({ app: this.app }, valid ? 1 : 0);
  }

  /** The app's API client's `onRequest` hook. */
  readonly onRequest = (e: RequestEvent): void => {
    this.daemon.apiRequests.inc({ app: this.app, operation: e.op, status: String(e.status) });
    if (e.status === 429) this.daemon.rateLimited.inc({ app: this.app, operation: e.op });
  };
}
