import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, type Pair, parseAllDocuments, parseDocument, type Document, type Node, visit, YAMLSeq } from 'yaml';
import type { ConfigIssue } from '../core/errors.js';
import type { SourceLocation } from '../core/model.js';
import { interpolate } from './interpolate.js';
import { InterpolationError } from '../core/errors.js';
import { NOT_STRINGS, simpleItems } from './simple-items.js';

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

export interface ParseOptions {
  env: NodeJS.ProcessEnv;
  /** Where `${file:}` paths are relative to. */
  baseDir: string;
  /** Bytes of list items parsed at a time in a large file (tests make it small). Default {@link PIECE_BYTES}. */
  pieceBytes?: number;
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
 * A large file is parsed a piece at a time when it can be (`splitPieces`), with the same result.
 */
export function parseYamlFile(file: string, content: string | Uint8Array, opts: ParseOptions): { parsed?: ParsedFile; issues: ConfigIssue[] } {
  const decoded = typeof content === 'string' ? { text: content } : decodeUtf8(file, content);
  if (decoded.issue) return { issues: [decoded.issue] };
  const text = decoded.text!;
  const control = NON_PRINTABLE.exec(text);
  if (control) {
    const hex = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return { issues: [{ message: `the file holds the control character U+${hex}, which YAML does not allow in a file: if it is meant, write it as "\\u${hex}" in a double-quoted string`, location: locateOffset(file, text, control.index) }] };
  }
  const at = offsetLocator(file, text);
  const pieces = splitPieces(text, opts.pieceBytes ?? PIECE_BYTES);
  if (pieces) {
    const parsed = parsePieces(file, text, pieces, at, opts);
    if (parsed) return { issues: [], parsed };
  }
  const whole = parseDocumentText(text, 0, 1, at, opts);
  if (!whole.doc) return { issues: whole.issues };
  const { doc } = whole;
  return {
    issues: [],
    parsed: { file, value: whole.value, sensitive: whole.sensitive, locate: (path) => at(nodeAt(doc, path)?.range?.[0] ?? 0), locateKey: (path, key) => at(keyOffset(doc, path, key)) },
  };
}

interface DocumentResult {
  issues: ConfigIssue[];
  doc?: Document;
  value?: unknown;
  sensitive: YamlPath[];
  aliases: number;
  /** Some list taken out by {@link plainLists} was not where it seemed: parse the text as it is written. */
  mismatch?: boolean;
}

/**
 * Parses `text` (which starts at `offset` in the file) as one YAML document whose root stands at nesting depth
 * `depth`: syntax, several documents, emptiness, shape, `${}` substitution and alias expansion.
 */
function parseDocumentText(text: string, offset: number, depth: number, at: (offset: number) => SourceLocation, opts: ParseOptions, lists?: PlainLists): DocumentResult {
  const local = (o: number) => at(offset + o);
  const fail = (issues: ConfigIssue[]): DocumentResult => ({ issues, sensitive: [], aliases: 0 });
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false, strict: true });
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

  const sensitive: YamlPath[] = [];
  let aliases = 0;
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
    Alias(_key, node, ancestry) {
      aliases++;
      if (inKey(ancestry, node) && holdsReference(node)) keyIssue(node);
    },
    Scalar(_key, node, ancestry) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      if (inKey(ancestry, node)) {
        keyIssue(node);
        return;
      }
      try {
        const r = interpolate(node.value, opts);
        node.value = r.value;
        substituted.add(node);
        if (r.sensitive) sensitive.push(pathOf(ancestry, node));
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
    return { issues: [], doc, value: doc.toJS({ maxAliasCount: MAX_ALIASES }), sensitive, aliases };
  } catch (err) {
    return fail([{ message: `YAML aliases expand too much (more than ${MAX_ALIASES} alias uses): ${(err as Error).message}`, location: local(0) }]);
  }
}

/** The node at `path`, or the nearest ancestor that has a position. */
function nodeAt(doc: Document, path: YamlPath): Node | undefined {
  for (let i = path.length; i >= 0; i--) {
    const n = doc.getIn(path.slice(0, i), true) as Node | undefined;
    if (n && typeof n === 'object' && 'range' in n && n.range) return n;
  }
  return undefined;
}

/** Where key `key` of the map at `path` is written (or the map itself). */
function keyOffset(doc: Document, path: YamlPath, key: string): number {
  const map = doc.getIn(path, true);
  if (isMap(map)) {
    const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    const range = (pair?.key as Node | undefined)?.range;
    if (range) return range[0];
  }
  return nodeAt(doc, path)?.range?.[0] ?? 0;
}

/**
 * A part of a large file parsed on its own: a whole top-level section (`key: ...`), or a run of the items of a
 * top-level section that is a block list (`key:` then `- ...` lines).
 */
interface Piece {
  key: string;
  /** Where the section's key is written. */
  keyAt: number;
  start: number;
  end: number;
  /** A run of list items (it parses to a list), rather than the whole section. */
  items: boolean;
}

/** About this many bytes of list items are parsed at a time; a file under twice this is parsed whole. */
export const PIECE_BYTES = 64 * 1024;
/** A section key as it is written and as it parses (no `null:` or `true:`, no key JavaScript objects already have). */
const SECTION_KEY = /^([a-z_][a-z0-9_]*):(?:[ \t\r]|$)/;
const plainSection = (key: string) => !['null', 'true', 'false'].includes(key) && !(key in Object.prototype);
const BARE_HEADER = /^[a-z_][a-z0-9_]*:[ \t]*(?:#.*)?\r?$/;
const ITEM = /^( *)-(?:[ \t\r]|$)/;
const blankOrComment = (line: string) => /^\s*(?:#[^\n]*)?$/.test(line);

/**
 * How a large file is cut into pieces that parse alone, or undefined (parse it whole). The YAML parser holds the
 * whole syntax tree of a document at once, several hundred bytes per node; at 10,000-word block lists and
 * thousands of users and groups that is hundreds of megabytes. A top-level line `key:` starts a section, and a
 * list item at the list's own indentation starts an item, wherever they stand (a block scalar's lines are
 * indented further; a quoted or flow value broken at such a line leaves its piece unparseable, and the file is
 * then parsed whole). Any other line at the left margin, a repeated section or a small file: parsed whole.
 */
export function splitPieces(text: string, pieceBytes: number): Piece[] | undefined {
  if (text.length < 2 * pieceBytes) return undefined;
  const lines = text.split('\n');
  const starts: number[] = [];
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    starts.push(offset);
    offset += lines[i]!.length + 1;
  }
  const sections: { key: string; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const key = SECTION_KEY.exec(line)?.[1];
    if (key !== undefined) {
      if (!plainSection(key)) return undefined;
      sections.push({ key, line: i });
    } else if (sections.length === 0 ? !blankOrComment(line) : !blankOrComment(line) && !ITEM.test(line) && !line.startsWith(' ')) {
      // Only comments before the first section. After it, a list at the left margin is the section above it (its
      // items start runs); anything else there is not ours.
      return undefined;
    }
  }
  if (sections.length === 0 || new Set(sections.map((s) => s.key)).size !== sections.length) return undefined;
  const pieces: Piece[] = [];
  for (const [n, { key, line }] of sections.entries()) {
    const last = n + 1 < sections.length ? sections[n + 1]!.line : lines.length;
    const section: Piece = { key, keyAt: starts[line]!, start: n === 0 ? 0 : starts[line]!, end: last < lines.length ? starts[last]! : text.length, items: false };
    const runs = BARE_HEADER.test(lines[line]!) ? itemRuns(lines, starts, line + 1, last, section.end, pieceBytes) : undefined;
    if (runs?.length) pieces.push(...runs.map(([start, end]) => ({ key, keyAt: section.keyAt, start, end, items: true })));
    else pieces.push(section);
  }
  return pieces;
}

/** The pieces of a section's list items (lines `from` to `to`), or undefined when the section is not a plain block list. */
function itemRuns(lines: string[], starts: number[], from: number, to: number, end: number, pieceBytes: number): [number, number][] | undefined {
  const first = lines.slice(from, to).findIndex((l) => !blankOrComment(l));
  if (first < 0) return undefined;
  const indent = ITEM.exec(lines[from + first]!)?.[1];
  if (indent === undefined) return undefined;
  const runs: [number, number][] = [];
  let runStart = starts[from + first]!;
  for (let i = from + first + 1; i < to; i++) {
    const line = lines[i]!;
    if (blankOrComment(line)) continue;
    let lead = 0;
    while (line.charCodeAt(lead) === 0x20) lead++;
    if (lead > indent.length) continue;
    if (lead < indent.length || ITEM.exec(line)?.[1] !== indent) return undefined;
    if (starts[i]! - runStart >= pieceBytes) {
      runs.push([runStart, starts[i]!]);
      runStart = starts[i]!;
    }
  }
  runs.push([runStart, end]);
  return runs;
}

/**
 * Parses the pieces and puts the file together, or undefined when any piece has a problem or uses an alias (the
 * file is then parsed whole, which reports problems exactly and resolves aliases across sections). Each piece's
 * syntax tree is dropped once its value is taken, keeping where each list item starts (every declared object is
 * located there); any other location (a problem found later) is looked up by parsing its piece again.
 */
function parsePieces(file: string, text: string, pieces: Piece[], at: (offset: number) => SourceLocation, opts: ParseOptions): ParsedFile | undefined {
  const value: Record<string, unknown> = {};
  const sensitive: YamlPath[] = [];
  /** Each piece, with (for a run of items) the index of its first item and where each item starts in the piece. */
  const placed: (Piece & { firstItem: number; itemAt: number[] })[] = [];
  for (const piece of pieces) {
    const pieceText = text.slice(piece.start, piece.end);
    const simple = piece.items ? simpleItems(pieceText) : undefined;
    if (simple) {
      const list = ((value[piece.key] as unknown[] | undefined) ??= []);
      placed.push({ ...piece, firstItem: list.length, itemAt: simple.itemAt });
      for (const item of simple.value) list.push(item);
      continue;
    }
    // A section's items stand two levels down: the document's mapping, then the section's list.
    const parse = (lists?: PlainLists) => parseDocumentText(lists?.text ?? pieceText, piece.start, piece.items ? 2 : 1, at, opts, lists);
    let lists = plainLists(pieceText);
    let r = parse(lists);
    if (r.mismatch) {
      lists = undefined;
      r = parse();
    }
    const written = (offset: number) => lists?.written(offset) ?? offset;
    if (!r.doc || r.issues.length || r.aliases > 0) return undefined;
    if (piece.items) {
      if (!Array.isArray(r.value) || !isSeq(r.doc.contents)) return undefined;
      const list = ((value[piece.key] as unknown[] | undefined) ??= []);
      // Every declared object is located at its item: kept, so that needs no second parse.
      placed.push({ ...piece, firstItem: list.length, itemAt: r.doc.contents.items.map((n) => written((n as Node).range?.[0] ?? 0)) });
      sensitive.push(...r.sensitive.map((p) => [piece.key, list.length + Number(p[0]), ...p.slice(1)]));
      for (const item of r.value) list.push(item);
    } else {
      const v = r.value as Record<string, unknown> | null;
      if (!v || typeof v !== 'object' || Array.isArray(v) || Object.keys(v).length !== 1 || !(piece.key in v)) return undefined;
      value[piece.key] = v[piece.key];
      placed.push({ ...piece, firstItem: 0, itemAt: [] });
      sensitive.push(...r.sensitive);
    }
  }
  const docs = new Map<Piece, Document>();
  const docOf = (piece: Piece) => {
    let doc = docs.get(piece);
    if (!doc) docs.set(piece, (doc = parseDocument(text.slice(piece.start, piece.end), { uniqueKeys: true, prettyErrors: false, strict: true })));
    return doc;
  };
  /** The piece that holds `path`, and the path within it. */
  const find = (path: YamlPath): { piece: (typeof placed)[number]; path: YamlPath } | undefined => {
    const ofKey = placed.filter((p) => p.key === String(path[0]));
    if (ofKey.length === 0) return undefined;
    if (!ofKey[0]!.items) return { piece: ofKey[0]!, path };
    const index = Number(path[1]);
    const piece = ofKey.find((p) => index >= p.firstItem && index < p.firstItem + p.itemAt.length);
    return piece ? { piece, path: [index - piece.firstItem, ...path.slice(2)] } : undefined;
  };
  const keyLine = (key: string) => (placed.find((p) => p.key === key) ?? placed[0]!).keyAt;
  const locate = (path: YamlPath): SourceLocation => {
    // The document itself: where its first key is written.
    if (path.length === 0) return at(placed[0]!.keyAt);
    const hit = find(path);
    if (hit?.piece.items && hit.path.length === 1) return at(hit.piece.start + hit.piece.itemAt[Number(hit.path[0])]!);
    if (hit) return at(hit.piece.start + (nodeAt(docOf(hit.piece), hit.path)?.range?.[0] ?? 0));
    // A list section itself, or an item past its end: where the list starts, as the whole parse places it.
    const list = placed.find((p) => p.key === String(path[0]) && p.items);
    return list ? at(list.start + (nodeAt(docOf(list), [])?.range?.[0] ?? 0)) : at(keyLine(String(path[0])));
  };
  return {
    file,
    value,
    sensitive,
    locate,
    locateKey(path, key) {
      if (path.length === 0) return at(keyLine(key));
      const hit = find(path);
      return hit ? at(hit.piece.start + keyOffset(docOf(hit.piece), hit.path, key)) : locate(path);
    },
  };
}

/** Long lists of plain words taken out of a piece's text before it is parsed: {@link plainLists}. */
interface PlainLists {
  /** The text without the lists' lines. */
  text: string;
  /** Each list's words by the offset (in `text`) of the key it is the value of. */
  words: Map<number, string[]>;
  /** The offset in the piece as written of an offset in `text`. */
  written(offset: number): number;
}

/** `key:` alone on its line (or after the dashes of list items); group 1 is everything before the key. */
const LIST_KEY = /^( *(?:- +)*)[A-Za-z_][A-Za-z0-9_-]*:[ \t]*\r?$/;
/**
 * `- word`: a plain scalar that YAML's core schema reads as a string (it starts with a letter or `_`, and is none
 * of the words below), with nothing YAML gives a meaning to (no `:`, `#`, quote, bracket, anchor, tag or space).
 */
const LIST_WORD = /^( +)- ([A-Za-z_][A-Za-z0-9_.@+-]*)\r?$/;
/** Lists shorter than this are left to the parser: taking them out would save little. */
export const MIN_PLAIN_LIST = 16;

/**
 * Block lists of plain words (block list words, group members): most of the bytes of a large app, and the parser
 * spends hundreds of bytes and a dozen objects on each item. A list is taken out when it is written `key:` then
 * only `- word` lines at one deeper indentation, ended by a line at the key's indentation or less (or by the end);
 * once the rest has parsed, the list goes back where the key's value was left empty. The parse checks that it was:
 * a key of a block mapping at that offset, with an empty value (a "key" inside a block scalar or a quoted value is
 * no such pair, and the piece is then parsed as written). Problems are reported and located by parsing the text as
 * written, so every message and location is exact.
 */
export function plainLists(text: string): PlainLists | undefined {
  // Each `- word` line takes at least four bytes.
  if (text.length < 4 * MIN_PLAIN_LIST) return undefined;
  const lines = text.split('\n');
  const words = new Map<number, string[]>();
  /** Where the text was cut (offsets in the new text, ascending) and how much was cut there and before. */
  const cuts: { at: number; removed: number }[] = [];
  const kept: string[] = [];
  let offset = 0;
  let removed = 0;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const key = i + 1 < lines.length ? LIST_KEY.exec(line) : null;
    const first = key ? LIST_WORD.exec(lines[i + 1]!) : null;
    if (key && first && first[1]!.length > key[1]!.length) {
      const indent = first[1]!;
      const list: string[] = [];
      let j = i + 1;
      let length = 0;
      for (; j < lines.length; j++) {
        const m = LIST_WORD.exec(lines[j]!);
        if (!m || m[1] !== indent || NOT_STRINGS.has(m[2]!)) break;
        list.push(m[2]!);
        length += lines[j]!.length + 1;
      }
      // What follows the list (past blank lines and comments) stands at the key's indentation or less.
      let next = j;
      while (next < lines.length && blankOrComment(lines[next]!)) next++;
      const ends = next === lines.length || lines[next]!.length - lines[next]!.trimStart().length <= key[1]!.length;
      if (list.length >= MIN_PLAIN_LIST && ends) {
        // The key's line stays; the lines after it go (at the end of the text, with the newline before them).
        words.set(offset - removed + key[1]!.length, list);
        kept.push(line);
        offset += line.length + 1;
        removed += length;
        cuts.push({ at: offset - (removed - length), removed });
        offset += length;
        i = j;
        continue;
      }
    }
    kept.push(line);
    offset += line.length + 1;
    i++;
  }
  if (words.size === 0) return undefined;
  return {
    text: kept.join('\n'),
    words,
    written(at) {
      // The last cut at or before `at`.
      let lo = 0;
      let hi = cuts.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cuts[mid]!.at <= at) lo = mid + 1;
        else hi = mid;
      }
      return at + (lo > 0 ? cuts[lo - 1]!.removed : 0);
    },
  };
}

/** Line and column of an offset in `text`, by binary search over its line starts. */
function offsetLocator(file: string, text: string): (offset: number) => SourceLocation {
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
