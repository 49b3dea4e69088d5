/**
 * Client-side admission: per-operation pacing under Stream's rate limits, and a bound on requests in flight.
 *
 * Stream limits each endpoint per minute and, within that, per second at (per-minute limit / 30). Sending
 * at most that per-second share keeps a run under both limits, so 429s stay the exception rather than the
 * pacing mechanism. Each operation has its own budget, so different endpoints proceed in parallel.
 *
 * The server counts a request when it arrives, somewhere between its grant here and its answer: network jitter
 * or a stalled event loop (ours or the server's) can move requests granted a second apart into one server
 * second. So a grant counts against the per-second share until a second after its answer (while it is in flight,
 * it may be counted at any moment): two requests then always land in different server seconds, whatever the
 * delays. For the same reason, requests still in flight are taken off the remaining budget an answer reports.
 */

import { type Signal, signal } from '../core/signal.js';

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

/**
 * A granted request. Call it when the request is over (answered, failed or abandoned): that also releases the
 * gate. `answered()` only records that an answer (of one attempt) has arrived.
 */
export interface Grant extends Release {
  answered(): void;
}

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
  /** Added to the one-second window after an answer: clock granularity. Default 5 ms. */
  windowMarginMs?: number;
  /**
   * How long a grant that is never reported over counts as in flight (a request cannot be in flight longer than
   * the client's timeout). Default 15 s.
   */
  inFlightCapMs?: number;
  /** A request is about to wait `ms` for its operation's budget (not counting waits on answers in flight). */
  onWait?: (op: string, ms: number) => void;
}

/** A granted request: when it was granted, and when its answer arrived (undefined while in flight). */
interface Sent {
  at: number;
  answeredAt?: number;
}

interface OpState {
  limit: number;
  /** Grants that may still share a server second with a new one: in flight, or answered less than a window ago. */
  sent: Sent[];
  /** Resolves at this operation's next answer: a grant waiting on requests in flight wakes up then. */
  nextAnswer: Signal;
  /** The server's remaining budget for the window ending at `resetAt` (ms), counted down locally between answers. */
  remaining?: number;
  resetAt?: number;
  /** No grant before this time (ms): the window's budget is spent. */
  blockedUntil: number;
  /** The end of the queue of this operation's waiting requests: grants are first come, first served. */
  tail: Promise<unknown>;
}

export const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** While waiting on requests in flight, look again at least this often (an answer also wakes the wait). */
const IN_FLIGHT_POLL_MS = 50;

export class Pacer {
  private readonly ops = new Map<string, OpState>();
  private readonly seeded = new Map<string, number>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxResetWaitMs: number;
  private readonly windowMs: number;
  private readonly inFlightCapMs: number;
  private readonly onWait?: (op: string, ms: number) => void;

  constructor(opts: PacerOptions = {}) {
    this.onWait = opts.onWait;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? sleepMs;
    this.maxResetWaitMs = opts.maxResetWaitMs ?? 60_000;
    this.windowMs = 1_000 + (opts.windowMarginMs ?? 5);
    this.inFlightCapMs = opts.inFlightCapMs ?? 15_000;
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
    // Requests in flight may not be in the server's count yet; they will be. An answer never raises what is left
    // of the same window: it may predate grants already counted down here.
    const left = h.remaining - this.inFlight(st, this.now());
    st.remaining = resetAt === st.resetAt && st.remaining !== undefined ? Math.min(st.remaining, left) : left;
    st.resetAt = resetAt;
    if (st.remaining <= 0) this.block(st, this.now());
  }

  /**
   * Waits for `op`'s turn and counts one request. `gate` (the concurrency bound) is entered only once the
   * pacing delay has passed, so a request waiting on its endpoint's budget holds no slot that another
   * endpoint could use; if the gate took long enough for the budget to change, the slot is given back and
   * the wait resumes. Turns are granted in arrival order. Returns the grant, which also releases the gate.
   */
  acquire(op: string, gate?: () => Promise<Release>): Promise<Grant> {
    const st = this.state(op);
    const turn = st.tail.then(() => this.turn(op, st, gate));
    st.tail = turn.then(noop, noop);
    return turn;
  }

  /**
   * The turn of a retry, whose request already holds its slot: it does not queue behind requests waiting for a
   * slot (one of them could be waiting for the very slot the retry holds), and counts against the same budget.
   */
  retryTurn(op: string): Promise<Grant> {
    return this.turn(op, this.state(op));
  }

  private async turn(op: string, st: OpState, gate?: () => Promise<Release>): Promise<Grant> {
    for (;;) {
      const wait = this.delay(st, this.now());
      if (wait.ms > 0) {
        // Waiting on a request in flight: its answer may come any moment, so wake up then (and look again soon).
        if (!wait.onAnswer) this.onWait?.(op, wait.ms);
        await (wait.onAnswer ? Promise.race([this.sleep(Math.min(wait.ms, IN_FLIGHT_POLL_MS)), st.nextAnswer.promise]) : this.sleep(wait.ms));
        continue;
      }
      const release = gate ? await gate() : noop;
      const t = this.now();
      // Checked and counted with no await in between: concurrent turns never overdraw the budget.
      if (this.delay(st, t).ms > 0) {
        release();
        continue;
      }
      const sent = this.take(st, t);
      const answered = () => this.answered(st, sent);
      return Object.assign(() => {
        answered();
        release();
      }, { answered });
    }
  }

  private state(op: string): OpState {
    let st = this.ops.get(op);
    if (!st) {
      st = { limit: this.seeded.get(op) ?? PUBLISHED_RATE_LIMITS[op] ?? DEFAULT_RATE_LIMIT, sent: [], nextAnswer: signal(), blockedUntil: 0, tail: Promise.resolve() };
      this.ops.set(op, st);
    }
    return st;
  }

  /** When a grant's request may last be counted by the server, as known at `t` (Infinity: any moment from now). */
  private countedBy(s: Sent, t: number): number {
    if (s.answeredAt !== undefined) return s.answeredAt;
    return t - s.at >= this.inFlightCapMs ? s.at + this.inFlightCapMs : Number.POSITIVE_INFINITY;
  }

  private inFlight(st: OpState, t: number): number {
    return st.sent.filter((s) => this.countedBy(s, t) === Number.POSITIVE_INFINITY).length;
  }

  /**
   * How long `op` must wait at time `t`: until fewer than the per-second share of its requests may have been
   * counted within the last window (`onAnswer`: one of them is in flight, so an answer can end the wait), and past
   * any block.
   */
  private delay(st: OpState, t: number): { ms: number; onAnswer: boolean } {
    const n = Math.max(1, Math.floor(st.limit / 30));
    st.sent = st.sent.filter((s) => this.countedBy(s, t) + this.windowMs > t);
    let windowWait = 0;
    let onAnswer = false;
    if (st.sent.length >= n) {
      // The grant may go once all but n - 1 of these are a full window behind.
      const counted = st.sent.map((s) => this.countedBy(s, t)).sort((a, b) => a - b);
      const limiting = counted[st.sent.length - n]!;
      if (limiting === Number.POSITIVE_INFINITY) {
        onAnswer = true;
        windowWait = Math.min(...st.sent.filter((s) => s.answeredAt === undefined).map((s) => s.at + this.inFlightCapMs)) - t;
      } else windowWait = limiting + this.windowMs - t;
    }
    const ms = Math.max(0, windowWait, st.blockedUntil - t);
    return { ms, onAnswer: onAnswer && ms === windowWait };
  }

  private answered(st: OpState, sent: Sent): void {
    if (sent.answeredAt !== undefined) return;
    sent.answeredAt = this.now();
    const current = st.nextAnswer;
    st.nextAnswer = signal();
    current.resolve();
  }

  private take(st: OpState, t: number): Sent {
    const sent: Sent = { at: t };
    st.sent.push(sent);
    if (st.resetAt === undefined || t >= st.resetAt) {
      // The window the last answer described is over: its budget no longer applies.
      st.remaining = undefined;
      return sent;
    }
    if (st.remaining !== undefined && --st.remaining <= 0) this.block(st, t);
    return sent;
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
