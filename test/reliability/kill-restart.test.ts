import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../src/desired/load.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { planFor } from '../../src/runtime/engine.js';
import { createApiClient } from '../../src/live/client.js';
import { StateFile } from '../../src/state/state-file.js';
import { runCli, spawnCli } from '../support/cli.js';
import { harness } from '../support/reconcile.js';
import { auditWorkload, BEFORE, SECRETS, TARGET } from './workload.js';

/**
 * The built CLI's `apply` of the large workload, killed with SIGKILL at ten seeded points spread over the run
 * (counted in requests the emulator received, not in wall-clock time), then run again. Each trial must converge
 * within three reconciles (the killed run counts as one), with no duplicate create and no delete outside
 * `policy.prune`, and a final plan must be empty. The kill lands while the emulator handles the request, so the
 * interesting case is covered: a write that happened whose answer never arrived.
 */
const TRIALS = 10;
const MAX_RECONCILES = 3;
const KEY = 'kill-app';
const SECRET = 'kill-app-secret';

async function appWithBefore(): Promise<RunningEmulator> {
  // Stream's published rate limits: the CLI paces itself as it would against the real service.
  const emu = await startEmulator({ port: 0, taskStepMs: 0, rateLimits: 'published', apps: [{ key: KEY, secret: SECRET, name: 'kill-app' }] });
  const setup = harness(emu);
  const r = await setup.apply(BEFORE);
  await setup.close();
  expect(r.result.failed).toEqual([]);
  return emu;
}

function workspace(): { file: string; state: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kill-'));
  const file = join(dir, 'stream.yaml');
  writeFileSync(file, TARGET);
  return { file, state: join(dir, 'state.json') };
}

/** The plan with the trial's own state file, in process (a CLI `plan` would do the same, slower). */
async function finalChanges(emu: RunningEmulator, ws: { file: string; state: string }): Promise<unknown[]> {
  const client = createApiClient({ baseUrl: emu.url, apiKey: KEY, apiSecret: SECRET });
  try {
    const deps = { api: client, state: StateFile.open(ws.state, KEY, SECRET), target: { base_url: emu.url, api_key: KEY }, concurrency: 8 };
    const { plan } = await planFor(deps, loadDesired(ws.file, { env: SECRETS }));
    return plan.document.changes;
  } finally {
    await client.close();
  }
}

const envFor = (emu: RunningEmulator) => ({ STREAM_API_KEY: KEY, STREAM_API_SECRET: SECRET, STREAM_BASE_URL: emu.url, ...SECRETS });

/** Runs `apply` and kills it with SIGKILL when the emulator receives its `killAt`-th request. */
async function killedApply(emu: RunningEmulator, ws: { file: string; state: string }, killAt: number): Promise<{ signal: NodeJS.Signals | null }> {
  const child = spawnCli(['apply', '-f', ws.file, '--state-file', ws.state], envFor(emu));
  const decide = emu.faults.decide.bind(emu.faults);
  let seen = 0;
  // Every request of a known app passes the fault injector once, before its handler runs: the count is exact.
  emu.faults.decide = (op: string) => {
    if (++seen === killAt) child.child.kill('SIGKILL');
    return decide(op);
  };
  try {
    await child.exit;
    return { signal: child.child.signalCode };
  } finally {
    emu.faults.decide = decide;
  }
}

describe('apply killed with SIGKILL at random points, then restarted', () => {
  it(`converges within ${MAX_RECONCILES} reconciles after each of ${TRIALS} kills`, async () => {
    // The length of an uninterrupted run, to spread the kill points over it.
    const calibration = await appWithBefore();
    let total: number;
    try {
      const from = calibration.requests.length;
      const r = await runCli(['apply', '-f', workspace().file, '--state-file', workspace().state], envFor(calibration));
      expect(r.code, r.stderr + r.stdout).toBe(0);
      total = calibration.requests.length - from;
    } finally {
      await calibration.close();
    }
    // One seeded point in each tenth of the run.
    const tenth = Math.max(1, Math.floor(total / TRIALS));
    const offsets = fc.sample(fc.noBias(fc.tuple(...Array.from({ length: TRIALS }, () => fc.integer({ min: 0, max: tenth - 1 })))), { seed: 60_601, numRuns: 1 })[0]!;
    const killPoints = offsets.map((u, i) => Math.min(total - 1, Math.max(1, i * tenth + u)));

    // The trials are independent apps: run them side by side.
    await Promise.all(
      killPoints.map(async (killAt, trial) => {
        const emu = await appWithBefore();
        try {
          const ws = workspace();
          const from = emu.requests.length;
          const killed = await killedApply(emu, ws, killAt);
          expect(killed.signal, `trial ${trial}: the run ended before its ${killAt}th request`).toBe('SIGKILL');
          let reconciles = 1;
          let code: number | null = 1;
          const outputs: string[] = [];
          while (code !== 0 && reconciles < MAX_RECONCILES) {
            reconciles++;
            const r = await runCli(['apply', '-f', ws.file, '--state-file', ws.state], envFor(emu));
            code = r.code;
            outputs.push(r.stdout + r.stderr);
          }
          const requests = emu.requests.length - from;
          console.log(`[kill ${trial + 1}/${TRIALS}] killed at request ${killAt} of ${total}: ${code === 0 ? 'converged' : 'DID NOT CONVERGE'} after ${reconciles} reconcile(s), ${requests} requests`);
          expect(code, outputs.join('\n---\n')).toBe(0);
          auditWorkload(emu, from, KEY);
          expect(await finalChanges(emu, ws)).toEqual([]);
          expect(emu.app(KEY).settingsWriteOnly.sqs_secret).toBe(SECRETS.SQS_SECRET);
        } finally {
          await emu.close();
        }
      }),
    );
  }, 60_000);
});
