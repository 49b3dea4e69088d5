import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../core/errors.js';
import { loadDesired } from './load.js';

function load(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'warn-'));
  writeFileSync(join(dir, 'stream.yaml'), text);
  return loadDesired(join(dir, 'stream.yaml'), { env: {}, cwd: dir });
}
const errors = (text: string) => {
  try {
    load(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  return [];
};

describe('references to what the file does not declare', () => {
  const FILE = [
    'version: 1', //                        1
    'roles:', //                            2
    '  - name: agent', //                   3
    'app:', //                              4
    '  settings:', //                       5
    '    grants:', //                       6
    '      agent: [read-channel]', //       7
    '      supprot: [read-channel]', //     8
    'users:', //                            9
    '  - id: ann', //                       10
    '    name: Ann', //                     11
    '    role: ghost', //                   12
    '  - id: bo', //                        13
    '    role: ghost', //                   14
    '  - id: cy', //                        15
    '    role: admin', //                   16
    '',
  ].join('\n');

  it('are located warnings, at the grant key and the role line, once per missing role; the load succeeds', () => {
    const d = load(FILE);
    expect(d.warnings.map(formatIssue)).toEqual([
      'stream.yaml:8:7: app refers to role/supprot, which the file does not declare in roles: plan stops unless the app already has it',
      'stream.yaml:12:11: user/ann refers to role/ghost, which the file does not declare in roles: plan stops unless the app already has it (1 more reference to it)',
    ]);
  });

  it('give plan the line of each reference', () => {
    const d = load(FILE);
    expect(d.locateRef('app', 'role/supprot')).toEqual({ file: 'stream.yaml', line: 8, col: 7 });
    expect(d.locateRef('user/bo', 'role/ghost')).toEqual({ file: 'stream.yaml', line: 14, col: 11 });
  });

  it('are none for declared and built-in roles', () => {
    expect(load('version: 1\nroles:\n  - name: agent\nusers:\n  - id: a\n    role: agent\n  - id: b\n    role: user\n').warnings).toEqual([]);
  });

  it('are errors at the reference line when the kind is pruned', () => {
    expect(errors(`${FILE}policy:\n  prune: [roles]\n`)).toEqual([
      'stream.yaml:8:7: app refers to role/supprot, which is not declared in roles (and roles is in policy.prune)',
      'stream.yaml:12:11: user/ann refers to role/ghost, which is not declared in roles (and roles is in policy.prune)',
      'stream.yaml:14:11: user/bo refers to role/ghost, which is not declared in roles (and roles is in policy.prune)',
    ]);
  });
});
