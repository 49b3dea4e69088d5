import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon/watch.js';
import { loadDesired } from '../../src/desired/load.js';
import type { FaultRule } from '../../src/emulator/faults.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { planFor } from '../../src/runtime/engine.js';
import { createApiClient } from '../../src/live/client.js';
import { StateFile } from '../../src/state/state-file.js';
import { APP, captureLogs, daemonFor, summaries, tempConfig } from '../daemon/daemon-harness.js';
import { harness } from '../support/reconcile.js';
import { auditWorkload, BEFORE, SECRETS, STORAGES, TARGET } from './workload.js';
import { metricValue as harnessMetricValue } from '../daemon/daemon-harness.js';

/** pino's level, as a name in JSON lines (or a number from a logger of a test's own): warn or worse. */
const atLeastWarn = (level: unknown) => (typeof level === 'number' ? level >= 40 : ['warn', 'error', 'fatal'].includes(String(level)));

/**
 * The fault matrix of `fault-matrix.test.ts`, against `stream-sync watch` (in process, real file watching): the
 * large workload reconciled by the daemon while the emulator misbehaves in one way at a time, the fault active
 * during every run. The daemon's own loop does the retrying (an errored run is retried after back-off), and its
 * summary lines say how many runs it took: convergence within three, no duplicate create, no delete outside
 * `policy.prune`, every object equal to the file. Fault decisions are seeded: a run is reproducible.
 */

const ROOMY_LIMITS = { defaultPerMinute: 60_000, perMinute: { UpdateApp: 60_000, UpdateUsers: 60_000, UpdateUsersPartial: 60_000, QueryUsers: 60_000 } };
const MAX_RECONCILES = 3;
const POLL = { timeout: 30_000, interval: 25 };

interface FaultCase {
  name: string;
  rules: FaultRule[];
  /** The client's per-attempt timeout, for faults that hold answers back past it. */
  timeoutMs?: number;
  /** Some attempts get no answer at all (a reset, a timeout): the daemon's metrics must show them. */
  unanswered?: boolean;
}

// The faults of the apply matrix (kept side by side, so a fault added there is easy to add here), except that slow
// answers are held long enough for the client's timeout to fire.
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
    unanswered: true,
  },
  {
    name: 'latency beyond the client timeout',
    // undici checks its timeouts on a coarse timer (ticks of half a second): a 100 ms timeout fires after 0.5 to
    // 1 s, so an answer held 400 ms mostly arrives first. Held 1.5 s, it never does.
    rules: [{ kind: 'slow', ms: 1_500, rate: 0.1 }],
    timeoutMs: 100,
    unanswered: true,
  },
  {
    name: 'non-JSON error bodies (plain-text 502 and 429 from an edge layer)',
    rules: [
      { kind: 'non_json', status: 502, rate: 0.1 },
      { kind: 'non_json', status: 429, rate: 0.1, body: '<html><body>429 Too Many Requests</body></html>' },
    ],
  },
];

/** An emulator holding the workload's starting app (the daemon harness's app), applied without faults. */
async function startedApp(): Promise<RunningEmulator> {
  const emu = await startEmulator({ port: 0, taskStepMs: 0, rateLimits: ROOMY_LIMITS, seed: 11, apps: [APP] });
  const setup = harness(emu, { apiKey: APP.key, apiSecret: APP.secret });
  const r = await setup.apply(BEFORE, { allowDeletes: 0 });
  await setup.close();
  expect(r.result.failed).toEqual([]);
  return emu;
}

/** The plan a fresh reader makes with the daemon's state file, without faults: empty once converged. */
async function finalChanges(emu: RunningEmulator, file: string, stateFile: string): Promise<unknown[]> {
  const client = createApiClient({ baseUrl: emu.url, apiKey: APP.key, apiSecret: APP.secret });
  try {
    const deps = { api: client, state: StateFile.open(stateFile, APP.key, APP.secret), target: { base_url: emu.url, api_key: APP.key }, concurrency: 8 };
    const { plan } = await planFor(deps, loadDesired(file, { env: SECRETS }));
    return plan.document.changes;
  } finally {
    await client.close();
  }
}

const metricValue = (text: string, series: string) => harnessMetricValue(text, series) ?? NaN;

describe('watch converges under every injected fault', () => {
  it.each(FAULTS)('$name', { timeout: 60_000 }, async ({ name, rules, timeoutMs, unanswered }) => {
    const emu = await startedApp();
    const cfg = tempConfig(TARGET);
    const stateFile = join(mkdtempSync(join(tmpdir(), 'daemon-faults-')), 'state.json');
    const { logger, lines } = captureLogs();
    let daemon: Daemon | undefined;
    try {
      const from = emu.requests.length;
      emu.faults.configure({ seed: 20_240_601, rules });
      daemon = await daemonFor(emu, cfg.file, logger, { stateFile, requestTimeoutMs: timeoutMs, minBackoffMs: 20, clientBackoffMs: { min: 5, max: 50 } }, SECRETS);
      // Until a run succeeds (applied, read back, nothing failed), or three runs did not.
      await expect.poll(() => summaries(lines).some((s) => s.result === 'success') || summaries(lines).length >= MAX_RECONCILES, POLL).toBe(true);
      await daemon.stop();
      const injected = emu.faults.hitCounts.reduce((a, b) => a + b, 0);
      emu.faults.clear();

      const runs = summaries(lines);
      const reconciles = runs.findIndex((s) => s.result === 'success') + 1;
      const converged = reconciles > 0 && reconciles <= MAX_RECONCILES;
      // Why a run failed (its warning and error lines), with RELIABILITY_VERBOSE set.
      const why = (id: unknown) => lines.filter((l) => l.reconcile_id === id && atLeastWarn(l.level) && l.err).map((l) => `${String(l.address ?? '')} ${String(l.err)}`).join('; ');
      const outcomes = runs.map((s) => `${s.result}: ${s.applied} applied, ${s.failed} failed, ${s.not_converged} not converged, ${s.requests} requests, ${s.retries} retries, ${String(s.duration_ms)} ms${s.result !== 'success' && process.env.RELIABILITY_VERBOSE ? ` (${why(s.reconcile_id)})` : ''}`);
      console.log(`[daemon fault matrix] ${name}: ${converged ? 'converged' : 'DID NOT CONVERGE'} after ${reconciles || runs.length} reconcile(s), ${emu.requests.length - from} requests (${injected} faults injected) — ${outcomes.join(' | ')}`);
      expect(converged, [...outcomes, ...runs.map((s) => why(s.reconcile_id))].join('\n')).toBe(true);
      expect(injected).toBeGreaterThan(0);
      // The daemon's metrics count the same runs as its summary lines.
      const metrics = await daemon.metrics.text();
      const counted = ['success', 'error', 'invalid_config', 'refused'].reduce((n, r) => n + metricValue(metrics, `stream_sync_reconcile_total{result="${r}"}`), 0);
      expect(counted).toBe(runs.length);
      expect(metricValue(metrics, 'stream_sync_reconcile_total{result="success"}')).toBe(1);
      // The fault reached the client: attempts that got no answer are counted as status "error".
      const noAnswer = metrics.split('\n').filter((l) => l.startsWith('stream_sync_api_requests_total{') && l.includes('status="error"')).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
      if (unanswered) expect(noAnswer).toBeGreaterThan(0);

      auditWorkload(emu, from, APP.key);
      // Every object read back equal to the file, write-only values included (the emulator's store says what landed).
      expect(await finalChanges(emu, cfg.file, stateFile)).toEqual([]);
      const app = emu.app(APP.key);
      expect(app.settingsWriteOnly.sqs_secret).toBe(SECRETS.SQS_SECRET);
      for (const s of STORAGES) expect(app.externalStorageSecrets.get(s)?.aws_s3?.s3_secret).toBe(SECRETS.S3_SECRET);
    } finally {
      await daemon?.stop();
      await emu.close();
    }
  });
});
