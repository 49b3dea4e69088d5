import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../../src/daemon/watch.js';
import { startEmulator } from '../../src/emulator/server.js';
import { APP, captureLogs, desiredYaml, type LogLine, summaries, tempConfig } from '../daemon/daemon-harness.js';
import { metricValue as harnessMetricValue } from '../daemon/daemon-harness.js';

/** pino's level, as a name in JSON lines (or a number from a logger of a test's own): warn or worse. */
const atLeastWarn = (level: unknown) => (typeof level === 'number' ? level >= 40 : ['warn', 'error', 'fatal'].includes(String(level)));

/**
 * Auth failures in `watch`: a wrong secret, an unknown key, or a clock that disagrees with Stream's fails every
 * request alike. Each run must stop at the first refusal (one request, no retries within the run), log one error
 * that says what to fix, and the loop must back off between runs (doubling, up to the interval), while
 * `/healthz` keeps answering 200: the process is alive and must not be restarted into a tighter loop. Once the
 * clock agrees again, the next retry succeeds.
 */
const TEN_MINUTES = 10 * 60_000;
const MIN_BACKOFF_MS = 25;
const INTERVAL_MS = 400;
/** Runs watched: enough for the back-off to reach the interval (25, 50, 100, 200, 400, 400). */
const RUNS = 7;

interface AuthCase {
  name: string;
  key?: string;
  secret?: string;
  hint: RegExp;
}

const CASES: AuthCase[] = [
  { name: 'a wrong secret', secret: 'not-the-secret', hint: /HTTP 401 \(Stream code 43\).*check STREAM_API_SECRET/},
  { name: 'an unknown API key', key: 'no-such-key', hint: /HTTP 401 \(Stream code 2\).*check STREAM_API_KEY/},
];

const metricValue = (text: string, series: string) => harnessMetricValue(text, series) ?? NaN;

/** Probes `/healthz` until stopped, keeping every status it got. */
function probeHealth(url: string): { statuses: number[]; stop(): Promise<void> } {
  const statuses: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      statuses.push((await fetch(`${url}/healthz`)).status);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    statuses,
    async stop() {
      running = false;
      await loop;
    },
  };
}

describe('watch under auth failures: one error per run, no retry storm, back-off, /healthz up', () => {
  it.each(CASES)('$name', { timeout: 30_000 }, async ({ key, secret, hint }) => {
    const emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps: [APP] });
    const cfg = tempConfig(desiredYaml(['scam']));
    const { logger, lines } = captureLogs();
    let daemon: Daemon | undefined;
    try {
      daemon = await startDaemon(
        {
          file: cfg.file,
          intervalMs: INTERVAL_MS,
          dryRun: false,
          poll: false,
          emulator: false,
          concurrency: 4,
          targets: [],
          stateFile: join(mkdtempSync(join(tmpdir(), 'daemon-auth-')), 'state.json'),
          debounceMs: 50,
          minBackoffMs: MIN_BACKOFF_MS,
          lockRetryMs: 20,
          listen: { host: '127.0.0.1', port: 0 },
        },
        {
          env: { STREAM_API_KEY: key ?? APP.key, STREAM_API_SECRET: secret ?? APP.secret, STREAM_BASE_URL: emu.url },
          logger,
          startEmulator: () => Promise.reject(new Error('not used')),
        },
      );
      const health = probeHealth(daemon.url!);
      await expect.poll(() => summaries(lines).length, { timeout: 20_000, interval: 20 }).toBeGreaterThanOrEqual(RUNS);

      // Not ready, and /readyz says why.
      const readyz = await fetch(`${daemon.url}/readyz`);
      expect(readyz.status).toBe(503);
      const detail = (await readyz.json()) as { last_run: { result: string; error: string } };
      expect(detail.last_run.result).toBe('error');
      expect(detail.last_run.error).toMatch(hint);

      await health.stop();
      await daemon.stop();
      const metrics = await daemon.metrics.text();

      // /healthz answered 200 on every probe, throughout the failing runs.
      expect(health.statuses.length).toBeGreaterThan(RUNS);
      expect(new Set(health.statuses)).toEqual(new Set([200]));

      const runs = summaries(lines);
      const failed = runs.filter((s) => s.result === 'error');
      expect(failed.length).toBeGreaterThanOrEqual(RUNS);
      // Errors (and perhaps a run cut short by the stop).
      const firstOther = runs.findIndex((s) => s.result !== 'error');
      expect(runs.slice(firstOther < 0 ? runs.length : firstOther).every((s) => s.result === 'stopped')).toBe(true);

      // No retry storm: each failed run sent exactly one request, and retried nothing within the run.
      for (const s of failed) expect(s).toMatchObject({ requests: 1, retries: 0, writes: 0 });
      // (A run cut short by the stop sent its one request, or none.)
      const refused = emu.requests.filter((r) => r.status === 401);
      expect(refused.length).toBe(runs.filter((s) => s.result !== 'success').reduce((n, s) => n + Number(s.requests), 0));
      expect(refused.length - failed.length).toBeLessThanOrEqual(1);
      expect(emu.requests.filter((r) => r.status !== 401 && r.status !== 200 && r.status !== 201)).toEqual([]);
      expect(emu.requests.length).toBe(runs.reduce((n, s) => n + Number(s.requests), 0));
      expect(metricValue(metrics, 'stream_sync_reconcile_total{result="error"}')).toBe(failed.length);
      expect(metricValue(metrics, 'stream_sync_api_requests_total{operation="GetRateLimits",status="401"}')).toBe(refused.length);

      // One clear error per failed run, and nothing else above info.
      for (const s of failed) {
        const loud = lines.filter((l) => l.reconcile_id === s.reconcile_id && atLeastWarn(l.level));
        expect(loud.map((l) => l.msg)).toEqual(['reconcile failed']);
        expect(loud[0]!.err).toMatch(hint);
      }
      expect(lines.filter((l) => !l.reconcile_id && atLeastWarn(l.level))).toEqual([]);

      // Back-off between runs: doubling from the minimum, capped by the interval (each shortened by at most 10 %).
      const backoffs = lines.filter((l: LogLine) => l.msg === 'retrying after back-off').map((l) => Number(l.in_ms));
      expect(backoffs.length).toBeGreaterThanOrEqual(RUNS - 1);
      backoffs.slice(0, RUNS - 1).forEach((ms, i) => {
        const full = Math.min(INTERVAL_MS, MIN_BACKOFF_MS * 2 ** i);
        expect(ms, `back-off ${i + 1}`).toBeLessThanOrEqual(full);
        expect(ms, `back-off ${i + 1}`).toBeGreaterThanOrEqual(Math.floor(full * 0.9));
      });
      // Never the API secret in what the daemon logged.
      expect(JSON.stringify(lines)).not.toContain(APP.secret);
    } finally {
      await daemon?.stop();
      await emu.close();
    }
  });
});

describe("watch with a clock 10 minutes off Stream's", () => {
  it.each([
    ['ahead', TEN_MINUTES],
    ['behind', -TEN_MINUTES],
  ])("signs by Stream's clock (%s): the first run succeeds, re-sending one request once", { timeout: 30_000 }, async (_how, skew) => {
    const emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, now: () => Date.now() + skew, apps: [APP] });
    const cfg = tempConfig(desiredYaml(['scam']));
    const { logger, lines } = captureLogs();
    let daemon: Daemon | undefined;
    try {
      daemon = await startDaemon(
        { file: cfg.file, intervalMs: 60_000, dryRun: false, poll: false, emulator: false, concurrency: 4, targets: [], stateFile: join(mkdtempSync(join(tmpdir(), 'daemon-skew-')), 'state.json'), debounceMs: 50, minBackoffMs: MIN_BACKOFF_MS, lockRetryMs: 20 },
        { env: { STREAM_API_KEY: APP.key, STREAM_API_SECRET: APP.secret, STREAM_BASE_URL: emu.url }, logger, startEmulator: () => Promise.reject(new Error('not used')) },
      );
      await expect.poll(() => summaries(lines).length, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(1);
      await daemon.stop();
      expect(summaries(lines)[0]).toMatchObject({ result: 'success' });
      expect(emu.requests.filter((r) => r.status === 401)).toHaveLength(1);
    } finally {
      await daemon?.stop();
      await emu.close();
    }
  });
});

describe("watch with a clock behind Stream's by more than a minute", () => {
  it("signs each run's token afresh: a token cached across runs would expire at Stream before it is renewed", { timeout: 30_000 }, async () => {
    // This machine's clock, moved forward by the test to age the token; Stream's is 90 s ahead of it. A token
    // lives 300 s and is renewed with 60 s left by this machine's clock: 210 s after signing, Stream sees it
    // expired while this machine still has 90 s before renewing it.
    let elapsed = 0;
    const SKEW = 90_000;
    const emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, now: () => Date.now() + elapsed + SKEW, apps: [APP] });
    const cfg = tempConfig(desiredYaml(['scam']));
    const { logger, lines } = captureLogs();
    let daemon: Daemon | undefined;
    try {
      daemon = await startDaemon(
        {
          file: cfg.file,
          intervalMs: 60_000,
          dryRun: false,
          poll: false,
          emulator: false,
          concurrency: 4,
          targets: [],
          stateFile: join(mkdtempSync(join(tmpdir(), 'daemon-clock-')), 'state.json'),
          debounceMs: 50,
          minBackoffMs: MIN_BACKOFF_MS,
          lockRetryMs: 20,
          clientNow: () => Date.now() + elapsed,
        },
        { env: { STREAM_API_KEY: APP.key, STREAM_API_SECRET: APP.secret, STREAM_BASE_URL: emu.url }, logger, startEmulator: () => Promise.reject(new Error('not used')) },
      );
      await expect.poll(() => daemon!.status.ready, { timeout: 10_000, interval: 20 }).toBe(true);

      elapsed = 215_000;
      cfg.write(desiredYaml(['scam', 'spoiler']));
      await expect.poll(() => summaries(lines).length, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(2);
      await daemon.stop();
      expect(summaries(lines).map((s) => s.result)).toEqual(['success', 'success']);
      expect(emu.requests.filter((r) => r.status === 401)).toEqual([]);
      expect([...emu.app(APP.key).blocklists.values()].find((b) => b.name === 'banned-words')?.words).toEqual(['scam', 'spoiler']);
    } finally {
      await daemon?.stop();
      await emu.close();
    }
  });
});
