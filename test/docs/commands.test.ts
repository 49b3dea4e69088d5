import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';
import { codeBlocks, docPages, readDoc, withoutCode } from './markdown.js';

/* Every stream-sync command the docs show runs: its subcommand answers `--help` with exit 0 and lists every flag
 * the doc uses with it. Commands are read from code blocks (`stream-sync …`, `npx stream-sync …`, `$ …` prompts,
 * `VAR=… stream-sync …`, `node dist/cli.js …`, `docker run … stream-sync …`) and from inline code spans that start
 * with `stream-sync `; every `npm run SCRIPT` shown in a code block names a script of package.json. */

interface Shown {
  page: string;
  line: number;
  /** The subcommand, or '' for the program itself (`stream-sync --version`). */
  command: string;
  flags: string[];
}

const COMMAND = /^(?:\$\s+)?(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:(?:npx\s+)?stream-sync|node\s+dist\/cli\.js)(?=\s|$)(.*)$/;
const DOCKER = /^(?:\$\s+)?docker\s+run\s.*?(?:^|\s)stream-sync(?:\s+(.*))?$/;

/** Subcommand and flags of what follows the program's name. */
function parse(rest: string): { command: string; flags: string[] } {
  const words = rest.replace(/\s+#.*$/, '').trim();
  const command = /^([a-z][\w-]*)/.exec(words)?.[1] ?? '';
  const flags = [...words.matchAll(/(?:^|[\s[(|])(--[a-z][\w-]*)/g)].map((m) => m[1]!);
  return { command, flags: [...new Set(flags)] };
}

/** A code block's lines, continuation lines (`\` at the end) joined, each with the line it starts on. */
function logicalLines(lines: string[], first: number): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = first + i;
    let text = lines[i]!;
    while (text.endsWith('\\') && i + 1 < lines.length) text = text.slice(0, -1) + ' ' + lines[++i]!.trim();
    out.push({ text: text.trim(), line });
  }
  return out;
}

function shownCommands(page: string): Shown[] {
  const markdown = readDoc(page);
  const shown: Shown[] = [];
  for (const block of codeBlocks(markdown)) {
    for (const { text, line } of logicalLines(block.lines, block.line)) {
      const docker = DOCKER.exec(text);
      if (docker) {
        if (docker[1]) shown.push({ page, line, ...parse(docker[1]) });
        continue;
      }
      const m = COMMAND.exec(text);
      if (m) shown.push({ page, line, ...parse(m[1]!) });
    }
  }
  withoutCode(markdown)
    .split('\n')
    .forEach((text, i) => {
      for (const m of text.matchAll(/`(?:npx )?stream-sync ([^`]+)`/g)) shown.push({ page, line: i + 1, ...parse(m[1]!) });
    });
  return shown;
}

function npmScripts(page: string): { line: number; script: string }[] {
  return codeBlocks(readDoc(page)).flatMap((b) => logicalLines(b.lines, b.line).flatMap(({ text, line }) => [...text.matchAll(/\bnpm run ([\w:.-]+)/g)].map((m) => ({ line, script: m[1]! }))));
}

const helpOf = new Map<string, Promise<{ code: number | null; stdout: string; stderr: string }>>();
const help = (command: string) => {
  if (!helpOf.has(command)) helpOf.set(command, runCli(command ? [command, '--help'] : ['--help']));
  return helpOf.get(command)!;
};

describe('commands shown in the docs', () => {
  const pages = docPages();
  const all = pages.flatMap(shownCommands);

  it('finds the commands the README shows', () => {
    expect(all.filter((s) => s.page === 'README.md').map((s) => s.command)).toEqual(expect.arrayContaining(['plan', 'validate', 'apply', 'watch']));
  });

  for (const page of pages) {
    const shown = all.filter((s) => s.page === page);
    if (shown.length === 0) continue;
    it(`${page}: every command shown exists (--help exits 0) with the flags used`, { timeout: 60_000 }, async () => {
      const problems: string[] = [];
      for (const s of shown) {
        const h = await help(s.command);
        const name = s.command ? `stream-sync ${s.command}` : 'stream-sync';
        if (h.code !== 0) {
          problems.push(`${s.page}:${s.line}: \`${name} --help\` exited ${h.code}: ${(h.stderr || h.stdout).trim().split('\n')[0]}`);
          continue;
        }
        // An unknown subcommand with --help prints the program's help, exit 0: the usage line must name it.
        if (!h.stdout.includes(`Usage: ${name} `)) {
          problems.push(`${s.page}:${s.line}: no command \`${name}\` (its --help is not its own)`);
          continue;
        }
        for (const flag of s.flags) {
          if (flag === '--help' || flag === '--version') continue;
          if (!new RegExp(`${flag}(?![\\w-])`).test(h.stdout)) problems.push(`${s.page}:${s.line}: \`${name}\` has no flag ${flag}`);
        }
      }
      expect(problems).toEqual([]);
    });
  }

  it('every `npm run SCRIPT` shown names a script of package.json', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const problems = pages.flatMap((page) => npmScripts(page).filter((s) => !(s.script in scripts)).map((s) => `${page}:${s.line}: npm run ${s.script}: no such script`));
    expect(problems).toEqual([]);
  });
});
