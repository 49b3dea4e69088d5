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
    expect(issues({ 'a.yaml': text })).toEqual(['a.yaml:6:11: user/ann refers to role/ghost, which is not declared in roles (and roles is in policy.prune)']);
  });

  it('leaves a reference into a kind that is not pruned to the online check', () => {
    expect(issues({ 'a.yaml': 'version: 1\nroles: []\nusers:\n  - id: ann\n    role: ghost\n' })).toEqual([]);
  });

  it('shows values substituted from ${env:}, and masks ${secret:}, ${file:} and the variables policy.sensitive_variables names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'load-'));
    writeFileSync(join(dir, 'key.txt'), 'from-a-file\n');
    const text = [
      'version: 1',
      'app:',
      '  settings:',
      '    webhook_url: https://hooks.acme.example/${env:ENV_NAME}/stream',
      '    sqs_secret: ${secret:S}',
      '    sqs_key: ${file:key.txt}',
      '    sqs_url: https://sqs/${env:HOOK_TOKEN}',
      'policy:',
      '  sensitive_variables: ["*_TOKEN"]',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'a.yaml'), text);
    const d = loadDesired(join(dir, 'a.yaml'), { env: { ENV_NAME: 'prod', S: 'x', HOOK_TOKEN: 't0k' }, cwd: dir });
    const app = d.objects.get('app')!;
    expect(app.fields).toMatchObject({ settings: { webhook_url: 'https://hooks.acme.example/prod/stream', sqs_key: 'from-a-file' } });
    expect([...app.sensitive].sort()).toEqual(['/settings/sqs_key', '/settings/sqs_secret', '/settings/sqs_url']);
  });
});

describe('loadDesired with layers (-f base -f overlay)', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'layers-'));
  const write = (d: string, name: string, text: string) => {
    writeFileSync(join(d, name), text);
    return join(d, name);
  };
  const BASE = 'version: 1\napp:\n  settings:\n    webhook_url: https://base.example/hook\n    disable_auth_checks: false\nblocklists:\n  - name: words\n    words: [a, b]\n  - name: staging-only\n    words: [x]\npolicy:\n  prune: [blocklists]\n  max_deletes: 2\n';
  const layersIssues = (texts: string[]): string[] => {
    const d = dir();
    try {
      loadDesired(texts.map((t, i) => write(d, `l${i}.yaml`, t)), { env: {}, cwd: d });
    } catch (err) {
      if (err instanceof ConfigError) return err.issues.map(formatIssue);
      throw err;
    }
    return [];
  };

  it('overrides fields key by key, replaces lists whole, adds objects, removes only what it names, and merges policy by key', () => {
    const d = dir();
    const overlay = 'version: 1\napp:\n  settings:\n    webhook_url: https://prod.example/hook\nblocklists:\n  - name: words\n    words: [c]\n  - name: prod-only\n    words: [y]\nremove: [blocklist/staging-only]\npolicy:\n  max_deletes: 0\n';
    const state = loadDesired([write(d, 'base.yaml', BASE), write(d, 'prod.yaml', overlay)], { env: {}, cwd: d });
    expect(state.objects.get('app')!.fields).toEqual({ settings: { webhook_url: 'https://prod.example/hook', disable_auth_checks: false } });
    expect(state.objects.get('blocklist/words')!.fields).toMatchObject({ name: 'words', words: ['c'] });
    expect([...state.objects.keys()].sort()).toEqual(['app', 'blocklist/prod-only', 'blocklist/words']);
    expect(state.policy).toMatchObject({ prune: ['blocklists'], max_deletes: 0 });
    expect(state.files).toEqual(['base.yaml', 'prod.yaml']);
    // The overlay's own location for what it declares.
    expect(state.objects.get('blocklist/words')!.location).toEqual({ file: 'prod.yaml', line: 6, col: 5 });
  });

  it('explains which layer set each value, with its place', () => {
    const d = dir();
    const state = loadDesired([write(d, 'base.yaml', BASE), write(d, 'prod.yaml', 'version: 1\napp:\n  settings:\n    webhook_url: https://prod.example/hook\n')], { env: {}, cwd: d });
    expect(state.explain!('app')!.sort((a, b) => (a.path < b.path ? 1 : -1))).toEqual([
      { path: '/settings/webhook_url', value: 'https://prod.example/hook', sensitive: false, location: { file: 'prod.yaml', line: 4, col: 18 }, layer: join(d, 'prod.yaml') },
      { path: '/settings/disable_auth_checks', value: false, sensitive: false, location: { file: 'base.yaml', line: 5, col: 26 }, layer: join(d, 'base.yaml') },
    ]);
    expect(state.explain!('role/none')).toBeUndefined();
  });

  it('keeps a value secret only while no later layer replaces it', () => {
    const d = dir();
    const base = write(d, 'base.yaml', 'version: 1\napp:\n  settings:\n    sqs_url: ${secret:A}\n    webhook_url: ${secret:B}\n');
    const over = write(d, 'over.yaml', 'version: 1\napp:\n  settings:\n    sqs_url: https://plain.example\n');
    expect(loadDesired([base, over], { env: { A: 'a', B: 'b' }, cwd: d }).objects.get('app')!.sensitive).toEqual(['/settings/webhook_url']);
  });

  it('judges an overriding entry on the object as the layers merge it: what it cannot say alone is fine, an invalid merge is not', () => {
    // Alone, the overlay's entry lacks the words; merged, it has the base's.
    expect(layersIssues([BASE, 'version: 1\nblocklists:\n  - name: words\n    is_leet_check_enabled: true\n'])).toEqual([]);
    // A merge the schema refuses is reported at the overlay's entry.
    expect(layersIssues([BASE, 'version: 1\nblocklists:\n  - name: words\n    words: [x, x]\n'])).toEqual([expect.stringMatching(/^l1\.yaml:3:5: blocklist\/words, as the layers merge it: .*"x" twice/)]);
    // An added object is judged alone, as always.
    expect(layersIssues([BASE, 'version: 1\nblocklists:\n  - name: fresh\n    words: ["scam", "scam"]\n'])[0]).toMatch(/^l1\.yaml:4:\d+: /);
  });

  it('masks a list in --explain when anything in it is secret', () => {
    const d = dir();
    const base = write(d, 'base.yaml', 'version: 1\nblocklists:\n  - name: b1\n    words: [plain, "${secret:BWORD}"]\n');
    const origins = loadDesired([base], { env: { BWORD: 'supersecretword' }, cwd: d }).explain!('blocklist/b1')!;
    expect(origins.find((o) => o.path === '/words')).toMatchObject({ sensitive: true });
  });

  it('adds up the lists that keep things safe (protect, ignore, report_only, sensitive_variables): an overlay never narrows them', () => {
    const d = dir();
    const base = write(d, 'base.yaml', 'version: 1\nroles: []\napp:\n  settings:\n    sqs_url: https://x/${env:TOKEN_A}\npolicy:\n  prune: [roles]\n  ignore: [role/legacy-*]\n  protect: [role/keep]\n  sensitive_variables: [TOKEN_*]\n');
    const over = write(d, 'over.yaml', 'version: 1\npolicy:\n  ignore: [role/tmp-*]\n  protect: [role/other]\n  sensitive_variables: [OTHER]\n  max_deletes: 1\n');
    const state = loadDesired([base, over], { env: { TOKEN_A: 'tokvalue123' }, cwd: d });
    expect(state.policy).toMatchObject({ prune: ['roles'], max_deletes: 1, ignore: ['role/legacy-*', 'role/tmp-*'], protect: ['role/keep', 'role/other'], sensitive_variables: ['TOKEN_*', 'OTHER'] });
    expect(state.objects.get('app')!.sensitive).toEqual(['/settings/sqs_url']);
  });

  it('refuses a remove in the first layer, or of what no earlier layer declares, at its place', () => {
    expect(layersIssues(['version: 1\nroles: []\nremove: [role/x]\n'])).toEqual(['l0.yaml:3:10: remove: role/x: only a later layer (an overlay given after it with -f) can remove what an earlier one declares']);
    expect(layersIssues([BASE, 'version: 1\nremove:\n  - blocklist/ghost\n'])[0]).toMatch(/^l1\.yaml:3:5: remove: blocklist\/ghost is not declared by an earlier layer/);
  });

  it('still refuses an address declared twice within one layer, and reports problems at the overlay that has them', () => {
    expect(layersIssues([BASE, 'version: 1\nroles:\n  - name: r\n  - name: r\n'])).toEqual(['l1.yaml:4:5: role/r is declared twice (first at l1.yaml:3:5)']);
    expect(layersIssues([BASE, 'version: 1\nblocklists:\n  - name: words\n    words: [z]\n    colour: red\n'])).toEqual(['l1.yaml:5:5: unknown key "colour" in blocklists[0]']);
  });

  it('lets an overlay leave out the required fields of what it overrides, not of what it adds', () => {
    expect(layersIssues([BASE, 'version: 1\nblocklists:\n  - name: words\n    is_leet_check_enabled: true\n'])).toEqual([]);
    expect(layersIssues([BASE, 'version: 1\nblocklists:\n  - name: brand-new\n    is_leet_check_enabled: true\n'])).toEqual(['l1.yaml:3:5: blocklists[0] is missing the required field "words"']);
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
