import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Counts, EmulatorQuestion, EmulatorReady, EmulatorRequest } from './emulator-process.js';
import type { Budget } from './lower-bound.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The emulator child and its IPC questions. */
export class Emulator {
  private next = 0;
  private readonly waiting = new Map<number, (reply: Record<string, unknown>) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly ready: EmulatorReady,
  ) {
    child.on('message', (msg: { id?: number }) => {
      if (msg.id === undefined) return;
      this.waiting.get(msg.id)?.(msg as Record<string, unknown>);
      this.waiting.delete(msg.id);
    });
  }

  static start(keys: string[]): Promise<Emulator> {
    const child = fork(join(here, 'emulator-process.js'), [], { env: { ...process.env, BENCH_APP_KEYS: keys.join(',') }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolvePromise, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the emulator exited (${code}) before it was ready`)));
      child.once('message', (msg: EmulatorReady) => resolvePromise(new Emulator(child, msg)));
    });
  }

  app(key: string): { key: string; secret: string } {
    const app = this.ready.apps.find((a) => a.key === key);
    if (!app) throw new Error(`the emulator has no app ${key}`);
    return app;
  }

  private ask<T>(msg: EmulatorQuestion): Promise<T> {
    const id = this.next++;
    return new Promise((res) => {
      this.waiting.set(id, res as (reply: Record<string, unknown>) => void);
      this.child.send({ ...msg, id } satisfies EmulatorRequest);
    });
  }

  /** Requests answered since the last call, by `METHOD Op` and status. */
  async take(): Promise<Counts> {
    return (await this.ask<{ counts: Counts }>({ type: 'take' })).counts;
  }

  /** As `take`, with the targets (path + query) of the GETs answered 2xx, in the order they were answered. */
  takeWithReads(): Promise<{ counts: Counts; reads: string[] }> {
    return this.ask<{ counts: Counts; reads: string[] }>({ type: 'take', reads: true });
  }

  /** Stream's published rate limits on every app, or none; either way every window starts afresh. */
  async rateLimits(on: boolean): Promise<void> {
    await this.ask({ type: 'rate-limits', on });
  }

  async budgets(key: string, ops: string[]): Promise<Record<string, Budget>> {
    return (await this.ask<{ budgets: Record<string, Budget> }>({ type: 'budgets', key, ops })).budgets;
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((res) => {
      this.child.once('exit', () => res());
      this.child.kill('SIGTERM');
    });
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
