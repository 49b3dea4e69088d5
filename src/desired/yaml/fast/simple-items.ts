/**
 * A run of block list items written in the plainest YAML (`- key: value`, nested `key:` mappings and `- word`
 * lists, one value per line), read without the YAML parser: {@link simpleItems}.
 *
 * This is what a large desired-state file is made of (thousands of users and groups), and the parser spends about
 * six hundred bytes of garbage per byte of such text on its token stream and syntax tree. Anything this reader
 * does not know to mean exactly what the parser would make of it (YAML's core schema) makes it give up, and the
 * text is then parsed as written: it only ever takes a shortcut to the same value.
 */

import { BOOLEANS, mirrorsParser, NOT_STRINGS } from './mirror.js';

/** A block mapping key that the core schema reads as a string (`__proto__` and the null/boolean words aside). */
const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/**
 * A plain scalar that can only be a string, on one line: it starts with a letter, `_` or a character past ASCII
 * (never an indicator, a digit, a sign or a dot), holds no `#` (a comment after a space), no `: ` and does not end
 * with `:` (a mapping), no trailing space (which YAML trims), and none of the characters YAML does not print
 * (DEL, C1, U+FFFE/U+FFFF) or some YAML versions read as line breaks (NEL, U+2028/U+2029) or a byte order mark.
 */
const PLAIN = /^[A-Za-z_\u00a0-\u2027\u202a-\ufefe\uff00-\ufffd][^#\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]*$/;
/** A plain integer that is a safe JavaScript number, written as the core schema writes it back. */
const INTEGER = /^(?:0|[1-9][0-9]{0,14})$/;
const SINGLE_QUOTED = /^'((?:[^']|'')*)'$/;
const DOUBLE_QUOTED = /^"([^"\\]*)"$/;
/** `key:` or `key: value`: the key, and the value with the spaces before it. */
const ENTRY = /^([^:]*):(?: +(.*))?$/;
/** The YAML parser rejects an implicit key longer than this. */
const MAX_KEY = 1024;
/** Deeper than this, the parser reads the text (its message about nesting too deep is the one to give). */
const MAX_FRAMES = 8;
const GIVE_UP = Symbol('give up');

/** What one value written on one line means, or GIVE_UP. */
function scalar(text: string): unknown {
  // A reference is substituted (and marked sensitive) by the parse that sees it.
  if (text.includes('${')) return GIVE_UP;
  const c = text.charCodeAt(0);
  if (c === 0x27 /* ' */) {
    const m = SINGLE_QUOTED.exec(text);
    return m ? m[1]!.replaceAll("''", "'") : GIVE_UP;
  }
  if (c === 0x22 /* " */) {
    const m = DOUBLE_QUOTED.exec(text);
    return m ? m[1] : GIVE_UP;
  }
  if (c >= 0x30 && c <= 0x39) return INTEGER.test(text) ? Number(text) : GIVE_UP;
  if (!PLAIN.test(text) || text.endsWith(' ') || text.endsWith(':') || text.includes(': ')) return GIVE_UP;
  const bool = BOOLEANS.get(text);
  if (bool !== undefined) return bool;
  return NOT_STRINGS.has(text) ? GIVE_UP : text;
}

interface Frame {
  /** The column its keys or its items' dashes stand at. */
  indent: number;
  map?: Record<string, unknown>;
  list?: unknown[];
}

/**
 * The value of `text`, a run of block list items (as splitPieces cuts them), and the offset of each item's node
 * (where the YAML parser's range of it starts), as the parser with `options` would give them, or undefined when
 * the options are not ones it mirrors ({@link mirrorsParser}) or any line is not of the plainest YAML:
 *
 * - `- key: value`, `- value` and `key: value` lines, at the indentation of their list or mapping;
 * - `key:` alone, followed by a mapping or a list indented further;
 * - values that are plain words (a string, `true`/`false`, or a small integer written plainly), or quoted on one
 *   line without escapes;
 * - blank lines and whole-line comments.
 *
 * Everything else — null values, anchors, tags, flow collections, block scalars, multi-line scalars, trailing
 * comments, references, a repeated key, `__proto__` — is left to the parser.
 */
export function simpleItems(text: string, options: Readonly<Record<string, unknown>>): { value: unknown[]; itemAt: number[] } | undefined {
  if (!mirrorsParser(options)) return undefined;
  const items: unknown[] = [];
  const itemAt: number[] = [];
  const stack: Frame[] = [];
  /** A `key:` whose value is on the lines that follow. */
  let pending: { map: Record<string, unknown>; key: string; indent: number } | undefined;
  let offset = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const start = offset;
    offset += raw.length + 1;
    // CRLF: a carriage return before a line feed. One at the very end of the text is content to the parser.
    const line = raw.endsWith('\r') && i < lines.length - 1 ? raw.slice(0, -1) : raw;
    let lead = 0;
    while (line.charCodeAt(lead) === 0x20) lead++;
    if (lead === line.length || line.charCodeAt(lead) === 0x23 /* # */) continue;
    // A tab's meaning depends on where it stands; any other carriage return is content to one reader and a line
    // break to another.
    if (line.includes('\t') || line.includes('\r')) return undefined;
    const dash = line.charCodeAt(lead) === 0x2d /* - */ && line.charCodeAt(lead + 1) === 0x20;
    if (stack.length === 0) {
      if (!dash) return undefined;
      stack.push({ indent: lead, list: items });
    } else if (pending) {
      if (lead <= pending.indent) return undefined;
      const frame: Frame = dash ? { indent: lead, list: [] } : { indent: lead, map: {} };
      pending.map[pending.key] = frame.list ?? frame.map;
      pending = undefined;
      if (stack.length === MAX_FRAMES) return undefined;
      stack.push(frame);
    }
    while (stack.length > 1 && stack[stack.length - 1]!.indent > lead) stack.pop();
    let top = stack[stack.length - 1]!;
    if (top.indent !== lead) return undefined;
    // What follows the dash, or the indentation.
    const rest = line.slice(dash ? lead + 2 : lead);
    const m = ENTRY.exec(rest);
    if (top.list) {
      if (!dash) return undefined;
      // The item's node starts after its dash.
      if (top.list === items) itemAt.push(start + lead + 2);
      if (!m || !KEY.test(m[1]!)) {
        const value = scalar(rest);
        if (value === GIVE_UP) return undefined;
        top.list.push(value);
        continue;
      }
      // `- key: ...`: a mapping as the item, its keys at the column after the dash.
      const frame: Frame = { indent: lead + 2, map: {} };
      top.list.push(frame.map);
      if (stack.length === MAX_FRAMES) return undefined;
      stack.push(frame);
      top = frame;
    } else if (dash) return undefined;
    if (!m) return undefined;
    const key = m[1]!;
    const map = top.map!;
    if (!KEY.test(key) || key.length > MAX_KEY || NOT_STRINGS.has(key) || key === '__proto__' || Object.hasOwn(map, key)) return undefined;
    if (m[2] === undefined || m[2] === '') {
      pending = { map, key, indent: top.indent };
      continue;
    }
    const value = scalar(m[2]);
    if (value === GIVE_UP) return undefined;
    map[key] = value;
  }
  if (pending || items.length === 0) return undefined;
  return { value: items, itemAt };
}
