import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlFile } from './yaml-file.js';

const parse = (text: string, env: NodeJS.ProcessEnv = {}, baseDir = tmpdir()) => parseYamlFile('stream.yaml', text, { env, baseDir });
const located = (text: string, env: NodeJS.ProcessEnv = {}) => parse(text, env).issues.map((i) => `${i.location?.line}:${i.location?.col} ${i.message}`);

describe('parseYamlFile', () => {
  it('substitutes ${env:} and ${env:-fallback} after parsing and marks those values sensitive', () => {
    const r = parse('version: 1\napp:\n  settings:\n    sqs_secret: ${env:S}\n    x: [a, "${env:T:-dflt}"]\n', { S: 'shh' });
    expect(r.issues).toEqual([]);
    expect(r.parsed!.value).toEqual({ version: 1, app: { settings: { sqs_secret: 'shh', x: ['a', 'dflt'] } } });
    expect(r.parsed!.sensitive).toEqual([['app', 'settings', 'sqs_secret'], ['app', 'settings', 'x', 1]]);
    expect(r.parsed!.locate(['app', 'settings', 'x', 1])).toEqual({ file: 'stream.yaml', line: 5, col: 12 });
    expect(r.parsed!.locateKey(['app', 'settings'], 'x')).toEqual({ file: 'stream.yaml', line: 5, col: 5 });
  });

  it('reads ${file:} relative to the file, without its final newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'interp-'));
    writeFileSync(join(dir, 'key.json'), '{"k": 1}\n');
    const r = parse('a: ${file:key.json}\n', {}, dir);
    expect(r.parsed!.value).toEqual({ a: '{"k": 1}' });
    expect(r.parsed!.sensitive).toEqual([['a']]);
  });

  it('keeps a substituted value as data, never as YAML', () => {
    const r = parse('a: ${env:V}\n', { V: 'x\nb: injected' });
    expect(r.parsed!.value).toEqual({ a: 'x\nb: injected' });
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
});
