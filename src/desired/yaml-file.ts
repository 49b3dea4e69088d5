import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, visit } from 'yaml';
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
 * Collections nested deeper than this are refused: no desired-state field needs it, request bodies built from the
 * file must stay within the API's nesting bound, and the refusal is the same message at any depth (past a few
 * hundred levels the YAML parser itself runs out of stack).
 */
export const MAX_DEPTH = 32;
const TOO_DEEP = `the document is nested too deeply: at most ${MAX_DEPTH} levels of mappings and lists`;
/**
 * C0 control characters other than tab, LF and CR, which YAML allows nowhere in a file, not even in quoted
 * scalars (DEL and C1 are allowed there, for JSON compatibility): in a file they mean damage or binary data, and
 * would otherwise reach names and values unseen.
 */
const NON_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/**
 * Parses one YAML file: bytes that are not UTF-8, control characters, syntax errors, several documents, an empty
 * file, alias bombs, excessive nesting and `__proto__` keys are issues with their line and column;
 * `${env:}`/`${file:}` references are substituted here, after parsing, so a substituted value can never inject YAML.
 */
export function parseYamlFile(file: string, content: string | Uint8Array, opts: { env: NodeJS.ProcessEnv; baseDir: string }): { parsed?: ParsedFile; issues: ConfigIssue[] } {
  const decoded = typeof content === 'string' ? { text: content } : decodeUtf8(file, content);
  if (decoded.issue) return { issues: [decoded.issue] };
  const text = decoded.text!;
  const lineCounter = new LineCounter();
  const at = (offset: number): SourceLocation => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  const control = NON_PRINTABLE.exec(text);
  if (control) {
    const hex = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return { issues: [{ message: `the file holds the control character U+${hex}, which YAML does not allow in a file: if it is meant, write it as "\\u${hex}" in a double-quoted string`, location: locateOffset(file, text, control.index) }] };
  }
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const empty = { issues: [{ message: 'the file is empty: a desired-state file starts with `version: 1` (an empty file never means "delete everything")', location: { file, line: 1, col: 1 } }] };
  if (!Array.isArray(docs) || docs.length === 0) return empty;
  const issues: ConfigIssue[] = [];
  for (const doc of docs) {
    for (const e of doc.errors) {
      const message = e.message.includes('Maximum call stack size exceeded') ? TOO_DEEP : `YAML syntax: ${firstLine(e.message)}`;
      issues.push({ message, location: at(e.pos[0]) });
    }
  }
  if (issues.length) return { issues: issues.filter((i, n) => i.message !== TOO_DEEP || issues.findIndex((j) => j.message === TOO_DEEP) === n) };
  if (docs.length > 1) {
    return { issues: [{ message: 'a desired-state file holds one YAML document; split the others into their own files', location: at(docs[1]!.range[0]) }] };
  }
  const doc = docs[0]!;
  if (doc.contents === null || (isScalar(doc.contents) && (doc.contents.value === null || doc.contents.value === ''))) {
    return empty;
  }
  if (!isMap(doc.contents)) return { issues: [{ message: 'the document must be a mapping with `version: 1` and kind sections', location: at(doc.contents.range?.[0] ?? 0) }] };
  const shape = shapeIssues(doc.contents, at);
  if (shape.length) return { issues: shape };

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

/**
 * Nesting deeper than {@link MAX_DEPTH} (reported once, at the first node past it) and `__proto__` keys (which
 * JavaScript would turn into a prototype, silently dropping the value). Iterative, so any depth is measured safely.
 */
function shapeIssues(root: Node, at: (offset: number) => SourceLocation): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (!isCollection(node) || isAlias(node)) continue;
    if (depth > MAX_DEPTH) {
      if (!issues.some((i) => i.message === TOO_DEEP)) issues.push({ message: TOO_DEEP, location: at(node.range?.[0] ?? 0) });
      continue;
    }
    for (const item of node.items) {
      if (isPair(item)) {
        if (isScalar(item.key) && item.key.value === '__proto__') {
          issues.push({ message: 'the key "__proto__" is not allowed (JavaScript would drop it silently)', location: at(item.key.range?.[0] ?? 0) });
        }
        stack.push([item.key, depth + 1], [item.value, depth + 1]);
      } else stack.push([item, depth + 1]);
    }
  }
  return issues;
}

/** The location of a character offset in `text` (for problems found before parsing). */
function locateOffset(file: string, text: string, offset: number): SourceLocation {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { file, line, col: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/** The file's bytes as UTF-8 text; bytes that are not UTF-8 are an issue at the line and column where they start. */
function decodeUtf8(file: string, bytes: Uint8Array): { text?: string; issue?: ConfigIssue } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    // Find the first bad byte: a newline byte never occurs inside a multi-byte sequence, so lines decode alone.
    let start = 0;
    let line = 1;
    for (;;) {
      const nl = bytes.indexOf(0x0a, start);
      const end = nl < 0 ? bytes.length : nl;
      const bad = firstInvalidByte(bytes.subarray(start, end));
      if (bad >= 0) {
        const col = new TextDecoder('utf-8').decode(bytes.subarray(start, start + bad)).length + 1;
        return { issue: { message: 'the file is not valid UTF-8 text (save it as UTF-8)', location: { file, line, col } } };
      }
      if (nl < 0) return { issue: { message: 'the file is not valid UTF-8 text (save it as UTF-8)', location: { file, line: 1, col: 1 } } };
      start = nl + 1;
      line++;
    }
  }
}

/** The offset where the first invalid UTF-8 sequence of `line` starts, or -1. */
function firstInvalidByte(line: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  /** Where the multi-byte sequence being decoded started. */
  let pending: number | undefined;
  for (let i = 0; i < line.length; i++) {
    try {
      // stream: a sequence not yet complete is held back, not an error; a byte that cannot follow throws.
      const out = decoder.decode(line.subarray(i, i + 1), { stream: true });
      pending = out === '' ? (pending ?? i) : undefined;
    } catch {
      return pending ?? i;
    }
  }
  try {
    decoder.decode();
  } catch {
    return pending ?? Math.max(0, line.length - 1);
  }
  return -1;
}

export const formatYamlPath = (path: YamlPath) =>
  path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : String(seg)), '');
