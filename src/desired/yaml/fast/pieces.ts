import type { Document, Node } from 'yaml';
import { isSeq } from 'yaml';
import type { SourceLocation } from '../../../core/model.js';
import { type ParsedFile, parseDocumentText, parseYamlDocument, type PlainLists, type Substitution, type SubstitutionOptions, YAML_OPTIONS } from '../document.js';
import { keyOffset, nodeAt, type YamlPath } from '../locate.js';
import { blankOrComment, plainLists } from './plain-lists.js';
import { simpleItems } from './simple-items.js';

/**
 * A part of a large file parsed on its own: a whole top-level section (`key: ...`), or a run of the items of a
 * top-level section that is a block list (`key:` then `- ...` lines).
 */
export interface Piece {
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

/** What the fast path has done since the process started: which way pieces were read (a seam for tests and diagnosis). */
const use = { files: 0, simpleItems: 0, plainLists: 0 };
export const fastPathUse = (): Readonly<typeof use> => ({ ...use });

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
export function parsePieces(file: string, text: string, pieces: Piece[], at: (offset: number) => SourceLocation, opts: SubstitutionOptions): ParsedFile | undefined {
  const value: Record<string, unknown> = {};
  const substitutions: Substitution[] = [];
  /** Each piece, with (for a run of items) the index of its first item and where each item starts in the piece. */
  const placed: (Piece & { firstItem: number; itemAt: number[] })[] = [];
  const read = { simpleItems: 0, plainLists: 0 };
  for (const piece of pieces) {
    const pieceText = text.slice(piece.start, piece.end);
    const simple = piece.items ? simpleItems(pieceText, YAML_OPTIONS) : undefined;
    if (simple) {
      const list = ((value[piece.key] as unknown[] | undefined) ??= []);
      placed.push({ ...piece, firstItem: list.length, itemAt: simple.itemAt });
      for (const item of simple.value) list.push(item);
      read.simpleItems++;
      continue;
    }
    // A section's items stand two levels down: the document's mapping, then the section's list.
    const parse = (lists?: PlainLists) => parseDocumentText(lists?.text ?? pieceText, piece.start, piece.items ? 2 : 1, at, opts, lists);
    let lists = plainLists(pieceText, YAML_OPTIONS);
    let r = parse(lists);
    if (r.mismatch) {
      lists = undefined;
      r = parse();
    }
    const written = (offset: number) => lists?.written(offset) ?? offset;
    if (!r.doc || r.issues.length || r.aliases > 0) return undefined;
    if (lists) read.plainLists++;
    if (piece.items) {
      if (!Array.isArray(r.value) || !isSeq(r.doc.contents)) return undefined;
      const list = ((value[piece.key] as unknown[] | undefined) ??= []);
      // Every declared object is located at its item: kept, so that needs no second parse.
      placed.push({ ...piece, firstItem: list.length, itemAt: r.doc.contents.items.map((n) => written((n as Node).range?.[0] ?? 0)) });
      substitutions.push(...r.substitutions.map((sub) => ({ ...sub, path: [piece.key, list.length + Number(sub.path[0]), ...sub.path.slice(1)] })));
      for (const item of r.value) list.push(item);
    } else {
      const v = r.value as Record<string, unknown> | null;
      if (!v || typeof v !== 'object' || Array.isArray(v) || Object.keys(v).length !== 1 || !(piece.key in v)) return undefined;
      value[piece.key] = v[piece.key];
      placed.push({ ...piece, firstItem: 0, itemAt: [] });
      substitutions.push(...r.substitutions);
    }
  }
  use.files++;
  use.simpleItems += read.simpleItems;
  use.plainLists += read.plainLists;
  const docs = new Map<Piece, Document>();
  const docOf = (piece: Piece) => {
    let doc = docs.get(piece);
    if (!doc) docs.set(piece, (doc = parseYamlDocument(text.slice(piece.start, piece.end))));
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
    substitutions,
    locate,
    locateKey(path, key) {
      if (path.length === 0) return at(keyLine(key));
      const hit = find(path);
      return hit ? at(hit.piece.start + keyOffset(docOf(hit.piece), hit.path, key)) : locate(path);
    },
  };
}
