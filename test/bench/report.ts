import { cpus, totalmem } from 'node:os';
import type { Workload } from './workload.js';

/** What the emulator counted for one measured process (a stream-sync scenario or a baseline run). */
interface Measured {
  name: string;
  wall_ms: number;
  requests: number;
  rate_limited: number;
  requests_by_op: Record<string, number>;
  /** 429 answers among `requests_by_op`. */
  rate_limited_by_op: Record<string, number>;
  /** The process exited as it should (0) and, for a scenario, did what the scenario expects. */
  ok: boolean;
}

/** One measured stream-sync scenario. `toJson` writes the issue's fields of it (and `requests_by_op`). */
export interface ScenarioResult extends Measured {
  lower_bound_ms: number;
  writes: number;
  cpu_ms: number;
  peak_rss_mb: number;
  /** What sets the lower bound: `CreateUserGroup × 2000`, or the round trips. */
  bottleneck: string;
  /** What the command reported: `no changes`, `2,374 created`, … */
  outcome: string;
}

export type BaselineResult = Measured;

/** `floor.js`: the unchanged plan's reads replayed by a bare undici script (see there). */
export interface FloorResult {
  name: string;
  requests: number;
  cpu_ms: number;
  peak_rss_mb: number;
  ok: boolean;
}

export interface BenchReport {
  mode: 'full' | 'quick';
  machine: string;
  workload: Workload['counts'];
  rtt_ms: number;
  concurrency: number;
  scenarios: ScenarioResult[];
  /** Absent when the run had no unchanged plan to replay. */
  floor?: FloorResult;
  baseline: BaselineResult[];
}

/** Goals from the issue, measured here (never asserted by a test). */
const GOALS = { boundRatio: 1.1, unchangedCpuMs: 1_000, peakRssMb: 250, baselineSpeedup: 3 } as const;

export function machine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model.trim() ?? 'unknown CPU'} × ${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}`;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const secs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '–');
const mark = (ok: boolean) => (ok ? '✅' : '❌');

function workloadLine(c: Workload['counts'], mode: string): string {
  return (
    `${mode} workload: ${c.blocklists} block lists (+ the built-in one) with ${int(c.words)} words, ${c.roles} custom roles with grants, ` +
    `${c.pushProviders} push providers with ${c.pushTemplates} templates, ${c.externalStorages} external storages, ${c.callTypes} call types, ` +
    `${c.commands} chat commands, ${c.channelTypes} channel types (${c.builtinChannelTypes} of them built-in) naming them, the block lists and the roles, with grants, ` +
    `${c.moderationConfigs} moderation configs naming the block lists, ${c.moderationRules} moderation rules naming the configs, ` +
    `${int(c.userGroups)} user groups with ${int(c.members)} memberships, ${int(c.users)} users`
  );
}

/** The JSON `--json FILE` writes: the issue's fields, plus requests by operation. */
export function toJson(r: BenchReport): unknown {
  return {
    scenarios: r.scenarios.map((s) => ({
      name: s.name,
      wall_ms: Math.round(s.wall_ms),
      lower_bound_ms: Math.round(s.lower_bound_ms),
      requests: s.requests,
      writes: s.writes,
      rate_limited: s.rate_limited,
      cpu_ms: Math.round(s.cpu_ms),
      peak_rss_mb: Math.round(s.peak_rss_mb * 10) / 10,
      requests_by_op: s.requests_by_op,
    })),
    baseline: r.baseline.map((b) => ({ name: b.name, wall_ms: Math.round(b.wall_ms), requests: b.requests, requests_by_op: b.requests_by_op })),
    ...(r.floor ? { cpu_floor: { name: r.floor.name, requests: r.floor.requests, cpu_ms: Math.round(r.floor.cpu_ms), peak_rss_mb: Math.round(r.floor.peak_rss_mb * 10) / 10 } } : {}),
    mode: r.mode,
    machine: r.machine,
    workload: r.workload,
    rtt_ms: Math.round(r.rtt_ms * 10) / 10,
    concurrency: r.concurrency,
  };
}

export function toMarkdown(r: BenchReport): string {
  const out: string[] = [];
  out.push(`${workloadLine(r.workload, r.mode === 'quick' ? 'Quick' : 'Full')}.`);
  out.push(`Emulator in its own process with Stream's published rate limits and 20 ms latency (measured round trip ${r.rtt_ms.toFixed(1)} ms); stream-sync \`--concurrency ${r.concurrency}\`. Machine: ${r.machine}.`);
  if (r.mode === 'quick') {
    out.push('');
    out.push('Quick mode: the bounds are fractions of a second, so fixed costs (Node start-up, loading the file) dominate wall / bound; the goals are for the full run.');
  }
  out.push('');
  out.push('| scenario | result | wall | lower bound (set by) | wall / bound | requests | writes | 429s | CPU | peak RSS |');
  out.push('|---|---|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const s of r.scenarios) {
    out.push(
      `| ${s.name} | ${s.ok ? '' : '❌ '}${s.outcome} | ${secs(s.wall_ms)} | ${secs(s.lower_bound_ms)} (${s.bottleneck}) | ${ratio(s.wall_ms, s.lower_bound_ms)} | ${int(s.requests)} | ${int(s.writes)} | ${int(s.rate_limited)} | ${int(s.cpu_ms)} ms | ${s.peak_rss_mb.toFixed(0)} MB |`,
    );
  }
  if (r.floor) {
    const f = r.floor;
    out.push('');
    out.push(
      `CPU floor of the unchanged plan: a bare script replaying its ${int(f.requests)} reads (the same targets, undici at the same concurrency, one hand-signed token, \`JSON.parse\` of each answer; no rate limits, no YAML, no diff) ` +
        (f.ok ? `used ${int(f.cpu_ms)} ms of CPU and ${f.peak_rss_mb.toFixed(0)} MB: no client on this stack reads that app for less.` : '❌ failed (see the log).'),
    );
  }
  if (r.baseline.length) {
    out.push('');
    out.push('Baseline: a script with the official `@stream-io/node-sdk` on the same workload and emulator settings (get each object, create or update it, one call at a time, wait and retry on 429).');
    out.push('');
    out.push('| scenario | baseline wall | baseline requests | baseline 429s | stream-sync wall | stream-sync requests | stream-sync is faster by |');
    out.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const b of r.baseline) {
      const ours = r.scenarios.find((s) => s.name === b.name);
      out.push(
        `| ${b.name}${b.ok ? '' : ' ❌ failed'} | ${secs(b.wall_ms)} | ${int(b.requests)} | ${int(b.rate_limited)} | ${ours ? secs(ours.wall_ms) : '–'} | ${ours ? int(ours.requests) : '–'} | ${ours ? `${ratio(b.wall_ms, ours.wall_ms)}×` : '–'} |`,
      );
    }
  }
  out.push('');
  out.push(...opsTable(r));
  out.push('');
  out.push(...goals(r));
  return `${out.join('\n')}\n`;
}

function opsTable(r: BenchReport): string[] {
  const columns = [
    ...r.scenarios.map((s) => ({ name: s.name, ops: s.requests_by_op, limited: s.rate_limited_by_op })),
    ...r.baseline.map((b) => ({ name: `baseline: ${b.name}`, ops: b.requests_by_op, limited: b.rate_limited_by_op })),
  ];
  const ops = [...new Set(columns.flatMap((c) => Object.keys(c.ops)))].sort();
  const cell = (c: (typeof columns)[number], op: string) => (c.ops[op] ? `${int(c.ops[op])}${c.limited[op] ? ` (${int(c.limited[op])} × 429)` : ''}` : '');
  const lines = ['Requests by operation, as the emulator answered them (429s included and shown):', '', `| operation | ${columns.map((c) => c.name).join(' | ')} |`, `|---|${columns.map(() => '---:').join('|')}|`];
  for (const op of ops) lines.push(`| ${op} | ${columns.map((c) => cell(c, op)).join(' | ')} |`);
  return lines;
}

function goals(r: BenchReport): string[] {
  const worst = r.scenarios.reduce((w, s) => Math.max(w, s.wall_ms / s.lower_bound_ms), 0);
  const limited = r.scenarios.reduce((n, s) => n + s.rate_limited, 0);
  const unchanged = r.scenarios.find((s) => s.name === 'unchanged plan');
  const peak = r.scenarios.reduce((m, s) => Math.max(m, s.peak_rss_mb), 0);
  const cold = r.scenarios.find((s) => s.name === 'cold apply');
  const coldBaseline = r.baseline.find((b) => b.name === 'cold apply');
  const lines = [
    'Goals (measured, not asserted by tests):',
    '',
    `- ${mark(worst <= GOALS.boundRatio)} every scenario within ${GOALS.boundRatio}× its lower bound (worst: ${worst.toFixed(2)}×)`,
    `- ${mark(limited === 0)} zero 429s (${limited})`,
  ];
  if (unchanged) {
    lines.push(`- ${mark(unchanged.writes === 0)} zero writes on the unchanged plan (${unchanged.writes})`);
    const floor = r.floor?.ok ? `; its reads alone take ${int(r.floor.cpu_ms)} ms in a bare script` : '';
    lines.push(`- ${mark(unchanged.cpu_ms < GOALS.unchangedCpuMs)} unchanged plan under 1 s of CPU (${int(unchanged.cpu_ms)} ms${floor})`);
  }
  lines.push(`- ${mark(peak < GOALS.peakRssMb)} peak RSS under ${GOALS.peakRssMb} MB in every stream-sync process (${peak.toFixed(0)} MB)`);
  if (cold && coldBaseline) {
    const speedup = coldBaseline.wall_ms / cold.wall_ms;
    lines.push(`- ${mark(speedup >= GOALS.baselineSpeedup)} cold apply at least ${GOALS.baselineSpeedup}× faster than the baseline (${speedup.toFixed(1)}×)`);
  }
  return lines;
}
