import { randomBytes } from 'node:crypto';
import { startEmulator } from '../../src/emulator/server.js';
import { tallyWindows } from './windows.js';

/**
 * The benchmark's emulator, in a process of its own so its CPU and memory are never counted as the reconciler's.
 * Started with `fork()`; it answers the parent over IPC:
 *   → { id, type: 'take', reads? }           ← { id, counts: { 'METHOD Op': { status: n } }, windows, reads? }  (then forgets them)
 *                                               `windows`: per minute window, client kind and endpoint, the answered
 *                                               requests and 429s (`windows.ts`); `reads`: the answered GETs'
 *                                               targets (path + query), in order
 *   → { id, type: 'budgets', key, ops }       ← { id, budgets: { op: { limit, remaining, reset } } }
 *   → { id, type: 'rate-limits', on }         ← { id }  (Stream's published limits, or none; windows start afresh)
 *   → { id, type: 'scale', factor }           ← { id }  (every limit × factor from now on, 1 restores; windows go on)
 * and on start sends { type: 'ready', url, apps }. SIGTERM closes it.
 *
 * Settings (the issue's): Stream's published rate limits, and 20 ms of latency on every answer (a fault rule,
 * as `stream-sync emulator --latency` makes, without its jitter so runs compare).
 */
export interface EmulatorReady {
  type: 'ready';
  url: string;
  apps: { key: string; secret: string }[];
}

export type EmulatorQuestion = { type: 'take'; reads?: boolean } | { type: 'budgets'; key: string; ops: string[] } | { type: 'rate-limits'; on: boolean } | { type: 'scale'; factor: number };
export type EmulatorRequest = EmulatorQuestion & { id: number };

export type Counts = Record<string, Record<string, number>>;

const LATENCY_MS = 20;
const KEYS = (process.env.BENCH_APP_KEYS ?? 'bench').split(',');
/** The apps' name in GetApp (`many-apps.ts` runs config.example, whose `expect_name` is `emulator`). */
const NAME = process.env.BENCH_APP_NAME ?? 'bench';

async function main(): Promise<void> {
  const emu = await startEmulator({
    port: 0,
    apps: KEYS.map((key) => ({ key, secret: randomBytes(24).toString('hex'), name: NAME })),
    rateLimits: 'published',
    faults: { rules: [{ kind: 'latency', ms: LATENCY_MS }] },
    taskStepMs: 0,
    // Every answered request is counted, then forgotten at each `take`.
    requestLogLimit: Number.MAX_SAFE_INTEGER,
  });

  process.on('message', (raw: EmulatorRequest) => {
    if (raw.type === 'take') {
      const counts: Counts = {};
      const reads: string[] = [];
      const records = emu.requests.splice(0);
      for (const r of records) {
        const byStatus = (counts[`${r.method} ${r.op}`] ??= {});
        byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
        if (raw.reads && r.method === 'GET' && r.status >= 200 && r.status < 300) reads.push(r.path + r.query);
      }
      process.send!({ id: raw.id, counts, windows: tallyWindows(records), ...(raw.reads ? { reads } : {}) });
    } else if (raw.type === 'budgets') {
      const now = Date.now();
      const budgets = Object.fromEntries(raw.ops.map((op) => [op, emu.rateLimiter.peek(raw.key, op, now)]));
      process.send!({ id: raw.id, budgets });
    } else if (raw.type === 'rate-limits') {
      emu.rateLimiter.configure(raw.on ? 'published' : 'off');
      process.send!({ id: raw.id });
    } else if (raw.type === 'scale') {
      emu.rateLimiter.setScale(raw.factor);
      process.send!({ id: raw.id });
    }
  });
  process.once('SIGTERM', () => {
    void emu.close().then(() => process.exit(0));
  });
  // An orphan (the benchmark died) must not keep the port open.
  process.once('disconnect', () => process.exit(0));
  process.send!({ type: 'ready', url: emu.url, apps: emu.apps.map((a) => ({ key: a.key, secret: a.secret })) } satisfies EmulatorReady);
}

void main();
