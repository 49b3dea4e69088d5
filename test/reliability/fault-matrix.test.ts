import { describe, expect, it } from 'vitest';
import type { FaultRule } from '../../src/emulator/faults.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { harness } from '../support/reconcile.js';
import { auditWorkload, BEFORE, SECRETS, STORAGES, TARGET } from './workload.js';

/**
 * The fault matrix: the large workload applied while the emulator misbehaves in one way at a time, the fault
 * active during every reconcile. Each must converge within three reconciles (apply runs) with no duplicate
 * create, no delete outside `policy.prune`, and every object equal to the file (a plan without faults is empty).
 * Fault decisions are seeded: a run is reproducible.
 */

/** Limits well above the workload's needs (the pacer learns them from the first answers' headers). */
const ROOMY_LIMITS = { defaultPerMinute: 60_000, perMinute: { UpdateApp: 60_000, UpdateUsers: 60_000, UpdateUsersPartial: 60_000, QueryUsers: 60_000 } };
const MAX_RECONCILES = 3;

interface FaultCase {
  name: string;
  rules: FaultRule[];
  /** The client's per-attempt timeout, for faults that hold answers back past it. */
  timeoutMs?: number;
}

const FAULTS: FaultCase[] = [
  {
    name: '20 % random 5xx, half of them after the write happened',
    rules: [
      { kind: 'error', status: 503, rate: 0.1 },
      { kind: 'error', status: 500, rate: 0.11, when: 'after' },
    ],
  },
  {
    name: '429 storm with reset headers',
    // A burst where 30 requests in a row are refused, then one request in five for the rest of the run.
    rules: [
      { kind: 'rate_limit', after: 20, times: 30 },
      { kind: 'rate_limit', rate: 0.2 },
    ],
  },
  {
    name: '429 storm without reset headers',
    rules: [
      { kind: 'rate_limit', after: 20, times: 30, resetHeaders: false },
      { kind: 'rate_limit', rate: 0.2, resetHeaders: false },
    ],
  },
  {
    name: 'connection resets, before and after the write',
    rules: [
      { kind: 'reset', rate: 0.1 },
      { kind: 'reset', rate: 0.1, when: 'after' },
    ],
  },
  {
    name: 'latency beyond the client timeout',
    rules: [{ kind: 'slow', ms: 400, rate: 0.15 }],
    timeoutMs: 100,
  },
  {
    name: 'non-JSON error bodies (plain-text 502 and 429 from an edge layer)',
    rules: [
      { kind: 'non_json', status: 502, rate: 0.1 },
      { kind: 'non_json', status: 429, rate: 0.1, body: '<html><body>429 Too Many Requests</body></html>' },
    ],
  },
];

/** An emulator holding the workload's starting app, applied without faults. */
async function startedApp(): Promise<RunningEmulator> {
  const emu = await startEmulator({ port: 0, taskStepMs: 0, rateLimits: ROOMY_LIMITS, seed: 11 });
  const setup = harness(emu);
  const r = await setup.apply(BEFORE, { allowDeletes: 0 });
  await setup.close();
  expect(r.result.failed).toEqual([]);
  return emu;
}

describe('apply converges under every injected fault', () => {
  it.each(FAULTS)('$name', async ({ name, rules, timeoutMs }) => {
    const emu = await startedApp();
    const h = harness(emu, { timeoutMs });
    try {
      const from = emu.requests.length;
      emu.faults.configure({ seed: 20_240_601, rules });
      let reconciles = 0;
      let converged = false;
      const outcomes: string[] = [];
      while (!converged && reconciles < MAX_RECONCILES) {
        reconciles++;
        try {
          const r = await h.apply(TARGET, { env: SECRETS });
          converged = r.result.failed.length === 0 && r.result.skipped.length === 0 && r.notConverged.length === 0;
          const why = r.result.failed.map((f) => `${f.address}: ${f.error}`).join('; ');
          outcomes.push(`${r.result.applied.length} applied, ${r.result.failed.length} failed, ${r.result.skipped.length} skipped, ${r.notConverged.length} not converged${why && process.env.RELIABILITY_VERBOSE ? ` (${why})` : ''}`);
        } catch (err) {
          // A reconcile that could not read the app (retries exhausted) changed nothing; the next one starts over.
          outcomes.push(`refused before any write: ${(err as Error).message}`);
        }
      }
      const injected = emu.faults.hitCounts.reduce((a, b) => a + b, 0);
      emu.faults.clear();
      console.log(`[fault matrix] ${name}: ${converged ? 'converged' : 'DID NOT CONVERGE'} after ${reconciles} reconcile(s), ${emu.requests.length - from} requests (${injected} faults injected) — ${outcomes.join(' | ')}`);
      expect(converged, outcomes.join('\n')).toBe(true);
      auditWorkload(emu, from);
      expect(injected).toBeGreaterThan(0);

      // Every object read back equal to the file, write-only values included (they never read back: the
      // emulator's own store says what landed).
      const final = await h.plan(TARGET, { env: SECRETS });
      expect(final.plan.document.changes).toEqual([]);
      const app = emu.app();
      expect(app.settingsWriteOnly.sqs_secret).toBe(SECRETS.SQS_SECRET);
      for (const s of STORAGES) expect(app.externalStorageSecrets.get(s)?.aws_s3?.s3_secret).toBe(SECRETS.S3_SECRET);
    } finally {
      await h.close();
      await emu.close();
    }
  });
});

/** Two behaviours the matrix found missing, pinned one by one. */
describe('what the fault matrix found', () => {
  const FILE = 'version: 1\nroles:\n  - name: agent\nblocklists:\n  - name: gone\n    words: [x]\npolicy:\n  prune: [blocklists]\n';

  it('re-sends a create refused with 429 (Stream refuses before processing it), creating the object once', async () => {
    const emu = await startEmulator({ port: 0, taskStepMs: 0, rateLimits: 'off' });
    const h = harness(emu);
    try {
      emu.faults.configure({ rules: [{ kind: 'rate_limit', op: 'CreateRole', times: 2 }] });
      const r = await h.apply(FILE);
      expect(r.result.failed).toEqual([]);
      expect(emu.requests.filter((q) => q.op === 'CreateRole').map((q) => q.status)).toEqual([429, 429, 201]);
      expect([...emu.app().roles.values()].filter((x) => x.name === 'agent')).toHaveLength(1);
    } finally {
      await h.close();
      await emu.close();
    }
  });

  it('counts a delete answered 404 on its retry (the first attempt landed, its answer was lost) as done', async () => {
    const emu = await startEmulator({ port: 0, taskStepMs: 0, rateLimits: 'off' });
    const h = harness(emu);
    try {
      await h.apply(FILE.replace('  - name: gone\n    words: [x]\n', '  - name: gone\n    words: [x]\n  - name: old\n    words: [y]\n'));
      emu.faults.configure({ rules: [{ kind: 'error', status: 503, op: 'DeleteBlockList', when: 'after', times: 1 }] });
      const r = await h.apply(FILE);
      expect(emu.requests.filter((q) => q.op === 'DeleteBlockList').map((q) => q.status)).toEqual([503, 404]);
      expect(r.result.failed).toEqual([]);
      expect(r.result.applied).toContain('blocklist/old');
      expect([...emu.app().blocklists.values()].map((b) => b.name)).not.toContain('old');
    } finally {
      await h.close();
      await emu.close();
    }
  });
});
