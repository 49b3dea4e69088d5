import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon/watch.js';
import type { DaemonNotifyTarget } from '../../src/daemon/notifications.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { TestApi } from '../support/api.js';
import { APP, captureLogs, daemonFor, desiredYaml, pause, summaries, tempConfig, withEmulator, words } from './daemon-harness.js';
import { type Receiver, RECEIVER_TOKEN, startReceiver } from './notify-receiver.js';

const POLL = { timeout: 15_000, interval: 25 };
const FAST = { timeoutMs: 2_000, attempts: 2, minBackoffMs: 20 };
const SENTINEL = 'sentinel-sqs-secret-9c3b';
let emu: RunningEmulator | undefined;
const running: Daemon[] = [];
const receivers: Receiver[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await emu?.close();
  emu = undefined;
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

interface Posted {
  kind: string;
  environment: string;
  summary: string;
  changes: { address: string; action: string; fields: string[]; error?: string }[];
  reconcile_id?: string;
  app?: { api_key: string; name?: string | null; base_url: string };
}
const posted = (r: Receiver) => r.received.map((q) => q.body as Posted);
const ofKind = (r: Receiver, kind: string) => posted(r).filter((p) => p.kind === kind);

async function start(file: string, targets: DaemonNotifyTarget[], opts: Parameters<typeof daemonFor>[3] = {}, env: NodeJS.ProcessEnv = {}) {
  const { logger, lines } = captureLogs();
  const d = await daemonFor(emu!, file, logger, { notify: targets, notifyTuning: FAST, ...opts }, env);
  running.push(d);
  return { d, lines };
}

const json = (r: Receiver, extra: Partial<DaemonNotifyTarget> = {}): DaemonNotifyTarget => ({ name: 'hook', url: r.url, format: 'json', ...extra });

describe('watch notifications (through a local webhook receiver)', () => {
  it('drift_found: sent once across several dry runs, cleared by a clean run, sent again when drift returns', async () => {
    emu = await withEmulator();
    const r = await receiver();
    const cfg = tempConfig(desiredYaml(['scam']));
    const { lines } = await start(cfg.file, [json(r)], { dryRun: true, intervalMs: 1000 });
    await expect.poll(() => summaries(lines).length, POLL).toBeGreaterThanOrEqual(3);
    expect(ofKind(r, 'drift_found')).toHaveLength(1);
    const [first] = ofKind(r, 'drift_found');
    expect(first).toMatchObject({ environment: 'default', app: { api_key: APP.key, base_url: emu.url, name: 'daemon-app' }, reconcile_id: summaries(lines)[0]!.reconcile_id });
    expect(first!.changes.map((c) => `${c.action} ${c.address}`).sort()).toEqual(['create blocklist/banned-words', 'create role/support-agent']);
    expect(first!.summary).toMatch(/2 objects differ/);

    // The fix: the app is made to match the file (by hand here), so the next dry run is clean.
    const api = new TestApi(emu);
    expect((await api.call({ method: 'POST', path: '/api/v2/blocklists', body: { name: 'banned-words', words: ['scam'] } })).status).toBe(201);
    expect((await api.call({ method: 'POST', path: '/api/v2/roles', body: { name: 'support-agent' } })).status).toBe(201);
    await expect.poll(() => summaries(lines).some((s) => s.result === 'success' && s.drifted === 0), POLL).toBe(true);
    const clean = summaries(lines).filter((s) => s.drifted === 0).length;
    await expect.poll(() => summaries(lines).filter((s) => s.drifted === 0).length, POLL).toBeGreaterThan(clean);
    expect(ofKind(r, 'drift_found')).toHaveLength(1);

    // Drift again, of the same object: news again, since the clean run cleared the first.
    expect((await api.call({ method: 'PUT', path: '/api/v2/blocklists/banned-words', body: { words: ['hand-edited'] } })).status).toBe(201);
    await expect.poll(() => ofKind(r, 'drift_found').length, POLL).toBe(2);
    expect(ofKind(r, 'drift_found')[1]!.changes).toEqual([{ address: 'blocklist/banned-words', action: 'update', fields: ['/words'] }]);
    expect(posted(r).map((p) => p.kind)).toEqual(['drift_found', 'drift_found']);
  });

  it('applied_after_drift: the daemon undid a change made outside the file (the file unchanged); a file edit is not drift', async () => {
    emu = await withEmulator();
    const r = await receiver();
    const cfg = tempConfig(desiredYaml(['scam']));
    const { d, lines } = await start(cfg.file, [json(r)], { intervalMs: 1000 });
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    // A file edit applies changes, but they are the file's: nothing to tell.
    cfg.write(desiredYaml(['scam', 'spoiler']));
    await expect.poll(() => words(emu!), POLL).toEqual(['scam', 'spoiler']);
    await expect.poll(() => summaries(lines).some((s) => s.triggers?.includes('file') && s.result === 'success'), POLL).toBe(true);
    expect(posted(r)).toEqual([]);

    const api = new TestApi(emu);
    expect((await api.call({ method: 'PUT', path: '/api/v2/blocklists/banned-words', body: { words: ['hand-edited'] } })).status).toBe(201);
    await expect.poll(() => ofKind(r, 'applied_after_drift').length, POLL).toBe(1);
    expect(words(emu)).toEqual(['scam', 'spoiler']);
    expect(ofKind(r, 'applied_after_drift')[0]).toMatchObject({ environment: 'default', changes: [{ address: 'blocklist/banned-words', action: 'update', fields: ['/words'] }] });
    expect(posted(r).map((p) => p.kind)).toEqual(['applied_after_drift']);
  });

  it('drift_found without --dry-run: drift policy.report_only leaves alone is reported, not corrected, and not called corrected', async () => {
    emu = await withEmulator();
    const r = await receiver();
    const cfg = tempConfig(desiredYaml(['scam'], '  report_only: [blocklists]\n'));
    const { d, lines } = await start(cfg.file, [json(r)], { intervalMs: 1000 });
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    const api = new TestApi(emu);
    expect((await api.call({ method: 'PUT', path: '/api/v2/blocklists/banned-words', body: { words: ['hand-edited'] } })).status).toBe(201);
    await expect.poll(() => ofKind(r, 'drift_found').length, POLL).toBe(1);
    const runs = summaries(lines).length;
    await expect.poll(() => summaries(lines).length, POLL).toBeGreaterThan(runs);
    expect(words(emu)).toEqual(['hand-edited']);
    expect(posted(r).map((p) => p.kind)).toEqual(['drift_found']);
    expect(ofKind(r, 'drift_found')[0]).toMatchObject({ summary: expect.stringMatching(/policy\.report_only/), changes: [{ address: 'blocklist/banned-words', action: 'update', fields: ['/words'] }] });
  });

  it('apply_failed: one notification across the retries of a failing change, with its error; nothing more once it succeeds', async () => {
    emu = await withEmulator();
    emu.faults.configure({ rules: [{ kind: 'error', status: 400, op: 'CreateRole' }] });
    const r = await receiver();
    const cfg = tempConfig(desiredYaml(['scam']));
    const { d, lines } = await start(cfg.file, [json(r)], { minBackoffMs: 20 });
    await expect.poll(() => summaries(lines).filter((s) => s.result === 'error').length, POLL).toBeGreaterThanOrEqual(3);
    expect(ofKind(r, 'apply_failed')).toHaveLength(1);
    const [failed] = ofKind(r, 'apply_failed');
    expect(failed!.changes).toHaveLength(1);
    expect(failed!.changes[0]).toMatchObject({ address: 'role/support-agent', action: 'create', fields: [] });
    expect(failed!.changes[0]!.error).toMatch(/400/);
    expect(failed!.summary).toMatch(/1 change failed/);

    emu.faults.clear();
    await expect.poll(() => d.status.ready, POLL).toBe(true);
    await pause(200);
    expect(posted(r).map((p) => p.kind)).toEqual(['apply_failed']);
  });

  it('guard_refused: a refusal is sent once (expect_name), and a max_deletes refusal lists the planned changes', async () => {
    emu = await withEmulator();
    const r = await receiver();
    const cfg = tempConfig(desiredYaml(['scam']).replace('expect_name: daemon-app', 'expect_name: some-other-app'));
    const { lines } = await start(cfg.file, [json(r)], { intervalMs: 1000 });
    await expect.poll(() => summaries(lines).filter((s) => s.result === 'refused').length, POLL).toBeGreaterThanOrEqual(2);
    await pause(100);
    expect(posted(r).map((p) => p.kind)).toEqual(['guard_refused']);
    expect(ofKind(r, 'guard_refused')[0]).toMatchObject({ changes: [], summary: expect.stringMatching(/^refused, nothing was applied: app\.expect_name is "some-other-app"/) });

    // Another situation, another notification: two block lists made by hand, and the file prunes with max_deletes 1.
    const api = new TestApi(emu);
    for (const name of ['hand-a', 'hand-b']) expect((await api.call({ method: 'POST', path: '/api/v2/blocklists', body: { name, words: ['x'] } })).status).toBe(201);
    cfg.write(desiredYaml(['scam'], '  max_deletes: 1\n'));
    await expect.poll(() => ofKind(r, 'guard_refused').length, POLL).toBe(2);
    const second = ofKind(r, 'guard_refused')[1]!;
    expect(second.summary).toMatch(/max_deletes/);
    expect(second.changes.map((c) => `${c.action} ${c.address}`).sort()).toEqual(['create blocklist/banned-words', 'create role/support-agent', 'delete blocklist/hand-a', 'delete blocklist/hand-b']);
  });

  it('sends to the targets that want the event and the environment only, and never a secret (Slack and JSON alike)', async () => {
    emu = await withEmulator();
    // The API answers UpdateApp with an error quoting the request body back: the secret comes back in the error.
    emu.faults.configure({ rules: [{ kind: 'echo_body', op: 'UpdateApp' }] });
    const [slack, onlyDrift, otherEnv, all] = [await receiver(), await receiver(), await receiver(), await receiver()];
    const yaml = desiredYaml(['scam']).replace(
      'expect_name: daemon-app\n',
      'expect_name: daemon-app\n  settings:\n    sqs_url: https://sqs.us-east-1.amazonaws.com/123456789012/q\n    sqs_key: AKIAEXAMPLE\n    sqs_secret: ${env:SQS_SECRET}\n',
    );
    const cfg = tempConfig(yaml);
    const { lines } = await start(
      cfg.file,
      [
        { name: 'slack', url: slack.url, format: 'slack' },
        json(onlyDrift, { name: 'drift-only', events: ['drift_found'] }),
        json(otherEnv, { name: 'staging-only', environments: ['staging'] }),
        json(all, { name: 'all', environments: ['default', 'staging'], headers: { authorization: 'Bearer header-secret-4711' } }),
      ],
      { minBackoffMs: 20 },
      { SQS_SECRET: SENTINEL },
    );
    await expect.poll(() => ofKind(all, 'apply_failed').length, POLL).toBe(1);
    await expect.poll(() => slack.received.length, POLL).toBe(1);
    await expect.poll(() => summaries(lines).filter((s) => s.result === 'error').length, POLL).toBeGreaterThanOrEqual(2);
    expect(onlyDrift.received).toEqual([]);
    expect(otherEnv.received).toEqual([]);
    const failed = ofKind(all, 'apply_failed')[0]!;
    // Field paths, and the API error cut to its operation and status: Stream's text quoted the request back.
    expect(failed.changes).toEqual([{ address: 'app', action: 'update', fields: ['/settings/sqs_key', '/settings/sqs_secret', '/settings/sqs_url'], error: 'UpdateApp: HTTP 400 (Stream code 4) (details in the log)' }]);
    expect(all.received[0]!.headers.authorization).toBe('Bearer header-secret-4711');
    const slackBody = slack.received[0]!.body as { text: string; blocks: unknown[] };
    expect(slackBody.text).toMatch(/Apply failed/);
    for (const body of [...slack.received, ...all.received].map((q) => JSON.stringify(q.body))) {
      expect(body).not.toContain(SENTINEL);
      expect(body).not.toContain(APP.secret);
      expect(body).not.toContain('header-secret-4711');
      expect(body).not.toContain('AKIAEXAMPLE');
    }
    const logs = JSON.stringify(lines);
    expect(logs).not.toContain(SENTINEL);
    expect(logs).not.toContain(RECEIVER_TOKEN);
  });
});
