import { describe, expect, it } from 'vitest';
import { sharedChartInput, windowChart } from './chart.js';
import { tallyWindows } from './windows.js';

/** Well-formed XML, checked by hand (no parser among the dependencies): tags nest and close, attributes are quoted, text has no bare `<` or `&`. */
function wellFormed(xml: string): boolean {
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  for (const m of xml.matchAll(token)) {
    if (m[6]) return false;
    if (m[5] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[5])) return false;
      continue;
    }
    if (m[1]) {
      if (stack.pop() !== m[2]) return false;
    } else if (!m[4]) stack.push(m[2]!);
  }
  return stack.length === 0;
}

const MINUTE = 60_000;
const t0 = 1_800_000 * MINUTE;

describe('windowChart: the shared-budget chart', () => {
  const input = {
    title: 'Shared <budget> & co',
    shareLabel: "stream-sync's share (50 %)",
    windows: ['10:00', '10:01'],
    spans: [{ label: 'cold apply', from: 0.2, to: 1.5 }],
    panels: [{ title: 'GetUserGroup', limit: [1_000, 500], share: [500, 250], backend: [400, 380], sync: [480, 97] }],
  };
  const svg = windowChart(input);

  it('is well-formed SVG, with the title escaped', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(wellFormed(svg)).toBe(true);
    expect(wellFormed('<svg><text>a < b</text></svg>')).toBe(false);
    expect(svg).toContain('Shared &lt;budget&gt; &amp; co');
  });

  it('draws a stacked bar per window (backend, stream-sync) labelled with the counts, and the limit and share lines', () => {
    expect(svg.match(/class="bar backend"/g)).toHaveLength(2);
    expect(svg.match(/class="bar stream-sync"/g)).toHaveLength(2);
    expect(svg).toContain('>400 + 480</text>');
    expect(svg).toContain('>380 + 97</text>');
    expect(svg.match(/class="limit"/g)).toHaveLength(2);
    expect(svg.match(/class="share"/g)).toHaveLength(2);
    for (const label of ['10:00', '10:01', 'cold apply', 'GetUserGroup', 'backend', 'stream-sync', 'limit', "stream-sync's share (50 %)", 'minute window (start, UTC)']) {
      expect(svg).toContain(`>${label}</text>`);
    }
  });

  it('builds its input from the tally: every window from the first to the last, limits lowered where they were', () => {
    const tally = tallyWindows([
      { at: t0 + 1, client: 'bench-backend', op: 'GetUserGroup', status: 200, method: 'GET' },
      { at: t0 + 2, client: 'stream-sync-0.1.0', op: 'GetUserGroup', status: 200, method: 'GET' },
      { at: t0 + 3, client: 'stream-sync-0.1.0', op: 'GetUserGroup', status: 429, method: 'GET' },
      { at: t0 + 2 * MINUTE + 5, client: 'bench-backend', op: 'GetUserGroup', status: 200, method: 'GET' },
    ]);
    const c = sharedChartInput({
      tally,
      limits: { GetUserGroup: 1_000 },
      perMinute: { GetUserGroup: 400 },
      share: 0.5,
      lowered: { from: t0 + 2 * MINUTE + 20_000, to: t0 + 2 * MINUTE + 40_000, scale: 0.5 },
      scenarios: [{ label: 'cold apply', from: t0, to: t0 + MINUTE + 10 }, { label: 'limits lowered mid-run', from: t0 + 2 * MINUTE, to: t0 + 2 * MINUTE + 50_000 }],
    });
    expect(c.windows).toHaveLength(3);
    // Where in the windows each scenario ran: from the first window's start, in windows.
    expect(c.spans.map((s) => [s.label, s.from, Math.round(s.to * 100) / 100])).toEqual([
      ['cold apply', 0, 1],
      ['limits lowered mid-run', 2, 2.83],
    ]);
    expect(c.panels[0]).toMatchObject({ limit: [1_000, 1_000, 500], share: [500, 500, 250], backend: [1, 0, 1], sync: [1, 0, 0] });
    expect(wellFormed(windowChart(c))).toBe(true);
  });
});
