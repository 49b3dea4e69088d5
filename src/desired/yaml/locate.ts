import { type Document, isMap, isScalar, isSeq, type Node } from 'yaml';
import type { SourceLocation } from '../../core/model.js';

/** Where a value stands in a parsed file: map keys and list indexes from the document's root. */
export type YamlPath = (string | number)[];

/** Line and column of an offset in `text`, by binary search over its line starts. */
export function offsetLocator(file: string, text: string): (offset: number) => SourceLocation {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file, line: lo + 1, col: offset - lineStarts[lo]! + 1 };
  };
}

/** The node at `path`, or the nearest ancestor that has a position. */
export function nodeAt(doc: Document, path: YamlPath): Node | undefined {
  for (let i = path.length; i >= 0; i--) {
    const n = doc.getIn(path.slice(0, i), true) as Node | undefined;
    if (n && typeof n === 'object' && 'range' in n && n.range) return n;
  }
  return undefined;
}

/** Where key `key` of the map at `path` is written (or the map itself). */
export function keyOffset(doc: Document, path: YamlPath, key: string): number {
  const map = doc.getIn(path, true);
  if (isMap(map)) {
    const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    const range = (pair?.key as Node | undefined)?.range;
    if (range) return range[0];
  }
  return nodeAt(doc, path)?.range?.[0] ?? 0;
}

/** The YAML path of a node from the `visit` ancestry (documents, pairs, maps and sequences). */
export function pathOf(ancestry: readonly unknown[], node: unknown): YamlPath {
  const path: YamlPath = [];
  const chain = [...ancestry, node];
  for (let i = 1; i < chain.length; i++) {
    const parent = chain[i - 1];
    const child = chain[i];
    if (isSeq(parent)) path.push(parent.items.indexOf(child as never));
    else if (parent && typeof parent === 'object' && 'key' in parent && 'value' in parent) {
      if ((parent as { value: unknown }).value === child) path.push(String((parent as { key: { value?: unknown } }).key?.value ?? (parent as { key: unknown }).key));
    }
  }
  return path;
}

export const formatYamlPath = (path: YamlPath) =>
  path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : String(seg)), '');
