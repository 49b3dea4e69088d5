import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, YAML_OPTIONS } from '../document.js';
import { parseYamlFile } from '../file.js';
import { splitPieces } from './pieces.js';
import { MIN_PLAIN_LIST, plainLists } from './plain-lists.js';

describe('parseYamlFile on a large file, a piece at a time (the fast path)', () => {
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
    expect(pieces.parsed!.substitutions).toEqual(whole.parsed.substitutions);
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
    ['an alias to no anchor', 'roles:\n  - name: a\nusers:\n  - id: u1\n  - id: u2\n    role: *r\n'],
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
          if (plainLists(text, YAML_OPTIONS)) takenOut++;
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
  });
});
