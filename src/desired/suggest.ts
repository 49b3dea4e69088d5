import type { z } from 'zod';

/** Edit distance (insertions, deletions, substitutions, and swaps of two neighbours: `wrods` is one from `words`). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The candidate `word` most likely meant to be, when one is close enough (a third of its length, at least 1). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** `; did you mean "x"?` when a candidate is close to `word`, else nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c === undefined || c === word ? '' : `; did you mean "${c}"?`;
}

type Def = { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; innerType?: z.ZodType; valueType?: z.ZodType; in?: z.ZodType; options?: z.ZodType[]; getter?: () => z.ZodType };
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The keys an object schema allows at `path` of a value `schema` validates (empty when not an object there). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const out = new Set<string>();
  const visit = (s: z.ZodType | undefined, i: number, depth: number) => {
    if (!s || depth > 64) return;
    const def = defOf(s);
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'readonly':
        return visit(def.innerType, i, depth + 1);
      case 'pipe':
        return visit(def.in, i, depth + 1);
      case 'lazy':
        return visit(def.getter?.(), i, depth + 1);
      case 'union':
        for (const o of def.options ?? []) visit(o, i, depth + 1);
        return;
      case 'object':
        if (i === path.length) Object.keys(def.shape ?? {}).forEach((k) => out.add(k));
        else visit(def.shape?.[String(path[i])], i + 1, depth + 1);
        return;
      case 'array':
        if (i < path.length) visit(def.element, i + 1, depth + 1);
        return;
      case 'record':
        if (i < path.length) visit(def.valueType, i + 1, depth + 1);
        return;
    }
  };
  visit(schema, 0, 0);
  return [...out];
}
