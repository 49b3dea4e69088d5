import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { abortableSleep } from './stopping.js';
import { GuardError, StoppedError } from '../core/errors.js';

/** Who holds the lock, as written in the lock file. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** The PID namespace (Linux): containers of one pod share a hostname but not their PIDs. */
  pid_ns?: string;
  token: string;
  acquired_at: string;
}

export interface LockOptions {
  /**
   * A lock file not refreshed for this long is stale (its holder died on another host, or was killed). The
   * holder refreshes it every third of this. Default 30 s.
   */
  staleMs?: number;
  /** How often a waiter looks again. Default 250 ms. */
  retryMs?: number;
  now?: () => number;
  /** This process, for the lock file and for recognising a dead holder on the same host. */
  self?: { pid: number; hostname: string; pid_ns?: string };
  /** Whether a process of this host is alive. */
  isAlive?: (pid: number) => boolean;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Called once when the lock is held by someone else and this caller starts waiting. */
  onWait?(holder: LockHolder | undefined): void;
}

const pidNamespace = (): string | undefined => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
};

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * A lock beside the state file (`state.json.lock`) so that two processes sharing a volume never reconcile the
 * same app at once: the second waits. The lock file is created with O_EXCL, which is atomic on local
 * filesystems and on NFSv3+; it names its holder (pid, hostname, PID namespace) and its mtime is refreshed while
 * held. A waiter breaks it when the holder is a dead process of the same host and PID namespace, or when it has
 * not been refreshed for `staleMs` (a holder on another node, or one killed with SIGKILL).
 */
export class StateLock {
  readonly path: string;
  readonly #staleMs: number;
  readonly #retryMs: number;
  readonly #now: () => number;
  readonly #self: { pid: number; hostname: string; pid_ns?: string };
  readonly #isAlive: (pid: number) => boolean;

  constructor(stateFile: string, opts: LockOptions = {}) {
    this.path = `${stateFile}.lock`;
    this.#staleMs = opts.staleMs ?? 30_000;
    this.#retryMs = opts.retryMs ?? 250;
    this.#now = opts.now ?? Date.now;
    this.#self = opts.self ?? { pid: process.pid, hostname: hostname(), pid_ns: pidNamespace() };
    this.#isAlive = opts.isAlive ?? processAlive;
  }

  /** Waits for the lock (until `signal` aborts) and resolves with its release function. */
  async acquire(opts: AcquireOptions = {}): Promise<() => void> {
    makeDirectories(dirname(this.path));
    let waiting = false;
    for (;;) {
      if (opts.signal?.aborted) throw new StoppedError('waiting for the state-file lock');
      const token = randomUUID();
      if (this.#tryCreate(token)) return this.#held(token);
      const seen = this.#read();
      if (seen === undefined) continue; // released between our attempt and the read: try again now
      if (this.#isStale(seen)) {
        this.#breakStale(seen.raw);
        continue;
      }
      if (!waiting) {
        waiting = true;
        opts.onWait?.(seen.holder);
      }
      await abortableSleep(this.#retryMs, opts.signal);
    }
  }

  #tryCreate(token: string): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new Error(`cannot create the state-file lock ${this.path}: ${(err as Error).message}`);
    }
    try {
      const holder: LockHolder = { ...this.#self, token, acquired_at: new Date(this.#now()).toISOString() };
      writeSync(fd, `${JSON.stringify(holder)}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  }

  #held(token: string): () => void {
    const ours = () => this.#read()?.holder?.token === token;
    // The heartbeat that tells waiters on other hosts this holder is alive.
    const heartbeat = setInterval(() => {
      try {
        if (ours()) {
          const t = new Date(this.#now());
          utimesSync(this.path, t, t);
        }
      } catch {
        /* the next beat tries again; a waiter breaks the lock only after staleMs */
      }
    }, Math.max(10, Math.floor(this.#staleMs / 3)));
    heartbeat.unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      // Never remove a lock that is no longer ours (it was judged stale and taken over).
      if (ours()) rmQuiet(this.path);
    };
  }

  #read(): { raw: string; holder?: LockHolder; mtimeMs: number } | undefined {
    try {
      const mtimeMs = statSync(this.path).mtimeMs;
      const raw = readFileSync(this.path, 'utf8');
      let holder: LockHolder | undefined;
      try {
        holder = JSON.parse(raw) as LockHolder;
      } catch {
        /* being written: only the age rule applies */
      }
      return { raw, holder, mtimeMs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  #isStale(seen: { holder?: LockHolder; mtimeMs: number }): boolean {
    if (this.#now() - seen.mtimeMs > this.#staleMs) return true;
    const h = seen.holder;
    if (!h || h.hostname !== this.#self.hostname || h.pid_ns !== this.#self.pid_ns) return false;
    // Our own pid in a lock we do not hold is a previous life of this container (PID 1 again): the age rule decides.
    return h.pid !== this.#self.pid && !this.#isAlive(h.pid);
  }

  /**
   * Moves the stale lock aside and checks it is the one judged stale: if another waiter broke it first and a
   * new holder has since created a fresh one, that lock is put back rather than deleted.
   */
  #breakStale(raw: string): void {
    const aside = `${this.path}.stale-${randomUUID()}`;
    try {
      renameSync(this.path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      if (readFileSync(aside, 'utf8') !== raw) linkSync(aside, this.path);
    } catch {
      /* EEXIST: someone holds a newer lock already; theirs stands */
    } finally {
      rmQuiet(aside);
    }
  }
}

/**
 * `mkdir -p`, one level at a time. Node's `mkdirSync(dir, { recursive: true })` never returns when the kernel
 * answers ENOENT for a directory whose parent exists (under /proc or /sys): it tries the parent and the child
 * again forever, synchronously, so not even SIGTERM's handler runs. Here that ENOENT is thrown.
 */
export function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); !existsSync(at); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR' });
}

function rmQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** Who holds a lock, for a message: `pid 123 on host-a since 2026-12-04T18:00:00.000Z`. */
export function describeHolder(h: LockHolder | undefined): string {
  return h ? `pid ${h.pid} on ${h.hostname} since ${h.acquired_at}` : 'a process that is still writing the lock file';
}

/**
 * The state-file lock for a one-off command (`apply`, `plan --out`): taken at once, or refused with who holds it;
 * with `timeoutMs`, waited for that long (saying so once through `onWait`). Aborting `signal` (an interrupt)
 * ends the wait. Resolves with the release function.
 */
export async function lockStateFile(
  stateFile: string,
  opts: {
    timeoutMs: number;
    signal?: AbortSignal;
    onWait?(message: string): void;
    lock?: LockOptions;
    /** How the caller sets the wait, for the refusal's advice (default the CLI's `--lock-timeout`; the library's `lockTimeoutMs`). */
    timeoutSetting?: { name: string; example: string };
  },
): Promise<() => void> {
  const setting = opts.timeoutSetting ?? { name: '--lock-timeout DURATION', example: '--lock-timeout 5m' };
  const lock = new StateLock(stateFile, opts.lock);
  let holder: LockHolder | undefined;
  const timeout = opts.timeoutMs > 0 ? AbortSignal.timeout(opts.timeoutMs) : undefined;
  const signal = timeout && opts.signal ? AbortSignal.any([timeout, opts.signal]) : (timeout ?? opts.signal);
  const refusal = (why: string, advice: string) => new GuardError(`the state file ${stateFile} is locked by another stream-sync (${describeHolder(holder)})${why}: nothing was done; ${advice}`);
  try {
    return await lock.acquire({
      signal,
      onWait: (h) => {
        holder = h;
        if (!timeout) throw refusal('', `wait for it to finish, or pass ${setting.name} to wait for it (e.g. ${setting.example})`);
        opts.onWait?.(`waiting up to ${Math.round(opts.timeoutMs / 1000)} s for the state-file lock ${lock.path}, held by ${describeHolder(h)}`);
      },
    });
  } catch (err) {
    if (err instanceof StoppedError && timeout?.aborted) throw refusal(` and was not released within the ${setting.name.split(' ')[0]} of ${opts.timeoutMs % 1000 ? `${opts.timeoutMs} ms` : `${opts.timeoutMs / 1000} s`}`, `try again later, or with a longer ${setting.name.split(' ')[0]}`);
    throw err;
  }
}
