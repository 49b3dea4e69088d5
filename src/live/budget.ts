/**
 * One endpoint's rate budget as stream-sync sees it: the per-minute limit and the current window, learnt only from
 * Stream's answers (`X-RateLimit-*`, GetRateLimits), never from a table; how much of the window stream-sync may use
 * (its share); and how much other clients of the app (the customer's own backend) are using it.
 *
 * Stream's server-side budget is per app and per endpoint, shared by every server-side client. stream-sync takes at
 * most `share` of each window, and less when others need more: an answer's `X-RateLimit-Remaining` falling faster
 * than stream-sync's own requests explain is others' use. Their pace (requests per second, over the last seconds of
 * the window) says what they will still need before the window ends: stream-sync keeps that much, with a margin,
 * free (the reserve), and never takes `remaining` below it.
 *
 * Times are this machine's milliseconds; a window's end (`Reset`, the server's clock) is converted by the caller.
 */

/** Stream's documented window: one minute. A window is assumed to follow the last one known until an answer says. */
export const WINDOW_MS = 60_000;
/** Others' pace is measured over at most this span of answers … */
const RATE_SPAN_MS = 20_000;
/** … and at least this one: a shorter span is noise (the requests in flight blur who used what). */
const MIN_RATE_SPAN_MS = 5_000;
/**
 * What others are expected to need is kept free with a margin: 10 % of their pace (it is measured over seconds, and
 * varies), and 2 % of the limit (for a pace just measured as nothing, and for the requests in flight that blur it).
 * Proportional alone, it would leave stream-sync nothing next to a backend near the limit (a limit Stream lowers
 * under load); absolute alone, it would not grow with a busy backend.
 */
const PACE_MARGIN = 1.1;
const LIMIT_MARGIN = 0.02;

/** One window's use of an endpoint, for the metric and the report. */
export interface WindowUsage {
  op: string;
  /** The window's per-minute limit. */
  limit: number;
  /** stream-sync's requests granted in the window. */
  own: number;
  /** Other clients' requests in the window, as the answers showed (a lower bound). */
  others: number;
  /** When the window ended (or ends), ms on this machine's clock. */
  windowEnd: number;
}

interface Sample {
  at: number;
  others: number;
}

export class EndpointBudget {
  /** The per-minute limit; undefined until an answer or GetRateLimits says (the first request is then a probe). */
  limit?: number;
  /** The end of the current window (ms, this machine's clock), as the last answer said. */
  windowEnd?: number;
  /** The server's remaining budget for the window ending at `windowEnd`, counted down locally between answers. */
  remaining?: number;
  /** When stream-sync's own requests were granted (the last two windows' worth), oldest first. */
  private readonly grants: number[] = [];
  /** stream-sync's answers the server counted, by window end. */
  private readonly answered = new Map<number, number>();
  /** The most others have been seen to use, by window end (a lower bound: it only grows). */
  private readonly othersIn = new Map<number, number>();
  /** Others' use of the current window over its last seconds. */
  private samples: Sample[] = [];
  /** Others' pace (per ms) measured at the end of the window before: the estimate until this one has enough answers. */
  private carriedRate?: number;
  /**
   * What the first answer this client saw said was used of its window before it started: the app's other clients, or
   * an earlier stream-sync run (a plan before an apply) in the same minute. The part of it their pace does not explain
   * counts against stream-sync's share of that window, so that runs in a row keep to the share together.
   */
  private before?: { windowEnd: number; at: number; used: number };

  constructor(
    readonly op: string,
    /** Of every window, the percentage stream-sync may use (1–100). */
    public sharePercent: number,
  ) {}

  /**
   * Learns from rate-limit headers: of an answer to one of stream-sync's requests (`answer`: the server counted it),
   * of a refusal (`refusal`, a 429: it says the limit, but its Remaining is 0 whichever window refused it, so it
   * counts nothing), or of GetRateLimits (`report`). `inFlight`: stream-sync's requests still unanswered. Returns
   * whether the headers describe the current window (false for an older one, or a refusal).
   */
  observe(t: number, h: { limit?: number; remaining?: number; windowEnd?: number }, source: 'answer' | 'refusal' | 'report', inFlight: number): boolean {
    if (h.limit !== undefined && h.limit > 0) this.limit = h.limit;
    if (source === 'refusal' || h.remaining === undefined || h.windowEnd === undefined) return false;
    this.advance(t);
    if (this.windowEnd === undefined || h.windowEnd >= this.windowEnd + WINDOW_MS / 2) this.startWindow(h.windowEnd);
    // Half a window or more earlier than the window tracked: an older answer. It says nothing about this window.
    else if (h.windowEnd <= this.windowEnd - WINDOW_MS / 2) return false;
    // The same window, its end seen through a changed estimate of Stream's clock (a local clock that stepped).
    else if (h.windowEnd !== this.windowEnd) this.rekey(h.windowEnd);
    const end = h.windowEnd;
    if (source === 'answer') this.answered.set(end, (this.answered.get(end) ?? 0) + 1);
    // What the server counted that is not ours: its count, less our answered requests, less those in flight (the
    // server may have counted them already). Never less than seen before: others' use only grows within a window.
    const used = (this.limit ?? h.remaining) - h.remaining;
    const others = Math.max(this.othersIn.get(end) ?? 0, used - (this.answered.get(end) ?? 0) - inFlight);
    this.othersIn.set(end, others);
    this.before ??= { windowEnd: end, at: t, used: others };
    this.samples.push({ at: t, others });
    while (this.samples.length > 2 && this.samples[1]!.at <= t - RATE_SPAN_MS) this.samples.shift();
    // Requests in flight will take from what is left; an answer never raises what is left of the same window (it may
    // predate grants already counted down here).
    const left = h.remaining - inFlight;
    this.remaining = this.remaining === undefined ? left : Math.min(this.remaining, left);
    return true;
  }

  /** Counts one of stream-sync's requests, granted at `t`. */
  take(t: number): void {
    this.advance(t);
    this.grants.push(t);
    while (this.grants.length && this.grants[0]! <= t - 2 * WINDOW_MS) this.grants.shift();
    if (this.remaining !== undefined) this.remaining--;
  }

  /** Others' pace, in requests per ms: over the last seconds of this window, or the pace at the end of the last. */
  othersRate(t: number): number {
    this.advance(t);
    return this.pace(t).rate;
  }

  /**
   * Others' pace, and whether it was measured (two answers at least 5 s apart in this window, or at the end of the
   * last one) or is the first guess of a run: others' average since the window began, as of now. The guess may
   * include a burst that is over (the run before this one): that costs stream-sync a few seconds, and the guess
   * falls as time passes; assuming nothing could cost the backend a refused request.
   */
  private pace(t: number): { rate: number; measured: boolean } {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (first && last && last.at - first.at >= MIN_RATE_SPAN_MS) return { rate: Math.max(0, (last.others - first.others) / (last.at - first.at)), measured: true };
    if (this.carriedRate !== undefined) return { rate: this.carriedRate, measured: true };
    if (!first || this.windowEnd === undefined) return { rate: 0, measured: false };
    return { rate: first.others / Math.max(MIN_RATE_SPAN_MS, t - (this.windowEnd - WINDOW_MS)), measured: false };
  }

  /**
   * How many requests stream-sync may make in a window now: its share of the limit, or what others leave (their
   * pace over a whole window, with the margins), whichever is less; at least one. Undefined while the limit is unknown.
   */
  allowance(t: number): number | undefined {
    if (this.limit === undefined) return undefined;
    const mine = this.shareOfLimit();
    const rate = this.othersRate(t);
    if (rate <= 0) return Math.max(1, mine);
    return Math.max(1, Math.min(mine, this.limit - this.othersNeed(rate, WINDOW_MS)));
  }

  /** What must stay unused of the current window for others until it ends: their pace to the end, with the margins. */
  reserve(t: number): number {
    const rate = this.othersRate(t);
    if (rate <= 0 || this.windowEnd === undefined) return 0;
    return this.othersNeed(rate, Math.max(0, this.windowEnd - t)) + 1;
  }

  private shareOfLimit(): number {
    return Math.floor((this.limit! * this.sharePercent) / 100);
  }

  private othersNeed(rate: number, ms: number): number {
    return Math.ceil(rate * ms * PACE_MARGIN + this.limit! * LIMIT_MARGIN);
  }

  /** stream-sync's requests granted in the window that ends at `end`. */
  ownIn(end: number): number {
    let n = 0;
    for (let i = this.grants.length - 1; i >= 0 && this.grants[i]! >= end - WINDOW_MS; i--) if (this.grants[i]! < end) n++;
    return n;
  }

  /**
   * How long a request must wait at `t` for the window: until the next window when stream-sync's share of this one
   * is used, or a little while when what is left is others' reserve. 0: it may go.
   */
  waitMs(t: number): number {
    return this.wait(t).ms;
  }

  /** As `waitMs`, with why: stream-sync's share is used, or what is left is others' reserve. */
  wait(t: number): { ms: number; why?: 'share' | 'reserve' } {
    this.advance(t);
    const allowance = this.allowance(t);
    if (allowance === undefined || this.windowEnd === undefined) return { ms: 0 };
    // Capped: a window end on a clock far off this one's must not stall a run.
    const untilEnd = Math.min(WINDOW_MS, Math.max(0, this.windowEnd - t));
    if (this.ownIn(this.windowEnd) + this.earlierRun(t) >= allowance) {
      // Its whole share is used: until the next window.
      if (allowance >= this.shareOfLimit()) return { ms: Math.max(1, untilEnd), why: 'share' };
      // Less, because others need more. Only answers tell their pace: while it is a guess, one request a second
      // (within the reserve below) measures it; once measured, it is looked at again every second.
      if (this.pace(t).measured) return { ms: Math.max(1, Math.min(untilEnd, 1_000)), why: 'share' };
      const sinceLast = t - (this.grants[this.grants.length - 1] ?? Number.NEGATIVE_INFINITY);
      if (sinceLast < 1_000) return { ms: Math.max(1, Math.min(untilEnd, 1_000 - sinceLast)), why: 'share' };
    }
    // Others' reserve shrinks as the window runs out (and their next answers may show them slower): look again soon.
    const reserve = this.reserve(t);
    if (reserve > 0 && this.remaining !== undefined && this.remaining - 1 < reserve) return { ms: Math.max(1, Math.min(untilEnd, 1_000)), why: 'reserve' };
    return { ms: 0 };
  }

  /** Of what was used before this client started, in its first window, what others' pace does not explain. */
  private earlierRun(t: number): number {
    const b = this.before;
    if (!b || b.windowEnd !== this.windowEnd) return 0;
    return Math.max(0, Math.floor(b.used - this.pace(t).rate * (b.at - (b.windowEnd - WINDOW_MS))));
  }

  /** The last window that has ended (undefined before one has). */
  lastWindow(t: number): WindowUsage | undefined {
    this.advance(t);
    if (this.windowEnd === undefined || this.limit === undefined) return undefined;
    const end = this.windowEnd - WINDOW_MS;
    return { op: this.op, limit: this.limit, own: this.ownIn(end), others: this.othersIn.get(end) ?? 0, windowEnd: end };
  }

  /**
   * Past the window's end, the next one is assumed to follow at once, with all of its budget left (none seen yet). A
   * window ending more than a window from now is a clock that stepped back: it is taken to end within the next one.
   */
  private advance(t: number): void {
    if (this.windowEnd === undefined) return;
    if (this.windowEnd - t > WINDOW_MS) this.rekey(t + ((this.windowEnd - t) % WINDOW_MS || WINDOW_MS));
    if (t < this.windowEnd) return;
    let end = this.windowEnd;
    while (end <= t) end += WINDOW_MS;
    this.startWindow(end);
  }

  /** The current window's end, moved (Stream's clock estimated anew): what was counted for it moves with it. */
  private rekey(end: number): void {
    const old = this.windowEnd!;
    for (const m of [this.answered, this.othersIn]) {
      const n = m.get(old);
      m.delete(old);
      if (n !== undefined) m.set(end, n);
    }
    if (this.before?.windowEnd === old) this.before.windowEnd = end;
    this.windowEnd = end;
  }

  private startWindow(end: number): void {
    const consecutive = this.windowEnd !== undefined && end - this.windowEnd <= WINDOW_MS;
    // The pace others kept at the end of the window before is the best guess until this one has enough answers.
    const pace = consecutive ? this.pace(this.windowEnd!) : undefined;
    this.carriedRate = pace?.measured ? pace.rate : undefined;
    this.windowEnd = end;
    this.remaining = undefined;
    this.samples = [];
    for (const m of [this.answered, this.othersIn]) for (const k of m.keys()) if (k < end - 2 * WINDOW_MS) m.delete(k);
  }
}
