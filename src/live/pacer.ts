/**
 * Client-side admission: per-operation pacing under Stream's rate limits, and a bound on requests in flight.
 *
 * Stream limits each endpoint per minute and, within that, per second at (per-minute limit / 30). stream-sync
 * sends at most its share of both (`EndpointBudget`: the share, and what other clients of the app leave), so 429s
 * stay the exception rather than the pacing mechanism, for stream-sync and for the app's own backend alike. Each
 * operation has its own budget, so different endpoints proceed in parallel. Limits come from the answers'
 * headers and GetRateLimits only: until an endpoint's limit is known, one request at a time probes it.
 *
 * The server counts a request when it arrives, somewhere between its grant here and its answer: network jitter
 * or a stalled event loop (ours or the server's) can move requests granted a second apart into one server
 * second. So a grant counts against the per-second share until a second after its answer (while it is in flight,
 * it may be counted at any moment): two requests then always land in different server seconds, whatever the
 * delays. For the same reason, requests still in flight are taken off the remaining budget an answer reports.
 */

import { type Signal, signal } from '../core/signal.js';
import { EndpointBudget, type WindowUsage } from './budget.js';

/** stream-sync's share of every endpoint's window unless told otherwise (`--rate-share`, `policy.rate_share`). */
export const DEFAULT_RATE_SHARE = 50;

export type Release = () => void;

/** Why a request waits: stream-sync's share of the window is used, what is left is others' reserve, or it is spent. */
export type WaitReason = 'share' | 'reserve' | 'spent';
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
  onWait?: (op: string, ms: number, why: WaitReason) => void;
  /** The percentage of every endpoint's window stream-sync may use (1–100). Default `DEFAULT_RATE_SHARE`. */
  share?: number;
  /** The server's clock minus this machine's, in ms: a Reset is converted with it. Default 0. */
  serverOffsetMs?: () => number;
}

/** A granted request: when it was granted, and when its answer arrived (undefined while in flight). */
interface Sent {
  at: number;
  answeredAt?: number;
}

interface OpState {
  /** The limit, the window, stream-sync's share of it and others' use. */
  budget: EndpointBudget;
  /** Grants that may still share a server second with a new one: in flight, or answered less than a window ago. */
  sent: Sent[];
  /** Resolves at this operation's next answer: a grant waiting on requests in flight wakes up then. */
  nextAnswer: Signal;
  /** No grant before this time (ms): the window's budget is spent, or the server refused (a per-second Reset). */
  blockedUntil: number;
  /** The end of the queue of this operation's waiting requests: grants are first come, first served. */
  tail: Promise<unknown>;
}

export const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** While waiting on requests in flight, look again at least this often (an answer also wakes the wait). */
const IN_FLIGHT_POLL_MS = 50;

export class Pacer {
  private readonly ops = new Map<string, OpState>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxResetWaitMs: number;
  private readonly windowMs: number;
  private readonly inFlightCapMs: number;
  private readonly onWait?: (op: string, ms: number, why: WaitReason) => void;
  private readonly serverOffsetMs: () => number;
  private share: number;

  constructor(opts: PacerOptions = {}) {
    this.onWait = opts.onWait;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? sleepMs;
    this.maxResetWaitMs = opts.maxResetWaitMs ?? 60_000;
    this.windowMs = 1_000 + (opts.windowMarginMs ?? 5);
    this.inFlightCapMs = opts.inFlightCapMs ?? 15_000;
    this.serverOffsetMs = opts.serverOffsetMs ?? (() => 0);
    this.share = checkShare(opts.share ?? DEFAULT_RATE_SHARE);
  }

  /** Changes stream-sync's share of every endpoint (a daemon's file may change it between runs). */
  setShare(percent: number): void {
    this.share = checkShare(percent);
    for (const st of this.ops.values()) st.budget.sharePercent = this.share;
  }

  /** The percentage of each window stream-sync may use. */
  get sharePercent(): number {
    return this.share;
  }

  /** Preloads per-minute limits (tests; GetRateLimits goes through `observe`). */
  seed(limits: Record<string, number>): void {
    for (const [op, limit] of Object.entries(limits)) if (limit > 0) this.state(op).budget.limit = limit;
  }

  /** The per-minute limit known for `op` (undefined before an answer or GetRateLimits has said). */
  limitOf(op: string): number | undefined {
    return this.state(op).budget.limit;
  }

  /** Requests of `op` allowed per second: its window allowance / 30, at least one (one at a time while unknown). */
  perSecond(op: string): number {
    return perSecondOf(this.state(op).budget.allowance(this.now()));
  }

  /** How many requests of `op` stream-sync may make in a window now (its share, or what others leave). */
  allowance(op: string): number | undefined {
    return this.state(op).budget.allowance(this.now());
  }

  /** Each endpoint's last complete window: its limit, stream-sync's requests and others'. */
  lastWindows(): WindowUsage[] {
    const t = this.now();
    return [...this.ops.values()].flatMap((st) => st.budget.lastWindow(t) ?? []);
  }

  /**
   * Learns from rate-limit headers: of an answer to one of stream-sync's requests (`answer`; errors included, Stream
   * sends them on every answer), of a 429 (`refusal`), or of GetRateLimits (`report`, the default).
   */
  observe(op: string, h: RateLimitHeaders, source: 'answer' | 'refusal' | 'report' = 'report'): void {
    const st = this.state(op);
    const t = this.now();
    const windowEnd = h.reset === undefined ? undefined : h.reset * 1000 - this.serverOffsetMs();
    const current = st.budget.observe(t, { limit: h.limit, remaining: h.remaining, windowEnd }, source, this.inFlight(st, t));
    // The window is spent (nothing left, less the requests in flight), or refused outright before any window is
    // known: no grant until it ends. A refusal once the window is known says nothing of it (the retry waits for its
    // Reset; a per-second refusal's is the next second).
    const spent = current ? (st.budget.remaining ?? 1) <= 0 : source === 'refusal' && h.remaining === 0 && st.budget.windowEnd === undefined;
    if (spent && windowEnd !== undefined) st.blockedUntil = Math.max(st.blockedUntil, Math.min(windowEnd, t + this.maxResetWaitMs));
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
        if (!wait.onAnswer) this.onWait?.(op, wait.ms, wait.why);
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
      st = { budget: new EndpointBudget(op, this.share), sent: [], nextAnswer: signal(), blockedUntil: 0, tail: Promise.resolve() };
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
   * How long `op` must wait at time `t`: until fewer than its per-second share of requests may have been counted
   * within the last second (`onAnswer`: one of them is in flight, so an answer can end the wait), until its window
   * allows another (its share used, or only others' reserve left), and past any block. While the limit is unknown,
   * one request at a time: its answer says the limit.
   */
  private delay(st: OpState, t: number): { ms: number; onAnswer: boolean; why: WaitReason } {
    const allowance = st.budget.allowance(t);
    const n = perSecondOf(allowance);
    st.sent = st.sent.filter((s) => this.countedBy(s, t) + this.windowMs > t);
    let windowWait = 0;
    let onAnswer = false;
    if (allowance === undefined) {
      // Unknown: one request at a time (no other spacing, in case the server never says).
      if (st.sent.some((s) => s.answeredAt === undefined)) {
        onAnswer = true;
        windowWait = Math.min(...st.sent.filter((s) => s.answeredAt === undefined).map((s) => s.at + this.inFlightCapMs)) - t;
      }
    } else if (st.sent.length >= n) {
      // The grant may go once all but n - 1 of these are a full second behind.
      const counted = st.sent.map((s) => this.countedBy(s, t)).sort((a, b) => a - b);
      const limiting = counted[st.sent.length - n]!;
      if (limiting === Number.POSITIVE_INFINITY) {
        onAnswer = true;
        windowWait = Math.min(...st.sent.filter((s) => s.answeredAt === undefined).map((s) => s.at + this.inFlightCapMs)) - t;
      } else windowWait = limiting + this.windowMs - t;
    }
    const budget = st.budget.wait(t);
    const budgetWait = Math.min(budget.ms, this.maxResetWaitMs);
    const ms = Math.max(0, windowWait, st.blockedUntil - t, budgetWait);
    return { ms, onAnswer: onAnswer && ms === windowWait, why: ms === budgetWait && budget.why ? budget.why : 'spent' };
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
    st.budget.take(t);
    const remaining = st.budget.remaining;
    if (remaining !== undefined && remaining <= 0 && st.budget.windowEnd !== undefined) {
      st.blockedUntil = Math.max(st.blockedUntil, Math.min(st.budget.windowEnd, t + this.maxResetWaitMs));
    }
    return sent;
  }
}

/** Stream counts each second at a thirtieth of the minute: so does stream-sync, of its own allowance (at least one). */
const perSecondOf = (allowance: number | undefined) => Math.max(1, Math.floor((allowance ?? 1) / 30));

function checkShare(percent: number): number {
  if (!Number.isFinite(percent) || percent <= 0 || percent > 100) throw new RangeError(`the rate share must be a percentage above 0 and at most 100, got ${percent}`);
  return percent;
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
