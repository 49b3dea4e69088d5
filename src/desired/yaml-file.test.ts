import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, MIN_PLAIN_LIST, parseYamlFile, plainLists, splitPieces } from './yaml-file.js';

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
});

describe('parseYamlFile on a large file, a piece at a time', () => {
  /** Every path to a value in `v` (the root included). */
  const pathsOf = (v: unknown, at: (string | number)[] = []): (string | number)[][] => [
    at,
    ...(Array.isArray(v) ? v.flatMap((x, i) => pathsOf(x, [...at, i])) : v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => pathsOf(x, [...at, k])) : []),
  ];
  const both = (text: string, env: NodeJS.ProcessEnv = {}) => ({
    whole: parseYamlFile('stream.yaml', text, { env, baseDir: tmpdir(), pieceBytes: Number.MAX_SAFE_INTEGER }),
    pieces: parseYamlFile('stream.yaml', text, { env, baseDir: tmpdir(), pieceBytes: 24 }),
  });
  /** The same value, sensitive paths, issues, and location of every value and key, whichever way it was parsed. */
  const expectSame = (text: string, env: NodeJS.ProcessEnv = {}) => {
    const { whole, pieces } = both(text, env);
    expect(pieces.issues).toEqual(whole.issues);
    if (!whole.parsed) return whole;
    expect(pieces.parsed!.value).toEqual(whole.parsed.value);
    expect(pieces.parsed!.sensitive).toEqual(whole.parsed.sensitive);
    for (const path of [...pathsOf(whole.parsed.value), ['users', 999], ['nope']]) {
      expect(pieces.parsed!.locate(path), `locate ${JSON.stringify(path)}`).toEqual(whole.parsed.locate(path));
      expect(pieces.parsed!.locateKey(path, 'name'), `locateKey ${JSON.stringify(path)}`).toEqual(whole.parsed.locateKey(path, 'name'));
    }
    for (const key of Object.keys(whole.parsed.value as object)) expect(pieces.parsed!.locateKey([], key)).toEqual(whole.parsed.locateKey([], key));
    return whole;
  };

  const item = fc.record({
    id: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
    style: fc.constantFrom('block', 'flow', 'quoted', 'folded', 'secret', 'comment', 'words'),
  });
  const section = fc.record({ key: fc.constantFrom('users', 'roles', 'user_groups', 'blocklists', 'push_providers'), indent: fc.constantFrom('', '  ', '    '), items: fc.array(item, { maxLength: 6 }) });
  const itemText = (it: { id: string; style: string }, ind: string) => {
    const body = `${ind}  `;
    switch (it.style) {
      case 'flow':
        return `${ind}- { id: ${it.id}, name: "${it.id} x" }\n`;
      case 'quoted':
        return `${ind}- id: ${it.id}\n${body}name: "a quoted name\n${body}  over two lines"\n`;
      case 'folded':
        return `${ind}- id: ${it.id}\n${body}name: >\n${body}  folded\n\n${body}  text\n`;
      case 'secret':
        return `${ind}- id: ${it.id}\n${body}name: \${env:NAME}\n`;
      case 'comment':
        return `# a comment at the margin\n${ind}- id: ${it.id} # trailing\n${body}# an indented comment\n${body}name: n\n`;
      case 'words':
        return `${ind}- id: ${it.id}\n${body}words:\n${body}  - one\n${body}  - two\n`;
      default:
        return `${ind}- id: ${it.id}\n${body}name: ${it.id}\n`;
    }
  };

  it('gives the same value, sensitive paths and locations as parsing the file whole', () => {
    fc.assert(
      fc.property(fc.uniqueArray(section, { selector: (s) => s.key, minLength: 1, maxLength: 4 }), (sections) => {
        const text = `# header\nversion: 1\n${sections.map((s) => `${s.key}:${s.items.length ? '' : ' []'}\n${s.items.map((i) => itemText(i, s.indent)).join('')}`).join('\n')}`;
        // Plain files: they are cut into pieces (so this compares the two ways of parsing).
        if (text.length >= 2 * 24) expect(splitPieces(text, 24)).toBeDefined();
        expectSame(text, { NAME: 'from env' });
      }),
      { numRuns: 200 },
    );
  });

  it('cuts a file into its sections, and a list section into runs of items', () => {
    const text = '# about\nversion: 1\nusers:\n  - id: a\n    name: A\n  - id: b\n  - id: c\n\n# roles\nroles: []\n';
    const pieces = splitPieces(text, 20)!.map((p) => [p.key, p.items, text.slice(p.start, p.end)]);
    expect(pieces).toEqual([
      ['version', false, '# about\nversion: 1\n'],
      ['users', true, '  - id: a\n    name: A\n'],
      ['users', true, '  - id: b\n  - id: c\n\n# roles\n'],
      ['roles', false, 'roles: []\n'],
    ]);
    expect(splitPieces(text, 1_000)).toBeUndefined();
    expect(splitPieces(`---\n${text}`, 20)).toBeUndefined();
  });

  it.each([
    ['an alias to another section', 'roles:\n  - &r { name: a }\nusers:\n  - id: u1\n  - id: u2\n    role: *r\n'],
    ['a duplicated section', 'users:\n  - id: u1\n  - id: u2\nusers:\n  - id: u3\n'],
    ['a quoted value broken at a line that looks like an item', 'users:\n  - id: u1\n    name: "two\n  - id: u2"\n  - id: u3\n'],
    ['a flow list broken at a line that looks like an item', 'users: [\n  {id: u1},\n  {id: u2}\n]\nroles:\n  - name: r\n'],
    ['a list at the left margin', 'users:\n- id: u1\n- id: u2\nroles:\n- name: r\n'],
    ['a syntax error in one piece', 'users:\n  - id: u1\n  - id: [u2\n  - id: u3\n'],
    ['a missing variable in one piece', 'users:\n  - id: u1\n  - id: ${env:MISSING}\n  - id: u3\n'],
    ['a tagged section', 'users: !!seq\n  - id: u1\n  - id: u2\n'],
    ['nesting too deep inside an item', `users:\n  - id: u1\n  - ${'['.repeat(40)}${']'.repeat(40)}\n`],
    ['a second document', 'users:\n  - id: u1\n---\nroles: []\n'],
    ['a section named after a property every object has', 'toString:\n  - a\n  - b\nconstructor:\n  - c\n'],
    ['a section that is not a string key', 'null:\n  - aaa\n  - bbb\ntrue:\n  - ccc\n  - ddd\n'],
  ])('falls back to parsing the whole file, with its exact result, on %s', (_name, text) => {
    expectSame(`version: 1\n${text}`);
  });

  it.each([['  stray: x\n'], ['- x\n'], ['stray\n']])('falls back to parsing the whole file when %j stands before the first section', (prelude) => {
    const text = `${prelude}users:\n  - id: u1\n  - id: u2\n  - id: u3\n`;
    expect(both(text).whole.issues.length).toBeGreaterThan(0);
    expectSame(text);
  });
  describe('long lists of plain words, taken out of the text before it is parsed', () => {
    /** Words YAML reads as strings, and words it reads otherwise or that hold something it gives a meaning to. */
    const word = fc.oneof(
      { weight: 60, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_.@+-]{0,8}$/) },
      { weight: 1, arbitrary: fc.constantFrom('true', 'TRUE', 'null', 'Null', 'false', 'yes', 'no', 'on', 'off', '~', '123', '0x1F', '.inf', '-x', '_u') },
      { weight: 1, arbitrary: fc.constantFrom('a:b', 'a: b', 'a # c', '"q"', "'q'", '&a x', '*a', '!t x', 'x y', 'é', '${env:NAME}', '[a]', '{a: 1}', '|', '') },
    );
    const list = fc.record({
      key: fc.constantFrom('words', 'members', 'null', 'Null', 'NULL', 'true'),
      words: fc.oneof(fc.array(word, { maxLength: 4 }), fc.array(word, { minLength: MIN_PLAIN_LIST - 1, maxLength: MIN_PLAIN_LIST + 12 })),
      layout: fc.constantFrom('plain', 'plain', 'plain', 'compact', 'trailing-space', 'blank-inside', 'comment-inside', 'deeper-after', 'in-block-scalar', 'in-quotes', 'in-flow', 'first-key', 'in-set', 'under-null-keys'),
    });
    const listText = (l: { key: string; words: string[]; layout: string }) => {
      const items = l.words.map((w) => `      - ${w}\n`);
      const mid = items.length >> 1;
      switch (l.layout) {
        case 'compact':
          return `  - name: x\n    ${l.key}:\n${l.words.map((w) => `    - ${w}\n`).join('')}`;
        case 'trailing-space':
          return `  - name: x\n    ${l.key}:   \n${items.join('')}`;
        case 'blank-inside':
          return `  - name: x\n    ${l.key}:\n${items.slice(0, mid).join('')}\n${items.slice(mid).join('')}`;
        case 'comment-inside':
          return `  - name: x\n    ${l.key}:\n${items.slice(0, mid).join('')}      # here\n${items.slice(mid).join('')}`;
        case 'deeper-after':
          return `  - name: x\n    ${l.key}:\n${items.join('')}        more\n`;
        case 'in-block-scalar':
          return `  - name: x\n    description: |\n      ${l.key}:\n${l.words.map((w) => `        - ${w}\n`).join('')}`;
        case 'in-quotes':
          return `  - name: "x\n    ${l.key}:\n${items.join('')}    "\n`;
        case 'in-flow':
          return `  - { name: x,\n    ${l.key}:\n${items.join('')}    }\n`;
        case 'in-set':
          return `  - name: x\n    s: !!set\n      ${l.key}:\n${l.words.map((w) => `        - ${w}\n`).join('')}`;
        case 'under-null-keys':
          // Keys whose value in JavaScript is not their text: "null" and ~ (the empty string).
          return `  - name: x\n    "null":\n      ${l.key}:\n    ~:\n      ${l.key}:\n${l.words.map((w) => `        - ${w}\n`).join('')}`;
        case 'first-key':
          return `  - ${l.key}:\n${items.join('')}    name: x\n`;
        default:
          return `  - name: x\n    ${l.key}:\n${items.join('')}    type: word\n`;
      }
    };

    it('gives the same value, problems and locations as parsing the text as written', () => {
      let takenOut = 0;
      fc.assert(
        fc.property(fc.array(list, { minLength: 1, maxLength: 4 }), fc.boolean(), (lists, crlf) => {
          const lf = `version: 1\nblocklists:\n${lists.map(listText).join('')}roles:\n  - name: r\n`;
          const text = crlf ? lf.replaceAll('\n', '\r\n') : lf;
          if (plainLists(text)) takenOut++;
          expectSame(text, { NAME: 'from env' });
        }),
        { numRuns: 300 },
      );
      // The comparison is between the two ways of parsing for many of the files.
      expect(takenOut).toBeGreaterThan(50);
    });

    it.each([28, 29, 30, 31])('refuses a list nested too deeply exactly as written (%i mappings above it)', (levels) => {
      const pad = (n: number) => ' '.repeat(n);
      const keys = Array.from({ length: levels }, (_, i) => `${pad(4 + 2 * i)}k${i}:\n`).join('');
      const words = Array.from({ length: MIN_PLAIN_LIST }, (_, i) => `${pad(6 + 2 * levels)}- w${i}\n`).join('');
      const { whole } = both(`version: 1\nblocklists:\n  - name: x\n${keys}${words}  - name: y\n`);
      expectSame(`version: 1\nblocklists:\n  - name: x\n${keys}${words}  - name: y\n`);
      // The document's mapping, the section's list and the item's mapping stand above the keys.
      expect(whole.issues.length > 0).toBe(3 + levels > MAX_DEPTH);
    });

    it('takes out only a list of enough plain string words, and puts each back at its key', () => {
      const words = Array.from({ length: MIN_PLAIN_LIST }, (_, i) => `w${i}`);
      const text = `blocklists:\n  - name: a\n    words:\n${words.map((w) => `      - ${w}\n`).join('')}    type: word\n  - name: b\n    words:\n${words.map((w) => `      - ${w}\n`).join('').replace('w3', 'true')}`.padEnd(600, '\n');
      const taken = plainLists(text)!;
      expect([...taken.words.values()]).toEqual([words]);
      const key = text.indexOf('words:');
      expect(taken.words.has(key)).toBe(true);
      // Offsets after the list map back to where they are written.
      const after = taken.text.indexOf('type: word');
      expect(taken.written(after)).toBe(text.indexOf('type: word'));
      expect(taken.written(key)).toBe(key);
      expect(plainLists(text.replaceAll(/ {6}- w1\n/g, ''))).toBeUndefined();

      const whole = parseYamlFile('stream.yaml', `version: 1\n${text}roles: []\n${'#\n'.repeat(100)}`, { env: {}, baseDir: tmpdir(), pieceBytes: 24 });
      expect(whole.issues).toEqual([]);
      expect(whole.parsed!.value).toMatchObject({ blocklists: [{ name: 'a', words, type: 'word' }, { name: 'b', words: words.map((w) => (w === 'w3' ? true : w)) }] });
    });
  });
});
