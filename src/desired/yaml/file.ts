import type { ConfigIssue } from '../../core/errors.js';
import { decodeText } from './decode.js';
import { type ParsedFile, parseWholeFile, type SubstitutionOptions } from './document.js';
import { parsePieces, PIECE_BYTES, splitPieces } from './fast/pieces.js';
import { offsetLocator } from './locate.js';

export interface ParseOptions extends SubstitutionOptions {
  /** Bytes of list items parsed at a time in a large file (tests make it small). Default {@link PIECE_BYTES}. */
  pieceBytes?: number;
  /**
   * Whether a large file may be read by the fast path (a piece at a time, the plainest pieces without the YAML
   * library). Off, every file is parsed whole by the library: slower, same result. Default on.
   */
  fast?: boolean;
}

/**
 * Parses one YAML file: bytes that are not UTF-8, control characters, syntax errors, several documents, an empty
 * file, alias bombs, unresolved aliases, excessive nesting and `__proto__` keys are issues with their line and
 * column; `${env:}`/`${file:}` references are substituted here, after parsing, so a substituted value can never
 * inject YAML. A large file is parsed a piece at a time when it can be (`splitPieces`), with the same result.
 */
export function parseYamlFile(file: string, content: string | Uint8Array, opts: ParseOptions): { parsed?: ParsedFile; issues: ConfigIssue[] } {
  const { text, issue } = decodeText(file, content);
  if (issue) return { issues: [issue] };
  const at = offsetLocator(file, text);
  const pieces = opts.fast === false ? undefined : splitPieces(text, opts.pieceBytes ?? PIECE_BYTES);
  const parsed = pieces && parsePieces(file, text, pieces, at, opts);
  return parsed ? { issues: [], parsed } : parseWholeFile(file, text, at, opts);
}
