import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { desiredFiles, loadDesired } from '../desired/load.js';
import { canonicalJson, sha256 } from '../core/canonical.js';
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

/** The digest of every layer, in order: a change in any of them (or their order) changes it. */
export function layersHash(paths: readonly string[]): string {
  if (paths.length === 1) return contentHash(paths[0]!);
  const h = createHash('sha256');
  for (const p of paths) h.update(`${p}\0${contentHash(p)}\0`);
  return h.digest('hex');
}

/**
 * What the configuration asks of the app, as one digest: addresses and their (substituted) fields, managed kinds,
 * policy and the expected name; not where they are written. Equal digests mean nothing to change was asked for,
 * even if a line moved; a rotated `${file:…}` secret changes it. Kept in memory only, never logged.
 */
export function desiredHash(desired: DesiredState): string {
  const objects = [...desired.objects.values()].map((o) => [o.address, o.fields]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
  return sha256(canonicalJson({ objects, kinds: [...desired.managedKinds].sort(), policy: desired.policy, expect: desired.expectName ?? null }));
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
 * `files` are the layers, in order (one `-f PATH`, or an environment's `files`).
 */
export class ConfigSource {
  #lastGood?: DesiredState;
  #problem?: ConfigProblem;
  readonly files: readonly string[];

  constructor(
    files: string | readonly string[],
    private readonly opts: { env: NodeJS.ProcessEnv; cwd?: string; now?: () => number },
  ) {
    this.files = typeof files === 'string' ? [files] : [...files];
    if (this.files.length === 0) throw new Error('ConfigSource needs at least one file');
  }

  get problem(): ConfigProblem | undefined {
    return this.#problem;
  }

  get lastGood(): DesiredState | undefined {
    return this.#lastGood;
  }

  load(): Loaded {
    try {
      this.#lastGood = loadDesired(this.files, { env: this.opts.env, cwd: this.opts.cwd });
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
