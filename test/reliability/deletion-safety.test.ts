import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../src/desired/load.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { applyPlan, checkDeleteGuard, planFor } from '../../src/runtime/engine.js';
import { ConfigError, GuardError } from '../../src/core/errors.js';
import { fetchLive } from '../../src/live/fetch.js';
import { KINDS } from '../../src/kinds/registry.js';
import { buildPlan } from '../../src/plan/plan.js';
import { runCli } from '../support/cli.js';
import { desiredFromYaml, harness } from '../support/reconcile.js';
import { isWrite } from '../support/emulator.js';

/**
 * Deletion safety, one named test per promise. Some are also covered elsewhere: test/cli/reconcile-commands.test.ts
 * (max_deletes, expect_name and a saved plan through the CLI), test/scenarios/005, 007 and 011 (prune, protect and
 * ignore, built-ins, `kind: []`), src/plan/plan.test.ts (the pure plan) and test/reconcile/properties.test.ts (no
 * delete outside prune over generated files). Here each is proven against a live app with the request log: a
 * refused run writes nothing, and an allowed one deletes exactly what it may.
 */

const KEY = 'safety';
const SECRET = 'safety-secret';
/** What the app holds before each test: custom roles and lists, one of each built-in kind. */
const LIVE = `version: 1
roles:
  - name: keep-me
  - name: old-role
  - name: legacy-admin
blocklists:
  - name: spam
    words: [x]
  - name: scams
    words: [y]
  - name: tmp-1
    words: [z]
`;
const BUILTIN_ROLES = ['admin', 'anonymous', 'channel_member', 'channel_moderator', 'guest', 'user'];

async function withApp(fn: (emu: RunningEmulator, h: ReturnType<typeof harness>) => Promise<void>): Promise<void> {
  const emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps: [{ key: KEY, secret: SECRET, name: 'safety-app' }] });
  const h = harness(emu);
  try {
    const r = await h.apply(LIVE);
    expect(r.result.failed).toEqual([]);
    await fn(emu, h);
  } finally {
    await h.close();
    await emu.close();
  }
}

const lists = (emu: RunningEmulator) => [...emu.app(KEY).blocklists.values()].map((b) => String(b.name)).sort();
const customRoles = (emu: RunningEmulator) => [...emu.app(KEY).roles.values()].filter((r) => r.custom !== false).map((r) => String(r.name)).sort();
const allRoles = (emu: RunningEmulator) => [...emu.app(KEY).roles.values()].map((r) => String(r.name)).sort();
const writesSince = (emu: RunningEmulator, from: number) => emu.requests.slice(from).filter(isWrite);
const deletesSince = (emu: RunningEmulator, from: number) => emu.requests.slice(from).filter((r) => r.method === 'DELETE').map((r) => decodeURIComponent(r.path.split('/').pop()!)).sort();
const cliEnv = (emu: RunningEmulator) => ({ STREAM_API_KEY: KEY, STREAM_API_SECRET: SECRET, STREAM_BASE_URL: emu.url });
const tempFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'safety-')), 'stream.yaml');
  writeFileSync(file, text);
  return file;
};

describe('deletion safety', () => {
  it('an empty file deletes nothing: it is refused before any request', async () => {
    await withApp(async (emu) => {
      for (const text of ['', '\n', '# all commented out\n', '---\n']) {
        const from = emu.requests.length;
        const r = await runCli(['apply', '-f', tempFile(text)], cliEnv(emu));
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/stream\.yaml:1:1: the file is empty.*never means "delete everything"/);
        expect(emu.requests.slice(from)).toEqual([]);
      }
      expect(lists(emu)).toEqual(['profanity_en_2020_v1', 'scams', 'spam', 'tmp-1']);
    });
  });

  describe('a truncated file', () => {
    const LISTS = ['spam', 'scams', 'tmp-1', 'fraud', 'phish', 'links'];
    const body = `blocklists:\n${LISTS.map((n) => `  - name: ${n}\n    words: [x, y]\n`).join('')}`;
    // The policy before and after the lists, and max_deletes before and after prune: every order a file may have.
    const FILES = [
      `version: 1\npolicy:\n  prune: [blocklists]\n  max_deletes: 1\n${body}`,
      `version: 1\npolicy:\n  max_deletes: 1\n  prune: [blocklists]\n${body}`,
      `version: 1\n${body}policy:\n  prune: [blocklists]\n  max_deletes: 1\n`,
    ];

    it('never deletes more than policy.max_deletes, wherever it is cut', async () => {
      await withApp(async (emu, h) => {
        await h.apply(`version: 1\n${body}`);
        // The live app as the full file sees it: every list read.
        const live = await fetchLive(h.deps.api, desiredFromYaml(FILES[0]!), { complete: true });
        const outcome = { refusedByValidation: 0, refusedByGuard: 0, deletingAtMostOne: 0 };
        for (const file of FILES) {
          for (let cut = 0; cut < file.length; cut++) {
            let desired;
            try {
              desired = desiredFromYaml(file.slice(0, cut));
            } catch (err) {
              expect(err).toBeInstanceOf(ConfigError);
              outcome.refusedByValidation++;
              continue;
            }
            const plan = buildPlan({ desired, live, memory: h.state, target: h.deps.target, registry: KINDS });
            const deletes = plan.document.changes.filter((c) => c.action === 'delete');
            for (const d of deletes) expect(d.kind).toBe('blocklist');
            if (deletes.length <= 1) {
              outcome.deletingAtMostOne++;
              continue;
            }
            expect(() => checkDeleteGuard(plan, desired), `cut at ${cut}: ${deletes.length} deletes`).toThrow(GuardError);
            outcome.refusedByGuard++;
          }
        }
        // Each outcome happened: the guard is what stopped the dangerous cuts.
        expect(outcome.refusedByValidation).toBeGreaterThan(0);
        expect(outcome.refusedByGuard).toBeGreaterThan(0);
        expect(outcome.deletingAtMostOne).toBeGreaterThan(0);
      });
    });

    it('cut inside an entry is refused with its location, and writes nothing', async () => {
      await withApp(async (emu) => {
        const from = emu.requests.length;
        const r = await runCli(['apply', '-f', tempFile('version: 1\nblocklists:\n  - name: spam\n    words: [x, y\n')], cliEnv(emu));
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/stream\.yaml:\d+:\d+: YAML syntax/);
        expect(emu.requests.slice(from)).toEqual([]);
      });
    });
  });

  it('a missing section with its kind in policy.prune leaves that kind alone: not read, not deleted', async () => {
    await withApp(async (emu, h) => {
      const from = emu.requests.length;
      const r = await h.apply('version: 1\nroles:\n  - name: keep-me\n  - name: old-role\n  - name: legacy-admin\npolicy:\n  prune: [blocklists, roles]\n');
      expect(r.plan.document.changes).toEqual([]);
      expect(emu.requests.slice(from).map((q) => q.op)).not.toContain('ListBlockLists');
      expect(writesSince(emu, from)).toEqual([]);
      expect(lists(emu)).toEqual(['profanity_en_2020_v1', 'scams', 'spam', 'tmp-1']);
    });
  });

  it('`kind: []` past policy.max_deletes is refused before any write; --allow-deletes lets it through', async () => {
    await withApp(async (emu, h) => {
      const file = 'version: 1\nblocklists: []\npolicy:\n  prune: [blocklists]\n  max_deletes: 2\n';
      const from = emu.requests.length;
      await expect(h.apply(file)).rejects.toThrow(/deletes 3 objects, more than policy.max_deletes \(2\)/);
      expect(writesSince(emu, from)).toEqual([]);
      expect(lists(emu)).toEqual(['profanity_en_2020_v1', 'scams', 'spam', 'tmp-1']);

      const allowed = await h.apply(file, { allowDeletes: 3 });
      expect(allowed.result.failed).toEqual([]);
      expect(deletesSince(emu, from)).toEqual(['scams', 'spam', 'tmp-1']);
      expect(lists(emu)).toEqual(['profanity_en_2020_v1']);
    });
  });

  it('policy.protect keeps an undeclared object of a pruned kind, and says so', async () => {
    await withApp(async (emu, h) => {
      const from = emu.requests.length;
      const r = await h.apply('version: 1\nroles:\n  - name: keep-me\npolicy:\n  prune: [roles]\n  protect: [role/legacy-*]\n');
      expect(deletesSince(emu, from)).toEqual(['old-role']);
      expect(customRoles(emu)).toEqual(['keep-me', 'legacy-admin']);
      expect(r.plan.document.warnings).toContainEqual({ address: 'role/legacy-admin', message: expect.stringMatching(/protected by policy.protect: not deleted/) });
    });
  });

  it('policy.ignore keeps an object out of the plan: never deleted, never changed', async () => {
    await withApp(async (emu, h) => {
      const from = emu.requests.length;
      const r = await h.apply('version: 1\nblocklists:\n  - name: spam\n    words: [x]\n  - name: scams\n    words: [y]\n  - name: tmp-1\n    words: [changed]\npolicy:\n  prune: [blocklists]\n  ignore: [blocklist/tmp-*]\n');
      expect(r.plan.document.changes).toEqual([]);
      expect(writesSince(emu, from)).toEqual([]);
      expect([...emu.app(KEY).blocklists.values()].find((b) => b.name === 'tmp-1')?.words).toEqual(['z']);
      // Undeclared and ignored: not deleted either.
      await h.apply('version: 1\nblocklists: []\npolicy:\n  prune: [blocklists]\n  ignore: [blocklist/tmp-*]\n');
      expect(lists(emu)).toEqual(['profanity_en_2020_v1', 'tmp-1']);
    });
  });

  it('built-ins are never deleted, even by `kind: []` with prune and any --allow-deletes', async () => {
    await withApp(async (emu, h) => {
      const from = emu.requests.length;
      const r = await h.apply('version: 1\nroles: []\nblocklists: []\npolicy:\n  prune: [roles, blocklists]\n', { allowDeletes: 1_000 });
      expect(r.result.failed).toEqual([]);
      expect(deletesSince(emu, from)).toEqual(['keep-me', 'legacy-admin', 'old-role', 'scams', 'spam', 'tmp-1']);
      expect(allRoles(emu)).toEqual(BUILTIN_ROLES);
      expect(lists(emu)).toEqual(['profanity_en_2020_v1']);
    });
  });

  it('app.expect_name naming another app refuses plan and apply before any write', async () => {
    await withApp(async (emu, h) => {
      const file = 'version: 1\napp:\n  expect_name: acme-prod\nblocklists: []\npolicy:\n  prune: [blocklists]\n';
      const from = emu.requests.length;
      await expect(h.plan(file)).rejects.toThrow(/expect_name is "acme-prod" but the API key belongs to app "safety-app"/);
      await expect(h.apply(file, { allowDeletes: 100 })).rejects.toThrow(GuardError);
      expect(writesSince(emu, from)).toEqual([]);
      expect(lists(emu)).toEqual(['profanity_en_2020_v1', 'scams', 'spam', 'tmp-1']);
    });
  });

  it('a saved plan never deletes what appeared after it was reviewed; an object it deletes that moved refuses it', async () => {
    await withApp(async (emu) => {
      const dir = mkdtempSync(join(tmpdir(), 'saved-'));
      const file = join(dir, 'stream.yaml');
      writeFileSync(file, 'version: 1\nblocklists:\n  - name: spam\n    words: [x]\npolicy:\n  prune: [blocklists]\n  max_deletes: 5\n');
      const out = join(dir, 'plan.json');
      const state = join(dir, 'state.json');
      expect((await runCli(['plan', '-f', file, '--out', out, '--state-file', state], cliEnv(emu))).code).toBe(0);
      const reviewed = (JSON.parse(readFileSync(out, 'utf8')) as { changes: { address: string; action: string }[] }).changes.filter((c) => c.action === 'delete').map((c) => c.address.slice('blocklist/'.length));
      expect(reviewed.length).toBeGreaterThan(0);
      // Someone adds a list after the plan was reviewed: the reviewed plan did not delete it, so apply does not.
      const spam = [...emu.app(KEY).blocklists.values()].find((b) => b.name === 'spam')!;
      emu.app(KEY).blocklists.set('added-later', { ...spam, id: 'added-later', name: 'added-later' });
      const from = emu.requests.length;
      const r = await runCli(['apply', '-f', file, '--plan', out, '--state-file', state], cliEnv(emu));
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/the file now also produces 1 change that the saved plan does not have \(blocklist\/added-later\); it is not applied/);
      expect(deletesSince(emu, from).sort()).toEqual([...reviewed].sort());
      expect(lists(emu)).toContain('added-later');

      // A plan whose delete target changed since it was reviewed is refused whole.
      writeFileSync(file, 'version: 1\nblocklists:\n  - name: spam\n    words: [x]\npolicy:\n  prune: [blocklists]\n  max_deletes: 5\n');
      expect((await runCli(['plan', '-f', file, '--out', out, '--state-file', state], cliEnv(emu))).code).toBe(0);
      emu.app(KEY).blocklists.get('added-later')!.words = ['now', 'in', 'use'];
      const again = emu.requests.length;
      const refused = await runCli(['apply', '-f', file, '--plan', out, '--state-file', state], cliEnv(emu));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/the live state has changed since the plan \S+ was made: blocklist\/added-later changed: nothing was applied/);
      expect(writesSince(emu, again)).toEqual([]);
      expect(lists(emu)).toContain('added-later');
    });
  });

  it('--target never deletes outside its addresses', async () => {
    await withApp(async (emu, h) => {
      const file = 'version: 1\nroles: []\nblocklists: []\npolicy:\n  prune: [roles, blocklists]\n';
      const desired = loadDesired(tempFile(file));
      const from = emu.requests.length;
      const planned = await planFor(h.deps, desired, { targets: ['blocklist/s*'] });
      checkDeleteGuard(planned.plan, desired);
      await applyPlan(h.deps, planned.plan, desired);
      expect(deletesSince(emu, from)).toEqual(['scams', 'spam']);

      // The same through the CLI, with an exact address.
      const r = await runCli(['apply', '-f', tempFile(file), '--target', 'role/old-role'], cliEnv(emu));
      expect(r.code, r.stderr).toBe(0);
      expect(deletesSince(emu, from)).toEqual(['old-role', 'scams', 'spam']);
      expect(lists(emu)).toEqual(['profanity_en_2020_v1', 'tmp-1']);
      expect(customRoles(emu)).toEqual(['keep-me', 'legacy-admin']);
    });
  });
});
