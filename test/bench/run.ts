import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { Emulator, tally } from './emulator-client.js';
import { lowerBound, mustMake, type ScenarioName } from './lower-bound.js';
import type { Usage } from './measure.js';
import { type BaselineResult, type BenchReport, type FloorResult, machine, type ScenarioResult, toJson, toMarkdown } from './report.js';
import { driftWorkload, FULL_SCALE, generateWorkload, QUICK_SCALE, toYaml } from './workload.js';

/**
 * `npm run bench [-- --quick] [--json FILE] [--cli PATH] [--skip-baseline]`: generates the workload, starts the
 * emulator in its own process, runs each scenario as the CLI (a fresh process each, measured by `measure.js`), then
 * the SDK baseline, and prints a Markdown report (stdout) and optionally the JSON one.
 *
 * The CLI measured is the one compiled with the benchmark (`src/cli.ts` as the sources were when `npm run bench`
 * started), not `dist/`, which a test run may rebuild in the middle of a long benchmark; `--cli` measures another
 * build of it (e.g. a branch's `dist/cli.js`) against the same workload, emulator and baseline.
 */
const here = dirname(fileURLToPath(import.meta.url));
/** The root of the benchmark's compiled output: `test/bench/run.js` and `src/cli.js` live under it. */
const buildRoot = resolve(here, '../..');
/** Reconciler processes run with the CLI's default concurrency: what a user gets. */
const CONCURRENCY = 8;

function repoRoot(): string {
  let dir = process.cwd();
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'stream-sync') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('run the benchmark from the stream-sync repository (npm run bench)');
    dir = up;
  }
}

/** The median of `n` sequential GetApp round trips on an app of its own (no other budget is touched). */
async function roundTripMs(url: string, app: { key: string; secret: string }, n = 21): Promise<number> {
  const token = await new SignJWT({ server: true }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(app.secret));
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(`${url}/api/v2/app?api_key=${encodeURIComponent(app.key)}`, { headers: { authorization: token, 'stream-auth-type': 'jwt' } });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`GetApp answered ${res.status} while measuring the round trip`);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

interface Run {
  /** Wall-clock time (ms since epoch) the process was started: where the lower bound starts too. */
  startedAt: number;
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/**
 * When the last measured process ended. Stream's per-second windows are invisible to a client (the headers describe
 * the minute), so a process started in the same second as the previous one's last burst may meet 429s that are
 * nobody's pacing fault: each measured process starts in a fresh second, as separate CI steps would.
 */
let lastEnded = 0;
const QUIET_MS = 1_100;

async function run(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Run> {
  await new Promise((r) => setTimeout(r, Math.max(0, lastEnded + QUIET_MS - performance.now())));
  const started = performance.now();
  const startedAt = Date.now();
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  return new Promise((res, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      lastEnded = performance.now();
      res({ startedAt, code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), wallMs: lastEnded - started });
    });
  });
}

/** What `measure.js` wrote for the process that just ended (NaN when it died before writing). */
const readUsage = (file: string): Usage => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Usage) : { cpu_ms: Number.NaN, peak_rss_mb: Number.NaN });

const connection = (url: string, app: { key: string; secret: string }): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, STREAM_API_KEY: app.key, STREAM_API_SECRET: app.secret, STREAM_BASE_URL: url, NO_COLOR: '1' };
  delete env.STREAM_API_SECRET_FILE;
  return env;
};

/** What a plan (JSON) or an apply (text) said, and whether that is what the scenario expects. */
function outcome(name: ScenarioName, r: Run, expectedDriftChanges: number): { outcome: string; ok: boolean } {
  if (r.code !== 0) return { outcome: `exit ${r.code}: ${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 200)}`, ok: false };
  if (name.endsWith('plan')) {
    const { summary } = JSON.parse(r.stdout) as { summary: { create: number; update: number; delete: number } };
    const changes = summary.create + summary.update + summary.delete;
    const expected = name === 'unchanged plan' ? 0 : expectedDriftChanges;
    const text = changes === 0 ? 'no changes' : `${summary.create} to create, ${summary.update} to update, ${summary.delete} to delete`;
    return { outcome: text, ok: changes === expected && summary.create === 0 && summary.delete === 0 };
  }
  const line = /Apply complete: (.*)\./.exec(r.stdout);
  return line ? { outcome: line[1]!, ok: true } : { outcome: r.stdout.trim().split('\n').pop() ?? '', ok: false };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'string' }, cli: { type: 'string' }, 'skip-baseline': { type: 'boolean', default: false } } });
  const quick = values.quick === true;
  const root = repoRoot();
  const invokedFrom = process.env.INIT_CWD ?? process.cwd();
  // The compiled CLI reads its version from the package.json one directory above src/.
  copyFileSync(join(root, 'package.json'), join(buildRoot, 'package.json'));
  const cli = values.cli ? resolve(invokedFrom, values.cli) : join(buildRoot, 'src/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} does not exist: run the benchmark with npm run bench, which compiles it`);
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

  const base = generateWorkload(quick ? QUICK_SCALE : FULL_SCALE);
  const drift = driftWorkload(base);
  const d = drift.changed;
  // Addresses the drift touches: the app (grants) counts once.
  const driftChanges = d.blocklists + (d.grants ? 1 : 0) + d.pushProviders + d.pushTemplates + d.externalStorages + d.callTypes + d.commands + d.channelTypes + d.moderationConfigs + d.moderationRules + d.userGroups + d.users;
  const dir = mkdtempSync(join(tmpdir(), 'stream-sync-bench-'));
  const files = { base: join(dir, 'stream.yaml'), drift: join(dir, 'stream-drift.yaml'), state: join(dir, 'state.json'), usage: join(dir, 'usage.json'), reads: join(dir, 'reads.txt') };
  writeFileSync(files.base, toYaml(base));
  writeFileSync(files.drift, toYaml(drift.workload));
  log(`${quick ? 'quick' : 'full'} workload written to ${dir}`);

  const emulator = await Emulator.start(['bench-sync', 'bench-sdk', 'bench-probe']);
  const url = emulator.ready.url;
  try {
    const rtt = await roundTripMs(url, emulator.app('bench-probe'));
    log(`emulator at ${url}, round trip ${rtt.toFixed(1)} ms`);
    const sync = emulator.app('bench-sync');
    const measure = pathToFileURL(join(here, 'measure.js')).href;

    const scenarios: ScenarioResult[] = [];
    let unchangedReads: string[] = [];
    const steps: [ScenarioName, string[]][] = [
      ['cold apply', ['apply', '-f', files.base]],
      ['unchanged plan', ['plan', '-f', files.base, '--format', 'json']],
      ['1 % drift: plan', ['plan', '-f', files.drift, '--format', 'json']],
      ['1 % drift: apply', ['apply', '-f', files.drift]],
    ];
    for (const [name, args] of steps) {
      log(`${name}…`);
      const must = mustMake(name, base, drift);
      await emulator.take();
      const budgets = await emulator.budgets(sync.key, Object.keys(must.calls));
      rmSync(files.usage, { force: true });
      const r = await run(
        ['--import', measure, cli, ...args, '--state-file', files.state, '--concurrency', String(CONCURRENCY), '--log-level', 'warn'],
        { ...connection(url, sync), BENCH_USAGE_FILE: files.usage },
        dir,
      );
      const answered = await emulator.takeWithReads();
      if (name === 'unchanged plan') unchangedReads = answered.reads;
      const t = tally(answered.counts);
      const usage = readUsage(files.usage);
      const bound = lowerBound(must, budgets, r.startedAt, rtt);
      const o = outcome(name, r, driftChanges);
      if (!o.ok) log(`${name} did not do what it should: ${o.outcome}\n${r.stderr.slice(-2000)}`);
      scenarios.push({
        name,
        wall_ms: r.wallMs,
        lower_bound_ms: bound.ms,
        requests: t.requests,
        writes: t.writes,
        rate_limited: t.rateLimited,
        cpu_ms: usage.cpu_ms,
        peak_rss_mb: usage.peak_rss_mb,
        bottleneck: bound.bottleneck.includes('round trips') ? bound.bottleneck : `${bound.bottleneck} × ${bound.bottleneckCalls.toLocaleString('en-US')}`,
        requests_by_op: t.byOp,
        rate_limited_by_op: t.rateLimitedByOp,
        ...o,
      });
      log(`${name}: ${(r.wallMs / 1000).toFixed(1)} s, ${t.requests} requests, bound ${(bound.ms / 1000).toFixed(1)} s`);
    }

    // The floor, after the scenarios so their budgets are untouched, and with rate limits lifted so it never waits.
    let floor: FloorResult | undefined;
    if (unchangedReads.length) {
      log('CPU floor of the unchanged plan…');
      writeFileSync(files.reads, `${unchangedReads.join('\n')}\n`);
      rmSync(files.usage, { force: true });
      await emulator.rateLimits(false);
      await emulator.take();
      const r = await run(['--import', measure, join(here, 'floor.js'), files.reads], { ...connection(url, sync), BENCH_USAGE_FILE: files.usage, BENCH_CONCURRENCY: String(CONCURRENCY) }, dir);
      const t = tally(await emulator.take());
      await emulator.rateLimits(true);
      const ok = r.code === 0 && t.requests === unchangedReads.length;
      if (!ok) log(`the floor failed (${t.requests} of ${unchangedReads.length} reads answered): ${r.stderr.slice(-2000)}`);
      floor = { name: 'unchanged plan reads', requests: t.requests, ...readUsage(files.usage), ok };
      log(`CPU floor: ${Math.round(floor.cpu_ms)} ms for ${t.requests} reads`);
    }

    // The baseline on an app of its own (its own rate budget), same settings. The unchanged re-run is left out: a
    // script that does not diff sends the same requests for it as for the drift.
    const baseline: BaselineResult[] = [];
    const sdk = emulator.app('bench-sdk');
    const baselineRuns = values['skip-baseline'] ? [] : ([['cold apply', files.base], ['1 % drift: apply', files.drift]] as const);
    for (const [name, file] of baselineRuns) {
      log(`baseline: ${name}…`);
      await emulator.take();
      const r = await run([join(here, 'baseline.js'), file], connection(url, sdk), dir);
      const t = tally(await emulator.take());
      const ok = r.code === 0;
      if (!ok) log(`baseline ${name} failed: ${r.stderr.slice(-2000)}`);
      // The process's wall time, start-up included, as for stream-sync.
      baseline.push({ name, wall_ms: r.wallMs, requests: t.requests, rate_limited: t.rateLimited, requests_by_op: t.byOp, rate_limited_by_op: t.rateLimitedByOp, ok });
      log(`baseline ${name}: ${(r.wallMs / 1000).toFixed(1)} s, ${t.requests} requests`);
    }

    const report: BenchReport = { mode: quick ? 'quick' : 'full', machine: machine(), workload: base.counts, rtt_ms: rtt, concurrency: CONCURRENCY, scenarios, floor, baseline };
    process.stdout.write(toMarkdown(report));
    // npm runs scripts from the package root; a relative path means the directory npm was run from.
    if (values.json) writeFileSync(resolve(invokedFrom, values.json), `${JSON.stringify(toJson(report), null, 2)}\n`);
    if (scenarios.some((s) => !s.ok) || baseline.some((b) => !b.ok) || floor?.ok === false) process.exitCode = 1;
  } finally {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
