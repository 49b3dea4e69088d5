import { type DocumentOptions, isAlias, isCollection, isMap, isPair, isScalar, type Pair, parseAllDocuments, parseDocument, type ParseOptions, type SchemaOptions, type ToJSOptions, type Document, type Node, visit, YAMLSeq } from 'yaml';
import { type ConfigIssue, InterpolationError } from '../../core/errors.js';
import type { SourceLocation } from '../../core/model.js';
import { interpolate } from '../interpolate.js';
import { keyOffset, nodeAt, pathOf, type YamlPath } from './locate.js';

/** A value substituted from `${env:}`/`${secret:}`/`${file:}` references. */
export interface Substitution {
  path: YamlPath;
  /** It holds a `${file:}` or `${secret:}` reference: masked in every output. */
  secret: boolean;
  /** The variables of its `${env:}` references (`policy.sensitive_variables` may mark them secret). */
  variables: string[];
}

/** One parsed desired-state file: its plain value, where each value stands, and which values were substituted. */
export interface ParsedFile {
  file: string;
  value: unknown;
  substitutions: Substitution[];
  locate(path: YamlPath): SourceLocation;
  /** The location of key `key` of the map at `path` (for unknown keys). */
  locateKey(path: YamlPath, key: string): SourceLocation;
}

/** What `${env:}`/`${file:}` references are substituted from. */
export interface SubstitutionOptions {
  env: NodeJS.ProcessEnv;
  /** Where `${file:}` paths are relative to. */
  baseDir: string;
}

const MAX_ALIASES = 100;
/**
 * How every desired-state text is parsed and turned into plain values, by the YAML library and by the fast path,
 * which reads the plainest text to the same value without the library only while these are the options it
 * mirrors (`mirrorsParser` in fast/mirror.ts).
 */
export const YAML_OPTIONS = Object.freeze({
  version: '1.2',
  uniqueKeys: true,
  strict: true,
  prettyErrors: false,
  maxAliasCount: MAX_ALIASES,
} as const satisfies ParseOptions & DocumentOptions & SchemaOptions & ToJSOptions);

/** The one document of `text` as the library reads it (for locating a value again). */
export const parseYamlDocument = (text: string): Document => parseDocument(text, YAML_OPTIONS);

/**
 * Collections nested deeper than this are refused: no desired-state field needs it, request bodies built from the
 * file must stay within the API's nesting bound, and the refusal is the same message at any depth (past a few
 * hundred levels the YAML parser itself runs out of stack).
 */
export const MAX_DEPTH = 32;
const TOO_DEEP = `the document is nested too deeply: at most ${MAX_DEPTH} levels of mappings and lists`;

/** Long lists of plain words taken out of a text before it is parsed (fast/plain-lists.ts), to be put back. */
export interface PlainLists {
  /** The text without the lists' lines. */
  text: string;
  /** Each list's words by the offset (in `text`) of the key it is the value of. */
  words: Map<number, string[]>;
  /** The offset in the piece as written of an offset in `text`. */
  written(offset: number): number;
}

export interface DocumentResult {
  issues: ConfigIssue[];
  doc?: Document;
  value?: unknown;
  substitutions: Substitution[];
  aliases: number;
  /** Some list taken out by plainLists was not where it seemed: parse the text as it is written. */
  mismatch?: boolean;
}

/**
 * Parses `text` (which starts at `offset` in the file) as one YAML document whose root stands at nesting depth
 * `depth`: syntax, several documents, emptiness, shape, `${}` substitution and alias expansion.
 */
export function parseDocumentText(text: string, offset: number, depth: number, at: (offset: number) => SourceLocation, opts: SubstitutionOptions, lists?: PlainLists): DocumentResult {
  const local = (o: number) => at(offset + o);
  const fail = (issues: ConfigIssue[]): DocumentResult => ({ issues, substitutions: [], aliases: 0 });
  const docs = parseAllDocuments(text, YAML_OPTIONS);
  const empty = [{ message: 'the file is empty: a desired-state file starts with `version: 1` (an empty file never means "delete everything")', location: local(0) }];
  if (!Array.isArray(docs) || docs.length === 0) return fail(empty);
  const issues: ConfigIssue[] = [];
  for (const doc of docs) {
    for (const e of doc.errors) {
      const message = e.message.includes('Maximum call stack size exceeded') ? TOO_DEEP : `YAML syntax: ${firstLine(e.message)}`;
      issues.push({ message, location: local(e.pos[0]) });
    }
  }
  if (issues.length) return fail(issues.filter((i, n) => i.message !== TOO_DEEP || issues.findIndex((j) => j.message === TOO_DEEP) === n));
  if (docs.length > 1) {
    return fail([{ message: 'a desired-state file holds one YAML document; split the others into their own files', location: local(docs[1]!.range[0]) }]);
  }
  const doc = docs[0]!;
  if (doc.contents === null || (isScalar(doc.contents) && (doc.contents.value === null || doc.contents.value === ''))) return fail(empty);
  if (depth === 1 && !isMap(doc.contents)) return fail([{ message: 'the document must be a mapping with `version: 1` and kind sections', location: local(doc.contents.range?.[0] ?? 0) }]);
  const shape = shapeIssues(doc.contents, local, depth);
  if (shape.length) return fail(shape);

  const substitutions: Substitution[] = [];
  let aliases = 0;
  /** The anchors defined so far, in the order the library resolves aliases (an alias names one defined before it). */
  const anchors = new Set<string>();
  // A key is echoed by messages ("unknown key"): a reference in one, directly, inside a complex key or through an
  // alias, is refused and never substituted.
  const inKey = (ancestry: readonly unknown[], node: unknown) => [...ancestry, node].some((a, i, chain) => isPair(a) && a.key === chain[i + 1]);
  const keyIssue = (node: Node) => issues.push({ message: 'a key cannot hold ${env:} or ${file:}: references are substituted in values only', location: local(node.range?.[0] ?? 0) });
  const substituted = new Set<unknown>();
  /** The pairs whose value is a list `lists` took out. */
  const restore: { pair: Pair; words: string[] }[] = [];
  const holdsReference = (node: unknown, depth = 0): boolean => {
    if (depth > MAX_DEPTH || !node) return false;
    if (isScalar(node)) return substituted.has(node) || (typeof node.value === 'string' && node.value.includes('${'));
    if (isAlias(node)) return holdsReference(node.resolve(doc), depth + 1);
    if (isPair(node)) return holdsReference(node.key, depth + 1) || holdsReference(node.value, depth + 1);
    return isCollection(node) && node.items.some((item) => holdsReference(item, depth + 1));
  };
  visit(doc, {
    Pair(_key, pair, ancestry) {
      const words = lists?.words.get((pair.key as Node | null)?.range?.[0] ?? -1);
      if (!words) return;
      // The key the list was taken from, as a key of a plain block mapping whose value is now empty: the list
      // belonged there, and nowhere else (a line that only looked like a key, inside a block scalar or a quoted
      // value, is no pair at that offset; a `!!set` gives its values another meaning).
      const map = ancestry[ancestry.length - 1];
      const plainMap = isMap(map) && !map.flow && (!map.tag || map.tag === 'tag:yaml.org,2002:map');
      const collections = ancestry.filter((a) => isCollection(a)).length;
      const empty = isScalar(pair.value) && pair.value.value === null;
      if (plainMap && empty && depth + collections <= MAX_DEPTH) restore.push({ pair, words });
    },
    Collection(_key, node) {
      if (node.anchor) anchors.add(node.anchor);
    },
    Alias(_key, node, ancestry) {
      aliases++;
      // Left to the library, an alias to no anchor fails the whole conversion, with no position.
      if (!anchors.has(node.source)) {
        issues.push({ message: `unresolved alias *${node.source} (no anchor &${node.source} defined before it)`, location: local(node.range?.[0] ?? 0) });
        return;
      }
      if (inKey(ancestry, node) && holdsReference(node)) keyIssue(node);
    },
    Scalar(_key, node, ancestry) {
      if (node.anchor) anchors.add(node.anchor);
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      if (inKey(ancestry, node)) {
        keyIssue(node);
        return;
      }
      try {
        const r = interpolate(node.value, opts);
        node.value = r.value;
        substituted.add(node);
        substitutions.push({ path: pathOf(ancestry, node), secret: r.sensitive, variables: r.variables });
      } catch (err) {
        if (!(err instanceof InterpolationError)) throw err;
        issues.push({ message: err.message, location: local(node.range?.[0] ?? 0) });
      }
    },
  });
  if (issues.length) return fail(issues);
  if (lists && restore.length !== lists.words.size) return { ...fail([]), mismatch: true };
  // Each list goes back as the pair's value, so it becomes part of the value as the parser would have made it (a
  // plain string converts to itself).
  for (const { pair, words } of restore) pair.value = Object.assign(new YAMLSeq(), { items: words });
  try {
    return { issues: [], doc, value: doc.toJS(YAML_OPTIONS), substitutions, aliases };
  } catch (err) {
    return fail([{ message: `YAML aliases expand too much (more than ${MAX_ALIASES} alias uses): ${(err as Error).message}`, location: local(0) }]);
  }
}

/** The whole of `text` parsed as one document: the file, or its issues. */
export function parseWholeFile(file: string, text: string, at: (offset: number) => SourceLocation, opts: SubstitutionOptions): { parsed?: ParsedFile; issues: ConfigIssue[] } {
  const whole = parseDocumentText(text, 0, 1, at, opts);
  if (!whole.doc) return { issues: whole.issues };
  const { doc } = whole;
  return {
    issues: [],
    parsed: { file, value: whole.value, substitutions: whole.substitutions, locate: (path) => at(nodeAt(doc, path)?.range?.[0] ?? 0), locateKey: (path, key) => at(keyOffset(doc, path, key)) },
  };
}

const firstLine = (s: string) => s.split('\n')[0] ?? s;

/**
 * Nesting deeper than {@link MAX_DEPTH} (reported once, at the first node past it) and `__proto__` keys (which
 * JavaScript would turn into a prototype, silently dropping the value). Iterative, so any depth is measured safely.
 */
function shapeIssues(root: Node, at: (offset: number) => SourceLocation, depth = 1): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const stack: [unknown, number][] = [[root, depth]];
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
