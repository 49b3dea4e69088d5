import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as library from 'stream-sync';
import { ROOT } from '../support/cli.js';
import { ApiError, apply, type Client, type ClientOptions, ConfigError, createClient, exportConfig, GuardError, loadDesired, parsePlanJson, plan, renderPlan, StateFile, UsageError } from 'stream-sync';
import { type Emulator, startEmulator } from 'stream-sync/emulator';

/** stream-sync as a library, imported by its package name as a user's script does (`stream-sync`, `stream-sync/emulator`). */

const SECRET = 'sqs-secret-4d1b7e';
const FILE = `version: 1
app:
  settings:
    sqs_url: https://sqs.us-east-1.amazonaws.com/123456789012/events
    sqs_key: AKIAEXAMPLE
    sqs_secret: \${env:SQS_SECRET}
roles:
  - name: support-agent
blocklists:
  - name: banned-words
    type: word
    words: [scam, spoiler]
`;

let emu: Emulator;
let dir: string;
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const env = { SQS_SECRET: SECRET };

/** A new app of its own (a test that must see the file's changes from scratch) and a client of it, both closed after. */
async function withNewApp(fn: (other: Emulator, client: Client) => Promise<void>, clientOptions: Omit<ClientOptions, 'baseUrl' | 'apiKey' | 'apiSecret'> = {}): Promise<void> {
  const other = await startEmulator({ rateLimits: 'off', taskStepMs: 0 });
  const client = await createClient({ ...other.connection, ...clientOptions });
  try {
    await fn(other, client);
  } finally {
    await client.close();
    await other.close();
  }
}

beforeAll(async () => {
  emu = await startEmulator({ rateLimits: 'off', taskStepMs: 0 });
  dir = mkdtempSync(join(tmpdir(), 'stream-sync-library-'));
});
afterAll(() => emu.close());

describe('the package entry point', () => {
  it('exports exactly the documented surface (an accidental export fails here)', () => {
    expect(Object.keys(library).sort()).toEqual(
      ['ApiError', 'ConfigError', 'DeadlineError', 'FORMAT_VERSION', 'GuardError', 'StateFile', 'StoppedError', 'TransportError', 'UsageError', 'VERSION', 'apply', 'createClient', 'exportConfig', 'formatIssue', 'loadDesired', 'parsePlanJson', 'plan', 'renderPlan'].sort(),
    );
  });
});

describe('plan and apply from a script', () => {
  it('plans, renders, applies, and plans nothing left, with the secret masked everywhere', async () => {
    const desired = loadDesired(write('stream.yaml', FILE), { env });
    const client = await createClient(emu.connection);
    const state = StateFile.inMemory();
    try {
      const doc = await plan(desired, { client, state });
      expect(doc.format_version).toBe('1');
      expect(doc.summary).toMatchObject({ create: 2, update: 1, delete: 0 });
      expect(doc.changes.map((c) => c.address).sort()).toEqual(['app', 'blocklist/banned-words', 'role/support-agent']);
      for (const format of ['text', 'json', 'markdown'] as const) expect(renderPlan(doc, format)).not.toContain(SECRET);
      expect(renderPlan(doc, 'markdown')).toContain('blocklist/banned-words');

      const result = await apply(desired, { client, state });
      expect(result.ok).toBe(true);
      expect(result.applied.sort()).toEqual(['app', 'blocklist/banned-words', 'role/support-agent']);
      expect((await emu.call('GetBlockList', { params: { name: 'banned-words' } })).blocklist).toMatchObject({ words: ['scam', 'spoiler'] });

      const again = await plan(desired, { client, state });
      expect(again.changes).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('applies a saved plan only while the app still matches it (the plan --out / apply --plan workflow)', async () => {
    const desired = loadDesired(write('saved.yaml', 'version: 1\nroles:\n  - name: saved-a\n'), {});
    const client = await createClient(emu.connection);
    try {
      const saved = parsePlanJson(renderPlan(await plan(desired, { client }), 'json'));
      // Someone creates the role between the review and the apply: the saved plan is refused, nothing written.
      await emu.call('CreateRole', { body: { name: 'saved-a' } });
      const refused = await apply(desired, { client, plan: saved }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(GuardError);
      expect((refused as Error).message).toMatch(/role\/saved-a was created/);

      const other = loadDesired(write('saved-b.yaml', 'version: 1\nroles:\n  - name: saved-b\n'), {});
      const reviewed = await plan(other, { client });
      const result = await apply(other, { client, plan: reviewed });
      expect(result).toMatchObject({ ok: true, applied: ['role/saved-b'], unreviewed: [] });
    } finally {
      await client.close();
    }
  });

  it('keeps a state file on disk: fingerprints only, no secret; a secret is written again only when it changes', async () => {
    const path = join(dir, 'state', 'state.json');
    const desired = loadDesired(write('state.yaml', FILE), { env });
    const client = await createClient(emu.connection);
    try {
      await apply(desired, { client, state: StateFile.open(path) });
      const text = readFileSync(path, 'utf8');
      expect(text).toContain('/settings/sqs_secret');
      expect(text).not.toContain(SECRET);
      // A new client and a new handle on the same file: the secret is known to be applied, so nothing to do.
      const again = await plan(desired, { client: await createClient(emu.connection), state: StateFile.open(path) });
      expect(again.changes).toEqual([]);
      // Without the file, stream-sync cannot know the write-only secret is applied: it plans to write it.
      const fresh = await plan(desired, { client, state: StateFile.inMemory() });
      expect(fresh.changes.map((c) => c.address)).toEqual(['app']);
    } finally {
      await client.close();
    }
  });

  it('refuses a state file it cannot write, and a second writer holding its lock, before any write', async () => {
    const desired = loadDesired(write('unwritable.yaml', 'version: 1\nroles:\n  - name: never-written\n'), {});
    const client = await createClient(emu.connection);
    const before = emu.requests().length;
    try {
      const blocker = write('a-file', 'not a directory');
      await expect(apply(desired, { client, state: StateFile.open(join(blocker, 'state.json')) })).rejects.toThrow(UsageError);
      const { lockStateFile } = await import('../../src/runtime/lock.js');
      const locked = join(dir, 'locked', 'state.json');
      const release = await lockStateFile(locked, { timeoutMs: 0 });
      try {
        await expect(apply(desired, { client, state: StateFile.open(locked) })).rejects.toThrow(/lock/);
      } finally {
        release();
      }
      expect(emu.requests().slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
      expect((await apply(desired, { client, state: StateFile.open(locked) })).applied).toEqual(['role/never-written']);
    } finally {
      await client.close();
    }
  });

  it('stops at its signal as the CLI stops at an interrupt: what started lands, nothing new starts, the rest is reported', async () => {
    const desired = loadDesired(write('interrupt.yaml', 'version: 1\nroles:\n  - name: stop-a\n  - name: stop-b\n  - name: stop-c\n'), {});
    const client = await createClient({ ...emu.connection, concurrency: 1 });
    const stop = new AbortController();
    try {
      const result = await apply(desired, { client, signal: stop.signal, onChange: () => stop.abort() });
      expect(result.applied).toHaveLength(1);
      expect(result.interrupted).toHaveLength(2);
      expect(result.ok).toBe(false);
      const roles = ((await emu.call('ListRoles')).roles as { name: string }[]).map((r) => r.name).filter((n) => n.startsWith('stop-'));
      expect(roles).toEqual(result.applied.map((a) => a.replace('role/', '')));
    } finally {
      await client.close();
    }
  });

  it('reads the state file once it holds the lock: what the holder saved while apply waited is kept', async () => {
    const path = join(dir, 'race', 'state.json');
    const desired = loadDesired(write('race.yaml', 'version: 1\nroles:\n  - name: race-a\n'), {});
    const client = await createClient(emu.connection);
    const { lockStateFile } = await import('../../src/runtime/lock.js');
    const { StateFile: StateData } = await import('../../src/state/state-file.js');
    const release = await lockStateFile(path, { timeoutMs: 0 });
    try {
      const applying = apply(desired, { client, state: StateFile.open(path), lockTimeoutMs: 60_000 });
      const holders = StateData.open(path, emu.apiKey, emu.apiSecret);
      holders.setInventory('users', ['created-by-the-holder']);
      holders.save();
      release();
      expect((await applying).ok).toBe(true);
      expect(StateData.open(path, emu.apiKey, emu.apiSecret).inventory('users')).toEqual(['created-by-the-holder']);
    } finally {
      release();
      await client.close();
    }
  });

  it('refuses settings that would weaken a guard or make no sense, before any request', async () => {
    const desired = loadDesired(write('guards.yaml', 'version: 1\npolicy:\n  prune: [roles]\n  max_deletes: 0\nroles: []\n'), {});
    const client = await createClient(emu.connection);
    const before = emu.requests().length;
    try {
      // Number(process.env.UNSET) is NaN: it must not lift max_deletes.
      await expect(apply(desired, { client, allowDeletes: Number.NaN })).rejects.toThrow(/allowDeletes must be a whole number/);
      await expect(apply(desired, { client, allowDeletes: -1 })).rejects.toThrow(UsageError);
      await expect(apply(desired, { client, lockTimeoutMs: Number.POSITIVE_INFINITY })).rejects.toThrow(/lockTimeoutMs/);
      await expect(apply(desired, { client, state: 'state.json' as never })).rejects.toThrow(/state must be a StateFile/);
      await expect(plan(desired, { client, targets: 'role/x' as never })).rejects.toThrow(/targets must be an array/);
      await expect(apply(desired, { client, plan: {} as never })).rejects.toThrow(/plan: saved plan has no format_version/);
      await expect(apply(desired, { client, onChange: true as never })).rejects.toThrow(/onChange must be a function/);
      await expect(apply(desired, { client, dryRun: 'no' as never })).rejects.toThrow(/dryRun must be true or false/);
      await expect(apply(desired, { client, signal: 'x' as never })).rejects.toThrow(/signal must be an AbortSignal/);
      await expect(exportConfig({ client, kinds: ['rolez'] })).rejects.toThrow(/^kinds: cannot export rolez; exportable kinds: /);
      // Checked before the state file's directory is made or its lock waited for.
      const untouched = join(dir, 'never-made', 'state.json');
      await expect(apply(desired, { client, state: StateFile.open(untouched), targets: 'x' as never, lockTimeoutMs: 60_000 })).rejects.toThrow(/targets must be an array/);
      expect(() => readFileSync(join(dir, 'never-made'))).toThrow(/ENOENT/);
      expect(emu.requests().slice(before)).toEqual([]);
      // The guard itself, with advice in the library's terms.
      await emu.seed({ roles: ['guarded-a', 'guarded-b'] });
      await expect(apply(desired, { client })).rejects.toThrow(/more than policy.max_deletes \(0\): nothing was applied; review the plan and run again with allowDeletes: \d+ if that is intended/);
      expect(emu.requests().slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it("gives onChange the plan's change, sensitive values masked", () =>
    withNewApp(async (_other, client) => {
      const seen: string[] = [];
      const result = await apply(loadDesired(write('onchange.yaml', FILE), { env }), { client, onChange: (change, outcome) => seen.push(`${outcome} ${JSON.stringify(change)}`) });
      expect(result.ok).toBe(true);
      expect(seen).toHaveLength(3);
      expect(seen.join('\n')).toContain('/settings/sqs_secret');
      expect(seen.join('\n')).not.toContain(SECRET);
    }));

  it('goes on when onChange throws: every change runs, the state is saved, the error is logged', async () => {
    const lines: string[] = [];
    const pino = (await import('pino')).default;
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    await withNewApp(
      async (_other, client) => {
        const path = join(dir, 'throwing', 'state.json');
        const result = await apply(loadDesired(write('throwing.yaml', FILE), { env }), {
          client,
          state: StateFile.open(path),
          onChange: () => {
            throw new Error('the caller broke');
          },
        });
        expect(result.ok).toBe(true);
        expect(result.applied).toHaveLength(3);
        expect(readFileSync(path, 'utf8')).toContain('/settings/sqs_secret');
        expect(lines.join('')).toContain('onChange threw');
        expect(lines.join('')).not.toContain(SECRET);
      },
      { logger },
    );
  });

  it('reports a failed change in the result, its error without the secret the API echoed back', () =>
    withNewApp(async (other, client) => {
      other.injectFaults([{ kind: 'echo_body', op: 'UpdateApp' }]);
      const result = await apply(loadDesired(write('echo.yaml', FILE), { env }), { client });
      expect(result.ok).toBe(false);
      expect(result.failed.map((f) => f.address)).toEqual(['app']);
      expect(result.failed[0]!.error).not.toContain(SECRET);
      expect(other.faultHits()).toEqual([1]);
    }));

  it('exports the live configuration as a desired-state file', async () => {
    await emu.seed({ roles: ['exported-role'] });
    const client = await createClient(emu.connection);
    try {
      const yaml = await exportConfig({ client, kinds: ['roles'] });
      expect(yaml).toMatch(/^# yaml-language-server/);
      expect(yaml).toContain('- name: exported-role');
      expect(loadDesired(write('exported.yaml', yaml)).objects.has('role/exported-role')).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('typed errors', () => {
  it('a bad file is a ConfigError with every problem at file:line:col', () => {
    const path = write('bad.yaml', 'version: 1\nroles:\n  - name: ok\n  - nam: typo\n');
    const err = (() => {
      try {
        loadDesired(path);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]!.location).toMatchObject({ line: 4, col: 5 });
    expect((err as ConfigError).issues[0]!.location!.file).toContain('bad.yaml');
  });

  it('a refused identity is an ApiError with Stream\'s status, and names no secret', async () => {
    const client = await createClient({ ...emu.connection, apiSecret: 'not-the-secret' });
    try {
      const err = await plan(loadDesired(write('auth.yaml', FILE), { env }), { client }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(401);
      expect(String((err as Error).message)).not.toContain('not-the-secret');
    } finally {
      await client.close();
    }
  });

  it('settings out of range or missing are a UsageError before any request', async () => {
    await expect(createClient({ ...emu.connection, rateShare: 0 })).rejects.toThrow(UsageError);
    await expect(createClient({ ...emu.connection, concurrency: 1.5 })).rejects.toThrow(/concurrency must be a whole number/);
    await expect(createClient({ env: {} })).rejects.toThrow(/STREAM_API_KEY is not set/);
    expect(emu.requests()).not.toContainEqual(expect.objectContaining({ apiKey: null }));
  });

  it('a call cut short by its signal starts no request and says so', async () => {
    const client = await createClient(emu.connection);
    const before = emu.requests().length;
    try {
      const aborted = AbortSignal.abort();
      await expect(plan(loadDesired(write('abort.yaml', FILE), { env }), { client, signal: aborted })).rejects.toThrow(/stopping/);
      // Only the rate-limit seeding (GetRateLimits) may have gone out: nothing of the plan's reads.
      expect(emu.requests().slice(before).filter((r) => r.op !== 'GetRateLimits')).toEqual([]);
    } finally {
      await client.close();
    }
  });
});

describe('the rate share', () => {
  it("is the file's policy.rate_share unless the client sets one", async () => {
    const desired = loadDesired(write('share.yaml', 'version: 1\npolicy:\n  rate_share: 20\nroles:\n  - name: share-a\n'), {});
    const fromFile = await createClient(emu.connection);
    const fromClient = await createClient({ ...emu.connection, rateShare: 70 });
    try {
      await plan(desired, { client: fromFile });
      await plan(desired, { client: fromClient });
      // The share is internal state of the client: observed through the pacing it sets (allowance per window).
      const { sessionOf } = await import('../../src/library/client.js');
      expect(sessionOf(fromFile).session.client.rateShare).toBe(20);
      expect(sessionOf(fromClient).session.client.rateShare).toBe(70);
    } finally {
      await fromFile.close();
      await fromClient.close();
    }
  });
});

describe('docs/library.md', () => {
  it('shows the example integration and its test exactly as they are in the repository (and run by npm test)', () => {
    const doc = readFileSync(join(ROOT, 'docs/library.md'), 'utf8');
    for (const file of ['test/library/example/support-desk.ts', 'test/library/example/support-desk.test.ts']) {
      expect(doc, `${file} as shown in docs/library.md`).toContain(readFileSync(join(ROOT, file), 'utf8').trimEnd());
    }
  });

  it('names every export of both entry points', async () => {
    const doc = readFileSync(join(ROOT, 'docs/library.md'), 'utf8');
    const emulator = await import('stream-sync/emulator');
    for (const name of [...Object.keys(library), ...Object.keys(emulator)]) expect(doc, name).toContain(name);
  });
});
