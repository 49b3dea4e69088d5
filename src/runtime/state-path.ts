import { accessSync, constants, statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { makeDirectories } from './lock.js';
import { StateFile } from '../state/state-file.js';

/** Kernel filesystems (statfs `f_type`, Linux) where no state file can ever be created. */
const KERNEL_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x1cd1, 'devpts'],
  [0x73636673, 'securityfs'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
]);

const WHAT_TO_DO = 'pass --state-file on a writable volume, e.g. --state-file /state/state.json';
const DRY_RUN_TO_DO = "a dry run reads the state file its writer (apply, or watch without --dry-run) keeps: pass --state-file with the writer's path";
const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/**
 * Checks at start-up, with a message that says what to do, that the state file can be what the daemon needs:
 * written (its directory is created now), or with `--dry-run` read, never written (absent is fine: the writer
 * has not run yet; a path that can never exist is not). Returns whether the file exists now.
 */
export function checkStatePath(path: string, opts: { dryRun: boolean; remedy?: string }): { exists: boolean } {
  const dir = dirname(resolve(path));
  const whatToDo = opts.remedy ?? WHAT_TO_DO;
  const kernel = kernelFilesystemOf(dir);
  if (kernel) {
    throw new UsageError(
      opts.dryRun
        ? `the state file ${path} can never exist: ${kernel.at} is on the ${kernel.type} kernel filesystem; ${DRY_RUN_TO_DO}`
        : `the state file's directory ${dir} is not writable (${kernel.at} is on the ${kernel.type} kernel filesystem, where no file can be created): ${whatToDo}`,
    );
  }
  if (!opts.dryRun) {
    try {
      makeDirectories(dir);
      accessSync(dir, constants.W_OK);
    } catch (err) {
      throw new UsageError(`the state file's directory ${dir} is not writable (${code(err)}): ${whatToDo}`);
    }
  }
  const exists = statOrUndefined(path) !== undefined;
  if (exists) {
    try {
      // Only parsed, to fail now rather than on every run; the key is the run's business.
      StateFile.open(path, '', '');
    } catch (err) {
      throw new UsageError(`${(err as Error).message}${opts.dryRun ? `; ${DRY_RUN_TO_DO}` : ''}`);
    }
  } else if (opts.dryRun) {
    const at = nearestExisting(dir);
    if (!statSync(at).isDirectory()) throw new UsageError(`the state file ${path} can never exist: ${at} is not a directory; ${DRY_RUN_TO_DO}`);
    try {
      accessSync(at, constants.X_OK);
    } catch (err) {
      throw new UsageError(`the state file ${path} cannot be read: ${at} cannot be searched (${code(err)}); ${DRY_RUN_TO_DO}`);
    }
  }
  return { exists };
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch (err) {
    const c = (err as NodeJS.ErrnoException).code;
    if (c === 'ENOENT' || c === 'ENOTDIR') return undefined;
    throw new UsageError(`cannot look at ${path}, on the state file's path (${code(err)})`);
  }
}

/** The path itself or its closest ancestor that exists. */
function nearestExisting(path: string): string {
  let at = path;
  while (statOrUndefined(at) === undefined && dirname(at) !== at) at = dirname(at);
  return at;
}

function kernelFilesystemOf(dir: string): { at: string; type: string } | undefined {
  const at = nearestExisting(dir);
  try {
    const type = KERNEL_FILESYSTEMS.get(statfsSync(at).type);
    return type ? { at, type } : undefined;
  } catch {
    // No statfs here (or not allowed): the directory's creation, or the first read, says what is wrong.
    return undefined;
  }
}
