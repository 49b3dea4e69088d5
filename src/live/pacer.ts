/**
 * Client-side admission: per-operation pacing under Stream's rate limits, and a bound on requests in flight.
 *
 * Stream limits each endpoint per minute and, within that, per second at (per-minute limit / 30). Sending
 * at most that per-second share keeps a run under both limits, so 429s stay the exception rather than the
 * pacing mechanism. Each operation has its own budget, so different endpoints proceed in parallel.
 */

/**
 * Stream's published server-side per-minute limits. A copy, not an import of the emulator's table: the
 * reconciler and the emulator share no code, so a mistake in one cannot hide the same mistake in the other.
 */
export const PUBLISHED_RATE_LIMITS: Readonly<Record<string, number>> = {
  UpdateApp: 60,
  ListDevices: 60,
  CheckPush: 60,
  UpdateUsers: 300,
  UpdateUsersPartial: 300,
  CreateDevice: 300,
  QueryUsers: 1_000,
  GetApp: 10_000,
};
/** Stream publishes no number for the other endpoints; about 1,000 per minute is the documented guess. */
export const DEFAULT_RATE_LIMIT = 1_000;

export type Release = () => void;
const noop: Release = () => {};

/** The `X-RateLimit-*` values of one response (Reset in Unix seconds). */
export interface RateLimitHeaders {
  limit?: number;
  remaining?: number;
  reset?: number;
}

type HeaderValue = string | string[] | undefined;

export function readRateLimitHeaders(headers: Record<string, HeaderValue>): RateLimitHeaders {
  const num = (name: string) => {
    const raw = headers[name];
    const n = Number(Array.isArray(raw) ? raw[0] : raw);
    return raw === undefined || !Number.isFinite(n) ? undefined : n;
  };
  return { limit: num('x-ratelimit-limit'), remaining: num('x-ratelimit-remaining'), reset: num('x-ratelimit-reset') };
}

export interface PacerOptions {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * The longest wait an `X-RateLimit-Remaining: 0` imposes. Reset is the server's clock: a skewed clock or a
   * bogus header must not stall a run; an early request at worst meets a 429, which is retried.
   */
  maxResetWaitMs?: number;
  /**
   * Added to the one-second window. The server counts arrivals, not departures: network jitter can move two
   * requests sent a full second apart into the same server second.
   */
  windowMarginMs?: number;
}

interface OpState {
  limit: number;
  /** Send times of the latest grants, oldest first (at most the per-second share is kept). */
  grants: number[];
  /** The server's remaining budget for the window ending at `resetAt` (ms), counted down locally between answers. */
  remaining?: number;
  resetAt?: number;
  /** No grant before this time (ms): the window's budget is spent. */
  blockedUntil: number;
  /** The end of the queue of this operation's waiting requests: grants are first come, first served. */
  tail: Promise<unknown>;
}

export const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Pacer {
  private readonly ops = new Map<string, OpState>();
  private readonly seeded = new Map<string, number>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxResetWaitMs: number;
  private readonly windowMs: number;

  constructor(opts: PacerOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? sleepMs;
    this.maxResetWaitMs = opts.maxResetWaitMs ?? 60_000;
    this.windowMs = 1_000 + (opts.windowMarginMs ?? 50);
  }

  /** Preloads per-minute limits (from GetRateLimits), so the first burst is paced before any header is seen. */
  seed(limits: Record<string, number>): void {
    for (const [op, limit] of Object.entries(limits)) {
      if (!(limit > 0)) continue;
      this.seeded.set(op, limit);
      const st = this.ops.get(op);
      if (st) st.limit = limit;
    }
  }

  /** The per-minute limit currently assumed for `op`. */
  limitOf(op: string): number {
    return this.state(op).limit;
  }

  /** Requests of `op` allowed per second: the per-minute limit / 30, at least one. */
  perSecond(op: string): number {
    return Math.max(1, Math.floor(this.limitOf(op) / 30));
  }

  /** Learns from a response's rate-limit headers (errors included: Stream sends them on every answer). */
  observe(op: string, h: RateLimitHeaders): void {
    const st = this.state(op);
    if (h.limit !== undefined && h.limit > 0) st.limit = h.limit;
    if (h.remaining === undefined || h.reset === undefined) return;
    const resetAt = h.reset * 1000;
    // A reset earlier than the window we track is either an older answer or a per-second refusal (whose
    // Reset is the next second): it says nothing about the minute budget.
    if (st.resetAt !== undefined && resetAt < st.resetAt) return;
    st.resetAt = resetAt;
    st.remaining = h.remaining;
    if (h.remaining <= 0) this.block(st, this.now());
  }

  /**
   * Waits for `op`'s turn and counts one request. `gate` (the concurrency bound) is entered only once the
   * pacing delay has passed, so a request waiting on its endpoint's budget holds no slot that another
   * endpoint could use; if the gate took long enough for the budget to change, the slot is given back and
   * the wait resumes. Returns the gate's release.
   */
  acquire(op: string, gate?: () => Promise<Release>): Promise<Release> {
    const st = this.state(op);
    const turn = st.tail.then(async () => {
      for (;;) {
        const wait = this.delay(st, this.now());
        if (wait > 0) {
          await this.sleep(wait);
          continue;
        }
        const release = gate ? await gate() : noop;
        const t = this.now();
        if (this.delay(st, t) > 0) {
          release();
          continue;
        }
        this.take(st, t);
        return release;
      }
    });
    st.tail = turn.then(noop, noop);
    return turn;
  }

  private state(op: string): OpState {
    let st = this.ops.get(op);
    if (!st) {
      st = { limit: this.seeded.get(op) ?? PUBLISHED_RATE_LIMITS[op] ?? DEFAULT_RATE_LIMIT, grants: [], blockedUntil: 0, tail: Promise.resolve() };
      this.ops.set(op, st);
    }
    return st;
  }

  /** How long `op` must wait at time `t`: until the oldest of the last per-second share leaves the window, and past any block. */
  private delay(st: OpState, t: number): number {
    const n = Math.max(1, Math.floor(st.limit / 30));
    const windowWait = st.grants.length >= n ? st.grants[st.grants.length - n]! + this.windowMs - t : 0;
    return Math.max(0, windowWait, st.blockedUntil - t);
  }

  private take(st: OpState, t: number): void {
    st.grants.push(t);
    const n = Math.max(1, Math.floor(st.limit / 30));
    if (st.grants.length > n) st.grants.splice(0, st.grants.length - n);
    if (st.resetAt === undefined || t >= st.resetAt) {
      // The window the last answer described is over: its budget no longer applies.
      st.remaining = undefined;
      return;
    }
    if (st.remaining !== undefined && --st.remaining <= 0) this.block(st, t);
  }

  private block(st: OpState, t: number): void {
    st.blockedUntil = Math.max(st.blockedUntil, Math.min(st.resetAt ?? t, t + this.maxResetWaitMs));
  }
}

/** A counting semaphore: at most `size` holders; waiters are served in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly size: number) {}

  async acquire(): Promise<Release> {
    if (this.active < this.size) this.active++;
    // The releasing holder hands its slot straight to the next waiter, so `active` stays as it is.
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    };
  }
}
