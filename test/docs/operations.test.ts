import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DaemonMetrics } from '../../src/daemon/metrics.js';
import { codeBlocks, readDoc } from './markdown.js';

/* docs/operations.md's Prometheus alerting rules: a rules file Prometheus would load (groups of rules, each with
 * alert, expr, for, a severity and annotations), whose expressions use only metrics the daemon serves. */

const PAGE = 'docs/operations.md';
const markdown = readDoc(PAGE);
const section = markdown.slice(markdown.indexOf('## Alerting rules for Prometheus'), markdown.indexOf('\n## ', markdown.indexOf('## Alerting rules for Prometheus') + 1));
const block = codeBlocks(section).find((b) => b.lang === 'yaml' && /^groups:/m.test(b.text));

/** The series names the daemon's registry exposes: a histogram's as _bucket, _sum and _count (and its own name). */
async function servedNames(): Promise<Set<string>> {
  const metrics = new DaemonMetrics();
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    // prom-client's MetricType is an enum whose values are these strings.
    const type = String(m.type);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

/** The metric names an expression selects: identifiers that are neither functions, keywords, label names nor durations. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // label lists
  return [...bare.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)].map((m) => m[1]!).filter((id) => !KEYWORDS.has(id.toLowerCase()));
}

describe(`${PAGE}: alerting rules`, () => {
  it('has a rules file in its alerting section', () => {
    expect(block, `${PAGE}: no \`\`\`yaml block starting with groups: under "## Alerting rules for Prometheus"`).toBeDefined();
  });

  const file = parse(block?.text ?? 'groups: []') as { groups?: { name?: string; rules?: Record<string, any>[] }[] };
  const rules = (file.groups ?? []).flatMap((g) => g.rules ?? []);

  it('is a Prometheus rules file: named groups of alerting rules, each with expr, for, a severity and annotations', () => {
    expect(Array.isArray(file.groups) && file.groups.length > 0).toBe(true);
    for (const g of file.groups!) {
      expect(typeof g.name, 'a group has a name').toBe('string');
      expect(Array.isArray(g.rules) && g.rules.length > 0, `group ${g.name} has rules`).toBe(true);
    }
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size, 'alert names are unique').toBe(names.length);
    for (const r of rules) {
      expect(r.alert, JSON.stringify(r)).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      expect(typeof r.expr, `${r.alert}: expr`).toBe('string');
      expect(r.for, `${r.alert}: for`).toMatch(/^(\d+(ms|s|m|h|d|w|y))+$/);
      expect(['critical', 'warning', 'info'], `${r.alert}: labels.severity`).toContain(r.labels?.severity);
      expect(typeof r.annotations?.summary, `${r.alert}: annotations.summary`).toBe('string');
      expect(typeof r.annotations?.description, `${r.alert}: annotations.description`).toBe('string');
      const extra = Object.keys(r).filter((k) => !['alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'].includes(k));
      expect(extra, `${r.alert}: keys a rule does not have`).toEqual([]);
    }
  });

  it('covers failing reconciles, persisting drift, 429s, an invalid config, an old last success and a nearly full rate window', () => {
    const uses = (metric: string) => rules.some((r) => String(r.expr).includes(metric));
    for (const m of ['stream_sync_reconcile_total', 'stream_sync_drifted_objects', 'stream_sync_api_rate_limited_total', 'stream_sync_config_valid', 'stream_sync_last_success_timestamp_seconds', 'stream_sync_rate_window_used_ratio']) {
      expect(uses(m), `no rule uses ${m}`).toBe(true);
    }
  });

  it('uses only metrics the daemon serves', async () => {
    const served = await servedNames();
    const unknown: string[] = [];
    for (const r of rules) {
      const used = metricNames(String(r.expr));
      if (used.length === 0) unknown.push(`${r.alert}: selects no metric`);
      for (const name of used) if (!served.has(name)) unknown.push(`${r.alert}: ${name} is not a metric of src/daemon/metrics.ts`);
    }
    expect(unknown).toEqual([]);
  });

  it('reads expressions the way the check above means to', () => {
    expect(metricNames('histogram_quantile(0.9, sum by (app, le) (rate(stream_sync_reconcile_duration_seconds_bucket{app="x"}[1h]))) > 900')).toEqual(['stream_sync_reconcile_duration_seconds_bucket']);
    expect(metricNames('(time() - a_metric) > 3 * b_metric and on (app) c_metric > 0')).toEqual(['a_metric', 'b_metric', 'c_metric']);
  });
});

describe(`${PAGE}: the metrics table`, () => {
  it('lists every metric the daemon registers (prom-client\'s process and Node.js defaults as stream_sync_process_*, stream_sync_nodejs_*)', async () => {
    const metrics = new DaemonMetrics();
    const missing = (await metrics.registry.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((name) => !/^stream_sync_(process|nodejs)_/.test(name) && !markdown.includes(`\`${name}`))
      .map((name) => `${PAGE}: the metric ${name} is not documented`);
    expect(missing).toEqual([]);
    expect(markdown).toContain('`stream_sync_process_*`, `stream_sync_nodejs_*`');
  });
});
