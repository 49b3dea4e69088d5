import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../core/errors.js';
import { loadDesired } from './load.js';
import { fastPathUse } from './yaml/fast/pieces.js';

function load(files: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'load-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return loadDesired(Object.keys(files).length === 1 ? join(dir, Object.keys(files)[0]!) : dir, { env, cwd: dir });
}
function issues(files: Record<string, string>): string[] {
  try {
    load(files);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  return [];
}

describe('loadDesired', () => {
  it('merges list sections across the files of a directory, in name order', () => {
    const d = load({ 'a.yaml': 'version: 1\nroles:\n  - name: a\n', 'b.yml': 'version: 1\nroles:\n  - name: b\nblocklists: []\n', 'notes.txt': 'ignored' });
    expect([...d.objects.keys()]).toEqual(['role/a', 'role/b']);
    expect([...d.managedKinds].sort()).toEqual(['blocklist', 'role']);
    expect(d.files).toEqual(['a.yaml', 'b.yml']);
  });

  it('refuses an address declared in two files, naming both places', () => {
    expect(issues({ 'a.yaml': 'version: 1\nroles:\n  - name: x\n', 'b.yaml': 'version: 1\nroles:\n  - name: x\n' })).toEqual(['b.yaml:3:5: role/x is declared twice (first at a.yaml:3:5)']);
  });

  it('refuses a singleton section defined in two files', () => {
    expect(issues({ 'a.yaml': 'version: 1\npolicy: {}\n', 'b.yaml': 'version: 1\npolicy: {}\n' })).toEqual(['b.yaml:2:1: policy is already defined at a.yaml:2:1: define it in one file only']);
  });

  it('reports every problem of every file at once', () => {
    expect(issues({ 'a.yaml': 'version: 1\nroles:\n  - nam: x\n', 'b.yaml': 'version: 2\n' })).toHaveLength(3);
  });

  it('refuses offline a reference into a pruned kind that is neither declared nor built-in', () => {
    const text = 'version: 1\nroles:\n  - name: agent\nusers:\n  - id: ann\n    role: ghost\n  - id: bo\n    role: admin\npolicy:\n  prune: [roles]\n';
    expect(issues({ 'a.yaml': text })).toEqual(['a.yaml:5:5: user/ann refers to role/ghost, which is not declared in roles (and roles is in policy.prune)']);
  });

  it('leaves a reference into a kind that is not pruned to the online check', () => {
    expect(issues({ 'a.yaml': 'version: 1\nroles: []\nusers:\n  - id: ann\n    role: ghost\n' })).toEqual([]);
  });

  it('marks values substituted from the environment as sensitive, relative to their object', () => {
    const d = load({ 'a.yaml': 'version: 1\napp:\n  settings:\n    sqs_secret: ${env:S}\n    sqs_url: plain\n' }, { S: 'x' });
    expect(d.objects.get('app')!.sensitive).toEqual(['/settings/sqs_secret']);
  });
});

describe('loadDesired with users pruned by inventory', () => {
  it('accepts references to undeclared users even with users in policy.prune (they are never implied deleted)', () => {
    expect(issues({ 'a.yaml': 'version: 1\nusers:\n  - id: ann\n    blocked_users: [spammer-1]\nuser_groups:\n  - id: g\n    name: G\n    members: [outsider]\npolicy:\n  prune: [users]\n' })).toEqual([]);
  });
});

describe('loadDesired on an alias without its anchor', () => {
  it.each([
    ['in a flow list', 'version: 1\napp:\n  settings:\n    webhook_events: [*missing]\n', 'a.yaml:4:22: unresolved alias *missing (no anchor &missing defined before it)'],
    ['as a value', 'version: 1\nroles:\n  - name: *nope\n', 'a.yaml:3:11: unresolved alias *nope (no anchor &nope defined before it)'],
    ['before its anchor', 'version: 1\nroles:\n  - name: *r\n  - name: &r b\n', 'a.yaml:3:11: unresolved alias *r (no anchor &r defined before it)'],
  ])('names the alias at its own line and column (%s)', (_where, text, expected) => {
    expect(issues({ 'a.yaml': text })).toEqual([expected]);
  });
});

describe('loadDesired with the YAML fast path switched off (STREAM_SYNC_YAML_FAST=0)', () => {
  // Large enough to be read a piece at a time (twice the default piece size).
  const users = Array.from({ length: 3000 }, (_, i) => `  - id: user-${i}\n    name: User ${i}\n    role: user\n`).join('');
  const text = `version: 1\nroles:\n  - name: agent\nusers:\n${users}`;

  /** The desired state, and how many files the fast path read meanwhile. */
  const loadCounting = (env: NodeJS.ProcessEnv) => {
    const before = fastPathUse();
    const state = load({ 'stream.yaml': text }, env);
    const after = fastPathUse();
    return { state, fastFiles: after.files - before.files, fastItems: after.simpleItems - before.simpleItems };
  };

  it('gives the same desired state, every object at the same place, without the fast path', () => {
    const fast = loadCounting({});
    expect(fast).toMatchObject({ fastFiles: 1 });
    expect(fast.fastItems).toBeGreaterThan(0);
    for (const off of ['0', 'false']) {
      const slow = loadCounting({ STREAM_SYNC_YAML_FAST: off });
      expect(slow).toMatchObject({ fastFiles: 0, fastItems: 0 });
      expect(slow.state.objects).toEqual(fast.state.objects);
      expect(slow.state.objects.get('user/user-2999')!.location).toEqual({ file: 'stream.yaml', line: 3 * 2999 + 5, col: 5 });
    }
  });
});
