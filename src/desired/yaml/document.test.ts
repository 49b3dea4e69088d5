import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWholeFile } from './document.js';
import { offsetLocator } from './locate.js';

const parse = (text: string, env: NodeJS.ProcessEnv = {}, baseDir = tmpdir()) => parseWholeFile('stream.yaml', text, offsetLocator('stream.yaml', text), { env, baseDir });
const located = (text: string, env: NodeJS.ProcessEnv = {}) => parse(text, env).issues.map((i) => `${i.location?.line}:${i.location?.col} ${i.message}`);

describe('parseWholeFile', () => {
  it('substitutes ${env:}, ${env:-fallback} and ${secret:} after parsing, and says which values came from which variables', () => {
    const r = parse('version: 1\napp:\n  settings:\n    sqs_secret: ${secret:S}\n    x: [a, "${env:T:-dflt}"]\n', { S: 'shh' });
    expect(r.issues).toEqual([]);
    expect(r.parsed!.value).toEqual({ version: 1, app: { settings: { sqs_secret: 'shh', x: ['a', 'dflt'] } } });
    expect(r.parsed!.substitutions).toEqual([
      { path: ['app', 'settings', 'sqs_secret'], secret: true, variables: [] },
      { path: ['app', 'settings', 'x', 1], secret: false, variables: ['T'] },
    ]);
    expect(r.parsed!.locate(['app', 'settings', 'x', 1])).toEqual({ file: 'stream.yaml', line: 5, col: 12 });
    expect(r.parsed!.locateKey(['app', 'settings'], 'x')).toEqual({ file: 'stream.yaml', line: 5, col: 5 });
  });

  it('reads ${file:} relative to the file, without its final newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'interp-'));
    writeFileSync(join(dir, 'key.json'), '{"k": 1}\n');
    const r = parse('a: ${file:key.json}\n', {}, dir);
    expect(r.parsed!.value).toEqual({ a: '{"k": 1}' });
    expect(r.parsed!.substitutions).toEqual([{ path: ['a'], secret: true, variables: [] }]);
  });

  it('keeps a substituted value as data, never as YAML', () => {
    const r = parse('a: ${env:V}\n', { V: 'x\nb: injected' });
    expect(r.parsed!.value).toEqual({ a: 'x\nb: injected' });
  });

  it('refuses a reference in a mapping key, without substituting it (a key is echoed in messages)', () => {
    const r = parse('app:\n  settings:\n    ${env:S}: 1\n', { S: 'the-secret' });
    expect(r.issues.map((i) => `${i.location?.line}:${i.location?.col} ${i.message}`)).toEqual(['3:5 a key cannot hold ${env:} or ${file:}: references are substituted in values only']);
    expect(JSON.stringify(r)).not.toContain('the-secret');
    // Nor inside a complex key, nor through an alias of a substituted value.
    for (const text of ['a:\n  ? ["${env:S}"]\n  : 1\n', 'a:\n  name: &s "${env:S}"\n  *s : 1\n']) {
      const issues = parse(text, { S: 'the-secret' }).issues;
      expect(issues.map((i) => i.message)).toContain('a key cannot hold ${env:} or ${file:}: references are substituted in values only');
      expect(JSON.stringify(issues)).not.toContain('the-secret');
    }
  });

  it('escapes $${ as a literal ${', () => {
    expect(parse('a: "$${env:X}"\n').parsed!.value).toEqual({ a: '${env:X}' });
  });

  it.each([
    ['version: 1\nfoo: [\n', /^\d+:\d+ YAML syntax: /],
    ['# only a comment\n', /^1:1 the file is empty/],
    ['', /^1:1 the file is empty/],
    ['a: 1\n---\nb: 2\n', /^2:1 a desired-state file holds one YAML document/],
    ['a: 1\na: 2\n', /^2:1 YAML syntax: Map keys must be unique/],
    ['a: ${env:NOPE}\n', /^1:4 environment variable NOPE is not set/],
    ['a: ${file:/does/not/exist}\n', /^1:4 cannot read \/does\/not\/exist .*ENOENT/],
    ['a: ${env:1BAD}\n', /^1:4 invalid reference/],
    ['- a\n- b\n', /^1:1 the document must be a mapping/],
  ])('locates the problem in %j', (text, expected) => {
    const issues = located(text);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatch(expected);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e']]) lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    expect(located(lines.join('\n') + '\n')[0]).toMatch(/aliases expand too much/);
  });

  it.each([
    ['name: *nope\n', ['1:7 unresolved alias *nope (no anchor &nope defined before it)']],
    ['roles: [*missing]\n', ['1:9 unresolved alias *missing (no anchor &missing defined before it)']],
    ['a: *x\nb: &x 1\n', ['1:4 unresolved alias *x (no anchor &x defined before it)']],
    ['a: [*x, *y]\n', ['1:5 unresolved alias *x (no anchor &x defined before it)', '1:9 unresolved alias *y (no anchor &y defined before it)']],
  ])('names an alias to no anchor at the alias, not as aliases expanding too much (%j)', (text, expected) => {
    expect(located(text)).toEqual(expected);
  });

  it('resolves an alias to an anchor defined before it, on a scalar or a collection, or to the collection it stands in', () => {
    expect(parse('a: &s x\nb: &m { k: v }\nc: [*s, *m]\nd: &r [1, &t 2, *t]\n').parsed!.value).toEqual({ a: 'x', b: { k: 'v' }, c: ['x', { k: 'v' }], d: [1, 2, 2] });
  });
});
