import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { docPages, readDoc, slugs, withoutCode } from './markdown.js';

/* Every relative link and image in README.md, CONTRIBUTING.md and docs/*.md points at a file of the repository, and
 * an anchor into a Markdown page names one of its headings (GitHub's slugs). Web and mail links are not followed. */

interface Link {
  page: string;
  line: number;
  target: string;
}

/** Inline links and images (`[text](target)`, `![alt](target "title")`) and reference definitions (`[x]: target`), outside code. */
function links(page: string): Link[] {
  const found: Link[] = [];
  withoutCode(readDoc(page))
    .split('\n')
    .forEach((text, i) => {
      // Inline code spans hold examples, not links (`[x](y)` in backticks); a link's text may itself be code.
      const prose = text.replace(/(?<!\[)`[^`]*`(?!\])/g, (span) => ' '.repeat(span.length));
      for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g)) found.push({ page, line: i + 1, target: m[1]! });
      const ref = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(prose);
      if (ref) found.push({ page, line: i + 1, target: ref[1]! });
    });
  return found;
}

const external = (target: string) => /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(target); // http:, https:, mailto:, …

/** Why a link is broken, or undefined when it resolves. */
function problem({ page, target }: Link): string | undefined {
  const hash = target.indexOf('#');
  const path = decodeURIComponent(hash >= 0 ? target.slice(0, hash) : target);
  const anchor = hash >= 0 ? decodeURIComponent(target.slice(hash + 1)) : undefined;
  const file = path === '' ? join(ROOT, page) : normalize(join(ROOT, dirname(page), path));
  if (relative(ROOT, file).startsWith('..')) return `${target} points outside the repository`;
  if (!existsSync(file)) return `${target}: no such file (${relative(ROOT, file)})`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(file).isDirectory() || !file.endsWith('.md')) return undefined;
  const known = slugs(readDoc(relative(ROOT, file)));
  return known.has(anchor.toLowerCase()) ? undefined : `${target}: ${relative(ROOT, file)} has no heading #${anchor}`;
}

describe('documentation links', () => {
  const pages = docPages();

  it('covers the README, CONTRIBUTING.md and the docs', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/configuration.md', 'docs/operations.md']));
  });

  for (const page of pages) {
    it(`${page}: every relative link and image resolves, anchors included`, () => {
      const broken = links(page)
        .filter((l) => !external(l.target))
        .map((l) => [l, problem(l)] as const)
        .filter(([, why]) => why !== undefined)
        .map(([l, why]) => `${l.page}:${l.line}: ${why}`);
      expect(broken).toEqual([]);
    });
  }

  it('the README links every page of docs/', () => {
    const readme = links('README.md').map((l) => l.target.split('#')[0]);
    const missing = pages.filter((p) => p.startsWith('docs/') && !readme.includes(p));
    expect(missing, 'README.md: its Documentation list lacks these pages').toEqual([]);
  });
});
