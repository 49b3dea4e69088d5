import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../src/core/errors.js';
import { loadDesired } from '../../src/desired/load.js';
import { KINDS } from '../../src/kinds/registry.js';
import { codeBlocks, headings, readDoc } from './markdown.js';

/* docs/configuration.md documents every kind with a complete example: each ```yaml block is a whole file the real
 * loader accepts (no error, no warning), and every kind of the registry has a heading naming its section, so a new
 * kind without documentation fails here. */

const PAGE = 'docs/configuration.md';
const markdown = readDoc(PAGE);
const yamlBlocks = codeBlocks(markdown).filter((b) => b.lang === 'yaml' || b.lang === 'yml');
const work = mkdtempSync(join(tmpdir(), 'docs-configuration-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Loads a block as the file it is: every `${env:…}` set, every relative `${file:…}` present. */
function load(text: string, line: number) {
  const dir = join(work, `line-${line}`);
  mkdirSync(dir, { recursive: true });
  const env: NodeJS.ProcessEnv = {};
  for (const [, name] of text.matchAll(/\$\{(?:env|secret):([A-Za-z_][A-Za-z0-9_]*)/g)) env[name!] = "1234"; // short and numeric: a PIN takes it too
  for (const [, path] of text.matchAll(/\$\{file:([^}]+)\}/g)) {
    const file = join(dir, path!);
    mkdirSync(dirname(file), { recursive: true });
    // A JSON file stands for a Firebase service account key (the one JSON a file substitution holds in these examples).
    writeFileSync(file, path!.endsWith('.json') ? JSON.stringify({ type: 'service_account', project_id: 'example', private_key: 'example', client_email: 'push@example.iam.gserviceaccount.com' }) : 'placeholder\n');
  }
  const file = join(dir, 'stream.yaml');
  writeFileSync(file, text);
  try {
    const loaded = loadDesired(file, { env, cwd: dir });
    return { issues: [] as string[], warnings: loaded.warnings.map(formatIssue), loaded };
  } catch (err) {
    if (err instanceof ConfigError) return { issues: err.issues.map(formatIssue), warnings: [] as string[], loaded: undefined };
    throw err;
  }
}

describe(PAGE, () => {
  it('has YAML examples', () => {
    expect(yamlBlocks.length).toBeGreaterThan(15);
  });

  for (const block of yamlBlocks) {
    it(`the example at line ${block.line} is a complete, valid desired-state file`, () => {
      expect(block.text, `${PAGE}:${block.line}: a complete file starts with (or declares) version: 1`).toMatch(/^version: 1\b/m);
      const { issues, warnings, loaded } = load(block.text, block.line);
      expect(issues, `${PAGE}:${block.line}: the loader refused the example`).toEqual([]);
      expect(warnings, `${PAGE}:${block.line}: the loader warned about the example`).toEqual([]);
      expect(loaded!.objects.size + loaded!.managedKinds.size, `${PAGE}:${block.line}: declares nothing`).toBeGreaterThan(0);
    });
  }

  it('has a heading naming every section of the registry (a new kind needs its documentation)', () => {
    const titles = headings(markdown);
    // A kind declared inside another's section (push templates, push preferences) is named by its key there.
    const nestedKey: Record<string, string> = { push_template: 'push_providers', push_preference: 'push_preferences' };
    for (const kind of KINDS) {
      const name = kind.section ?? nestedKey[kind.kind] ?? kind.kind;
      expect(titles.some((t) => t.includes(`\`${name}\``)), `${PAGE}: no ## or ### heading names \`${name}\` (kind ${kind.kind})`).toBe(true);
    }
  });

  it('has an example for every section of the registry', () => {
    const all = yamlBlocks.map((b) => b.text).join('\n');
    for (const kind of KINDS) {
      const key = kind.section ?? (kind.kind === 'push_template' ? 'templates' : kind.kind === 'push_preference' ? 'push_preferences' : kind.kind);
      expect(all, `${PAGE}: no example declares \`${key}:\` (kind ${kind.kind})`).toMatch(new RegExp(`^\\s*(- )?${key}:`, 'm'));
    }
  });
});
