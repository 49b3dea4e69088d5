import type { ChangeOutcome } from '../apply/execute.js';
import type { Change } from '../core/model.js';

const DONE: Record<Change['action'], string> = { create: 'created', update: 'updated', delete: 'deleted' };

/** One line per change as it ends, decK-style: `created blocklist/x`, `failed to update app: …`. */
export function changeLine(change: Change, outcome: ChangeOutcome, detail?: string): string {
  switch (outcome) {
    case 'applied':
      return `${DONE[change.action]} ${change.address}`;
    case 'failed':
      return `failed to ${change.action} ${change.address}${detail ? `: ${detail}` : ''}`;
    case 'skipped':
      return `skipped ${change.action} ${change.address}${detail ? `: ${detail}` : ''}`;
    case 'interrupted':
      return `not applied (interrupted): ${change.action} ${change.address}`;
  }
}

export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: Timers = {
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

/**
 * An apply's progress on stderr (stdout keeps the plan and the summary): a line per change as it ends, and every
 * `everyMs` while changes remain, `n/N changes done`, so a long apply (a rate-limit wait, thousands of users)
 * never looks like a hang.
 */
export class Progress {
  #done = 0;
  #total = 0;
  #timer: unknown;
  readonly #write: (line: string) => void;
  readonly #everyMs: number;
  readonly #timers: Timers;

  constructor(write: (line: string) => void, opts: { everyMs?: number; timers?: Timers } = {}) {
    this.#write = write;
    this.#everyMs = opts.everyMs ?? 10_000;
    this.#timers = opts.timers ?? realTimers;
  }

  start(total: number): void {
    this.#total = total;
    if (total === 0 || this.#timer !== undefined) return;
    this.#timer = this.#timers.setInterval(() => {
      if (this.#done < this.#total) this.#write(`${this.#done}/${this.#total} changes done`);
    }, this.#everyMs);
  }

  settled(change: Change, outcome: ChangeOutcome, detail?: string): void {
    this.#done++;
    this.#write(changeLine(change, outcome, detail));
  }

  stop(): void {
    if (this.#timer !== undefined) this.#timers.clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
