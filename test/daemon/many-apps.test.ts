import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { runWatchEnvironments } from '../../src/daemon/environments.js';
import { type AppOptions, type Daemons, type DaemonTuning, startDaemons } from '../../src/daemon/watch.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { captureLogs, desiredYaml, type LogLine, metricValue, summaries } from './daemon-harness.js';

const POLL = { timeout: 20_000, interval: 25 };
const GOOD = { key: 'good-key', secret: 'good-secret-value-0123456789', name: 'daemon-app' };
const OTHER = { key: 'other-key', secret: 'other-secret-value-0123456789', name: 'daemon-app' };
let emu: RunningEmulator | undefined;
const running: Daemons[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
  await emu?.close();
  emu = undefined;
});

const TUNING: DaemonTuning = { poll: false, concurrency: 4, targets: [], debounceMs: 50, minBackoffMs: 50, lockRetryMs: 20, listen: { host: '127.0.0.1', port: 0 } };
const noEmulator = () => Promise.reject(new Error('not used'));
const wordsOf = (key: string) => [...emu!.app(key).blocklists.values()].find((b) => b.name === 'banned-words')?.words as string[] | undefined;
const linesOf = (lines: LogLine[], app: string) => lines.filter((l) => l.app === app);

function appDir(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'many-'));
  writeFileSync(join(dir, 'stream.yaml'), yaml);
  return { dir, file: join(dir, 'stream.yaml'), stateFile: join(dir, 'state', 'state.json') };
}

async function start(apps: AppOptions[], logger: Logger, tuning: Partial<DaemonTuning> = {}): Promise<Daemons> {
  const d = await startDaemons(apps, { ...TUNING, ...tuning }, { env: {}, logger, startEmulator: noEmulator });
  running.push(d);
  return d;
}

const readyz = async (url: string, path = '/readyz') => {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, body: res.headers.get('content-type')?.startsWith('application/json') ? ((await res.json()) as Record<string, any>) : await res.text() };
};

describe('watch with several apps in one daemon', () => {
  it('isolates a failing app: a wrong secret never stops or delays the other, and /readyz, metrics and logs say which is which', async () => {
    emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps: [GOOD, OTHER] });
    const good = appDir(desiredYaml(['scam']));
    const bad = appDir(desiredYaml(['scam']));
    const { logger, lines } = captureLogs();
    const d = await start(
      [
        { name: 'good', files: [good.file], connection: { baseUrl: emu.url, apiKey: GOOD.key, apiSecret: GOOD.secret }, stateFile: good.stateFile, intervalMs: 1000, dryRun: false },
        { name: 'bad', files: [bad.file], connection: { baseUrl: emu.url, apiKey: OTHER.key, apiSecret: 'a-wrong-secret-0123456789' }, stateFile: bad.stateFile, intervalMs: 1000, dryRun: false },
      ],
      logger,
      { readyFailureThreshold: 1, minBackoffMs: 200 },
    );
    await expect.poll(() => d.apps.get('good')!.ready, POLL).toBe(true);
    expect(wordsOf(GOOD.key)).toEqual(['scam']);
    // The good app keeps its pace (interval runs) while the bad one fails and backs off.
    await expect.poll(() => summaries(linesOf(lines, 'good')).filter((s) => s.result === 'success').length, POLL).toBeGreaterThanOrEqual(3);
    expect(summaries(linesOf(lines, 'bad')).length).toBeGreaterThanOrEqual(1);
    expect(summaries(linesOf(lines, 'bad')).every((s) => s.result === 'error')).toBe(true);
    expect(d.apps.get('bad')!.ready).toBe(false);
    // A file edit of the good app is applied at once, whatever the bad one is doing.
    writeFileSync(good.file, desiredYaml(['scam', 'phishing']));
    await expect.poll(() => wordsOf(GOOD.key), POLL).toEqual(['scam', 'phishing']);
    expect(wordsOf(OTHER.key)).toBeUndefined();

    // /readyz: 503 while any app is not ready, each app listed; /readyz/<app> for one; 404 for an unknown one.
    const all = await readyz(d.url!);
    expect(all.status).toBe(503);
    expect(all.body).toMatchObject({ ready: false, ready_apps: 1, apps: { good: { ready: true, last_run: { result: 'success' } }, bad: { ready: false, last_run: { result: 'error' } } } });
    expect((all.body as any).apps.bad.last_run.error).toMatch(/401|signature|secret|auth/i);
    expect(await readyz(d.url!, '/readyz/good')).toMatchObject({ status: 200, body: { ready: true } });
    expect(await readyz(d.url!, '/readyz/bad')).toMatchObject({ status: 503, body: { ready: false } });
    expect((await readyz(d.url!, '/readyz/nope')).status).toBe(404);
    expect((await fetch(`${d.url}/healthz`)).status).toBe(200);

    // Every app series carries its app label; the two apps' requests are counted apart.
    const text = await (await fetch(`${d.url}/metrics`)).text();
    expect(metricValue(text, 'stream_sync_reconcile_total{result="success"}', 'good')).toBeGreaterThanOrEqual(3);
    expect(metricValue(text, 'stream_sync_reconcile_total{result="success"}', 'bad')).toBe(0);
    expect(metricValue(text, 'stream_sync_reconcile_total{result="error"}', 'bad')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'stream_sync_reconcile_total{result="error"}', 'good')).toBe(0);
    expect(metricValue(text, 'stream_sync_api_requests_total{operation="CreateBlockList",status="201"}', 'good')).toBe(1);
    expect(metricValue(text, 'stream_sync_last_success_timestamp_seconds', 'bad')).toBe(0);
    expect(metricValue(text, 'stream_sync_last_success_timestamp_seconds', 'good')).toBeGreaterThan(1_700_000_000);
    expect(metricValue(text, 'stream_sync_config_valid', 'good')).toBe(1);
    const unlabelled = text.split('\n').filter((l) => l.startsWith('stream_sync_') && !/^stream_sync_(build_info|process_|nodejs_)/.test(l) && !l.includes('app="'));
    expect(unlabelled).toEqual([]);
    expect(text).not.toContain(GOOD.secret);
    const requestsBad = emu.requests.filter((r) => r.apiKey === OTHER.key);
    expect(requestsBad.length).toBeGreaterThan(0);
    expect(requestsBad.every((r) => r.status === 401)).toBe(true);

    // Every line of a run carries its app; a run's reconcile_id is never shared between apps.
    for (const app of ['good', 'bad']) {
      const ids = new Set(linesOf(lines, app).map((l) => l.reconcile_id).filter(Boolean));
      expect(ids.size).toBeGreaterThan(0);
      const other = app === 'good' ? 'bad' : 'good';
      expect(lines.filter((l) => ids.has(l.reconcile_id)).every((l) => l.app === app)).toBe(true);
      expect(linesOf(lines, other).some((l) => ids.has(l.reconcile_id))).toBe(false);
    }
    expect(lines.filter((l) => l.reconcile_id && !l.app)).toEqual([]);
  });

  it('runs the environments an environments file selects, each with its own credentials, variables, state file and interval, until the signal', async () => {
    emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps: [GOOD, OTHER] });
    const dir = mkdtempSync(join(tmpdir(), 'envs-'));
    writeFileSync(join(dir, 'staging.yaml'), desiredYaml(['"${env:WORD}"']));
    writeFileSync(join(dir, 'prod.yaml'), desiredYaml(['prod-word']));
    writeFileSync(
      join(dir, 'environments.yaml'),
      `version: 1
environments:
  staging:
    files: [staging.yaml]
    base_url: ${emu.url}
    api_key: ${GOOD.key}
    api_secret: \${env:STAGING_SECRET}
    interval: 1s
    variables:
      WORD: staging-word
  prod:
    files: [prod.yaml]
    base_url: ${emu.url}
    api_key: ${OTHER.key}
    api_secret: \${env:PROD_SECRET}
  unused:
    files: [missing.yaml]
    api_key: k
    api_secret: \${env:UNSET_SECRET}
`,
    );
    const { logger, lines } = captureLogs();
    const stop = new AbortController();
    const done = runWatchEnvironments(
      { environmentsFile: join(dir, 'environments.yaml'), names: ['staging', 'prod'], listen: '127.0.0.1:0', concurrency: 4, targets: [] },
      { env: { STAGING_SECRET: GOOD.secret, PROD_SECRET: OTHER.secret }, logger, startEmulator: noEmulator, signal: stop.signal },
    );
    try {
      await expect.poll(() => wordsOf(GOOD.key), POLL).toEqual(['staging-word']);
      await expect.poll(() => wordsOf(OTHER.key), POLL).toEqual(['prod-word']);
      const url = lines.find((l) => typeof l.url === 'string' && l.msg.startsWith('serving'))!.url as string;
      await expect.poll(async () => (await readyz(url)).status, POLL).toBe(200);
      const body = (await readyz(url)).body as { apps: Record<string, unknown> };
      expect(Object.keys(body.apps).sort()).toEqual(['prod', 'staging']);
      // staging resyncs every second; prod at the default 5 minutes.
      await expect.poll(() => summaries(linesOf(lines, 'staging')).length, POLL).toBeGreaterThanOrEqual(2);
      expect(summaries(linesOf(lines, 'prod'))).toHaveLength(1);
      expect(lines.find((l) => l.app === 'prod' && l.msg === 'watching')).toMatchObject({ state_file: join(dir, '.stream-sync', 'prod.json'), interval_ms: 300_000 });
    } finally {
      stop.abort();
    }
    expect(await done).toBe(0);
    expect(JSON.stringify(lines)).not.toContain(GOOD.secret);
    expect(JSON.stringify(lines)).not.toContain(OTHER.secret);
  });

  it('runs the worked example (config.example/environments): staging and prod, each its own layers and app', async () => {
    const staging = { key: 'acme-staging-key', secret: 'staging-secret-0123456789', name: 'acme-staging' };
    const prod = { key: 'acme-prod-key', secret: 'prod-secret-0123456789', name: 'acme-prod' };
    emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps: [staging, prod] });
    // A copy: the state files go beside the environments file.
    const dir = mkdtempSync(join(tmpdir(), 'example-'));
    cpSync(join(process.cwd(), 'config.example', 'environments'), dir, { recursive: true });
    const { logger, lines } = captureLogs();
    const stop = new AbortController();
    const env = {
      STREAM_BASE_URL: emu.url,
      STAGING_STREAM_API_KEY: staging.key,
      STAGING_STREAM_API_SECRET: staging.secret,
      PROD_STREAM_API_KEY: prod.key,
      PROD_STREAM_API_SECRET: prod.secret,
      STREAM_SQS_SECRET: 'sqs-secret-0123456789',
      SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/hooks/unused',
    };
    const done = runWatchEnvironments({ environmentsFile: join(dir, 'environments.yaml'), names: [], listen: '127.0.0.1:0', concurrency: 4, targets: [] }, { env, logger, startEmulator: noEmulator, signal: stop.signal });
    try {
      await expect.poll(() => wordsOf(prod.key), POLL).toEqual(['scam', 'spoiler', 'giveaway', 'fraud']);
      await expect.poll(() => summaries(lines).filter((l) => l.result === 'success').map((l) => l.app).sort(), POLL).toEqual(['prod', 'staging']);
      expect(wordsOf(staging.key)).not.toEqual(wordsOf(prod.key));
      expect(String(emu.app(prod.key).settings.sqs_url)).toMatch(/stream-events-prod$/);
      expect(String(emu.app(staging.key).settings.sqs_url)).toMatch(/stream-events-staging$/);
    } finally {
      stop.abort();
    }
    expect(await done).toBe(0);
  });

  it('refuses at start an unknown environment name (exit 1, nothing started)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'envs-'));
    writeFileSync(join(dir, 'stream.yaml'), desiredYaml(['x']));
    writeFileSync(join(dir, 'environments.yaml'), 'version: 1\nenvironments:\n  staging:\n    files: [stream.yaml]\n    api_key: k\n    api_secret: ${env:S}\n');
    const { logger } = captureLogs();
    await expect(
      runWatchEnvironments({ environmentsFile: join(dir, 'environments.yaml'), names: ['prod'], concurrency: 4, targets: [] }, { env: { S: 'secret-0123456789' }, logger, startEmulator: noEmulator, signal: new AbortController().signal }),
    ).rejects.toThrow(/no environment "prod"/);
  });

  it('reconciles 20 apps from config.example/stream.yaml on one emulator: all become ready, each through its own key', { timeout: 60_000 }, async () => {
    const apps = Array.from({ length: 20 }, (_, i) => ({ key: `app-${i}`, secret: `secret-${i}-0123456789abcdef`, name: 'emulator' }));
    emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps });
    const file = join(process.cwd(), 'config.example', 'stream.yaml');
    const state = mkdtempSync(join(tmpdir(), 'many-state-'));
    const { logger } = captureLogs();
    const d = await start(
      apps.map((a, i) => ({ name: `app${i}`, files: [file], connection: { baseUrl: emu!.url, apiKey: a.key, apiSecret: a.secret }, stateFile: join(state, `app${i}.json`), intervalMs: 300_000, dryRun: false })),
      logger,
    );
    await expect.poll(() => [...d.apps.values()].filter((s) => s.ready).length, POLL).toBe(20);
    expect((await readyz(d.url!)).status).toBe(200);
    const text = await (await fetch(`${d.url}/metrics`)).text();
    for (const [i, a] of apps.entries()) {
      // What the app's metrics counted is exactly what the emulator answered on its key, all of it authenticated.
      const mine = emu.requests.filter((r) => r.apiKey === a.key);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.filter((r) => r.status === 401 || r.status === 403)).toEqual([]);
      const counted = text
        .split('\n')
        .filter((l) => l.startsWith('stream_sync_api_requests_total{') && l.includes(`app="app${i}"`))
        .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      expect(counted).toBe(mine.length);
      expect(emu.app(a.key).roles.size).toBeGreaterThan(0);
    }
    expect(emu.requests.every((r) => apps.some((a) => a.key === r.apiKey))).toBe(true);
  });
});
