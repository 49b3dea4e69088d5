import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { EmbeddedEmulator } from '../runtime/session.js';
import { UsageError } from '../core/errors.js';
import { withSecretRedaction } from '../runtime/logger.js';
import { type AppOptions, type AppTuning, type RunningApp, startApp } from './app.js';
import { parseDuration } from '../core/duration.js';
import { type ListenAddress, parseListen } from './duration.js';
import { healthSource } from './health.js';
import { DaemonMetrics } from './metrics.js';
import { DaemonNotifications, type DaemonNotifyTarget, type NotifyTuning } from './notifications.js';
import { type HealthServer, startHealthServer } from './server.js';
import type { DaemonStatus } from './status.js';

export type { AppOptions, AppTuning } from './app.js';

/** What every app of one daemon shares: the health server, the notification targets, the stop's grace. */
export interface DaemonTuning extends AppTuning {
  listen?: ListenAddress;
  /** How long a stop waits for the runs in flight. Default 8 s. */
  stopGraceMs?: number;
  /** Notification targets (each app sends to those that name its environment, or name none). */
  notify?: readonly DaemonNotifyTarget[];
  notifyTuning?: NotifyTuning;
}

/** `watch -f FILE`: one app, named `default`, connected by the STREAM_* variables (or the embedded emulator). */
export interface DaemonOptions extends DaemonTuning {
  /** One path, or the layers in order. */
  file: string | readonly string[];
  intervalMs: number | 'auto';
  dryRun: boolean;
  emulator: boolean;
  stateFile?: string;
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

export interface Daemons {
  /** The health server's base URL, with `listen`. */
  url?: string;
  /** Each app's status, by name. */
  apps: ReadonlyMap<string, DaemonStatus>;
  metrics: DaemonMetrics;
  /** No new work; the runs in flight finish (or are abandoned after the grace period); everything is closed. */
  stop(): Promise<void>;
}

export interface Daemon {
  /** The health server's base URL, with `--listen`. */
  url?: string;
  status: DaemonStatus;
  metrics: DaemonMetrics;
  /** No new work; the run in flight finishes (or is abandoned after the grace period); everything is closed. */
  stop(): Promise<void>;
}

/** The name of the one app of `watch -f`: its `app` label and log field. */
export const DEFAULT_APP = 'default';

/**
 * `stream-sync watch -f FILE`, wired: config source, API client, state file and its lock, the reconcile loop, the
 * file watcher and the health server. Reconciles at once, then on every change of the file and every interval.
 */
export async function startDaemon(opts: DaemonOptions, io: DaemonIo): Promise<Daemon> {
  const app: AppOptions = { name: DEFAULT_APP, files: typeof opts.file === 'string' ? [opts.file] : [...opts.file], emulator: opts.emulator, stateFile: opts.stateFile, intervalMs: opts.intervalMs, dryRun: opts.dryRun };
  const daemons = await startApps([app], opts, io, { single: true });
  return { url: daemons.url, status: daemons.apps.get(DEFAULT_APP)!, metrics: daemons.metrics, stop: () => daemons.stop() };
}

/**
 * Several apps in one process (`watch --environments FILE`): each with its own session, config source, watcher,
 * state file and lock, loop and status; one health server, one metrics registry (every app's series labelled
 * `app`), one set of notification targets. One app's failures never stop or delay another's runs.
 */
export function startDaemons(apps: readonly AppOptions[], shared: DaemonTuning, io: DaemonIo): Promise<Daemons> {
  return startApps(apps, shared, io, { single: false });
}

async function startApps(apps: readonly AppOptions[], shared: DaemonTuning, io: DaemonIo, mode: { single: boolean }): Promise<Daemons> {
  if (apps.length === 0) throw new UsageError('watch: no app to reconcile');
  const dup = apps.find((a, i) => apps.findIndex((b) => b.name === a.name) !== i);
  if (dup) throw new UsageError(`watch: the app name "${dup.name}" is given twice`);
  const log = withSecretRedaction(io.logger);
  const stopping = new AbortController();
  const metrics = new DaemonMetrics();
  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'error while stopping'));
  };
  const running: RunningApp[] = [];

  try {
    const notifications = shared.notify?.length ? new DaemonNotifications(shared.notify, { logger: log, tuning: shared.notifyTuning }) : undefined;
    if (notifications) closers.push(() => notifications.close());
    const ctx = { tuning: shared, metrics, logger: log, signal: stopping.signal, env: io.env, cwd: io.cwd, startEmulator: io.startEmulator, notifications };
    // Wired together (a watcher takes a moment to be ready); any that fails to start stops the start (exit 1: its
    // state file or its layers are unusable), after closing the others.
    const started = await Promise.allSettled(apps.map((a) => startApp(a, ctx)));
    for (const r of started) if (r.status === 'fulfilled') running.push(r.value);
    // Each app closes after the loops have stopped (the closers run in reverse).
    for (const a of running) closers.push(() => a.close());
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    let server: HealthServer | undefined;
    if (shared.listen) {
      server = await startHealthServer(shared.listen, healthSource(running, metrics, { single: mode.single, stopping: () => stopping.signal.aborted }));
      closers.push(() => server!.close());
      log.info({ url: server.url, apps: running.length }, `serving /healthz, /readyz and /metrics at ${server.url}`);
    }
    for (const a of running) closers.push(() => a.stopLoop());
    // A run now, with every file (secret files included) read again: after rotating a secret, there is no need to
    // wait for the interval. The loop folds it into a run already queued.
    io.onHangup?.(() => {
      if (stopping.signal.aborted) return;
      log.info('SIGHUP received: reconciling now, re-reading the file and secret files');
      for (const a of running) a.trigger('hangup');
    });
    for (const a of running) a.start();

    return {
      url: server?.url,
      apps: new Map(running.map((a) => [a.name, a.status])),
      metrics,
      async stop() {
        if (stopping.signal.aborted) return;
        for (const a of running) a.status.stopping = true;
        stopping.abort();
        const graceMs = shared.stopGraceMs ?? 8_000;
        const loops = Promise.all(running.map((a) => a.stopLoop())).then(() => true);
        const settled = await Promise.race([loops, new Promise<false>((r) => setTimeout(r, graceMs, false).unref())]);
        if (!settled) log.warn({ grace_ms: graceMs }, 'a run in flight did not end in time: abandoning it (the next start reconciles again)');
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

export interface WatchFlags {
  /** `-f`: one path, or the layers in order (`-f` repeated). */
  file: string | string[];
  interval: string;
  dryRun?: boolean;
  listen?: string;
  poll?: boolean;
  emulator?: boolean;
  stateFile?: string;
  concurrency: number;
  target: string[];
  readyFailures?: number;
  rateShare?: number;
  /** `--deadline` of each run, in ms. */
  deadline?: number;
}

/** `stream-sync watch -f …` until `signal` aborts (SIGTERM, SIGINT): 0 after a clean stop. Bad flags throw (exit 1). */
export async function runWatch(flags: WatchFlags, io: DaemonIo & { signal: AbortSignal }): Promise<number> {
  const files = typeof flags.file === 'string' ? [flags.file] : flags.file;
  if (files.length === 0) throw new UsageError('watch: pass -f PATH (repeat it for layers), or --env NAME');
  // A typo in -f is a usage error; a file that exists but is invalid is reported and waited on.
  for (const f of files) if (!existsSync(f)) throw new UsageError(`${f}: no such file or directory`);
  const daemon = await startDaemon(
    {
      file: files.length === 1 ? files[0]! : files,
      intervalMs: intervalOf('--interval', flags.interval),
      dryRun: Boolean(flags.dryRun),
      listen: flags.listen === undefined ? undefined : parseListen(flags.listen),
      poll: Boolean(flags.poll),
      emulator: Boolean(flags.emulator),
      stateFile: flags.stateFile,
      concurrency: flags.concurrency,
      targets: flags.target,
      readyFailureThreshold: flags.readyFailures,
      rateShare: flags.rateShare,
      runDeadlineMs: flags.deadline,
    },
    io,
  );
  await runUntilAborted(daemon, io);
  return 0;
}

/** A resync period: a duration of at least 1 s, or `auto` (the shortest that keeps the daemon under its share). */
export function intervalOf(what: string, text: string): number | 'auto' {
  if (text.trim() === 'auto') return 'auto';
  const ms = parseDuration(what, text);
  if (ms < 1000) throw new UsageError(`${what} must be at least 1s`);
  return ms;
}

/** Until `signal` aborts; then a clean stop. */
export async function runUntilAborted(daemon: { stop(): Promise<void> }, io: { logger: Logger; signal: AbortSignal }): Promise<void> {
  if (!io.signal.aborted) await new Promise((resolve) => io.signal.addEventListener('abort', resolve, { once: true }));
  io.logger.info('stopping: no new work; waiting for the request in flight');
  await daemon.stop();
  io.logger.info('stopped');
}
