import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { harness } from '../support/reconcile.js';

/**
 * Stream lowers rate limits dynamically under load ("follow the headers, not a table"). Here the emulator lowers
 * CreateUserGroup's limit for a while in the middle of an apply (a `limit_scale` fault); the apply must still
 * complete, retrying what the lowered limit refused. Counts, never timings.
 */

/** The emulator's clock offset from this machine's, set by the test (the client learns it from the answers' Date). */
let ahead = 0;

const GROUPS = 110;
const FILE = `version: 1
user_groups:
${Array.from({ length: GROUPS }, (_, i) => `  - id: team-${String(i).padStart(2, '0')}\n    name: Team ${i}`).join('\n')}
`;

describe('an apply when Stream lowers its rate limits mid-run', () => {
  const env = useEmulator({ rateLimits: { perSecond: false }, now: () => Date.now() + ahead });

  it('completes every change, following the lowered limit the headers say (anything refused is retried)', async () => {
    // Stream's clock 50 s into a minute: the window ends about 10 s into the apply.
    ahead = 50_000 - (Date.now() % 60_000);
    // CreateUserGroup allows 1,000 a minute; after the 95th create, the next 10 requests see a tenth of that (100
    // a minute, 95 already used): 5 more pass; the client, which has used more than its share of the lowered window,
    // sends nothing more until the next one (a request already in flight may be refused, and is retried).
    env.emu.faults.configure({ rules: [{ kind: 'limit_scale', op: 'CreateUserGroup', scale: 0.1, after: 95, times: 10 }] });
    const h = harness(env.emu);
    try {
      const applied = await h.apply(FILE);
      expect(applied.result.failed).toEqual([]);
      expect(applied.notConverged).toEqual([]);
      expect(applied.plan.document.summary).toMatchObject({ create: GROUPS, update: 0, delete: 0 });

      const creates = env.emu.requests.filter((r) => r.op === 'CreateUserGroup');
      const refused = creates.filter((r) => r.status === 429).length;
      // At most the requests in flight when the limit fell (concurrency 8): no storm of refusals.
      expect(refused).toBeLessThanOrEqual(8);
      expect(env.emu.faults.hitCounts[0]).toBeGreaterThanOrEqual(5);
      expect(creates.filter((r) => r.status === 201)).toHaveLength(GROUPS);
      expect(h.client.stats().rateLimited).toBe(refused);
      expect(env.emu.app().userGroups.size).toBe(GROUPS);

      expect((await h.plan(FILE)).plan.document.changes).toEqual([]);
    } finally {
      env.emu.faults.clear();
      await h.close();
    }
    // The client waits for the next window (its share of the lowered one is used): slower than the suite's default allows.
  }, 45_000);
});
