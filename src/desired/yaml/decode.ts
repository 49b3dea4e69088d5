import type { ConfigIssue } from '../../core/errors.js';
import { offsetLocator } from './locate.js';

/**
 * C0 control characters other than tab, LF and CR, which YAML allows nowhere in a file, not even in quoted
 * scalars (DEL and C1 are allowed there, for JSON compatibility): in a file they mean damage or binary data, and
 * would otherwise reach names and values unseen.
 */
const NON_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/**
 * The file's text (bytes are read as UTF-8, a byte order mark dropped), or the issue that makes it no YAML text:
 * bytes that are not UTF-8, or a control character, at the line and column where it stands.
 */
export function decodeText(file: string, content: string | Uint8Array): { text: string; issue?: undefined } | { text?: undefined; issue: ConfigIssue } {
  const decoded = typeof content === 'string' ? { text: content } : decodeUtf8(file, content);
  if (decoded.issue) return { issue: decoded.issue };
  const text = decoded.text!;
  const control = NON_PRINTABLE.exec(text);
  if (!control) return { text };
  const hex = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return {
    issue: {
      message: `the file holds the control character U+${hex}, which YAML does not allow in a file: if it is meant, write it as "\\u${hex}" in a double-quoted string`,
      location: offsetLocator(file, text)(control.index),
    },
  };
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
