import { formatDuration } from '../core/duration.js';
import { DeadlineError } from '../core/errors.js';

/**
 * An overall deadline (`--deadline`): a hung or crawling API cannot hold a CI job or a daemon's run forever, when
 * each request is bounded only by its own timeout and retries. When it passes, `signal` aborts with a
 * DeadlineError: as on an interrupt, no new request starts and the requests in flight finish.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Whether it has passed. */
  readonly passed: boolean;
  /** Cancels it (the work ended in time). */
  clear(): void;
}

export function startDeadline(what: string, ms: number, onPassed?: (err: DeadlineError) => void): Deadline {
  const controller = new AbortController();
  // Unref'd: a deadline never keeps the process alive on its own.
  const timer = setTimeout(() => {
    const err = new DeadlineError(what, ms, formatDuration(ms));
    controller.abort(err);
    onPassed?.(err);
  }, ms);
  timer.unref();
  return {
    signal: controller.signal,
    get passed() {
      return controller.signal.aborted;
    },
    clear: () => clearTimeout(timer),
  };
}

/** The default `--deadline` of a command, and of each run of `watch`. */
export const DEFAULT_DEADLINE = '30m';
