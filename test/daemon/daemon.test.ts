import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon/watch.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { TestApi } from '../support/api.js';
import { APP, captureLogs, configMapVolume, daemonFor, desiredYaml, metricValue, pause, summaries, tempConfig, withEmulator, words, writes } from './daemon-harness.js';

const POLL = { timeout: 15_000, interval: 25 };
let emu: RunningEmulator;
const running: Daemon[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
  await emu?.close();
});

async function start(...args: Parameters<typeof daemonFor>): Promise<Daemon> {
  const d = await daemonFor(...args);
  running.push(d);
  return d;
}

describe('stream-sync watch (in process, real chokidar, against the emulator)', () => {
  it('applies the file at startup, then applies an edit', async () => {
    emu = await withEmulator();
    const cfg = tempConfig(desiredYaml(['scam', 'spoiler']));
    const { logger, lines } = captureLogs();
    const d = await start(emu, cfg.file, logger);
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    expect(words(emu)).toEqual(['scam', 'spoiler']);
    expect(emu.app(APP.key).roles.has('support-agent')).toBe(true);

    cfg.write(desiredYaml(['scam', 'spoiler', 'giveaway']));
    await expect.poll(() => words(emu), POLL).toEqual(['scam', 'spoiler', 'giveaway']);
    await expect.poll(() => summaries(lines).length, POLL).toBe(2);
    const [first, second] = summaries(lines);
    expect(first).toMatchObject({ result: 'success', triggers: ['startup'], changes: { create: 2, update: 0, delete: 0 } });
    expect(second).toMatchObject({ result: 'success', triggers: ['file'], changes: { create: 0, update: 1, delete: 0 } });
    // One reconcile id per run, on every line of that run.
    const ids = new Set(lines.filter((l) => l.reconcile_id).map((l) => l.reconcile_id));
    expect(ids.size).toBe(2);
    expect(lines.filter((l) => l.reconcile_id === second!.reconcile_id).map((l) => l.msg)).toContain('update blocklist/banned-words');
  });

  it.each([
    ['filesystem events', false],
    ['--poll', true],
  ])('applies a Kubernetes ConfigMap update (the `..data` symlink swap), watching with %s', async (_name, poll) => {
    emu = await withEmulator();
    const volume = configMapVolume(desiredYaml(['scam']));
    const { logger } = captureLogs();
    const d = await start(emu, volume.file, logger, { poll, pollIntervalMs: 100, stateFile: join(mkdtempSync(join(tmpdir(), 'state-')), 'state.json') });
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    volume.swap(desiredYaml(['scam', 'phishing']));
    await expect.poll(() => words(emu), POLL).toEqual(['scam', 'phishing']);
  });

  it('keeps the last good configuration when the file is truncated or emptied: nothing changes, and it is reported', async () => {
    emu = await withEmulator();
    const good = desiredYaml(['scam', 'spoiler']);
    const cfg = tempConfig(good);
    const { logger, lines } = captureLogs();
    const d = await start(emu, cfg.file, logger, { listen: { host: '127.0.0.1', port: 0 } });
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    const writesBefore = writes(emu).length;
    const invalidReports = () => lines.filter((l) => l.msg.startsWith('the desired state is invalid')).length;

    // A save caught halfway: the flow sequence is cut off.
    cfg.write(good.slice(0, good.indexOf('spoiler') + 3));
    await expect.poll(invalidReports, POLL).toBe(1);
    const readyz = (await (await fetch(`${d.url}/readyz`)).json()) as { ready: boolean; config: { valid: boolean; in_force: string; error: string } };
    expect(readyz).toMatchObject({ ready: true, config: { valid: false, in_force: 'last valid configuration' } });
    expect(readyz.config.error).toMatch(/stream\.yaml:\d+:\d+/);
    expect(metricValue(await (await fetch(`${d.url}/metrics`)).text(), 'stream_sync_config_valid')).toBe(0);

    // Cut at a section header: `blocklists:` with no value never means "delete them all".
    cfg.write(good.slice(0, good.indexOf('  - name: banned-words')));
    await expect.poll(invalidReports, POLL).toBe(2);
    cfg.write('');
    await expect.poll(invalidReports, POLL).toBe(3);
    await expect.poll(() => summaries(lines).length, POLL).toBe(4);

    expect(writes(emu).length).toBe(writesBefore);
    expect(words(emu)).toEqual(['scam', 'spoiler']);
    expect(emu.app(APP.key).roles.has('support-agent')).toBe(true);

    // A valid file again is in force again.
    cfg.write(desiredYaml(['scam']));
    await expect.poll(() => words(emu), POLL).toEqual(['scam']);
    expect(metricValue(await (await fetch(`${d.url}/metrics`)).text(), 'stream_sync_config_valid')).toBe(1);
  });

  it('waits for a valid file when the first one is invalid, without retrying it', async () => {
    emu = await withEmulator();
    const cfg = tempConfig('version: 1\nblocklists:\n');
    const { logger, lines } = captureLogs();
    const d = await start(emu, cfg.file, logger, { minBackoffMs: 20 });
    await expect.poll(() => summaries(lines).length, POLL).toBe(1);
    expect(summaries(lines)[0]).toMatchObject({ result: 'invalid_config' });
    await pause(300);
    // Terminal: no back-off retries, and nothing was sent to the API.
    expect(summaries(lines)).toHaveLength(1);
    expect(emu.requests).toHaveLength(0);
    expect(d.status.ready).toBe(false);
    cfg.write(desiredYaml(['scam']));
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    expect(words(emu)).toEqual(['scam']);
  });

  it('refuses, without retrying, when a guard fails (another app), and writes nothing', async () => {
    emu = await withEmulator();
    const cfg = tempConfig(desiredYaml(['scam']).replace('expect_name: daemon-app', 'expect_name: some-other-app'));
    const { logger, lines } = captureLogs();
    const d = await start(emu, cfg.file, logger, { minBackoffMs: 20 });
    await expect.poll(() => summaries(lines).length, POLL).toBe(1);
    expect(summaries(lines)[0]).toMatchObject({ result: 'refused' });
    expect(lines.find((l) => l.msg === 'reconcile refused: nothing was applied')?.err).toMatch(/expect_name is "some-other-app"/);
    await pause(300);
    expect(summaries(lines)).toHaveLength(1);
    expect(writes(emu)).toEqual([]);
    expect(d.status.ready).toBe(false);
  });

  it('sets a secret once across runs (the state file is read again each run) and never logs it', async () => {
    emu = await withEmulator();
    const sentinel = 'sentinel-sqs-secret-4d1e';
    const yaml = desiredYaml(['scam']).replace(
      'expect_name: daemon-app\n',
      'expect_name: daemon-app\n  settings:\n    sqs_url: https://sqs.us-east-1.amazonaws.com/123456789012/q\n    sqs_key: AKIAEXAMPLE\n    sqs_secret: ${env:SQS_SECRET}\n',
    );
    const cfg = tempConfig(yaml);
    const { logger, lines } = captureLogs();
    const stateFile = join(mkdtempSync(join(tmpdir(), 'state-')), 'state.json');
    const d = await daemonFor(emu, cfg.file, logger, { intervalMs: 1000, stateFile }, { SQS_SECRET: sentinel });
    running.push(d);
    await expect.poll(() => summaries(lines).length, POLL).toBeGreaterThanOrEqual(3);
    expect(emu.requests.filter((r) => r.op === 'UpdateApp')).toHaveLength(1);
    expect(summaries(lines).slice(1).every((s) => s.writes === 0 && s.result === 'success')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(sentinel);
    expect(readFileSync(stateFile, 'utf8')).not.toContain(sentinel);
  });

  it('settles a burst of 20 edits into at most two reconciles, ending at the last edit', async () => {
    emu = await withEmulator();
    const cfg = tempConfig(desiredYaml(['w0']));
    const { logger, lines } = captureLogs();
    const d = await start(emu, cfg.file, logger);
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    const runsBefore = d.status.runs;
    for (let i = 1; i <= 20; i++) cfg.write(desiredYaml([`w${i}`]));
    await expect.poll(() => words(emu), POLL).toEqual(['w20']);
    await pause(500);
    const runs = d.status.runs - runsBefore;
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(2);
    expect(summaries(lines).slice(1).every((s) => s.result === 'success')).toBe(true);
  });

  it('corrects drift made behind its back on the next interval', async () => {
    emu = await withEmulator();
    const cfg = tempConfig(desiredYaml(['scam', 'spoiler']));
    const { logger, lines } = captureLogs();
    const d = await start(emu, cfg.file, logger, { intervalMs: 1000 });
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    // "The dashboard": someone edits the block list and adds a role by hand.
    const api = new TestApi(emu);
    expect((await api.call({ method: 'PUT', path: '/api/v2/blocklists/banned-words', body: { words: ['hand-edited'] } })).status).toBe(201);
    expect(words(emu)).toEqual(['hand-edited']);
    await expect.poll(() => words(emu), POLL).toEqual(['scam', 'spoiler']);
    // The run's summary is logged once its read-back is done, a moment after the write the poll above saw.
    await expect.poll(() => summaries(lines).find((s) => s.changes?.update === 1), POLL).toMatchObject({ result: 'success', triggers: ['interval'] });
  });

  it('with --dry-run only reports drift: a line per drifted address and a gauge, and no write', async () => {
    emu = await withEmulator();
    const cfg = tempConfig(desiredYaml(['scam', 'spoiler']));
    const { logger, lines } = captureLogs();
    const d = await start(emu, cfg.file, logger, { intervalMs: 1000, dryRun: true, listen: { host: '127.0.0.1', port: 0 } });
    // Two runs: the startup one and an interval resync.
    await expect.poll(() => summaries(lines).length, POLL).toBeGreaterThanOrEqual(2);
    const drift = lines.filter((l) => l.msg.startsWith('drift: '));
    expect(drift.slice(0, 2).map((l) => l.msg).sort()).toEqual(['drift: create blocklist/banned-words', 'drift: create role/support-agent']);
    expect(drift[0]).toMatchObject({ reconcile_id: summaries(lines)[0]!.reconcile_id });
    expect(summaries(lines)[1]).toMatchObject({ result: 'success', triggers: ['interval'], dry_run: true, changes: { create: 2 } });
    expect(metricValue(await (await fetch(`${d.url}/metrics`)).text(), 'stream_sync_drifted_objects')).toBe(2);
    expect(writes(emu)).toEqual([]);
    expect(words(emu)).toBeUndefined();
  });

  it('serves /healthz, /readyz and /metrics with the named series, and nothing else', async () => {
    emu = await withEmulator();
    const cfg = tempConfig(desiredYaml(['scam']));
    const { logger } = captureLogs();
    const d = await start(emu, cfg.file, logger, { listen: { host: '127.0.0.1', port: 0 } });
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${d.url}/healthz`)).status).toBe(200);
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    const readyz = await fetch(`${d.url}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toMatchObject({ ready: true, config: { valid: true }, last_run: { result: 'success' } });

    const res = await fetch(`${d.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const name of [
      'stream_sync_reconcile_total',
      'stream_sync_reconcile_duration_seconds',
      'stream_sync_drifted_objects',
      'stream_sync_unknown_objects',
      'stream_sync_changes_total',
      'stream_sync_api_requests_total',
      'stream_sync_api_rate_limited_total',
      'stream_sync_last_success_timestamp_seconds',
      'stream_sync_config_valid',
      'stream_sync_build_info',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(metricValue(text, 'stream_sync_reconcile_total{result="success"}')).toBe(1);
    expect(metricValue(text, 'stream_sync_reconcile_duration_seconds_count')).toBe(1);
    expect(metricValue(text, 'stream_sync_api_requests_total{operation="GetApp",status="200"}')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'stream_sync_api_requests_total{operation="CreateBlockList",status="201"}')).toBe(1);
    expect(metricValue(text, 'stream_sync_changes_total{action="create",result="applied"}')).toBe(2);
    expect(metricValue(text, 'stream_sync_config_valid')).toBe(1);
    expect(metricValue(text, 'stream_sync_last_success_timestamp_seconds')).toBeGreaterThan(1_700_000_000);
    // Every series is the daemon's own, process metrics included.
    const names = text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]!);
    expect(names.filter((n) => !n.startsWith('stream_sync_'))).toEqual([]);
    expect(text).not.toContain(APP.secret);

    expect((await fetch(`${d.url}/`)).status).toBe(404);
    expect((await fetch(`${d.url}/debug/pprof`)).status).toBe(404);
    expect((await fetch(`${d.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('counts rate-limited answers by operation', async () => {
    emu = await withEmulator();
    emu.faults.configure({ rules: [{ kind: 'rate_limit', op: 'CreateBlockList', times: 1, resetHeaders: false }] });
    const cfg = tempConfig(desiredYaml(['scam']));
    const { logger } = captureLogs();
    const d = await start(emu, cfg.file, logger, { listen: { host: '127.0.0.1', port: 0 } });
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    const text = await (await fetch(`${d.url}/metrics`)).text();
    expect(metricValue(text, 'stream_sync_api_rate_limited_total{operation="CreateBlockList"}')).toBe(1);
    expect(metricValue(text, 'stream_sync_api_requests_total{operation="CreateBlockList",status="429"}')).toBe(1);
    expect(words(emu)).toEqual(['scam']);
  });

  it('backs off and retries after an API error, and succeeds once the API recovers', async () => {
    emu = await withEmulator();
    emu.faults.configure({ rules: [{ kind: 'error', status: 400, op: 'CreateRole', times: 2 }] });
    const cfg = tempConfig(desiredYaml(['scam']));
    const { logger, lines } = captureLogs();
    const d = await start(emu, cfg.file, logger, { minBackoffMs: 20 });
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    expect(summaries(lines).map((s) => [s.result, s.triggers])).toEqual([
      ['error', ['startup']],
      ['error', ['retry']],
      ['success', ['retry']],
    ]);
    expect(emu.app(APP.key).roles.has('support-agent')).toBe(true);
  });

  it('never lets two daemons sharing a state file reconcile at once: the second waits', async () => {
    emu = await withEmulator();
    // The first daemon's apply is held up long enough for the second to start and find the lock.
    emu.faults.configure({ rules: [{ kind: 'latency', op: 'CreateBlockList', ms: 1500, times: 1 }] });
    const cfg = tempConfig(desiredYaml(['scam', 'spoiler']));
    const stateFile = join(mkdtempSync(join(tmpdir(), 'shared-state-')), 'state.json');
    const { logger, lines } = captureLogs();
    const a = await start(emu, cfg.file, logger.child({ daemon: 'a' }), { stateFile });
    await expect.poll(() => lines.some((l) => l.daemon === 'a' && l.msg === 'create blocklist/banned-words'), POLL).toBe(true);
    const b = await start(emu, cfg.file, logger.child({ daemon: 'b' }), { stateFile });
    await expect.poll(() => a.status.ready && b.status.ready, POLL).toBe(true);

    const at = (pred: (l: (typeof lines)[number]) => boolean) => lines.findIndex(pred);
    const bWaits = at((l) => l.daemon === 'b' && l.msg.startsWith('waiting for the state-file lock'));
    const aDone = at((l) => l.daemon === 'a' && l.result === 'success');
    const bPlans = at((l) => l.daemon === 'b' && (l.msg.startsWith('create ') || l.result !== undefined));
    expect(bWaits).toBeGreaterThanOrEqual(0);
    expect(lines[bWaits]).toMatchObject({ holder: { pid: process.pid } });
    expect(bWaits).toBeLessThan(aDone);
    expect(aDone).toBeLessThan(bPlans);
    // The second read the app after the first had applied: nothing left to do, and nothing created twice.
    expect(summaries(lines, 'b')[0]).toMatchObject({ result: 'success', changes: { create: 0, update: 0, delete: 0 } });
    expect(emu.requests.filter((r) => r.op === 'CreateBlockList')).toHaveLength(1);
  });
});
