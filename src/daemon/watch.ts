import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { type EmbeddedEmulator, openSession } from '../runtime/session.js';
import { UsageError } from '../core/errors.js';
import { type ListenAddress, parseDuration, parseListen } from './duration.js';
import { StateLock } from '../runtime/lock.js';
import { ReconcileLoop } from './loop.js';
import { DaemonMetrics } from './metrics.js';
import { createReconciler } from './reconcile.js';
import { type DaemonStatus, initialStatus } from './status.js';
import { withSecretRedaction } from '../runtime/logger.js';
import { type HealthServer, type HealthSource, startHealthServer } from './server.js';
import { ConfigSource } from './source.js';
import { abortableSleep, stoppableApi } from '../runtime/stopping.js';
import { type ConfigWatcher, watchConfig } from './watcher.js';

export interface DaemonOptions {
  file: string;
  intervalMs: number;
  dryRun: boolean;
  listen?: ListenAddress;
  poll: boolean;
  emulator: boolean;
  stateFile?: string;
  concurrency: number;
  targets: readonly string[];
  /** Tuning the CLI leaves at its defaults; tests shorten them. */
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
  /** How long a stop waits for the run in flight. Default 8 s. */
  stopGraceMs?: number;
  /** `/readyz` answers 503 once this many runs in a row have failed since the last success. Default 3. */
  readyFailureThreshold?: number;
}

export interface DaemonIo {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** `--emulator`: the CLI's embedded emulator (the reconciler never imports the emulator itself). */
  startEmulator(): Promise<EmbeddedEmulator>;
  cwd?: string;
  /** Registers what SIGHUP does (the CLI wires the process's signal; tests call the listener directly). */
  onHangup?(listener: () => void): void;
}

export interface Daemon {
  /** The health server's base URL, with `--listen`. */
  url?: string;
  status: DaemonStatus;
  metrics: DaemonMetrics;
  /** No new work; the run in flight finishes (or is abandoned after the grace period); everything is closed. */
  stop(): Promise<void>;
}

/**
 * `stream-sync watch`, wired: config source, API client, state file and its lock, the reconcile loop, the file
 * watcher and the health server. Reconciles at once, then on every change of the file and every interval.
 */
export async function startDaemon(opts: DaemonOptions, io: DaemonIo): Promise<Daemon> {
  const log = withSecretRedaction(io.logger);
  const stopping = new AbortController();
  const metrics = new DaemonMetrics();
  const status: DaemonStatus = initialStatus(opts.readyFailureThreshold);
  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'error while stopping'));
  };

  try {
    let runLog = log;
    const session = await openSession({
      configPath: opts.file,
      stateFile: opts.stateFile,
      concurrency: opts.concurrency,
      emulator: opts.emulator,
      env: io.env,
      logger: log,
      startEmulator: io.startEmulator,
      statePerRun: true,
      checkState: opts.dryRun ? 'read' : 'write',
      client: {
        timeoutMs: opts.requestTimeoutMs ?? 7_000,
        minBackoffMs: opts.clientBackoffMs?.min,
        maxBackoffMs: opts.clientBackoffMs?.max,
        now: opts.clientNow,
        // Per-request lines at debug, waits over 2 s at warn: on the current run's logger, with its reconcile_id.
        logger: { debug: ((obj: object, msg?: string) => runLog.debug(obj, msg)) as Logger['debug'], warn: ((obj: object, msg?: string) => runLog.warn(obj, msg)) as Logger['warn'] },
        onRequest: metrics.onRequest,
        // Back-off and pacing waits end when the daemon stops: no new attempt starts after SIGTERM.
        sleep: (ms) => abortableSleep(ms, stopping.signal),
      },
    });
    closers.push(() => session.close());
    const { conn, client, statePath } = session;
    if (statePath && opts.dryRun && !session.stateExists) {
      log.info({ state_file: statePath }, 'no state file yet: secrets are reported unknown, not drift, until the writer (apply, or watch without --dry-run) records them there');
    }
    if (session.emulator) log.info({ base_url: conn.baseUrl, api_key: conn.apiKey }, 'embedded emulator started: the state file stays in memory');

    const source = new ConfigSource(opts.file, { env: io.env, cwd: io.cwd });
    const reconcile = createReconciler({
      source,
      api: stoppableApi(client, stopping.signal),
      client,
      target: { base_url: conn.baseUrl, api_key: conn.apiKey },
      concurrency: opts.concurrency,
      targets: opts.targets,
      dryRun: opts.dryRun,
      openState: session.openState,
      lock: statePath && !opts.dryRun ? new StateLock(statePath, { staleMs: opts.lockStaleMs, retryMs: opts.lockRetryMs }) : undefined,
      signal: stopping.signal,
      metrics,
      status,
      logger: log,
      useRunLogger: (l) => {
        runLog = l;
      },
    });
    const loop = new ReconcileLoop({
      run: reconcile,
      intervalMs: opts.intervalMs,
      minBackoffMs: Math.min(opts.minBackoffMs ?? 1000, opts.intervalMs),
      onScheduled: (trigger, ms) => log.debug({ trigger, in_ms: ms }, trigger === 'retry' ? 'retrying after back-off' : 'next resync scheduled'),
    });

    let server: HealthServer | undefined;
    if (opts.listen) {
      server = await startHealthServer(opts.listen, healthSource(status, source, metrics, opts.dryRun));
      closers.push(() => server!.close());
      log.info({ url: server.url }, `serving /healthz, /readyz and /metrics at ${server.url}`);
    }

    // The watcher is in place before the first run, so an edit made during it is not missed.
    const watcher: ConfigWatcher = await watchConfig({
      path: opts.file,
      poll: opts.poll,
      pollIntervalMs: opts.pollIntervalMs,
      debounceMs: opts.debounceMs,
      onChange: () => {
        log.info({ file: opts.file }, 'the desired state changed');
        loop.trigger('file');
      },
      onError: (err) => log.warn({ err: err.message }, 'file watcher error (the interval resync still reads the file)'),
    });
    closers.push(() => watcher.close());
    closers.push(() => loop.stop());
    // A run now, with every file (secret files included) read again: after rotating a secret, there is no need to
    // wait for the interval. The loop folds it into a run already queued.
    io.onHangup?.(() => {
      if (status.stopping) return;
      log.info('SIGHUP received: reconciling now, re-reading the file and secret files');
      loop.trigger('hangup');
    });

    log.info({ file: opts.file, interval_ms: opts.intervalMs, dry_run: opts.dryRun, poll: opts.poll, state_file: statePath ?? '(memory)', target: conn.baseUrl }, 'watching');
    loop.trigger('startup');

    return {
      url: server?.url,
      status,
      metrics,
      async stop() {
        if (status.stopping) return;
        status.stopping = true;
        stopping.abort();
        const graceMs = opts.stopGraceMs ?? 8_000;
        const settled = await Promise.race([loop.stop().then(() => true), new Promise<false>((r) => setTimeout(r, graceMs, false).unref())]);
        if (!settled) log.warn({ grace_ms: graceMs }, 'the run in flight did not end in time: abandoning it (the next start reconciles again)');
        // Close the rest without waiting on a request that would not end.
        await Promise.race([closeAll(), new Promise((r) => setTimeout(r, settled ? 2_000 : 200).unref())]);
      },
    };
  } catch (err) {
    stopping.abort();
    await closeAll();
    throw err;
  }
}

function healthSource(status: DaemonStatus, source: ConfigSource, metrics: DaemonMetrics, dryRun: boolean): HealthSource {
  return {
    health: () => ({ ok: !status.stopping, detail: { status: status.stopping ? 'stopping' : 'ok' } }),
    readiness: () => {
      const problem = source.problem;
      const ready = status.ready && !status.stopping;
      return {
        ok: ready,
        detail: {
          ready,
          dry_run: dryRun,
          consecutive_failures: status.consecutiveFailures,
          ready_failure_threshold: status.readyFailureThreshold,
          last_success_at: status.lastSuccessAt ? new Date(status.lastSuccessAt).toISOString() : null,
          last_run: status.lastRun ?? null,
          config: problem ? { valid: false, in_force: source.lastGood ? 'last valid configuration' : 'none', error: problem.message, since: new Date(problem.since).toISOString() } : { valid: true },
        },
      };
    },
    metrics: async () => ({ contentType: metrics.contentType, text: await metrics.text() }),
  };
}

export interface WatchFlags {
  file: string;
  interval: string;
  dryRun?: boolean;
  listen?: string;
  poll?: boolean;
  emulator?: boolean;
  stateFile?: string;
  concurrency: number;
  target: string[];
  readyFailures?: number;
}

/** `stream-sync watch` until `signal` aborts (SIGTERM, SIGINT): 0 after a clean stop. Bad flags throw (exit 1). */
export async function runWatch(flags: WatchFlags, io: DaemonIo & { signal: AbortSignal }): Promise<number> {
  // A typo in -f is a usage error; a file that exists but is invalid is reported and waited on.
  if (!existsSync(flags.file)) throw new UsageError(`${flags.file}: no such file or directory`);
  const intervalMs = parseDuration('--interval', flags.interval);
  if (intervalMs < 1000) throw new UsageError('--interval must be at least 1s');
  const daemon = await startDaemon(
    {
      file: flags.file,
      intervalMs,
      dryRun: Boolean(flags.dryRun),
      listen: flags.listen === undefined ? undefined : parseListen(flags.listen),
      poll: Boolean(flags.poll),
      emulator: Boolean(flags.emulator),
      stateFile: flags.stateFile,
      concurrency: flags.concurrency,
      targets: flags.target,
      readyFailureThreshold: flags.readyFailures,
    },
    io,
  );
  if (!io.signal.aborted) await new Promise((resolve) => io.signal.addEventListener('abort', resolve, { once: true }));
  io.logger.info('stopping: no new work; waiting for the request in flight');
  await daemon.stop();
  io.logger.info('stopped');
  return 0;
}
