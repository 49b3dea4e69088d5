import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { runCli, spawnCli, type Spawned } from '../support/cli.js';
import { APP, pause } from './daemon-harness.js';

const FILE = `version: 1
app:
  expect_name: daemon-app
blocklists:
  - name: banned-words
    words: [scam, spoiler]
roles:
  - name: support-agent
users:
  - id: agent-ann
    name: Ann
    role: support-agent
user_groups:
  - id: support
    name: Support
    members: [agent-ann]
`;

let emu: RunningEmulator | undefined;
const children: Spawned[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  await emu?.close();
  emu = undefined;
});

function watch(args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  const p = spawnCli(['watch', '--log-format', 'json', ...args], env);
  children.push(p);
  return p;
}

describe('stream-sync watch as a process', () => {
  it('stops cleanly on SIGTERM during an apply (exit 0, no new work started), and a restart converges', { timeout: 60_000 }, async () => {
    emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps: [APP] });
    const dir = mkdtempSync(join(tmpdir(), 'sigterm-'));
    const file = join(dir, 'stream.yaml');
    writeFileSync(file, FILE);
    const env = { STREAM_API_KEY: APP.key, STREAM_API_SECRET: APP.secret, STREAM_BASE_URL: emu.url };
    const args = ['-f', file, '--state-file', join(dir, 'state', 'state.json')];
    // The role's create is held in flight: the signal arrives while it is. Users depend on the role and the
    // group on its members, so both belong to later levels of the apply.
    emu.faults.configure({ rules: [{ kind: 'latency', op: 'CreateRole', ms: 2000, times: 1 }] });

    const first = watch(args, env);
    await expect.poll(() => emu!.faults.hitCounts[0], { timeout: 20_000 }).toBe(1);
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(first.stdout()).toMatch(/"msg":"stopped"/);
    const app = emu.app(APP.key);
    // The request in flight finished; the levels after it (users, then the group) were never started.
    expect(app.roles.has('support-agent')).toBe(true);
    expect(app.userGroups.size).toBe(0);
    expect(emu.requests.filter((r) => r.op === 'UpdateUsers' || r.op === 'CreateUserGroup')).toEqual([]);

    const second = watch(args, env);
    await second.waitFor(/"result":"success"/);
    const plan = await runCli(['plan', '-f', file, '--state-file', join(dir, 'state', 'state.json'), '--detailed-exitcode'], env);
    expect(plan.stdout).toMatch(/No changes|Plan: 0 to create, 0 to update, 0 to delete/);
    expect(plan.code).toBe(0);
    second.child.kill('SIGINT');
    expect(await second.exit).toBe(0);
  });

  it('with --emulator and --listen serves /healthz, and exits 0 on SIGINT', { timeout: 30_000 }, async () => {
    const p = watch(['--emulator', '-f', 'config.example/stream.yaml', '--listen', '127.0.0.1:0']);
    const [, url] = await p.waitFor(/serving \/healthz, \/readyz and \/metrics at (http:\/\/[\d.:]+)/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await p.waitFor(/"result":"success"/);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    // The emulator's connection, as shell lines on stderr: another terminal plans against the same app.
    const exported = /export STREAM_BASE_URL=(\S+) STREAM_API_KEY=(\S+) STREAM_API_SECRET=(\S+)/.exec(p.stderr());
    expect(exported).not.toBeNull();
    const [, baseUrl, apiKey, apiSecret] = exported!;
    const plan = await runCli(['plan', '-f', 'config.example/stream.yaml', '--state-file', join(mkdtempSync(join(tmpdir(), 'np-')), 's.json'), '--format', 'json'], { STREAM_BASE_URL: baseUrl, STREAM_API_KEY: apiKey, STREAM_API_SECRET: apiSecret });
    expect(plan.code, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as { target: { app_name: string } }).target.app_name).toBe('emulator');
    expect(p.stdout()).not.toContain(apiSecret!);
    p.child.kill('SIGINT');
    expect(await p.exit).toBe(0);
  });

  it('reconciles at once on SIGHUP, reading a rotated ${file:…} secret again, and keeps running', { timeout: 30_000 }, async () => {
    emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps: [APP] });
    const dir = mkdtempSync(join(tmpdir(), 'sighup-'));
    const secret = join(dir, 'sqs-secret');
    writeFileSync(secret, 'first-sqs-secret-value\n');
    const file = join(dir, 'stream.yaml');
    writeFileSync(file, `version: 1\napp:\n  settings:\n    sqs_url: https://sqs.us-east-1.amazonaws.com/123456789012/q\n    sqs_key: AKIAEXAMPLE\n    sqs_secret: \${file:${secret}}\n`);
    const env = { STREAM_API_KEY: APP.key, STREAM_API_SECRET: APP.secret, STREAM_BASE_URL: emu.url };
    const p = watch(['-f', file, '--state-file', join(dir, 'state', 'state.json')], env);
    await p.waitFor(/"result":"success","triggers":\["startup"\]/);
    const app = emu.app(APP.key);
    expect(app.settingsWriteOnly.sqs_secret).toBe('first-sqs-secret-value');

    // Rotated the way a mounted secret is: the config file is untouched, and nothing watches the secret file.
    writeFileSync(secret, 'second-sqs-secret-value\n');
    p.child.kill('SIGHUP');
    await p.waitFor(/"result":"success","triggers":\["hangup"\]/);
    expect(p.stdout()).toMatch(/"level":"info",[^\n]*"msg":"SIGHUP received: reconciling now, re-reading the file and secret files"/);
    expect(app.settingsWriteOnly.sqs_secret).toBe('second-sqs-secret-value');
    expect(emu.requests.filter((r) => r.op === 'UpdateApp')).toHaveLength(2);

    // Still running, and a second hangup with nothing changed reconciles again, writing nothing.
    expect(p.child.exitCode).toBeNull();
    p.child.kill('SIGHUP');
    const hangupRuns = () => p.stdout().split('\n').filter((l) => l.includes('"triggers":["hangup"]'));
    await expect.poll(() => hangupRuns().length, { timeout: 15_000 }).toBe(2);
    expect(hangupRuns()[1]).toMatch(/"result":"success".*"writes":0/);
    expect(emu.requests.filter((r) => r.op === 'UpdateApp')).toHaveLength(2);
    expect(p.stdout()).not.toMatch(/first-sqs-secret-value|second-sqs-secret-value/);
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  });

  // Node's recursive mkdir never returns for a directory under /proc: the daemon used to spin there, deaf to SIGTERM.
  it.runIf(existsSync('/proc/self')).each([
    ['watch', []],
    ['watch --dry-run', ['--dry-run']],
  ])('%s exits 1 at start, saying why, when the state file is under /proc', { timeout: 30_000 }, async (_name, extra) => {
    const p = watch(['-f', 'config.example/stream.yaml', '--state-file', '/proc/stream-sync/state.json', ...extra], { STREAM_API_KEY: 'k', STREAM_API_SECRET: 's', STREAM_BASE_URL: 'http://127.0.0.1:9' });
    const code = await Promise.race([p.exit, pause(15_000).then(() => 'still running after 15 s')]);
    expect(code).toBe(1);
    expect(p.stderr()).toMatch(/\/proc is on the proc kernel filesystem/);
    expect(p.stderr()).toMatch(/pass --state-file/);
  });

  const notADirectory = join(mkdtempSync(join(tmpdir(), 'state-')), 'a-file');
  writeFileSync(notADirectory, '');
  const creds = { STREAM_API_KEY: 'k', STREAM_API_SECRET: 's', STREAM_BASE_URL: 'http://127.0.0.1:9' };
  it.each([
    ['missing credentials', ['-f', 'config.example/stream.yaml'], {}, /STREAM_API_KEY is not set/],
    ['a file that does not exist', ['--emulator', '-f', 'no/such/stream.yaml'], {}, /no\/such\/stream\.yaml: no such file or directory/],
    ['a bad --interval', ['--emulator', '-f', 'config.example/stream.yaml', '--interval', '5'], {}, /--interval must be a duration/],
    ['a bad --listen', ['--emulator', '-f', 'config.example/stream.yaml', '--listen', '9464'], {}, /--listen must be HOST:PORT/],
    ['a state file that cannot be written', ['-f', 'config.example/stream.yaml', '--state-file', join(notADirectory, 'state.json')], creds, /is not writable .*pass --state-file on a writable volume/],
  ])('exits 1 on %s, saying what to fix', { timeout: 20_000 }, async (_name, args, env, message) => {
    const r = await runCli(['watch', ...args], { STREAM_API_KEY: '', STREAM_API_SECRET: '', ...env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });
});
