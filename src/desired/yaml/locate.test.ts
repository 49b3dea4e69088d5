import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { formatYamlPath, keyOffset, nodeAt, offsetLocator } from './locate.js';

describe('locate', () => {
  it('turns an offset into a line and a column, both from 1', () => {
    const at = offsetLocator('f.yaml', 'ab\n\ncd\n');
    expect([0, 1, 3, 4, 5, 7].map((o) => { const l = at(o); return `${l.line}:${l.col}`; })).toEqual(['1:1', '1:2', '2:1', '3:1', '3:2', '4:1']);
  });

  it('finds a node, or its nearest ancestor with a position, and a key, or its map', () => {
    const text = 'a:\n  b: [x, y]\n  c: 1\n';
    const doc = parseDocument(text);
    expect(nodeAt(doc, ['a', 'b', 1])?.range?.[0]).toBe(text.indexOf('y'));
    expect(nodeAt(doc, ['a', 'nope', 3])?.range?.[0]).toBe(text.indexOf('b:'));
    expect(keyOffset(doc, ['a'], 'c')).toBe(text.indexOf('c:'));
    expect(keyOffset(doc, ['a'], 'nope')).toBe(text.indexOf('b:'));
  });

  it('writes a path as it reads in messages', () => {
    expect(formatYamlPath(['users', 3, 'devices', 0, 'id'])).toBe('users[3].devices[0].id');
    expect(formatYamlPath([])).toBe('');
  });
});
