import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSeq, type Node, parseDocument } from 'yaml';
import { YAML_OPTIONS } from '../document.js';
import { simpleItems as readItems } from './simple-items.js';

/** The reader as the fast path runs it: with the library's options. */
const simpleItems = (text: string) => readItems(text, YAML_OPTIONS);

/** What the YAML parser (as the loader runs it) makes of a run of items: the oracle. */
function parsed(text: string): { errors: number; value: unknown; itemAt?: number[] } {
  const doc = parseDocument(text, YAML_OPTIONS);
  const items = isSeq(doc.contents) ? doc.contents.items.map((n) => (n as Node).range![0]) : undefined;
  return { errors: doc.errors.length, value: doc.errors.length ? undefined : doc.toJS(YAML_OPTIONS), itemAt: items };
}

/** simpleItems either gives up or gives exactly the parser's value and item offsets. */
function expectAgrees(text: string): boolean {
  const simple = simpleItems(text);
  if (!simple) return false;
  const oracle = parsed(text);
  expect(oracle.errors, `the parser refuses what was read:\n${text}`).toBe(0);
  expect(simple.value, text).toEqual(oracle.value);
  // The same keys in the same order (toStrictEqual would read a key named "constructor" as the object's type).
  expect(JSON.stringify(simple.value)).toBe(JSON.stringify(oracle.value));
  expect(simple.itemAt, text).toEqual(oracle.itemAt);
  return true;
}

describe('simpleItems', () => {
  it('reads users and groups as the parser does, with where each item starts', () => {
    const text = [
      '  - id: bench-user-00001',
      '    name: Bench User 1',
      '    role: bench-role-01',
      '    custom:',
      '      tier: 0',
      '      region: eu',
      '      vip: true',
      '  # a comment between items',
      '',
      '  - id: bench-group-0001',
      "    description: 'it''s a group: the first'",
      '    url: https://example.com/a?b=c',
      '    members:',
      '      - bench-user-00321',
      '      - "bench-user-00439"',
      '    teams:',
      '        - a',
      '    name: Über',
      '',
    ].join('\n');
    expect(simpleItems(text)).toEqual({
      value: [
        { id: 'bench-user-00001', name: 'Bench User 1', role: 'bench-role-01', custom: { tier: 0, region: 'eu', vip: true } },
        { id: 'bench-group-0001', description: "it's a group: the first", url: 'https://example.com/a?b=c', members: ['bench-user-00321', 'bench-user-00439'], teams: ['a'], name: 'Über' },
      ],
      itemAt: [4, text.indexOf('id: bench-group')],
    });
    expect(expectAgrees(text)).toBe(true);
    expect(expectAgrees(text.replaceAll('\n', '\r\n'))).toBe(true);
  });

  it.each([
    ['a null value', '  - id: a\n    name:\n'],
    ['a null word', '  - id: a\n    name: null\n'],
    ['a number the core schema reads otherwise', '  - id: a\n    tier: 007\n'],
    ['a float', '  - id: a\n    tier: 1.5\n'],
    ['a negative number', '  - id: a\n    tier: -1\n'],
    ['a trailing comment', '  - id: a # the first\n'],
    ['a plain scalar over two lines', '  - id: a\n    name: two\n      lines\n'],
    ['a key without a value on its line', '  - id: a\n    name\n'],
    ['a repeated key', '  - id: a\n    id: b\n'],
    ['a __proto__ key', '  - id: a\n    __proto__: b\n'],
    ['a key YAML reads as a boolean', '  - id: a\n    true: b\n'],
    ['a quoted key', '  - "id": a\n'],
    ['an escape in double quotes', '  - id: "a\\tb"\n'],
    ['a flow mapping', '  - { id: a }\n'],
    ['a flow list', '  - id: a\n    members: [b, c]\n'],
    ['a block scalar', '  - id: a\n    name: |\n      text\n'],
    ['an anchor', '  - id: &x a\n'],
    ['an alias', '  - id: *x\n'],
    ['a tag', '  - id: !!str a\n'],
    ['a reference', '  - id: ${env:ID}\n'],
    ['a tab', '  - id: a\n    name:\tb\n'],
    ['a list at the key’s own indentation', '  - id: a\n    members:\n    - b\n'],
    ['a nested list of lists', '  - id: a\n    members:\n      - - b\n'],
    ['a scalar item', '  - a\n  - b\n'.replace('  - a', '  - a: b: c')],
    ['a dash without a space', '  - id: a\n  -b\n'],
    ['a document marker', '  - id: a\n---\n'],
    ['a line indented less than the items', '  - id: a\n name: b\n'],
    ['a carriage return ending the text (content to the parser)', '  - id: a\r'],
    ['a carriage return alone on the last line', '  - id: a\n\r'],
    ['a carriage return inside a line', '  - id: a\rb\n'],
  ])('gives up on %s', (_what, text) => {
    expect(simpleItems(text)).toBeUndefined();
  });

  /** Values: plain words, and what YAML reads as something else or gives a meaning to. */
  const scalar = fc.oneof(
    { weight: 16, arbitrary: fc.stringMatching(/^[a-z][a-z0-9 _.@/-]{0,8}$/) },
    { weight: 2, arbitrary: fc.stringMatching(/^(?:0|[1-9][0-9]{0,16})$/) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'true', 'True', 'TRUE', 'tRue', 'false', 'FALSE', 'null', 'Null', '~', 'yes', 'no', 'on', 'NaN',
        '00', '012', '1_000', '1.5', '1e3', '0x1F', '0o7', '-1', '+1', '.5', '.inf', '.nan',
        'a:b', 'a: b', 'a:', 'a #c', 'a#b', 'a  b', 'x y ', 'é', 'Ünï x', '\u00a0a', 'a\u00a0', 'a\u2028b', 'a\u0085b', 'a\u007fb', '\u3000a',
        '"q"', '"a\\"b"', '"a: b"', '""', "'q'", "'it''s'", "'a: b'", "''", "'a' b", "'open",
        '&a x', '*a', '!t x', '[a]', '{a: 1}', '|', '>', '%x', '@x', '`x', '?x', '? x', '-x', '- x', ',x',
        '${env:X}', '$${x}', 'http://x.y/z?a=b#c', 'a\tb', 'a, b', 'a]', '_u', '__proto__', 'k: v: w',
      ),
    },
  );
  const key = fc.oneof(
    { weight: 16, arbitrary: fc.stringMatching(/^[a-z_][a-z0-9_-]{0,6}$/) },
    { weight: 1, arbitrary: fc.constantFrom('true', 'Null', '__proto__', 'constructor', 'toString', 'a b', '"q"', "'q'", '1x', '<<', '-k', 'k:', '~', 'x'.repeat(1030)) },
  );
  type Value = { scalar: string } | { map: [string, Value][] } | { list: string[] };
  const value: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
    value: fc.oneof(
      { weight: 6, arbitrary: scalar.map((s) => ({ scalar: s })) },
      { weight: 1, arbitrary: fc.array(fc.tuple(key, tie('value')), { minLength: 1, maxLength: 3 }).map((map) => ({ map })) },
      { weight: 1, arbitrary: fc.array(scalar, { maxLength: 4 }).map((list) => ({ list })) /* empty: a null value */ },
    ),
  })).value;
  const item = fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 4 });
  /** How the text is laid out: nested values 2 or 4 deeper (or at the same column), comments and blank lines. */
  const layout = fc.record({ indent: fc.constantFrom('', '  ', '    '), step: fc.constantFrom(2, 2, 2, 4, 0), comments: fc.boolean(), crlf: fc.boolean(), end: fc.constantFrom('\n', '\n', '', '\r', '\n\r', '\n  ') });

  function render(items: [string, Value][][], l: { indent: string; step: number; comments: boolean; crlf: boolean; end: string }): string {
    const lines: string[] = [];
    const entries = (entries: [string, Value][], col: number, first: string | undefined) => {
      for (const [n, [k, v]] of entries.entries()) {
        const lead = n === 0 && first !== undefined ? first : ' '.repeat(col);
        if ('scalar' in v) lines.push(`${lead}${k}: ${v.scalar}`);
        else {
          lines.push(`${lead}${k}:`);
          if (l.comments) lines.push(`${' '.repeat(col)}# about ${k}`, '');
          if ('map' in v) entries_(v.map, col + l.step);
          else for (const s of v.list) lines.push(`${' '.repeat(col + l.step)}- ${s}`);
        }
      }
    };
    const entries_ = (e: [string, Value][], col: number) => entries(e, col, undefined);
    for (const it of items) {
      if (l.comments) lines.push(`${l.indent}# an item`);
      entries(it, l.indent.length + 2, `${l.indent}- `);
    }
    const text = `${lines.join('\n')}${l.end}`;
    return l.crlf ? text.replaceAll('\n', '\r\n') : text;
  }

  it('gives the parser’s value and item offsets whenever it does not give up', () => {
    let read = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 4 }), layout, (items, l) => {
        runs++;
        if (expectAgrees(render(items, l))) read++;
      }),
      { numRuns: 2000 },
    );
    // Most generated texts are of the plainest kind: the comparison is made, not skipped.
    expect(read / runs).toBeGreaterThan(0.1);
  });
});
