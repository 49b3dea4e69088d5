import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../core/errors.js';
import { loadDesired } from './load.js';
import { closest, editDistance } from './suggest.js';

function issues(text: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'suggest-'));
  writeFileSync(join(dir, 'stream.yaml'), text);
  try {
    loadDesired(join(dir, 'stream.yaml'), { env: {}, cwd: dir });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  return [];
}

describe('edit distance', () => {
  it.each([
    ['words', 'words', 0],
    ['wrods', 'words', 1],
    ['word', 'words', 1],
    ['blocklist', 'role', 7],
  ])('%s → %s is %i', (a, b, d) => expect(editDistance(a, b)).toBe(d));

  it('suggests only what is close', () => {
    expect(closest('wrods', ['name', 'words', 'type'])).toBe('words');
    expect(closest('colour', ['name', 'words', 'type'])).toBeUndefined();
  });
});

describe('did you mean', () => {
  it('names the key meant, for an unknown key in an entry and at the top level', () => {
    expect(issues('version: 1\nblocklists:\n  - name: l\n    wrods: [a]\n')).toEqual([
      'stream.yaml:3:5: blocklists[0] is missing the required field "words"',
      'stream.yaml:4:5: unknown key "wrods" in blocklists[0]; did you mean "words"?',
    ]);
    expect(issues('version: 1\nblocklist: []\n')).toEqual(['stream.yaml:2:1: unknown key "blocklist" at the top level: expected version, policy or a kind section; did you mean "blocklists"?']);
  });

  it('says nothing when no key is close', () => {
    expect(issues('version: 1\nroles:\n  - name: r\n    colour: red\n')).toEqual(['stream.yaml:4:5: unknown key "colour" in roles[0]']);
  });

  it('names the section or kind meant in policy.prune, ignore and protect', () => {
    const found = issues('version: 1\npolicy:\n  prune: [blocklist]\n  ignore: [blocklists/tmp-*]\n  protect: [rol/admin2]\n');
    expect(found.sort()).toEqual([
      expect.stringMatching(/^stream\.yaml:3:\d+: policy\.prune\[0\]: .*; did you mean "blocklists"\?$/),
      expect.stringMatching(/^stream\.yaml:4:\d+: policy\.ignore\[0\]: .*; did you mean "blocklist\/tmp-\*"\?$/),
      expect.stringMatching(/^stream\.yaml:5:\d+: policy\.protect\[0\]: .*; did you mean "role\/admin2"\?$/),
    ]);
  });
});
