import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Emulator } from './emulator-client.js';
import { machine } from './report.js';

/**
 * Sizing of `watch` with many apps: N apps (default 20), each reconciling config.example/stream.yaml, in one
 * daemon (`runWatchEnvironments`, as `watch --environments FILE` runs it) against the benchmark's emulator in its
 * own process (Stream's published rate limits, 20 ms latency, one app per key). Measures, in this process (the
 * daemon; the script itself is idle while it measures): the time until every app is ready, the CPU the first
 * reconciles took, then the CPU over an idle window (no run is due: the interval is 5 minutes) and the RSS.
 *
 *   tsc -p test/bench/tsconfig.json && node node_modules/.cache/stream-sync-bench/test/bench/many-apps.js [--apps 20] [--idle 10]
 *
 * Prints one Markdown table row and the JSON of the result. Measured, never asserted: the vitest test
 * (test/daemon/many-apps.test.ts) asserts only that every app becomes ready, each through its own key.
 */
const { values } = parseArgs({ options: { apps: { type: 'string', default: '20' }, idle: { type: 'string', default: '10' } } });
const APPS = Number(values.apps);
const IDLE_S = Number(values.idle);
/** Run from the repository's root. */
const EXAMPLE = resolve('config.example/stream.yaml');
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  // The compiled sources read their version from the package.json one directory above src/ (as run.ts copies it);
  // the daemon is loaded once it is there.
  copyFileSync(resolve('package.json'), join(dirname(fileURLToPath(import.meta.url)), '../../package.json'));
  const { runWatchEnvironments } = await import('../../src/daemon/environments.js');
  process.env.BENCH_APP_NAME = 'emulator';
  const emu = await Emulator.start(Array.from({ length: APPS }, (_, i) => `app-${i}`));
  const dir = mkdtempSync(join(tmpdir(), 'many-apps-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  const lines = emu.ready.apps.map((a, i) => {
    env[`APP_${i}_SECRET`] = a.secret;
    return `  app${i}:\n    files: [${EXAMPLE}]\n    base_url: ${emu.ready.url}\n    api_key: ${a.key}\n    api_secret: \${env:APP_${i}_SECRET}\n`;
  });
  writeFileSync(join(dir, 'environments.yaml'), `version: 1\nenvironments:\n${lines.join('')}`);
  // Logs at info, as the daemon writes them, to a file: their cost counts, their volume is reported.
  const logFile = join(dir, 'daemon.log');
  const logger = pino({ level: 'info' }, pino.destination({ dest: logFile, sync: true }));
  const stop = new AbortController();

  const started = performance.now();
  const cpuStart = cpuMs();
  const done = runWatchEnvironments({ environmentsFile: join(dir, 'environments.yaml'), names: [], listen: '127.0.0.1:0', concurrency: 8, targets: [] }, { env, logger, startEmulator: () => Promise.reject(new Error('not used')), signal: stop.signal });
  const url = await serverUrl(logFile);
  // Readiness is asked every 250 ms until every app is: the probe's own cost is in the first figure, not the idle one.
  for (;;) {
    const res = await fetch(`${url}/readyz`);
    const body = (await res.json()) as { ready_apps: number };
    if (res.status === 200) break;
    if (performance.now() - started > 300_000) throw new Error(`not ready after 5 minutes (${body.ready_apps}/${APPS} apps ready)`);
    await sleep(250);
  }
  const readyMs = performance.now() - started;
  const firstCpuMs = cpuMs() - cpuStart;
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const series = metrics.split('\n').filter((l) => l && !l.startsWith('#')).length;
  // Let the first runs' garbage be collected and the sockets idle, then measure a quiet window.
  await sleep(2_000);
  const idleCpu0 = cpuMs();
  const idle0 = performance.now();
  await sleep(IDLE_S * 1000);
  const idleCpuMs = cpuMs() - idleCpu0;
  const idleWallMs = performance.now() - idle0;
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;

  stop.abort();
  await done;
  await emu.stop();
  rmSync(dir, { recursive: true, force: true });

  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    /* not a checkout */
  }
  const result = {
    date: new Date().toISOString().slice(0, 10),
    commit,
    apps: APPS,
    ready_s: +(readyMs / 1000).toFixed(2),
    first_reconciles_cpu_ms: Math.round(firstCpuMs),
    idle_window_s: +(idleWallMs / 1000).toFixed(1),
    idle_cpu_percent: +((100 * idleCpuMs) / idleWallMs).toFixed(2),
    rss_mb: Math.round(rssMb),
    peak_rss_mb: Math.round(peakRssMb),
    heap_used_mb: Math.round(heapMb),
    metric_series: series,
    machine: machine(),
  };
  console.log('| date | commit | apps | all ready after | CPU of the first reconciles | idle CPU | RSS (peak) | heap used | /metrics series |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  console.log(`| ${result.date} | ${commit} | ${APPS} | ${result.ready_s} s | ${result.first_reconciles_cpu_ms} ms | ${result.idle_cpu_percent} % of a core over ${result.idle_window_s} s | ${result.rss_mb} MB (${result.peak_rss_mb} MB) | ${result.heap_used_mb} MB | ${series} |`);
  console.log(`\nMachine: ${result.machine}`);
  console.log(JSON.stringify(result));
}

/** The health server's URL, from the daemon's "serving …" log line. */
async function serverUrl(logFile: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const m = /serving \/healthz, \/readyz and \/metrics at (http:\/\/[\d.:]+)/.exec(readFileSync(logFile, 'utf8'));
    if (m) return m[1]!;
    await sleep(50);
  }
  throw new Error('the daemon did not start its health server');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
