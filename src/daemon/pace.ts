import { WINDOW_MS } from '../live/budget.js';

/** `--interval auto` never reconciles more often than this: drift is rarely worth checking faster. */
export const MIN_AUTO_INTERVAL_MS = 30_000;
/**
 * Nor less often than this: the allowance is read as a run ends, and a backend near the limit at that moment (or a
 * limit Stream lowered for a while) could otherwise put the next check of drift days away.
 */
export const MAX_AUTO_INTERVAL_MS = 3_600_000;

export interface AutoInterval {
  /** From the end of the last run to the start of the next (30 s to an hour). */
  ms: number;
  /** The endpoint that sets it, and how long its requests take at the daemon's allowance (absent at the floor). */
  bound?: { op: string; requests: number; allowance: number; ms: number };
}

/**
 * `--interval auto`: the shortest interval that keeps the daemon under its share of every endpoint. A run's
 * requests to an endpoint, at the daemon's allowance for it (its share of the window, or less when the app's other
 * clients need more), take `WINDOW_MS × requests / allowance`; the slowest endpoint sets the pace from the start of
 * one run to the start of the next, so the next run starts that long after the last began (and no sooner than
 * `MIN_AUTO_INTERVAL_MS` after it ended). A run paced at its share the whole time leaves only the floor between runs.
 */
export function autoInterval(requestsByOp: Readonly<Record<string, number>>, allowance: (op: string) => number | undefined, runMs: number): AutoInterval {
  let bound: AutoInterval['bound'];
  for (const [op, requests] of Object.entries(requestsByOp)) {
    const perWindow = allowance(op);
    if (!perWindow || requests <= 0) continue;
    const ms = Math.ceil((WINDOW_MS * requests) / perWindow);
    if (!bound || ms > bound.ms) bound = { op, requests, allowance: perWindow, ms };
  }
  const ms = Math.min(MAX_AUTO_INTERVAL_MS, Math.max(MIN_AUTO_INTERVAL_MS, (bound?.ms ?? 0) - runMs));
  return bound ? { ms, bound } : { ms };
}
