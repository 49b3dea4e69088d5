import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

/**
 * The house rules, enforced: layers point one way (core ← plan ← kinds ← desired/live/apply ← runtime ←
 * commands/daemon ← cli), the emulator and the reconciler share no code, and no module imports itself back
 * through others. Every import of a source file counts: static, re-exported, type-only and dynamic.
 */

const SRC = resolve(ROOT, 'src');

/** The folders (layers) each folder of src/ may import, besides its own. `cli` is the composition root (src/cli.ts). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  plan: ['core'],
  state: ['core'],
  kinds: ['core', 'plan'],
  desired: ['core', 'plan', 'kinds'],
  live: ['core', 'plan', 'kinds'],
  apply: ['core', 'plan', 'kinds', 'state'],
  runtime: ['core', 'plan', 'kinds', 'state', 'desired', 'live', 'apply'],
  commands: ['core', 'plan', 'kinds', 'state', 'desired', 'live', 'apply', 'runtime'],
  daemon: ['core', 'plan', 'kinds', 'state', 'desired', 'live', 'apply', 'runtime'],
  cli: ['core', 'plan', 'kinds', 'state', 'desired', 'live', 'apply', 'runtime', 'commands', 'daemon', 'emulator'],
  // The library's calls (src/library/) and its entry point (src/index.ts, the package's stable surface).
  library: ['core', 'plan', 'kinds', 'state', 'desired', 'live', 'apply', 'runtime', 'commands'],
  index: ['core', 'plan', 'kinds', 'state', 'desired', 'live', 'apply', 'runtime', 'library'],
  // Shares nothing with the reconciler: a mistake in one can't hide the same mistake in the other.
  emulator: [],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Each source file (relative to src/) and the source files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((m) => relative(SRC, resolve(dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
    graph.set(relative(SRC, file), [...new Set(targets)]);
  }
  return graph;
}

export const layerOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file.replace(/\.ts$/, ''));

/** Import cycles, each as the files around it (one per strongly connected set). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('the layering of src/', () => {
  const graph = importGraph();

  it('reads every module and every relative import (the scan itself works)', () => {
    expect(graph.size).toBeGreaterThan(100);
    for (const [file, targets] of graph) for (const t of targets) expect(graph.has(t), `${file} imports ${t}, which is not a source file`).toBe(true);
    expect(graph.get('cli.ts')).toContain('emulator/server.ts');
  });

  it('puts every module in a known layer', () => {
    const unknown = [...graph.keys()].filter((f) => MAY_IMPORT[layerOf(f)] === undefined);
    expect(unknown).toEqual([]);
  });

  it('has no import that points up the pipeline or across to the emulator', () => {
    const violations: string[] = [];
    for (const [file, targets] of graph) {
      const from = layerOf(file);
      for (const t of targets) {
        const to = layerOf(t);
        if (to !== from && !MAY_IMPORT[from]?.includes(to)) violations.push(`${file} → ${t} (${from} may not import ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('finds a cycle and an upward import when there is one (the checks can fail)', () => {
    const bad = new Map([
      ['core/a.ts', ['plan/b.ts']],
      ['plan/b.ts', ['core/a.ts']],
    ]);
    expect(cycles(bad)).toEqual([['core/a.ts', 'plan/b.ts']]);
    expect(MAY_IMPORT[layerOf('core/a.ts')]).not.toContain(layerOf('plan/b.ts'));
  });
});
