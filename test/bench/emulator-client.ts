import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import type { Counts, EmulatorQuestion, EmulatorReady } from './emulator-process.js';
import type { BackendCounts, BackendQuestion, BackendReady } from './backend-process.js';
import type { Budget } from './lower-bound.js';
import type { WindowTally } from './windows.js';

/** What the emulator answered since the last `take`. */
export interface Taken {
  counts: Counts;
  windows: WindowTally;
}

const here = dirname(fileURLToPath(import.meta.url));

/** A server-side token (HS256, `{ server: true }`), as Stream's server SDKs sign it. */
export function serverToken(secret: string): Promise<string> {
  return new SignJWT({ server: true }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

/**
 * A forked child of the benchmark that answers questions over IPC: each question carries an `id`, its answer the
 * same `id`. Its first message without an `id` says it is ready.
 */
export class IpcChild<Q extends object, R> {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (reply: Record<string, unknown>) => void; reject: (err: Error) => void }>();

  protected constructor(
    private readonly child: ChildProcess,
    readonly ready: R,
  ) {
    child.on('message', (msg: { id?: number }) => {
      if (msg.id === undefined) return;
      this.waiting.get(msg.id)?.resolve(msg as Record<string, unknown>);
      this.waiting.delete(msg.id);
    });
    child.once('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`${file(child)} exited (${code}) before it answered`));
      this.waiting.clear();
    });
  }

  /** Forks `script` (a file next to this one) and waits for its ready message. */
  protected static fork<R>(script: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; ready: R }> {
    const child = fork(join(here, script), [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolvePromise, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
      child.once('message', (ready: R) => resolvePromise({ child, ready }));
    });
  }

  protected ask<T>(msg: Q): Promise<T> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (reply: Record<string, unknown>) => void, reject });
      this.child.send({ ...msg, id });
    });
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((res) => {
      this.child.once('exit', () => res());
      this.child.kill('SIGTERM');
    });
  }
}

const file = (child: ChildProcess) => child.spawnargs.at(-1) ?? 'the child';

/** The emulator child and its IPC questions. */
export class Emulator extends IpcChild<EmulatorQuestion, EmulatorReady> {
  static async start(keys: string[]): Promise<Emulator> {
    const { child, ready } = await IpcChild.fork<EmulatorReady>('emulator-process.js', { BENCH_APP_KEYS: keys.join(',') });
    return new Emulator(child, ready);
  }

  app(key: string): { key: string; secret: string } {
    const app = this.ready.apps.find((a) => a.key === key);
    if (!app) throw new Error(`the emulator has no app ${key}`);
    return app;
  }

  /** Requests answered since the last call, by `METHOD Op` and status, and by minute window, client and endpoint. */
  take(): Promise<Taken> {
    return this.ask<Taken>({ type: 'take' });
  }

  /** As `take`, with the targets (path + query) of the GETs answered 2xx, in the order they were answered. */
  takeWithReads(): Promise<Taken & { reads: string[] }> {
    return this.ask<Taken & { reads: string[] }>({ type: 'take', reads: true });
  }

  /** Stream's published rate limits on every app, or none; either way every window starts afresh. */
  async rateLimits(on: boolean): Promise<void> {
    await this.ask({ type: 'rate-limits', on });
  }

  /** Multiplies every limit from now on (1 restores them), as Stream lowers them under load; windows go on. */
  async scaleLimits(factor: number): Promise<void> {
    await this.ask({ type: 'scale', factor });
  }

  async budgets(key: string, ops: string[]): Promise<Record<string, Budget>> {
    return (await this.ask<{ budgets: Record<string, Budget> }>({ type: 'budgets', key, ops })).budgets;
  }
}

/** The simulated customer backend (`backend-process.ts`) on one app of the emulator. */
export class Backend extends IpcChild<BackendQuestion, BackendReady> {
  static async start(url: string, app: { key: string; secret: string }): Promise<Backend> {
    const { child, ready } = await IpcChild.fork<BackendReady>('backend-process.js', { BENCH_BACKEND_URL: url, BENCH_BACKEND_KEY: app.key, BENCH_BACKEND_SECRET: app.secret });
    return new Backend(child, ready);
  }

  /** Its calls begin, each endpoint at its steady rate. */
  async begin(): Promise<void> {
    await this.ask({ type: 'start' });
  }

  /** Its calls end (in-flight ones answered); what it counted, and the process exits. */
  async finish(): Promise<BackendCounts> {
    const { counts } = await this.ask<{ counts: BackendCounts }>({ type: 'stop' });
    await this.stop();
    return counts;
  }
}

export interface Tally {
  requests: number;
  writes: number;
  rateLimited: number;
  byOp: Record<string, number>;
  rateLimitedByOp: Record<string, number>;
}

/**
 * Reads sent as POST: Stream's moderation queries take their filter and cursor in a body. They change nothing, so
 * they are reads (a plan sends them), not writes.
 */
export const READ_POSTS: ReadonlySet<string> = new Set(['query_moderation_configs', 'query_moderation_rules']);

export function tally(counts: Counts): Tally {
  const t: Tally = { requests: 0, writes: 0, rateLimited: 0, byOp: {}, rateLimitedByOp: {} };
  for (const [key, byStatus] of Object.entries(counts)) {
    const [method, op] = key.split(' ') as [string, string];
    for (const [status, n] of Object.entries(byStatus)) {
      t.requests += n;
      t.byOp[op] = (t.byOp[op] ?? 0) + n;
      if (status === '429') {
        t.rateLimited += n;
        t.rateLimitedByOp[op] = (t.rateLimitedByOp[op] ?? 0) + n;
      }
      // A write is a request that is not a GET (nor a query sent as POST), refused or not: a plan must not even try one.
      if (method !== 'GET' && !READ_POSTS.has(op)) t.writes += n;
    }
  }
  return t;
}
