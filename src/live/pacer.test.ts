import { describe, expect, it } from 'vitest';
import { Pacer, readRateLimitHeaders, Semaphore } from './pacer.js';

/** A fake clock whose sleep advances time instantly, so pacing is tested without waiting. */
function fakeClock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), advance: (ms: number) => void (t += ms) };
}

/** The largest number of grants inside any window of `windowMs` starting at a grant. */
function maxInWindow(times: number[], windowMs = 1_000): number {
  let max = 0;
  for (const start of times) max = Math.max(max, times.filter((x) => x >= start && x < start + windowMs).length);
  return max;
}

async function grantTimes(pacer: Pacer, op: string, n: number, now: () => number): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(Array.from({ length: n }, () => pacer.acquire(op).then(() => times.push(now()))));
  return times;
}

describe('Pacer', () => {
  it('never grants more than the per-second cap (limit / 30) in any one-second window, with the whole budget', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ ...clock, share: 100 });
    pacer.seed({ UpdateApp: 60, QueryUsers: 1_000 });
    const updates = await grantTimes(pacer, 'UpdateApp', 11, clock.now);
    expect(updates).toHaveLength(11);
    expect(maxInWindow(updates)).toBe(2);
    const queries = await grantTimes(pacer, 'QueryUsers', 100, clock.now);
    expect(maxInWindow(queries)).toBe(33);
  });

  it('assumes no limit from a table: one request at a time until an answer says the limit', async () => {
    const clock = fakeClock();
    // Real sleeps on a clock that stands still: the probe stays in flight until it is answered.
    const pacer = new Pacer({ now: clock.now });
    expect(pacer.limitOf('UpdateApp')).toBeUndefined();
    const probe = await pacer.acquire('UpdateApp');
    let second = false;
    const next = pacer.acquire('UpdateApp').then((g) => ((second = true), g));
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBe(false);
    pacer.observe('UpdateApp', { limit: 600, remaining: 599, reset: Math.floor(clock.now() / 1000) + 30 }, 'answer');
    probe();
    (await next)();
    expect(pacer.limitOf('UpdateApp')).toBe(600);
    // Half of 600 a minute (the default share), a thirtieth of that a second.
    expect(pacer.perSecond('UpdateApp')).toBe(10);
  });

  it('follows the latest X-RateLimit-Limit, with at least one request per second', () => {
    const pacer = new Pacer({ share: 100 });
    pacer.observe('GetApp', { limit: 90 });
    expect(pacer.perSecond('GetApp')).toBe(3);
    pacer.observe('GetApp', { limit: 10 });
    expect(pacer.perSecond('GetApp')).toBe(1);
  });

  it('waits until Reset once X-RateLimit-Remaining reaches 0', async () => {
    const clock = fakeClock(1_000_000_000);
    const pacer = new Pacer(clock);
    await pacer.acquire('CreateRole');
    pacer.observe('CreateRole', { limit: 1_000, remaining: 0, reset: 1_000_030 });
    await pacer.acquire('CreateRole');
    expect(clock.now()).toBe(1_000_030_000);
  });

  it('counts the remaining budget down between answers', async () => {
    const clock = fakeClock(1_000_000_000);
    const pacer = new Pacer({ ...clock, share: 100 });
    // 3 a second; the window ends in 40 s and had 90 left when the last answer came.
    pacer.observe('CreateRole', { limit: 90, remaining: 90, reset: 1_000_040 });
    for (let i = 0; i < 90; i++) (await pacer.acquire('CreateRole'))();
    expect(clock.now()).toBeLessThan(1_000_040_000);
    await pacer.acquire('CreateRole');
    expect(clock.now()).toBe(1_000_040_000);
  });

  it('caps the wait for Reset, so a skewed clock or a bogus header cannot stall a run', async () => {
    const clock = fakeClock(1_000_000_000);
    const pacer = new Pacer({ ...clock, maxResetWaitMs: 5_000 });
    pacer.observe('CreateRole', { remaining: 0, reset: 1_003_600 });
    await pacer.acquire('CreateRole');
    expect(clock.now()).toBe(1_000_005_000);
  });

  it('ignores the earlier Reset of a per-second refusal once the minute window is known', async () => {
    const clock = fakeClock(1_000_000_000);
    const pacer = new Pacer(clock);
    pacer.observe('CreateRole', { remaining: 500, reset: 1_000_060 });
    pacer.observe('CreateRole', { remaining: 0, reset: 1_000_001 });
    await pacer.acquire('CreateRole');
    expect(clock.now()).toBe(1_000_000_000);
  });

  it('counts a request against the per-second share until a second after its answer, however long it was in flight', async () => {
    const clock = fakeClock(1_000_000_000_000);
    const pacer = new Pacer({ ...clock, windowMarginMs: 5 });
    pacer.seed({ UpdateApp: 30 });
    const first = await pacer.acquire('UpdateApp');
    // Answered 2 s later: the server may have counted it at any moment until then.
    clock.advance(2_000);
    first.answered();
    await pacer.acquire('UpdateApp');
    expect(clock.now()).toBe(1_000_000_000_000 + 2_000 + 1_005);
  });

  it('counts a request never reported over as in flight no longer than the cap (the client timeout)', async () => {
    const clock = fakeClock(1_000_000_000_000);
    const pacer = new Pacer({ ...clock, windowMarginMs: 5, inFlightCapMs: 3_000 });
    pacer.seed({ UpdateApp: 30 });
    await pacer.acquire('UpdateApp');
    await pacer.acquire('UpdateApp');
    expect(clock.now()).toBe(1_000_000_000_000 + 3_000 + 1_005);
  });

  it('takes the requests still in flight off the remaining budget an answer reports', async () => {
    const clock = fakeClock(1_000_000_000);
    const pacer = new Pacer(clock);
    pacer.seed({ CreateRole: 1_000 });
    const inFlight = [await pacer.acquire('CreateRole'), await pacer.acquire('CreateRole')];
    // The server had 2 left when it answered an earlier request: the two in flight will take them.
    pacer.observe('CreateRole', { limit: 1_000, remaining: 2, reset: 1_000_030 });
    await pacer.acquire('CreateRole');
    expect(clock.now()).toBe(1_000_030_000);
    for (const grant of inFlight) grant();
  });

  it("gives a retry its turn even while another request of the endpoint waits for the retry's own slot", async () => {
    const clock = fakeClock();
    const pacer = new Pacer(clock);
    pacer.seed({ CreateRole: 1_000 });
    const slots = new Semaphore(1);
    const first = await pacer.acquire('CreateRole', () => slots.acquire());
    // The next request's turn has come; it now waits for the only slot, which the first request holds.
    const second = pacer.acquire('CreateRole', () => slots.acquire());
    // The first request is retried: its turn must not queue behind the second, or neither would ever go.
    const retried = await Promise.race([pacer.retryTurn('CreateRole').then(() => 'granted'), new Promise((r) => setTimeout(r, 2_000, 'deadlocked'))]);
    expect(retried).toBe('granted');
    first();
    (await second)();
  });

  it('paces each operation on its own budget', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(clock);
    pacer.seed({ UpdateApp: 30 });
    await pacer.acquire('UpdateApp');
    const start = clock.now();
    // UpdateApp's next turn is a second away; another endpoint does not wait for it.
    await pacer.acquire('GetApp');
    expect(clock.now()).toBe(start);
  });

  it('enters the gate only after the pacing delay, and grants in arrival order', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(clock);
    pacer.seed({ UpdateApp: 30 });
    const gated: number[] = [];
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3].map((i) =>
        pacer
          .acquire('UpdateApp', async () => {
            gated.push(clock.now());
            return () => {};
          })
          .then(() => order.push(i)),
      ),
    );
    expect(order).toEqual([1, 2, 3]);
    expect(maxInWindow(gated)).toBe(1);
  });
});

describe('readRateLimitHeaders', () => {
  it('reads the numbers and ignores missing or malformed values', () => {
    expect(readRateLimitHeaders({ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1700000060' })).toEqual({
      limit: 60,
      remaining: 0,
      reset: 1_700_000_060,
    });
    expect(readRateLimitHeaders({ 'x-ratelimit-limit': 'abc' })).toEqual({ limit: undefined, remaining: undefined, reset: undefined });
  });
});

describe('Semaphore', () => {
  it('admits at most `size` holders and hands slots over in arrival order', async () => {
    const sem = new Semaphore(2);
    const a = await sem.acquire();
    await sem.acquire();
    const admitted: string[] = [];
    const c = sem.acquire().then((r) => (admitted.push('c'), r));
    const d = sem.acquire().then((r) => (admitted.push('d'), r));
    await Promise.resolve();
    expect(admitted).toEqual([]);
    a();
    a(); // a second release of the same slot is ignored
    await c;
    expect(admitted).toEqual(['c']);
    (await c)();
    await d;
    expect(admitted).toEqual(['c', 'd']);
  });
});
