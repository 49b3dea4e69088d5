import { describe, expect, it } from 'vitest';
import type { Change } from '../core/model.js';
import { Progress, type Timers } from './progress.js';

const change = (action: Change['action'], address: string): Change => ({ address, kind: address.split('/')[0]!, action, fields: [] });

/** Timers the test fires by hand. */
function manualTimers(): Timers & { tick(): void; active: number } {
  const fns = new Map<number, () => void>();
  let next = 0;
  return {
    setInterval: (fn) => (fns.set(++next, fn), next),
    clearInterval: (h) => fns.delete(h as number),
    tick: () => fns.forEach((fn) => fn()),
    get active() {
      return fns.size;
    },
  };
}

describe('apply progress', () => {
  it('says each change as it ends, decK-style', () => {
    const lines: string[] = [];
    const p = new Progress((l) => lines.push(l), { timers: manualTimers() });
    p.start(5);
    p.settled(change('create', 'blocklist/x'), 'applied');
    p.settled(change('update', 'app'), 'applied');
    p.settled(change('delete', 'role/old'), 'applied');
    p.settled(change('create', 'role/r'), 'failed', 'CreateRole: bad (400/4)');
    p.settled(change('create', 'user/u'), 'skipped', 'role/r was not applied');
    p.settled(change('create', 'user/v'), 'interrupted');
    expect(lines).toEqual([
      'created blocklist/x',
      'updated app',
      'deleted role/old',
      'failed to create role/r: CreateRole: bad (400/4)',
      'skipped create user/u: role/r was not applied',
      'not applied (interrupted): create user/v',
    ]);
  });

  it('says n/N done at each interval while changes remain, and stops with the apply', () => {
    const lines: string[] = [];
    const timers = manualTimers();
    const p = new Progress((l) => lines.push(l), { timers });
    p.start(3);
    timers.tick();
    p.settled(change('create', 'blocklist/a'), 'applied');
    timers.tick();
    p.settled(change('create', 'blocklist/b'), 'applied');
    p.settled(change('create', 'blocklist/c'), 'applied');
    timers.tick();
    expect(lines.filter((l) => l.includes('done'))).toEqual(['0/3 changes done', '1/3 changes done']);
    p.stop();
    expect(timers.active).toBe(0);
  });

  it('starts no timer for an empty plan', () => {
    const timers = manualTimers();
    new Progress(() => {}, { timers }).start(0);
    expect(timers.active).toBe(0);
  });
});
