import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/cli.js';

/* Reading the documentation for the docs tests: which pages there are, their fenced code blocks (with the line
 * each starts on, for messages that point at the doc's line) and their headings as GitHub anchors them. */

/** README.md, CONTRIBUTING.md and every docs/*.md, as paths relative to the repository. */
export function docPages(): string[] {
  const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', 'CONTRIBUTING.md', ...docs].filter((p) => existsSync(join(ROOT, p)));
}

export const readDoc = (page: string) => readFileSync(join(ROOT, page), 'utf8');

export interface CodeBlock {
  /** The info string's first word (`yaml`, `sh`, …), '' when none. */
  lang: string;
  /** 1-based line of the block's first content line. */
  line: number;
  lines: string[];
  text: string;
}

/** The fenced code blocks (``` or ~~~) of a Markdown text. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[j]!)) body.push(lines[j++]!);
    blocks.push({ lang: open[3]!.toLowerCase(), line: i + 2, lines: body, text: body.join('\n') + '\n' });
    i = j;
  }
  return blocks;
}

/** The Markdown with its fenced code blocks blanked (line numbers kept), so links and headings are read from prose only. */
export function withoutCode(markdown: string): string {
  const lines = markdown.split('\n');
  for (const b of codeBlocks(markdown)) for (let k = b.line - 2; k < b.line - 1 + b.lines.length + 1 && k < lines.length; k++) lines[k] = '';
  return lines.join('\n');
}

/** The ATX headings (`#` to `######`) outside code blocks, as written (inline markup kept). */
export const headings = (markdown: string): string[] =>
  withoutCode(markdown)
    .split('\n')
    .map((l) => /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(l)?.[1])
    .filter((h): h is string => h !== undefined);

/**
 * GitHub's anchor for a heading: the text without its markup, lower-cased, every character that is not a letter,
 * digit, space, `-` or `_` dropped, spaces turned into `-`; a repeated slug gets `-1`, `-2`, ….
 */
export function slugs(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const h of headings(markdown)) {
    const text = h
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .replace(/[*`]/g, '');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}
