import type { RequestRecord } from '../../src/emulator/pipeline/exchange.js';
import type { Counts } from './emulator-process.js';

/**
 * Who used an app's rate budget, minute by minute: the emulator's request log tallied per fixed one-minute window
 * (the emulator's own windows: `floor(at / 60,000)`), per kind of client (its `X-Stream-Client` header) and per
 * endpoint. Stream's limits are per app and endpoint, shared by every server-side client: the shared-budget
 * scenarios read here how much of each window stream-sync and the simulated backend took.
 */
export type ClientKind = 'stream-sync' | 'backend' | 'other';

/** The `X-Stream-Client` header the benchmark's backend (`backend-process.ts`) sends. */
export const BACKEND_CLIENT = 'bench-backend';
export const MINUTE_MS = 60_000;

/** stream-sync sends `stream-sync-<version>`. */
export function clientKind(client: string | undefined): ClientKind {
  if (client === BACKEND_CLIENT) return 'backend';
  return client?.startsWith('stream-sync-') ? 'stream-sync' : 'other';
}

/** The start (ms since epoch) of the minute window `ms` falls in. */
export const windowOf = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** Requests answered in one window, 429s included, and the 429s among them. */
export interface WindowCount {
  answered: number;
  limited: number;
}

/** Window start (ms, as a key) → client kind → endpoint (`METHOD Op`, as in `Counts`) → counts. JSON-safe (it crosses IPC). */
export type WindowTally = Record<string, Partial<Record<ClientKind, Record<string, WindowCount>>>>;

function add(into: WindowTally, window: number | string, kind: ClientKind, op: string, n: WindowCount): void {
  const ops = ((into[window] ??= {})[kind] ??= {});
  const c = (ops[op] ??= { answered: 0, limited: 0 });
  c.answered += n.answered;
  c.limited += n.limited;
}

/** Tallies request-log records (into `into`, when given). */
export function tallyWindows(records: Iterable<Pick<RequestRecord, 'method' | 'op' | 'status' | 'at' | 'client'>>, into: WindowTally = {}): WindowTally {
  for (const r of records) add(into, windowOf(r.at), clientKind(r.client), `${r.method} ${r.op}`, { answered: 1, limited: r.status === 429 ? 1 : 0 });
  return into;
}

/** Adds `from` to `into` (the takes of one scenario group, put together). */
export function mergeWindows(into: WindowTally, from: WindowTally): WindowTally {
  for (const [window, kinds] of Object.entries(from)) {
    for (const [kind, ops] of Object.entries(kinds) as [ClientKind, Record<string, WindowCount>][]) {
      for (const [op, n] of Object.entries(ops)) add(into, window, kind, op, n);
    }
  }
  return into;
}

/** The windows of a tally, in order (their starts, ms). */
export const windowStarts = (t: WindowTally): number[] =>
  Object.keys(t)
    .map(Number)
    .sort((a, b) => a - b);

/** What one kind of client had admitted (answered, not refused with a 429) of operation `op` in the window starting at `start`. */
export function admitted(t: WindowTally, start: number, kind: ClientKind, op: string): number {
  let n = 0;
  for (const [endpoint, c] of Object.entries(t[start]?.[kind] ?? {})) if (endpoint.endsWith(` ${op}`)) n += c.answered - c.limited;
  return n;
}

/** One kind of client's requests over every window, as `Counts` (status `429`, or `ok` for any other answer) for `tally`. */
export function countsOf(t: WindowTally, kind: ClientKind): Counts {
  const counts: Counts = {};
  for (const kinds of Object.values(t)) {
    for (const [endpoint, c] of Object.entries(kinds[kind] ?? {})) {
      const byStatus = (counts[endpoint] ??= {});
      if (c.answered > c.limited) byStatus.ok = (byStatus.ok ?? 0) + c.answered - c.limited;
      if (c.limited) byStatus[429] = (byStatus[429] ?? 0) + c.limited;
    }
  }
  return counts;
}
