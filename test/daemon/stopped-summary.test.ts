import { afterEach, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { APP, captureLogs, daemonFor, summaries, tempConfig, withEmulator } from './daemon-harness.js';

const POLL = { timeout: 15_000, interval: 10 };
const ROLES = Array.from({ length: 20 }, (_, i) => `agent-tier-${i}`);
let emu: RunningEmulator;

afterEach(async () => {
  await emu?.close();
});

const created = () => ROLES.filter((r) => emu.app(APP.key).roles.has(r)).length;

describe('a run stopped midway', () => {
  it('reports in its summary the changes applied before the stop: as many as exist in the app', async () => {
    emu = await withEmulator();
    // Every create is slow: the stop arrives with some roles created, some in flight and most not started.
    emu.faults.configure({ rules: [{ kind: 'latency', op: 'CreateRole', ms: 150 }] });
    const cfg = tempConfig(`version: 1\nroles:\n${ROLES.map((r) => `  - name: ${r}\n`).join('')}`);
    const { logger, lines } = captureLogs();
    const d = await daemonFor(emu, cfg.file, logger, { concurrency: 2 });
    await expect.poll(created, POLL).toBeGreaterThanOrEqual(3);
    await d.stop();

    const [summary] = summaries(lines);
    const applied = created();
    expect(applied).toBeLessThan(ROLES.length);
    expect(summary).toMatchObject({ result: 'stopped', changes: { create: ROLES.length }, applied });
    expect(summary!.writes).toBe(emu.requests.filter((r) => r.op === 'CreateRole').length);
    expect(summary!.msg).toContain(`stopped midway: ${applied} applied after ${summary!.writes as number} write requests`);
    expect(d.status.lastRun?.result).toBe('stopped');
  });
});
