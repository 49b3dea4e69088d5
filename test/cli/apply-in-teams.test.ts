import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { StateLock } from '../../src/runtime/lock.js';
import { CLI, ROOT, runCli, spawnCli } from '../support/cli.js';
import { isWrite } from '../support/emulator.js';

/**
 * `apply` as a team runs it, in a terminal and in CI: interrupted gracefully, showing progress, one writer at a
 * time on a state file, and saved plans that survive what happened elsewhere in the app since they were made.
 */

const KEY = 'team-key';
/** The interrupt tests' own app: a request still in flight when a process is killed lands there, late. */
const INTERRUPTED_KEY = 'interrupted-key';
const SECRET = 'team-secret-value';
const SQS_SECRET = 'sentinel-team-sqs-9c2e';

function configWith(lists: number, words = '[scam, spoiler]'): string {
  const blocklists = Array.from({ length: lists }, (_, i) => `  - name: list-${String(i).padStart(2, '0')}\n    words: ${words}\n`).join('');
  return `version: 1
app:
  settings:
    sqs_url: https://sqs.us-east-1.amazonaws.com/123456789012/q
    sqs_key: AKIAEXAMPLE
    sqs_secret: \${env:SQS_SECRET}
blocklists:
${blocklists}`;
}

describe('apply in a team', () => {
  let emu: RunningEmulator;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let key = KEY;
  let n = 0;
  /** A fresh directory with a config file, its state file beside it (the default). */
  const workspace = (text: string) => {
    const d = mkdtempSync(join(dir, `w${n++}-`));
    const file = join(d, 'stream.yaml');
    writeFileSync(file, text);
    return { file, state: join(d, '.stream-sync', 'state.json'), plan: join(d, 'plan.json') };
  };
  const app = () => emu.app(key);
  const requests = () => emu.requests.filter((r) => r.apiKey === key);
  // The emulator keeps block lists by id.
  const ours = () => [...app().blocklists.entries()].filter(([, b]) => String(b.name).startsWith('list-'));
  const listNames = () => ours().map(([, b]) => String(b.name)).sort();
  const list = (name: string) => ours().find(([, b]) => b.name === name)?.[1];
  const removeList = (name: string) => app().blocklists.delete(ours().find(([, b]) => b.name === name)![0]);
  const writes = () => requests().filter(isWrite).length;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, rateLimits: 'off', apps: [{ key: KEY, secret: SECRET, name: 'team-app' }, { key: INTERRUPTED_KEY, secret: SECRET, name: 'interrupted-app' }] });
    dir = mkdtempSync(join(tmpdir(), 'team-'));
    env = { STREAM_API_KEY: KEY, STREAM_API_SECRET: SECRET, STREAM_BASE_URL: emu.url, SQS_SECRET };
  });
  afterEach(() => {
    emu.faults.clear();
    for (const k of [INTERRUPTED_KEY, KEY]) {
      env.STREAM_API_KEY = key = k;
      for (const [id] of ours()) app().blocklists.delete(id);
    }
  });
  afterAll(async () => {
    await emu.close();
  });

  /** Starts an apply whose block list creates each take `ms`, and resolves once the first of them is done. */
  async function slowApply(w: { file: string }, ms = 250) {
    emu.faults.configure({ rules: [{ kind: 'latency', ms, op: 'CreateBlockList' }] });
    env.STREAM_API_KEY = key = INTERRUPTED_KEY;
    const p = spawnCli(['apply', '-f', w.file, '--concurrency', '1'], env);
    await waitForStderr(p, /created blocklist\/list-00/);
    return p;
  }

  it('finishes the requests in flight on SIGINT, starts no new one, records what landed and says what was not applied (exit 1)', async () => {
    const w = workspace(configWith(12));
    const p = await slowApply(w);
    p.child.kill('SIGINT');
    expect(await p.exit).toBe(1);
    expect(p.stderr()).toMatch(/interrupt received \(SIGINT\): finishing the requests in flight; no new request starts/);
    const created = [...p.stderr().matchAll(/^created (blocklist\/\S+)$/gm)].map((m) => m[1]);
    const notApplied = [...p.stderr().matchAll(/^not applied \(interrupted\): create (blocklist\/\S+)$/gm)].map((m) => m[1]);
    // Each planned change ended one way or the other, and only those said created exist in the app.
    expect(created.length + notApplied.length).toBe(12);
    expect(notApplied.length).toBeGreaterThan(0);
    expect(listNames().map((name) => `blocklist/${name}`)).toEqual([...created].sort());
    expect(p.stdout()).toContain(`Apply interrupted: ${created.length} created, 1 updated, 0 deleted.`);
    expect(p.stdout()).toMatch(new RegExp(`not applied: ${notApplied.length} changes interrupted before they finished: blocklist/list-\\d\\d \\(create\\)`));
    expect(p.stdout() + p.stderr()).not.toContain(SQS_SECRET);
    // The state file holds the secret applied before the interrupt: the next plan is only what is left.
    expect(readFileSync(w.state, 'utf8')).toContain('/settings/sqs_secret');
    const next = JSON.parse((await runCli(['plan', '-f', w.file, '--format', 'json'], env)).stdout) as { changes: { address: string }[] };
    expect(next.changes.map((c) => c.address).sort()).toEqual([...notApplied].sort());
  });

  it('stops the same way on SIGTERM, and exits at once on a second signal', async () => {
    const w = workspace(configWith(12));
    const p = await slowApply(w);
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(1);
    expect(p.stderr()).toMatch(/interrupt received \(SIGTERM\)/);
    expect(p.stdout()).toMatch(/Apply interrupted: \d+ created/);

    for (const [id] of ours()) app().blocklists.delete(id);
    const twice = await slowApply(workspace(configWith(12)), 2_000);
    twice.child.kill('SIGINT');
    await waitForStderr(twice, /interrupt received/);
    twice.child.kill('SIGINT');
    expect(await twice.exit).toBe(1);
    expect(twice.stderr()).toMatch(/SIGINT again: exiting now/);
    expect(twice.stdout()).not.toMatch(/Apply interrupted/);
  });

  it.skipIf(!canUnsharePid())('stops gracefully as PID 1 (a container entrypoint), where a signal without a handler is ignored', async () => {
    const w = workspace(configWith(8));
    env.STREAM_API_KEY = key = INTERRUPTED_KEY;
    emu.faults.configure({ rules: [{ kind: 'latency', ms: 250, op: 'CreateBlockList' }] });
    // A new PID namespace whose first process is the CLI, as `docker run` starts it.
    const child = spawn('unshare', ['--pid', '--fork', '--kill-child', process.execPath, CLI, 'apply', '-f', w.file, '--concurrency', '1'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const first = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => ((err += d.toString()), /created blocklist/.test(err) && resolve())));
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await first;
    const cli = execFileSync('pgrep', ['-P', String(child.pid)]).toString().trim();
    process.kill(Number(cli), 'SIGTERM');
    expect(await exit).toBe(1);
    expect(err).toMatch(/interrupt received \(SIGTERM\)/);
    expect(out).toMatch(/Apply interrupted: \d+ created/);
  });

  it('prints one line per completed change on stderr, keeping stdout for the plan and the summary', async () => {
    const w = workspace(configWith(3));
    const r = await runCli(['apply', '-f', w.file], env);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter(Boolean).sort()).toEqual(['created blocklist/list-00', 'created blocklist/list-01', 'created blocklist/list-02', 'updated app']);
    expect(r.stdout).toMatch(/Plan: 3 to create, 1 to update, 0 to delete\.\nApply complete: 3 created, 1 updated, 0 deleted\./);
    expect(r.stdout).not.toMatch(/^created /m);
  });

  it('says a failed change on stderr as it happens, with the API error', async () => {
    emu.faults.configure({ rules: [{ kind: 'error', status: 400, op: 'CreateBlockList', times: 1 }] });
    const r = await runCli(['apply', '-f', workspace(configWith(2)).file], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^failed to create blocklist\/list-0\d: CreateBlockList: .+$/m);
  });

  describe('the state-file lock', () => {
    let release: (() => void) | undefined;
    afterEach(() => release?.());
    /** Another stream-sync (this test process, alive on this host) holds the state file's lock. */
    const holdLock = async (state: string) => (release = await new StateLock(state).acquire());

    it('refuses a second writer at once, naming who holds the lock, before any request (exit 1)', async () => {
      const w = workspace(configWith(1));
      await holdLock(w.state);
      const before = requests().length;
      for (const args of [['apply', '-f', w.file], ['plan', '-f', w.file, '--out', w.plan]]) {
        const r = await runCli(args, env);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`the state file \\S+state\\.json is locked by another stream-sync \\(pid ${process.pid} on \\S+ since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\): nothing was done; wait for it to finish, or pass --lock-timeout`));
      }
      expect(requests().slice(before).map((r) => r.op)).toEqual([]);
      // Reading without saving a plan takes no lock; neither does a dry run.
      expect((await runCli(['plan', '-f', w.file], env)).code).toBe(0);
      expect((await runCli(['apply', '-f', w.file, '--dry-run'], env)).code).toBe(0);
    });

    it('waits with --lock-timeout, and applies once the holder is done', async () => {
      const w = workspace(configWith(1));
      await holdLock(w.state);
      const p = spawnCli(['apply', '-f', w.file, '--lock-timeout', '1m'], env);
      await waitForStderr(p, new RegExp(`waiting up to 60 s for the state-file lock \\S+, held by pid ${process.pid}`));
      const before = writes();
      release!();
      expect(await p.exit).toBe(0);
      expect(writes()).toBeGreaterThan(before);
      expect(listNames()).toEqual(['list-00']);
    });

    it("reads the state file once it holds the lock: what the holder saved meanwhile is kept, not overwritten", async () => {
      const w = workspace(configWith(1));
      await holdLock(w.state);
      const p = spawnCli(['apply', '-f', w.file, '--lock-timeout', '1m'], env);
      await waitForStderr(p, /waiting up to 60 s for the state-file lock/);
      // The holder records what it applied (a fingerprint, its users inventory), saves, then lets go.
      const { StateFile } = await import('../../src/state/state-file.js');
      const holders = StateFile.open(w.state, key, SECRET);
      holders.record('blocklist/the-holders', '/words', ['x']);
      holders.setInventory('users', ['created-by-the-holder']);
      holders.save();
      release!();
      expect(await p.exit).toBe(0);
      const after = StateFile.open(w.state, key, SECRET);
      expect(after.applied('blocklist/the-holders', '/words')).toBe(after.fingerprint('blocklist/the-holders', '/words', ['x']));
      expect(after.inventory('users')).toEqual(['created-by-the-holder']);
    });

    it('gives up after --lock-timeout with exit 1 and nothing written', async () => {
      const w = workspace(configWith(1));
      await holdLock(w.state);
      const before = writes();
      const r = await runCli(['apply', '-f', w.file, '--lock-timeout', '1s'], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/was not released within the --lock-timeout of 1 s: nothing was done/);
      expect(writes()).toBe(before);
    });

    it('releases the lock when apply ends, however it ends', async () => {
      const w = workspace(configWith(1));
      expect((await runCli(['apply', '-f', w.file], env)).code).toBe(0);
      emu.faults.configure({ rules: [{ kind: 'error', status: 400, op: 'UpdateBlockList' }] });
      writeFileSync(w.file, configWith(1, '[other]'));
      expect((await runCli(['apply', '-f', w.file], env)).code).toBe(1);
      expect(() => statSync(`${w.state}.lock`)).toThrow(/ENOENT/);
      expect((await runCli(['apply', '-f', w.file, '--lock-timeout', 'soon'], env)).stderr).toMatch(/--lock-timeout must be a duration such as 30s/);
    });
  });

  it('shows at plan time, in text, JSON and the Markdown comment, what apply will keep or refuse', async () => {
    const w = workspace(`${configWith(1)}policy:\n  prune: [blocklists]\n  max_deletes: 0\n  protect: [blocklist/legacy-*]\n`);
    for (const name of ['legacy-words', 'list-stale']) app().blocklists.set(name, { id: name, name, type: 'word', words: ['x'] });
    try {
      const text = (await runCli(['plan', '-f', w.file], env)).stdout;
      const json = JSON.parse((await runCli(['plan', '-f', w.file, '--format', 'json'], env)).stdout) as { warnings: { address: string; message: string }[] };
      // The comment escapes Markdown's characters as entities (`_` is &#95;): read it as GitHub shows it.
      const markdown = (await runCli(['plan', '-f', w.file, '--format', 'markdown'], env)).stdout.replace(/&#(\d+);/g, (_m, c: string) => String.fromCharCode(Number(c))).replace(/<\/?code>/g, '');
      expect(json.warnings.map((x) => x.address)).toEqual(['policy.max_deletes', 'blocklist/legacy-words']);
      for (const out of [text, markdown]) {
        expect(out).toMatch(/policy\.max_deletes.*the plan deletes 1 object, more than policy\.max_deletes \(0\): apply will refuse it/);
        expect(out).toMatch(/blocklist\/legacy-words.*protected by policy\.protect: not deleted/);
      }
    } finally {
      app().blocklists.delete('legacy-words');
    }
  });

  describe('a saved plan', () => {
    it('still applies after other objects of the app changed, and only its own changes', async () => {
      const w = workspace(configWith(2));
      expect((await runCli(['apply', '-f', w.file], env)).code).toBe(0);
      writeFileSync(w.file, configWith(2).replace('  - name: list-01\n    words: [scam, spoiler]', '  - name: list-01\n    words: [scam, spoiler, fraud]'));
      expect((await runCli(['plan', '-f', w.file, '--out', w.plan], env)).code).toBe(0);
      // Meanwhile another pull request is merged and applied: list-00 changes, a new list appears.
      list('list-00')!.words = ['changed', 'elsewhere'];
      writeFileSync(w.file, `${readFileSync(w.file, 'utf8')}  - name: list-99\n    words: [x]\n`);
      const r = await runCli(['apply', '-f', w.file, '--plan', w.plan], env);
      expect(r.stderr).toBe('updated blocklist/list-01\n');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Note: the file now also produces 2 changes that the saved plan does not have \(blocklist\/list-00, blocklist\/list-99\); they are not applied/);
      expect(list('list-01')!.words).toContain('fraud');
      expect(list('list-99') !== undefined).toBe(false);
    });

    it('is refused, naming each moved object, when an object it changes, deletes or creates moved since', async () => {
      const w = workspace(configWith(2));
      expect((await runCli(['apply', '-f', w.file], env)).code).toBe(0);
      app().blocklists.set('list-old', { ...structuredClone(list('list-01')!), name: 'list-old', id: 'list-old' });
      writeFileSync(w.file, `${configWith(2).replace('words: [scam, spoiler]', 'words: [scam]')}  - name: list-new\n    words: [x]\npolicy:\n  prune: [blocklists]\n`);
      expect((await runCli(['plan', '-f', w.file, '--out', w.plan], env)).code).toBe(0);
      const planned = JSON.parse(readFileSync(w.plan, 'utf8')) as { changes: { address: string; action: string }[]; depends_on: Record<string, string | null> };
      expect(planned.changes.map((c) => `${c.action} ${c.address}`).sort()).toEqual(['create blocklist/list-new', 'delete blocklist/list-old', 'update blocklist/list-00']);
      expect(planned.depends_on['blocklist/list-new']).toBeNull();
      expect(planned.depends_on['blocklist/list-00']).toMatch(/^sha256:[0-9a-f]{64}$/);

      list('list-00')!.words = ['someone', 'else'];
      app().blocklists.set('list-new', { ...structuredClone(list('list-01')!), name: 'list-new', id: 'list-new' });
      removeList('list-old');
      const before = writes();
      const r = await runCli(['apply', '-f', w.file, '--plan', w.plan], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/the live state has changed since the plan \S+plan\.json was made: .*: nothing was applied; plan again/);
      for (const moved of ['blocklist/list-old was deleted', 'blocklist/list-new was created', 'blocklist/list-00 changed']) expect(r.stderr).toContain(moved);
      expect(writes()).toBe(before);
    });

    it('is refused, naming the address, when the file no longer produces its change', async () => {
      const w = workspace(configWith(1));
      expect((await runCli(['plan', '-f', w.file, '--out', w.plan], env)).code).toBe(0);
      writeFileSync(w.file, configWith(1, '[other]'));
      const r = await runCli(['apply', '-f', w.file, '--plan', w.plan], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/the desired state no longer produces the saved plan \S+ \(it differs for blocklist\/list-00\)/);
    });
  });
});

function waitForStderr(p: { stderr(): string; child: { stderr: NodeJS.ReadableStream } }, re: RegExp): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (re.test(p.stderr())) {
        p.child.stderr.off('data', check);
        resolve();
      }
    };
    p.child.stderr.on('data', check);
    check();
  });
}

function canUnsharePid(): boolean {
  try {
    execFileSync('unshare', ['--pid', '--fork', '--kill-child', 'true'], { stdio: 'ignore' });
    execFileSync('pgrep', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
