import { admitted, MINUTE_MS, type WindowTally, windowOf, windowStarts } from './windows.js';

/**
 * The shared-budget chart: per endpoint (a panel each), per minute window, a stacked bar of what the backend and
 * stream-sync had admitted, with the endpoint's limit and stream-sync's share of it as lines, and under the axis the
 * scenarios that ran in those windows. A hand-written SVG (no dependency): rectangles, lines and text.
 */
export interface ChartPanel {
  /** The endpoint. */
  title: string;
  /** Per window: the per-minute limit (the lowest in force during the window, when limits were lowered). */
  limit: number[];
  /** Per window: stream-sync's share of the limit (its `--rate-share`): the legend's `shareLabel`. */
  share: number[];
  /** Per window: requests admitted (answered, not 429). */
  backend: number[];
  sync: number[];
}

export interface ChartInput {
  title: string;
  /** The share line's name in the legend. */
  shareLabel: string;
  /** The windows' labels (their start, `HH:MM` UTC). */
  windows: string[];
  /** The scenarios: when each started and ended, in windows from the first window's start (1.5: the middle of the second). */
  spans: { label: string; from: number; to: number }[];
  panels: ChartPanel[];
}

const COLORS = { backend: '#9e9e9e', sync: '#1f77b4', limit: '#d62728', share: '#ff7f0e', axis: '#333', grid: '#ddd' } as const;
const SLOT = 64;
const BAR = 40;
const LEFT = 70;
const RIGHT = 20;
const PLOT_H = 150;
const PANEL_H = PLOT_H + 70;
const HEAD = 64;
/** A scenario's row under the axis: its name, and a line from its start to its end. */
const ROW = 22;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const text = (x: number, y: number, s: string, attrs = '') => `<text x="${f(x)}" y="${f(y)}"${attrs ? ` ${attrs}` : ''}>${esc(s)}</text>`;
const line = (x1: number, y1: number, x2: number, y2: number, attrs: string) => `<line x1="${f(x1)}" y1="${f(y1)}" x2="${f(x2)}" y2="${f(y2)}" ${attrs}/>`;

/** A round step for the y axis: 1, 2 or 5 × a power of ten, about a quarter of `max`. */
function step(max: number): number {
  const raw = Math.max(1, max / 4);
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
}

function panel(p: ChartPanel, windows: string[], top: number): string[] {
  const out: string[] = [];
  const n = windows.length;
  const bottom = top + 24 + PLOT_H;
  const max = Math.max(1, ...p.limit, ...p.backend.map((b, i) => b + (p.sync[i] ?? 0))) * 1.12;
  const y = (v: number) => bottom - (v / max) * PLOT_H;
  const x = (i: number) => LEFT + i * SLOT;
  out.push(text(LEFT, top + 14, p.title, 'font-weight="bold" font-size="13"'));
  const s = step(max);
  for (let v = 0; v <= max; v += s) {
    out.push(line(LEFT, y(v), x(n), y(v), `stroke="${COLORS.grid}"`));
    out.push(text(LEFT - 6, y(v) + 4, v.toLocaleString('en-US'), 'text-anchor="end" font-size="10"'));
  }
  for (let i = 0; i < n; i++) {
    const bx = x(i) + (SLOT - BAR) / 2;
    const b = p.backend[i] ?? 0;
    const sy = p.sync[i] ?? 0;
    out.push(`<rect class="bar backend" x="${f(bx)}" y="${f(y(b))}" width="${BAR}" height="${f(bottom - y(b))}" fill="${COLORS.backend}"><title>backend: ${b}</title></rect>`);
    out.push(`<rect class="bar stream-sync" x="${f(bx)}" y="${f(y(b + sy))}" width="${BAR}" height="${f(y(b) - y(b + sy))}" fill="${COLORS.sync}"><title>stream-sync: ${sy}</title></rect>`);
    out.push(text(bx + BAR / 2, y(b + sy) - 4, `${b} + ${sy}`, 'class="count" text-anchor="middle" font-size="10"'));
    const l = p.limit[i];
    if (l !== undefined) out.push(line(x(i), y(l), x(i + 1), y(l), `class="limit" stroke="${COLORS.limit}" stroke-width="2"`));
    const sh = p.share[i];
    if (sh !== undefined) out.push(line(x(i), y(sh), x(i + 1), y(sh), `class="share" stroke="${COLORS.share}" stroke-width="2" stroke-dasharray="6 4"`));
  }
  out.push(line(LEFT, top + 24, LEFT, bottom, `stroke="${COLORS.axis}"`));
  out.push(line(LEFT, bottom, x(n), bottom, `stroke="${COLORS.axis}"`));
  windows.forEach((w, i) => out.push(text(x(i) + SLOT / 2, bottom + 14, w, 'class="window" text-anchor="middle" font-size="10"')));
  out.push(text(16, top + 24 + PLOT_H / 2, 'requests / minute window', `font-size="10" text-anchor="middle" transform="rotate(-90 16 ${f(top + 24 + PLOT_H / 2)})"`));
  return out;
}

export function windowChart(c: ChartInput): string {
  const n = Math.max(1, c.windows.length);
  const width = Math.max(640, LEFT + n * SLOT + RIGHT);
  // The scenarios under the last panel's axis, a row each (short ones would overlap on one).
  const height = HEAD + c.panels.length * PANEL_H + ROW * c.spans.length + 12;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    text(LEFT, 20, c.title, 'font-weight="bold" font-size="15"'),
  ];
  const legend: [string, string][] = [
    ['backend', `<rect x="0" y="-9" width="12" height="10" fill="${COLORS.backend}"/>`],
    ['stream-sync', `<rect x="0" y="-9" width="12" height="10" fill="${COLORS.sync}"/>`],
    ['limit', line(0, -4, 16, -4, `stroke="${COLORS.limit}" stroke-width="2"`)],
    [c.shareLabel, line(0, -4, 16, -4, `stroke="${COLORS.share}" stroke-width="2" stroke-dasharray="6 4"`)],
  ];
  let lx = LEFT;
  for (const [label, mark] of legend) {
    out.push(`<g class="legend" transform="translate(${f(lx)} 42)">${mark}${text(20, 0, label, 'font-size="11"')}</g>`);
    lx += 36 + label.length * 6.5;
  }
  c.panels.forEach((p, i) => out.push(...panel(p, c.windows, HEAD + i * PANEL_H)));
  const axis = HEAD + c.panels.length * PANEL_H - 46;
  out.push(text(LEFT + (n * SLOT) / 2, axis + 28, 'minute window (start, UTC)', 'text-anchor="middle" font-size="10"'));
  c.spans.forEach((s, i) => {
    const yy = axis + 48 + ROW * i;
    const x1 = LEFT + s.from * SLOT;
    const x2 = Math.max(x1 + 2, LEFT + s.to * SLOT);
    out.push(text(x1, yy, s.label, 'class="scenario" font-size="10"'));
    out.push(line(x1, yy + 4, x2, yy + 4, `stroke="${COLORS.axis}" stroke-width="3"`));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The shared group's windows, as `windowChart` draws them. */
export interface SharedWindows {
  /** Every request of the group, tallied per window (`windows.ts`). */
  tally: WindowTally;
  /** The endpoints charted, each with its per-minute limit and what the backend calls of it per minute. */
  limits: Record<string, number>;
  perMinute: Record<string, number>;
  /** stream-sync's share of each limit (0–1). */
  share: number;
  /** When limits were lowered (ms since epoch, `to` absent: until the end) and by what factor. */
  lowered?: { from: number; to?: number; scale: number };
  /** The scenarios: when each ran (ms since epoch). */
  scenarios: { label: string; from: number; to: number }[];
}

export function sharedChartInput(w: SharedWindows): ChartInput {
  const seen = [...windowStarts(w.tally), ...w.scenarios.flatMap((s) => [windowOf(s.from), windowOf(s.to)])];
  const first = Math.min(...seen);
  const starts = Array.from({ length: Math.round((Math.max(...seen) - first) / MINUTE_MS) + 1 }, (_, i) => first + i * MINUTE_MS);
  const at = (ms: number) => (ms - first) / MINUTE_MS;
  const lowered = (start: number) => w.lowered !== undefined && start + MINUTE_MS > w.lowered.from && (w.lowered.to === undefined || start < w.lowered.to);
  return {
    title: 'Shared budget: requests admitted per minute window',
    shareLabel: `stream-sync's share (${Math.round(w.share * 100)} %)`,
    windows: starts.map((s) => new Date(s).toISOString().slice(11, 16)),
    spans: w.scenarios.map((s) => ({ label: s.label, from: at(s.from), to: at(s.to) })),
    panels: Object.entries(w.limits).map(([op, base]) => {
      const limit = starts.map((s) => (lowered(s) ? Math.max(1, Math.floor(base * w.lowered!.scale)) : base));
      return {
        title: `${op}: limit ${base.toLocaleString('en-US')}/min, backend ${(w.perMinute[op] ?? 0).toLocaleString('en-US')}/min`,
        limit,
        share: limit.map((l) => Math.floor(l * w.share)),
        backend: starts.map((s) => admitted(w.tally, s, 'backend', op)),
        sync: starts.map((s) => admitted(w.tally, s, 'stream-sync', op)),
      };
    }),
  };
}
