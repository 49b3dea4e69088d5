import { describe, expect, it } from 'vitest';
import { type Outcome, ReconcileLoop, type Timers, type Trigger } from './loop.js';

/** Timers the test fires by hand: what was scheduled, and when, is data to assert on. */
class ManualTimers implements Timers {
  scheduled: { fn: () => void; ms: number; cleared: boolean }[] = [];
  setTimeout(fn: () => void, ms: number) {
    const t = { fn, ms, cleared: false };
    this.scheduled.push(t);
    return t;
  }
  clearTimeout(handle: unknown) {
    (handle as { cleared: boolean }).cleared = true;
  }
  get live() {
    return this.scheduled.filter((t) => !t.cleared);
  }
  /** Fires the one live timer. */
  fire() {
    const [t, ...rest] = this.live;
    if (!t || rest.length) throw new Error(`expected one live timer, found ${this.live.length}`);
    t.cleared = true;
    t.fn();
  }
}

/** A run function whose runs the test ends by hand, recording the triggers each run was given. */
function controlledRuns() {
  const runs: { triggers: readonly Trigger[]; finish: (o: Outcome) => void }[] = [];
  let active = 0;
  let maxActive = 0;
  const run = (triggers: readonly Trigger[]) =>
    new Promise<Outcome>((resolve) => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push({
        triggers,
        finish: (o) => {
          active--;
          resolve(o);
        },
      });
    });
  return { run, runs, maxActive: () => maxActive };
}

const settle = () => new Promise((r) => setImmediate(r));

function setup(opts: { intervalMs?: number; minBackoffMs?: number } = {}) {
  const timers = new ManualTimers();
  const c = controlledRuns();
  const loop = new ReconcileLoop({ run: c.run, intervalMs: opts.intervalMs ?? 60_000, minBackoffMs: opts.minBackoffMs ?? 1000, jitter: 0, timers });
  return { timers, loop, ...c };
}

describe('ReconcileLoop', () => {
  it('folds triggers that arrive together into one run', async () => {
    const { loop, runs } = setup();
    loop.trigger('startup');
    loop.trigger('file');
    await settle();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.triggers).toEqual(['startup']);
  });

  it('never runs twice at once, and triggers during a run cause exactly one follow-up run', async () => {
    const { loop, runs, maxActive } = setup();
    loop.trigger('startup');
    await settle();
    for (let i = 0; i < 5; i++) loop.trigger('file');
    loop.trigger('interval');
    await settle();
    expect(runs).toHaveLength(1);
    runs[0]!.finish('success');
    await settle();
    expect(runs).toHaveLength(2);
    expect(runs[1]!.triggers).toEqual(['file', 'interval']);
    runs[1]!.finish('success');
    await settle();
    expect(runs).toHaveLength(2);
    expect(maxActive()).toBe(1);
  });

  it('resyncs every interval after a success, and a trigger replaces the scheduled resync', async () => {
    const { loop, runs, timers } = setup({ intervalMs: 300_000 });
    loop.trigger('startup');
    await settle();
    runs[0]!.finish('success');
    await settle();
    expect(timers.live.map((t) => t.ms)).toEqual([300_000]);
    timers.fire();
    await settle();
    expect(runs[1]!.triggers).toEqual(['interval']);
    runs[1]!.finish('success');
    await settle();
    loop.trigger('file');
    await settle();
    expect(timers.live).toEqual([]);
    expect(runs[2]!.triggers).toEqual(['file']);
  });

  it('backs off exponentially after errors, up to the interval, and resets after a success', async () => {
    const { loop, runs, timers } = setup({ intervalMs: 10_000, minBackoffMs: 1000 });
    loop.trigger('startup');
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      await settle();
      runs[i]!.finish('error');
      await settle();
      delays.push(timers.live[0]!.ms);
      expect(loop.failures).toBe(i + 1);
      timers.fire();
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(runs.map((r) => r.triggers[0])).toEqual(['startup', 'retry', 'retry', 'retry', 'retry', 'retry', 'retry']);
    await settle();
    runs[6]!.finish('success');
    await settle();
    expect(loop.failures).toBe(0);
    expect(timers.live.map((t) => t.ms)).toEqual([10_000]);
  });

  it('does not retry a terminal outcome: the next run waits for a trigger or the resync', async () => {
    const { loop, runs, timers } = setup({ intervalMs: 300_000 });
    loop.trigger('startup');
    await settle();
    runs[0]!.finish('terminal');
    await settle();
    expect(runs).toHaveLength(1);
    expect(timers.live.map((t) => t.ms)).toEqual([300_000]);
    loop.trigger('file');
    await settle();
    expect(runs).toHaveLength(2);
  });

  it('counts a run function that throws as an error', async () => {
    const timers = new ManualTimers();
    const loop = new ReconcileLoop({ run: () => Promise.reject(new Error('boom')), intervalMs: 60_000, minBackoffMs: 500, jitter: 0, timers });
    loop.trigger('startup');
    await settle();
    expect(loop.failures).toBe(1);
    expect(timers.live.map((t) => t.ms)).toEqual([500]);
  });

  it('jitter only shortens a delay, so the app is checked at least every interval', async () => {
    const timers = new ManualTimers();
    const loop = new ReconcileLoop({ run: async () => 'success', intervalMs: 100_000, jitter: 0.1, random: () => 0.5, timers });
    loop.trigger('startup');
    await settle();
    expect(timers.live.map((t) => t.ms)).toEqual([95_000]);
  });

  it('stop waits for the run in flight, then starts nothing: queued triggers and the resync are dropped', async () => {
    const { loop, runs, timers } = setup();
    loop.trigger('startup');
    await settle();
    loop.trigger('file');
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    runs[0]!.finish('success');
    await stopping;
    loop.trigger('file');
    await settle();
    expect(runs).toHaveLength(1);
    expect(timers.live).toEqual([]);
  });
});
