import { describe, expect, it } from 'vitest';
import { autoInterval, MAX_AUTO_INTERVAL_MS, MIN_AUTO_INTERVAL_MS } from './pace.js';

describe('--interval auto', () => {
  const allowance = (perWindow: Record<string, number>) => (op: string) => perWindow[op];

  it('is set by the endpoint whose requests take longest at the allowance, counted from the start of the last run', () => {
    // 2,000 GetUserGroup at 500 a minute take 4 minutes; 50 QueryUsers at 500 a minute, 6 s.
    const next = autoInterval({ GetUserGroup: 2_000, QueryUsers: 50 }, allowance({ GetUserGroup: 500, QueryUsers: 500 }), 60_000);
    expect(next).toEqual({ ms: 180_000, bound: { op: 'GetUserGroup', requests: 2_000, allowance: 500, ms: 240_000 } });
  });

  it('never goes below the floor: a run paced at its share the whole time, or a small app', () => {
    expect(autoInterval({ GetUserGroup: 2_000 }, allowance({ GetUserGroup: 500 }), 240_000)).toMatchObject({ ms: MIN_AUTO_INTERVAL_MS, bound: { op: 'GetUserGroup', ms: 240_000 } });
    expect(autoInterval({ ListRoles: 1 }, allowance({ ListRoles: 500 }), 100).ms).toBe(MIN_AUTO_INTERVAL_MS);
  });

  it('nor above an hour: an allowance read at a bad moment (a backend near the limit) cannot put the next check days away', () => {
    expect(autoInterval({ GetUserGroup: 2_000 }, allowance({ GetUserGroup: 1 }), 60_000).ms).toBe(MAX_AUTO_INTERVAL_MS);
  });

  it('gets longer when others leave the daemon less of an endpoint', () => {
    const alone = autoInterval({ UpdateUsers: 300 }, allowance({ UpdateUsers: 150 }), 0);
    const shared = autoInterval({ UpdateUsers: 300 }, allowance({ UpdateUsers: 75 }), 0);
    expect(alone.ms).toBe(120_000);
    expect(shared.ms).toBe(240_000);
  });

  it('leaves out endpoints whose limit is unknown', () => {
    expect(autoInterval({ Mystery: 10_000 }, allowance({}), 0)).toEqual({ ms: MIN_AUTO_INTERVAL_MS });
  });
});
