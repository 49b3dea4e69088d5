import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { harness } from '../support/reconcile.js';

/**
 * Stream lowers rate limits dynamically under load ("follow the headers, not a table"). Here the emulator lowers
 * CreateUserGroup's limit for a while in the middle of an apply (a `limit_scale` fault); the apply must still
 * complete, retrying what the lowered limit refused. Counts, never timings.
 */

// The emulator's clock runs ahead of this machine's, to the start of the next minute, so the whole apply falls
// in one rate-limit window (a window ending mid-run would give the budget back early). Ahead, never behind: the
// client's tokens must not look issued in the future.
const ahead = 60_000 - (Date.now() % 60_000);

const GROUPS = 110;
const FILE = `version: 1
user_groups:
${Array.from({ length: GROUPS }, (_, i) => `  - id: team-${String(i).padStart(2, '0')}\n    name: Team ${i}`).join('\n')}
`;

describe('an apply when Stream lowers its rate limits mid-run', () => {
  const env = useEmulator({ rateLimits: { perSecond: false }, now: () => Date.now() + ahead });

  it('completes every change, retrying the requests the lowered limit refused', async () => {
    // CreateUserGroup allows 1,000 a minute; after the 95th create, the next 10 requests see a tenth of that (100
    // a minute, 95 already used): 5 more pass, then exactly 5 are refused before the limit comes back.
    env.emu.faults.configure({ rules: [{ kind: 'limit_scale', op: 'CreateUserGroup', scale: 0.1, after: 95, times: 10 }] });
    const h = harness(env.emu);
    try {
      const applied = await h.apply(FILE);
      expect(applied.result.failed).toEqual([]);
      expect(applied.notConverged).toEqual([]);
      expect(applied.plan.document.summary).toMatchObject({ create: GROUPS, update: 0, delete: 0 });

      const creates = env.emu.requests.filter((r) => r.op === 'CreateUserGroup');
      expect(creates.filter((r) => r.status === 429)).toHaveLength(5);
      expect(creates.filter((r) => r.status === 201)).toHaveLength(GROUPS);
      expect(env.emu.faults.hitCounts).toEqual([10]);
      expect(h.client.stats().rateLimited).toBe(5);
      expect(env.emu.app().userGroups.size).toBe(GROUPS);

      expect((await h.plan(FILE)).plan.document.changes).toEqual([]);
    } finally {
      env.emu.faults.clear();
      await h.close();
    }
    // The client paces itself to the lowered limit it reads in the headers: slower than the suite's default allows.
  }, 45_000);
});
