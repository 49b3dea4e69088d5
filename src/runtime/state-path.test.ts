import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { checkStatePath } from './state-path.js';

const temp = () => mkdtempSync(join(tmpdir(), 'state-path-'));
const linux = existsSync('/proc/self');

describe('checkStatePath', () => {
  it('creates the directory of a writer’s state file, and says whether the file exists', () => {
    const file = join(temp(), 'a', 'b', 'state.json');
    expect(checkStatePath(file, { dryRun: false })).toEqual({ exists: false });
    expect(statSync(join(file, '..')).isDirectory()).toBe(true);
    writeFileSync(file, '{"version":1,"apps":{}}\n');
    expect(checkStatePath(file, { dryRun: false })).toEqual({ exists: true });
  });

  it('with --dry-run accepts an absent state file and creates nothing', () => {
    const dir = temp();
    expect(checkStatePath(join(dir, '.stream-sync', 'state.json'), { dryRun: true })).toEqual({ exists: false });
    expect(existsSync(join(dir, '.stream-sync'))).toBe(false);
  });

  it.runIf(linux).each([false, true])('rejects a path under /proc at once, saying why (dry run: %s)', (dryRun) => {
    const check = () => checkStatePath('/proc/stream-sync/state.json', { dryRun });
    expect(check).toThrow(UsageError);
    expect(check).toThrow(/\/proc is on the proc kernel filesystem/);
  });

  it('rejects a path under a regular file, in either mode', () => {
    const aFile = join(temp(), 'a-file');
    writeFileSync(aFile, '');
    expect(() => checkStatePath(join(aFile, 'state.json'), { dryRun: false })).toThrow(/is not writable \(ENOTDIR\)/);
    expect(() => checkStatePath(join(aFile, 'state.json'), { dryRun: true })).toThrow(/can never exist: .*a-file is not a directory/);
  });

  it('rejects, at start, a state file that is not one', () => {
    const file = join(temp(), 'state.json');
    writeFileSync(file, 'not json');
    expect(() => checkStatePath(file, { dryRun: true })).toThrow(/cannot read the state file .*pass --state-file with the writer's path/);
    expect(() => checkStatePath(file, { dryRun: false })).toThrow(UsageError);
  });
});
