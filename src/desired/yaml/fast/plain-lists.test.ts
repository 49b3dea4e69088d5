import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { YAML_OPTIONS } from '../document.js';
import { parseYamlFile } from '../file.js';
import { MIN_PLAIN_LIST, plainLists } from './plain-lists.js';

describe('plainLists', () => {
  it('takes out only a list of enough plain string words, and puts each back at its key', () => {
    const words = Array.from({ length: MIN_PLAIN_LIST }, (_, i) => `w${i}`);
    const text = `blocklists:\n  - name: a\n    words:\n${words.map((w) => `      - ${w}\n`).join('')}    type: word\n  - name: b\n    words:\n${words.map((w) => `      - ${w}\n`).join('').replace('w3', 'true')}`.padEnd(600, '\n');
    const taken = plainLists(text, YAML_OPTIONS)!;
    expect([...taken.words.values()]).toEqual([words]);
    const key = text.indexOf('words:');
    expect(taken.words.has(key)).toBe(true);
    // Offsets after the list map back to where they are written.
    const after = taken.text.indexOf('type: word');
    expect(taken.written(after)).toBe(text.indexOf('type: word'));
    expect(taken.written(key)).toBe(key);
    expect(plainLists(text.replaceAll(/ {6}- w1\n/g, ''), YAML_OPTIONS)).toBeUndefined();
    // Under options whose words it does not know, nothing is taken out.
    expect(plainLists(text, { ...YAML_OPTIONS, version: '1.1' })).toBeUndefined();

    const whole = parseYamlFile('stream.yaml', `version: 1\n${text}roles: []\n${'#\n'.repeat(100)}`, { env: {}, baseDir: tmpdir(), pieceBytes: 24 });
    expect(whole.issues).toEqual([]);
    expect(whole.parsed!.value).toMatchObject({ blocklists: [{ name: 'a', words, type: 'word' }, { name: 'b', words: words.map((w) => (w === 'w3' ? true : w)) }] });
  });
});
