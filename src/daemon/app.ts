import type { Logger } from 'pino';
import { formatDuration } from '../core/duration.js';
import type { ApiClient, ClientStats } from '../live/client.js';
import { sensitiveValues } from '../core/secrets.js';
import { secretFieldsOf } from '../kinds/registry.js';
import type { Connection } from '../runtime/connection.js';
import { StateLock } from '../runtime/lock.js';
import { type EmbeddedEmulator, openSession } from '../runtime/session.js';
import { abortableSleep, stoppableApi } from '../runtime/stopping.js';
import { ReconcileLoop, type Trigger } from './loop.js';
import type { AppMetrics, DaemonMetrics } from './metrics.js';
import { autoInterval, MIN_AUTO_INTERVAL_MS } from './pace.js';
import type { DaemonNotifications } from './notifications.js';
import { createReconciler } from './reconcile.js';
import { ConfigSource } from './source.js';
import { type DaemonStatus, initialStatus } from './status.js';
import { watchConfig } from './watcher.js';

/** One app the daemon reconciles: its files, its connection, its state file, its pace. */
export interface AppOptions {
  /** The environment's name (`default` for `watch -f`): the `app` label of its metrics and log lines. */
  name: string;
  /** The layers, in order (one for `-f PATH`). */
  files: string[];
  /** An environment's `variables`: `${env:NAME}` values for its files, before the process's environment. */
  variables?: Record<string, string>;
  /** The app's own connection (an environment's); without it, the STREAM_* variables (or the embedded emulator). */
  connection?: Connection;
  /** `--emulator`: the embedded emulator (the single-app `-f` case only). */
  emulator?: boolean;
  /** Default: `.stream-sync/state.json` beside the last layer (as `apply -f … -f …` keeps it). */
  stateFile?: string;
  /** The resync period, or `auto`: the shortest that keeps the daemon under its share of every endpoint. */
  intervalMs: number | 'auto';
  dryRun: boolean;
}

/** What every app of a daemon shares: the CLI leaves most at their defaults; tests shorten them. */
export interface AppTuning {
  poll: boolean;
  concurrency: number;
  targets: readonly string[];
  debounceMs?: number;
  pollIntervalMs?: number;
  minBackoffMs?: number;
  lockStaleMs?: number;
  lockRetryMs?: number;
  /** Per request attempt; short enough that a stop waiting for the request in flight ends within 10 s. Default 7 s. */
  requestTimeoutMs?: number;
  /** The API client's retry back-off and longest rate-limit wait (its defaults: 200 ms to 30 s). */
  clientBackoffMs?: { min: number; max: number };
  /** The API client's clock (token expiry, pacing); tests move it to age a token without waiting. */
  clientNow?: () => number;
  /** `/readyz` answers 503 once this many runs in a row have failed since the last success. Default 3. */
  readyFailureThreshold?: number;
  /** `--rate-share`: wins over each file's `policy.rate_share`. */
  rateShare?: number;
  /** `--deadline`: a run still going after this long is stopped. */
  runDeadlineMs?: number;
}

export interface AppContext {
  tuning: AppTuning;
  metrics: DaemonMetrics;
  /** The daemon's logger (secrets redacted); the app's lines carry `app: <name>` on top. */
  logger: Logger;
  /** Aborted when the daemon stops: no new request starts, waits end. */
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  startEmulator(): Promise<EmbeddedEmulator>;
  notifications?: DaemonNotifications;
}

export interface RunningApp {
  name: string;
  dryRun: boolean;
  status: DaemonStatus;
  source: ConfigSource;
  /** Queues a run (folded into one already queued). */
  trigger(reason: Trigger): void;
  /** The first run: once every app is wired and the health server is up. */
  start(): void;
  /** No new run; resolves when the run in flight has ended. */
  stopLoop(): Promise<void>;
  /** Closes the watcher, the client and the embedded emulator (after `stopLoop`). */
  close(): Promise<void>;
}

/**
 * One app, wired: its own session (client, connection pool, state file), config source, file watcher, state-file
 * lock, reconcile loop and status. Nothing of it is shared with another app but the metrics registry, the logger
 * and the stop signal, so one app's failures (a wrong secret, an unreachable host, a lock held elsewhere) never stop
 * or delay another's runs.
 */
export async function startApp(app: AppOptions, ctx: AppContext): Promise<RunningApp> {
  const { tuning } = ctx;
  const log = ctx.logger.child({ app: app.name });
  const metrics = ctx.metrics.forApp(app.name);
  const status = initialStatus(tuning.readyFailureThreshold);
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'error while stopping'));
  };

  try {
    let runLog = log;
    // The current run's stop signal (the daemon's, or the run's deadline): pacing and back-off waits end with it.
    let runSignal = ctx.signal;
    const session = await openSession({
      configPath: app.files[app.files.length - 1]!,
      connection: app.connection,
      stateFile: app.stateFile,
      concurrency: tuning.concurrency,
      emulator: Boolean(app.emulator),
      env: ctx.env,
      logger: log,
      startEmulator: ctx.startEmulator,
      statePerRun: true,
      checkState: app.dryRun ? 'read' : 'write',
      client: {
        timeoutMs: tuning.requestTimeoutMs ?? 7_000,
        minBackoffMs: tuning.clientBackoffMs?.min,
        maxBackoffMs: tuning.clientBackoffMs?.max,
        now: tuning.clientNow,
        // Per-request lines at debug, waits over 2 s at warn: on the current run's logger, with its reconcile_id.
        logger: { debug: ((obj: object, msg?: string) => runLog.debug(obj, msg)) as Logger['debug'], warn: ((obj: object, msg?: string) => runLog.warn(obj, msg)) as Logger['warn'] },
        onRequest: metrics.onRequest,
        // Back-off and pacing waits end when the daemon stops (no new attempt starts after SIGTERM) or the run's deadline passes.
        sleep: (ms) => abortableSleep(ms, runSignal),
        rateShare: tuning.rateShare,
      },
    });
    closers.push(() => session.close());
    const { conn, client, statePath } = session;
    if (statePath && app.dryRun && !session.stateExists) {
      log.info({ state_file: statePath }, 'no state file yet: secrets are reported unknown, not drift, until the writer (apply, or watch without --dry-run) records them there');
    }
    if (session.emulator) log.info({ base_url: conn.baseUrl, api_key: conn.apiKey }, 'embedded emulator started: the state file stays in memory');

    const source = new ConfigSource(app.files, { env: app.variables ? { ...ctx.env, ...app.variables } : ctx.env, cwd: ctx.cwd });
    const onRun = ctx.notifications?.forApp({
      name: app.name,
      api_key: conn.apiKey,
      base_url: conn.baseUrl,
      logger: log,
      secrets: () => [conn.apiSecret, ...(source.lastGood ? sensitiveValues(source.lastGood.objects.values(), secretFieldsOf) : [])],
    });
    const reconcile = createReconciler({
      source,
      api: stoppableApi(client, ctx.signal),
      client,
      target: { base_url: conn.baseUrl, api_key: conn.apiKey },
      concurrency: tuning.concurrency,
      targets: tuning.targets,
      dryRun: app.dryRun,
      openState: session.openState,
      lock: statePath && !app.dryRun ? new StateLock(statePath, { staleMs: tuning.lockStaleMs, retryMs: tuning.lockRetryMs }) : undefined,
      signal: ctx.signal,
      rateShare: tuning.rateShare,
      deadlineMs: tuning.runDeadlineMs,
      useRunSignal: (s) => {
        runSignal = s;
      },
      metrics,
      status,
      logger: log,
      useRunLogger: (l) => {
        runLog = l;
      },
      onRun,
    });
    metrics.watchBudget(client);
    const pace = pacing(app.intervalMs, client, metrics, log);
    const loop = new ReconcileLoop({
      run: (triggers) => pace.around(() => reconcile(triggers)),
      intervalMs: pace.intervalMs,
      minBackoffMs: Math.min(tuning.minBackoffMs ?? 1000, pace.intervalMs()),
      onScheduled: (trigger, ms) => log.debug({ trigger, in_ms: ms }, trigger === 'retry' ? 'retrying after back-off' : 'next resync scheduled'),
    });

    // The watcher is in place before the first run, so an edit made during it is not missed.
    const watcher = await watchConfig({
      paths: app.files,
      poll: tuning.poll,
      pollIntervalMs: tuning.pollIntervalMs,
      debounceMs: tuning.debounceMs,
      onChange: () => {
        log.info({ files: app.files }, 'the desired state changed');
        loop.trigger('file');
      },
      onError: (err) => log.warn({ err: err.message }, 'file watcher error (the interval resync still reads the file)'),
    });
    closers.push(() => watcher.close());
    closers.push(() => loop.stop());

    return {
      name: app.name,
      dryRun: app.dryRun,
      status,
      source,
      trigger: (reason) => loop.trigger(reason),
      start() {
        const file = app.files.length === 1 ? { file: app.files[0] } : { files: app.files };
        log.info({ ...file, ...(app.intervalMs === 'auto' ? { interval: 'auto' } : { interval_ms: app.intervalMs }), dry_run: app.dryRun, poll: tuning.poll, state_file: statePath ?? '(memory)', target: conn.baseUrl }, 'watching');
        loop.trigger('startup');
      },
      stopLoop: () => loop.stop(),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The resync period of one app: fixed, or (`--interval auto`) worked out after each run from what it sent and the
 * daemon's allowance for each endpoint, said in the log and the `stream_sync_resync_interval_seconds` gauge.
 */
function pacing(interval: number | 'auto', client: ApiClient, metrics: AppMetrics, log: Logger) {
  let ms = interval === 'auto' ? MIN_AUTO_INTERVAL_MS : interval;
  metrics.interval(ms / 1000);
  return {
    intervalMs: () => ms,
    async around<T>(run: () => Promise<T>): Promise<T> {
      const before = client.stats().requests;
      const started = Date.now();
      try {
        return await run();
      } finally {
        if (interval === 'auto') {
          const sent = requestsSince(before, client.stats().requests);
          const next = autoInterval(sent, (op) => client.allowance(op), Date.now() - started);
          ms = next.ms;
          metrics.interval(ms / 1000);
          const b = next.bound;
          log.info(
            { interval_ms: ms, ...(b ? { bound_by: b.op, requests: b.requests, allowance_per_window: b.allowance } : {}) },
            b
              ? `--interval auto: next run in ${formatDuration(ms)} (${b.requests} ${b.op} requests take ${formatDuration(b.ms)} at ${b.allowance} a minute, the daemon's allowance${ms === MIN_AUTO_INTERVAL_MS ? '; the last run took about that long already' : ''})`
              : `--interval auto: next run in ${formatDuration(ms)} (the shortest auto interval: no endpoint's limit is known yet)`,
          );
        }
      }
    },
  };
}

/** Requests (every attempt) per operation between two `stats().requests` snapshots. */
function requestsSince(before: ClientStats['requests'], after: ClientStats['requests']): Record<string, number> {
  const total = (byStatus: Record<string, number> | undefined) => Object.values(byStatus ?? {}).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(after).map(([op, byStatus]) => [op, total(byStatus) - total(before[op])]));
}
