import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { desiredFiles, loadDesired } from '../desired/load.js';
import { ConfigError, formatIssue } from '../core/errors.js';
import type { DesiredState } from '../core/model.js';

/**
 * A digest of what `-f PATH` holds now: the names and bytes of its desired-state files, read through symlinks
 * (a ConfigMap's `..data` swap changes this, a `touch` does not). A missing or unreadable file is part of the
 * digest, so a delete followed by a recreate with other content still reads as a change.
 */
export function contentHash(path: string): string {
  const h = createHash('sha256');
  let files: string[];
  try {
    files = desiredFiles(path);
  } catch (err) {
    return h.update(`unavailable\0${(err as Error).message}`).digest('hex');
  }
  for (const f of files) {
    h.update(`${relative(path, f)}\0`);
    try {
      h.update(readFileSync(f));
    } catch (err) {
      h.update(`unreadable\0${(err as NodeJS.ErrnoException).code ?? ''}`);
    }
    h.update('\0');
  }
  return h.digest('hex');
}

export interface ConfigProblem {
  message: string;
  /** When this problem was first seen (ms since epoch). */
  since: number;
}

export interface Loaded {
  /** The configuration in force: the file's when it is valid, else the last valid one (if any). */
  desired?: DesiredState;
  /** Why the file is not in force. */
  problem?: ConfigProblem;
  /** The problem differs from the one before (report it loudly once, not on every resync). */
  newProblem: boolean;
}

/**
 * The desired state with "last good configuration" semantics: a file that is unparsable, invalid, truncated,
 * empty or missing is reported and never applied; the last valid one stays in force. The files are read again
 * on every call (the loop is level-triggered, and `${file:…}` secrets may rotate without the config changing).
 */
export class ConfigSource {
  #lastGood?: DesiredState;
  #problem?: ConfigProblem;

  constructor(
    readonly path: string,
    private readonly opts: { env: NodeJS.ProcessEnv; cwd?: string; now?: () => number },
  ) {}

  get problem(): ConfigProblem | undefined {
    return this.#problem;
  }

  get lastGood(): DesiredState | undefined {
    return this.#lastGood;
  }

  load(): Loaded {
    try {
      this.#lastGood = loadDesired(this.path, { env: this.opts.env, cwd: this.opts.cwd });
      this.#problem = undefined;
      return { desired: this.#lastGood, newProblem: false };
    } catch (err) {
      const message = err instanceof ConfigError ? err.issues.map(formatIssue).join('\n') : (err as Error).message;
      const newProblem = this.#problem?.message !== message;
      if (newProblem) this.#problem = { message, since: (this.opts.now ?? Date.now)() };
      return { desired: this.#lastGood, problem: this.#problem, newProblem };
    }
  }
}
