import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon/watch.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { TestApi } from '../support/api.js';
import { runCli } from '../support/cli.js';
import { APP, captureLogs, daemonFor, desiredYaml, metricValue, summaries, tempConfig, withEmulator, writes } from './daemon-harness.js';

const POLL = { timeout: 15_000, interval: 25 };
const SENTINEL = 'sentinel-sqs-secret-77a0';
let emu: RunningEmulator;
const running: Daemon[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
  await emu?.close();
});

const gauges = async (d: Daemon) => {
  const text = await (await fetch(`${d.url}/metrics`)).text();
  return { drifted: metricValue(text, 'stream_sync_drifted_objects'), unknown: metricValue(text, 'stream_sync_unknown_objects') };
};

/** The harness's block list and role, and an SQS secret in the app's settings. */
const withSecret = desiredYaml(['scam', 'spoiler']).replace(
  'expect_name: daemon-app\n',
  'expect_name: daemon-app\n  settings:\n    sqs_url: https://sqs.us-east-1.amazonaws.com/123456789012/q\n    sqs_key: AKIAEXAMPLE\n    sqs_secret: ${env:SQS_SECRET}\n',
);

describe('watch --dry-run beside a writer', () => {
  it('reports a secret it has no fingerprint for as unknown, not drift; with the writer’s state file, neither; real drift still counts', async () => {
    emu = await withEmulator();
    const cfg = tempConfig(withSecret);
    const env = { STREAM_API_KEY: APP.key, STREAM_API_SECRET: APP.secret, STREAM_BASE_URL: emu.url, SQS_SECRET: SENTINEL };
    // The writer: `apply`, with its state file where it is by default (.stream-sync/state.json beside the config).
    const applied = await runCli(['apply', '-f', cfg.file], env);
    expect(applied.code, applied.stderr).toBe(0);
    const stateFile = join(cfg.dir, '.stream-sync', 'state.json');
    const before = { bytes: readFileSync(stateFile), mtimeMs: statSync(stateFile).mtimeMs };
    const writesBefore = writes(emu).length;

    // A detector that cannot see the writer's state file: the app is as declared, but the secret cannot be verified.
    const blind = captureLogs();
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'no-state-')), 'state.json');
    const a = await daemonFor(emu, cfg.file, blind.logger, { dryRun: true, stateFile: elsewhere, listen: { host: '127.0.0.1', port: 0 } }, { SQS_SECRET: SENTINEL });
    running.push(a);
    await expect.poll(() => summaries(blind.lines).length, POLL).toBe(1);
    expect(summaries(blind.lines)[0]).toMatchObject({ result: 'success', dry_run: true, drifted: 0, unknown: 1 });
    expect(summaries(blind.lines)[0]!.msg).toMatch(/0 drifted, 1 unknown/);
    expect(blind.lines.filter((l) => l.msg.startsWith('drift: '))).toEqual([]);
    expect(blind.lines.find((l) => l.msg.startsWith('unknown: '))).toMatchObject({ level: 30, address: 'app', fields: ['/settings/sqs_secret'], msg: 'unknown: app: secret not verifiable: no fingerprint recorded in the state file' });
    expect(await gauges(a)).toEqual({ drifted: 0, unknown: 1 });
    expect(JSON.stringify(blind.lines)).not.toContain(SENTINEL);
    expect(existsSync(elsewhere)).toBe(false);

    // Pointed at the writer's state file (by default, as the writer found it): nothing drifted, nothing unknown.
    const seeing = captureLogs();
    const b = await daemonFor(emu, cfg.file, seeing.logger, { dryRun: true, stateFile: undefined, intervalMs: 1000, listen: { host: '127.0.0.1', port: 0 } }, { SQS_SECRET: SENTINEL });
    running.push(b);
    await expect.poll(() => summaries(seeing.lines).length, POLL).toBeGreaterThanOrEqual(1);
    expect(summaries(seeing.lines)[0]).toMatchObject({ result: 'success', drifted: 0, unknown: 0 });
    expect(await gauges(b)).toEqual({ drifted: 0, unknown: 0 });

    // "The dashboard" edits the block list: real drift, found by the next interval, and only that.
    const api = new TestApi(emu);
    expect((await api.call({ method: 'PUT', path: '/api/v2/blocklists/banned-words', body: { words: ['hand-edited'] } })).status).toBe(201);
    await expect.poll(() => summaries(seeing.lines).some((s) => s.drifted === 1), POLL).toBe(true);
    expect(summaries(seeing.lines).find((s) => s.drifted === 1)).toMatchObject({ unknown: 0 });
    await expect.poll(async () => (await gauges(b)).drifted, POLL).toBe(1);

    // The dry runs read the writer's state file and never wrote it, nor took its lock.
    expect(readFileSync(stateFile)).toEqual(before.bytes);
    expect(statSync(stateFile).mtimeMs).toBe(before.mtimeMs);
    expect(existsSync(`${stateFile}.lock`)).toBe(false);
    expect(writes(emu).length).toBe(writesBefore + 1);
  });
});
