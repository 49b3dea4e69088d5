import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../src/desired/load.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { planFor } from '../../src/runtime/engine.js';
import { createApiClient } from '../../src/live/client.js';
import { StateFile } from '../../src/state/state-file.js';
import { spawnCli, type Spawned } from '../support/cli.js';
import { harness } from '../support/reconcile.js';
import { auditWorkload, BEFORE, SECRETS, TARGET } from './workload.js';

/**
 * The built CLI's `watch`, killed with SIGKILL at seeded points of its first (large) reconcile, counted in requests
 * the emulator received, then started again on the same file and state file. The kill leaves the state-file lock
 * behind (its holder is dead) and may land after a write whose answer never arrived. Each trial must converge
 * within three reconciles (the killed one counts), with no duplicate create, no delete outside `policy.prune`,
 * and an empty plan afterwards.
 */
const TRIALS = 5;
const MAX_RECONCILES = 3;
const KEY = 'watch-kill-app';
const SECRET = 'watch-kill-app-secret';

async function appWithBefore(): Promise<RunningEmulator> {
  // Stream's published rate limits: the daemon paces itself as it would against the real service.
  const emu = await startEmulator({ port: 0, taskStepMs: 0, rateLimits: 'published', apps: [{ key: KEY, secret: SECRET, name: KEY }] });
  const setup = harness(emu, { apiKey: KEY, apiSecret: SECRET });
  const r = await setup.apply(BEFORE);
  await setup.close();
  expect(r.result.failed).toEqual([]);
  return emu;
}

interface Workspace {
  file: string;
  state: string;
}

function workspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'watch-kill-'));
  const file = join(dir, 'stream.yaml');
  writeFileSync(file, TARGET);
  return { file, state: join(dir, 'state', 'state.json') };
}

const envFor = (emu: RunningEmulator) => ({ STREAM_API_KEY: KEY, STREAM_API_SECRET: SECRET, STREAM_BASE_URL: emu.url, ...SECRETS });
const watch = (emu: RunningEmulator, ws: Workspace) => spawnCli(['watch', '-f', ws.file, '--state-file', ws.state, '--log-format', 'json'], envFor(emu));

interface Summary {
  result: string;
  requests: number;
}

/** The summary line of each run the process logged (one per reconcile). */
const summariesOf = (p: Spawned): Summary[] =>
  p
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => typeof l.duration_ms === 'number' && typeof l.result === 'string') as unknown as Summary[];

/** Waits until the daemon has logged a successful run or `max` runs; then stops it with SIGTERM (exit 0). */
async function runUntilConverged(p: Spawned, max: number): Promise<Summary[]> {
  await expect.poll(() => summariesOf(p).some((s) => s.result === 'success') || summariesOf(p).length >= max, { timeout: 30_000, interval: 50 }).toBe(true);
  p.child.kill('SIGTERM');
  expect(await p.exit, p.stderr()).toBe(0);
  return summariesOf(p);
}

async function finalChanges(emu: RunningEmulator, ws: Workspace): Promise<unknown[]> {
  const client = createApiClient({ baseUrl: emu.url, apiKey: KEY, apiSecret: SECRET });
  try {
    const deps = { api: client, state: StateFile.open(ws.state, KEY, SECRET), target: { base_url: emu.url, api_key: KEY }, concurrency: 8 };
    const { plan } = await planFor(deps, loadDesired(ws.file, { env: SECRETS }));
    return plan.document.changes;
  } finally {
    await client.close();
  }
}

/** Starts `watch` and kills it with SIGKILL when the emulator receives its `killAt`-th request. */
async function killedWatch(emu: RunningEmulator, ws: Workspace, killAt: number): Promise<NodeJS.Signals | null> {
  const decide = emu.faults.decide.bind(emu.faults);
  let seen = 0;
  let child: Spawned | undefined;
  // Every request of a known app passes the fault injector once, before its handler runs: the count is exact.
  emu.faults.decide = (op: string) => {
    if (++seen === killAt) child?.child.kill('SIGKILL');
    return decide(op);
  };
  try {
    child = watch(emu, ws);
    // A run shorter than the calibrated one would never be killed: stop it, and let the caller report it.
    child.waitFor(/"duration_ms":/).then(
      () => child?.child.kill('SIGTERM'),
      () => {},
    );
    await child.exit;
    return child.child.signalCode;
  } finally {
    emu.faults.decide = decide;
  }
}

describe('watch killed with SIGKILL during a large reconcile, then restarted', () => {
  it(`converges within ${MAX_RECONCILES} reconciles after each of ${TRIALS} kills`, { timeout: 60_000 }, async () => {
    // The length of an uninterrupted first run, to spread the kill points over it.
    const calibration = await appWithBefore();
    let total: number;
    try {
      const from = calibration.requests.length;
      const runs = await runUntilConverged(watch(calibration, workspace()), 1);
      expect(runs.map((r) => r.result)).toEqual(['success']);
      total = calibration.requests.length - from;
    } finally {
      await calibration.close();
    }
    const share = Math.max(1, Math.floor(total / TRIALS));
    const offsets = fc.sample(fc.noBias(fc.tuple(...Array.from({ length: TRIALS }, () => fc.integer({ min: 0, max: share - 1 })))), { seed: 60_602, numRuns: 1 })[0]!;
    const killPoints = offsets.map((u, i) => Math.min(total - 1, Math.max(1, i * share + u)));

    await Promise.all(
      killPoints.map(async (killAt, trial) => {
        const emu = await appWithBefore();
        try {
          const ws = workspace();
          const from = emu.requests.length;
          expect(await killedWatch(emu, ws, killAt), `trial ${trial}: the run ended before its ${killAt}th request`).toBe('SIGKILL');
          // The lock the killed process held is still there: the restart must recognise its holder as dead.
          expect(existsSync(`${ws.state}.lock`)).toBe(true);
          const restarted = watch(emu, ws);
          const runs = await runUntilConverged(restarted, MAX_RECONCILES - 1);
          // Broken at once (a dead process of this host), not after the 30 s that make a lock stale.
          expect(restarted.stdout()).not.toContain('waiting for the state-file lock');
          const reconciles = 1 + runs.findIndex((r) => r.result === 'success') + 1;
          const converged = reconciles > 1 && reconciles <= MAX_RECONCILES;
          console.log(
            `[watch kill ${trial + 1}/${TRIALS}] killed at request ${killAt} of ${total}: ${converged ? 'converged' : 'DID NOT CONVERGE'} after ${converged ? reconciles : 1 + runs.length} reconcile(s), ${emu.requests.length - from} requests (after the restart: ${runs.map((r) => `${r.result} in ${r.requests}`).join(', ')})`,
          );
          expect(converged, JSON.stringify(runs)).toBe(true);
          auditWorkload(emu, from, KEY);
          expect(await finalChanges(emu, ws)).toEqual([]);
          expect(emu.app(KEY).settingsWriteOnly.sqs_secret).toBe(SECRETS.SQS_SECRET);
        } finally {
          await emu.close();
        }
      }),
    );
  });
});
