/**
 * The level-triggered reconcile queue, on controller-runtime's contract: a trigger carries no payload (the
 * reconciler reads the file and the app afresh each time), triggers arriving together fold into one run, two
 * runs never overlap, and triggers that arrive during a run cause exactly one follow-up run.
 */

/** Why a run was queued: for logs only, never an input to what a run does. `hangup`: SIGHUP. */
export type Trigger = 'startup' | 'file' | 'interval' | 'retry' | 'hangup';

/**
 * How a run ended. `error` is retried with exponential back-off; `terminal` is not retried (retrying cannot help:
 * an invalid file, a guard's refusal) and waits for the next trigger (a file change, or the interval resync).
 */
export type Outcome = 'success' | 'error' | 'terminal';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface LoopOptions {
  run(triggers: readonly Trigger[]): Promise<Outcome>;
  /**
   * The resync period (`--interval`), and the ceiling of the error back-off; a function is asked after each run
   * (`--interval auto`: it depends on what the run sent).
   */
  intervalMs: number | (() => number);
  /** The first back-off after an error; it doubles with each consecutive error. Default 1 s. */
  minBackoffMs?: number;
  /**
   * Delays are shortened by up to this fraction, at random, so daemons started together spread out; they are
   * never lengthened, so the app is checked at least every `intervalMs`. Default 0.1.
   */
  jitter?: number;
  random?: () => number;
  timers?: Timers;
  /** The next run is due in `ms` (logs). */
  onScheduled?(trigger: 'interval' | 'retry', ms: number): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class ReconcileLoop {
  readonly #opts: LoopOptions;
  readonly #timers: Timers;
  readonly #random: () => number;
  #pending = new Set<Trigger>();
  #running?: Promise<void>;
  #timer?: unknown;
  #failures = 0;
  #stopped = false;

  constructor(opts: LoopOptions) {
    this.#opts = opts;
    if (!(this.#interval() > 0)) throw new Error('the interval must be positive');
    this.#timers = opts.timers ?? realTimers;
    this.#random = opts.random ?? Math.random;
  }

  /** Queues a run; folds into the queued one, or into the follow-up of the one in flight. */
  trigger(reason: Trigger): void {
    if (this.#stopped) return;
    this.#pending.add(reason);
    if (!this.#running) this.#start();
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Consecutive failed runs (0 after a success). */
  get failures(): number {
    return this.#failures;
  }

  /**
   * No new run starts after this; resolves when the run in flight (if any) has ended. Queued triggers and the
   * scheduled resync are dropped.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending.clear();
    this.#clearTimer();
    await this.#running;
  }

  #start(): void {
    this.#clearTimer();
    const triggers = [...this.#pending];
    this.#pending.clear();
    this.#running = this.#runOnce(triggers);
  }

  async #runOnce(triggers: Trigger[]): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await this.#opts.run(triggers);
    } catch {
      // The run function reports its own failures; one that escapes still counts as an error to back off from.
      outcome = 'error';
    }
    this.#running = undefined;
    if (outcome === 'error') this.#failures++;
    else this.#failures = 0;
    if (this.#stopped) return;
    // Triggers that arrived during the run: exactly one follow-up, now (a change may be what fixes an error).
    if (this.#pending.size > 0) {
      this.#start();
      return;
    }
    if (outcome === 'error') this.#schedule('retry', Math.min(this.#interval(), (this.#opts.minBackoffMs ?? 1000) * 2 ** (this.#failures - 1)));
    else this.#schedule('interval', this.#interval());
  }

  #interval(): number {
    const i = this.#opts.intervalMs;
    return typeof i === 'function' ? i() : i;
  }

  #schedule(trigger: 'interval' | 'retry', ms: number): void {
    // setTimeout fires at once past 2^31 - 1 ms (about 24.8 days).
    const delay = Math.min(2 ** 31 - 1, Math.max(1, Math.round(ms * (1 - (this.#opts.jitter ?? 0.1) * this.#random()))));
    this.#opts.onScheduled?.(trigger, delay);
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.trigger(trigger);
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
