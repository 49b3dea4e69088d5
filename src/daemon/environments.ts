import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { UsageError } from '../core/errors.js';
import { loadEnvironments } from '../desired/environments.js';
import { connectionOf } from '../runtime/connection.js';
import { parseListen } from './duration.js';
import type { NotifyTuning } from './notifications.js';
import { type AppOptions, type DaemonIo, intervalOf, runUntilAborted, startDaemons } from './watch.js';

export interface WatchEnvironmentsOptions {
  /** `--environments FILE`. */
  environmentsFile: string;
  /** `--env NAME`, repeated; empty: every environment of the file. */
  names: readonly string[];
  listen?: string;
  poll?: boolean;
  concurrency: number;
  /** `--target ADDRESS`, for every app. */
  targets: readonly string[];
  readyFailures?: number;
  /** `--interval`: the period of an environment that sets none (a duration, or `auto`). Default 5m. */
  interval?: string;
  rateShare?: number;
  /** `--deadline` of each run, in ms. */
  deadline?: number;
  /** `--dry-run`: every app only reports drift (an environment's `dry_run: true` does so on its own). */
  dryRun?: boolean;
  /** Delivery tuning of the notifications (tests). */
  notifyTuning?: NotifyTuning;
}

/**
 * `stream-sync watch --environments FILE [--env NAME …]`: one daemon for several apps, each with the layers,
 * credentials, state file, interval and `dry_run` its environment declares, and the file's notification targets.
 * Runs until `signal` aborts (SIGTERM, SIGINT): 0 after a clean stop. A bad file, an unknown name, a secret that
 * cannot be substituted or a missing layer throw before anything starts (exit 1).
 */
export async function runWatchEnvironments(opts: WatchEnvironmentsOptions, io: DaemonIo & { signal: AbortSignal }): Promise<number> {
  const file = loadEnvironments(opts.environmentsFile, { env: io.env, cwd: io.cwd });
  const names = opts.names.length ? [...new Set(opts.names)] : file.names;
  const defaultInterval = intervalOf('--interval', opts.interval ?? '5m');
  const apps: AppOptions[] = file.select(names).map((e) => {
    for (const f of e.files) if (!existsSync(f)) throw new UsageError(`environment ${e.name}: ${relative(io.cwd ?? process.cwd(), f) || f}: no such file or directory`);
    return {
      name: e.name,
      files: e.files,
      variables: e.variables,
      connection: connectionOf(e),
      stateFile: e.stateFile,
      intervalMs: e.interval ? intervalOf(`environment ${e.name}: interval`, e.interval) : defaultInterval,
      dryRun: Boolean(opts.dryRun || e.dryRun),
    };
  });
  const daemons = await startDaemons(
    apps,
    {
      listen: opts.listen === undefined ? undefined : parseListen(opts.listen),
      poll: Boolean(opts.poll),
      concurrency: opts.concurrency,
      targets: opts.targets,
      readyFailureThreshold: opts.readyFailures,
      rateShare: opts.rateShare,
      runDeadlineMs: opts.deadline,
      notify: file.notifications(names),
      notifyTuning: opts.notifyTuning,
    },
    io,
  );
  await runUntilAborted(daemons, io);
  return 0;
}
