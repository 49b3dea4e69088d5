import type { PlainLists } from '../document.js';
import { mirrorsParser, NOT_STRINGS } from './mirror.js';

/** `key:` alone on its line (or after the dashes of list items); group 1 is everything before the key. */
const LIST_KEY = /^( *(?:- +)*)[A-Za-z_][A-Za-z0-9_-]*:[ \t]*\r?$/;
/**
 * `- word`: a plain scalar that YAML's core schema reads as a string (it starts with a letter or `_`, and is none
 * of NOT_STRINGS), with nothing YAML gives a meaning to (no `:`, `#`, quote, bracket, anchor, tag or space).
 */
const LIST_WORD = /^( +)- ([A-Za-z_][A-Za-z0-9_.@+-]*)\r?$/;
/** Lists shorter than this are left to the parser: taking them out would save little. */
export const MIN_PLAIN_LIST = 16;
export const blankOrComment = (line: string) => /^\s*(?:#[^\n]*)?$/.test(line);

/**
 * Block lists of plain words (block list words, group members): most of the bytes of a large app, and the parser
 * spends hundreds of bytes and a dozen objects on each item. A list is taken out when it is written `key:` then
 * only `- word` lines at one deeper indentation, ended by a line at the key's indentation or less (or by the end);
 * once the rest has parsed, the list goes back where the key's value was left empty. The parse checks that it was:
 * a key of a block mapping at that offset, with an empty value (a "key" inside a block scalar or a quoted value is
 * no such pair, and the piece is then parsed as written). Problems are reported and located by parsing the text as
 * written, so every message and location is exact. Nothing is taken out under options the words are not read
 * with ({@link mirrorsParser}).
 */
export function plainLists(text: string, options: Readonly<Record<string, unknown>>): PlainLists | undefined {
  // Each `- word` line takes at least four bytes.
  if (text.length < 4 * MIN_PLAIN_LIST || !mirrorsParser(options)) return undefined;
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
