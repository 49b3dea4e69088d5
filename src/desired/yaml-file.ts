import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, visit } from 'yaml';
import type { ConfigIssue } from '../errors.js';
import type { SourceLocation } from '../model.js';
import { interpolate, InterpolationError } from './interpolate.js';

export type YamlPath = (string | number)[];

/** One parsed desired-state file: its plain value, where each value stands, and which values are sensitive. */
export interface ParsedFile {
  file: string;
  value: unknown;
  /** YAML paths of values that came from `${env:}`/`${file:}`. */
  sensitive: YamlPath[];
  locate(path: YamlPath): SourceLocation;
  /** The location of key `key` of the map at `path` (for unknown keys). */
  locateKey(path: YamlPath, key: string): SourceLocation;
}

const MAX_ALIASES = 100;

/**
 * Parses one YAML file: syntax errors, several documents, an empty file and alias bombs are issues with their
 * line and column; `${env:}`/`${file:}` references are substituted here, after parsing, so a substituted value
 * can never inject YAML.
 */
export function parseYamlFile(file: string, text: string, opts: { env: NodeJS.ProcessEnv; baseDir: string }): { parsed?: ParsedFile; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const at = (offset: number): SourceLocation => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const empty = { issues: [{ message: 'the file is empty: a desired-state file starts with `version: 1` (an empty file never means "delete everything")', location: { file, line: 1, col: 1 } }] };
  if (!Array.isArray(docs) || docs.length === 0) return empty;
  const issues: ConfigIssue[] = [];
  for (const doc of docs) {
    for (const e of doc.errors) issues.push({ message: `YAML syntax: ${firstLine(e.message)}`, location: at(e.pos[0]) });
  }
  if (issues.length) return { issues };
  if (docs.length > 1) {
    return { issues: [{ message: 'a desired-state file holds one YAML document; split the others into their own files', location: at(docs[1]!.range[0]) }] };
  }
  const doc = docs[0]!;
  if (doc.contents === null || (isScalar(doc.contents) && (doc.contents.value === null || doc.contents.value === ''))) {
    return empty;
  }
  if (!isMap(doc.contents)) return { issues: [{ message: 'the document must be a mapping with `version: 1` and kind sections', location: at(doc.contents.range?.[0] ?? 0) }] };

  const sensitive: YamlPath[] = [];
  visit(doc, {
    Scalar(_key, node, ancestry) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      try {
        const r = interpolate(node.value, opts);
        node.value = r.value;
        if (r.sensitive) sensitive.push(pathOf(ancestry, node));
      } catch (err) {
        if (!(err instanceof InterpolationError)) throw err;
        issues.push({ message: err.message, location: at(node.range?.[0] ?? 0) });
      }
    },
  });
  if (issues.length) return { issues };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    return { issues: [{ message: `YAML aliases expand too much (more than ${MAX_ALIASES} alias uses): ${(err as Error).message}`, location: at(0) }] };
  }
  const nodeAt = (path: YamlPath): Node | undefined => {
    for (let i = path.length; i >= 0; i--) {
      const n = doc.getIn(path.slice(0, i), true) as Node | undefined;
      if (n && typeof n === 'object' && 'range' in n && n.range) return n;
    }
    return undefined;
  };
  return {
    issues: [],
    parsed: {
      file,
      value,
      sensitive,
      locate: (path) => at(nodeAt(path)?.range?.[0] ?? 0),
      locateKey(path, key) {
        const map = doc.getIn(path, true);
        if (isMap(map)) {
          const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
          const range = (pair?.key as Node | undefined)?.range;
          if (range) return at(range[0]);
        }
        return at(nodeAt(path)?.range?.[0] ?? 0);
      },
    },
  };
}

/** The YAML path of a node from the `visit` ancestry (documents, pairs, maps and sequences). */
function pathOf(ancestry: readonly unknown[], node: unknown): YamlPath {
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

const firstLine = (s: string) => s.split('\n')[0] ?? s;

export const formatYamlPath = (path: YamlPath) =>
  path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : String(seg)), '');
