import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { runCli } from '../support/cli.js';
import { isWrite } from '../support/emulator.js';

const SECRET = 'sentinel-sqs-secret-7f3a';
const FILE = `version: 1
app:
  expect_name: cli-app
  settings:
    webhook_url: https://hooks.acme.example/stream
    sqs_url: https://sqs.us-east-1.amazonaws.com/123456789012/q
    sqs_key: AKIAEXAMPLE
    sqs_secret: \${env:SQS_SECRET}
roles:
  - name: support-agent
blocklists:
  - name: banned-words
    words: [scam, spoiler]
policy:
  prune: [blocklists]
  max_deletes: 1
`;

describe('stream-sync validate, plan, apply and export', () => {
  let emu: RunningEmulator;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const blocklistNamed = (name: string) => [...emu.app('cli-key').blocklists.values()].find((b) => b.name === name)!;
  const writes = () => emu.requests.filter(isWrite).length;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, rateLimits: 'off', apps: [{ key: 'cli-key', secret: 'cli-secret-value', name: 'cli-app' }] });
    dir = mkdtempSync(join(tmpdir(), 'cli-'));
    env = { STREAM_API_KEY: 'cli-key', STREAM_API_SECRET: 'cli-secret-value', STREAM_BASE_URL: emu.url, SQS_SECRET: SECRET };
  });
  afterAll(async () => {
    await emu.close();
  });

  describe('validate', () => {
    it('accepts a valid file offline with exit 0', async () => {
      const r = await runCli(['validate', '-f', write('ok.yaml', FILE)], { SQS_SECRET: SECRET });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/valid \(1 file: 1 app, 1 role, 1 blocklist\)/);
    });

    it('counts what it read in plurals where there are several (the example: 2 roles, 3 users)', async () => {
      const r = await runCli(['validate', '-f', 'config.example/stream.yaml'], {});
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/: 1 app, 2 roles, 2 blocklists, .*3 users, 1 user_group, 2 call_types,/);
    });

    it.each([
      ['an unknown key', 'version: 1\nblocklists:\n  - name: a\n    words: [x]\n    colour: red\n', /bad\.yaml:5:5: unknown key "colour" in blocklists\[0\]/],
      ['a wrong type', 'version: 1\nblocklists:\n  - name: a\n    words: yes\n', /bad\.yaml:4:12: blocklists\[0\]\.words: /],
      ['a bad enum', 'version: 1\nblocklists:\n  - name: a\n    type: words\n    words: [x]\n', /bad\.yaml:4:11: blocklists\[0\]\.type: /],
      ['an out-of-range value', 'version: 1\napp:\n  settings:\n    cdn_expiration_seconds: 5\n', /bad\.yaml:4:29: app\.settings\.cdn_expiration_seconds: /],
      ['an empty file', '', /bad\.yaml:1:1: the file is empty/],
      ['a section with no value', 'version: 1\nblocklists:\n', /bad\.yaml:2:\d+: blocklists has no value/],
      ['an unset variable', 'version: 1\napp:\n  settings:\n    sqs_secret: ${env:NOT_SET_ANYWHERE}\n', /bad\.yaml:4:17: environment variable NOT_SET_ANYWHERE is not set/],
      ['a duplicate address', 'version: 1\nroles:\n  - name: a\n  - name: a\n', /bad\.yaml:4:5: role\/a is declared twice \(first at \S*bad\.yaml:3:5\)/],
      ['a missing version', 'roles: []\n', /the file is missing the required field "version"/],
    ])('rejects %s with a located message and exit 1', async (_name, text, message) => {
      const r = await runCli(['validate', '-f', write('bad.yaml', text)], {});
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/nothing was changed/);
    });
  });

  it('says which variable to set when credentials are missing, with exit 1', async () => {
    const r = await runCli(['plan', '-f', write('ok.yaml', FILE)], { SQS_SECRET: SECRET, STREAM_API_KEY: '', STREAM_API_SECRET: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/STREAM_API_KEY is not set/);
  });

  it('plans (0, or 2 with --detailed-exitcode), applies, then plans no change', async () => {
    const file = write('stream.yaml', FILE);
    const state = join(dir, 'state.json');
    const plan = await runCli(['plan', '-f', file, '--state-file', state], env);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('Plan: 2 to create, 1 to update, 0 to delete.');
    const detailed = await runCli(['plan', '-f', file, '--detailed-exitcode', '--state-file', state], env);
    expect(detailed.code).toBe(2);
    expect(writes()).toBe(0);

    const dry = await runCli(['apply', '-f', file, '--dry-run', '--state-file', state], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run');
    expect(writes()).toBe(0);

    const apply = await runCli(['apply', '-f', file, '--state-file', state], env);
    // stderr carries only the progress: a line per change.
    expect(apply.stderr.split('\n').filter(Boolean).sort()).toEqual(['created blocklist/banned-words', 'created role/support-agent', 'updated app']);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('Apply complete: 2 created, 1 updated, 0 deleted.');

    const after = await runCli(['plan', '-f', file, '--detailed-exitcode', '--state-file', state], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('No changes');

    for (const text of [plan.stdout, plan.stderr, apply.stdout, apply.stderr, readFileSync(state, 'utf8')]) expect(text).not.toContain(SECRET);

    const rotated = await runCli(['plan', '-f', file, '--format', 'json', '--state-file', state], { ...env, SQS_SECRET: 'another-secret' });
    const doc = JSON.parse(rotated.stdout);
    expect(doc.changes).toEqual([{ address: 'app', kind: 'app', action: 'update', fields: [{ path: '/settings/sqs_secret', before: '(sensitive value)', after: '(sensitive value)', sensitive: true }] }]);
    expect(rotated.stdout).not.toContain('another-secret');
  });

  it('applies a saved plan only while the live state is unchanged', async () => {
    const file = write('saved.yaml', FILE.replace('[scam, spoiler]', '[scam, spoiler, fraud]'));
    const state = join(dir, 'state.json');
    const out = join(dir, 'plan.json');
    const plan = await runCli(['plan', '-f', file, '--out', out, '--state-file', state], env);
    expect(plan.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).format_version).toBe('1');
    // Someone changes the app behind our back.
    blocklistNamed('banned-words').words = ['changed'];
    const before = writes();
    const refused = await runCli(['apply', '-f', file, '--plan', out, '--state-file', state], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/live state has changed since the plan/);
    expect(writes()).toBe(before);
    const fresh = await runCli(['plan', '-f', file, '--out', out, '--state-file', state], env);
    expect(fresh.code).toBe(0);
    const applied = await runCli(['apply', '-f', file, '--plan', out, '--state-file', state], env);
    expect(applied.code).toBe(0);
  });

  it('applies a saved plan only with the sensitive values it was made with, which it never shows', async () => {
    const file = write('saved-secret.yaml', FILE);
    // A new state file: no secret has been applied from it, so the plan sets sqs_secret.
    const state = join(dir, 'secret-state.json');
    const out = join(dir, 'secret-plan.json');
    const plan = await runCli(['plan', '-f', file, '--out', out, '--state-file', state], { ...env, SQS_SECRET: 'reviewed-secret-1' });
    expect(plan.code).toBe(0);
    const saved = readFileSync(out, 'utf8');
    expect(saved).not.toContain('reviewed-secret-1');
    expect(JSON.parse(saved).sensitive_fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);

    const before = writes();
    const swapped = await runCli(['apply', '-f', file, '--plan', out, '--state-file', state], { ...env, SQS_SECRET: 'swapped-secret-2' });
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toMatch(/a sensitive value .* is not the one the saved plan .* was made with: nothing was applied/);
    expect(swapped.stderr + swapped.stdout).not.toContain('swapped-secret-2');
    expect(writes()).toBe(before);

    const applied = await runCli(['apply', '-f', file, '--plan', out, '--state-file', state], { ...env, SQS_SECRET: 'reviewed-secret-1' });
    expect(applied.code).toBe(0);
    expect(emu.app('cli-key').settingsWriteOnly.sqs_secret).toBe('reviewed-secret-1');
  });

  it('refuses more deletes than policy.max_deletes before any write, unless --allow-deletes', async () => {
    const state = join(dir, 'state.json');
    for (const name of ['extra-1', 'extra-2']) emu.app('cli-key').blocklists.set(name, { ...blocklistNamed('banned-words'), name, id: name });
    const file = write('guard.yaml', FILE);
    const before = writes();
    // The pull request's plan already says the merge will be refused: in the Markdown comment, the JSON and the text.
    const guard = /policy\.max_deletes.*the plan deletes 2 objects, more than policy\.max_deletes \(1\): apply will refuse it before any write unless run with --allow-deletes 2/;
    const markdown = await runCli(['plan', '-f', file, '--format', 'markdown', '--state-file', state], env);
    // The comment escapes Markdown's characters as entities (`_` is &#95;): read it as GitHub shows it.
    expect(markdown.stdout.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/<\/?code>/g, '')).toMatch(guard);
    const json = JSON.parse((await runCli(['plan', '-f', file, '--format', 'json', '--state-file', state], env)).stdout) as { warnings: { address: string }[] };
    expect(json.warnings[0]!.address).toBe('policy.max_deletes');
    expect((await runCli(['plan', '-f', file, '--state-file', state], env)).stdout).toMatch(guard);
    const refused = await runCli(['apply', '-f', file, '--state-file', state], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/deletes 2 objects, more than policy.max_deletes \(1\)/);
    expect(writes()).toBe(before);
    const allowed = await runCli(['apply', '-f', file, '--allow-deletes', '2', '--state-file', state], env);
    expect(allowed.code).toBe(0);
    expect([...emu.app('cli-key').blocklists.values()].some((b) => b.name === 'extra-1')).toBe(false);
  });

  it('refuses to touch an app whose name is not app.expect_name', async () => {
    const before = writes();
    const r = await runCli(['apply', '-f', write('other.yaml', FILE.replace('expect_name: cli-app', 'expect_name: acme-prod'))], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/expect_name is "acme-prod" but the API key belongs to app "cli-app"/);
    expect(writes()).toBe(before);
  });

  it('refuses to apply, before any request, when the state file cannot be written', async () => {
    const notADirectory = write('a-file', '');
    const state = join(notADirectory, 'state.json');
    const file = write('unwritable.yaml', FILE);
    const before = emu.requests.length;
    const r = await runCli(['apply', '-f', file, '--state-file', state], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the state file's directory .* is not writable .*pass --state-file on a writable volume/);
    expect(emu.requests.length).toBe(before);
  });

  it('refuses plan --out and apply, before any request, when the state file cannot be read (they read it once they hold its lock)', async () => {
    const state = write('garbage-state.json', '{garbage');
    const file = write('garbage.yaml', FILE);
    const before = emu.requests.length;
    for (const args of [['plan', '--out', join(dirname(file), 'p.json')], ['apply']]) {
      const r = await runCli([...args, '-f', file, '--state-file', state], env);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/cannot read the state file .*garbage-state\.json/);
    }
    expect(emu.requests.length).toBe(before);
  });

  it("refuses to apply, at once, a state file on a kernel filesystem (where Node's recursive mkdir never returns)", async () => {
    const before = emu.requests.length;
    const r = await runCli(['apply', '-f', write('proc.yaml', FILE), '--state-file', '/proc/stream-sync/state.json'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the state file's directory \/proc\/stream-sync is not writable \(\/proc is on the proc kernel filesystem/);
    expect(emu.requests.length).toBe(before);
  });

  it('refuses a --target that matches nothing in the file or the app, naming the closest address, before any write', async () => {
    const before = writes();
    const r = await runCli(['apply', '-f', write('target.yaml', FILE), '--target', 'blocklist/banned-wrods', '--state-file', join(dir, 'state.json')], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--target blocklist\/banned-wrods matches nothing in the file or the app; did you mean "blocklist\/banned-words"\?/);
    expect(writes()).toBe(before);
  });

  it('applies every independent change when one fails, lists the failure and exits 1', async () => {
    emu.faults.configure({ rules: [{ kind: 'error', status: 400, op: 'CreateRole' }] });
    try {
      const file = write('partial.yaml', FILE.replace('name: support-agent', 'name: new-role').replace('[scam, spoiler]', '[scam, spoiler, partial]'));
      const r = await runCli(['apply', '-f', file, '--state-file', join(dir, 'state.json')], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/failed {2}role\/new-role \(create\)/);
      expect(blocklistNamed('banned-words').words).toContain('partial');
    } finally {
      emu.faults.clear();
    }
  });

  it('refuses an unknown --kinds with exit 1', async () => {
    const r = await runCli(['export', '--kinds', 'blocklists,widgets'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot export widgets/);
  });

  it('keeps the secret out of debug logs, errors and the saved plan, on success and on API failure', async () => {
    const file = write('secret.yaml', FILE.replace('webhook_url: https://hooks.acme.example/stream', 'webhook_url: https://hooks.acme.example/rotated'));
    const out = join(dir, 'secret-plan.json');
    const plan = await runCli(['plan', '-f', file, '--out', out, '--log-level', 'debug', '--log-format', 'json'], { ...env, SQS_SECRET: 'rotated-sentinel-91' });
    emu.faults.configure({ rules: [{ kind: 'error', status: 400, op: 'UpdateApp' }] });
    try {
      const failed = await runCli(['apply', '-f', file, '--log-level', 'debug', '--log-format', 'json', '--state-file', join(dir, 'secret-state.json')], { ...env, SQS_SECRET: 'rotated-sentinel-91' });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('"level":"debug"');
      for (const text of [plan.stdout, plan.stderr, readFileSync(out, 'utf8'), failed.stdout, failed.stderr]) {
        expect(text).not.toContain('rotated-sentinel-91');
        expect(text).not.toContain('cli-secret-value');
      }
    } finally {
      emu.faults.clear();
    }
  });

  it('reads nothing of a kind the file does not declare', async () => {
    const before = emu.requests.length;
    const r = await runCli(['plan', '-f', write('roles-only.yaml', 'version: 1\nroles:\n  - name: support-agent\n')], env);
    expect(r.code).toBe(0);
    // GetRateLimits seeds the pacing at the start of every plan/apply: it reads no kind.
    expect(emu.requests.slice(before).map((q) => q.op)).toEqual(['GetRateLimits', 'ListRoles']);
  });

  it('exports a file that plans no change', async () => {
    const out = join(dir, 'exported.yaml');
    const r = await runCli(['export', '-o', out, '--kinds', 'app,roles,blocklists'], env);
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain('profanity_en_2020_v1');
    expect(text).toContain('${env:STREAM_APP_SQS_SECRET}');
    const plan = await runCli(['plan', '-f', out, '--format', 'json', '--state-file', join(dir, 'export-state.json')], { ...env, STREAM_APP_SQS_SECRET: SECRET });
    expect(plan.code).toBe(0);
    const doc = JSON.parse(plan.stdout);
    // Only the secret it could not read: with no state file it is set once.
    expect(doc.changes.map((c: { address: string; fields: { path: string }[] }) => [c.address, c.fields.map((f) => f.path)])).toEqual([['app', ['/settings/sqs_secret']]]);
  });
});
