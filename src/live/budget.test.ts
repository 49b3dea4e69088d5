import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EndpointBudget, WINDOW_MS } from './budget.js';
import { Pacer } from './pacer.js';

const T0 = 1_700_000_040_000; // 40 s into a minute

describe('EndpointBudget', () => {
  it('allows its share of the window, then waits for the next window', () => {
    const b = new EndpointBudget('GetUserGroup', 50);
    const end = T0 + 20_000;
    b.observe(T0, { limit: 1_000, remaining: 1_000, windowEnd: end }, 'report', 0);
    expect(b.allowance(T0)).toBe(500);
    for (let i = 0; i < 500; i++) {
      expect(b.waitMs(T0 + i)).toBe(0);
      b.take(T0 + i);
    }
    expect(b.waitMs(T0 + 500)).toBe(end - (T0 + 500));
    // The next window is whole again.
    expect(b.waitMs(end)).toBe(0);
  });

  it('counts as others what the server counted beyond its own answers, and leaves their pace (with a margin) free', () => {
    const b = new EndpointBudget('QueryUsers', 100);
    const end = T0 + 20_000;
    // Others take 10 a second (600 a minute); stream-sync sends nothing meanwhile.
    for (let s = 0; s <= 10; s++) b.observe(T0 + s * 1_000, { limit: 1_000, remaining: 1_000 - 10 * s, windowEnd: end }, 'report', 0);
    const t = T0 + 10_000;
    expect(b.othersRate(t) * 1_000).toBeCloseTo(10, 5);
    // Their pace over a whole window, with 10 % more and 2 % of the limit, is 680: 320 are left for stream-sync,
    // whatever its share.
    expect(b.allowance(t)).toBe(320);
    // What they still need this window (10 s × 10/s × 1.1 + 20, + 1) is never taken.
    expect(b.reserve(t)).toBe(131);
    expect(b.remaining).toBe(900);
    let granted = 0;
    while (b.waitMs(t) === 0) {
      b.take(t);
      granted++;
    }
    expect(granted).toBe(320);
  });

  it('stops short of the reserve when others have used the window up', () => {
    const b = new EndpointBudget('QueryUsers', 100);
    const end = T0 + 20_000;
    for (let s = 0; s <= 10; s++) b.observe(T0 + s * 1_000, { limit: 1_000, remaining: 1_000 - 85 * s, windowEnd: end }, 'report', 0);
    const t = T0 + 10_000;
    // 150 left; others need 10 s × 85/s × 1.1 + 20 + 1 = 956 more: nothing for stream-sync until the window ends.
    expect(b.remaining).toBe(150);
    expect(b.waitMs(t)).toBeGreaterThan(0);
    expect(b.waitMs(t)).toBeLessThanOrEqual(1_000);
  });

  it('does not take its own answers, or a 429, for others', () => {
    const b = new EndpointBudget('UpdateUsers', 50);
    const end = T0 + 20_000;
    b.observe(T0, { limit: 300, remaining: 300, windowEnd: end }, 'report', 0);
    for (let i = 1; i <= 20; i++) {
      b.take(T0 + i * 500);
      b.observe(T0 + i * 500 + 20, { limit: 300, remaining: 300 - i, windowEnd: end }, 'answer', 0);
    }
    b.observe(T0 + 10_500, { limit: 300, remaining: 0, windowEnd: end }, 'refusal', 0);
    expect(b.othersRate(T0 + 10_500)).toBe(0);
    expect(b.allowance(T0 + 10_500)).toBe(150);
    expect(b.lastWindow(end + 1)).toEqual({ op: 'UpdateUsers', limit: 300, own: 20, others: 0, windowEnd: end });
  });

  it('takes a burst that is over (the run before this one, in the same window) for others for seconds, not for the window', () => {
    const b = new EndpointBudget('GetUserGroup', 50);
    const windowStart = T0 - 40_000;
    const end = windowStart + WINDOW_MS;
    // 20 s into the window, 300 used by someone who has stopped since.
    const start = windowStart + 20_000;
    b.observe(start, { limit: 1_000, remaining: 700, windowEnd: end }, 'report', 0);
    expect(b.allowance(start)).toBe(1);
    let remaining = 700;
    let sent = 0;
    let t = start;
    for (; t < start + 10_000; t += 50) {
      if (b.waitMs(t) > 0) continue;
      b.take(t);
      sent++;
      b.observe(t + 20, { limit: 1_000, remaining: --remaining, windowEnd: end }, 'answer', 0);
    }
    // Within 10 s the pace of the others is measured (nothing): the whole share again.
    expect(b.allowance(t)).toBe(500);
    expect(sent).toBeGreaterThan(5);
  });

  it('does not carry a guess into the next window: a window used up by a run before this one leaves the next one whole', () => {
    const b = new EndpointBudget('GetUserGroup', 50);
    const windowStart = T0 - 40_000;
    const end = windowStart + WINDOW_MS;
    b.observe(windowStart + 20_000, { limit: 1_000, remaining: 0, windowEnd: end }, 'report', 0);
    expect(b.allowance(windowStart + 20_000)).toBe(1);
    // The next window: the first answer shows nobody else using it.
    b.take(end + 100);
    b.observe(end + 120, { limit: 1_000, remaining: 999, windowEnd: end + WINDOW_MS }, 'answer', 0);
    expect(b.allowance(end + 120)).toBe(500);
    expect(b.waitMs(end + 120)).toBe(0);
  });

  it('counts what an earlier run used of the window it starts in (beyond the others\' pace) against its share: runs in a row keep to it together', () => {
    const b = new EndpointBudget('GetUserGroup', 50);
    const windowStart = T0 - 40_000;
    const end = windowStart + WINDOW_MS;
    // 20 s into the window: 400 used, by a plan that has just ended; nobody else uses the endpoint.
    let t = windowStart + 20_000;
    b.observe(t, { limit: 1_000, remaining: 600, windowEnd: end }, 'report', 0);
    let remaining = 600;
    let sent = 0;
    for (; t < end - 100; t += 25) {
      if (b.waitMs(t) > 0) continue;
      b.take(t);
      sent++;
      b.observe(t + 20, { limit: 1_000, remaining: --remaining, windowEnd: end }, 'answer', 0);
    }
    // 400 + 100 = the share of the window.
    expect(sent).toBe(100);
  });

  it('keeps counting the same window when its end moves with a new estimate of Stream\'s clock (a local clock that stepped)', () => {
    const b = new EndpointBudget('QueryUsers', 50);
    const end = T0 + 20_000;
    for (let s = 0; s <= 10; s++) b.observe(T0 + s * 1_000, { limit: 1_000, remaining: 1_000 - 85 * s, windowEnd: end }, 'report', 0);
    // The same window, its end now seen 3 s earlier: still the others' pace and what is left, not a window ignored.
    const moved = end - 3_000;
    expect(b.observe(T0 + 11_000, { limit: 1_000, remaining: 65, windowEnd: moved }, 'report', 0)).toBe(true);
    expect(b.remaining).toBe(65);
    expect(b.windowEnd).toBe(moved);
    expect(b.othersRate(T0 + 11_000) * 1_000).toBeCloseTo(85, 0);
    expect(b.waitMs(T0 + 11_000)).toBeGreaterThan(0);
  });

  it('uses the whole-number share of the limit: 29 % of 100 is 29', () => {
    const b = new EndpointBudget('UpdateApp', 29);
    b.observe(T0, { limit: 100, remaining: 100, windowEnd: T0 + 20_000 }, 'report', 0);
    expect(b.allowance(T0)).toBe(29);
  });

  it('follows a lowered limit at once', () => {
    const b = new EndpointBudget('UpdateUsers', 50);
    b.observe(T0, { limit: 300, remaining: 300, windowEnd: T0 + 20_000 }, 'report', 0);
    expect(b.allowance(T0)).toBe(150);
    b.observe(T0 + 1, { limit: 100, remaining: 80, windowEnd: T0 + 20_000 }, 'report', 0);
    expect(b.allowance(T0 + 1)).toBe(50);
  });
});

/**
 * A simulated app: Stream's fixed windows (per minute, and per second at a thirtieth), a steady backend sending
 * `backendShare` of the limit evenly, and stream-sync's real Pacer with 8 workers sending as fast as it allows, on a
 * simulated clock. Returns what each client got.
 */
async function simulate(fullLimit: number, share: number, backendShare: number, minutes: number, lowered?: { after: number; scale: number }) {
  let limit = fullLimit;
  let now = T0;
  const timers: { at: number; fire: () => void }[] = [];
  const at = (ms: number, fire: () => void) => timers.push({ at: now + Math.max(0, ms), fire });
  const sleep = (ms: number) => new Promise<void>((resolve) => at(ms, resolve));
  const server = { minute: -1, minuteCount: 0, second: -1, secondCount: 0 };
  const admit = () => {
    const minute = Math.floor(now / WINDOW_MS);
    const second = Math.floor(now / 1_000);
    if (minute !== server.minute) Object.assign(server, { minute, minuteCount: 0 });
    if (second !== server.second) Object.assign(server, { second, secondCount: 0 });
    const reset = (minute + 1) * 60;
    if (server.minuteCount >= limit || server.secondCount >= Math.floor(limit / 30)) return { ok: false, limit, remaining: 0, reset };
    server.minuteCount++;
    server.secondCount++;
    return { ok: true, limit, remaining: limit - server.minuteCount, reset };
  };
  const backend = { sent: 0, refused: 0, before: 0 };
  const ours = { sent: 0, refused: 0, perWindow: new Map<number, number>() };
  const end = T0 + 30_000 + minutes * WINDOW_MS;
  /** Fires the timers in time order until `done` (letting promise chains run in between). */
  async function runUntil(done: () => boolean) {
    while (!done()) {
      for (let i = 0; i < 5; i++) await Promise.resolve();
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (!next) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      now = Math.max(now, next.at);
      next.fire();
    }
  }
  const gap = WINDOW_MS / (fullLimit * backendShare);
  // The backend has been running for 30 s when stream-sync starts (and reads GetRateLimits).
  const start = now + 30_000;
  if (backendShare > 0) {
    const tick = () => {
      if (now >= end) return;
      backend.sent++;
      if (!admit().ok) backend.refused++;
      at(gap, tick);
    };
    at(0, tick);
  }
  at(30_000, () => {});
  await runUntil(() => now >= start);
  const pacer = new Pacer({ now: () => now, sleep, share: share * 100 });
  // Stream lowers the limit under load; the backend keeps its pace.
  if (lowered) at(lowered.after, () => (limit = Math.floor(fullLimit * lowered.scale)));
  const report = admit();
  server.minuteCount--;
  server.secondCount--;
  pacer.observe('Op', { limit, remaining: report.remaining + 1, reset: report.reset });
  const worker = async () => {
    while (now < end) {
      const grant = await pacer.acquire('Op');
      if (now >= end) return grant();
      const answer = admit();
      ours.sent++;
      if (answer.ok) ours.perWindow.set(Math.floor(now / WINDOW_MS), (ours.perWindow.get(Math.floor(now / WINDOW_MS)) ?? 0) + 1);
      else ours.refused++;
      await sleep(20);
      grant.answered();
      pacer.observe('Op', { limit: answer.limit, remaining: answer.remaining, reset: answer.reset }, answer.ok ? 'answer' : 'refusal');
      grant();
    }
  };
  const workers = Promise.all(Array.from({ length: 8 }, worker));
  let done = false;
  void workers.then(() => (done = true));
  await runUntil(() => done);
  return { backend, ours, start, end };
}

describe('Pacer sharing an endpoint with the app backend (simulated clock)', () => {
  it('at the default share, next to a backend at 40 %: the backend is never refused and stream-sync gets its half', async () => {
    const { backend, ours, start, end } = await simulate(1_000, 0.5, 0.4, 4);
    expect(backend.refused).toBe(0);
    expect(ours.refused).toBe(0);
    // Every whole window: at most its share, and close to it.
    const whole = [...ours.perWindow.entries()].filter(([w]) => w * WINDOW_MS >= start && (w + 1) * WINDOW_MS <= end);
    expect(whole.length).toBeGreaterThanOrEqual(3);
    for (const [, n] of whole) {
      expect(n).toBeLessThanOrEqual(500);
      expect(n).toBeGreaterThanOrEqual(480);
    }
  });

  it('keeps going when Stream halves the limit under a backend that keeps its pace (80 % of the new limit): what is left, without refusals once it knows', async () => {
    const { ours, start, end } = await simulate(1_000, 0.5, 0.4, 4, { after: 30_000, scale: 0.5 });
    const after = [...ours.perWindow.entries()].filter(([w]) => w * WINDOW_MS >= start + WINDOW_MS && (w + 1) * WINDOW_MS <= end);
    expect(after.length).toBeGreaterThanOrEqual(2);
    // 500 - 400 × 1.1 - 10 = 50 a window.
    for (const [, n] of after) {
      expect(n).toBeGreaterThanOrEqual(40);
      expect(n).toBeLessThanOrEqual(100);
    }
  });

  it('whatever the share and the backend pace (up to 90 %), the backend is never refused and stream-sync never takes more than its share', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 5, max: 100 }), fc.integer({ min: 0, max: 90 }), fc.constantFrom(300, 1_000), async (sharePct, backendPct, limit) => {
        const { backend, ours } = await simulate(limit, sharePct / 100, backendPct / 100, 3);
        expect(backend.refused).toBe(0);
        for (const n of ours.perWindow.values()) expect(n).toBeLessThanOrEqual(Math.floor((limit * sharePct) / 100));
      }),
      { numRuns: 15 },
    );
  }, 60_000);
});
