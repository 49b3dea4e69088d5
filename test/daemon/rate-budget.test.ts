import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/server.js';
import { createApiClient } from '../../src/live/client.js';
import { APP, captureLogs, daemonFor, desiredYaml, metricValue, summaries, tempConfig } from './daemon-harness.js';

/** The daemon's rate budget as an operator watches it: its share, each endpoint's last window, the auto interval, the run deadline. */
describe('watch and the rate budget', () => {
  it("reports its share and, per endpoint, the last window's use by the daemon and by the app's other clients", { timeout: 30_000 }, async () => {
    // Stream's clock 54 s into a minute: the window the first run falls in ends a few seconds after it.
    const ahead = 54_000 - (Date.now() % 60_000);
    const emu = await startEmulator({ port: 0, taskStepMs: 0, now: () => Date.now() + ahead, apps: [APP] });
    // The app's own backend: 30 ListRoles in the same window, before the daemon's.
    const backend = createApiClient({ baseUrl: emu.url, apiKey: APP.key, apiSecret: APP.secret, rateShare: 100 });
    await Promise.all(Array.from({ length: 30 }, () => backend.send({ op: 'ListRoles', method: 'GET', path: '/api/v2/roles', idempotent: true })));
    const cfg = tempConfig(desiredYaml(['scam'], '  rate_share: 20\n'));
    const { logger, lines } = captureLogs();
    const daemon = await daemonFor(emu, cfg.file, logger);
    try {
      await expect.poll(() => summaries(lines).length, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(1);
      expect(summaries(lines)[0]).toMatchObject({ result: 'success' });
      const metrics = () => daemon.metrics.text();
      expect(metricValue(await metrics(), 'stream_sync_rate_share_ratio')).toBe(0.2);
      // Once the window has ended: the daemon's requests and the backend's, each as a part of the limit (1,000).
      await expect.poll(async () => metricValue(await metrics(), 'stream_sync_rate_window_used_ratio{operation="ListRoles",client="others"}'), { timeout: 15_000, interval: 100 }).toBe(0.03);
      const text = await metrics();
      const ours = metricValue(text, 'stream_sync_rate_window_used_ratio{operation="ListRoles",client="stream_sync"}');
      const listRoles = emu.requests.filter((r) => r.op === 'ListRoles').length - 30;
      expect(ours).toBe(listRoles / 1_000);
      expect(listRoles).toBeGreaterThan(0);
    } finally {
      await daemon.stop();
      await backend.close();
      await emu.close();
    }
  });

  it('--interval auto: picks the interval after each run, says why, and exports it', { timeout: 20_000 }, async () => {
    const emu = await startEmulator({ port: 0, taskStepMs: 0, apps: [APP] });
    const cfg = tempConfig(desiredYaml(['scam']));
    const { logger, lines } = captureLogs();
    const daemon = await daemonFor(emu, cfg.file, logger, { intervalMs: 'auto' });
    try {
      await expect.poll(() => lines.find((l) => l.msg.startsWith('--interval auto:')), { timeout: 10_000, interval: 20 }).toBeDefined();
      // A small app uses little of any endpoint: the floor.
      expect(lines.find((l) => l.msg.startsWith('--interval auto:'))).toMatchObject({ msg: expect.stringContaining('next run in 30s'), interval_ms: 30_000 });
      expect(lines.find((l) => l.msg === 'watching')).toMatchObject({ interval: 'auto' });
      expect(metricValue(await daemon.metrics.text(), 'stream_sync_resync_interval_seconds')).toBe(30);
    } finally {
      await daemon.stop();
      await emu.close();
    }
  });

  it('stops a run that outlives its deadline, with an error that says so (a failed run, counted as one)', { timeout: 20_000 }, async () => {
    const emu = await startEmulator({ port: 0, taskStepMs: 0, apps: [APP], faults: { rules: [{ kind: 'slow', op: 'ListBlockLists', ms: 2_000 }] } });
    const cfg = tempConfig(desiredYaml(['scam']));
    const { logger, lines } = captureLogs();
    const daemon = await daemonFor(emu, cfg.file, logger, { runDeadlineMs: 1_000, minBackoffMs: 5_000 });
    try {
      await expect.poll(() => summaries(lines).length, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(1);
      const [run] = summaries(lines);
      expect(run).toMatchObject({ result: 'error' });
      expect(lines.find((l) => l.msg === 'reconcile failed' && l.reconcile_id === run!.reconcile_id)).toMatchObject({ err: expect.stringMatching(/^reconcile did not finish within its deadline \(1s, --deadline\)/) });
      expect(lines.some((l) => l.msg === 'reconcile did not finish within its deadline (1s, --deadline): no new request starts; the requests in flight finish')).toBe(true);
      expect(metricValue(await daemon.metrics.text(), 'stream_sync_reconcile_total{result="error"}')).toBe(1);
    } finally {
      await daemon.stop();
      await emu.close();
    }
  });
});
