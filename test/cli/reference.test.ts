import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { renderReference, slug } from '../../src/cli/reference.js';
import { COMMAND_HELP, ENVIRONMENT } from '../../src/cli/help.js';
import { ROOT } from '../support/cli.js';

const file = join(ROOT, 'docs/cli.md');
const program = buildProgram(() => {});
const generated = renderReference(program);

/** The section of the reference under `## stream-sync <name>`. */
function section(doc: string, name: string): string {
  const start = doc.indexOf(`\n## stream-sync ${name}\n`);
  expect(start, name).toBeGreaterThan(0);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

describe('docs/cli.md', () => {
  it('is the reference the program generates now (run `npm run docs:cli` after changing a command, a flag or src/cli/help.ts)', () => {
    const onDisk = readFileSync(file, 'utf8');
    expect(onDisk === generated, 'docs/cli.md is stale: run `npm run docs:cli`').toBe(true);
  });

  it('has a `## stream-sync <command>` heading per command, and its links point at them', () => {
    const headings = [...generated.matchAll(/^## (.+)$/gm)].map((m) => m[1]!);
    expect(headings).toEqual(['stream-sync', ...program.commands.map((c) => `stream-sync ${c.name()}`)]);
    const anchors = new Set(headings.map(slug));
    expect(anchors).toContain('stream-sync-plan');
    for (const [, anchor] of generated.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors, anchor).toContain(anchor);
  });

  it('makes GitHub anchors: lowercase, punctuation other than - and _ dropped, spaces as -', () => {
    expect(slug('stream-sync plan')).toBe('stream-sync-plan');
    expect(slug('A: b_c (d)!')).toBe('a-b_c-d');
  });

  it("shows every option of every command with its description, default and choices", () => {
    for (const cmd of program.commands) {
      const text = section(generated, cmd.name());
      expect(text).toContain(`stream-sync ${cmd.name()} [options]`);
      for (const o of cmd.options) {
        const row = text.split('\n').find((l) => l.startsWith(`| \`${o.flags}\` |`));
        expect(row, `${cmd.name()} ${o.flags}`).toBeDefined();
        for (const c of o.argChoices ?? []) expect(row).toContain(`\`${c}\``);
      }
    }
    const plan = section(generated, 'plan');
    expect(plan).toContain('| `--format <format>` | output format | `text` | `text`, `json`, `markdown` |');
    expect(plan).toContain('| `--deadline <duration>` |');
    expect(plan).toMatch(/--deadline <duration>` \| .* \| `30m` \|/);
  });

  it('shows the examples, environment variables and exit codes of the help table, and the JSON fields of ping', () => {
    for (const [name, h] of Object.entries(COMMAND_HELP)) {
      const text = section(generated, name);
      for (const e of h.examples) expect(text).toContain(`\n${e}\n`);
      for (const v of h.env) expect(text).toContain(`| \`${v}\` | ${ENVIRONMENT[v]!.replace(/\*/g, '\\*')} |`);
      for (const [code] of h.exitCodes) expect(text).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
    }
    expect(section(generated, 'ping')).toContain('| `clock_skew_ms` |');
  });

  it('building the program runs nothing: importing it prints nothing and exits at once', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('./dist/cli/program.js'); await import('./dist/cli/reference.js');"], { cwd: ROOT, encoding: 'utf8', timeout: 10_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
  });
});
