import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { type Daemon, type DaemonOptions, startDaemon } from '../../src/daemon/watch.js';
import { isWrite } from '../support/emulator.js';

export const APP = { key: 'daemon-key', secret: 'daemon-secret-value-0123456789', name: 'daemon-app' };

/** A small desired state: one block list (pruned) and one role. */
export const desiredYaml = (words: string[], extra = '') => `version: 1
app:
  expect_name: daemon-app
blocklists:
  - name: banned-words
    words: [${words.join(', ')}]
roles:
  - name: support-agent
policy:
  prune: [blocklists]
${extra}`;

export interface LogLine {
  level: number;
  msg: string;
  reconcile_id?: string;
  daemon?: string;
  result?: string;
  triggers?: string[];
  changes?: { create: number; update: number; delete: number };
  [k: string]: unknown;
}

/** A pino logger whose JSON lines land in an array the test reads. */
export function captureLogs(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as LogLine);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** The summary line of each run (one per reconcile). */
export const summaries = (lines: LogLine[], daemon?: string) => lines.filter((l) => typeof l.duration_ms === 'number' && 'result' in l && (daemon === undefined || l.daemon === daemon));

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `name{a="x",b="y"}` → its name and labels. */
const parseSeries = (series: string) => {
  const m = /^([^{\s]+)(?:\{(.*)\})?$/.exec(series.trim());
  if (!m) throw new Error(`not a series: ${series}`);
  const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
  return { name: m[1]!, labels };
};

/**
 * The value of one series (`name{labels}`, labels in any order) in Prometheus text, if present. The daemon labels
 * each app's series with `app`: `app` (default `default`, the one app of `watch -f`) is added to the selector
 * unless the series is a process-wide one (build info, process and Node.js metrics) or `app` is null.
 */
export const metricValue = (text: string, series: string, app: string | null = 'default') => {
  const want = parseSeries(series);
  const processWide = /^stream_sync_(build_info|process_|nodejs_)/.test(want.name);
  if (app !== null && !processWide && want.labels.app === undefined) want.labels.app = app;
  const keys = Object.keys(want.labels).sort();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    const got = parseSeries(line.slice(0, at));
    if (got.name !== want.name) continue;
    const gotKeys = Object.keys(got.labels).sort();
    if (gotKeys.length === keys.length && keys.every((k, i) => gotKeys[i] === k && got.labels[k] === want.labels[k])) return Number(line.slice(at + 1));
  }
  return undefined;
};

export async function withEmulator(): Promise<RunningEmulator> {
  return startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps: [APP] });
}

export const writes = (emu: RunningEmulator) => emu.requests.filter(isWrite);
export const words = (emu: RunningEmulator) => [...emu.app(APP.key).blocklists.values()].find((b) => b.name === 'banned-words')?.words as string[] | undefined;

export function tempConfig(yaml: string): { dir: string; file: string; write(text: string): void } {
  const dir = mkdtempSync(join(tmpdir(), 'daemon-'));
  const file = join(dir, 'stream.yaml');
  writeFileSync(file, yaml);
  return { dir, file, write: (text) => writeFileSync(file, text) };
}

/** A ConfigMap volume as the kubelet lays it out, and its atomic `..data` swap. */
export function configMapVolume(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'configmap-'));
  let version = 1;
  const at = (v: number) => `..2025_06_01_12_00_00.${v}`;
  mkdirSync(join(dir, at(1)));
  writeFileSync(join(dir, at(1), 'stream.yaml'), yaml);
  symlinkSync(at(1), join(dir, '..data'));
  symlinkSync('..data/stream.yaml', join(dir, 'stream.yaml'));
  return {
    dir,
    file: join(dir, 'stream.yaml'),
    swap(next: string) {
      const old = at(version);
      const fresh = at(++version);
      mkdirSync(join(dir, fresh));
      writeFileSync(join(dir, fresh, 'stream.yaml'), next);
      symlinkSync(fresh, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      rmSync(join(dir, old), { recursive: true });
    },
  };
}

/** Starts a daemon against `emu` with test-sized timings; `stateFile` defaults to one in a temp directory. */
export function daemonFor(emu: RunningEmulator, file: string, logger: Logger, opts: Partial<DaemonOptions> = {}, env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
  return startDaemon(
    {
      file,
      intervalMs: 60_000,
      dryRun: false,
      poll: false,
      emulator: false,
      concurrency: 4,
      targets: [],
      stateFile: join(mkdtempSync(join(tmpdir(), 'daemon-state-')), 'state.json'),
      debounceMs: 50,
      minBackoffMs: 50,
      lockRetryMs: 20,
      ...opts,
    },
    {
      env: { ...env, STREAM_API_KEY: APP.key, STREAM_API_SECRET: APP.secret, STREAM_BASE_URL: emu.url },
      logger,
      startEmulator: () => Promise.reject(new Error('not used')),
    },
  );
}
