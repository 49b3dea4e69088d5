import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon/watch.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { captureLogs, daemonFor, desiredYaml, summaries, tempConfig, withEmulator, words } from './daemon-harness.js';

const POLL = { timeout: 15_000, interval: 10 };
let emu: RunningEmulator;
const running: Daemon[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
  await emu?.close();
});

const readyz = async (d: Daemon) => {
  const res = await fetch(`${d.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; consecutive_failures: number; ready_failure_threshold: number; last_run: { result: string } } };
};

describe('/readyz follows the last runs', () => {
  it('turns 503 once the default 3 runs in a row have failed, and 200 again after a success', async () => {
    emu = await withEmulator();
    const cfg = tempConfig(desiredYaml(['scam']));
    const { logger, lines } = captureLogs();
    const d = await daemonFor(emu, cfg.file, logger, { minBackoffMs: 20, listen: { host: '127.0.0.1', port: 0 } });
    running.push(d);
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    expect(await readyz(d)).toMatchObject({ status: 200, body: { ready: true, consecutive_failures: 0, ready_failure_threshold: 3 } });

    // Stream answers every read of the app with an error: each run fails, and is retried with back-off.
    emu.faults.configure({ rules: [{ kind: 'error', status: 400, op: 'GetApp' }] });
    cfg.write(desiredYaml(['scam', 'phishing']));
    await expect.poll(async () => (await readyz(d)).status, POLL).toBe(503);
    const down = await readyz(d);
    expect(down.body).toMatchObject({ ready: false, ready_failure_threshold: 3, last_run: { result: 'error' } });
    expect(down.body.consecutive_failures).toBeGreaterThanOrEqual(3);
    // Ready through the first two failures: the summaries say when the count reached the threshold.
    const failed = summaries(lines).filter((s) => s.result === 'error');
    expect(failed.slice(0, 3).map((s) => s.consecutive_failures)).toEqual([1, 2, 3]);

    emu.faults.clear();
    await expect.poll(async () => (await readyz(d)).status, POLL).toBe(200);
    expect((await readyz(d)).body).toMatchObject({ ready: true, consecutive_failures: 0, last_run: { result: 'success' } });
    expect(words(emu)).toEqual(['scam', 'phishing']);
  });

  it('takes the threshold from readyFailureThreshold: with 1, the first failure is enough', async () => {
    emu = await withEmulator();
    const cfg = tempConfig(desiredYaml(['scam']));
    const { logger } = captureLogs();
    // A long back-off: the failed run is the last one while the probe looks.
    const d = await daemonFor(emu, cfg.file, logger, { minBackoffMs: 10_000, readyFailureThreshold: 1, listen: { host: '127.0.0.1', port: 0 } });
    running.push(d);
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    emu.faults.configure({ rules: [{ kind: 'error', status: 400, op: 'GetApp' }] });
    cfg.write(desiredYaml(['scam', 'phishing']));
    await expect.poll(async () => (await readyz(d)).status, POLL).toBe(503);
    expect((await readyz(d)).body).toMatchObject({ ready: false, consecutive_failures: 1, ready_failure_threshold: 1 });
  });
});
