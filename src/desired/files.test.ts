import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { desiredFiles } from './load.js';

function dir(names: string[]): string {
  const d = mkdtempSync(join(tmpdir(), 'files-'));
  for (const n of names) writeFileSync(join(d, n), 'version: 1\n');
  return d;
}

describe('desiredFiles of a directory', () => {
  it('leaves out hidden files, editor temporaries and backups', () => {
    const d = dir(['a.yaml', 'b.yml', '.hidden.yaml', '.#a.yaml', 'a.yaml~', '#a.yaml#', 'a.yaml.swp', 'a.yaml.bak', 'notes.txt']);
    expect(desiredFiles(d).map((f) => basename(f))).toEqual(['a.yaml', 'b.yml']);
  });

  it('refuses a subdirectory, naming it, rather than skipping it silently', () => {
    const d = dir(['a.yaml']);
    mkdirSync(join(d, 'prod'));
    mkdirSync(join(d, '.git'));
    let err: unknown;
    try {
      desiredFiles(d);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.message)).toEqual([expect.stringMatching(new RegExp(`^${join(d, 'prod').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: a directory inside .*reads only the \\*\\.yaml and \\*\\.yml files directly`))]);
  });
});
