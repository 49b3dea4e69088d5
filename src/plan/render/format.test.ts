import { describe, expect, it } from 'vitest';
import { arrayDelta, clean, describeField, formatValue } from './format.js';

describe('formatValue', () => {
  it.each<[string, unknown, string]>([
    ['null', null, 'null'],
    ['undefined as null', undefined, 'null'],
    ['a quoted string', 'a "b"', '"a \\"b\\""'],
    ['a number', 1.5, '1.5'],
    ['a boolean', false, 'false'],
    ['an empty array', [], '[]'],
    ['an empty object', {}, '{}'],
    ['an object compactly, undefined keys left out', { a: 1, b: [true], c: undefined }, '{"a": 1, "b": [true]}'],
    ['an object with more than 10 keys capped', Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, i])), `{${Array.from({ length: 10 }, (_, i) => `"k${i}": ${i}`).join(', ')}, … and 2 more}`],
    ['nesting past 3 levels elided', { a: { b: { c: { d: 1 } } } }, '{"a": {"b": {"c": {…}}}}'],
  ])('prints %s', (_name, value, expected) => {
    expect(formatValue(value)).toBe(expected);
  });

  it('cuts long strings only when asked', () => {
    expect(formatValue('abcdef', { maxString: 3 })).toBe('"abc… (6 chars)"');
    expect(formatValue('abcdef')).toBe('"abcdef"');
  });
});

describe('arrayDelta', () => {
  it.each<[string, unknown[], unknown[], unknown[], unknown[]]>([
    ['nothing for equal sets in another order', ['a', 'b'], ['b', 'a'], [], []],
    ['added and removed items', ['a', 'b'], ['b', 'c'], ['c'], ['a']],
    ['duplicates as a multiset', ['a', 'a', 'b'], ['a', 'b', 'b'], ['b'], ['a']],
    ['objects by value', [{ x: 1, y: 2 }], [{ y: 2, x: 1 }], [], []],
  ])('finds %s', (_name, before, after, added, removed) => {
    expect(arrayDelta(before, after)).toEqual({ added, removed });
  });
});

describe('clean', () => {
  it('writes control characters out as escapes and leaves other text alone', () => {
    expect(clean('a\nb\tc\x1b[0m\u009b\u202eé→')).toBe('a\\nb\\tc\\u001b[0m\\u009b\\u202eé→');
  });
});

describe('a delete\'s nested object', () => {
  it('shows its keys only: custom data may hold values nobody marked sensitive', () => {
    const f = { path: '/custom', before: { plan: 'gold', token: 'abc-123' }, after: null, sensitive: false };
    expect(describeField(f, 'delete')).toBe('{"plan", "token"}');
    expect(describeField({ ...f, before: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, i])) }, 'delete')).toMatch(/"k9", … and 2 more\}$/);
    expect(describeField({ path: '/words', before: ['a', 'b'], after: null, sensitive: false }, 'delete')).toBe('["a", "b"]');
  });
});

describe('an item of a keyed list added or removed', () => {
  it('reads as a sentence of its fields, not as JSON', () => {
    expect(describeField({ path: '/automod_toxicity_config/rules/threat', before: { label: 'threat', threshold: 0.5, action: 'remove' }, after: null, sensitive: false }, 'update')).toBe('removed (label "threat", threshold 0.5, action "remove")');
    expect(describeField({ path: '/rules/spam', before: null, after: { label: 'spam' }, sensitive: false }, 'update')).toBe('added (label "spam")');
  });
});
