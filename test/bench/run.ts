import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BACKEND_OPS, type BackendCounts, backendPerMinute } from './backend-process.js';
import { sharedChartInput, windowChart } from './chart.js';
import { Backend, Emulator, serverToken, type Taken, tally } from './emulator-client.js';
import { lowerBound, mustMake, type ScenarioName, type Sharing } from './lower-bound.js';
import type { Usage } from './measure.js';
import { type BaselineResult, type BenchReport, type FloorResult, LOWERED, machine, type ScenarioResult, type SharedGroup, type SharedScenarioResult, toJson, toMarkdown } from './report.js';
import { type ClientKind, countsOf, mergeWindows, type WindowTally } from './windows.js';
import { driftWorkload, FULL_SCALE, generateWorkload, QUICK_SCALE, toYaml, type Workload } from './workload.js';

/**
 * `npm run bench [-- --quick] [--json FILE] [--cli PATH] [--skip-baseline] [--charts DIR]`: generates the workload,
 * starts the emulator in its own process, runs each scenario as the CLI (a fresh process each, measured by
 * `measure.js`) with `--rate-share 100` (the whole budget: nobody else uses the app), then the shared-budget group
 * (the same CLI with its default share, beside a simulated backend on an app of their own), then the SDK baseline,
 * and prints a Markdown report (stdout) and optionally the JSON one. `--charts DIR` writes the shared group's chart
 * (SVG) to DIR; the Markdown links it by file name, so save the report in DIR too.
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
/** The shared-budget group's app: fresh, for both stream-sync and the backend. */
const SHARED_APP = 'bench-shared';
/**
 * How long the backend runs before the group's first scenario: every endpoint of it has made a few dozen calls
 * on its steady schedule by then (the bound counts that steady rate from the first window on); any longer only
 * lengthens the run.
 */
const WARMUP_MS = 5_000;
/** The CLI's default `--rate-share`, percent: the shared group runs without the flag. */
const DEFAULT_SHARE = 50;
/**
 * The limits-lowered scenario: every limit × LOWER_SCALE from LOWER_AFTER_MS after it starts, for LOWER_FOR_MS (a
 * quick run's apply takes a few seconds: from 1 s, for 2 s), as Stream lowers limits for a while under load. The
 * backend keeps its pace (80 % of a lowered limit): stream-sync goes on with what is left, then with its share.
 */
const LOWER_SCALE = 0.5;
const LOWER_AFTER_MS = { full: 20_000, quick: 1_000 } as const;
const LOWER_FOR_MS = { full: 60_000, quick: 2_000 } as const;
/** A scenario still running after 5 × its lower bound + 2 minutes is stopped and fails (the limits-lowered one needs the slack). */
const WATCHDOG = { times: 5, plusMs: 120_000 } as const;

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
  const token = await serverToken(app.secret);
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

/**
 * `onStart`: called once the process is started (the limits-lowered scenario times its lowering from there).
 * `limitMs`: a process still running then is stopped (SIGTERM), so a stuck scenario fails with its log instead of
 * hanging the benchmark.
 */
async function run(args: string[], env: NodeJS.ProcessEnv, cwd: string, onStart?: () => void, limitMs?: number): Promise<Run> {
  await sleep(Math.max(0, lastEnded + QUIET_MS - performance.now()));
  const started = performance.now();
  const startedAt = Date.now();
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  onStart?.();
  const watchdog = limitMs === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), limitMs);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  return new Promise((res, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(watchdog);
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

/** What every scenario of a run shares. */
interface Setup {
  emulator: Emulator;
  url: string;
  rtt: number;
  cli: string;
  measure: string;
  dir: string;
  files: { base: string; drift: string; usage: string };
  base: Workload;
  drift: ReturnType<typeof driftWorkload>;
  driftChanges: number;
  log: (line: string) => void;
}

interface ScenarioOptions {
  state: string;
  /** The answered GETs' targets too (the CPU floor replays the unchanged plan's). */
  reads?: boolean;
  /** Bound on the budget left to stream-sync beside other clients (`budgetLeft`), not on the whole budget. */
  sharing?: Sharing;
  /** Count only this kind of client's requests as the scenario's (others share the app). */
  only?: ClientKind;
  onStart?: () => void;
}

interface Measured {
  result: ScenarioResult;
  /** What the emulator answered before the scenario (since the last take), and during it. */
  before: Taken;
  taken: Taken & { reads?: string[] };
  startedAt: number;
  endedAt: number;
}

/**
 * One stream-sync process (`args`), measured: `name` says which calls it must make (the lower bound) and what it
 * should report; `label` names it in the report.
 */
async function measureScenario(s: Setup, name: ScenarioName, label: string, args: string[], app: { key: string; secret: string }, o: ScenarioOptions): Promise<Measured> {
  s.log(`${label}…`);
  const must = mustMake(name, s.base, s.drift);
  const before = await s.emulator.take();
  const budgets = await s.emulator.budgets(app.key, Object.keys(must.calls));
  rmSync(s.files.usage, { force: true });
  const limitMs = WATCHDOG.times * lowerBound(must, budgets, Date.now(), s.rtt, o.sharing).ms + WATCHDOG.plusMs;
  const r = await run(
    ['--import', s.measure, s.cli, ...args, '--state-file', o.state, '--concurrency', String(CONCURRENCY), '--log-level', 'warn'],
    { ...connection(s.url, app), BENCH_USAGE_FILE: s.files.usage },
    s.dir,
    o.onStart,
    limitMs,
  );
  const endedAt = Date.now();
  const taken = o.reads ? await s.emulator.takeWithReads() : await s.emulator.take();
  const t = tally(o.only ? countsOf(taken.windows, o.only) : taken.counts);
  const usage = readUsage(s.files.usage);
  const bound = lowerBound(must, budgets, r.startedAt, s.rtt, o.sharing);
  const oc = outcome(name, r, s.driftChanges);
  if (!oc.ok) s.log(`${label} did not do what it should: ${oc.outcome}\n${r.stderr.slice(-2000)}`);
  s.log(`${label}: ${(r.wallMs / 1000).toFixed(1)} s, ${t.requests} requests, bound ${(bound.ms / 1000).toFixed(1)} s`);
  const result: ScenarioResult = {
    name: label,
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
    ...oc,
  };
  return { result, before, taken, startedAt: r.startedAt, endedAt };
}

/** Whether the CLI has `--rate-share` (an older build, or one from before the flag, does not). */
async function hasRateShare(cli: string, dir: string): Promise<boolean> {
  const r = await run([cli, 'apply', '--help'], { ...process.env, NO_COLOR: '1' }, dir);
  return r.stdout.includes('--rate-share');
}

/**
 * The shared-budget group, on a fresh app: the backend (`backend-process.ts`) starts, runs WARMUP_MS alone, then
 * keeps running through a cold apply, an unchanged plan, the drift's apply, and an apply of the base file again
 * (reverting the drift) with every limit lowered mid-run; stream-sync runs with its default `--rate-share`.
 */
async function sharedGroup(s: Setup, quick: boolean, flag: boolean, chartsDir: string | undefined): Promise<SharedGroup> {
  const app = s.emulator.app(SHARED_APP);
  const state = join(s.dir, 'state-shared.json');
  const share = flag ? DEFAULT_SHARE : 100;
  const after = LOWER_AFTER_MS[quick ? 'quick' : 'full'];
  const lowerFor = LOWER_FOR_MS[quick ? 'quick' : 'full'];
  const windows: WindowTally = {};
  // Forget what the app-wide log holds from before: only this group's requests are tallied.
  await s.emulator.take();
  const backend = await Backend.start(s.url, app);
  const limits = backend.ready.limits;
  const perMinute = backendPerMinute(limits);
  s.log(`shared budget: backend started on ${SHARED_APP} (${Object.entries(perMinute).map(([op, n]) => `${op} ${n}/min`).join(', ')}); ${WARMUP_MS / 1000} s alone…`);
  await backend.begin();
  await sleep(WARMUP_MS);
  // stream-sync's own requests in a window, from what the group has tallied so far (the scenarios before this one).
  const ownUsed = (op: string, windowStart: number) =>
    Object.entries(windows[windowStart]?.['stream-sync'] ?? {}).reduce((n, [key, c]) => (key.endsWith(` ${op}`) ? n + c.answered - c.limited : n), 0);
  const sharing: Sharing = { share: share / 100, others: perMinute, ownUsed };
  const steps: [ScenarioName, string, string[]][] = [
    ['cold apply', 'cold apply', ['apply', '-f', s.files.base]],
    ['unchanged plan', 'unchanged plan', ['plan', '-f', s.files.base, '--format', 'json']],
    ['1 % drift: apply', '1 % drift: apply', ['apply', '-f', s.files.drift]],
    // Reverting the drift makes the drift apply's calls: the same objects, changed back.
    ['1 % drift: apply', LOWERED, ['apply', '-f', s.files.base]],
  ];
  const scenarios: SharedScenarioResult[] = [];
  const spans: { label: string; from: number; to: number }[] = [];
  const lowered: SharedGroup['lowered'] = { scale: LOWER_SCALE, after_ms: after, for_ms: lowerFor };
  let loweredSpan: { from: number; to?: number; scale: number } | undefined;
  let counts: BackendCounts = { byOp: {}, byWindow: {} };
  try {
    for (const [name, label, args] of steps) {
      const timers: NodeJS.Timeout[] = [];
      const restore = async () => {
        if (!loweredSpan || loweredSpan.to !== undefined) return;
        loweredSpan.to = Date.now();
        await s.emulator.scaleLimits(1);
      };
      const onStart =
        label === LOWERED
          ? () => {
              const t0 = Date.now();
              timers.push(
                setTimeout(() => {
                  lowered.at_ms = Date.now() - t0;
                  loweredSpan = { from: Date.now(), scale: LOWER_SCALE };
                  void s.emulator.scaleLimits(LOWER_SCALE);
                }, after),
                setTimeout(() => void restore(), after + lowerFor),
              );
            }
          : undefined;
      const m = await measureScenario(s, name, label, args, app, { state, sharing, only: 'stream-sync', onStart });
      for (const t of timers) clearTimeout(t);
      await restore();
      mergeWindows(mergeWindows(windows, m.before.windows), m.taken.windows);
      const b = tally(countsOf(m.taken.windows, 'backend'));
      scenarios.push({ ...m.result, backend_requests: b.requests, backend_rate_limited: b.rateLimited });
      spans.push({ label, from: m.startedAt, to: m.endedAt });
    }
  } finally {
    counts = await backend.finish();
    await s.emulator.scaleLimits(1);
  }
  mergeWindows(windows, (await s.emulator.take()).windows);
  const charts: string[] = [];
  if (chartsDir) {
    const charted = Object.fromEntries(BACKEND_OPS.map((op) => [op, limits[op]!]));
    const svg = windowChart(sharedChartInput({ tally: windows, limits: charted, perMinute, share: share / 100, lowered: loweredSpan, scenarios: spans }));
    mkdirSync(chartsDir, { recursive: true });
    writeFileSync(join(chartsDir, 'shared-budget.svg'), svg);
    charts.push('shared-budget.svg');
    s.log(`shared budget: chart written to ${join(chartsDir, 'shared-budget.svg')}`);
  }
  return {
    app: SHARED_APP,
    share_percent: share,
    rate_share_flag: flag,
    warmup_ms: WARMUP_MS,
    backend_limits: limits,
    backend_per_minute: perMinute,
    scenarios,
    backend: counts.byOp,
    backend_by_window: Object.fromEntries(Object.entries(counts.byWindow).map(([start, n]) => [new Date(Number(start)).toISOString(), n])),
    lowered,
    charts,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'string' }, cli: { type: 'string' }, 'skip-baseline': { type: 'boolean', default: false }, charts: { type: 'string' } } });
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

  const emulator = await Emulator.start(['bench-sync', 'bench-sdk', 'bench-probe', SHARED_APP]);
  const url = emulator.ready.url;
  try {
    const rtt = await roundTripMs(url, emulator.app('bench-probe'));
    log(`emulator at ${url}, round trip ${rtt.toFixed(1)} ms`);
    const sync = emulator.app('bench-sync');
    const measure = pathToFileURL(join(here, 'measure.js')).href;

    const setup: Setup = { emulator, url, rtt, cli, measure, dir, files, base, drift, driftChanges, log };
    const flag = await hasRateShare(cli, dir);
    if (!flag) log('this CLI has no --rate-share: every scenario runs without it (whole windows)');
    const scenarios: ScenarioResult[] = [];
    let unchangedReads: string[] = [];
    const steps: [ScenarioName, string[]][] = [
      ['cold apply', ['apply', '-f', files.base]],
      ['unchanged plan', ['plan', '-f', files.base, '--format', 'json']],
      ['1 % drift: plan', ['plan', '-f', files.drift, '--format', 'json']],
      ['1 % drift: apply', ['apply', '-f', files.drift]],
    ];
    for (const [name, args] of steps) {
      // Nobody else uses the app: the whole budget, as before the flag existed, so the runs compare.
      const m = await measureScenario(setup, name, name, [...args, ...(flag ? ['--rate-share', '100'] : [])], sync, { state: files.state, reads: name === 'unchanged plan' });
      if (name === 'unchanged plan') unchangedReads = m.taken.reads ?? [];
      scenarios.push(m.result);
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
      const t = tally((await emulator.take()).counts);
      await emulator.rateLimits(true);
      const ok = r.code === 0 && t.requests === unchangedReads.length;
      if (!ok) log(`the floor failed (${t.requests} of ${unchangedReads.length} reads answered): ${r.stderr.slice(-2000)}`);
      floor = { name: 'unchanged plan reads', requests: t.requests, ...readUsage(files.usage), ok };
      log(`CPU floor: ${Math.round(floor.cpu_ms)} ms for ${t.requests} reads`);
    }

    const shared = await sharedGroup(setup, quick, flag, values.charts === undefined ? undefined : resolve(invokedFrom, values.charts));

    // The baseline on an app of its own (its own rate budget), same settings. The unchanged re-run is left out: a
    // script that does not diff sends the same requests for it as for the drift.
    const baseline: BaselineResult[] = [];
    const sdk = emulator.app('bench-sdk');
    const baselineRuns = values['skip-baseline'] ? [] : ([['cold apply', files.base], ['1 % drift: apply', files.drift]] as const);
    for (const [name, file] of baselineRuns) {
      log(`baseline: ${name}…`);
      await emulator.take();
      const r = await run([join(here, 'baseline.js'), file], connection(url, sdk), dir);
      const t = tally((await emulator.take()).counts);
      const ok = r.code === 0;
      if (!ok) log(`baseline ${name} failed: ${r.stderr.slice(-2000)}`);
      // The process's wall time, start-up included, as for stream-sync.
      baseline.push({ name, wall_ms: r.wallMs, requests: t.requests, rate_limited: t.rateLimited, requests_by_op: t.byOp, rate_limited_by_op: t.rateLimitedByOp, ok });
      log(`baseline ${name}: ${(r.wallMs / 1000).toFixed(1)} s, ${t.requests} requests`);
    }

    const report: BenchReport = { mode: quick ? 'quick' : 'full', machine: machine(), workload: base.counts, rtt_ms: rtt, concurrency: CONCURRENCY, scenarios, floor, baseline, shared };
    process.stdout.write(toMarkdown(report));
    // npm runs scripts from the package root; a relative path means the directory npm was run from.
    if (values.json) writeFileSync(resolve(invokedFrom, values.json), `${JSON.stringify(toJson(report), null, 2)}\n`);
    if ([...scenarios, ...shared.scenarios].some((s) => !s.ok) || baseline.some((b) => !b.ok) || floor?.ok === false) process.exitCode = 1;
  } finally {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
