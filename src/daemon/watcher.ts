import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { watch } from 'chokidar';
import { layersHash } from './source.js';

export interface ConfigWatcherOptions {
  /** The layers: each a file, or a directory of desired-state files (`-f PATH`, or an environment's `files`). */
  paths: readonly string[];
  /** Called once the content has settled and differs from what was last reported. */
  onChange(): void;
  onError?(err: Error): void;
  /** `--poll`: stat the directory on a timer, for filesystems whose events are unreliable (NFS, some bind mounts). */
  poll?: boolean;
  pollIntervalMs?: number;
  /** Quiet time after the last event before the content is hashed. Default 300 ms. */
  debounceMs?: number;
}

export interface ConfigWatcher {
  close(): Promise<void>;
}

/**
 * Watches the directory that holds the config, not the file: editors save by writing a temp file and renaming
 * it over the original, some tools delete and recreate, and a Kubernetes ConfigMap mount changes by swapping its
 * `..data` symlink, so the file's own inode may never see an event. Any event in the directory schedules a
 * check; the check compares a hash of the content, so no-op events (a touch, our own state file, a swap that
 * changes nothing) trigger nothing, and a burst of saves settles into one change.
 */
export async function watchConfig(opts: ConfigWatcherOptions): Promise<ConfigWatcher> {
  if (opts.paths.length === 0) throw new Error('watchConfig needs at least one path');
  // Every layer's directory (once each): an edit of any layer is a change of the configuration.
  const dirs = [...new Set(opts.paths.map(watchedDir))];
  let last = layersHash(opts.paths);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const check = () => {
    timer = undefined;
    if (closed) return;
    const now = layersHash(opts.paths);
    if (now === last) return;
    last = now;
    opts.onChange();
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, opts.debounceMs ?? 300);
  };

  const watcher = watch(dirs, {
    // The directory's own entries are enough (the `..data` symlink, the files, editors' temp files); deeper
    // levels are ConfigMap's timestamped directories and our `.stream-sync/` state, whose changes either show
    // up as an entry change here or are not ours to react to.
    depth: 0,
    ignoreInitial: true,
    followSymlinks: false,
    ignored: (p: string) => basename(p) === '.stream-sync',
    usePolling: opts.poll ?? false,
    interval: opts.pollIntervalMs ?? 1000,
    binaryInterval: opts.pollIntervalMs ?? 1000,
  });
  watcher.on('all', schedule);
  watcher.on('error', (err) => opts.onError?.(err instanceof Error ? err : new Error(String(err))));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  // A change between the first hash and the watch being in place would otherwise be missed.
  schedule();

  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}

/** The directory to watch for one layer: the layer itself when it is a directory, else the one holding it. */
function watchedDir(path: string): string {
  try {
    if (statSync(path).isDirectory()) return path;
  } catch {
    /* missing for now: watch where it will appear */
  }
  return dirname(path);
}
